//! The resolver's multi-period segment route at fixed clocks: what a
//! player is answered for a period's segments, live and VOD.

use super::fake_tree::FakeTree;
use super::plan::{Plan, Source};
use super::resolve::Target;
use crate::mpd::mps::{Programme, ProgrammePeriod};
use crate::options::Defaults;

/// 2024-01-01T00:00:00Z.
const START: i64 = 1_704_067_200_000;

/// Stream `s`: five 2 s segments. Programme `prog`: period `a` plays 4–8 s
/// of it, then `b` 0–4 s (an 8 s loop); `a` is marked `encrypted` when
/// asked.
fn tree(encrypted_a: bool) -> FakeTree {
    let period = |id: &str, start| ProgrammePeriod {
        id: id.into(),
        stream: "s".into(),
        ad: false,
        encrypted: false,
        start,
        duration: 4000,
        timescale: 1000,
        tracks: Vec::new(),
    };
    let mut tree = FakeTree::new(vec![crate::mpd::mps::tests::rep("v", 1000, 5, 2000, 0)]);
    tree.programme = Some(Programme {
        name: "prog".into(),
        title: "P".into(),
        defaults: Defaults::new(),
        periods: vec![
            ProgrammePeriod {
                encrypted: encrypted_a,
                ..period("a", 4000)
            },
            period("b", 0),
        ],
    });
    tree
}

fn segment(mode: &str, period: &str, file: &str, query: &str, now_ms: i64) -> Plan {
    segment_of(&tree(false), mode, period, file, query, now_ms)
}

fn segment_of(
    tree: &FakeTree,
    mode: &str,
    period: &str,
    file: &str,
    query: &str,
    now_ms: i64,
) -> Plan {
    let target = Target::MpsSegment {
        mode,
        name: "prog",
        period,
        rep: "v",
        file,
        by_time: false,
    };
    tree.resolve(target, query, now_ms)
}

/// The status, the message and the retry instant of a plan.
fn answer(p: &Plan) -> (u16, &str, Option<i64>) {
    match p {
        Plan::Refuse(r) => (r.status, r.message.as_str(), r.ready_at_ms),
        Plan::Segment(_) => (200, "", None),
        _ => (0, "", None),
    }
}

const Q: &str = "start=2024-01-01T00:00:00Z&depth=2&leeway=0";

#[test]
fn live_period_segments_answer_only_while_available() {
    // Segment 4 (6–8 s of the media) is 2–4 s of period a: in progress
    // from 2 s after the availability start, complete at 4 s.
    let early = segment("live", "a", "4.m4v", Q, START + 1000);
    let (status, message, ready) = answer(&early);
    assert_eq!(status, 404);
    assert!(
        message.starts_with("4.m4v is not available at 2024-01-01T00:00:01"),
        "{message}"
    );
    assert!(message.contains("time-shift depth"), "{message}");
    assert_eq!(ready, None, "more than a segment ahead");
    let (status, _, ready) = answer(&segment("live", "a", "4.m4v", Q, START + 3000));
    assert_eq!((status, ready), (404, Some(START + 4000)), "in progress");
    for (period, file, after_ms, status) in [
        ("a", "4.m4v", 4000, 200),
        // Past the 2 s window it is gone until the next loop's occurrence.
        ("a", "4.m4v", 6500, 404),
        ("a", "4.m4v", 12_000, 200),
        // The same media, segment 2, as period b plays it: 6–8 s of the loop.
        ("b", "2.m4v", 7000, 404),
        ("b", "2.m4v", 8000, 200),
    ] {
        let plan = segment("live", period, file, Q, START + after_ms);
        assert_eq!(answer(&plan).0, status, "{period}/{file} at +{after_ms} ms");
    }
    // The init segment has no time.
    assert_eq!(answer(&segment("live", "a", "init.m4v", Q, START)).0, 200);
}

#[test]
fn vod_period_segments_have_no_clock() {
    assert_eq!(answer(&segment("vod", "a", "4.m4v", "", START - 1)).0, 200);
    assert_eq!(answer(&segment("vod", "a", "2.m4v", "", START)).0, 404);
}

#[test]
fn drm_encrypts_the_encrypted_periods_segments_only() {
    let tree = tree(true);
    let drm =
        |period, file| match segment_of(&tree, "vod", period, file, "drm=clearkey&enc=cenc", 0) {
            Plan::Segment(s) => s
                .transforms
                .iter()
                .any(|t| matches!(t, super::plan::Transform::Drm(_))),
            other => panic!("{period}/{file}: {:?}", answer(&other)),
        };
    assert!(drm("a", "4.m4v"), "the encrypted period's segment");
    assert!(drm("a", "init.m4v"), "and its init segment (pssh, tenc)");
    assert!(!drm("b", "2.m4v"), "a clear period stays clear");
    assert!(!drm("b", "init.m4v"));
}

#[test]
fn the_segment_one_past_a_live_period_answers_with_the_periods_last() {
    // Period a plays 6–10 s of the stream, its end: segments 4 and 5, then
    // b. A player that rounds one over asks for 6.m4v as soon as 5.m4v (2–4
    // s of period a) is complete; the stream's first answers it, a 404
    // before then as 5.m4v is.
    let mut tree = tree(false);
    if let Some(p) = &mut tree.programme {
        p.periods[0].start = 6000;
    }
    let at = |file, after_ms| segment_of(&tree, "live", "a", file, Q, START + after_ms);
    for file in ["5.m4v", "6.m4v"] {
        let (status, _, ready) = answer(&at(file, 3000));
        assert_eq!((status, ready), (404, Some(START + 4000)), "{file}");
    }
    for file in ["5.m4v", "6.m4v"] {
        assert_eq!(answer(&at(file, 4000)).0, 200, "{file}");
    }
    let Plan::Segment(plan) = at("6.m4v", 4000) else {
        unreachable!("answered above")
    };
    assert_eq!(plan.source, Source::Stored { index: 0 });
    // Two past is no segment of the period; VOD has no one past.
    assert_eq!(answer(&at("7.m4v", 4000)).0, 404);
    let vod = segment_of(&tree, "vod", "a", "6.m4v", "", START);
    assert_eq!(answer(&vod).0, 404);
    // A period that does not end its stream: its next, with its last.
    assert_eq!(
        answer(&segment("live", "a", "5.m4v", Q, START + 3000)).0,
        404
    );
    assert_eq!(
        answer(&segment("live", "a", "5.m4v", Q, START + 4000)).0,
        200
    );
}
