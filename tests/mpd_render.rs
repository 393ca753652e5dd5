//! Rendering manifests: well-formed XML, valid against the DASH schema (with
//! xmllint, where installed), and the shape of dash-live's golden files.

mod common;

use std::process::Command;

use dashlive::media::Representation;
use dashlive::mpd::context::ManifestOptions;
use dashlive::mpd::registry::Mode;

fn render(reps: &[Representation], manifest: &str, mode: Mode, opts: &ManifestOptions) -> String {
    common::render_bbb(reps, manifest, mode, opts)
}

/// Validates with xmllint against ../shared/reference/schema when both exist.
pub fn schema_valid(xml: &str, name: &str) {
    let Some(schema) = common::schema_path() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(format!("{name}.mpd"));
    std::fs::write(&f, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&schema)
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name} is not schema-valid:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn hand_made_vod_for_bbb() {
    let Some(dir) = common::bbb_dir("hand_made_vod_for_bbb") else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    let xml = render(&reps, "hand_made", Mode::Vod, &ManifestOptions::default());
    common::well_formed(&xml, "hand_made");
    schema_valid(&xml, "hand_made_vod");
    assert!(
        xml.contains(r#"mediaPresentationDuration="PT40S""#),
        "{xml}"
    );
    assert!(xml.contains("<BaseURL>http://unit.test/dash/vod/bbb/</BaseURL>"));
    // Clear video reps by bitrate, AAC audio only (acodec=mp4a), stpp text.
    let ids: Vec<&str> = xml
        .match_indices("Representation id=\"")
        .map(|(i, _)| &xml[i + 19..i + 25])
        .collect();
    assert_eq!(ids, ["bbb_v7", "bbb_v6", "bbb_a1", "bbb_t1"], "{xml}");
    assert!(xml.contains(r#"media="$RepresentationID$/$Number$.m4v""#));
    // The presentation's average, 40 s / 10: the nominal 176,355 (last
    // start / 9) would make a 40 s Period hold 11 segments of 10.
    assert!(
        xml.contains(r#"duration="176400""#),
        "audio average segment duration"
    );
    println!("{xml}");
}

#[test]
fn hand_made_timeline_odvod_and_options() {
    let Some(dir) = common::bbb_dir("hand_made_timeline_odvod") else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    let timeline = ManifestOptions {
        timeline: true,
        abr: false,
        audio_codec: "any".into(),
        segment_queries: dashlive::mpd::context::SegmentQueries::all("a=1&b=2"),
        ..ManifestOptions::default()
    };
    let xml = render(&reps, "hand_made", Mode::Vod, &timeline);
    common::well_formed(&xml, "hand_made");
    schema_valid(&xml, "hand_made_vod_timeline");
    assert!(xml.contains(r#"<S t="0" d="176128" r="2"/>"#), "{xml}");
    assert!(
        xml.contains("time/$Time$.m4a?a=1&amp;b=2"),
        "query escaped: {xml}"
    );
    assert!(
        !xml.contains("bbb_v6\""),
        "abr=0 keeps the lowest video bitrate only"
    );
    assert!(
        xml.contains("tag:dolby.com,2014:dash:audio_channel_configuration:2011\" value=\"F801\"")
    );
    let od = render(&reps, "hand_made", Mode::Odvod, &ManifestOptions::default());
    common::well_formed(&od, "hand_made odvod");
    schema_valid(&od, "hand_made_odvod");
    assert!(
        od.contains("<BaseURL>bbb_v6.mp4</BaseURL>") && od.contains("<Initialization range=\"0-"),
        "{od}"
    );
}

/// The values of dash-live's golden hand_made_live.mpd (`?start=today&time=xsd`
/// at 2022-09-06T15:10:00Z), through the same pipeline the origin uses.
#[test]
fn hand_made_live_for_bbb() {
    use dashlive::mpd::manifest::{render_manifest, ManifestQuery};
    use dashlive::mpd::request::Defaults;
    let Some(dir) = common::bbb_dir("hand_made_live_for_bbb") else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    let defaults = Defaults::new();
    let stream = common::bbb_view(&reps, &defaults);
    let render = |query: &str, now_ms: i64, now_override: bool| {
        let q = ManifestQuery {
            def: dashlive::mpd::registry::find("hand_made").unwrap(),
            mode: Mode::Live,
            site_defaults: &defaults,
            query,
            now_ms,
            now_override,
            site_url: Some("http://unit.test/".into()),
            manifest_url: Some(format!(
                "http://unit.test/dash/live/bbb/hand_made.mpd?{query}"
            )),
        };
        let renderer = dashlive::mpd::render::Renderer::new().unwrap();
        render_manifest(&renderer, &stream, &q).unwrap().xml
    };
    let xml = render("start=today&time=xsd", common::GOLDEN_NOW_MS, false);
    common::well_formed(&xml, "hand_made_live");
    schema_valid(&xml, "hand_made_live");
    for want in [
        r#"type="dynamic""#,
        r#"availabilityStartTime="2022-09-06T00:00:00Z""#,
        r#"publishTime="2022-09-06T15:10:00Z""#,
        r#"minimumUpdatePeriod="PT8S""#,
        r#"timeShiftBufferDepth="PT30M""#,
        r#"suggestedPresentationDelay="PT30S""#,
        r#"<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-xsdate:2014" value="http://unit.test/time/xsd"/>"#,
        r#"<BaseURL>http://unit.test/dash/live/bbb/</BaseURL>"#,
        r#"startNumber="1" timescale="240" duration="960""#,
        r#"media="$RepresentationID$/$Number$.m4v?start=2022-09-06T00:00:00Z""#,
        r#"initialization="$RepresentationID$/init.m4a?start=2022-09-06T00:00:00Z""#,
    ] {
        assert!(xml.contains(want), "missing {want}:\n{xml}");
    }
    assert!(!xml.contains("mediaPresentationDuration"), "{xml}");
    // Live $Number$: the AAC template's duration is the 40 s loop over its 10
    // segments (176,400 at 44.1 kHz), not the media's nominal 176,355, so
    // numbers never drift from the content.
    assert!(
        xml.contains(r#"startNumber="1" timescale="44100" duration="176400""#),
        "{xml}"
    );

    // A timeline covers the window: 30 s of 4 s segments ending at the
    // newest complete one, with the clock pinned by `now` in every URL.
    let xml = render(
        "start=today&timeline=1&depth=30",
        common::GOLDEN_NOW_MS + 2_000,
        true,
    );
    schema_valid(&xml, "hand_made_live_timeline");
    let now = common::GOLDEN_NOW_MS + 2_000;
    assert!(
        xml.contains(&format!(
            "time/$Time$.m4v?depth=30&amp;start=2022-09-06T00:00:00Z&amp;now={now}"
        )),
        "{xml}"
    );
    // 15:10:02 is 54602 s into the day; the newest complete video segment
    // starts at 54596 s, the window starts at 54572 s.
    let first_t = 54_572 * 240;
    assert!(
        xml.contains(&format!(r#"<S t="{first_t}" d="960" r="6"/>"#)),
        "{xml}"
    );
    // A player 30 s behind the edge of a 30 s window would sit on the segment
    // about to leave it: a short window gets half its length as the delay.
    assert!(
        xml.contains(r#"timeShiftBufferDepth="PT30S" suggestedPresentationDelay="PT15S""#),
        "{xml}"
    );
}

/// The origin's cache of resolved options changes nothing: every render
/// through it equals a fresh one, as the clock moves across a day (so
/// `start=today` moves) and with the clock pinned.
#[test]
fn cached_options_render_what_fresh_ones_do() {
    use dashlive::mpd::manifest::{
        render_manifest, render_manifest_with, ManifestQuery, OptionsCache,
    };
    use dashlive::mpd::request::Defaults;
    let Some(dir) = common::bbb_dir("cached_options_render_what_fresh_ones_do") else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    let defaults = Defaults::new();
    let stream = common::bbb_view(&reps, &defaults);
    let renderer = dashlive::mpd::render::Renderer::new().unwrap();
    let cache = OptionsCache::new();
    const DAY_MS: i64 = 86_400_000;
    for round in 0..2 {
        for query in [
            "",
            "timeline=1",
            "start=today&depth=30",
            "start=now&abr=0",
            "time=xsd",
        ] {
            for now_ms in [
                common::GOLDEN_NOW_MS,
                common::GOLDEN_NOW_MS + 2_000,
                common::GOLDEN_NOW_MS + DAY_MS,
            ] {
                for (mode, now_override) in
                    [(Mode::Live, false), (Mode::Live, true), (Mode::Vod, false)]
                {
                    let q = ManifestQuery {
                        def: dashlive::mpd::registry::find("hand_made").unwrap(),
                        mode,
                        site_defaults: &defaults,
                        query,
                        now_ms,
                        now_override,
                        site_url: Some("http://unit.test/".into()),
                        manifest_url: None,
                    };
                    let fresh = render_manifest(&renderer, &stream, &q).unwrap().xml;
                    let cached = render_manifest_with(&renderer, &stream, &q, Some(&cache))
                        .unwrap()
                        .xml;
                    assert_eq!(cached, fresh, "round {round}, {query:?} at {now_ms}");
                }
            }
        }
    }
}

/// The largest live manifest a request can ask for: a day-long window with
/// a SegmentTimeline, on BBB (whose 44.1 kHz AAC segments vary, so its
/// timeline has a run every few segments): bounded, and still valid.
#[test]
fn the_largest_live_manifest_is_bounded() {
    let Some(dir) = common::bbb_dir("the_largest_live_manifest_is_bounded") else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    let defaults = dashlive::options::Defaults::new();
    let view = common::bbb_view(&reps, &defaults);
    let renderer = dashlive::mpd::render::Renderer::new().unwrap();
    let def = dashlive::mpd::registry::find("hand_made").unwrap();
    let query = |q: &'static str| dashlive::mpd::manifest::ManifestQuery {
        def,
        mode: Mode::Live,
        site_defaults: &defaults,
        query: q,
        now_ms: common::GOLDEN_NOW_MS,
        now_override: false,
        site_url: Some("http://unit.test/".into()),
        manifest_url: None,
    };
    let m = dashlive::mpd::manifest::render_manifest(
        &renderer,
        &view,
        &query("depth=86400&timeline=1&start=epoch"),
    )
    .unwrap();
    eprintln!("BBB, depth=86400&timeline=1: {} bytes", m.xml.len());
    assert!(m.xml.len() < 4 << 20, "{} bytes", m.xml.len());
    assert!(m.xml.contains(r#"timeShiftBufferDepth="PT24H""#));
    schema_valid(&m.xml, "bbb_day_timeline");
    // One more second is refused, naming the range.
    let e = dashlive::mpd::manifest::render_manifest(&renderer, &view, &query("depth=86401"))
        .unwrap_err()
        .to_string();
    assert_eq!(e, "depth=86401: expected an integer from 0 to 86400");
}
