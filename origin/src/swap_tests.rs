//! A new `dashlive build` into the served `out/` while the origin runs: the
//! origin serves it without a restart, and every request sees one tree.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::StatusCode;

use crate::app::App;
use crate::cors::AllowedDomains;

/// 2023-11-14T22:13:20Z; START is a whole number of loops before it.
const NOW: i64 = 1_700_000_000_000;
const START: &str = "2023-11-14T00:00:00Z";
const SEGMENT_MS: u64 = 960;

/// Two test cards of the same names and timing but different bytes (25
/// and 50 frames a second), generated once for every test here.
fn media() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static M: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    M.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let make = |sub: &str, fps: u32| {
            let out = dir.path().join(sub);
            let mut o = dashlive::media::synth::SynthOptions::new(out.clone());
            o.duration_ms = 1920;
            o.segment_ms = SEGMENT_MS;
            o.fps = fps;
            o.ladder = dashlive::media::synth::parse_ladder("320x180@300k").unwrap();
            o.prefix = "card".into();
            dashlive::media::synth::synth(&o).unwrap();
            out
        };
        let a = make("a", 25);
        let b = make("b", 50);
        (dir, a, b)
    })
}

/// A catalog stream `name` made of the card in `media`.
fn write_stream(config: &Path, name: &str, media: &Path) {
    std::fs::create_dir_all(config.join("streams")).unwrap();
    std::fs::write(
        config.join(format!("streams/{name}.yaml")),
        format!(
            "directory: {name}\ntitle: {name}\nmedia:\n  - {v}\n  - {a}\ntiming_ref: card_180p\n",
            v = media.join("card_180p.mp4").display(),
            a = media.join("card_aac.mp4").display(),
        ),
    )
    .unwrap();
}

async fn get(app: &App, url: &str) -> (StatusCode, Bytes) {
    let req = hyper::Request::get(url)
        .header("host", "origin.test")
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    let (_, r) = app.handle(req, NOW).await;
    let status = r.status();
    (status, r.into_body().collect().await.unwrap().to_bytes())
}

fn segment_url(stream: &str) -> String {
    // A segment well inside the window at NOW.
    let n = 80_000_000 / SEGMENT_MS - 2;
    format!("/dash/live/{stream}/card_180p/{n}.m4v?start={START}")
}

#[tokio::test]
async fn a_stream_added_and_rebuilt_is_served_without_restart() {
    let (_keep, a, _) = media();
    let dir = tempfile::tempdir().unwrap();
    let (config, out) = (dir.path().join("config"), dir.path().join("out"));
    write_stream(&config, "one", a);
    dashlive::build::build(&config, Some(&out)).unwrap();
    let app = App::new(&out, AllowedDomains::Any, crate::play::Players::none()).unwrap();
    let old = app.snapshot();
    let (status, _) = get(&app, "/dash/live/two/hand_made.mpd").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Rebuilt with a second stream: the old tree is exchanged and removed.
    write_stream(&config, "two", a);
    let report = dashlive::build::build(&config, Some(&out)).unwrap();
    assert!(!report.unchanged);

    // A request that took the old tree, for a segment it had not mapped
    // yet: its files are gone, so it is answered from the new tree, never
    // with a 500.
    let parts = hyper::Request::get(segment_url("one"))
        .header("host", "origin.test")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let (_, r) = app
        .handle_parts(old.clone(), &parts, crate::body::RequestBody::empty(), NOW)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // ... and the origin now serves the new tree, as the poller would
    // have made it do within half a second.
    assert!(!Arc::ptr_eq(&app.snapshot(), &old));
    assert!(!app.trees.reload_if_changed().unwrap(), "already loaded");
    let (status, body) = get(&app, "/dash/live/two/hand_made.mpd").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let (status, _) = get(&app, &segment_url("two")).await;
    assert_eq!(status, StatusCode::OK);
    // The static tree swapped with it.
    let (status, _) = get(&app, "/dash/vod/two/hand_made.mpd").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_snapshot_keeps_reading_its_own_tree() {
    let (_keep, a, b) = media();
    let dir = tempfile::tempdir().unwrap();
    let (config, out) = (dir.path().join("config"), dir.path().join("out"));
    write_stream(&config, "s", a);
    dashlive::build::build(&config, Some(&out)).unwrap();
    let old = crate::trees::Snapshot::load(
        &out,
        Arc::new(dashlive::mpd::render::Renderer::new().unwrap()),
    )
    .unwrap();
    // Exchange the trees by hand, as the build does, but keep the old one.
    let kept = dir.path().join("kept");
    write_stream(&config, "s", b);
    dashlive::build::build(&config, Some(&dir.path().join("new"))).unwrap();
    std::fs::rename(&out, &kept).unwrap();
    std::fs::rename(dir.path().join("new"), &out).unwrap();
    // Through its directory the old snapshot reads the old file, which
    // its index describes, where a path under out/ would give the new one.
    let rep = &old.tree.streams["s"].reps["card_180p"];
    let (file, bytes) = rep.segment(&old.tree.root, 0).unwrap();
    assert_eq!(bytes.len() as u64, file.size);
    assert_eq!(
        &bytes[..],
        &std::fs::read(kept.join(&file.path)).unwrap()[..]
    );
    assert_ne!(
        &bytes[..],
        &std::fs::read(out.join(&file.path)).unwrap_or_default()[..]
    );
}

/// A static file a tree's cache keeps is that tree's: the next tree serves
/// its own bytes, and a request that took the old tree still gets the old.
#[tokio::test]
async fn a_kept_static_file_belongs_to_its_tree() {
    let (_keep, a, b) = media();
    let dir = tempfile::tempdir().unwrap();
    let (config, out) = (dir.path().join("config"), dir.path().join("out"));
    write_stream(&config, "s", a);
    dashlive::build::build(&config, Some(&out)).unwrap();
    let app = App::new(&out, AllowedDomains::Any, crate::play::Players::none()).unwrap();
    let url = "/dash/vod/s/card_180p/1.m4v";
    let (status, before) = get(&app, url).await;
    assert_eq!(status, StatusCode::OK);
    let old = app.snapshot();

    write_stream(&config, "s", b);
    dashlive::build::build(&config, Some(&out)).unwrap();
    assert!(app.trees.reload_if_changed().unwrap());
    let (status, after) = get(&app, url).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(before, after, "the two versions differ");
    assert_eq!(&after[..], &std::fs::read(out.join(&url[1..])).unwrap()[..]);

    let parts = hyper::Request::get(url)
        .header("host", "origin.test")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let (_, r) = app
        .handle_parts(old, &parts, crate::body::RequestBody::empty(), NOW)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.into_body().collect().await.unwrap().to_bytes(), before);
}

/// Builds alternate between two versions of a stream while requests run:
/// every answer is whole and is one version's, never a 500 or a mix.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_during_swaps_see_one_tree_or_the_other() {
    let (_keep, a, b) = media();
    let dir = tempfile::tempdir().unwrap();
    let (config, out) = (dir.path().join("config"), dir.path().join("out"));
    let mut expected = Vec::new();
    for media in [a, b] {
        write_stream(&config, "s", media);
        dashlive::build::build(&config, Some(&out)).unwrap();
        let app = App::new(&out, AllowedDomains::Any, crate::play::Players::none()).unwrap();
        let (status, body) = get(&app, &segment_url("s")).await;
        assert_eq!(status, StatusCode::OK);
        expected.push(body);
    }
    assert_ne!(expected[0], expected[1], "the two versions differ");
    let app = Arc::new(App::new(&out, AllowedDomains::Any, crate::play::Players::none()).unwrap());
    let done = Arc::new(AtomicBool::new(false));
    let builder = {
        let (app, done, config, out) = (app.clone(), done.clone(), config.clone(), out.clone());
        let (a, b) = (a.clone(), b.clone());
        tokio::task::spawn_blocking(move || {
            for i in 0..6 {
                write_stream(&config, "s", if i % 2 == 0 { &a } else { &b });
                dashlive::build::build(&config, Some(&out)).unwrap();
                // What the poller does, at once.
                app.trees.reload_if_changed().unwrap();
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (app, done, expected) = (app.clone(), done.clone(), expected.clone());
        clients.push(tokio::spawn(async move {
            let mut answered = 0u32;
            while !done.load(Ordering::SeqCst) || answered == 0 {
                let (status, body) = get(&app, &segment_url("s")).await;
                assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
                assert!(expected.contains(&body), "a segment of neither tree");
                let (status, _) = get(&app, "/dash/live/s/hand_made.mpd").await;
                assert_eq!(status, StatusCode::OK);
                answered += 1;
                tokio::task::yield_now().await;
            }
            answered
        }));
    }
    builder.await.unwrap();
    for c in clients {
        assert!(c.await.unwrap() > 0);
    }
}

/// What `--watch` does on a change of `config/`: a build that fails leaves
/// the previous tree served and `/healthz` degraded; the next one that
/// succeeds is served and clears it.
#[tokio::test]
async fn a_failed_build_keeps_the_previous_tree_and_says_so() {
    let (_keep, a, _) = media();
    let dir = tempfile::tempdir().unwrap();
    let (config, out) = (dir.path().join("config"), dir.path().join("out"));
    write_stream(&config, "one", a);
    dashlive::build::build(&config, Some(&out)).unwrap();
    let app = App::new(&out, AllowedDomains::Any, crate::play::Players::none()).unwrap();
    assert_eq!(&get(&app, "/healthz").await.1[..], b"ok\n");

    std::fs::write(
        config.join("streams/two.yaml"),
        "directory: [not, a, name]\n",
    )
    .unwrap();
    crate::watch::build_once(&app, &config, Some(&out));
    let (status, body) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8_lossy(&body).into_owned();
    assert!(text.starts_with("degraded: build of "), "{text}");
    assert!(text.contains("two.yaml"), "{text}");
    assert_eq!(
        get(&app, "/dash/live/one/hand_made.mpd").await.0,
        StatusCode::OK
    );

    write_stream(&config, "two", a);
    crate::watch::build_once(&app, &config, Some(&out));
    assert_eq!(&get(&app, "/healthz").await.1[..], b"ok\n");
    assert_eq!(
        get(&app, "/dash/live/two/hand_made.mpd").await.0,
        StatusCode::OK
    );
}
