//! Rendering manifests: well-formed XML, valid against the DASH schema (with
//! xmllint, where installed), and the shape of dash-live's golden files.

mod common;

use std::path::PathBuf;
use std::process::Command;

use dashlive::media::Representation;
use dashlive::mpd::context::ManifestOptions;
use dashlive::mpd::registry::Mode;

fn render(reps: &[Representation], manifest: &str, mode: Mode, opts: &ManifestOptions) -> String {
    common::render_bbb(reps, manifest, mode, opts)
}

/// Validates with xmllint against ../shared/reference/schema when both exist.
pub fn schema_valid(xml: &str, name: &str) {
    let schema =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/schema/DASH-MPD.xsd");
    let have = Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !schema.is_file() || !have {
        let required = std::env::var("DASHLIVE_REQUIRE_XMLLINT").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{name}: DASHLIVE_REQUIRE_XMLLINT=1 but xmllint or the schema is missing"
        );
        eprintln!(
            "{name}: schema check skipped: xmllint or {} missing",
            schema.display()
        );
        return;
    }
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
    assert!(
        xml.contains(r#"duration="176355""#),
        "audio nominal segment duration"
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
        segment_query: "a=1&b=2".into(),
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
