//! Properties of the live timing model over the BBB representations, for any
//! clock: `$Number$` and `$Time$` addressing name the same media; decode times
//! run on without a gap or overlap across loop boundaries; the newest segment
//! a manifest lists is available and the next is not; audio stays with
//! video after thousands of loops.

mod common;

use dashlive::media::{ContentType, Representation};
use dashlive::mpd::live::{LiveTiming, LoopMap};
use dashlive::options::{Mode, Options};
use proptest::prelude::*;

/// 2020-01-01 to 2040-01-01.
const FROM_MS: i64 = 1_577_836_800_000;
const TO_MS: i64 = 2_208_988_800_000;

fn bbb() -> Option<Vec<Representation>> {
    static REPS: std::sync::OnceLock<Option<Vec<Representation>>> = std::sync::OnceLock::new();
    REPS.get_or_init(|| {
        common::bbb_dir("live_timing").map(|dir| {
            common::bbb_reps(&dir)
                .into_iter()
                .filter(|r| !r.encrypted())
                .collect()
        })
    })
    .clone()
}

fn maps(reps: &[Representation]) -> Vec<(String, LoopMap)> {
    let reference = reps.iter().find(|r| r.id == "bbb_v6").unwrap();
    reps.iter()
        .map(|r| (r.id.clone(), LoopMap::new(r, reference).unwrap()))
        .collect()
}

fn timing(query: &str, now_ms: i64) -> LiveTiming {
    let o = Options::parse_query(query, Mode::Live).unwrap().0;
    LiveTiming::new(&o, now_ms, false, 4000).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn number_and_time_addressing_agree(now in FROM_MS..TO_MS, back in 0u64..450) {
        let Some(reps) = bbb() else { return Ok(()) };
        let t = timing("", now);
        for (id, map) in maps(&reps) {
            let (_, newest) = map.number_window(&t);
            let n = newest.saturating_sub(back).max(1);
            let seg = map.by_number(n).unwrap();
            let by_time = map.by_time(seg.start + map.media_start);
            prop_assert_eq!(by_time, Some(seg), "{} number {}", id, n);
            prop_assert_eq!(map.by_number(map.number_of(&seg)), Some(seg), "{} number {}", id, n);
        }
    }

    #[test]
    fn decode_times_run_on_across_loops(
        now in FROM_MS..TO_MS,
        depth in prop::sample::select(vec![5i64, 30, 41, 60, 1800]),
    ) {
        let Some(reps) = bbb() else { return Ok(()) };
        let t = timing(&format!("timeline=1&depth={depth}"), now);
        for (r, (id, map)) in reps.iter().zip(maps(&reps)) {
            let (first, durations) = map.timeline(&t);
            prop_assert!(!durations.is_empty(), "{}", id);
            // The manifest's runs, built loop by loop, are these segments.
            prop_assert_eq!(
                map.timeline_runs(&t),
                dashlive::mpd::timeline::entries(first, durations.iter().copied()),
                "{}", id
            );
            let mut at = first;
            for d in durations {
                let seg = map.by_time(at);
                prop_assert!(seg.is_some(), "{}: no segment starts at {}", id, at);
                let seg = seg.unwrap();
                // The patched tfdt is the cut decode time moved by the loop offset.
                let cut = r.media_segments()[seg.index].decode_time;
                prop_assert_eq!(cut + seg.time_shift, at, "{}", id);
                prop_assert_eq!(seg.duration, d);
                at += d;
            }
        }
    }

    #[test]
    fn the_newest_listed_segment_is_available_and_the_next_is_not(
        now in FROM_MS..TO_MS,
        depth in prop::sample::select(vec![30i64, 60, 1800]),
    ) {
        let Some(reps) = bbb() else { return Ok(()) };
        let t = timing(&format!("depth={depth}&leeway=0"), now);
        for (id, map) in maps(&reps) {
            // $Number$: the segments the numbers name.
            let (oldest, newest) = map.number_window(&t);
            let available = |n: u64| {
                let seg = map.by_number(n).unwrap();
                map.available(&t, seg.start, seg.duration)
            };
            prop_assert!(available(newest), "{} newest {}", id, newest);
            prop_assert!(!available(newest + 1), "{} next {}", id, newest + 1);
            prop_assert!(available(oldest), "{} oldest {}", id, oldest);
            // SegmentTimeline: the last S and what follows it.
            let (first, durations) = map.timeline(&t);
            let last_start = first - map.media_start + durations[..durations.len() - 1].iter().sum::<u64>();
            let last = map.containing(last_start);
            prop_assert!(map.available(&t, last.start, last.duration), "{}", id);
            let next = map.containing(last.start + last.duration);
            prop_assert!(!map.available(&t, next.start, next.duration), "{}", id);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `$Number$` never repeats or skips a segment, and the template's
    /// duration keeps each number within a segment of its media however long
    /// the stream has run (BBB's AAC at 44.1 kHz does not divide its 40 s loop
    /// into segments of its nominal duration).
    #[test]
    fn numbers_name_consecutive_segments_that_stay_with_the_template(n in 1u64..50_000_000) {
        let Some(reps) = bbb() else { return Ok(()) };
        for (id, map) in maps(&reps) {
            let mut seg = map.by_number(n).unwrap();
            for k in n + 1..n + 25 {
                let next = map.by_number(k).unwrap();
                prop_assert_eq!(next.start, seg.start + seg.duration, "{} number {}", id, k);
                prop_assert_eq!(map.number_of(&next), k);
                seg = next;
            }
            // Where a player puts segment n, in seconds, against where it is.
            let nt = map.number;
            let nominal = (n - map.start_number) as f64 * nt.duration as f64 / f64::from(nt.timescale);
            let actual = map.by_number(n).unwrap().start as f64 / f64::from(map.timescale);
            let longest = 2.0 * nt.duration as f64 / f64::from(nt.timescale);
            prop_assert!((nominal - actual).abs() < longest, "{} number {}: {} s vs {} s", id, n, nominal, actual);
        }
    }
}

#[test]
fn audio_stays_with_video_after_ten_thousand_loops() {
    let Some(reps) = bbb() else { return };
    let video = reps.iter().find(|r| r.id == "bbb_v6").unwrap();
    let video_map = LoopMap::new(video, video).unwrap();
    for audio in reps.iter().filter(|r| r.content_type == ContentType::Audio) {
        let map = LoopMap::new(audio, video).unwrap();
        let frame = 1024.0 / f64::from(audio.timescale);
        for k in [1u64, 10, 10_000, 1_000_000] {
            let v = video_map.loop_start(k) as f64 / f64::from(video.timescale);
            let a = map.loop_start(k) as f64 / f64::from(audio.timescale);
            assert!(
                (v - a).abs() < frame,
                "{} loop {k}: video {v} s, audio {a} s",
                audio.id
            );
            // The audio of each loop ends within one frame of the next loop's start.
            let seg = map.by_time(map.loop_start(k) + map.media_start).unwrap();
            assert_eq!((seg.loop_count, seg.index), (k, 0));
        }
        let loop_len = map.loop_start(1);
        let gap = loop_len.abs_diff(audio.media_duration);
        assert!(
            gap <= 1024,
            "{}: the content is {gap} ticks off the loop",
            audio.id
        );
    }
}
