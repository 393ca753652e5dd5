//! Positions of injected faults: a segment number (`0` = the init segment),
//! a manifest update count, or a time. A time of day (`HH:MM:SSZ`) means that
//! time on the UTC day of the request's clock; a full ISO date-time is taken
//! as written. Live manifests turn times into the `$Number$` of the segment
//! that holds the instant, so segment URLs carry numbers only.

use chrono::{DateTime, NaiveTime};

use crate::options::{ErrorPos, HttpError, OptionError, Options};

const DAY_MS: i64 = 86_400_000;

/// The options that hold segment positions: each is rewritten from times to
/// numbers on a live manifest's segment URLs.
pub const SEGMENT_POSITION_OPTIONS: [&str; 4] = [
    "videoErrors",
    "audioErrors",
    "textErrors",
    "videoCorruption",
];

/// Unix ms of a time position: a time of day on the UTC day of `now_ms`, or
/// an ISO date-time. `None` for text that is neither (the option parser
/// has already refused such text, so this is a programming error).
pub fn time_ms(text: &str, now_ms: i64) -> Option<i64> {
    if let Some(body) = text
        .strip_suffix('Z')
        .filter(|b| b.len() <= 18 && !b.contains('T'))
    {
        let t = NaiveTime::parse_from_str(body, "%H:%M:%S%.f").ok()?;
        let ms_of_day =
            i64::from(t.signed_duration_since(NaiveTime::MIN).num_milliseconds() as i32);
        return Some(now_ms.div_euclid(DAY_MS) * DAY_MS + ms_of_day);
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// How live `$Number$` addressing maps instants onto numbers: segment `n`
/// starts `(n − start_number) × duration` ticks after the availability start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberClock {
    pub availability_start_ms: i64,
    pub timescale: u32,
    pub duration: u64,
    pub start_number: u64,
}

impl NumberClock {
    /// The number of the segment whose span holds `at_ms`; `None` before the
    /// availability start (no segment holds it).
    pub fn number_at(&self, at_ms: i64) -> Option<u64> {
        let since = at_ms.checked_sub(self.availability_start_ms)?;
        if since < 0 || self.duration == 0 {
            return None;
        }
        let ticks = i128::from(since) * i128::from(self.timescale) / 1000;
        let n = ticks / i128::from(self.duration);
        u64::try_from(n).ok()?.checked_add(self.start_number)
    }
}

/// `pos` as a number: itself, or the segment holding its time.
fn number_of(pos: &ErrorPos, clock: &NumberClock, now_ms: i64) -> Option<u64> {
    match pos {
        ErrorPos::Segment(n) => Some(*n),
        ErrorPos::Time(t) => clock.number_at(time_ms(t, now_ms)?),
    }
}

/// Whether any segment position of `o` is a time (then a live manifest
/// must pin it to a number, and a vod one cannot).
pub fn has_times(o: &Options) -> Option<&'static str> {
    SEGMENT_POSITION_OPTIONS.into_iter().find(|full| {
        let timed = |p: &ErrorPos| matches!(p, ErrorPos::Time(_));
        match *full {
            "videoCorruption" => o.positions(full).iter().any(timed),
            _ => o.http_errors(full).iter().any(|e| timed(&e.pos)),
        }
    })
}

/// Rewrites every time among the segment positions of `o` into the number
/// of the segment that holds it (positions before the availability start
/// name no segment and are dropped), as a live manifest writes its segment
/// URLs.
pub fn pin_times(o: &mut Options, clock: &NumberClock, now_ms: i64) -> Result<(), OptionError> {
    if has_times(o).is_none() {
        return Ok(());
    }
    for full in SEGMENT_POSITION_OPTIONS {
        let text = if full == "videoCorruption" {
            o.positions(full)
                .iter()
                .filter_map(|p| number_of(p, clock, now_ms))
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
        } else {
            o.http_errors(full)
                .iter()
                .filter_map(|e| Some(format!("{}={}", e.code, number_of(&e.pos, clock, now_ms)?)))
                .collect::<Vec<_>>()
        };
        o.set(full, &text.join(","))?;
    }
    Ok(())
}

/// The first error of `errors` whose position is `number` (`0` = init).
/// Times never match here: a segment URL carries numbers, and the resolver
/// turns a hand-written one's times into numbers first ([`pin_times`]).
pub fn error_at(errors: &[HttpError], number: u64) -> Option<&HttpError> {
    errors
        .iter()
        .find(|e| matches!(e.pos, ErrorPos::Segment(n) if n == number))
}

/// Whether segment `number` is listed in `positions` (times never are, as
/// in [`error_at`]).
pub fn listed(positions: &[ErrorPos], number: u64) -> bool {
    positions
        .iter()
        .any(|p| matches!(p, ErrorPos::Segment(n) if *n == number))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Mode;

    /// 2023-11-14T22:13:20Z.
    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn a_time_of_day_is_on_the_day_of_the_clock() {
        let midnight = NOW - (22 * 3600 + 13 * 60 + 20) * 1000;
        assert_eq!(time_ms("00:00:00Z", NOW), Some(midnight));
        assert_eq!(time_ms("12:30:05.5Z", NOW), Some(midnight + 45_005_500));
        assert_eq!(
            time_ms("2023-11-14T00:00:10Z", NOW),
            Some(midnight + 10_000)
        );
        assert_eq!(
            time_ms("2023-11-14T01:00:10+01:00", NOW),
            Some(midnight + 10_000)
        );
    }

    #[test]
    fn numbers_count_segments_from_the_availability_start() {
        let c = NumberClock {
            availability_start_ms: 1_000_000,
            timescale: 90_000,
            duration: 180_000,
            start_number: 1,
        };
        assert_eq!(c.number_at(999_999), None);
        assert_eq!(c.number_at(1_000_000), Some(1));
        assert_eq!(c.number_at(1_001_999), Some(1));
        assert_eq!(c.number_at(1_002_000), Some(2));
        assert_eq!(
            c.number_at(i64::MAX),
            Some(1 + (i64::MAX - 1_000_000) as u64 / 2000)
        );
    }

    #[test]
    fn a_manifest_pins_times_to_numbers_and_keeps_numbers() {
        let (mut o, _) = Options::parse_query(
            "verr=404=22:00:00Z,503=7&vcorrupt=22:00:01Z,9&aerr=404=01:00:00Z",
            Mode::Live,
        )
        .unwrap();
        assert_eq!(has_times(&o), Some("videoErrors"));
        let midnight = NOW - (22 * 3600 + 13 * 60 + 20) * 1000;
        let c = NumberClock {
            availability_start_ms: midnight + 3_600_000, // 01:00:00
            timescale: 1000,
            duration: 2000,
            start_number: 1,
        };
        pin_times(&mut o, &c, NOW).unwrap();
        // 21 hours of 2 s segments after 01:00: number 1 + 37,800.
        assert_eq!(
            o.to_query(crate::options::Usage::VIDEO),
            "vcorrupt=37801,9&verr=404=37801,503=7"
        );
        assert_eq!(o.to_query(crate::options::Usage::AUDIO), "aerr=404=1");
        assert_eq!(has_times(&o), None);
        let errors = o.http_errors("videoErrors");
        assert_eq!(error_at(errors, 7).map(|e| e.code), Some(503));
        assert_eq!(error_at(errors, 8), None);
    }
}
