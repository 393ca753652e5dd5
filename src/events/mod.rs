//! DASH events (reference §6): the `ping` and `scte35` generators that
//! `events=` turns on, each configured by its `ping__*` / `scte35__*`
//! sub-options.
//!
//! A generator's events are a pure function of its options: event `k`
//! starts at `start + k × interval` (event timescale) on the presentation
//! timeline of the Period (live: since the availability start, so ids and
//! times keep counting across loops of the content), lasts `duration`, has
//! id `k`, and there are `count` of them (0 = no end; then the MPD lists
//! none). In-band, a video segment carries, as `emsg` boxes, exactly the
//! events whose start lies in its presentation interval, so each is sent
//! once; in the MPD (`inband=0`) the Period's `EventStream` lists them.

mod payload;

use crate::mp4::boxes::Emsg;
use crate::options::Options;
use std::ops::Range;

pub use payload::scte35_section;

/// The ping/pong scheme dash-live defined.
pub const PING_SCHEME: &str = "urn:dash-live:pingpong:2022";
/// SCTE 214-1: XML+binary in the MPD, the binary section in `emsg`.
pub const SCTE35_SCHEME: &str = "urn:scte:scte35:2014:xml+bin";
/// The namespace of `<scte35:Signal>` in an MPD Event.
pub const SCTE35_XMLNS: &str = "http://www.scte.org/schemas/35/2016";

/// The most events one segment may carry: more is a query asking for
/// unbounded work (a 1-tick interval at a 4 GHz timescale), refused.
pub const MAX_EVENTS_PER_SEGMENT: u64 = 1000;
/// The most events an MPD lists (of `count`, those in the Period or window).
pub const MAX_MPD_EVENTS: u64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ping,
    Scte35,
}

impl Kind {
    /// The option group (`ping`, `scte35`) and the `events=` name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ping => "ping",
            Kind::Scte35 => "scte35",
        }
    }

    pub fn scheme_id_uri(self) -> &'static str {
        match self {
            Kind::Ping => PING_SCHEME,
            Kind::Scte35 => SCTE35_SCHEME,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error(
        "{kind}__interval={interval} at {kind}__timescale={timescale} puts {count} events in one \
         segment; at most {max} are allowed: use a longer interval"
    )]
    TooMany {
        kind: &'static str,
        interval: u64,
        timescale: u32,
        count: u128,
        max: u64,
    },
    #[error(
        "{kind}__count, __interval and __start put {count} events in the MPD: at most {max} \
         are allowed"
    )]
    TooManyInMpd {
        kind: &'static str,
        count: u64,
        max: u64,
    },
}

/// One event of a generator, in its timescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// `k`; written as the 32-bit id of `emsg` and of the splice, wrapping.
    pub id: u64,
    /// On the Period's presentation timeline.
    pub presentation_time: u64,
    pub duration: u32,
}

/// One `events=` generator with its sub-options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generator {
    pub kind: Kind,
    /// `@value` of the event stream (SCTE-35 has none by default).
    pub value: Option<String>,
    pub timescale: u32,
    pub start: u64,
    pub interval: u64,
    pub duration: u32,
    /// 0 = no end.
    pub count: u64,
    pub inband: bool,
    /// `emsg` version: SCTE-35 in-band is always 1 (§6).
    pub version: u8,
    /// SCTE-35 `unique_program_id`.
    pub program_id: u16,
}

/// A media segment's presentation interval `[start, end)` in `timescale`
/// ticks, and the Period's presentation time offset (the media's first
/// decode time) that turns it into decode times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: u64,
    pub end: u64,
    pub timescale: u32,
    pub offset: u64,
}

/// The generators `events=` asks for, in its order.
pub fn generators(opts: &Options) -> Vec<Generator> {
    opts.event_types()
        .iter()
        .filter_map(|name| match name.as_str() {
            "ping" => Some(Kind::Ping),
            "scte35" => Some(Kind::Scte35),
            _ => None,
        })
        .map(|kind| Generator::new(kind, opts))
        .collect()
}

impl Generator {
    fn new(kind: Kind, opts: &Options) -> Generator {
        let group = kind.name();
        // The table bounds every one of these (`range`, `choices`).
        let int = |field: &str| opts.int_or_default(&format!("{group}.{field}"));
        let inband = opts.flag(&format!("{group}.inband"));
        let version = match kind {
            Kind::Scte35 if inband => 1,
            _ => u8::try_from(int("version")).unwrap_or(0),
        };
        Generator {
            kind,
            value: opts.text(&format!("{group}.value")).map(String::from),
            timescale: u32::try_from(int("timescale")).unwrap_or(1).max(1),
            start: u64::try_from(int("start")).unwrap_or(0),
            interval: u64::try_from(int("interval")).unwrap_or(1).max(1),
            duration: u32::try_from(int("duration")).unwrap_or(0),
            count: u64::try_from(int("count")).unwrap_or(0),
            inband,
            version,
            program_id: u16::try_from(int("program_id")).unwrap_or(0),
        }
    }

    pub fn event(&self, k: u64) -> Event {
        Event {
            id: k,
            presentation_time: self.start.saturating_add(k.saturating_mul(self.interval)),
            duration: self.duration,
        }
    }

    /// The `k` of the events that start in `span`: an event belongs to the
    /// segment whose interval holds its start, compared exactly (no
    /// rounding between the two timescales), so it is in exactly one.
    pub fn starting_in(&self, span: Span) -> Result<Range<u64>, EventError> {
        let from = self.first_at_or_after(span.start, span.timescale);
        let to = self.first_at_or_after(span.end, span.timescale);
        let to = match self.count {
            0 => to,
            n => to.min(u128::from(n)),
        };
        let n = to.saturating_sub(from);
        if n > u128::from(MAX_EVENTS_PER_SEGMENT) {
            return Err(EventError::TooMany {
                kind: self.kind.name(),
                interval: self.interval,
                timescale: self.timescale,
                count: n,
                max: MAX_EVENTS_PER_SEGMENT,
            });
        }
        // n ≤ the maximum, so `from` fits when `to` does; past u64 no event
        // time is representable anyway.
        match (u64::try_from(from), u64::try_from(to)) {
            (Ok(from), Ok(to)) if from < to => Ok(from..to),
            _ => Ok(0..0),
        }
    }

    /// The smallest `k` whose event starts at or after `ticks` / `timescale` s.
    fn first_at_or_after(&self, ticks: u64, timescale: u32) -> u128 {
        // start + k × interval ≥ ticks × ets / ts, in integers:
        // (start + k × interval) × ts ≥ ticks × ets.
        let ts = u128::from(timescale.max(1));
        let target = u128::from(ticks) * u128::from(self.timescale);
        let first = u128::from(self.start) * ts;
        if target <= first {
            return 0;
        }
        let step = u128::from(self.interval) * ts;
        (target - first).div_ceil(step)
    }

    /// The in-band `emsg` boxes of a segment, or none when this generator's
    /// events go in the MPD.
    pub fn emsgs(&self, span: Span) -> Result<Vec<Emsg>, EventError> {
        if !self.inband {
            return Ok(Vec::new());
        }
        let ets = u128::from(self.timescale);
        let ts = u128::from(span.timescale.max(1));
        // The segment's start and the presentation time offset in the
        // event timescale (floored: v0 deltas count from the segment start).
        let seg_start = u64::try_from(u128::from(span.start) * ets / ts).unwrap_or(u64::MAX);
        let offset = u64::try_from(u128::from(span.offset) * ets / ts).unwrap_or(u64::MAX);
        Ok(self
            .starting_in(span)?
            .map(|k| {
                let e = self.event(k);
                Emsg {
                    version: self.version,
                    scheme_id_uri: self.kind.scheme_id_uri().to_string(),
                    value: self.value.clone().unwrap_or_default(),
                    timescale: self.timescale,
                    presentation_time: match self.version {
                        0 => e.presentation_time.saturating_sub(seg_start),
                        // On the media timeline, as a player reads emsg v1.
                        _ => e.presentation_time.saturating_add(offset),
                    },
                    event_duration: e.duration,
                    id: e.id as u32,
                    message_data: self.payload(&e),
                }
            })
            .collect())
    }

    /// The events an MPD `EventStream` lists (the first `count`; none when
    /// `count` is 0, as dash-live) that start in `[from, to)` and end at or
    /// after `not_before` (event ticks).
    pub fn mpd_events(
        &self,
        from: u64,
        to: u64,
        not_before: u64,
    ) -> Result<Vec<Event>, EventError> {
        let lower = from.max(not_before.saturating_sub(u64::from(self.duration)));
        let first = |t: u64| match t.checked_sub(self.start) {
            None | Some(0) => 0,
            Some(d) => d.div_ceil(self.interval),
        };
        let (lo, hi) = (first(lower), first(to).min(self.count));
        let n = hi.saturating_sub(lo);
        if n > MAX_MPD_EVENTS {
            return Err(EventError::TooManyInMpd {
                kind: self.kind.name(),
                count: n,
                max: MAX_MPD_EVENTS,
            });
        }
        Ok((lo..hi).map(|k| self.event(k)).collect())
    }

    /// The message of an event: `ping`/`pong`, or the SCTE-35 section.
    pub fn payload(&self, e: &Event) -> Vec<u8> {
        match self.kind {
            Kind::Ping if e.id % 2 == 0 => b"ping".to_vec(),
            Kind::Ping => b"pong".to_vec(),
            Kind::Scte35 => scte35_section(self, e).encode(),
        }
    }
}

#[cfg(test)]
mod tests;
