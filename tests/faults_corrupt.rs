//! `vcorrupt`: a corrupted test-card segment is still a valid file, and a
//! decoder (ffmpeg, where present) reports errors in exactly the frames the
//! corruption damaged, while the clear segment decodes clean.

mod common;

use std::path::Path;
use std::process::Command;

use dashlive::faults::corrupt::{corrupt, Corruption, NalFormat};
use dashlive::media::synth::{parse_ladder, synth, SynthOptions};
use dashlive::media::{index_file, Representation};

/// A 2-segment test card of 0.96 s segments (24 frames each) at 320x180.
fn card(dir: &Path) -> (Representation, Vec<u8>) {
    let mut o = SynthOptions::new(dir.to_path_buf());
    o.duration_ms = 1920;
    o.segment_ms = 960;
    o.ladder = parse_ladder("320x180@300k").unwrap();
    o.prefix = "tc".into();
    synth(&o).unwrap();
    let file = dir.join("tc_180p.mp4");
    (index_file(&file).unwrap(), std::fs::read(file).unwrap())
}

fn bytes_of(file: &[u8], s: &dashlive::media::Segment) -> Vec<u8> {
    file[s.offset as usize..(s.offset + s.size) as usize].to_vec()
}

/// ffmpeg's warnings and errors decoding `init + segment` (one thread, so
/// that pictures are decoded one by one, in order).
fn decode_errors(dir: &Path, name: &str, init: &[u8], segment: &[u8]) -> Vec<String> {
    let path = dir.join(name);
    let mut whole = init.to_vec();
    whole.extend_from_slice(segment);
    std::fs::write(&path, whole).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-v", "repeat+warning", "-threads", "1", "-i"])
        .arg(&path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(String::from)
        .collect()
}

/// `rep` as indexing a copy named `file` gives it.
fn rep_named(rep: &Representation, file: &str) -> Representation {
    let mut r = rep.clone();
    r.filename = file.into();
    r.id = file.trim_end_matches(".mp4").into();
    r
}

fn corruption(rep: &Representation, frames: u32) -> Corruption {
    Corruption {
        format: NalFormat::of_codecs(&rep.codecs).unwrap(),
        nal_length_size: rep.nal_length_size.unwrap(),
        frames,
    }
}

#[test]
fn a_corrupted_segment_keeps_its_boxes_and_damages_only_the_frames_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (rep, file) = card(dir.path());
    let init = bytes_of(&file, &rep.segments[0]);
    let clean = bytes_of(&file, &rep.segments[2]);
    let (bad, damaged) = corrupt(clean.clone(), &corruption(&rep, 3)).unwrap();
    assert_eq!(damaged, 3);
    assert_eq!(bad.len(), clean.len());
    assert_ne!(bad, clean);
    // Indexing the corrupted file gives the same representation: the
    // container and its sample tables are untouched.
    let at = rep.segments[2].offset as usize;
    let mut whole = file.clone();
    whole[at..at + bad.len()].copy_from_slice(&bad);
    let again = dir.path().join("again.mp4");
    std::fs::write(&again, &whole).unwrap();
    assert_eq!(index_file(&again).unwrap(), rep_named(&rep, "again.mp4"));
    // Asking for more frames than there are damages each non-IDR frame once.
    let (_, all) = corrupt(clean.clone(), &corruption(&rep, 1000)).unwrap();
    assert_eq!(all, 23, "24 frames a segment, the first an IDR");
    let (none, zero) = corrupt(clean.clone(), &corruption(&rep, 0)).unwrap();
    assert_eq!((none == clean, zero), (true, 0));

    if !common::have_ffmpeg("a_corrupted_segment_keeps_its_boxes") {
        return;
    }
    let errors = decode_errors(dir.path(), "clean.mp4", &init, &clean);
    assert!(
        errors.is_empty(),
        "the clear segment decodes clean: {errors:?}"
    );
    // Every count of frames, up to all 23 non-IDR ones.
    for frames in 1u32..=23 {
        reported_exactly(dir.path(), &rep, &init, &clean, frames);
    }
}

/// Corrupts `frames` frames of `clean` and checks that ffmpeg reports
/// exactly the damaged pictures: it says "corrupt decoded frame" of each
/// picture it decoded with errors (the decoder's own lines repeat for the
/// frames read while probing, so they are not counted).
fn reported_exactly(dir: &Path, rep: &Representation, init: &[u8], clean: &[u8], frames: u32) {
    let (bad, damaged) = corrupt(clean.to_vec(), &corruption(rep, frames)).unwrap();
    assert!(damaged > 0, "frames={frames}: nothing damaged");
    let errors = decode_errors(dir, "bad.mp4", init, &bad);
    let reported = errors
        .iter()
        .filter(|l| l.contains("corrupt decoded frame"))
        .count();
    assert_eq!(
        reported, damaged,
        "frames={frames}: {damaged} damaged, ffmpeg says {errors:#?}"
    );
}

/// BBB's H.264 (x264) is CABAC: the other entropy coder.
#[test]
fn bbb_cabac_segments_are_damaged_in_the_frames_asked() {
    let Some(dir) = common::bbb_dir("bbb_cabac_segments_are_damaged") else {
        return;
    };
    if !common::have_ffmpeg("bbb_cabac_segments_are_damaged") {
        return;
    }
    let file = std::fs::read(dir.join("bbb_v6.mp4")).unwrap();
    let rep = index_file(&dir.join("bbb_v6.mp4")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let init = bytes_of(&file, &rep.segments[0]);
    let clean = bytes_of(&file, &rep.segments[3]);
    assert!(decode_errors(tmp.path(), "clean.mp4", &init, &clean).is_empty());
    for frames in [1u32, 4, 10, 30] {
        reported_exactly(tmp.path(), &rep, &init, &clean, frames);
    }
}
