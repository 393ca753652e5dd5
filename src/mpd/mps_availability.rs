//! When a live programme's period segment may be fetched. A period segment
//! URL names the stream's own segment (no loop count): the same bytes play
//! in every pass over the programme. It is available when one of its
//! occurrences on the live timeline is, by the rule stream segments follow
//! ([`crate::mpd::live::LoopMap::available`]): complete by now, and ending
//! inside the time-shift window (widened by the leeway, and to at least the
//! longest segment so that the newest complete one is always in it).

use crate::media::{Representation, Segment};
use crate::mpd::live::periods::ProgrammeClock;
use crate::mpd::live::LiveTiming;
use crate::mpd::mps::ProgrammePeriod;

/// Whether a period segment may be fetched now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Available,
    /// Not available; `ready_at_ms` (Unix ms) when an occurrence is being
    /// "encoded" now and completes then.
    Unavailable {
        ready_at_ms: Option<i64>,
    },
}

/// `ticks` of `from` Hz in `to` Hz, rounded down.
fn rescale(ticks: u64, from: u32, to: u64) -> u64 {
    (u128::from(ticks) * u128::from(to) / u128::from(from.max(1))).min(u128::from(u64::MAX)) as u64
}

/// The availability of media segment `seg` of `rep` as period `index`
/// (`p`) of a programme with clock `clock` plays it, at `timing`.
pub fn availability(
    clock: &ProgrammeClock,
    index: usize,
    p: &ProgrammePeriod,
    rep: &Representation,
    seg: &Segment,
    timing: &LiveTiming,
) -> Availability {
    let none = Availability::Unavailable { ready_at_ms: None };
    let (Some(first), Some(at)) = (rep.media_segments().first(), clock.at(0, index)) else {
        return none;
    };
    let ts = clock.timescale;
    // Where the segment ends, in ticks of the clock after its period's
    // start: its media end less the span's start.
    let span_start = rescale(p.start, p.timescale, u64::from(rep.timescale));
    let media_end = seg
        .decode_time
        .saturating_sub(first.decode_time)
        .saturating_add(seg.duration);
    let Some(end_in_period) = media_end.checked_sub(span_start) else {
        return none;
    };
    // The end of its first occurrence (loop 0), and its length.
    let end = at
        .start
        .saturating_add(rescale(end_in_period, rep.timescale, ts));
    let duration = rescale(seg.duration, rep.timescale, ts);
    let longest = rep
        .media_segments()
        .iter()
        .map(|s| s.duration)
        .max()
        .unwrap_or(0);
    let ms = |v: i64| u64::try_from(v).unwrap_or(0);
    let now = match u64::try_from(timing.elapsed_ms) {
        Ok(e) => clock.ticks_of_ms(e),
        Err(_) => return none,
    };
    let leeway = clock.ticks_of_ms(ms(timing.leeway_s.saturating_mul(1000)));
    let window_start = clock
        .ticks_of_ms(ms(timing.first_available_ms()))
        .min(now.saturating_sub(rescale(longest, rep.timescale, ts)))
        .saturating_sub(leeway);
    let total = clock.total().max(1);
    // The newest occurrence complete by now, and the one after it.
    let (newest, next) = match now.checked_sub(end) {
        Some(since) => {
            let newest = end.saturating_add(since / total * total);
            (Some(newest), newest.saturating_add(total))
        }
        None => (None, end),
    };
    if newest.is_some_and(|e| e > window_start) {
        return Availability::Available;
    }
    // The next occurrence under way: ready when it ends (the clock's ms,
    // rounded up so that asking then finds it complete).
    let ready_at_ms = (next.saturating_sub(duration) <= now).then(|| {
        let wait = next.saturating_sub(now);
        let wait_ms = (u128::from(wait) * 1000).div_ceil(u128::from(ts.max(1)));
        timing
            .now_ms
            .saturating_add(i64::try_from(wait_ms).unwrap_or(i64::MAX))
    });
    Availability::Unavailable { ready_at_ms }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mpd::mps::tests::rep;

    /// 2024-01-01T00:00:00Z.
    const START: i64 = 1_704_067_200_000;

    fn period(start: u64, duration: u64) -> ProgrammePeriod {
        crate::mpd::mps::tests::period(start, duration, 1000)
    }

    fn timing(query: &str, now_ms: i64) -> LiveTiming {
        let (o, _) =
            crate::options::Options::parse_query(query, crate::mpd::registry::Mode::Live).unwrap();
        LiveTiming::new(&o, now_ms, false, 2000).unwrap()
    }

    #[test]
    fn a_period_segment_is_available_from_its_end_until_it_leaves_the_window() {
        // Five 2 s segments; the programme plays 4–8 s of them (segments 3
        // and 4, numbers from 1), then 0–4 s: a loop of 8 s.
        let v = rep("v", 1000, 5, 2000, 0);
        let (a, b) = (period(4000, 4000), period(0, 4000));
        let clock = ProgrammeClock::new(&[(4000, 1000), (4000, 1000)]).unwrap();
        let seg = v.media_segments()[3]; // 6–8 s of the media: 2–4 s of period a.
        let q = "start=2024-01-01T00:00:00Z&depth=10&leeway=0";
        let at = |now_s: f64| {
            let t = timing(q, START + (now_s * 1000.0) as i64);
            availability(&clock, 0, &a, &v, &seg, &t)
        };
        // Loop 0: in progress from 2 s, complete at 4 s.
        assert_eq!(at(1.0), Availability::Unavailable { ready_at_ms: None });
        assert_eq!(
            at(2.5),
            Availability::Unavailable {
                ready_at_ms: Some(START + 4000)
            }
        );
        assert_eq!(at(4.0), Availability::Available);
        // Its occurrence of loop 0 ends at 4 s; with a 10 s window it is
        // there until 14 s, and loop 1's (ending at 12 s) takes over.
        assert_eq!(at(13.9), Availability::Available);
        assert_eq!(at(21.9), Availability::Available);
        // A window shorter than the loop: gone between occurrences.
        let short = "start=2024-01-01T00:00:00Z&depth=2&leeway=0";
        let at_short = |now_s: f64| {
            let t = timing(short, START + (now_s * 1000.0) as i64);
            availability(&clock, 0, &a, &v, &seg, &t)
        };
        assert_eq!(at_short(5.9), Availability::Available);
        assert_eq!(
            at_short(6.5),
            Availability::Unavailable { ready_at_ms: None }
        );
        assert_eq!(
            at_short(10.5),
            Availability::Unavailable {
                ready_at_ms: Some(START + 12_000)
            }
        );
        assert_eq!(at_short(12.0), Availability::Available);
        // The same media segment 1 (2–4 s) as period b plays it: 6–8 s of
        // the loop.
        let seg1 = v.media_segments()[1];
        let t = timing(short, START + 7000);
        assert_eq!(
            availability(&clock, 1, &b, &v, &seg1, &t),
            Availability::Unavailable {
                ready_at_ms: Some(START + 8000)
            }
        );
        let t = timing(short, START + 8000);
        assert_eq!(
            availability(&clock, 1, &b, &v, &seg1, &t),
            Availability::Available
        );
    }
}
