use super::*;
use base64::Engine as _;

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// SCTE 35 (2019) §14.2, splice_insert.
const SPLICE_INSERT: &str = "/DAvAAAAAAAA///wFAVIAACPf+/+c2nALv4AUsz1AAAAAAAKAAhDVUVJAAABNWLbowo=";
/// §14.1, time_signal with a Placement Opportunity Start segmentation descriptor.
const TIME_SIGNAL: &str =
    "/DA0AAAAAAAA///wBQb+cr0AUAAeAhxDVUVJSAAAjn/PAAGlmbAICAAAAAAsoKGKNAIAmsnRfg==";
/// §14.3, time_signal with Program End and Program Start descriptors.
const PROGRAM_START_END: &str = "/DBIAAAAAAAA///wBQb+ek2ItgAyAhdDVUVJSAAAGH+fCAgAAAAALMvDRBEAAAIXQ1VFSUgAABl/nwgIAAAAACyk26AQAACZcuND";

#[test]
fn the_standards_splice_insert_decodes_to_its_fields_and_back() {
    let bytes = b64(SPLICE_INSERT);
    let s = SpliceInfoSection::decode(&bytes).unwrap();
    assert_eq!(s.sap_type, 3);
    assert_eq!(s.tier, 0xFFF);
    assert_eq!(s.pts_adjustment, 0);
    let SpliceCommand::Insert(insert) = &s.command else {
        panic!("{:?}", s.command)
    };
    assert_eq!(insert.splice_event_id, 0x4800_008F);
    assert!(!insert.cancel);
    let d = insert.splice.as_ref().unwrap();
    assert!(d.out_of_network);
    assert!(!d.splice_immediate);
    assert_eq!(
        d.mode,
        SpliceMode::Program(SpliceTime {
            pts_time: Some(0x0_7369_C02E)
        })
    );
    assert_eq!(
        d.break_duration,
        Some(BreakDuration {
            auto_return: true,
            duration: 0x0_0052_CCF5
        })
    );
    assert_eq!(
        (d.unique_program_id, d.avail_num, d.avails_expected),
        (0, 0, 0)
    );
    assert_eq!(
        s.descriptors,
        [SpliceDescriptor::Avail {
            provider_avail_id: 0x135
        }]
    );
    assert_eq!(s.encode(), bytes);
}

#[test]
fn the_standards_time_signal_decodes_to_its_fields_and_back() {
    let bytes = b64(TIME_SIGNAL);
    let s = SpliceInfoSection::decode(&bytes).unwrap();
    assert_eq!(
        s.command,
        SpliceCommand::TimeSignal(SpliceTime {
            pts_time: Some(0x0_72BD_0050)
        })
    );
    let [SpliceDescriptor::Segmentation(seg)] = &s.descriptors[..] else {
        panic!("{:?}", s.descriptors)
    };
    assert_eq!(seg.segmentation_event_id, 0x4800_008E);
    let d = seg.detail.as_ref().unwrap();
    assert_eq!(d.segmentation_type_id, 0x34);
    assert_eq!(d.duration, Some(0x00_01A5_99B0));
    assert_eq!(d.upid_type, 8);
    assert_eq!(d.upid, [0, 0, 0, 0, 0x2C, 0xA0, 0xA1, 0x8A]);
    assert_eq!((d.segment_num, d.segments_expected), (2, 0));
    // This encoder predates sub_segment_num: none is read or written.
    assert_eq!(d.sub_segment, None);
    assert_eq!(d.components, None);
    assert_eq!(
        d.restrictions,
        Some(DeliveryRestrictions {
            web_delivery_allowed: false,
            no_regional_blackout: true,
            archive_allowed: true,
            device_restrictions: 3
        })
    );
    assert_eq!(s.encode(), bytes);
}

#[test]
fn two_segmentation_descriptors_round_trip() {
    let bytes = b64(PROGRAM_START_END);
    let s = SpliceInfoSection::decode(&bytes).unwrap();
    let types: Vec<u8> = s
        .descriptors
        .iter()
        .map(|d| match d {
            SpliceDescriptor::Segmentation(s) => s.detail.as_ref().unwrap().segmentation_type_id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(types, [0x11, 0x10]);
    assert_eq!(s.encode(), bytes);
}

fn every_feature() -> SpliceInfoSection {
    let mut s = SpliceInfoSection::new(SpliceCommand::Insert(SpliceInsert {
        splice_event_id: 7,
        cancel: false,
        splice: Some(SpliceDetail {
            out_of_network: false,
            splice_immediate: false,
            mode: SpliceMode::Components(vec![
                (
                    1,
                    SpliceTime {
                        pts_time: Some(PTS_MASK),
                    },
                ),
                (2, SpliceTime { pts_time: None }),
            ]),
            break_duration: Some(BreakDuration {
                auto_return: false,
                duration: 90_000,
            }),
            unique_program_id: 1620,
            avail_num: 1,
            avails_expected: 4,
        }),
    }));
    s.sap_type = 0;
    s.pts_adjustment = 12345;
    s.tier = 0x123;
    s.descriptors = vec![
        SpliceDescriptor::Dtmf {
            preroll: 50,
            chars: b"123*".to_vec(),
        },
        SpliceDescriptor::Segmentation(Segmentation {
            segmentation_event_id: 9,
            cancel: false,
            detail: Some(SegmentationDetail {
                restrictions: None,
                components: Some(vec![(3, 4500)]),
                duration: Some(0xFF_0000_0001),
                upid_type: 0x0C,
                upid: b"MPU".to_vec(),
                segmentation_type_id: 0x30,
                segment_num: 1,
                segments_expected: 2,
                sub_segment: Some((1, 3)),
            }),
        }),
        SpliceDescriptor::Segmentation(Segmentation {
            segmentation_event_id: 10,
            cancel: true,
            detail: None,
        }),
        SpliceDescriptor::Time {
            tai_seconds: 0xFFFF_FFFF_FFFF,
            tai_ns: 999_999_999,
            utc_offset: 37,
        },
        SpliceDescriptor::Unknown {
            tag: 0x80,
            identifier: 0x4142_4344,
            bytes: vec![1, 2, 3],
        },
    ];
    s
}

#[test]
fn every_modelled_field_round_trips() {
    let s = every_feature();
    assert_eq!(SpliceInfoSection::decode(&s.encode()).unwrap(), s);
    for command in [
        SpliceCommand::Null,
        SpliceCommand::TimeSignal(SpliceTime { pts_time: None }),
        SpliceCommand::Insert(SpliceInsert {
            splice_event_id: 1,
            cancel: true,
            splice: None,
        }),
        SpliceCommand::Insert(SpliceInsert {
            splice_event_id: 2,
            cancel: false,
            splice: Some(SpliceDetail {
                out_of_network: true,
                splice_immediate: true,
                mode: SpliceMode::Program(SpliceTime::default()),
                break_duration: None,
                unique_program_id: 0,
                avail_num: 0,
                avails_expected: 0,
            }),
        }),
        SpliceCommand::Other {
            command_type: 0xFF,
            bytes: vec![0x43, 0x55, 0x45, 0x49, 9],
        },
    ] {
        let s = SpliceInfoSection::new(command);
        assert_eq!(SpliceInfoSection::decode(&s.encode()).unwrap(), s);
    }
}

#[test]
fn a_damaged_byte_fails_the_crc_naming_its_offset() {
    let mut bytes = b64(SPLICE_INSERT);
    bytes[20] ^= 1;
    let e = SpliceInfoSection::decode(&bytes).unwrap_err();
    assert_eq!(e.field, "CRC_32");
    assert_eq!(e.offset, bytes.len() - 4);
}

#[test]
fn malformed_sections_name_the_field() {
    let e = SpliceInfoSection::decode(&[0xFD, 0, 0]).unwrap_err();
    assert_eq!((e.field, e.offset), ("table_id", 0));
    let bytes = b64(SPLICE_INSERT);
    let e = SpliceInfoSection::decode(&bytes[..20]).unwrap_err();
    assert_eq!(e.field, "section_length");
    assert!(
        e.to_string().contains("47 bytes declared, 17 present"),
        "{e}"
    );
    // A command length that runs into the descriptor loop, CRC made right.
    let mut bad = bytes[..bytes.len() - 4].to_vec();
    bad[12] = 0x15; // splice_command_length 21 instead of 20
    let crc = encode::CRC.checksum(&bad);
    bad.extend_from_slice(&crc.to_be_bytes());
    let e = SpliceInfoSection::decode(&bad).unwrap_err();
    assert_eq!(
        (e.field, e.offset),
        ("splice_command_length", 14 + 20),
        "{e}"
    );
}

proptest::proptest! {
    /// Nothing a decoder is given makes it panic.
    #[test]
    fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
        let _ = SpliceInfoSection::decode(&bytes);
        let mut with_header = b64(SPLICE_INSERT);
        with_header.truncate(14);
        with_header.extend_from_slice(&bytes);
        let _ = SpliceInfoSection::decode(&with_header);
    }
}
