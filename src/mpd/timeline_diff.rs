//! How an MPD patch edits a SegmentTimeline: from the `<S>` runs of the MPD
//! a player holds to those of the MPD of now, with the operations both
//! dash.js and Shaka apply (`docs/patch-players.md`): `remove` of the first
//! `S`, `replace` of one `S` by position, `add` of `S` at the end. Neither
//! can be trusted with a whole `SegmentTimeline` replaced (dash.js throws)
//! nor with an `S` attribute replaced (dash.js stores the text, and adds
//! strings where it meant numbers).
//!
//! A live window only slides forward over the same looping content, so
//! the runs the two windows share are the same runs, except the first (it
//! may have lost segments at its start: a new `t` and `r`) and the last
//! of the old window (it may have gained some: a new `r`). The edit is
//! then: remove the old runs that ended before the new window starts,
//! replace the kept runs that differ (at most those two), append the
//! rest.

use crate::mpd::timeline::S;

/// The edit from one timeline to another. Applied in this order (each
/// position counts what is left after the steps before it), it gives the
/// new timeline exactly, whatever the two are (see [`diff`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineDiff {
    /// `S` elements removed from the front, one `remove` of `S[1]` each.
    pub removed: usize,
    /// The old `S` elements left after the removals: the first `kept` of
    /// the new timeline take their places (an `S[i]` that differs is
    /// replaced by the new one), and the new timeline's runs after them are
    /// appended.
    pub kept: usize,
}

impl TimelineDiff {
    /// The 0-based indexes `i` (in the new timeline, and in the old after
    /// the removals) where `S[i + 1]` is replaced by `new[i]`.
    pub fn replaced<'a>(&self, old: &'a [S], new: &'a [S]) -> impl Iterator<Item = usize> + 'a {
        let kept = old.get(self.removed..).unwrap_or_default();
        kept.iter()
            .zip(new)
            .enumerate()
            .filter(|(_, (o, n))| o != n)
            .map(|(i, _)| i)
    }

    /// The runs appended at the end.
    pub fn appended<'a>(&self, new: &'a [S]) -> &'a [S] {
        new.get(self.kept..).unwrap_or_default()
    }
}

/// The edit from `old` to `new`: every old run that ends at or before the
/// new timeline's start is removed, the others are kept. Any split is
/// correct as long as no more old runs are kept than there are new ones;
/// aligning by time makes the replacements the few runs that changed. A
/// timeline without a start time on its first run, or arithmetic beyond
/// u64, or an old window past the new one's end (not a live window moving
/// forward) falls back to removing every old run and adding every new one.
pub fn diff(old: &[S], new: &[S]) -> TimelineDiff {
    let everything = TimelineDiff {
        removed: old.len(),
        kept: 0,
    };
    let (Some(start), Some(mut t)) = (new.first().and_then(|s| s.t), old.first().and_then(|s| s.t))
    else {
        return everything;
    };
    let mut removed = 0;
    for s in old {
        // A `t` on a later run is a gap in the timeline: trust it.
        t = s.t.unwrap_or(t);
        let Some(end) =
            s.r.checked_add(1)
                .and_then(|n| n.checked_mul(s.d))
                .and_then(|len| len.checked_add(t))
        else {
            return everything;
        };
        if end > start {
            break;
        }
        removed += 1;
        t = end;
    }
    let kept = old.len() - removed;
    if kept > new.len() {
        return everything;
    }
    TimelineDiff { removed, kept }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: Option<u64>, d: u64, r: u64) -> S {
        S { t, d, r }
    }

    /// What a player gets: `old` with the edit applied, as RFC 5261 does it.
    fn apply(old: &[S], new: &[S], e: TimelineDiff) -> Vec<S> {
        let mut out = old.to_vec();
        out.drain(..e.removed);
        for i in e.replaced(old, new).collect::<Vec<_>>() {
            out[i] = new[i].clone();
        }
        out.extend_from_slice(e.appended(new));
        out
    }

    /// Checks that the edit gives `new`; (removed, kept, replaced).
    fn check(old: &[S], new: &[S]) -> (usize, usize, usize) {
        let e = diff(old, new);
        assert_eq!(apply(old, new, e), new, "{old:?} -> {new:?}: {e:?}");
        (e.removed, e.kept, e.replaced(old, new).count())
    }

    /// BBB's AAC pattern: three of 176128, one of 177152, twice a loop.
    const A: u64 = 176_128;
    const B: u64 = 177_152;

    #[test]
    fn a_sliding_window_removes_runs_that_left_and_appends_new_ones() {
        let old = [
            s(Some(1000), A, 2),
            s(None, B, 0),
            s(None, A, 2),
            s(None, B, 0),
        ];
        // Two segments later: the first run lost two, the last gained an A run.
        let new = [
            s(Some(1000 + 2 * A), A, 0),
            s(None, B, 0),
            s(None, A, 2),
            s(None, B, 0),
            s(None, A, 1),
        ];
        assert_eq!(check(&old, &new), (0, 4, 1), "only the first run's t and r");
        // Past the whole first run: it is removed, the B run gets a t.
        let new = [
            s(Some(1000 + 3 * A), B, 0),
            s(None, A, 2),
            s(None, B, 0),
            s(None, A, 0),
        ];
        assert_eq!(check(&old, &new), (1, 3, 1));
    }

    #[test]
    fn a_run_that_grew_at_the_end_is_replaced_not_appended() {
        let old = [s(Some(0), 4000, 5), s(None, 3000, 1)];
        let new = [s(Some(4000), 4000, 4), s(None, 3000, 3)];
        assert_eq!(check(&old, &new), (0, 2, 2), "nothing appended");
        // One run only (constant video segments): one replace.
        let one = check(&[s(Some(0), 96, 9)], &[s(Some(192), 96, 9)]);
        assert_eq!(one, (0, 1, 1));
    }

    #[test]
    fn across_a_loop_boundary_the_run_pattern_changes() {
        // A loop of 4 × 3840 whose last segment is cut to 3000 by the loop
        // length; the next loop starts 3840 runs again.
        let old = [s(Some(0), 3840, 2), s(None, 3000, 0)];
        let new = [s(Some(3840), 3840, 1), s(None, 3000, 0), s(None, 3840, 1)];
        assert_eq!(check(&old, &new), (0, 2, 1));
        assert_eq!(diff(&old, &new).appended(&new), &new[2..]);
        // The window now starts at the boundary: the old runs are all gone.
        let new = [s(Some(14_520), 3840, 3)];
        assert_eq!(check(&old, &new), (2, 0, 0));
    }

    #[test]
    fn unchanged_and_degenerate_timelines() {
        let t = [s(Some(7), 10, 3), s(None, 11, 0)];
        assert_eq!(check(&t, &t), (0, 2, 0));
        check(&[], &t);
        check(&t, &[]);
        check(&[], &[]);
        // No start time, an overflowing run, a window that went backwards:
        // everything is replaced, and still right.
        assert_eq!(check(&[s(None, 10, 3)], &t), (1, 0, 0));
        assert_eq!(check(&[s(Some(u64::MAX - 5), 10, 3)], &t), (1, 0, 0));
        let longer = [s(Some(0), 10, 0), s(None, 11, 0), s(None, 12, 0)];
        assert_eq!(check(&longer, &[s(Some(0), 10, 0)]), (3, 0, 0));
    }

    #[test]
    fn a_gap_in_the_old_timeline_is_followed() {
        let old = [s(Some(0), 10, 1), s(Some(100), 10, 1)];
        let new = [s(Some(100), 10, 2)];
        assert_eq!(check(&old, &new), (1, 1, 1));
    }
}
