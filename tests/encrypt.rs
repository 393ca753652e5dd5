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

/// The trun data offset, saio offset, senc position and payload, and PIFF
/// payload of the first moof of a segment, and the sidx's first size.
struct Layout {
    moof: u64,
    data_offset: i32,
    saio: u64,
    senc_entries: u64,
    senc: Vec<u8>,
    piff: Option<Vec<u8>>,
    sidx_size: u32,
}

fn layout(seg: &[u8]) -> Layout {
    use dashlive::mp4::boxes::{expect, Saio, Sidx, Trun, PIFF_SAMPLE_ENCRYPTION};
    let top: Vec<_> = boxes(seg).map(Result::unwrap).collect();
    let sidx = top.iter().find(|b| b.typ() == b"sidx").unwrap();
    let moof = top.iter().find(|b| b.typ() == b"moof").unwrap();
    let traf = moof.child(b"traf").unwrap().unwrap();
    let senc = traf.child(b"senc").unwrap().unwrap();
    let piff = traf
        .children()
        .map(Result::unwrap)
        .find(|c| c.header.uuid == Some(PIFF_SAMPLE_ENCRYPTION));
    Layout {
        moof: moof.offset,
        data_offset: expect(&traf.child(b"trun").unwrap().unwrap(), Trun::parse)
            .unwrap()
            .data_offset
            .unwrap(),
        saio: expect(&traf.child(b"saio").unwrap().unwrap(), Saio::parse)
            .unwrap()
            .offsets[0],
        senc_entries: senc.offset + 16,
        senc: senc.payload().to_vec(),
        piff: piff.map(|p| p.payload().to_vec()),
        sidx_size: expect(sidx, Sidx::parse).unwrap().references[0].referenced_size,
    }
}

#[test]
fn pre_encrypted_bbb_takes_the_piff_box_and_the_stale_saio() {
    use dashlive::mp4::encrypt::adjust_encrypted_media;
    let Some(dir) = common::bbb_dir("pre_encrypted_bbb_takes_the_piff_box") else {
        return;
    };
    let file = dir.join("bbb_v6_enc.mp4");
    let rep = index_file(&file).unwrap();
    let data = std::fs::read(&file).unwrap();
    let s = rep.media_segments()[1];
    let seg = &data[s.offset as usize..(s.offset + s.size) as usize];
    let before = layout(seg);
    assert_eq!(
        before.moof + before.saio,
        before.senc_entries,
        "BBB's saio is right"
    );
    let sample = |seg: &[u8], l: &Layout| {
        let at = (l.moof as i64 + i64::from(l.data_offset)) as usize;
        seg[at..at + 64].to_vec()
    };
    let piff = MediaOptions {
        piff: true,
        stale_saio: false,
    };
    let out = adjust_encrypted_media(seg, piff).unwrap();
    let after = layout(&out);
    let grown = (out.len() - seg.len()) as u32;
    assert_eq!(grown as usize, 8 + 16 + before.senc.len(), "one PIFF box");
    assert_eq!(
        after.piff.as_deref(),
        Some(&before.senc[..]),
        "a copy of senc"
    );
    assert_eq!(
        after.moof + after.saio,
        after.senc_entries,
        "saio recomputed"
    );
    assert_eq!(
        sample(&out, &after),
        sample(seg, &before),
        "trun still finds the samples"
    );
    assert_eq!(
        after.sidx_size,
        before.sidx_size + grown,
        "sidx covers the larger moof"
    );
    // bugs=saio: the offset BBB had, now short of senc by the PIFF box.
    let stale = MediaOptions {
        piff: true,
        stale_saio: true,
    };
    let bad = layout(&adjust_encrypted_media(seg, stale).unwrap());
    assert_eq!(bad.saio, before.saio);
    assert_eq!(bad.moof + bad.saio + u64::from(grown), bad.senc_entries);
    assert_eq!(
        adjust_encrypted_media(seg, MediaOptions::default()).unwrap(),
        seg
    );
}
