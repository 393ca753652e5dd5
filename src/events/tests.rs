use super::*;
use crate::options::Mode;
use crate::scte35::{SpliceCommand, SpliceDescriptor, SpliceInfoSection, SpliceMode};

fn gens(query: &str) -> Vec<Generator> {
    let (o, _) = Options::parse_query(query, Mode::Live).unwrap();
    generators(&o)
}

fn one(query: &str) -> Generator {
    gens(query).remove(0)
}

/// A 2 s segment `n` at timescale 1000.
fn seg(n: u64) -> Span {
    Span {
        start: n * 2000,
        end: (n + 1) * 2000,
        timescale: 1000,
        offset: 0,
    }
}

#[test]
fn defaults_are_the_references() {
    let g = one("events=ping");
    assert_eq!(g.kind.scheme_id_uri(), "urn:dash-live:pingpong:2022");
    assert_eq!(g.value.as_deref(), Some("0"));
    assert_eq!(
        (g.timescale, g.start, g.interval, g.duration),
        (100, 0, 1000, 200)
    );
    assert_eq!((g.count, g.inband, g.version), (0, true, 0));
    let s = one("events=scte35");
    assert_eq!(s.kind.scheme_id_uri(), "urn:scte:scte35:2014:xml+bin");
    assert_eq!(
        (s.value.as_deref(), s.version, s.program_id),
        (None, 1, 1620)
    );
    // In the MPD, SCTE-35 keeps the version asked for.
    assert_eq!(one("events=scte35&scte35__inband=0").version, 0);
    assert_eq!(gens("events=scte35,ping").len(), 2);
    assert!(gens("").is_empty());
}

#[test]
fn each_event_is_in_the_one_segment_that_holds_its_start() {
    // Every 3 s from 1 s: 1, 4, 7, 10 … in 2 s segments.
    let g = one("events=ping&ping__timescale=1000&ping__interval=3000&ping__start=1000");
    let per_segment: Vec<Vec<u64>> = (0..6)
        .map(|n| g.starting_in(seg(n)).unwrap().collect())
        .collect();
    assert_eq!(
        per_segment,
        [vec![0], vec![], vec![1], vec![2], vec![], vec![3]]
    );
    // An event exactly at a boundary belongs to the segment it starts.
    let g = one("events=ping&ping__timescale=1&ping__interval=2");
    assert_eq!(g.starting_in(seg(0)).unwrap(), 0..1);
    assert_eq!(g.starting_in(seg(1)).unwrap(), 1..2);
}

#[test]
fn count_stops_the_events() {
    let g = one("events=ping&ping__interval=100&ping__count=3");
    let ids: Vec<u64> = (0..10)
        .flat_map(|n| g.starting_in(seg(n)).unwrap())
        .collect();
    assert_eq!(ids, [0, 1, 2]);
    assert_eq!(g.mpd_events(0, u64::MAX, 0).unwrap().len(), 3);
    assert!(one("events=ping")
        .mpd_events(0, u64::MAX, 0)
        .unwrap()
        .is_empty());
    // Those that start in [from, to) and are not over by `not_before`: at
    // 0, 100, 200 lasting 200, the first ends at 200.
    let g = one("events=ping&ping__interval=100&ping__count=5");
    let ids = |from, to, nb| -> Vec<u64> {
        g.mpd_events(from, to, nb)
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect()
    };
    assert_eq!(ids(0, 250, 0), [0, 1, 2]);
    assert_eq!(ids(100, 1000, 0), [1, 2, 3, 4]);
    assert_eq!(ids(0, 1000, 201), [1, 2, 3, 4]);
    assert_eq!(ids(0, 1000, 200), [0, 1, 2, 3, 4]);
}

#[test]
fn emsg_v0_counts_from_the_segment_v1_is_absolute() {
    // Segments of 3.84 s at 12800; an event every 5 s from 1 s at 100.
    let span = |n: u64| Span {
        start: n * 49_152,
        end: (n + 1) * 49_152,
        timescale: 12_800,
        offset: 0,
    };
    let g = one("events=ping&ping__interval=500&ping__start=100");
    let e = g.emsgs(span(1)).unwrap();
    // Event 1 at 6 s lies in [3.84, 7.68); 384 is the segment start at 100.
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].id, e[0].presentation_time, e[0].version),
        (1, 600 - 384, 0)
    );
    assert_eq!(e[0].message_data, b"pong");
    assert_eq!((e[0].event_duration, e[0].timescale), (200, 100));
    assert_eq!(e[0].value, "0");
    let g = one("events=ping&ping__interval=500&ping__start=100&ping__version=1");
    let e = g.emsgs(span(1)).unwrap();
    assert_eq!((e[0].presentation_time, e[0].version), (600, 1));
    assert_eq!(g.emsgs(span(0)).unwrap()[0].message_data, b"ping");
    // With a presentation time offset, v1 times are on the media timeline.
    let shifted = Span {
        offset: 12_800,
        ..span(1)
    };
    assert_eq!(g.emsgs(shifted).unwrap()[0].presentation_time, 700);
    // Events in the MPD put nothing in the segments.
    assert!(one("events=ping&ping__inband=0")
        .emsgs(span(0))
        .unwrap()
        .is_empty());
}

#[test]
fn too_many_events_per_segment_are_refused_naming_the_option() {
    let g = one("events=scte35&scte35__interval=1&scte35__timescale=4000000000");
    let e = g.starting_in(seg(0)).unwrap_err().to_string();
    assert!(e.contains("scte35__interval=1"), "{e}");
    let g = one("events=ping&ping__inband=0&ping__count=1000000");
    let e = g.mpd_events(0, u64::MAX, 0).unwrap_err().to_string();
    assert!(e.contains("1000000 events in the MPD"), "{e}");
}

#[test]
fn a_scte35_event_is_a_splice_insert_with_the_references_fields() {
    let g = one("events=scte35&scte35__count=4&scte35__program_id=77&scte35__start=50");
    for k in [0u64, 1, 2] {
        let e = g.event(k);
        let s = SpliceInfoSection::decode(&g.payload(&e)).unwrap();
        assert_eq!(s.sap_type, 0);
        let SpliceCommand::Insert(i) = &s.command else {
            panic!("{s:?}")
        };
        assert_eq!(u64::from(i.splice_event_id), k);
        let d = i.splice.as_ref().unwrap();
        assert!(d.out_of_network);
        // 0.5 s + k × 10 s at 90 kHz; 2 s breaks.
        let pts = (50 + k * 1000) * 900;
        assert_eq!(
            d.mode,
            SpliceMode::Program(crate::scte35::SpliceTime {
                pts_time: Some(pts)
            })
        );
        let b = d.break_duration.unwrap();
        assert_eq!((b.duration, b.auto_return), (180_000, k % 2 == 0));
        assert_eq!(d.unique_program_id, 77);
        assert_eq!((d.avail_num, d.avails_expected), (1 + k as u8 / 2, 3));
        let [SpliceDescriptor::Segmentation(seg)] = &s.descriptors[..] else {
            panic!()
        };
        let t = seg.detail.as_ref().unwrap().segmentation_type_id;
        assert_eq!(t, if k % 2 == 0 { 0x34 } else { 0x35 });
    }
    // No count: no avails to number.
    let g = one("events=scte35");
    let s = SpliceInfoSection::decode(&g.payload(&g.event(5))).unwrap();
    let SpliceCommand::Insert(i) = &s.command else {
        panic!()
    };
    let d = i.splice.as_ref().unwrap();
    assert_eq!((d.avail_num, d.avails_expected), (0, 0));
}

proptest::proptest! {
    /// Laid end to end, any segments carry every event once, in order.
    #[test]
    fn consecutive_segments_carry_every_event_once(
        seg_len in 1u64..100_000,
        timescale in 1u32..100_000,
        ets in 1u32..10_000,
        interval in 1u64..10_000,
        start in 0u64..10_000,
    ) {
        let g = one(&format!(
            "events=ping&ping__timescale={ets}&ping__interval={interval}&ping__start={start}"
        ));
        let segments = 40u64;
        let mut ids = Vec::new();
        for n in 0..segments {
            let span = Span { start: n * seg_len, end: (n + 1) * seg_len, timescale, offset: 0 };
            match g.starting_in(span) {
                Ok(r) => ids.extend(r),
                Err(_) => return Ok(()),
            }
        }
        // Every k whose time is before the end of the last segment.
        let end = u128::from(segments * seg_len) * u128::from(ets);
        let expected: Vec<u64> = (0..)
            .take_while(|k| u128::from(start + k * interval) * u128::from(timescale) < end)
            .collect();
        proptest::prop_assert_eq!(ids, expected);
    }
}
