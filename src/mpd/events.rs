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

/// One SCTE-35 `<Event>` found in an MPD, decoded.
#[derive(Debug, Clone, Serialize)]
pub struct FoundScte35 {
    pub scheme_id_uri: String,
    pub id: Option<String>,
    pub presentation_time: Option<String>,
    pub duration: Option<String>,
    /// The splice_info_section, or why it does not decode.
    pub section: Result<crate::scte35::SpliceInfoSection, String>,
}

/// Every `<scte35:Binary>` of every SCTE-35 `EventStream` of an MPD, with
/// its Event's attributes (for `dashlive inspect`).
pub fn find_scte35(xml: &str) -> Result<Vec<FoundScte35>, quick_xml::Error> {
    use quick_xml::events::Event as X;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut scheme = String::new();
    let mut event: Option<[Option<String>; 3]> = None;
    let mut in_binary = false;
    let mut text = String::new();
    let mut out = Vec::new();
    let attr = |e: &quick_xml::events::BytesStart, name: &[u8]| {
        e.try_get_attribute(name)
            .ok()
            .flatten()
            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
    };
    loop {
        match reader.read_event()? {
            X::Start(e) | X::Empty(e) if e.local_name().as_ref() == b"EventStream" => {
                scheme = attr(&e, b"schemeIdUri").unwrap_or_default();
            }
            X::Start(e) if e.local_name().as_ref() == b"Event" => {
                event = Some([
                    attr(&e, b"id"),
                    attr(&e, b"presentationTime"),
                    attr(&e, b"duration"),
                ]);
            }
            X::Start(e) if e.local_name().as_ref() == b"Binary" => {
                in_binary = true;
                text.clear();
            }
            X::Text(t) if in_binary => text.push_str(&t.decode().unwrap_or_default()),
            X::End(e) if e.local_name().as_ref() == b"Binary" => {
                in_binary = false;
                if !crate::scte35::is_scte35_scheme(&scheme) {
                    continue;
                }
                let [id, presentation_time, duration] = event.clone().unwrap_or_default();
                let section = base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map_err(|e| format!("base64: {e}"))
                    .and_then(|b| {
                        crate::scte35::SpliceInfoSection::decode(&b).map_err(|e| e.to_string())
                    });
                out.push(FoundScte35 {
                    scheme_id_uri: scheme.clone(),
                    id,
                    presentation_time,
                    duration,
                    section,
                });
            }
            X::Eof => return Ok(out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scte35_events_of_an_mpd_are_found_and_decoded() {
        let (o, _) = crate::options::Options::parse_query(
            "events=scte35&scte35__count=2",
            crate::options::Mode::Vod,
        )
        .unwrap();
        let g = crate::events::generators(&o);
        let e = g[0].event(1);
        let xml = format!(
            r#"<MPD><Period><EventStream schemeIdUri="urn:scte:scte35:2014:xml+bin"><Event id="1" presentationTime="1000">{}</Event><Event id="2"><scte35:Signal xmlns:scte35="x"><scte35:Binary>AAAA</scte35:Binary></scte35:Signal></Event></EventStream></Period></MPD>"#,
            content(&g[0], &e)
        );
        let found = find_scte35(&xml).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].id.as_deref(), Some("1"));
        assert_eq!(found[0].presentation_time.as_deref(), Some("1000"));
        let s = found[0].section.as_ref().unwrap();
        assert_eq!(s, &crate::events::scte35_section(&g[0], &e));
        assert!(found[1].section.as_ref().unwrap_err().contains("table_id"));
    }
}
