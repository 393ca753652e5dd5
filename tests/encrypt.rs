//! On-the-fly encryption against a real client: the synth test card,
//! protected init + every media segment, decrypted and decoded by ffmpeg
//! (`-decryption_key`), frame for frame the same as the clear file; with a
//! wrong key the decoders complain.

mod common;

use std::path::Path;
use std::process::Command;

use dashlive::media::index_file;
use dashlive::media::synth::{parse_ladder, synth, SynthOptions};
use dashlive::mp4::encrypt::{
    protect_init, protect_media, MediaOptions, Protection, Scheme, TrackKind,
};
use dashlive::mp4::tree::boxes;

const KEY: [u8; 16] = *b"0123456789abcdef";
const WRONG_KEY: [u8; 16] = *b"0123456789abcdeX";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn generate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut o = SynthOptions::new(dir.path().to_path_buf());
    o.duration_ms = 2880;
    o.segment_ms = 960;
    o.ladder = parse_ladder("320x180@300k").unwrap();
    o.prefix = "tc".into();
    synth(&o).unwrap();
    dir
}

/// The NAL length size from the avcC of an init segment.
fn nal_length_size(init: &[u8]) -> u8 {
    let moov = boxes(init).find(|b| b.as_ref().unwrap().typ() == b"moov");
    let stsd = moov
        .unwrap()
        .unwrap()
        .find("trak/mdia/minf/stbl/stsd")
        .unwrap()
        .unwrap();
    let entry = stsd.children().next().unwrap().unwrap();
    let avcc = entry.child(b"avcC").unwrap().unwrap();
    (avcc.payload()[4] & 3) + 1
}

/// The clear file cut into init + segment files (what a DASH player
/// appends, one segment at a time), and the same protected with `p`.
/// ffmpeg is given one segment at a time because its mov demuxer applies the
/// encryption info of the last `moof` it has read to every sample, so a whole
/// multi-fragment file it reads ahead of decoding fails even when each
/// fragment is right.
fn clear_and_protected(file: &Path, p: &Protection, audio: bool) -> Vec<(Vec<u8>, Vec<u8>)> {
    let rep = index_file(file).unwrap();
    let data = std::fs::read(file).unwrap();
    let part =
        |s: &dashlive::media::Segment| &data[s.offset as usize..(s.offset + s.size) as usize];
    let init = part(&rep.segments[0]);
    let kind = if audio {
        TrackKind::Audio
    } else {
        TrackKind::Avc {
            nal_length_size: nal_length_size(init),
        }
    };
    let protected_init = protect_init(init, p).unwrap();
    rep.media_segments()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let opts = MediaOptions::default();
            let enc = protect_media(part(s), p, kind, i as u64 + 1, opts).unwrap();
            (
                [init, part(s)].concat(),
                [&protected_init[..], &enc[..]].concat(),
            )
        })
        .collect()
}

/// ffmpeg's per-frame checksums of `file` (decrypted with `key`) and what
/// it said at level `error`.
fn framemd5(file: &Path, key: Option<&[u8; 16]>) -> (Vec<String>, String) {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error"]);
    if let Some(k) = key {
        cmd.args(["-decryption_key", &hex(k)]);
    }
    let out = cmd
        .arg("-i")
        .arg(file)
        .args(["-f", "framemd5", "-"])
        .output()
        .unwrap();
    let frames = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap_or("").trim().to_string())
        .collect();
    (frames, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn check(scheme: Scheme, iv_size: u8, audio: bool) {
    let dir = generate();
    let file = dir
        .path()
        .join(if audio { "tc_aac.mp4" } else { "tc_180p.mp4" });
    let p = Protection {
        scheme,
        kid: [0x11; 16],
        key: KEY,
        iv_size,
    };
    let what = format!("{scheme:?} {}", if audio { "audio" } else { "video" });
    let (clear_path, enc_path) = (dir.path().join("clear.mp4"), dir.path().join("enc.mp4"));
    let mut frames = 0;
    for (i, (clear, enc)) in clear_and_protected(&file, &p, audio).iter().enumerate() {
        std::fs::write(&clear_path, clear).unwrap();
        std::fs::write(&enc_path, enc).unwrap();
        let (want, errors) = framemd5(&clear_path, None);
        assert!(errors.is_empty(), "clear segment {i}: {errors}");
        let (got, errors) = framemd5(&enc_path, Some(&KEY));
        assert!(
            errors.is_empty(),
            "{what} segment {i}: ffmpeg said: {errors}"
        );
        assert_eq!(
            got, want,
            "{what} segment {i}: every frame decodes as the clear one"
        );
        frames += got.len();
        if i == 0 {
            // The negative: with a wrong key the frames are not the clear
            // ones and the decoder says so.
            let (bad, errors) = framemd5(&enc_path, Some(&WRONG_KEY));
            assert_ne!(bad, want, "{what}");
            assert!(!errors.is_empty(), "{what}: a wrong key decoded silently");
        }
    }
    assert_eq!(frames, if audio { 135 } else { 72 }, "{what}: every frame");
}

#[test]
fn ffmpeg_decrypts_cenc_video_frame_for_frame() {
    if common::have_ffmpeg("ffmpeg_decrypts_cenc_video") {
        check(Scheme::Cenc, 8, false);
    }
}

#[test]
fn ffmpeg_decrypts_cenc_audio_frame_for_frame() {
    if common::have_ffmpeg("ffmpeg_decrypts_cenc_audio") {
        check(Scheme::Cenc, 16, true);
    }
}

#[test]
fn ffmpeg_decrypts_cbcs_video_frame_for_frame() {
    if common::have_ffmpeg("ffmpeg_decrypts_cbcs_video") {
        check(Scheme::Cbcs, 0, false);
    }
}

#[test]
fn ffmpeg_decrypts_cbcs_audio_frame_for_frame() {
    if common::have_ffmpeg("ffmpeg_decrypts_cbcs_audio") {
        check(Scheme::Cbcs, 0, true);
    }
}
