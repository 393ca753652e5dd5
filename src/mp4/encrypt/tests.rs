//! The engine against known answers, an independent decryption, and the box
//! layout a player reads.

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockDecryptMut, InnerIvInit, KeyInit, StreamCipher};
use aes::Aes128;

use super::cipher::{for_pattern_blocks, for_protected, nal_subsamples, pattern, SampleCipher};
use super::*;
use crate::mp4::boxes::{expect, Saio, Saiz, Senc, Sidx, SidxReference, Subsample, Tenc, Trun};
use crate::mp4::mux::{self, Handler, Sample, TrackConfig};
use crate::mp4::tree::{boxes, BoxRef};
use crate::mp4::write::WriteBox;
use crate::mp4::FourCC;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn arr(s: &str) -> [u8; 16] {
    hex(s).try_into().unwrap()
}

/// NIST SP 800-38A's AES-128 key, and its first two plaintext blocks.
const NIST_KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const NIST_PLAIN: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51";

fn protection(scheme: Scheme, iv_size: u8) -> Protection {
    Protection {
        scheme,
        kid: arr("00112233445566778899aabbccddeeff"),
        key: arr(NIST_KEY),
        iv_size,
    }
}

const AVC: TrackKind = TrackKind::Avc { nal_length_size: 4 };
const NONE: MediaOptions = MediaOptions {
    piff: false,
    stale_saio: false,
};

#[test]
fn cenc_whole_sample_matches_the_nist_ctr_vector() {
    // SP 800-38A F.5.1: the counter's low byte carries into the next one.
    let mut data = hex(NIST_PLAIN);
    let iv = arr("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    SampleCipher::new(&protection(Scheme::Cenc, 16), TrackKind::Audio).encrypt(&mut data, &iv, &[]);
    assert_eq!(
        data,
        hex("874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff")
    );
}

#[test]
fn cbcs_audio_matches_the_nist_cbc_vector_and_leaves_the_partial_block() {
    // SP 800-38A F.2.1, then 5 bytes that do not make a block.
    let mut data = hex(NIST_PLAIN);
    data.extend_from_slice(b"tail!");
    let iv = arr("000102030405060708090a0b0c0d0e0f");
    SampleCipher::new(&protection(Scheme::Cbcs, 0), TrackKind::Audio).encrypt(&mut data, &iv, &[]);
    assert_eq!(
        data[..32],
        hex("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2")
    );
    assert_eq!(&data[32..], b"tail!");
}

#[test]
fn cbcs_video_encrypts_one_block_in_ten_chained_from_the_last_encrypted() {
    let clear: Vec<u8> = (0..11 * 16 + 3).map(|i| i as u8).collect();
    let mut data = clear.clone();
    let iv = arr("000102030405060708090a0b0c0d0e0f");
    let sub = [Subsample {
        clear_bytes: 0,
        protected_bytes: data.len() as u32,
    }];
    SampleCipher::new(&protection(Scheme::Cbcs, 0), AVC).encrypt(&mut data, &iv, &sub);
    let aes = Aes128::new(GenericArray::from_slice(&arr(NIST_KEY)));
    let block = |prev: &[u8], plain: &[u8]| {
        use aes::cipher::BlockEncrypt;
        let mut b = GenericArray::clone_from_slice(
            &prev
                .iter()
                .zip(plain)
                .map(|(a, b)| a ^ b)
                .collect::<Vec<_>>(),
        );
        aes.encrypt_block(&mut b);
        b.to_vec()
    };
    let c0 = block(&iv, &clear[..16]);
    assert_eq!(data[..16], c0[..]);
    assert_eq!(data[16..160], clear[16..160], "blocks 1-9 clear");
    assert_eq!(data[160..176], block(&c0, &clear[160..176])[..]);
    assert_eq!(data[176..], clear[176..], "the partial block stays clear");
}

/// A NAL unit: 4-byte length, then `header` and `len - 1` filler bytes.
fn nal(header: u8, len: usize) -> Vec<u8> {
    let mut v = (len as u32).to_be_bytes().to_vec();
    v.push(header);
    v.extend((1..len).map(|i| (i * 7 + usize::from(header)) as u8));
    v
}

#[test]
fn avc_subsamples_leave_headers_and_non_vcl_units_clear() {
    // SPS (7), SEI (6), an IDR slice (5) of 100 bytes, a tiny slice (1).
    let sample = [
        nal(0x67, 20),
        nal(0x06, 70_000),
        nal(0x65, 100),
        nal(0x41, 10),
    ]
    .concat();
    let subs = nal_subsamples(&sample, AVC).unwrap();
    // 99 bytes after the IDR header: 96 protected, 3 clear; clear before
    // them: 24 + 70004 + 4 + 1 + 3, split at 65535.
    let clear_before = 24 + 70_004 + 4 + 1 + 3;
    assert_eq!(
        subs,
        [
            Subsample {
                clear_bytes: u16::MAX,
                protected_bytes: 0
            },
            Subsample {
                clear_bytes: (clear_before - 65_535) as u16,
                protected_bytes: 96
            },
            Subsample {
                clear_bytes: 14,
                protected_bytes: 0
            },
        ]
    );
    let covered: usize = subs
        .iter()
        .map(|s| usize::from(s.clear_bytes) + s.protected_bytes as usize)
        .sum();
    assert_eq!(covered, sample.len());
    // HEVC: two-byte headers; type 32 (VPS) is not VCL, type 1 is.
    let hevc = TrackKind::Hevc { nal_length_size: 4 };
    let s = [nal(32 << 1, 40), nal(1 << 1, 50)].concat();
    assert_eq!(
        nal_subsamples(&s, hevc).unwrap(),
        [Subsample {
            clear_bytes: 44 + 4 + 2,
            protected_bytes: 48
        }]
    );
    // A length past the sample is an error, not a panic.
    let mut bad = nal(0x65, 100);
    bad.truncate(50);
    assert!(nal_subsamples(&bad, AVC).unwrap_err().contains("runs past"));
}

fn video_track() -> TrackConfig {
    let avcc = [1, 0x64, 0, 0x1f, 0xff, 0xe0, 0];
    TrackConfig {
        track_id: 1,
        timescale: 12_800,
        handler: Handler::Video,
        language: "und".into(),
        sample_entry: mux::avc_sample_entry(b"avc1", 320, 180, &avcc, 300_000),
        width: 320,
        height: 180,
        duration: 0,
        default_sample_duration: 512,
    }
}

/// Video samples: SPS + IDR first, then slices of growing size.
fn video_samples() -> Vec<Vec<u8>> {
    let mut v = vec![[nal(0x67, 12), nal(0x65, 3000)].concat()];
    v.extend((1..10).map(|i| nal(0x41, 40 + 97 * i)));
    v
}

fn segment(track: &TrackConfig, data: &[Vec<u8>]) -> Vec<u8> {
    let samples: Vec<Sample> = data
        .iter()
        .enumerate()
        .map(|(i, d)| Sample {
            data: d,
            duration: track.default_sample_duration,
            sync: i == 0,
        })
        .collect();
    mux::media_segment(track, 7, 3 * 5120, &samples)
}

/// What a player reads from one traf of an encrypted segment.
struct Parsed {
    moof_offset: u64,
    senc: Senc,
    senc_offset: u64,
    saiz: Saiz,
    saio: Saio,
    trun: Trun,
    piff: Option<(u64, Vec<u8>)>,
}

fn parse(seg: &[u8], iv_size: u8) -> Vec<Parsed> {
    let mut out = Vec::new();
    for m in boxes(seg) {
        let m = m.unwrap();
        if m.typ() != b"moof" {
            continue;
        }
        let traf = m.child(b"traf").unwrap().unwrap();
        let get = |t: &[u8; 4]| traf.child(t).unwrap().unwrap();
        let senc_box = get(b"senc");
        let piff = traf
            .children()
            .map(Result::unwrap)
            .find(|c: &BoxRef| c.header.uuid == Some(crate::mp4::boxes::PIFF_SAMPLE_ENCRYPTION))
            .map(|c| (c.offset, c.payload().to_vec()));
        out.push(Parsed {
            moof_offset: m.offset,
            senc: expect(&senc_box, |p| Senc::parse(p, iv_size)).unwrap(),
            senc_offset: senc_box.offset,
            saiz: expect(&get(b"saiz"), Saiz::parse).unwrap(),
            saio: expect(&get(b"saio"), Saio::parse).unwrap(),
            trun: expect(&get(b"trun"), Trun::parse).unwrap(),
            piff,
        });
    }
    out
}

/// Decrypts with the `aes`/`ctr`/`cbc` crates directly, as a player would.
fn decrypt(p: &Protection, kind: TrackKind, sample: &mut [u8], iv: &[u8; 16], subs: &[Subsample]) {
    let aes = Aes128::new(GenericArray::from_slice(&p.key));
    match p.scheme {
        Scheme::Cenc => {
            let mut c =
                ctr::Ctr128BE::<Aes128>::from_core(ctr::CtrCore::inner_iv_init(aes, iv.into()));
            for_protected(sample, subs, |r| c.apply_keystream(r));
        }
        Scheme::Cbcs => for_protected(sample, subs, |r| {
            let mut c = cbc::Decryptor::<Aes128>::inner_iv_init(aes.clone(), iv.into());
            for_pattern_blocks(r, pattern(kind), |b| {
                c.decrypt_block_mut(GenericArray::from_mut_slice(b))
            });
        }),
    }
}

/// Decrypts every sample of `enc` as its boxes say, checking the layout on
/// the way; returns the samples.
fn decrypt_all(enc: &[u8], p: &Protection, kind: TrackKind) -> Vec<Vec<u8>> {
    let iv_size = p.per_sample_iv_size().unwrap();
    let mut samples = Vec::new();
    for t in parse(enc, iv_size) {
        let n = t.trun.sample_count as usize;
        assert_eq!(
            t.senc.samples.len(),
            n,
            "senc sample count = trun sample count"
        );
        assert_eq!(t.saiz.sample_count as usize, n);
        for (i, s) in t.senc.samples.iter().enumerate() {
            let size = if t.saiz.default_sample_info_size == 0 {
                t.saiz.sample_info_sizes[i]
            } else {
                t.saiz.default_sample_info_size
            };
            let subs = if t.senc.flags & 2 != 0 {
                2 + 6 * s.subsamples.len()
            } else {
                0
            };
            assert_eq!(
                usize::from(size),
                s.iv.len() + subs,
                "saiz size of sample {i}"
            );
        }
        // saio: moof-relative, at the first byte of the first senc entry.
        assert_eq!(t.saio.offsets.len(), 1);
        assert_eq!(t.moof_offset + t.saio.offsets[0], t.senc_offset + 16);
        let mut pos = (t.moof_offset as i64 + i64::from(t.trun.data_offset.unwrap())) as usize;
        for (i, s) in t.senc.samples.iter().enumerate() {
            let size = t.trun.samples[i].size.unwrap() as usize;
            let mut sample = enc[pos..pos + size].to_vec();
            let mut iv = [0u8; 16];
            if s.iv.is_empty() {
                iv = cbcs_constant_iv(p);
            } else {
                iv[..s.iv.len()].copy_from_slice(&s.iv);
            }
            decrypt(p, kind, &mut sample, &iv, &s.subsamples);
            samples.push(sample);
            pos += size;
        }
    }
    samples
}

#[test]
fn protected_video_decrypts_back_to_the_clear_samples() {
    let clear = video_samples();
    let seg = segment(&video_track(), &clear);
    for p in [
        protection(Scheme::Cenc, 8),
        protection(Scheme::Cenc, 16),
        protection(Scheme::Cbcs, 0),
    ] {
        let enc = protect_media(&seg, &p, AVC, 41, NONE).unwrap();
        assert_eq!(decrypt_all(&enc, &p, AVC), clear, "{p:?}");
        // Something was encrypted: the IDR slice's bytes changed.
        let first = parse(&enc, p.per_sample_iv_size().unwrap()).remove(0);
        let at = (first.moof_offset as i64 + i64::from(first.trun.data_offset.unwrap())) as usize;
        assert_ne!(enc[at..at + clear[0].len()], clear[0][..], "{p:?}");
        assert_eq!(
            enc[at..at + 21],
            clear[0][..21],
            "SPS and slice header bytes clear"
        );
    }
}

#[test]
fn protected_audio_decrypts_back_and_uses_no_subsamples() {
    let track = mux::test_aac_track();
    let clear: Vec<Vec<u8>> = (0..12).map(|i| vec![i as u8; 200 + 13 * i]).collect();
    let seg = segment(&track, &clear);
    for p in [protection(Scheme::Cenc, 8), protection(Scheme::Cbcs, 0)] {
        let enc = protect_media(&seg, &p, TrackKind::Audio, 1, NONE).unwrap();
        assert_eq!(decrypt_all(&enc, &p, TrackKind::Audio), clear);
        let t = parse(&enc, p.per_sample_iv_size().unwrap()).remove(0);
        assert_eq!(t.senc.flags & 2, 0);
        assert!(t.senc.samples.iter().all(|s| s.subsamples.is_empty()));
    }
}

#[test]
fn ivs_are_deterministic_and_differ_between_segments_and_tracks() {
    let seg = segment(&video_track(), &video_samples());
    let p = protection(Scheme::Cenc, 8);
    let a = protect_media(&seg, &p, AVC, 5, NONE).unwrap();
    assert_eq!(
        a,
        protect_media(&seg, &p, AVC, 5, NONE).unwrap(),
        "same URL, same bytes"
    );
    let b = protect_media(&seg, &p, AVC, 6, NONE).unwrap();
    let ivs = |s: &[u8]| -> Vec<Vec<u8>> {
        parse(s, 8)
            .remove(0)
            .senc
            .samples
            .into_iter()
            .map(|x| x.iv)
            .collect()
    };
    let (ia, ib) = (ivs(&a), ivs(&b));
    assert!(
        ia.iter().all(|iv| !ib.contains(iv)),
        "segments 5 and 6 share no IV"
    );
    let mut unique = ia.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ia.len());
    assert_ne!(
        sample_iv(&p, AVC, 5, 0),
        sample_iv(&p, TrackKind::Audio, 5, 0)
    );
}

#[test]
fn piff_copies_senc_and_stale_saio_keeps_the_offset_from_before_it() {
    let seg = segment(&video_track(), &video_samples());
    let p = protection(Scheme::Cenc, 8);
    let piff = MediaOptions {
        piff: true,
        stale_saio: false,
    };
    let stale = MediaOptions {
        piff: true,
        stale_saio: true,
    };
    let plain = protect_media(&seg, &p, AVC, 2, NONE).unwrap();
    let with = protect_media(&seg, &p, AVC, 2, piff).unwrap();
    let t = parse(&with, 8).remove(0);
    let (piff_at, piff_payload) = t.piff.clone().expect("a PIFF box");
    assert!(piff_at < t.senc_offset, "before saiz, so before senc");
    let senc = boxes(&with).nth(1).unwrap().unwrap();
    let senc = senc
        .child(b"traf")
        .unwrap()
        .unwrap()
        .child(b"senc")
        .unwrap()
        .unwrap();
    assert_eq!(piff_payload, senc.payload(), "a copy of senc");
    assert_eq!(
        decrypt_all(&with, &p, AVC),
        video_samples(),
        "saio right, trun moved"
    );
    // Stale: saio says where senc was before the PIFF box went in.
    let bad = protect_media(&seg, &p, AVC, 2, stale).unwrap();
    let s = parse(&bad, 8).remove(0);
    let piff_len = 8 + 16 + piff_payload.len() as u64;
    assert_eq!(
        s.moof_offset + s.saio.offsets[0] + piff_len,
        s.senc_offset + 16
    );
    // The same edits on an already-encrypted segment give the same bytes.
    assert_eq!(adjust_encrypted_media(&plain, piff).unwrap(), with);
    assert_eq!(adjust_encrypted_media(&plain, stale).unwrap(), bad);
    assert_eq!(adjust_encrypted_media(&plain, NONE).unwrap(), plain);
    let only_stale = MediaOptions {
        piff: false,
        stale_saio: true,
    };
    assert_eq!(adjust_encrypted_media(&plain, only_stale).unwrap(), plain);
    // A second PIFF box is not added.
    assert_eq!(adjust_encrypted_media(&with, piff).unwrap(), with);
}

#[test]
fn a_sidx_before_the_moof_grows_with_it() {
    let track = mux::test_aac_track();
    let clear: Vec<Vec<u8>> = (0..4).map(|i| vec![i as u8; 300]).collect();
    let seg = segment(&track, &clear);
    // styp (24 bytes), then a sidx covering moof + mdat.
    let sidx = Sidx {
        version: 0,
        reference_id: 1,
        timescale: 48_000,
        earliest_presentation_time: 0,
        first_offset: 0,
        references: vec![SidxReference {
            reference_type: 0,
            referenced_size: (seg.len() - 24) as u32,
            subsegment_duration: 4096,
            starts_with_sap: true,
            sap_type: 1,
            sap_delta_time: 0,
        }],
    }
    .to_bytes();
    let with_sidx = [&seg[..24], &sidx[..], &seg[24..]].concat();
    let p = protection(Scheme::Cenc, 16);
    let enc = protect_media(&with_sidx, &p, TrackKind::Audio, 3, NONE).unwrap();
    let b = boxes(&enc).nth(1).unwrap().unwrap();
    let s = expect(&b, Sidx::parse).unwrap();
    assert_eq!(
        s.references[0].referenced_size as usize,
        enc.len() - 24 - sidx.len()
    );
    assert_eq!(decrypt_all(&enc, &p, TrackKind::Audio), clear);
}

fn sample_entry<'a>(init: &'a [u8]) -> BoxRef<'a> {
    let moov = boxes(init)
        .find(|b| b.as_ref().unwrap().typ() == b"moov")
        .unwrap()
        .unwrap();
    let stsd = moov.find("trak/mdia/minf/stbl/stsd").unwrap().unwrap();
    stsd.children().next().unwrap().unwrap()
}

fn tenc_of(entry: &BoxRef) -> Tenc {
    let tenc = entry.find("sinf/schi/tenc").unwrap().unwrap();
    expect(&tenc, Tenc::parse).unwrap()
}

#[test]
fn protect_init_makes_encv_and_enca_with_sinf() {
    let clear = mux::init_segment(&video_track());
    let p = protection(Scheme::Cenc, 8);
    let init = protect_init(&clear, &p).unwrap();
    assert_eq!(init.len(), clear.len() + 8 + 12 + 20 + 8 + 32);
    let e = sample_entry(&init);
    assert_eq!(e.typ(), b"encv");
    let frma = e.find("sinf/frma").unwrap().unwrap();
    assert_eq!(frma.payload(), b"avc1");
    let schm = e.find("sinf/schm").unwrap().unwrap();
    assert_eq!(schm.payload()[4..12], *b"cenc\0\x01\0\0");
    let t = tenc_of(&e);
    assert_eq!(
        (
            t.version,
            t.default_is_protected,
            t.default_per_sample_iv_size,
            t.default_kid
        ),
        (0, 1, 8, p.kid)
    );
    // The codec configuration is still there, before sinf.
    assert!(e.child(b"avcC").unwrap().is_some());
    // cbcs: tenc v1, 1:9, constant IV; audio 0:0.
    let c = protection(Scheme::Cbcs, 8);
    let init = protect_init(&clear, &c).unwrap();
    let t = tenc_of(&sample_entry(&init));
    assert_eq!(
        (
            t.version,
            t.default_crypt_byte_block,
            t.default_skip_byte_block
        ),
        (1, 1, 9)
    );
    assert_eq!(t.default_per_sample_iv_size, 0);
    assert_eq!(t.default_constant_iv, Some(cbcs_constant_iv(&c).to_vec()));
    let audio = protect_init(&mux::init_segment(&mux::test_aac_track()), &c).unwrap();
    let e = sample_entry(&audio);
    assert_eq!(e.typ(), b"enca");
    let t = tenc_of(&e);
    assert_eq!(
        (t.default_crypt_byte_block, t.default_skip_byte_block),
        (0, 0)
    );
    // Twice is refused; so is a cenc IV size CENC does not allow.
    let err = protect_init(&audio, &c).unwrap_err().to_string();
    assert!(
        err.contains("already protected") && err.contains("stsd/enca"),
        "{err}"
    );
    assert!(matches!(
        protect_init(&clear, &protection(Scheme::Cenc, 12)),
        Err(EncryptError::IvSize(12))
    ));
}

#[test]
fn pssh_boxes_go_at_the_end_of_moov() {
    let init = mux::init_segment(&mux::test_aac_track());
    let pssh = crate::mp4::boxes::Pssh {
        version: 0,
        system_id: [9; 16],
        kids: vec![],
        data: vec![1, 2, 3],
    }
    .to_bytes();
    let out = add_pssh(&init, &[pssh.clone(), pssh.clone()]).unwrap();
    assert_eq!(out.len(), init.len() + 2 * pssh.len());
    let moov = boxes(&out).nth(1).unwrap().unwrap();
    let kids: Vec<FourCC> = moov.children().map(|c| c.unwrap().typ()).collect();
    assert_eq!(
        kids[kids.len() - 2..],
        [FourCC::new(b"pssh"), FourCC::new(b"pssh")]
    );
    assert!(moov.data.ends_with(&pssh));
    assert!(add_pssh(&init, &[b"\0\0\0\x08free".to_vec()]).is_err());
}

#[test]
fn broken_or_encrypted_input_is_an_error_not_a_panic() {
    let seg = segment(&video_track(), &video_samples());
    let p = protection(Scheme::Cenc, 8);
    let enc = protect_media(&seg, &p, AVC, 1, NONE).unwrap();
    let err = protect_media(&enc, &p, AVC, 1, NONE)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("already encrypted") && err.contains("moof[0]/traf[0]"),
        "{err}"
    );
    for cut in [10, 40, seg.len() / 2, seg.len() - 1] {
        assert!(
            protect_media(&seg[..cut], &p, AVC, 1, NONE).is_err(),
            "cut at {cut}"
        );
    }
    // Garbage in a sample: a NAL length past its end.
    let mut bad = video_samples();
    bad[1][0] = 0x7f;
    let err = protect_media(&segment(&video_track(), &bad), &p, AVC, 1, NONE).unwrap_err();
    assert!(err.to_string().contains("sample 1"), "{err}");
}
