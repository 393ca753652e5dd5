//! The catalog: loading, every distinct error with its file, line and column,
//! import of dash-live upload files, and `dashlive catalog check`.

mod common;

use std::path::Path;
use std::process::Command;

use common::fmp4::{file, Spec};
use dashlive::catalog::{Catalog, CatalogError};

/// A config folder with two media files and the given stream files.
fn config(streams: &[(&str, &str)], site: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("streams")).unwrap();
    std::fs::create_dir_all(dir.path().join("media")).unwrap();
    std::fs::write(dir.path().join("media/v1.mp4"), file(&Spec::default())).unwrap();
    let audio = Spec {
        entry: *b"mp4a",
        timescale: 48_000,
        sample_duration: 1024,
        ..Spec::default()
    };
    std::fs::write(dir.path().join("media/a1.mp4"), file(&audio)).unwrap();
    for (name, text) in streams {
        std::fs::write(dir.path().join("streams").join(name), text).unwrap();
    }
    if let Some(s) = site {
        std::fs::write(dir.path().join("site.yaml"), s).unwrap();
    }
    dir
}

const GOOD: &str = "\
directory: demo
title: A demo
media:
  - ../media/v1.mp4
  - ../media/a1.mp4
timing_ref: v1
keys:
  - kid: c001de8e567b5fcfbc22c565ed5bda24
    key: 533a583a843436a536fbe2a5821c4b6c
  - kid: 1ab45440-532c-4399-94dc-5c5ad9584bac
    computed: true
defaults:
  abr: 0
";

fn errors(dir: &tempfile::TempDir) -> Vec<CatalogError> {
    Catalog::load(dir.path()).unwrap_err().0
}

#[test]
fn a_good_catalog_loads_and_indexes() {
    let dir = config(&[("demo.yaml", GOOD)], None);
    let c = Catalog::load(dir.path()).unwrap();
    assert_eq!(c.streams.len(), 1);
    let s = &c.streams[0];
    assert_eq!(
        (s.directory.as_str(), s.timing_ref.as_str()),
        ("demo", "v1")
    );
    assert!(s.media[0].ends_with("media/v1.mp4"));
    assert!(s.keys[1].computed);
    assert!(!s.keys[0].computed && s.keys[0].key.expose()[0] == 0x53);
    assert_eq!(
        c.site.manifests.len(),
        9,
        "all templates without a site.yaml"
    );
    let indexed = c.index().unwrap();
    let codecs: Vec<&str> = indexed[0]
        .representations
        .iter()
        .map(|r| r.codecs.as_str())
        .collect();
    assert_eq!(codecs, ["avc1.640028", "mp4a.40.2"]);
}

#[test]
fn unknown_fields_are_errors_at_their_line() {
    let text = GOOD.replace("title: A demo", "title: A demo\ncolour: red");
    let dir = config(&[("demo.yaml", &text)], None);
    let e = errors(&dir);
    let msg = e[0].to_string();
    assert!(
        matches!(e[0], CatalogError::Syntax { line: 3, .. }),
        "{msg}"
    );
    assert!(
        msg.contains("demo.yaml:3:") && msg.contains("unknown field `colour`"),
        "{msg}"
    );
}

#[test]
fn a_missing_media_file_names_its_list_item() {
    let text = GOOD.replace("../media/a1.mp4", "../media/gone.mp4");
    let dir = config(&[("demo.yaml", &text)], None);
    let e = errors(&dir);
    assert!(
        matches!(&e[0], CatalogError::MissingMedia { line: 5, column: 5, path, .. } if path.ends_with("gone.mp4")),
        "{}",
        e[0]
    );
}

#[test]
fn a_timing_ref_that_names_no_representation() {
    let text = GOOD.replace("timing_ref: v1", "timing_ref: v2.mp4");
    let dir = config(&[("demo.yaml", &text)], None);
    let e = errors(&dir);
    let msg = e[0].to_string();
    assert!(
        matches!(
            e[0],
            CatalogError::TimingRef {
                line: 6,
                column: 13,
                ..
            }
        ),
        "{msg}"
    );
    assert!(msg.contains("(it has v1, a1)"), "{msg}");
}

#[test]
fn two_streams_with_one_directory() {
    let dir = config(&[("a.yaml", GOOD), ("b.yaml", GOOD)], None);
    let e = errors(&dir);
    assert!(
        matches!(&e[0], CatalogError::DuplicateDirectory { file, line: 1, other, .. }
        if file.ends_with("b.yaml") && other.ends_with("a.yaml")),
        "{}",
        e[0]
    );
}

#[test]
fn bad_keys_directories_and_types_are_each_reported() {
    let text = GOOD
        .replace("directory: demo", "directory: de/mo")
        .replace("key: 533a", "key: 533")
        .replace(
            "computed: true",
            "computed: true\n    key: 533a583a843436a536fbe2a5821c4b6c",
        );
    let dir = config(&[("demo.yaml", &text)], None);
    let msgs: Vec<String> = errors(&dir).iter().map(|e| e.to_string()).collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(msgs[0].contains(":1:12: directory:"), "{msgs:?}");
    assert!(
        msgs[1].contains(":8:5: keys: key") && msgs[1].contains("32 hex digits"),
        "{msgs:?}"
    );
    assert!(
        msgs[2].contains(":10:5: keys:") && msgs[2].contains("not both"),
        "{msgs:?}"
    );
    let typed = GOOD.replace("title: A demo", "title: [1, 2]");
    let dir = config(&[("demo.yaml", &typed)], None);
    assert!(
        errors(&dir)[0].to_string().contains("demo.yaml:2:"),
        "wrong type located"
    );
}

#[test]
fn defaults_are_option_values() {
    let text = GOOD.replace("  abr: 0", "  abr: 0\n  acodec: opus");
    let dir = config(&[("demo.yaml", &text)], None);
    let msg = errors(&dir)[0].to_string();
    assert!(
        msg.contains("demo.yaml:12:1: defaults: acodec=opus: allowed values are mp4a, ec-3, any"),
        "{msg}"
    );
    let typo = GOOD.replace("  abr: 0", "  abrr: 0");
    let dir = config(&[("demo.yaml", &typo)], None);
    assert!(
        errors(&dir)[0].to_string().contains("abrr"),
        "unknown option names are errors"
    );
}

#[test]
fn site_settings_are_checked() {
    let site = "base_url: ftp://x\nmanifests:\n  - hand_made\n  - manifest_zz\n";
    let dir = config(&[("demo.yaml", GOOD)], Some(site));
    let msgs: Vec<String> = errors(&dir).iter().map(|e| e.to_string()).collect();
    assert!(msgs[0].contains("site.yaml:1:11: base_url:"), "{msgs:?}");
    assert!(
        msgs[1].contains("site.yaml:4:5: manifests: unknown template \"manifest_zz\""),
        "{msgs:?}"
    );
    let ok = config(
        &[("demo.yaml", GOOD)],
        Some("base_url: https://cdn.test/\nout: build\nmanifests: [hand_made]\n"),
    );
    let c = Catalog::load(ok.path()).unwrap();
    assert_eq!(c.site.manifests, ["hand_made"]);
    assert!(c.site.out.ends_with("build"));
}

fn dashlive(args: &[&str], config: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dashlive"))
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap()
}

#[test]
fn catalog_check_reports_every_error_and_fails() {
    let bad = GOOD.replace("timing_ref: v1", "timing_ref: nope");
    let dir = config(
        &[
            ("a.yaml", &bad),
            (
                "b.yaml",
                &GOOD.replace("demo", "other").replace("v1.mp4", "x.mp4"),
            ),
        ],
        None,
    );
    let out = dashlive(&["catalog", "check"], dir.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a.yaml:6:13: timing_ref") && err.contains("b.yaml:4:5: media"),
        "{err}"
    );
    let good = config(&[("demo.yaml", GOOD)], None);
    let out = dashlive(&["catalog", "check"], good.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("demo: A demo — 2 representations"));
}

#[test]
fn a_media_file_that_does_not_index_fails_the_check() {
    let dir = config(&[("demo.yaml", GOOD)], None);
    std::fs::write(dir.path().join("media/a1.mp4"), b"not an mp4 at all").unwrap();
    let e = Catalog::load(dir.path()).unwrap().index().unwrap_err();
    assert!(matches!(e.0[0], CatalogError::Media { .. }), "{}", e.0[0]);
}

#[test]
fn importing_the_bbb_upload_file_gives_a_checked_stream() {
    let Some(bbb) = common::bbb_dir("importing_the_bbb_upload_file") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dashlive(
        &[
            "catalog",
            "import",
            bbb.join("upload_v2.json").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = Catalog::load(dir.path()).unwrap();
    let s = c.stream("upload-test").unwrap();
    assert_eq!(s.media.len(), 8);
    assert_eq!(s.timing_ref, "bbb_v6");
    assert_eq!(s.keys.len(), 2);
    assert!(s
        .playready_la_url
        .as_deref()
        .unwrap()
        .starts_with("https://test.playready"));
    let text = std::fs::read_to_string(dir.path().join("streams/upload-test.yaml")).unwrap();
    assert!(
        !text.contains("/./") && text.contains("bbb/bbb_v6.mp4"),
        "{text}"
    );
    assert_eq!(c.index().unwrap()[0].representations.len(), 8);
    // A second import refuses to overwrite, unless forced.
    let again = dashlive(
        &[
            "catalog",
            "import",
            bbb.join("upload_v2.json").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!again.status.success());
    let forced = dashlive(
        &[
            "catalog",
            "import",
            bbb.join("upload_v2.json").to_str().unwrap(),
            "--force",
        ],
        dir.path(),
    );
    assert!(forced.status.success());
}

#[test]
fn the_options_not_supported_yet_are_one_list() {
    use dashlive::options::{Mode, Options};
    assert!(Options::new(Mode::Vod).not_supported_yet().is_empty());
    let (o, _) = Options::parse_query(
        "drm=all&events=ping&patch=1&merr=404=1&verr=503=2&aerr=404=1&terr=410=1\
         &vcorrupt=3&failures=1&thumbnails=1&abr=0",
        Mode::Live,
    )
    .unwrap();
    assert_eq!(o.not_supported_yet(), ["thumbnails"]);
}

#[test]
fn a_fault_at_a_time_of_day_cannot_be_a_default() {
    // It names live segments only, and defaults build the VOD tree too:
    // before, `dashlive build` failed on it naming no file.
    let text = GOOD.replace("  abr: 0", "  abr: 0\n  merr: 503=10:00:00Z");
    let dir = config(&[("demo.yaml", &text)], None);
    let msgs: Vec<String> = errors(&dir).iter().map(|e| e.to_string()).collect();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(
        msgs[0].contains("demo.yaml:14:") && msgs[0].contains("merr: a time of day"),
        "{msgs:?}"
    );
    // Segment numbers are fine.
    let text = GOOD.replace("  abr: 0", "  abr: 0\n  merr: 503=2");
    let dir = config(&[("demo.yaml", &text)], None);
    Catalog::load(dir.path()).unwrap();
}

#[test]
fn defaults_the_server_cannot_serve_yet_are_refused_at_their_line() {
    // Lines 13-16 of the stream file: `drm`, `evs` (events, by an alias)
    // and `verr` (faults) have landed, so a stream may default to them;
    // `thumbnails` has not.
    let text = GOOD.replace(
        "  abr: 0",
        "  abr: 0\n  drm: all\n  evs: ping\n  verr: 404=1\n  thumbnails: 1",
    );
    let dir = config(
        &[("demo.yaml", &text)],
        Some("defaults:\n  thumbnails: 1\n"),
    );
    let msgs: Vec<String> = errors(&dir).iter().map(|e| e.to_string()).collect();
    for want in [
        "site.yaml:2:15: defaults: thumbnails: not supported yet by this server",
        "demo.yaml:17:15: defaults: thumbnails: not supported yet by this server",
    ] {
        assert!(msgs.iter().any(|m| m.contains(want)), "{want} in {msgs:?}");
    }
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    // Off is fine: a default may say what the server does anyway.
    let off = GOOD.replace("  abr: 0", "  patch: 0\n  thumbnails: false");
    let dir = config(&[("demo.yaml", &off)], None);
    Catalog::load(dir.path()).unwrap();
}

#[test]
fn a_stream_of_encrypted_files_only_is_refused_naming_them() {
    let Some(bbb) = common::bbb_dir("a_stream_of_encrypted_files_only") else {
        return;
    };
    let stream = |files: &[&str]| {
        let media: String = files
            .iter()
            .map(|f| format!("  - {}\n", bbb.join(format!("{f}.mp4")).display()))
            .collect();
        format!(
            "directory: enc\ntitle: Encrypted\nmedia:\n{media}timing_ref: {}\n\
             keys:\n  - kid: 1ab45440532c439994dc5c5ad9584bac\n    computed: true\n",
            files[0]
        )
    };
    let dir = config(
        &[("enc.yaml", &stream(&["bbb_v6_enc", "bbb_a1_enc"]))],
        None,
    );
    let e = Catalog::load(dir.path()).unwrap().index().unwrap_err();
    assert_eq!(e.0.len(), 1, "{e}");
    let msg = e.0[0].to_string();
    assert!(msg.contains("enc.yaml:3:1: media: "), "{msg}");
    assert!(
        msg.contains("bbb_v6_enc.mp4")
            && msg.contains("bbb_a1_enc.mp4")
            && msg.contains("encrypted"),
        "{msg}"
    );
    // `catalog check` says so (and `build` refuses before it cuts anything).
    let out = dashlive(&["catalog", "check"], dir.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("enc.yaml:3:1: media:"), "{err}");
    let built = dashlive::build::build(dir.path(), Some(&dir.path().join("out")));
    assert!(built
        .unwrap_err()
        .to_string()
        .contains("enc.yaml:3:1: media:"));
    assert!(!dir.path().join("out").exists());
    // One clear file beside them is a stream that can be served.
    let dir = config(&[("enc.yaml", &stream(&["bbb_v6_enc", "bbb_a1"]))], None);
    Catalog::load(dir.path()).unwrap().index().unwrap();
}

#[test]
fn every_kid_of_an_encrypted_file_needs_a_key() {
    let Some(bbb) = common::bbb_dir("every_kid_of_an_encrypted_file_needs_a_key") else {
        return;
    };
    let text = format!(
        "directory: enc\ntitle: Encrypted\nmedia:\n  - {}\n  - {}\ntiming_ref: bbb_v6\n\
         keys:\n  - kid: c001de8e567b5fcfbc22c565ed5bda24\n    key: 533a583a843436a536fbe2a5821c4b6c\n",
        bbb.join("bbb_v6.mp4").display(),
        bbb.join("bbb_v6_enc.mp4").display()
    );
    let dir = config(&[("enc.yaml", &text)], None);
    let e = Catalog::load(dir.path()).unwrap().index().unwrap_err();
    assert_eq!(e.0.len(), 1, "{e}");
    let msg = e.0[0].to_string();
    assert!(
        msg.contains("enc.yaml:7:1: keys: no key for kid 1ab45440532c439994dc5c5ad9584bac (used by bbb_v6_enc)"),
        "{msg}"
    );
    // With the computed key the stream indexes, its keys ready for the origin.
    let fixed = text.replace(
        "keys:\n",
        "keys:\n  - kid: 1ab45440532c439994dc5c5ad9584bac\n    computed: true\n",
    );
    let dir = config(&[("enc.yaml", &fixed)], None);
    let streams = Catalog::load(dir.path()).unwrap().index().unwrap();
    assert_eq!(streams[0].drm.keys.0.len(), 2);
}
