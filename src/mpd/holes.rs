//! livesim2's `segtimelineloss`: holes in a live SegmentTimeline. The
//! segments whose number is a multiple of N are left out of the timeline
//! (the `<S>` after a hole carries its `@t`), as an encoder that lost them
//! would announce; they are still served, so only the player's handling of
//! a discontinuous timeline is tested, not a 404.

use crate::mpd::live::LoopMap;
use crate::mpd::timeline::S;

/// `runs` (a live window's timeline of `map`) without the segments whose
/// `$Number$` is a multiple of `every`.
pub fn with_holes(runs: Vec<S>, map: &LoopMap, every: u64) -> Vec<S> {
    let Some(first) = runs.first().and_then(|s| s.t) else {
        return runs;
    };
    if every == 0 {
        return runs;
    }
    let mut number = map.number_of(&map.containing(first.saturating_sub(map.media_start)));
    let mut t = first;
    let mut out: Vec<S> = Vec::with_capacity(runs.len() * 2);
    let mut after_hole = false;
    for run in &runs {
        for _ in 0..=run.r {
            if number % every == 0 {
                after_hole = true;
            } else {
                match out.last_mut() {
                    Some(last) if !after_hole && last.d == run.d => last.r += 1,
                    _ => out.push(S {
                        t: (after_hole || out.is_empty()).then_some(t),
                        d: run.d,
                        r: 0,
                    }),
                }
                after_hole = false;
            }
            t = t.saturating_add(run.d);
            number = number.saturating_add(1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::representation::Segment;
    use crate::media::{ContentType, Representation};

    fn map() -> LoopMap {
        let mut segments = vec![Segment::default()];
        for i in 0..4u64 {
            segments.push(Segment {
                offset: 100 + i * 50,
                size: 50,
                duration: 2000,
                decode_time: i * 2000,
            });
        }
        let rep = Representation {
            id: "v".into(),
            content_type: ContentType::Video,
            timescale: 1000,
            start_number: 1,
            segments,
            media_duration: 8000,
            segment_duration: 2000,
            ..Default::default()
        };
        LoopMap::new(&rep, &rep).unwrap()
    }

    #[test]
    fn every_nth_number_leaves_a_hole_with_the_next_start_written() {
        // Segments 3 to 9 (numbers from 1, 2 s each: segment n starts at
        // (n - 1) × 2000).
        let runs = vec![S {
            t: Some(4000),
            d: 2000,
            r: 6,
        }];
        let holed = with_holes(runs, &map(), 3);
        assert_eq!(
            holed,
            vec![
                S {
                    t: Some(6000),
                    d: 2000,
                    r: 1
                }, // 4, 5
                S {
                    t: Some(12000),
                    d: 2000,
                    r: 1
                }, // 7, 8
            ]
        );
        let runs = vec![S {
            t: Some(0),
            d: 2000,
            r: 3,
        }];
        assert_eq!(with_holes(runs.clone(), &map(), 0), runs);
    }
}
