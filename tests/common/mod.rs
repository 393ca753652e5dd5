//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The BBB media folder, from `DASHLIVE_TEST_MEDIA` (default `../shared/media`).
/// `None` (with a note on stderr saying why the test skips) where it is absent,
/// unless `DASHLIVE_REQUIRE_TEST_MEDIA=1`, which makes absence a failure.
pub fn bbb_dir(test: &str) -> Option<PathBuf> {
    let root = std::env::var_os("DASHLIVE_TEST_MEDIA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/media"));
    let dir = root.join("bbb");
    if dir.join("bbb_v6.mp4").is_file() {
        return Some(dir);
    }
    let required = std::env::var("DASHLIVE_REQUIRE_TEST_MEDIA").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: DASHLIVE_REQUIRE_TEST_MEDIA=1 but {} has no BBB media",
        dir.display()
    );
    eprintln!(
        "{test}: skipped: no test media at {} (set DASHLIVE_TEST_MEDIA)",
        dir.display()
    );
    None
}

pub const BBB_FILES: &[&str] = &[
    "bbb_a1",
    "bbb_a1_enc",
    "bbb_a2",
    "bbb_a2_enc",
    "bbb_t1",
    "bbb_v6",
    "bbb_v6_enc",
    "bbb_v7",
    "bbb_v7_enc",
];
pub mod fmp4;

/// Whether `ffmpeg` and `ffprobe` can be run. Absent, tests that need them
/// print why they skip, unless `DASHLIVE_REQUIRE_FFMPEG=1` (CI) makes that a failure.
pub fn have_ffmpeg(test: &str) -> bool {
    let ok = ["ffmpeg", "ffprobe"].iter().all(|t| {
        std::process::Command::new(t)
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !ok {
        let required = std::env::var("DASHLIVE_REQUIRE_FFMPEG").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{test}: DASHLIVE_REQUIRE_FFMPEG=1 but ffmpeg/ffprobe cannot run"
        );
        eprintln!("{test}: skipped: ffmpeg/ffprobe not installed");
    }
    ok
}

/// Indexes every BBB file, in the order of [`BBB_FILES`].
pub fn bbb_reps(dir: &std::path::Path) -> Vec<dashlive::media::Representation> {
    BBB_FILES
        .iter()
        .map(|n| dashlive::media::index_file(&dir.join(format!("{n}.mp4"))).unwrap())
        .collect()
}

/// The BBB stream as the manifest tests render it: `reps` from [`bbb_reps`],
/// timed by `bbb_v6`.
#[allow(dead_code)] // not every test crate renders manifests
pub fn bbb_view<'a>(
    reps: &'a [dashlive::media::Representation],
    defaults: &'a dashlive::mpd::request::Defaults,
) -> dashlive::mpd::manifest::StreamView<'a> {
    dashlive::mpd::manifest::StreamView {
        directory: "bbb",
        title: "Big Buck Bunny",
        timing_ref: "bbb_v6",
        representations: reps,
        defaults,
        drm: &BBB_DRM,
    }
}

/// BBB's keys as `upload_v2.json` gives them: one explicit, one computed
/// from the PlayReady test seed.
pub static BBB_DRM: std::sync::LazyLock<dashlive::drm::signal::StreamDrm> =
    std::sync::LazyLock::new(|| {
        let entry = |kid: &str, key: Option<&str>| dashlive::catalog::keys::KeyEntry {
            kid: kid.into(),
            key: key.map(String::from),
            computed: key.is_none(),
        };
        dashlive::drm::signal::StreamDrm {
            keys: dashlive::drm::KeyRing(vec![
                entry(
                    "c001de8e567b5fcfbc22c565ed5bda24",
                    Some("533a583a843436a536fbe2a5821c4b6c"),
                )
                .resolve()
                .unwrap(),
                entry("1ab45440532c439994dc5c5ad9584bac", None)
                    .resolve()
                    .unwrap(),
            ]),
            playready_la_url: None,
        }
    });

/// Renders `manifest` for BBB through the request pipeline the origin uses
/// (options, restrictions, DRM signalling) with the goldens' host.
#[allow(dead_code)] // not every test crate renders manifests
pub fn render_bbb_query(
    reps: &[dashlive::media::Representation],
    manifest: &str,
    mode: dashlive::mpd::registry::Mode,
    query: &str,
    now_ms: i64,
) -> dashlive::mpd::manifest::Manifest {
    try_render_bbb_query(reps, manifest, mode, query, now_ms)
        .unwrap_or_else(|e| panic!("{manifest} {} ?{query}: {e}", mode.as_str()))
}

/// The same, or the error the request gets.
#[allow(dead_code)]
pub fn try_render_bbb_query(
    reps: &[dashlive::media::Representation],
    manifest: &str,
    mode: dashlive::mpd::registry::Mode,
    query: &str,
    now_ms: i64,
) -> Result<dashlive::mpd::manifest::Manifest, dashlive::mpd::manifest::ManifestError> {
    use dashlive::mpd::manifest::{render_manifest, ManifestQuery};
    let def = dashlive::mpd::registry::find(manifest).unwrap();
    let defaults = dashlive::mpd::request::Defaults::new();
    let stream = bbb_view(reps, &defaults);
    let q = ManifestQuery {
        def,
        mode,
        site_defaults: &defaults,
        query,
        now_ms,
        now_override: false,
        site_url: Some("http://unit.test/".into()),
        manifest_url: Some(format!(
            "http://unit.test/dash/{}/bbb/{manifest}.mpd",
            mode.as_str()
        )),
    };
    static RENDERER: std::sync::OnceLock<dashlive::mpd::render::Renderer> =
        std::sync::OnceLock::new();
    let renderer = RENDERER.get_or_init(|| dashlive::mpd::render::Renderer::new().unwrap());
    render_manifest(renderer, &stream, &q)
}

/// Panics, naming `name` and the position, unless `xml` is well-formed.
pub fn well_formed(xml: &str, name: &str) {
    let mut r = quick_xml::Reader::from_str(xml);
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "{name} not well-formed at {}: {e}\n{xml}",
                r.buffer_position()
            ),
        }
    }
}

/// The golden files' clock: 2022-09-06T15:10:00Z.
pub const GOLDEN_NOW_MS: i64 = 1_662_477_000_000;

/// Renders `manifest` for the BBB stream as the golden files were made:
/// host `http://unit.test/`, the goldens' clock, timing reference bbb_v6.
pub fn render_bbb(
    reps: &[dashlive::media::Representation],
    manifest: &str,
    mode: dashlive::mpd::registry::Mode,
    opts: &dashlive::mpd::context::ManifestOptions,
) -> String {
    use dashlive::mpd::context::{manifest_context, Request};
    let def = dashlive::mpd::registry::find(manifest).unwrap();
    let req = Request {
        mode,
        site_url: Some("http://unit.test/".into()),
        manifest_url: Some(format!(
            "http://unit.test/dash/{}/bbb/{manifest}.mpd",
            mode.as_str()
        )),
        now_ms: GOLDEN_NOW_MS,
        timing: None,
    };
    let ctx = manifest_context("bbb", "Big Buck Bunny", "bbb_v6", reps, def, &req, opts).unwrap();
    dashlive::mpd::render::Renderer::new()
        .unwrap()
        .render(def, &ctx)
        .unwrap()
}

/// The DASH MPD schema in ../shared/reference/schema, when it and xmllint are
/// there; `None` (saying why) otherwise, unless `DASHLIVE_REQUIRE_XMLLINT=1`.
pub fn schema_path() -> Option<PathBuf> {
    let schema =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/schema/DASH-MPD.xsd");
    let have = std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if schema.is_file() && have {
        return Some(schema);
    }
    let required = std::env::var("DASHLIVE_REQUIRE_XMLLINT").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "DASHLIVE_REQUIRE_XMLLINT=1 but xmllint or the schema is missing"
    );
    eprintln!(
        "schema checks skipped: xmllint or {} missing",
        schema.display()
    );
    None
}

/// Validates every `(name, xml)` against the DASH schema in one xmllint run
/// (loading the schema is most of its time); fails naming every error.
pub fn assert_schema_valid(schema: &std::path::Path, docs: &[(String, String)]) {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = docs
        .iter()
        .map(|(name, xml)| {
            let f = dir.path().join(format!("{name}.mpd"));
            std::fs::write(&f, xml).unwrap();
            f
        })
        .collect();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(schema)
        .args(&files)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failing: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.ends_with(" validates"))
        .collect();
    assert!(
        out.status.success() && failing.is_empty(),
        "{} manifests checked; errors:\n{}",
        docs.len(),
        failing.join("\n")
    );
    assert_eq!(stderr.lines().count(), docs.len(), "{stderr}");
}
