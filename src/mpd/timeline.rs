//! SegmentTimeline `<S>` entries: runs of equal durations.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct S {
    /// Start time, written on the first entry (and after any gap).
    pub t: Option<u64>,
    pub d: u64,
    /// Repeats after the first: `r="2"` means three segments.
    pub r: u64,
}

/// Entries for consecutive segments starting at `start` with `durations`.
pub fn entries(start: u64, durations: impl IntoIterator<Item = u64>) -> Vec<S> {
    let durations = durations.into_iter();
    // Room for a few runs: most media has one or two durations.
    let mut out: Vec<S> = Vec::with_capacity(durations.size_hint().0.min(8));
    for d in durations {
        match out.last_mut() {
            Some(last) if last.d == d => last.r += 1,
            _ => out.push(S {
                t: if out.is_empty() { Some(start) } else { None },
                d,
                r: 0,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_equal_durations() {
        // The BBB AAC track, as in the golden manifest_a_vod.mpd.
        let d = [
            176128, 176128, 176128, 177152, 176128, 176128, 176128, 177152, 176128, 176128,
        ];
        let e = entries(0, d);
        assert_eq!(
            e,
            vec![
                S {
                    t: Some(0),
                    d: 176128,
                    r: 2
                },
                S {
                    t: None,
                    d: 177152,
                    r: 0
                },
                S {
                    t: None,
                    d: 176128,
                    r: 2
                },
                S {
                    t: None,
                    d: 177152,
                    r: 0
                },
                S {
                    t: None,
                    d: 176128,
                    r: 1
                },
            ]
        );
        assert!(entries(5, []).is_empty());
    }
}
