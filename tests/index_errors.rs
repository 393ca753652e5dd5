//! Each reason a file is refused is its own error, and every accepted
//! synthetic file indexes to what was put in it. Needs no external media.

mod common;

use std::io::Cursor;

use common::fmp4::{file, Spec};
use dashlive::media::{index_reader, IndexError};

fn index(spec: &Spec) -> Result<dashlive::media::Representation, IndexError> {
    let data = file(spec);
    let len = data.len() as u64;
    index_reader(Cursor::new(data), len, "Test_File.mp4")
}

#[test]
fn a_well_formed_file_indexes_to_what_it_holds() {
    let rep = index(&Spec::default()).unwrap();
    assert_eq!(rep.id, "test_file");
    assert_eq!(rep.codecs, "avc1.640028");
    assert_eq!(rep.timescale, 25_000);
    assert_eq!(rep.media_segments().len(), 4);
    assert_eq!(rep.segment_duration, 50_000);
    assert_eq!(rep.media_duration, 200_000);
    assert_eq!(rep.frame_rate.unwrap().to_string(), "25");
    assert_eq!((rep.width, rep.height), (Some(320), Some(180)));
    let times: Vec<u64> = rep.media_segments().iter().map(|s| s.decode_time).collect();
    assert_eq!(times, [0, 50_000, 100_000, 150_000]);
    // Segments tile the file after the init segment.
    let mut end = rep.segments[0].size;
    for s in rep.media_segments() {
        assert_eq!(s.offset, end);
        end += s.size;
    }
}

#[test]
fn aac_track_reports_rate_and_channels() {
    let rep = index(&Spec {
        entry: *b"mp4a",
        timescale: 48_000,
        sample_duration: 1024,
        ..Spec::default()
    })
    .unwrap();
    assert_eq!(rep.codecs, "mp4a.40.2");
    assert_eq!((rep.sample_rate, rep.channels), (Some(48_000), Some(2)));
    assert_eq!(rep.content_type.as_str(), "audio");
}

#[test]
fn styp_starts_each_segment() {
    let rep = index(&Spec {
        styp: true,
        ..Spec::default()
    })
    .unwrap();
    let data = file(&Spec {
        styp: true,
        ..Spec::default()
    });
    for s in rep.media_segments() {
        assert_eq!(&data[s.offset as usize + 4..s.offset as usize + 8], b"styp");
    }
}

#[test]
fn no_fragments() {
    let e = index(&Spec {
        fragments: 0,
        ..Spec::default()
    })
    .unwrap_err();
    assert!(matches!(e, IndexError::NoFragments { .. }), "{e}");
}

#[test]
fn fewer_than_two_media_segments() {
    let e = index(&Spec {
        fragments: 1,
        ..Spec::default()
    })
    .unwrap_err();
    assert!(
        matches!(e, IndexError::TooFewSegments { count: 1, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("at least 2"));
}

#[test]
fn more_than_one_track() {
    let e = index(&Spec {
        tracks: 2,
        ..Spec::default()
    })
    .unwrap_err();
    assert!(
        matches!(e, IndexError::MultipleTracks { count: 2, .. }),
        "{e}"
    );
}

#[test]
fn unknown_codec() {
    let e = index(&Spec {
        entry: *b"xyz1",
        ..Spec::default()
    })
    .unwrap_err();
    assert!(
        matches!(&e, IndexError::UnknownCodec { entry, .. } if entry == "xyz1"),
        "{e}"
    );
}

#[test]
fn invalid_language() {
    let e = index(&Spec {
        language: *b"e`g", // a packed 0 decodes to a backtick
        ..Spec::default()
    })
    .unwrap_err();
    assert!(matches!(e, IndexError::InvalidLanguage { .. }), "{e}");
}

#[test]
fn an_all_zero_mdhd_language_reads_as_und() {
    // Three zero 5-bit codes, as some packagers write for "no language":
    // not a language, but not a broken file either.
    let rep = index(&Spec {
        language: *b"```",
        ..Spec::default()
    })
    .unwrap();
    assert_eq!(rep.language, "und");
}

#[test]
fn no_bitrate_when_nothing_has_duration() {
    let e = index(&Spec {
        sample_duration: 0,
        ..Spec::default()
    })
    .unwrap_err();
    assert!(matches!(e, IndexError::NoBitrate { .. }), "{e}");
}

#[test]
fn truncated_file_names_offset_and_box() {
    let mut data = file(&Spec::default());
    data.truncate(data.len() - 10);
    let len = data.len() as u64;
    let e = index_reader(Cursor::new(data), len, "cut.mp4").unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, IndexError::Mp4 { .. }), "{msg}");
    // The last moof is read before its mdat, and already points past the end.
    assert!(
        msg.starts_with("cut.mp4: moof[3]/traf[0]/trun[0] at 0x"),
        "{msg}"
    );
    assert!(msg.contains("past the end of the file"), "{msg}");
}

#[test]
fn every_truncation_of_a_file_is_an_error_not_a_panic() {
    let data = file(&Spec {
        fragments: 2,
        samples_per_fragment: 3,
        sample_size: 4,
        ..Spec::default()
    });
    for cut in 0..data.len() {
        let part = data[..cut].to_vec();
        let r = index_reader(Cursor::new(part), cut as u64, "cut.mp4");
        assert!(r.is_err(), "a file cut at {cut} bytes indexed");
    }
}

#[test]
fn frame_rate_falls_back_to_the_first_fragment_average() {
    // 29.97 fps: 1001-tick samples at 30000 Hz, durations carried per sample
    // in tfhd (trex has none), so the rate comes from the first fragment.
    let spec = Spec {
        timescale: 30_000,
        sample_duration: 1001,
        ..Spec::default()
    };
    let mut data = file(&spec);
    // Zero trex.default_sample_duration (tfhd still carries 1001).
    let trex = dashlive::mp4::boxes(&data)
        .map(|b| b.unwrap())
        .find(|b| b.typ() == b"moov")
        .unwrap()
        .find("mvex/trex")
        .unwrap()
        .unwrap()
        .offset as usize;
    data[trex + 20..trex + 24].copy_from_slice(&0u32.to_be_bytes());
    let len = data.len() as u64;
    let rep = index_reader(Cursor::new(data), len, "ntsc.mp4").unwrap();
    assert_eq!(rep.frame_rate.unwrap().to_string(), "30000/1001");
}
