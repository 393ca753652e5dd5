//! `dashlive build`: the static tree, its index, no-op rebuilds and the
//! atomic publish, on generated content (and BBB where present).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use dashlive::build::{build, index::TreeIndex};

/// A config folder with a small generated test card as its one stream.
fn config() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    let mut o = dashlive::media::synth::SynthOptions::new(media.clone());
    o.duration_ms = 1920;
    o.segment_ms = 960;
    o.ladder = dashlive::media::synth::parse_ladder("320x180@300k,160x90@100k").unwrap();
    o.prefix = "card".into();
    dashlive::media::synth::synth(&o).unwrap();
    std::fs::create_dir_all(dir.path().join("streams")).unwrap();
    std::fs::write(
        dir.path().join("streams/card.yaml"),
        "directory: card\ntitle: Test card\nmedia:\n  - ../media/card_180p.mp4\n  - ../media/card_90p.mp4\n  - ../media/card_aac.mp4\n  - ../media/card_ttml.mp4\ntiming_ref: card_180p\n",
    )
    .unwrap();
    dir
}

fn read_index(out: &Path) -> TreeIndex {
    serde_json::from_slice(&std::fs::read(out.join(".dashlive/index.json")).unwrap()).unwrap()
}

#[test]
fn the_tree_holds_manifests_segments_and_the_index() {
    let cfg = config();
    let out = cfg.path().join("out");
    let r = build(cfg.path(), Some(&out)).unwrap();
    assert!(!r.unchanged && r.files > 20, "{r:?}");
    for f in [
        "dash/vod/card/hand_made.mpd",
        "dash/odvod/card/hand_made.mpd",
        "dash/vod/card/card_180p/init.m4v",
        "dash/vod/card/card_180p/1.m4v",
        "dash/vod/card/card_180p/2.m4v",
        "dash/vod/card/card_aac/2.m4a",
        "dash/vod/card/card_ttml/1.m4s",
        "dash/odvod/card/card_90p.mp4",
        "_headers",
        "nginx.conf",
        "index.html",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // Time-addressed names share the number-addressed file.
    use std::os::unix::fs::MetadataExt;
    let a = std::fs::metadata(out.join("dash/vod/card/card_180p/2.m4v")).unwrap();
    let b = std::fs::metadata(out.join("dash/vod/card/card_180p/time/24000.m4v")).unwrap();
    assert_eq!(a.ino(), b.ino(), "hard link");
    // Cut segments: styp first, no sidx, 64-bit tfdt; patch points recorded.
    let index = read_index(&out);
    let rep = &index.streams[0].representations[0];
    assert_eq!(rep.segments.len(), 2);
    let seg = std::fs::read(out.join(&rep.segments[1].path)).unwrap();
    assert_eq!(&seg[4..8], b"styp");
    let points = dashlive::mp4::patch::find_patch_points(&seg).unwrap();
    assert_eq!(points, rep.segments[1].patch);
    assert_eq!(points.decode_time[0].1, 24_000);
    assert!(index.streams[0]
        .manifests
        .contains(&"dash/vod/card/hand_made.mpd".to_string()));
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("dash/vod/card/hand_made.mpd"));
}

#[test]
fn an_unchanged_catalog_writes_nothing_and_a_change_rebuilds() {
    let cfg = config();
    let out = cfg.path().join("out");
    build(cfg.path(), Some(&out)).unwrap();
    let mpd = out.join("dash/vod/card/hand_made.mpd");
    let before = std::fs::metadata(&mpd).unwrap().modified().unwrap();
    let again = build(cfg.path(), Some(&out)).unwrap();
    assert!(again.unchanged && again.files == 0, "{again:?}");
    assert_eq!(std::fs::metadata(&mpd).unwrap().modified().unwrap(), before);
    // A stream file change: the title shows in the new manifest.
    let yaml = cfg.path().join("streams/card.yaml");
    let text = std::fs::read_to_string(&yaml)
        .unwrap()
        .replace("Test card", "Renamed card");
    std::fs::write(&yaml, text).unwrap();
    let r = build(cfg.path(), Some(&out)).unwrap();
    assert!(!r.unchanged);
    assert!(std::fs::read_to_string(&mpd)
        .unwrap()
        .contains("Renamed card"));
    // A stream removed: its files go with it.
    std::fs::remove_file(&yaml).unwrap();
    build(cfg.path(), Some(&out)).unwrap();
    assert!(!out.join("dash/vod/card").exists());
}

/// Checks that `out` is a whole tree: every file its index and manifests
/// name is there, at the size the index gives.
fn assert_whole(out: &Path) -> TreeIndex {
    let index = read_index(out);
    for s in &index.streams {
        for m in &s.manifests {
            assert!(out.join(m).is_file(), "{m}");
        }
        for r in &s.representations {
            for f in [&r.init, &r.live_init, &r.on_demand] {
                assert!(out.join(f).is_file(), "{f}");
            }
            for seg in &r.segments {
                let len = std::fs::metadata(out.join(&seg.path)).unwrap().len();
                assert_eq!(len, seg.size, "{} whole", seg.path);
            }
        }
    }
    for f in ["index.html", "_headers", "nginx.conf"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    index
}

/// Moves every media file's modification time `secs` ahead, as an edit
/// would: the next build cuts every representation again.
fn touch_media(cfg: &Path, secs: u64) {
    for f in std::fs::read_dir(cfg.join("media")).unwrap() {
        let f = std::fs::File::options()
            .append(true)
            .open(f.unwrap().path())
            .unwrap();
        f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(secs))
            .unwrap();
    }
}

#[test]
fn a_killed_build_leaves_the_previous_tree_whole() {
    let cfg = config();
    let out = cfg.path().join("out");
    build(cfg.path(), Some(&out)).unwrap();
    let staging = cfg.path().join(".out.staging");
    // The first segments a build writes, whichever representation comes first.
    let first_segments: Vec<PathBuf> = assert_whole(&out).streams[0]
        .representations
        .iter()
        .map(|r| staging.join(&r.segments[0].path))
        .collect();
    // Kill a build as soon as it has written a segment into its staging
    // tree. A build that wins the race (it published first) proves nothing:
    // change the media again and retry.
    let mut killed_mid_build = None;
    for attempt in 1..=20 {
        touch_media(cfg.path(), 5 * attempt);
        let before = read_index(&out).fingerprint;
        let mut child = Command::new(env!("CARGO_BIN_EXE_dashlive"))
            .args(["build", "--config"])
            .arg(cfg.path())
            .arg("--out")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        while !first_segments.iter().any(|p| p.exists()) && child.try_wait().unwrap().is_none() {
            std::thread::yield_now();
        }
        let _ = child.kill();
        let _ = child.wait();
        let index = assert_whole(&out);
        if index.fingerprint == before {
            // Unpublished, with cut segments in its staging tree: the kill
            // landed mid-build, and out/ is still the previous tree, whole.
            assert!(first_segments.iter().any(|p| p.exists()));
            killed_mid_build = Some(before);
            break;
        }
    }
    let old = killed_mid_build.expect("a kill landed mid-build in 20 tries");
    // The next build clears what the killed one left and publishes the change.
    build(cfg.path(), Some(&out)).unwrap();
    assert_ne!(assert_whole(&out).fingerprint, old);
    assert!(!staging.exists());
}

#[test]
fn bad_catalogs_fail_the_build_with_every_reason_once() {
    let cfg = config();
    std::fs::write(cfg.path().join("streams/bad.yaml"), "directory: card\n").unwrap();
    std::fs::write(
        cfg.path().join("streams/gone.yaml"),
        "directory: gone\ntitle: Gone\nmedia:\n  - ../media/nothere.mp4\ntiming_ref: nothere\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dashlive"))
        .args(["build", "--config"])
        .arg(cfg.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:1:1: missing field"), "{err}");
    for reason in ["missing field `title`", "nothere.mp4: no such file"] {
        assert_eq!(err.matches(reason).count(), 1, "{reason} once in: {err}");
    }
}

fn inode(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).unwrap().ino()
}

#[test]
fn a_rebuild_rewrites_only_what_depends_on_the_change() {
    let cfg = config();
    // A second stream on the audio file alone.
    std::fs::write(
        cfg.path().join("streams/radio.yaml"),
        "directory: radio\ntitle: Radio\nmedia:\n  - ../media/card_aac.mp4\ntiming_ref: card_aac\n",
    )
    .unwrap();
    let out = cfg.path().join("out");
    build(cfg.path(), Some(&out)).unwrap();
    let card_seg = out.join("dash/vod/card/card_180p/1.m4v");
    let radio_seg = out.join("dash/vod/radio/card_aac/1.m4a");
    let card_mpd = out.join("dash/vod/card/hand_made.mpd");
    let radio_mpd = out.join("dash/vod/radio/hand_made.mpd");
    let before = [&card_seg, &radio_seg, &card_mpd, &radio_mpd].map(|p| inode(p));

    // A title change: that stream's manifests are rewritten; no segment is cut again.
    let yaml = cfg.path().join("streams/card.yaml");
    let text = std::fs::read_to_string(&yaml)
        .unwrap()
        .replace("Test card", "Retitled");
    std::fs::write(&yaml, text).unwrap();
    let r = build(cfg.path(), Some(&out)).unwrap();
    let after = [&card_seg, &radio_seg, &card_mpd, &radio_mpd].map(|p| inode(p));
    assert_eq!(after[0], before[0], "card segments linked, not cut");
    assert_eq!(after[1], before[1], "radio segments linked");
    assert_ne!(after[2], before[2], "card manifest rewritten");
    assert_eq!(after[3], before[3], "radio manifest unchanged, linked");
    let card_manifests = read_index(&out)
        .streams
        .iter()
        .find(|s| s.directory == "card")
        .unwrap()
        .manifests
        .len();
    assert_eq!(
        r.files as usize,
        card_manifests + 2,
        "the card's manifests, index.html (it shows titles) and the index: {r:?}"
    );

    // A media change: only the streams using that file are cut again.
    let video = cfg.path().join("media/card_90p.mp4");
    let f = std::fs::File::options().append(true).open(&video).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    build(cfg.path(), Some(&out)).unwrap();
    assert_ne!(inode(&card_seg), after[0], "card cut again");
    assert_eq!(inode(&radio_seg), after[1], "radio untouched");
}

#[test]
fn live_init_segments_survive_a_linked_rebuild() {
    let cfg = config();
    let out = cfg.path().join("out");
    build(cfg.path(), Some(&out)).unwrap();
    let yaml = cfg.path().join("streams/card.yaml");
    let text = std::fs::read_to_string(&yaml)
        .unwrap()
        .replace("Test card", "Again");
    std::fs::write(&yaml, text).unwrap();
    build(cfg.path(), Some(&out)).unwrap();
    for r in &read_index(&out).streams[0].representations {
        let live = std::fs::read(out.join(&r.live_init)).unwrap();
        let vod = std::fs::read(out.join(&r.init)).unwrap();
        assert!(
            live.len() < vod.len(),
            "{}: no mehd in the live init",
            r.live_init
        );
    }
}

#[test]
fn every_file_of_the_tree_is_readable_by_a_web_server() {
    use std::os::unix::fs::PermissionsExt;
    let cfg = config();
    // Media only its owner may read: the tree must still be readable by all.
    for f in std::fs::read_dir(cfg.path().join("media")).unwrap() {
        let p = f.unwrap().path();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = cfg.path().join("out");
    build(cfg.path(), Some(&out)).unwrap();
    for e in walkdir::WalkDir::new(&out) {
        let e = e.unwrap();
        let mode = e.metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o004, 0o004, "{} is {mode:o}", e.path().display());
    }
}
