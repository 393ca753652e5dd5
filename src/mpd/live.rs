//! The live timing model: where the live edge is for a given `now`, which
//! segments are available, and how a live segment number or time maps onto
//! the looped VOD content. Pure functions of the options and `now`; the origin
//! reads the clock once per request and passes it in.
//!
//! Conventions: wall-clock values are Unix milliseconds (`i64`); media values
//! are ticks of a representation's timescale (`u64`), counted from the
//! availability start time, which is also the start of the only Period.

pub mod periods;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

use crate::media::Representation;
use crate::mpd::timeline::S;
use crate::options::{AvailabilityStart, Options};

const DAY_MS: i64 = 86_400_000;
/// `start=now` puts the availability start this far behind the clock, so a
/// fresh stream has a minute of segments (dash-live's value).
const NOW_START_BEHIND_MS: i64 = 60_000;
/// The time-shift window when `depth` is 0 or unset.
const DEFAULT_DEPTH_S: i64 = 60;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LiveError {
    #[error("start={0}: not a date and time this server can represent")]
    BadStart(String),
    #[error("start={start}: the availability start time is after now ({now})")]
    StartInFuture { start: String, now: String },
    #[error("depth={0}: the time-shift buffer depth must be positive")]
    BadDepth(i64),
}

/// The clock of one live request, as the manifest describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveTiming {
    /// The request's clock after `drift`.
    pub now_ms: i64,
    pub availability_start_ms: i64,
    /// `now − availabilityStartTime`.
    pub elapsed_ms: i64,
    /// MPD@publishTime: `now` to the second, or quantised to the update period.
    pub publish_ms: i64,
    /// MPD@timeShiftBufferDepth in seconds (never longer than the stream has run).
    pub depth_s: i64,
    /// MPD@minimumUpdatePeriod in seconds; `None` = omitted (a manifest that
    /// never changes shape).
    pub min_update_period_s: Option<i64>,
    /// Seconds a segment stays fetchable after leaving the time-shift window.
    pub leeway_s: i64,
}

/// Midnight UTC at the start of the day of `ms`.
fn midnight(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

fn date_ms(y: i32, m: u32, d: u32) -> Option<i64> {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Utc.from_utc_datetime(&t).timestamp_millis())
}

/// Unix ms of an ISO 8601 date and time with a zone (`2023-01-01T00:00:00Z`).
pub fn parse_datetime_ms(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

impl LiveTiming {
    /// The timing of a live request at `now_ms` (Unix ms, the real clock).
    /// `drift` applies when `drifted`: manifests and /time run behind by it,
    /// segments use the true clock (dash-live §4.2). `reference_segment_ms`
    /// is the timing reference's segment duration, for the default update period.
    pub fn new(
        opts: &Options,
        now_ms: i64,
        drifted: bool,
        reference_segment_ms: u64,
    ) -> Result<LiveTiming, LiveError> {
        let drift_ms = if drifted {
            opts.clock_drift().unwrap_or(0).saturating_mul(1000)
        } else {
            0
        };
        let now_ms = now_ms.saturating_sub(drift_ms);
        let publish_s = now_ms.div_euclid(1000) * 1000;
        let today = midnight(publish_s);
        let date = DateTime::<Utc>::from_timestamp_millis(now_ms)
            .ok_or_else(|| LiveError::BadStart(now_ms.to_string()))?;
        let mut start = match opts.availability_start() {
            AvailabilityStart::Epoch => 0,
            AvailabilityStart::Now => publish_s - NOW_START_BEHIND_MS,
            AvailabilityStart::Today => today,
            AvailabilityStart::Month => date_ms(date.year(), date.month(), 1).unwrap_or(today),
            AvailabilityStart::Year => date_ms(date.year(), 1, 1).unwrap_or(today),
            AvailabilityStart::DateTime(s) => {
                parse_datetime_ms(s).ok_or_else(|| LiveError::BadStart(s.into()))?
            }
        };
        // A month or year that began less than a day ago starts a day
        // earlier, and a start of exactly now a day earlier still, so the
        // whole time-shift window is always there (as dash-live does).
        let recent = matches!(
            opts.availability_start(),
            AvailabilityStart::Month | AvailabilityStart::Year
        ) && now_ms - start < DAY_MS;
        if recent || now_ms == start {
            start -= DAY_MS;
        }
        let elapsed_ms = now_ms - start;
        if elapsed_ms < 0 {
            return Err(LiveError::StartInFuture {
                start: crate::mpd::time::iso_datetime_ms(start),
                now: crate::mpd::time::iso_datetime_ms(now_ms),
            });
        }
        let mut depth_s = match opts.time_shift_buffer_depth() {
            d if d < 0 => return Err(LiveError::BadDepth(d)),
            0 => DEFAULT_DEPTH_S,
            d => d,
        };
        depth_s = depth_s.min(elapsed_ms / 1000);
        let min_update_period_s = match opts.min_update_period() {
            None => Some(((2 * reference_segment_ms + 500) / 1000).max(1) as i64),
            Some(m) if m <= 0 => None,
            Some(m) => Some(m),
        };
        let publish_ms = match min_update_period_s {
            Some(m) => start + (elapsed_ms / (m * 1000)) * m * 1000,
            None => publish_s,
        };
        Ok(LiveTiming {
            now_ms,
            availability_start_ms: start,
            elapsed_ms,
            publish_ms,
            depth_s,
            min_update_period_s,
            leeway_s: opts.leeway().max(0),
        })
    }

    /// Start of the time-shift window, ms after the availability start.
    pub fn first_available_ms(&self) -> i64 {
        self.elapsed_ms - self.depth_s * 1000
    }
}

/// Where a live segment comes from: media segment `index` (0-based, among the
/// representation's media segments) of loop `loop_count`, its decode time
/// moved by `time_shift` ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveSegment {
    pub loop_count: u64,
    pub index: usize,
    /// Added to the cut segment's decode time.
    pub time_shift: u64,
    /// Live presentation time of the segment's start (ticks since the
    /// availability start; the decode time is this plus the media's start time).
    pub start: u64,
    /// The duration the manifest gives it (the last segment of a loop runs to
    /// the start of the next loop).
    pub duration: u64,
    /// Ticks to take off the end of the segment's samples so that it ends at
    /// `start + duration`: the last segment of a loop whose media runs past
    /// the loop (audio a frame longer than its video) would otherwise
    /// overlap the next loop's first, and decode times would step back.
    /// 0 for every other segment, and when the media is shorter than the
    /// loop (a gap is left, which players bridge; an overlap they cannot).
    pub trim: u64,
}

/// How `$Number$` addressing lays a looped representation out: every number
/// names the next media segment, one to one, loop after loop, and the
/// template's duration is the loop's length over its segment count, so
/// `(n − startNumber) × duration` never drifts from the media however long
/// the stream has run. (A media's own nominal duration need not divide the
/// loop: AAC at 44.1 kHz in a 40 s loop of 4 s video.) When the average is
/// not a whole number of ticks, the template's timescale is a multiple of the
/// media's that makes it one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberTiming {
    pub timescale: u32,
    pub duration: u64,
    pub presentation_time_offset: u64,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl NumberTiming {
    /// `None` when the representation or reference has no media or no timescale.
    pub fn new(rep: &Representation, reference: &Representation) -> Option<NumberTiming> {
        let media = rep.media_segments();
        let first = media.first()?.decode_time;
        if reference.media_duration == 0 || reference.timescale == 0 || rep.timescale == 0 {
            return None;
        }
        // The average segment is num / den ticks of this timescale.
        let num = u128::from(reference.media_duration) * u128::from(rep.timescale);
        let den = u128::from(reference.timescale) * media.len() as u128;
        let g = gcd(num, den);
        let (num, den) = (num / g, den / g);
        let exact = (
            u32::try_from(u128::from(rep.timescale) * den),
            u64::try_from(num),
            u64::try_from(u128::from(first) * den),
        );
        Some(match exact {
            (Ok(timescale), Ok(duration), Ok(presentation_time_offset)) => NumberTiming {
                timescale,
                duration,
                presentation_time_offset,
            },
            // No timescale that fits makes it whole: the nearest tick, which
            // drifts by under half a tick per segment.
            _ => NumberTiming {
                timescale: rep.timescale,
                duration: u64::try_from((num + den / 2) / den)
                    .unwrap_or(u64::MAX)
                    .max(1),
                presentation_time_offset: first,
            },
        })
    }
}

/// One representation's content laid end to end for ever. Loop `k` starts at
/// `k × L` where `L` is the timing reference's duration in this timescale,
/// computed exactly per loop so that no rounding accumulates: every track
/// stays aligned with the reference for any number of loops.
#[derive(Debug, Clone)]
pub struct LoopMap {
    /// Media segment starts relative to the first, and durations.
    starts: Vec<u64>,
    durations: Vec<u64>,
    /// Runs of the durations of every segment but the last (whose duration
    /// each loop sets).
    inner_runs: Vec<S>,
    /// The longest a segment can be, the loops' last segments included.
    max_duration: u64,
    /// The media's first decode time (its presentationTimeOffset).
    pub media_start: u64,
    /// Reference duration × this timescale (numerator of `L`).
    loop_num: u128,
    /// The reference's timescale (denominator of `L`).
    loop_den: u128,
    pub timescale: u32,
    /// The `$Number$` template's timing.
    pub number: NumberTiming,
    pub start_number: u64,
}

impl LoopMap {
    /// `None` when the representation or reference has no media or no timescale.
    pub fn new(rep: &Representation, reference: &Representation) -> Option<LoopMap> {
        let media = rep.media_segments();
        let first = media.first()?.decode_time;
        if reference.media_duration == 0 || reference.timescale == 0 || rep.timescale == 0 {
            return None;
        }
        let loop_num = u128::from(reference.media_duration) * u128::from(rep.timescale);
        let loop_den = u128::from(reference.timescale);
        if loop_num < loop_den {
            return None;
        }
        let durations: Vec<u64> = media.iter().map(|s| s.duration).collect();
        let starts: Vec<u64> = media
            .iter()
            .map(|s| s.decode_time.saturating_sub(first))
            .collect();
        // The loops' last segments run to the next loop: as long as the first
        // loop's, give or take the one tick of rounding between loops.
        let loop_len = (loop_num / loop_den).min(u128::from(u64::MAX)) as u64;
        let last = loop_len.saturating_sub(starts[starts.len() - 1]) + 1;
        let max_duration = durations.iter().copied().max().unwrap_or(0).max(last);
        Some(LoopMap {
            inner_runs: crate::mpd::timeline::entries(
                0,
                durations[..durations.len() - 1].iter().copied(),
            ),
            max_duration,
            starts,
            durations,
            media_start: first,
            loop_num,
            loop_den,
            timescale: rep.timescale,
            number: NumberTiming::new(rep, reference)?,
            start_number: u64::from(rep.start_number),
        })
    }

    /// How many ticks this track's media runs past the end of its loop (the
    /// timing reference's duration), 0 when it fits: the most any loop's
    /// last segment is trimmed live ([`LiveSegment::trim`]), which would
    /// otherwise overlap the next loop's first.
    pub fn overrun(&self) -> u64 {
        let (Some(start), Some(d)) = (self.starts.last(), self.durations.last()) else {
            return 0;
        };
        start.saturating_add(*d).saturating_sub(self.loop_start(1))
    }

    /// Start of loop `k`.
    pub fn loop_start(&self, k: u64) -> u64 {
        (u128::from(k) * self.loop_num / self.loop_den).min(u128::from(u64::MAX)) as u64
    }

    /// The loop that contains live time `t`.
    fn loop_of(&self, t: u64) -> u64 {
        let k = (u128::from(t) * self.loop_den / self.loop_num).min(u128::from(u64::MAX)) as u64;
        // Integer division can land one loop late at an exact boundary.
        if self.loop_start(k) > t {
            k - 1
        } else {
            k
        }
    }

    fn segment(&self, k: u64, index: usize) -> LiveSegment {
        let origin = self.loop_start(k);
        let start = origin + self.starts[index];
        let (duration, trim) = if index + 1 == self.starts.len() {
            let end = self.loop_start(k + 1);
            // Per loop, not `overrun()`: loops alternate between the floor
            // and the ceiling of `L`, so the trim differs by a tick.
            let trim = start
                .saturating_add(self.durations[index])
                .saturating_sub(end);
            (end.saturating_sub(start).max(1), trim)
        } else {
            (self.durations[index], 0)
        };
        LiveSegment {
            loop_count: k,
            index,
            time_shift: origin,
            start,
            duration,
            trim,
        }
    }

    /// The segment `$Number$` `number` names, or `None` before `startNumber`:
    /// numbers count media segments one to one, loop after loop.
    /// A number so far ahead that its loop's end does not fit in 64 bits of
    /// ticks names nothing (not a segment of a wrapped-around time).
    pub fn by_number(&self, number: u64) -> Option<LiveSegment> {
        let m = number.checked_sub(self.start_number)?;
        let count = self.starts.len() as u64;
        let k = m / count;
        let next = u128::from(k.checked_add(1)?) * self.loop_num / self.loop_den;
        u64::try_from(next).ok()?;
        Some(self.segment(k, (m % count) as usize))
    }

    /// The segment `$Time$` `t` (a decode time) names, if one starts there.
    pub fn by_time(&self, t: u64) -> Option<LiveSegment> {
        let live = t.checked_sub(self.media_start)?;
        let seg = self.containing(live);
        (seg.start == live).then_some(seg)
    }

    /// The sequence number of a live segment (the inverse of [`LoopMap::by_number`]).
    pub fn number_of(&self, seg: &LiveSegment) -> u64 {
        self.start_number + seg.loop_count * self.starts.len() as u64 + seg.index as u64
    }

    /// Ticks of `ms`, truncated.
    fn ticks(&self, ms: i64) -> u64 {
        (i128::from(ms.max(0)) * i128::from(self.timescale) / 1000) as u64
    }

    /// Where this representation's window starts, in ticks: the time-shift
    /// window's start, or earlier when the window is shorter than a segment,
    /// so that the newest complete segment is always in it.
    fn window_start(&self, timing: &LiveTiming) -> u64 {
        let until = self.ticks(timing.elapsed_ms);
        self.ticks(timing.first_available_ms())
            .min(until.saturating_sub(self.max_duration))
    }

    /// The segment whose span holds live time `t`.
    pub fn containing(&self, t: u64) -> LiveSegment {
        let k = self.loop_of(t);
        let offset = t - self.loop_start(k);
        let index = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        self.segment(k, index)
    }

    /// Whether a segment spanning `[start, start + duration)` can be fetched:
    /// complete by now, and ending inside the window or its leeway.
    pub fn available(&self, timing: &LiveTiming, start: u64, duration: u64) -> bool {
        let end = start.saturating_add(duration);
        let leeway = self.ticks(timing.leeway_s * 1000);
        end <= self.ticks(timing.elapsed_ms)
            && end > self.window_start(timing).saturating_sub(leeway)
    }

    /// Where the `$Number$` template puts this segment's start, in ticks of
    /// this timescale: `(number − startNumber) × @duration`. A track's own
    /// segments start a little before or after it (AAC frames do not fill
    /// the reference's segments exactly).
    fn template_start(&self, seg: &LiveSegment) -> u64 {
        let m = u128::from(self.number_of(seg) - self.start_number);
        let ticks = m * u128::from(self.number.duration) * u128::from(self.timescale)
            / u128::from(self.number.timescale.max(1));
        ticks.min(u128::from(u64::MAX)) as u64
    }

    /// How long, in ms, until a segment that is not complete yet will be,
    /// when it is the segment being "encoded" now: the one whose start is
    /// past, by its own times (SegmentTimeline) or by the `$Number$`
    /// template's (a track whose segments start a few ms after the template's
    /// boundary is still the one a `$Number$` manifest says is in progress),
    /// or which ends at most the longest segment away. `None` when it is
    /// complete already or further ahead.
    pub fn ms_until_complete(&self, timing: &LiveTiming, seg: &LiveSegment) -> Option<i64> {
        let end = seg.start.saturating_add(seg.duration);
        let now = self.ticks(timing.elapsed_ms);
        let in_progress = seg.start <= now
            || self.template_start(seg) <= now
            || end.saturating_sub(now) <= self.max_duration;
        if end <= now || !in_progress {
            return None;
        }
        let end_ms = (u128::from(end) * 1000).div_ceil(u128::from(self.timescale));
        let end_ms = i64::try_from(end_ms).ok()?;
        Some((end_ms - timing.elapsed_ms).max(1))
    }

    /// `$Number$` addressing: the oldest segment in the window (the one
    /// holding its start) and the newest complete one, by number.
    pub fn number_window(&self, timing: &LiveTiming) -> (u64, u64) {
        let newest = self
            .number_of(&self.containing(self.ticks(timing.elapsed_ms)))
            .saturating_sub(1)
            .max(self.start_number);
        let oldest = self.number_of(&self.containing(self.window_start(timing)));
        (oldest.min(newest), newest)
    }

    /// Calls `f(start, duration)` for every segment that ends inside the
    /// window and is complete by now, in order; `start` is a live time.
    fn walk_window(&self, timing: &LiveTiming, mut f: impl FnMut(u64, u64)) {
        let until = self.ticks(timing.elapsed_ms);
        let seg = self.containing(self.window_start(timing));
        // Loop by loop: one exact (128-bit) loop start per loop, not per segment.
        let n = self.starts.len();
        let (mut k, mut i) = (seg.loop_count, seg.index);
        let mut origin = self.loop_start(k);
        let mut next_origin = self.loop_start(k + 1);
        loop {
            let start = origin + self.starts[i];
            let duration = if i + 1 == n {
                next_origin.saturating_sub(start).max(1)
            } else {
                self.durations[i]
            };
            if start + duration > until {
                break;
            }
            f(start, duration);
            i += 1;
            if i == n {
                i = 0;
                k += 1;
                origin = next_origin;
                next_origin = self.loop_start(k + 1);
            }
        }
    }

    /// The SegmentTimeline of the window as (first decode time, durations).
    pub fn timeline(&self, timing: &LiveTiming) -> (u64, Vec<u64>) {
        let mut first = None;
        let mut durations = Vec::new();
        self.walk_window(timing, |start, d| {
            first.get_or_insert(start);
            durations.push(d);
        });
        let first = first.unwrap_or_else(|| self.containing(self.ticks(timing.elapsed_ms)).start);
        (first + self.media_start, durations)
    }

    /// The SegmentTimeline of the window as `<S>` runs. Whole loops are
    /// added run by run (the media's own runs, then the loop's last segment),
    /// so a 30-minute window costs a step per run, not per segment.
    pub fn timeline_runs(&self, timing: &LiveTiming) -> Vec<S> {
        // Room for every loop's runs, so the list is not copied as it grows.
        let span = self.ticks(timing.elapsed_ms) - self.window_start(timing);
        let loops = span / self.loop_start(1).max(1) + 2;
        let mut runs: Vec<S> = Vec::with_capacity(
            (loops as usize)
                .saturating_mul(self.inner_runs.len() + 1)
                .min(4096),
        );
        let push = |runs: &mut Vec<S>, start: u64, d: u64, count: u64| match runs.last_mut() {
            Some(last) if last.d == d => last.r += count,
            Some(_) => runs.push(S {
                t: None,
                d,
                r: count - 1,
            }),
            None => runs.push(S {
                t: Some(start + self.media_start),
                d,
                r: count - 1,
            }),
        };
        let until = self.ticks(timing.elapsed_ms);
        let seg = self.containing(self.window_start(timing));
        let n = self.starts.len();
        let (mut k, mut i) = (seg.loop_count, seg.index);
        let mut origin = self.loop_start(k);
        let mut next_origin = self.loop_start(k + 1);
        loop {
            if i == 0 && next_origin <= until {
                // A whole loop inside the window: its first run may merge
                // with the previous loop's last, the others are copied as
                // they are (they carry no start time).
                if let Some((first, rest)) = self.inner_runs.split_first() {
                    push(&mut runs, origin, first.d, first.r + 1);
                    runs.extend_from_slice(rest);
                }
                let last_start = origin + self.starts[n - 1];
                push(
                    &mut runs,
                    origin,
                    next_origin.saturating_sub(last_start).max(1),
                    1,
                );
            } else {
                let start = origin + self.starts[i];
                let duration = if i + 1 == n {
                    next_origin.saturating_sub(start).max(1)
                } else {
                    self.durations[i]
                };
                if start + duration > until {
                    break;
                }
                push(&mut runs, start, duration, 1);
                i += 1;
                if i < n {
                    continue;
                }
            }
            i = 0;
            k += 1;
            origin = next_origin;
            next_origin = self.loop_start(k + 1);
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::representation::Segment;
    use crate::media::ContentType;
    use crate::options::Mode;

    fn opts(query: &str) -> Options {
        Options::parse_query(query, Mode::Live).unwrap().0
    }

    const NOW: i64 = 1_662_477_000_000; // 2022-09-06T15:10:00Z

    #[test]
    fn availability_start_choices() {
        let t = |q| LiveTiming::new(&opts(q), NOW, true, 4000).unwrap();
        assert_eq!(
            t("start=today").availability_start_ms,
            parse_datetime_ms("2022-09-06T00:00:00Z").unwrap()
        );
        assert_eq!(
            t("start=month").availability_start_ms,
            parse_datetime_ms("2022-09-01T00:00:00Z").unwrap()
        );
        assert_eq!(
            t("").availability_start_ms,
            parse_datetime_ms("2022-01-01T00:00:00Z").unwrap()
        );
        assert_eq!(t("start=epoch").availability_start_ms, 0);
        assert_eq!(t("start=now").availability_start_ms, NOW - 60_000);
        assert_eq!(t("start=now").depth_s, 60, "the window is what has run");
        let explicit = t("start=2022-09-06T15:00:00Z");
        assert_eq!(explicit.elapsed_ms, 600_000);
        // Within the first day of a year the stream started the day before.
        let new_year = parse_datetime_ms("2023-01-01T00:00:10Z").unwrap();
        let early = LiveTiming::new(&opts(""), new_year, true, 4000).unwrap();
        assert_eq!(early.elapsed_ms, DAY_MS + 10_000);
    }

    #[test]
    fn update_period_depth_and_drift() {
        let t = LiveTiming::new(&opts("start=today"), NOW + 5_300, true, 4000).unwrap();
        assert_eq!(t.min_update_period_s, Some(8), "twice the segment");
        assert_eq!(t.depth_s, 1800);
        // publishTime is quantised to the update period.
        assert_eq!(t.publish_ms, NOW);
        let t = LiveTiming::new(&opts("mup=-1&depth=30"), NOW + 5_300, true, 4000).unwrap();
        assert_eq!(
            (t.min_update_period_s, t.publish_ms, t.depth_s),
            (None, NOW + 5_000, 30)
        );
        let drifted = LiveTiming::new(&opts("drift=10"), NOW, true, 4000).unwrap();
        assert_eq!(drifted.now_ms, NOW - 10_000);
        let segments = LiveTiming::new(&opts("drift=10"), NOW, false, 4000).unwrap();
        assert_eq!(segments.now_ms, NOW, "segments use the true clock");
        let future = LiveTiming::new(&opts("start=2030-01-01T00:00:00Z"), NOW, true, 4000);
        assert!(matches!(future, Err(LiveError::StartInFuture { .. })));
    }

    /// `n` segments of `d` ticks at `timescale`, with the last `last` long.
    fn rep(timescale: u32, n: u64, d: u64, last: u64, start: u64) -> Representation {
        let mut segments = vec![Segment::default()];
        let mut t = start;
        for i in 0..n {
            let duration = if i + 1 == n { last } else { d };
            segments.push(Segment {
                offset: 0,
                size: 1,
                duration,
                decode_time: t,
            });
            t += duration;
        }
        Representation {
            id: "r".into(),
            content_type: ContentType::Video,
            timescale,
            start_number: 1,
            segments,
            media_duration: t - start,
            segment_duration: d,
            ..Representation::default()
        }
    }

    #[test]
    fn numbers_and_times_agree() {
        let video = rep(240, 10, 960, 960, 0);
        let map = LoopMap::new(&video, &video).unwrap();
        for n in 1..100 {
            let seg = map.by_number(n).unwrap();
            assert_eq!(seg.start, (n - 1) * 960);
            assert_eq!(seg.index as u64, (n - 1) % 10);
            assert_eq!(seg.loop_count, (n - 1) / 10);
            assert_eq!(map.by_time(seg.start), Some(seg));
            assert_eq!(map.number_of(&seg), n);
        }
        assert_eq!(map.by_number(0), None);
        assert_eq!(map.by_time(100), None, "no segment starts there");
    }

    #[test]
    fn a_track_with_another_timescale_follows_the_reference_loop() {
        // 40 s of video at 240 Hz; AAC at 44.1 kHz with 1024-sample frames
        // that cannot fill 40 s exactly.
        let video = rep(240, 10, 960, 960, 0);
        let audio = rep(44_100, 10, 176_128, 176_128 + 12_800, 0);
        let map = LoopMap::new(&audio, &video).unwrap();
        assert_eq!(map.loop_start(1), 1_764_000);
        let last = map.containing(1_764_000 - 100_000);
        assert_eq!(last.index, 9);
        assert_eq!(
            last.start + last.duration,
            1_764_000,
            "runs to the next loop"
        );
        let k = 10_000;
        let start = map.by_time(map.loop_start(k)).unwrap();
        assert_eq!((start.loop_count, start.index), (k, 0));
        assert_eq!(start.time_shift, k * 1_764_000);
    }

    #[test]
    fn a_track_longer_than_its_loop_is_trimmed_to_the_next_loop_every_loop() {
        // 40 s and a tick of video at 12.8 kHz: the loop is 1,764,003.4
        // ticks of 44.1 kHz AAC, which runs some 12,800 past it. Loops are
        // 1,764,003 or 1,764,004 ticks long, and each loop's trim follows
        // its exact start.
        let video = rep(12_800, 10, 51_200, 51_201, 0);
        let audio = rep(44_100, 10, 176_128, 176_128 + 12_800 + 2_720, 0);
        let map = LoopMap::new(&audio, &video).unwrap();
        let loop_len = |k: u64| map.loop_start(k + 1) - map.loop_start(k);
        assert!(
            (0..10).any(|k| loop_len(k) != loop_len(0)),
            "lengths alternate"
        );
        for k in 0..10 {
            for index in 0..10 {
                let seg = map.segment(k, index);
                let media_end = seg.start + audio.media_segments()[index].duration;
                if index < 9 {
                    assert_eq!(seg.trim, 0);
                } else {
                    assert_eq!(seg.start + seg.duration, map.loop_start(k + 1));
                    assert_eq!(media_end - seg.trim, map.loop_start(k + 1), "loop {k}");
                    assert!(seg.trim <= map.overrun());
                }
            }
        }
        // Shorter than the loop: nothing to trim (a gap is left).
        let short = rep(44_100, 10, 176_128, 176_128 - 5_000, 0);
        let map = LoopMap::new(&short, &video).unwrap();
        assert_eq!((map.overrun(), map.by_number(10).unwrap().trim), (0, 0));
    }

    #[test]
    fn numbers_count_segments_when_the_media_duration_does_not_divide_the_loop() {
        // 10 AAC segments of 176,128 ticks (the last longer) in a 40 s loop:
        // the loop's average, 176,400, is the template's duration.
        let video = rep(240, 10, 960, 960, 0);
        let audio = rep(44_100, 10, 176_128, 176_128 + 2_720, 0);
        let map = LoopMap::new(&audio, &video).unwrap();
        assert_eq!(
            map.number,
            NumberTiming {
                timescale: 44_100,
                duration: 176_400,
                presentation_time_offset: 0
            }
        );
        let mut prev = map.by_number(1).unwrap();
        for n in 2..1_000 {
            let seg = map.by_number(n).unwrap();
            assert_eq!(seg.start, prev.start + prev.duration, "number {n}");
            assert_eq!(map.number_of(&seg), n);
            prev = seg;
        }
        let far = map.by_number(1 + 10 * 1_000_000).unwrap();
        assert_eq!((far.loop_count, far.index), (1_000_000, 0));
        assert_eq!(far.start, 1_000_000 * 176_400 * 10);
        // 3 segments in a loop of 1,000 ticks: a timescale three times the
        // media's makes the average whole.
        let v = rep(1000, 3, 333, 334, 10);
        let t = NumberTiming::new(&v, &v).unwrap();
        assert_eq!(
            (t.timescale, t.duration, t.presentation_time_offset),
            (3000, 1000, 30)
        );
    }

    #[test]
    fn a_media_start_time_is_kept_in_decode_times() {
        let video = rep(1000, 4, 2000, 2000, 500);
        let map = LoopMap::new(&video, &video).unwrap();
        assert_eq!(map.media_start, 500);
        let seg = map.by_time(500 + 8000 + 2000).unwrap();
        assert_eq!((seg.loop_count, seg.index, seg.time_shift), (1, 1, 8000));
        assert_eq!(map.by_time(2000), None);
    }

    #[test]
    fn the_window_edges() {
        let video = rep(1000, 10, 2000, 2000, 0);
        let map = LoopMap::new(&video, &video).unwrap();
        let timing = LiveTiming::new(
            &opts("start=2022-09-06T15:00:00Z&depth=30&leeway=0"),
            NOW + 1_000,
            false,
            2000,
        )
        .unwrap();
        // 601 s elapsed: segments of 2 s, the one starting at 598 s is the newest complete.
        let (oldest, newest) = map.number_window(&timing);
        assert_eq!(newest, 1 + 598 / 2);
        let seg = map.by_number(newest).unwrap();
        assert!(map.available(&timing, seg.start, seg.duration));
        let next = map.by_number(newest + 1).unwrap();
        assert!(!map.available(&timing, next.start, next.duration));
        let first = map.by_number(oldest).unwrap();
        assert!(map.available(&timing, first.start, first.duration));
        // The oldest holds the window's start (571 s: the one from 570 s);
        // the one before ends at the window's start, and is gone.
        assert_eq!(first.start, 570_000);
        let gone = map.by_number(oldest - 1).unwrap();
        assert!(!map.available(&timing, gone.start, gone.duration));
        // The segment in progress completes in 1 s; the one after it is
        // more than a segment away.
        assert_eq!(map.ms_until_complete(&timing, &next), Some(1_000));
        let after = map.by_number(newest + 2).unwrap();
        assert_eq!(map.ms_until_complete(&timing, &after), None);
        assert_eq!(map.ms_until_complete(&timing, &seg), None, "complete");
        let (t, durations) = map.timeline(&timing);
        assert_eq!(t, first.start);
        assert_eq!(t + durations.iter().sum::<u64>(), next.start);
        let runs = map.timeline_runs(&timing);
        assert_eq!(runs, crate::mpd::timeline::entries(t, durations));
    }
}
