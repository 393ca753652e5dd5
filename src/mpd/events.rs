//! The event streams a manifest shows (reference §6): `InbandEventStream`
//! on the video AdaptationSet for in-band generators, and a Period
//! `EventStream` with its `Event`s for the others.

use base64::Engine as _;
use serde::Serialize;

use crate::events::{EventError, Generator, Kind, SCTE35_XMLNS};
use crate::mpd::live::LiveTiming;

#[derive(Debug, Clone, Serialize)]
pub struct EventStreamContext {
    pub scheme_id_uri: &'static str,
    pub value: Option<String>,
    pub timescale: u32,
    /// The Period's start in the event timescale: `Event@presentationTime`
    /// counts from the presentation's start, this makes it Period-relative.
    pub presentation_time_offset: Option<u64>,
    pub events: Vec<EventContext>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventContext {
    /// 32 bits in the MPD; `k` wraps there as it does in `emsg`.
    pub id: u32,
    pub presentation_time: u64,
    pub duration: u32,
    /// The Event's content as XML, escaped already (`ping`, or a
    /// `<scte35:Signal>` with its namespace).
    pub content: String,
}

/// `<InbandEventStream>`s of the video AdaptationSet.
pub fn inband_streams(generators: &[Generator]) -> Vec<EventStreamContext> {
    generators
        .iter()
        .filter(|g| g.inband)
        .map(|g| EventStreamContext {
            scheme_id_uri: g.kind.scheme_id_uri(),
            value: g.value.clone(),
            timescale: g.timescale,
            presentation_time_offset: None,
            events: Vec::new(),
        })
        .collect()
}

/// The Period `<EventStream>`s of a Period starting `start_ms` after the
/// presentation and lasting `duration_ms`: the events of each MPD
/// generator (its first `count`) that start in the Period. Live, those that
/// ended before the time-shift window are left out (no player can reach
/// them); those still to come stay, so players can schedule them.
pub fn period_streams(
    generators: &[Generator],
    start_ms: u64,
    duration_ms: u64,
    live: Option<&LiveTiming>,
    last_period: bool,
) -> Result<Vec<EventStreamContext>, EventError> {
    let mut out = Vec::new();
    for g in generators.iter().filter(|g| !g.inband) {
        let ticks = |ms: u64| (u128::from(ms) * u128::from(g.timescale) / 1000) as u64;
        let from = ticks(start_ms);
        // The last Period of a live stream has no end.
        let to = match (live, last_period) {
            (Some(_), true) => u64::MAX,
            _ => ticks(start_ms.saturating_add(duration_ms)),
        };
        let window_start = live.map_or(0, |t| {
            let ms = t.elapsed_ms.saturating_sub(t.depth_s.saturating_mul(1000));
            ticks(u64::try_from(ms).unwrap_or(0))
        });
        let events = g
            .mpd_events(from, to, window_start)?
            .into_iter()
            .map(|e| EventContext {
                id: e.id as u32,
                presentation_time: e.presentation_time,
                duration: e.duration,
                content: content(g, &e),
            })
            .collect();
        out.push(EventStreamContext {
            scheme_id_uri: g.kind.scheme_id_uri(),
            value: g.value.clone(),
            timescale: g.timescale,
            presentation_time_offset: (from > 0).then_some(from),
            events,
        });
    }
    Ok(out)
}

fn content(g: &Generator, e: &crate::events::Event) -> String {
    match g.kind {
        // `ping` / `pong`: nothing to escape.
        Kind::Ping => String::from_utf8_lossy(&g.payload(e)).into_owned(),
        Kind::Scte35 => format!(
            "<scte35:Signal xmlns:scte35=\"{SCTE35_XMLNS}\"><scte35:Binary>{}</scte35:Binary></scte35:Signal>",
            base64::engine::general_purpose::STANDARD.encode(g.payload(e))
        ),
    }
}
