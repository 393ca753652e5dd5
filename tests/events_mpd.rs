//! Manifests with events (reference §6) for the BBB stream, in every mode
//! of every template with the events feature: in-band streams on the video
//! AdaptationSet, MPD EventStreams with ping and SCTE-35 Events, all valid
//! against the DASH schema, and the SCTE-35 binary in an Event decodes.

mod common;

use base64::Engine as _;
use dashlive::mpd::manifest::{render_manifest, ManifestQuery};
use dashlive::mpd::registry::{find, Mode, MANIFESTS};
use dashlive::mpd::render::Renderer;
use dashlive::mpd::request::Defaults;

const QUERIES: &[&str] = &[
    "events=ping,scte35",
    "events=ping,scte35&ping__version=1&ping__value=v&scte35__value=s",
    "events=ping,scte35&ping__inband=0&scte35__inband=0&ping__count=30&scte35__count=30\
     &scte35__interval=2000&ping__start=50&start=now",
    "events=scte35&scte35__inband=0&scte35__count=4&timeline=1&start=now",
];

/// Clocks for live: the golden one, and one beside a loop boundary of BBB.
const TIMES: &[i64] = &[common::GOLDEN_NOW_MS, 1_698_192_000_000 + 1_000];

fn render(
    reps: &[dashlive::media::Representation],
    manifest: &str,
    mode: Mode,
    query: &str,
    now_ms: i64,
) -> String {
    let defaults = Defaults::new();
    let stream = common::bbb_view(reps, &defaults);
    let q = ManifestQuery {
        def: find(manifest).unwrap(),
        mode,
        site_defaults: &defaults,
        query,
        now_ms,
        now_override: false,
        site_url: Some("http://unit.test/".into()),
        manifest_url: None,
    };
    let renderer = Renderer::new().unwrap();
    let m = render_manifest(&renderer, &stream, &q).unwrap();
    assert!(
        m.warnings.is_empty(),
        "{manifest}?{query}: {:?}",
        m.warnings
    );
    m.xml
}

#[test]
fn manifests_with_events_are_schema_valid_in_every_template_and_mode() {
    let Some(dir) = common::bbb_dir("manifests_with_events_are_schema_valid") else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    let with_events: Vec<_> = MANIFESTS
        .iter()
        .filter(|m| m.features.contains(&"eventTypes"))
        .collect();
    assert_eq!(
        with_events.iter().map(|m| m.name).collect::<Vec<_>>(),
        ["hand_made", "manifest_n"],
        "docs/templates.md and the README name these"
    );
    let mut docs = Vec::new();
    for def in with_events {
        for &mode in def.modes.iter().filter(|m| **m != Mode::Odvod) {
            let times: &[i64] = if mode == Mode::Live {
                TIMES
            } else {
                &TIMES[..1]
            };
            for (i, query) in QUERIES.iter().enumerate() {
                for (t, now) in times.iter().enumerate() {
                    let xml = render(&reps, def.name, mode, query, *now);
                    let name = format!("{}_{}_q{i}_t{t}", def.name, mode.as_str());
                    common::well_formed(&xml, &name);
                    let inband = !query.contains("scte35__inband=0");
                    assert_eq!(xml.contains("<InbandEventStream"), inband, "{name}\n{xml}");
                    if !inband {
                        assert!(xml.contains("<EventStream"), "{name}\n{xml}");
                        check_scte35_events(&xml, &name);
                    }
                    docs.push((name, xml));
                }
            }
        }
    }
    let Some(schema) = common::schema_path() else {
        return;
    };
    common::assert_schema_valid(&schema, &docs);
}

/// Every `<scte35:Binary>` is a splice_insert whose id is its Event's.
fn check_scte35_events(xml: &str, name: &str) {
    let mut seen = 0;
    for part in xml.split("<Event ").skip(1) {
        let Some(b64) = part
            .split("<scte35:Binary>")
            .nth(1)
            .and_then(|s| s.split("</scte35:Binary>").next())
        else {
            continue;
        };
        let id: u32 = part
            .split("id=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let s = dashlive::scte35::SpliceInfoSection::decode(&bytes).unwrap();
        let dashlive::scte35::SpliceCommand::Insert(i) = s.command else {
            panic!("{name}: {s:?}")
        };
        assert_eq!(i.splice_event_id, id, "{name}");
        seen += 1;
    }
    assert!(seen > 0, "{name}: no SCTE-35 Event\n{xml}");
}
