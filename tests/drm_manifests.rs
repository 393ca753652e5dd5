//! DRM signalling in manifests, through the request pipeline the origin
//! uses: with `drm` the encrypted BBB copies replace the clear ones and
//! carry dash-live's `ContentProtection` elements; every template, mode,
//! system and location renders, and adds no schema error of its own.

mod common;

use dashlive::mpd::registry::{Mode, MANIFESTS};

fn render(
    reps: &[dashlive::media::Representation],
    manifest: &str,
    mode: Mode,
    query: &str,
) -> String {
    common::render_bbb_query(reps, manifest, mode, query, common::GOLDEN_NOW_MS).xml
}

/// The `ContentProtection` lines of the first adaptation set, trimmed.
fn first_protection(xml: &str) -> Vec<String> {
    let start = xml.find("<ContentProtection").expect("protection");
    xml[start..]
        .lines()
        .map(|l| l.trim().to_string())
        .take_while(|l| {
            ![
                "<ContentComponent",
                "<SegmentTemplate",
                "<Role",
                "<Representation",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .collect()
}

/// xmllint's complaints about `xml` (none when it validates).
fn schema_errors(schema: &std::path::Path, xml: &str, name: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(format!("{name}.mpd"));
    std::fs::write(&f, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(schema)
        .arg(&f)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.ends_with(" validates") && !l.ends_with(" fails to validate"))
        .map(String::from)
        .collect()
}

#[test]
fn drm_all_serves_the_encrypted_copies_signalled_as_dash_live_does() {
    let Some(dir) = common::bbb_dir("drm_all_serves_the_encrypted_copies") else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    for (mode, golden) in [
        (Mode::Vod, "hand_made_vod_enc.mpd"),
        (Mode::Live, "hand_made_live_enc.mpd"),
    ] {
        let xml = render(&reps, "hand_made", mode, "drm=all");
        let want = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/reference/golden")
                .join(golden),
        );
        if let Ok(want) = want {
            assert_eq!(first_protection(&xml), first_protection(&want), "{golden}");
        }
        assert!(xml.contains("id=\"bbb_v6_enc\"") && !xml.contains("id=\"bbb_v6\""));
        assert!(xml.contains("id=\"bbb_a1_enc\"") && !xml.contains("id=\"bbb_a1\""));
        // Segment URLs carry the option: a cache never mixes the variants.
        assert!(xml.contains(".m4v?drm=all"), "{xml}");
    }
    // Without drm the clear copies, unprotected.
    let clear = render(&reps, "hand_made", Mode::Vod, "");
    assert!(!clear.contains("ContentProtection") && !clear.contains("_enc"));
}

#[test]
fn locations_and_playready_options_change_what_is_written() {
    let Some(dir) = common::bbb_dir("locations_and_playready_options") else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    let pro = render(&reps, "hand_made", Mode::Vod, "drm=playready-pro");
    assert!(pro.contains("<mspr:pro>") && !pro.contains("<cenc:pssh>"));
    assert!(!pro.contains("ClearKey1.0") && !pro.contains("MarlinContentId"));
    let moov = render(&reps, "hand_made", Mode::Vod, "drm=clearkey-moov");
    assert!(moov.contains("ClearKey1.0") && !moov.contains("<cenc:pssh>"));
    let wv = render(&reps, "hand_made", Mode::Vod, "drm=widevine");
    assert!(wv.contains("urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed\" value=\"Widevine\""));
    let la = render(
        &reps,
        "hand_made",
        Mode::Vod,
        "drm=playready-pro&playready__la_url=https%3A%2F%2Fla.test%2F%3Fk%3D%7Bkids%7D",
    );
    let pro = la
        .split("<mspr:pro>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dashlive"))
        .args(["inspect", pro])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("<LA_URL>https://la.test/?k=1ab45440532c439994dc5c5ad9584bac</LA_URL>"),
        "{text}"
    );
    let v1 = render(
        &reps,
        "hand_made",
        Mode::Vod,
        "drm=playready&playready__version=1.0",
    );
    assert!(v1.contains("urn:uuid:79f0049a-4098-8642-ab92-e65be0885f95"));
    assert!(
        !v1.contains("<cenc:pssh>"),
        "PlayReady 1.0 reads no cenc:pssh"
    );
}

#[test]
fn every_template_mode_and_location_renders_without_new_schema_errors() {
    let Some(dir) = common::bbb_dir("every_template_mode_and_location_renders") else {
        return;
    };
    let schema = common::schema_path();
    let reps = common::bbb_reps(&dir);
    for def in MANIFESTS {
        for &mode in def.modes {
            let name = format!("{}_{}", def.name, mode.as_str());
            let baseline = schema
                .as_ref()
                .map(|s| schema_errors(s, &render(&reps, def.name, mode, ""), &name).len());
            for drm in [
                "all",
                "all-pro",
                "all-cenc",
                "all-moov",
                "playready-cenc-pro",
                "clearkey-cenc,widevine-cenc",
            ] {
                if mode == Mode::Odvod && drm.ends_with("moov") {
                    // The on-demand files' init has no pssh (src/drm/on_demand.rs).
                    let err = common::try_render_bbb_query(
                        &reps,
                        def.name,
                        mode,
                        &format!("drm={drm}"),
                        common::GOLDEN_NOW_MS,
                    )
                    .unwrap_err();
                    assert!(err.is_bad_request(), "{name} drm={drm}: {err}");
                    continue;
                }
                let xml = render(&reps, def.name, mode, &format!("drm={drm}"));
                common::well_formed(&xml, &name);
                let takes_drm = def.features.contains(&"drmSelection")
                    && !def.restrictions.contains(&("drmSelection", "none"));
                assert_eq!(
                    xml.contains("ContentProtection"),
                    takes_drm,
                    "{name} drm={drm}"
                );
                if let (Some(s), Some(base)) = (&schema, baseline) {
                    let errors = schema_errors(s, &xml, &format!("{name}_drm"));
                    assert!(errors.len() <= base, "{name} drm={drm}: {errors:#?}");
                }
            }
        }
    }
}
