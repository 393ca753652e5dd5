//! Writers round-trip through their parsers, and parsers refuse bad input.

use super::*;
use crate::mp4::tree::boxes;
use crate::mp4::write::WriteBox;

fn reparse<T>(b: &impl WriteBox, parse: impl Fn(&[u8]) -> crate::mp4::reader::FieldResult<T>) -> T {
    let bytes = b.to_bytes();
    let r = boxes(&bytes).next().unwrap().unwrap();
    assert_eq!(r.header.size as usize, bytes.len());
    assert_eq!(r.typ(), b.box_type());
    parse(r.payload()).unwrap()
}

#[test]
fn pssh_v0_and_v1_round_trip() {
    let v0 = Pssh {
        version: 0,
        system_id: [0x9a; 16],
        kids: vec![],
        data: b"payload".to_vec(),
    };
    assert_eq!(reparse(&v0, Pssh::parse), v0);
    let v1 = Pssh {
        version: 1,
        system_id: [0xed; 16],
        kids: vec![vec![1; 16], vec![2; 16]],
        data: vec![],
    };
    assert_eq!(reparse(&v1, Pssh::parse), v1);
    // Key IDs force version 1, which is the only version that carries them.
    let upgraded = Pssh {
        version: 0,
        ..v1.clone()
    };
    assert_eq!(reparse(&upgraded, Pssh::parse), v1);
}

#[test]
fn emsg_v0_and_v1_round_trip() {
    for version in [0, 1] {
        let e = Emsg {
            version,
            scheme_id_uri: "urn:scte:scte35:2013:bin".into(),
            value: "1".into(),
            timescale: 90_000,
            presentation_time: 180_000,
            event_duration: 45_000,
            id: 7,
            message_data: vec![0xfc, 0x30, 0x11],
        };
        assert_eq!(reparse(&e, Emsg::parse), e);
    }
}

#[test]
fn tfdt_mfhd_sidx_round_trip() {
    let t = Tfdt::v1(1 << 40);
    assert_eq!(reparse(&t, Tfdt::parse), t);
    assert_eq!(t.to_bytes().len(), 20);
    let m = Mfhd {
        sequence_number: 42,
    };
    assert_eq!(reparse(&m, Mfhd::parse), m);
    let s = Sidx {
        version: 0,
        reference_id: 1,
        timescale: 240,
        earliest_presentation_time: 960,
        first_offset: 0,
        references: vec![SidxReference {
            reference_type: 0,
            referenced_size: 184_338,
            subsegment_duration: 960,
            starts_with_sap: true,
            sap_type: 1,
            sap_delta_time: 0,
        }],
    };
    assert_eq!(reparse(&s, Sidx::parse), s);
    // A time that does not fit 32 bits is written as version 1.
    let wide = Sidx {
        earliest_presentation_time: 1 << 33,
        ..s.clone()
    };
    assert_eq!(reparse(&wide, Sidx::parse).version, 1);
}

fn samples(iv: usize, subsamples: bool) -> Vec<SampleAuxInfo> {
    (0..3u8)
        .map(|i| SampleAuxInfo {
            iv: vec![i; iv],
            subsamples: if subsamples {
                vec![Subsample {
                    clear_bytes: 10 + u16::from(i),
                    protected_bytes: 1000,
                }]
            } else {
                vec![]
            },
        })
        .collect()
}

#[test]
fn senc_and_piff_round_trip() {
    for (iv, sub) in [(8, true), (16, false), (0, true)] {
        let s = Senc {
            version: 0,
            flags: if sub { USE_SUBSAMPLES } else { 0 },
            iv_size: iv as u8,
            samples: samples(iv, sub),
        };
        assert_eq!(reparse(&s, |p| Senc::parse(p, iv as u8)), s);
    }
    let piff = PiffSampleEncryption {
        version: 0,
        flags: USE_SUBSAMPLES | PIFF_OVERRIDE_TRACK,
        algorithm_id: Some(1),
        iv_size: 8,
        kid: Some(vec![0xab; 16]),
        samples: samples(8, true),
    };
    let bytes = piff.to_bytes();
    let r = boxes(&bytes).next().unwrap().unwrap();
    assert_eq!(r.header.uuid, Some(PIFF_SAMPLE_ENCRYPTION));
    assert_eq!(PiffSampleEncryption::parse(r.payload(), 0).unwrap(), piff);
    // The offset saio must point at: the first IV.
    assert_eq!(&bytes[piff.first_sample_offset()..][..8], &[0u8; 8]);
}

#[test]
fn senc_guesses_the_iv_size_that_parses_exactly() {
    let s = Senc {
        version: 0,
        flags: USE_SUBSAMPLES,
        iv_size: 8,
        samples: samples(8, true),
    };
    let bytes = s.to_bytes();
    assert_eq!(Senc::parse_guessing(&bytes[8..]).unwrap().iv_size, 8);
    assert!(Senc::parse(&bytes[8..], 16).is_err());
}

#[test]
fn absurd_counts_are_refused_before_allocating() {
    // trun claiming 2^32-1 samples with per-sample sizes, in a 16-byte payload.
    let mut p = vec![0, 0, 0x02, 0x00];
    p.extend_from_slice(&u32::MAX.to_be_bytes());
    p.extend_from_slice(&[0; 8]);
    let e = Trun::parse(&p).unwrap_err();
    assert!(
        matches!(e.kind, crate::mp4::ErrorKind::TooMany { .. }),
        "{e:?}"
    );
    let mut s = vec![0, 0, 0, 2];
    s.extend_from_slice(&u32::MAX.to_be_bytes());
    assert!(Senc::parse(&s, 8).is_err());
}

#[test]
fn mdhd_language_unpacks() {
    let mut p = vec![0u8; 4 + 16];
    // "eng": e=5, n=14, g=7
    p.extend_from_slice(&((5u16 << 10) | (14 << 5) | 7).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    assert_eq!(Mdhd::parse(&p).unwrap().language, "eng");
    let mut z = vec![0u8; 4 + 16];
    z.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(Mdhd::parse(&z).unwrap().language, "und");
}

#[test]
fn a_huge_count_of_default_samples_allocates_nothing() {
    // The fuzzer's find: flags 0, sample_count 2^24, in a 16-byte box.
    let p = [0, 0, 0, 0, 1, 0, 0, 0];
    let t = Trun::parse(&p).unwrap();
    assert!(t.samples.is_empty());
    assert_eq!(t.duration(10), 10 << 24);
    // senc with no IVs and no subsamples: bounded count.
    let s = [0, 0, 0, 0, 0, 0x10, 0, 0];
    assert!(Senc::parse(&s, 0).is_err());
}

#[test]
fn ftab_lists_its_fonts_and_refuses_a_cut_name() {
    let mut p = 2u16.to_be_bytes().to_vec();
    p.extend_from_slice(&[0, 1, 5]);
    p.extend_from_slice(b"Serif");
    p.extend_from_slice(&[0, 7, 4]);
    p.extend_from_slice(b"Mono");
    let f = Ftab::parse(&p).unwrap();
    assert_eq!(
        f.fonts,
        [
            FontRecord {
                font_id: 1,
                name: "Serif".into()
            },
            FontRecord {
                font_id: 7,
                name: "Mono".into()
            }
        ]
    );
    assert!(Ftab::parse(&p[..p.len() - 1]).is_err());
    // 65535 fonts claimed in 3 bytes: refused before anything is allocated.
    let e = Ftab::parse(&[0xff, 0xff, 0, 1, 0]).unwrap_err();
    assert!(
        matches!(e.kind, crate::mp4::ErrorKind::TooMany { count: 65535, .. }),
        "{e:?}"
    );
}
