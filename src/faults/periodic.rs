//! livesim2's `statuscode`: in every cycle of `cycle` seconds of a live
//! presentation, the segment at relative position `rsq` (0 = the first
//! segment that starts in the cycle) answers `code`, on the representations
//! whose id contains `rep` (livesim2 matches by substring too), or on one
//! track type (`video`, `audio`, `text`), or on every one. Written here as
//! `statuscode=<code>:<cycle>:<rsq>[:<rep>]`, several comma separated.

use crate::media::{ContentType, Representation};
use crate::options::Options;

/// The longest cycle: a day, as livesim2's window is bounded.
const MAX_CYCLE_S: u64 = 86_400;

/// One periodic status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodicStatus {
    pub code: u16,
    pub cycle_s: u64,
    pub rsq: u64,
    /// Representation id substring, or a track type; `None` = every one.
    pub rep: Option<String>,
}

/// The syntax, for error messages and the option table.
pub const SYNTAX: &str = "a comma separated list of <code>:<cycle s>:<rsq>[:<rep>]: code 400-599, \
     cycle 1-86400 s, rsq the segment's position in its cycle (0 = first), rep a \
     representation id substring or video, audio, text (none = every one)";

impl PeriodicStatus {
    pub fn parse(item: &str) -> Option<PeriodicStatus> {
        let mut parts = item.splitn(4, ':');
        let code = parts
            .next()?
            .parse::<u16>()
            .ok()
            .filter(|c| (400..=599).contains(c))?;
        let cycle_s = parts
            .next()?
            .parse::<u64>()
            .ok()
            .filter(|c| (1..=MAX_CYCLE_S).contains(c))?;
        let rsq = parts
            .next()?
            .parse::<u64>()
            .ok()
            .filter(|r| *r < cycle_s * 1000)?;
        let rep = parts.next().filter(|r| !r.is_empty()).map(String::from);
        Some(PeriodicStatus {
            code,
            cycle_s,
            rsq,
            rep,
        })
    }

    fn applies_to(&self, rep: &Representation) -> bool {
        match self.rep.as_deref() {
            None => true,
            Some("video") => rep.content_type == ContentType::Video,
            Some("audio") => rep.content_type == ContentType::Audio,
            Some("text") => rep.content_type == ContentType::Text,
            Some(part) => rep.id.contains(part),
        }
    }

    /// Whether the segment starting `start` ticks after the availability
    /// start, the `index`-th since it (`number − startNumber`) of segments
    /// of `duration` ticks, is at position `rsq` of its cycle.
    fn hits(&self, start: u64, index: u64, duration: u64, timescale: u32) -> bool {
        let cycle = u128::from(self.cycle_s) * u128::from(timescale);
        if cycle == 0 || duration == 0 {
            return false;
        }
        let k = u128::from(start) / cycle;
        // The first segment of cycle k: the first whose start is at or
        // after the cycle's.
        let first = (k * cycle).div_ceil(u128::from(duration));
        u128::from(index).checked_sub(first) == Some(u128::from(self.rsq))
    }
}

/// The `statuscode` entries of `o` (the parser has checked each).
pub fn statuses(o: &Options) -> Vec<PeriodicStatus> {
    o.list("segmentStatusCodes")
        .iter()
        .filter_map(|i| PeriodicStatus::parse(i))
        .collect()
}

/// The first item of `o`'s `statuscode` that does not parse.
pub fn first_invalid(o: &Options) -> Option<&str> {
    o.list("segmentStatusCodes")
        .iter()
        .find(|i| PeriodicStatus::parse(i).is_none())
        .map(String::as_str)
}

/// The status the live media segment `number` (starting `start` ticks
/// after the availability start) of `rep` answers, if any. `duration` is
/// the `$Number$` template's (segment `n` starts at `(n − startNumber) ×
/// duration`), so positions in a cycle follow the addressing a player sees.
pub fn status_at(
    o: &Options,
    rep: &Representation,
    number: u64,
    start_number: u64,
    duration: u64,
    timescale: u32,
) -> Option<PeriodicStatus> {
    let index = number.checked_sub(start_number)?;
    let start = index.checked_mul(duration)?;
    statuses(o)
        .into_iter()
        .find(|s| s.applies_to(rep) && s.hits(start, index, duration, timescale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_parse_with_their_bounds() {
        let s = PeriodicStatus::parse("404:30:0:video").unwrap();
        assert_eq!(
            (s.code, s.cycle_s, s.rsq, s.rep.as_deref()),
            (404, 30, 0, Some("video"))
        );
        assert_eq!(PeriodicStatus::parse("503:10:2").unwrap().rep, None);
        for bad in [
            "404",
            "404:30",
            "200:30:0",
            "404:0:0",
            "404:86401:0",
            "404:30:x",
            "x:30:0",
        ] {
            assert_eq!(PeriodicStatus::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_segment_at_its_position_in_each_cycle() {
        // 2 s segments, 10 s cycles: segments 0-4 are cycle 0, 5-9 cycle 1.
        let s = PeriodicStatus::parse("404:10:1").unwrap();
        let hits: Vec<u64> = (0..20)
            .filter(|i| s.hits(i * 2000, *i, 2000, 1000))
            .collect();
        assert_eq!(hits, [1, 6, 11, 16]);
        // 4 s segments, 10 s cycles: cycle 1 starts at 10 s, its first
        // segment is the one starting at 12 s (index 3).
        let s = PeriodicStatus::parse("404:10:0").unwrap();
        let hits: Vec<u64> = (0..10)
            .filter(|i| s.hits(i * 4000, *i, 4000, 1000))
            .collect();
        assert_eq!(hits, [0, 3, 5, 8]);
    }
}
