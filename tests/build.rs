//! `dashlive build`: the static tree, its index, no-op rebuilds and the
//! atomic publish, on generated content (and BBB where present).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use dashlive::build::build;
use dashlive::index::TreeIndex;

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

/// Gives the test card stream another title: a change to its YAML file.
fn retitle(cfg: &Path, title: &str) {
    let yaml = cfg.join("streams/card.yaml");
    let text = std::fs::read_to_string(&yaml)
        .unwrap()
        .replace("Test card", title);
    std::fs::write(&yaml, text).unwrap();
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
    retitle(cfg.path(), "Renamed card");
    let r = build(cfg.path(), Some(&out)).unwrap();
    assert!(!r.unchanged);
    assert!(std::fs::read_to_string(&mpd)
        .unwrap()
        .contains("Renamed card"));
    // A stream removed: its files go with it.
    std::fs::remove_file(cfg.path().join("streams/card.yaml")).unwrap();
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

/// Every file under `out/under` and its inode.
fn inodes(out: &Path, under: &str) -> BTreeMap<String, u64> {
    use std::os::unix::fs::MetadataExt;
    walkdir::WalkDir::new(out.join(under))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(out).unwrap();
            (
                rel.to_string_lossy().into_owned(),
                e.metadata().unwrap().ino(),
            )
        })
        .collect()
}

/// The names whose inode differs between two snapshots of the same files.
fn changed(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> Vec<String> {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the same files"
    );
    before
        .iter()
        .filter(|(k, ino)| after[*k] != **ino)
        .map(|(k, _)| k.clone())
        .collect()
}

/// The test card, plus a second stream on its audio file alone; built.
fn two_streams() -> (tempfile::TempDir, PathBuf) {
    let cfg = config();
    std::fs::write(
        cfg.path().join("streams/radio.yaml"),
        "directory: radio\ntitle: Radio\nmedia:\n  - ../media/card_aac.mp4\ntiming_ref: card_aac\n",
    )
    .unwrap();
    let out = cfg.path().join("out");
    build(cfg.path(), Some(&out)).unwrap();
    (cfg, out)
}

#[test]
fn a_title_change_rewrites_that_streams_manifests_and_nothing_else() {
    let (cfg, out) = two_streams();
    let before = inodes(&out, "");
    let manifests = |out: &Path| -> BTreeMap<String, String> {
        before
            .keys()
            .filter(|k| k.ends_with(".mpd"))
            .map(|k| (k.clone(), std::fs::read_to_string(out.join(k)).unwrap()))
            .collect()
    };
    let old_manifests = manifests(&out);
    retitle(cfg.path(), "Retitled");
    let r = build(cfg.path(), Some(&out)).unwrap();
    let after = inodes(&out, "");
    // Exactly the manifests whose bytes changed (the card's: its title and
    // publishTime moved), the home page (it lists titles) and the index: no
    // segment, no radio file, no site file, no manifest left the same.
    let mut expected: Vec<String> = manifests(&out)
        .into_iter()
        .filter(|(k, text)| old_manifests[k] != *text)
        .map(|(k, _)| k)
        .collect();
    assert!(
        expected.iter().all(|k| k.contains("/card/")),
        "{expected:?}"
    );
    assert!(expected.len() >= 2, "{expected:?}");
    assert!(
        old_manifests
            .keys()
            .any(|k| k.contains("/card/") && !expected.contains(k)),
        "a card manifest kept its bytes (and must keep its inode)"
    );
    expected.extend([".dashlive/index.json".into(), "index.html".into()]);
    expected.sort();
    assert_eq!(changed(&before, &after), expected);
    assert_eq!(r.files as usize, expected.len(), "{r:?}");
    for site_file in ["_headers", "nginx.conf"] {
        assert_eq!(after[site_file], before[site_file], "{site_file} linked");
    }
}

#[test]
fn a_media_change_cuts_only_that_representation_again() {
    let (cfg, out) = two_streams();
    let before = inodes(&out, "");
    let old_index = read_index(&out);
    // A newer modification time is a change, as an edit would be.
    let video = cfg.path().join("media/card_90p.mp4");
    let f = std::fs::File::options().append(true).open(&video).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    build(cfg.path(), Some(&out)).unwrap();
    let after = inodes(&out, "");
    let segments = |k: &&String| k.starts_with("dash/vod/") && !k.ends_with(".mpd");
    let recut: Vec<&String> = changed(&before, &after)
        .iter()
        .filter_map(|k| before.keys().find(|b| *b == k))
        .filter(segments)
        .collect();
    let card_90p: Vec<&String> = before
        .keys()
        .filter(|k| k.starts_with("dash/vod/card/card_90p/"))
        .collect();
    // init, two segments by number and the same two by time.
    assert_eq!(card_90p.len(), 5, "{card_90p:?}");
    assert_eq!(recut, card_90p, "only the changed file's segments are new");
    let live = changed(&before, &after)
        .into_iter()
        .filter(|k| k.starts_with(".dashlive/live/"))
        .collect::<Vec<_>>();
    assert_eq!(live, [".dashlive/live/card/card_90p.init.m4v"]);
    // The card's manifests are rendered again (their publishTime moved); the
    // radio's are not.
    let manifests: Vec<String> = changed(&before, &after)
        .into_iter()
        .filter(|k| k.ends_with(".mpd"))
        .collect();
    assert!(!manifests.is_empty());
    assert!(
        manifests.iter().all(|k| k.contains("/card/")),
        "{manifests:?}"
    );
    // The unchanged representations' index entries are the previous ones.
    let new_index = read_index(&out);
    let entries = |i: &TreeIndex| -> Vec<(String, String)> {
        i.streams
            .iter()
            .flat_map(|s| &s.representations)
            .map(|r| {
                (
                    r.representation.id.clone(),
                    serde_json::to_string(r).unwrap(),
                )
            })
            .collect()
    };
    for ((id, old), (_, new)) in entries(&old_index).iter().zip(&entries(&new_index)) {
        if id == "card_90p" {
            assert_ne!(old, new, "a new fingerprint");
        } else {
            assert_eq!(old, new, "{id} reused");
        }
    }
}

#[test]
fn a_template_change_renders_manifests_again_and_links_every_segment() {
    let (cfg, out) = two_streams();
    // What a new binary with other templates meets: a tree whose index has
    // another build fingerprint (the templates are part of it) and one
    // manifest the old templates wrote differently.
    let index_file = out.join(".dashlive/index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_file).unwrap()).unwrap();
    index["fingerprint"] = "built by another binary".into();
    std::fs::write(&index_file, serde_json::to_vec(&index).unwrap()).unwrap();
    let mpd = out.join("dash/vod/card/manifest_a.mpd");
    let rendered = std::fs::read_to_string(&mpd).unwrap();
    std::fs::write(&mpd, rendered.replace("<Period", "<!-- old --><Period")).unwrap();
    let before = inodes(&out, "");

    let r = build(cfg.path(), Some(&out)).unwrap();
    assert!(!r.unchanged);
    let after = inodes(&out, "");
    assert_eq!(
        changed(&before, &after),
        [".dashlive/index.json", "dash/vod/card/manifest_a.mpd"],
        "segments and unchanged manifests linked, the changed manifest rendered"
    );
    assert_eq!(std::fs::read_to_string(&mpd).unwrap(), rendered);
    assert_eq!(r.files, 2, "{r:?}");
}

#[test]
fn a_file_lost_from_the_previous_tree_is_cut_again_not_linked() {
    let (cfg, out) = two_streams();
    let lost = out.join("dash/vod/card/card_180p/1.m4v");
    let bytes = std::fs::read(&lost).unwrap();
    std::fs::remove_file(&lost).unwrap();
    retitle(cfg.path(), "Mended");
    build(cfg.path(), Some(&out)).unwrap();
    assert_eq!(std::fs::read(&lost).unwrap(), bytes);
    assert_whole(&out);
}

#[test]
fn live_init_segments_survive_a_linked_rebuild() {
    let cfg = config();
    let out = cfg.path().join("out");
    build(cfg.path(), Some(&out)).unwrap();
    retitle(cfg.path(), "Again");
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

/// The blake3 hash of every media file of a config folder, by name.
fn source_hashes(cfg: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(cfg.join("media"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                blake3::hash(&bytes).to_hex().to_string(),
            )
        })
        .collect()
}

/// No file of the tree is a source file under another name: a source
/// edited in place would change bytes a CDN was told are immutable.
fn assert_no_source_inode(cfg: &Path, out: &Path) {
    use std::os::unix::fs::MetadataExt;
    let sources: BTreeMap<(u64, u64), String> = std::fs::read_dir(cfg.join("media"))
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            let m = e.metadata().unwrap();
            (
                (m.dev(), m.ino()),
                e.file_name().to_string_lossy().into_owned(),
            )
        })
        .collect();
    for e in walkdir::WalkDir::new(out) {
        let e = e.unwrap();
        let m = e.metadata().unwrap();
        if let Some(src) = sources.get(&(m.dev(), m.ino())) {
            panic!("{} is the source {src}", e.path().display());
        }
    }
}

/// Every manifest of the tree is a manifest, not an empty file.
fn assert_manifests_whole(out: &Path, index: &TreeIndex) {
    for s in &index.streams {
        assert!(!s.manifests.is_empty());
        for m in &s.manifests {
            let text = std::fs::read_to_string(out.join(m)).unwrap();
            assert!(
                text.contains("<MPD") && text.contains("</MPD>"),
                "{m}: {text:?}"
            );
        }
    }
}

#[test]
fn builds_at_once_keep_every_source_and_publish_a_whole_tree() {
    let cfg = config();
    let out = cfg.path().join("out");
    let hashes = source_hashes(cfg.path());
    build(cfg.path(), Some(&out)).unwrap();
    // As `touch media/*.mp4; dashlive build & dashlive build`, a few times:
    // each round every representation is cut again by three builds at once.
    for round in 1..=6 {
        touch_media(cfg.path(), round);
        std::thread::scope(|s| {
            let builds: Vec<_> = (0..3)
                .map(|_| s.spawn(|| build(cfg.path(), Some(&out))))
                .collect();
            for b in builds {
                b.join().unwrap().unwrap();
            }
        });
        assert_eq!(
            source_hashes(cfg.path()),
            hashes,
            "round {round}: sources intact"
        );
        let index = assert_whole(&out);
        assert_manifests_whole(&out, &index);
        assert_no_source_inode(cfg.path(), &out);
    }
}

#[test]
fn two_cli_builds_at_once_both_succeed_and_keep_every_source() {
    let cfg = config();
    let out = cfg.path().join("out");
    let hashes = source_hashes(cfg.path());
    for round in 1..=3 {
        touch_media(cfg.path(), round);
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_dashlive"))
                .args(["build", "--config"])
                .arg(cfg.path())
                .arg("--out")
                .arg(&out)
                .output()
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(spawn);
            let b = s.spawn(spawn);
            (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
        });
        for o in [&a, &b] {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        assert_eq!(source_hashes(cfg.path()), hashes, "round {round}");
        let index = assert_whole(&out);
        assert_manifests_whole(&out, &index);
    }
}

/// Adds a stream, after the test card, whose media file indexes but whose
/// last segment cannot be cut (its `styp` is too short for a brand list):
/// a build that fails mid-way, after it has staged files.
fn add_broken_stream(cfg: &Path) {
    use common::fmp4::{bx, file, Spec};
    let good = bx(b"styp", b"msdh\0\0\0\0msdhmsix");
    let mut data = file(&Spec {
        styp: true,
        ..Spec::default()
    });
    let at = data
        .windows(good.len())
        .rposition(|w| w == good.as_slice())
        .unwrap();
    data.splice(at..at + good.len(), bx(b"styp", b"ms"));
    std::fs::write(cfg.join("media/broken.mp4"), data).unwrap();
    std::fs::write(
        cfg.join("streams/zbroken.yaml"),
        "directory: broken\ntitle: Broken\nmedia:\n  - ../media/broken.mp4\ntiming_ref: broken\n",
    )
    .unwrap();
}

#[test]
fn a_failed_build_removes_what_it_staged_and_keeps_the_previous_tree() {
    let cfg = config();
    let out = cfg.path().join("out");
    let staging = cfg.path().join(".out.staging");
    // A first build that fails: nothing published, nothing left staged.
    add_broken_stream(cfg.path());
    let e = build(cfg.path(), Some(&out)).unwrap_err();
    assert!(e.to_string().contains("broken.mp4"), "{e}");
    assert!(!staging.exists(), "the failed build's staging tree is gone");
    assert!(!out.exists());
    // With a tree published, a failed build leaves it as it was.
    std::fs::remove_file(cfg.path().join("streams/zbroken.yaml")).unwrap();
    build(cfg.path(), Some(&out)).unwrap();
    let before = assert_whole(&out).fingerprint;
    add_broken_stream(cfg.path());
    build(cfg.path(), Some(&out)).unwrap_err();
    assert!(!staging.exists(), "the failed build's staging tree is gone");
    assert_eq!(assert_whole(&out).fingerprint, before);
}

#[test]
fn an_up_to_date_build_removes_what_a_killed_build_staged() {
    let cfg = config();
    let out = cfg.path().join("out");
    build(cfg.path(), Some(&out)).unwrap();
    // What a build killed mid-way leaves beside the tree.
    let staging = cfg.path().join(".out.staging");
    std::fs::create_dir_all(staging.join("dash/vod/card")).unwrap();
    std::fs::write(staging.join("dash/vod/card/1.m4v"), vec![0u8; 4096]).unwrap();
    let r = build(cfg.path(), Some(&out)).unwrap();
    assert!(r.unchanged, "{r:?}");
    assert!(!staging.exists(), "stale staging removed");
    assert_whole(&out);
}

#[test]
fn a_second_build_waits_for_the_first_and_says_so() {
    use std::io::BufRead;
    let cfg = config();
    let out = cfg.path().join("out");
    // Hold the output's lock, as a running build does.
    let held = dashlive::build::lock::OutputLock::acquire(&out, &dashlive::build::Quiet).unwrap();
    assert_eq!(held.path(), cfg.path().join(".out.lock"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_dashlive"))
        .args(["build", "--config"])
        .arg(cfg.path())
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(
        line.contains("another build") && line.contains(".out.lock") && line.contains("waiting"),
        "{line}"
    );
    // It waits: nothing is built while the lock is held.
    assert!(!out.exists() && !cfg.path().join(".out.staging").exists());
    drop(held);
    let status = child.wait().unwrap();
    assert!(status.success());
    assert_whole(&out);
}

#[test]
fn the_tree_never_shares_a_file_with_its_sources() {
    use std::os::unix::fs::FileExt;
    let cfg = config();
    let out = cfg.path().join("out");
    build(cfg.path(), Some(&out)).unwrap();
    assert_no_source_inode(cfg.path(), &out);
    // A source edited in place: the published tree keeps its bytes.
    let od = out.join("dash/odvod/card/card_90p.mp4");
    let published = std::fs::read(&od).unwrap();
    let source = cfg.path().join("media/card_90p.mp4");
    std::fs::File::options()
        .write(true)
        .open(&source)
        .unwrap()
        .write_all_at(b"edited", 64)
        .unwrap();
    assert_eq!(std::fs::read(&od).unwrap(), published);
    // A tree from an older build, whose on-demand files were hard links to
    // their sources: the next build does not carry the links over.
    for r in &read_index(&out).streams[0].representations {
        let od = out.join(&r.on_demand);
        std::fs::remove_file(&od).unwrap();
        std::fs::hard_link(
            cfg.path().join("media").join(&r.representation.filename),
            &od,
        )
        .unwrap();
    }
    retitle(cfg.path(), "Relinked");
    build(cfg.path(), Some(&out)).unwrap();
    assert_no_source_inode(cfg.path(), &out);
    assert_whole(&out);
}
