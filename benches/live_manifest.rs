//! Live manifest rendering: what the origin does for
//! each `/dash/live/bbb/hand_made.mpd` request, minus HTTP.
//!
//! The BBB representations are indexed once from `$DASHLIVE_TEST_MEDIA/bbb`
//! (default `../shared/media/bbb`); every bench is skipped with a note when
//! the media is absent. The clock is fixed (2022-09-06T15:10:00Z) and the
//! `Renderer` (the nine compiled templates) is made once, outside the
//! loop, as the origin does at start-up.
//!
//! * `live_manifest/timeline`: `render_manifest` with `timeline=1` (a
//!   `SegmentTimeline` of the default 30-minute window): options resolved,
//!   live clock, context, template. The target is under 20 µs.
//! * `live_manifest/timeline_depth30`: the same with a 30 s window (`depth=30`).
//! * `live_manifest/number`: `render_manifest` with no query (`$Number$`).
//! * `live_manifest/timeline_cached`, `number_cached`: the same through an
//!   `OptionsCache`, as the origin renders the URL its players poll: the
//!   query's options resolved once, the clock and everything else each time.
//! * `live_manifest/resolve_timeline`: the options and clock alone
//!   (`resolve`, `LiveTiming::new`, `pin_live_clock`, `ManifestOptions`).
//! * `live_manifest/context_timeline`: `manifest_context` alone, for the
//!   `timeline=1` request.
//! * `live_manifest/render_timeline`: `Renderer::render` alone, of that context.
//! * `live_manifest/patch_cached`, `patch_render`: an MPD patch (`patch=1`),
//!   whole and its document alone; see [`bench_patch`].
//! * `live_manifest/mps_number`, `mps_timeline`: the live manifest of a
//!   one-hour multi-period programme of 12 periods (`/mps/live/…`); see
//!   [`bench_mps`]. Synthetic media, so never skipped. The target is 50 µs.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use dashlive::media::{index_file, Representation};
use dashlive::mpd::context::{manifest_context, ManifestOptions, MpdContext, Request};
use dashlive::mpd::live::LiveTiming;
use dashlive::mpd::manifest::{
    render_manifest, render_manifest_with, render_patch_with, ManifestQuery, OptionsCache,
    StreamView,
};
use dashlive::mpd::patch::render_patch;
use dashlive::mpd::registry::{self, ManifestDef, Mode};
use dashlive::mpd::render::Renderer;
use dashlive::mpd::request::{pin_live_clock, resolve, Defaults};
use dashlive::mpd::time::ticks_to_ms;

/// 2022-09-06T15:10:00Z, the golden files' clock.
const NOW_MS: i64 = 1_662_477_000_000;
const SITE: &str = "http://unit.test/";
const TIMING_REF: &str = "bbb_v6";

fn media_dir() -> PathBuf {
    std::env::var_os("DASHLIVE_TEST_MEDIA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/media"))
        .join("bbb")
}

/// Every BBB representation, or `None` (with the reason on stderr).
fn bbb_reps() -> Option<Vec<Representation>> {
    let dir = media_dir();
    // Every fragmented MP4 of the folder: the clear and the encrypted copies.
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "mp4"))
            .collect(),
        Err(e) => {
            eprintln!(
                "live_manifest: skipped: {}: {e} (set DASHLIVE_TEST_MEDIA)",
                dir.display()
            );
            return None;
        }
    };
    files.sort();
    let mut reps = Vec::new();
    for path in files {
        match index_file(&path) {
            Ok(r) => reps.push(r),
            Err(e) => {
                eprintln!("live_manifest: skipped: {}: {e}", path.display());
                return None;
            }
        }
    }
    Some(reps)
}

fn hand_made() -> &'static ManifestDef {
    registry::find("hand_made").expect("hand_made is registered")
}

fn query<'a>(defaults: &'a Defaults, q: &'a str) -> ManifestQuery<'a> {
    ManifestQuery {
        def: hand_made(),
        mode: Mode::Live,
        site_defaults: defaults,
        query: q,
        now_ms: NOW_MS,
        now_override: false,
        site_url: Some(SITE.into()),
        manifest_url: Some(format!("{SITE}dash/live/bbb/hand_made.mpd?{q}")),
    }
}

/// What `render_manifest` computes before the context: the request and options.
fn resolved(reps: &[Representation], defaults: &Defaults, q: &str) -> (Request, ManifestOptions) {
    let def = hand_made();
    let (mut o, base, _) = resolve(def, Mode::Live, defaults, defaults, q).expect("query resolves");
    let reference = reps
        .iter()
        .find(|r| r.id == TIMING_REF)
        .map(|r| ticks_to_ms(r.segment_duration, r.timescale))
        .unwrap_or(0);
    let timing = LiveTiming::new(&o, NOW_MS, true, reference).expect("live clock");
    pin_live_clock(&mut o, &timing);
    let opts = ManifestOptions::from_options(&o, &base);
    let req = Request {
        mode: Mode::Live,
        site_url: Some(SITE.into()),
        manifest_url: Some(format!("{SITE}dash/live/bbb/hand_made.mpd?{q}")),
        now_ms: NOW_MS,
        timing: Some(timing),
    };
    (req, opts)
}

fn context<'a>(
    reps: &'a [Representation],
    req: &Request,
    opts: &ManifestOptions,
) -> MpdContext<'a> {
    manifest_context(
        "bbb",
        "Big Buck Bunny",
        TIMING_REF,
        reps,
        hand_made(),
        req,
        opts,
    )
    .expect("context")
}

fn bench_live(c: &mut Criterion) {
    let Some(reps) = bbb_reps() else {
        return;
    };
    let defaults = Defaults::new();
    let drm = dashlive::drm::signal::StreamDrm::default();
    let stream = StreamView {
        directory: "bbb",
        title: "Big Buck Bunny",
        timing_ref: TIMING_REF,
        representations: &reps,
        defaults: &defaults,
        drm: &drm,
    };
    let renderer = Renderer::new().expect("templates compile");

    // What is being rendered, once, for the record.
    for q in ["timeline=1", "timeline=1&depth=30", ""] {
        let m = render_manifest(&renderer, &stream, &query(&defaults, q)).expect("renders");
        assert!(m.xml.contains(r#"type="dynamic""#));
        eprintln!(
            "live_manifest: query {q:?}: {} bytes, {} <S> entries",
            m.xml.len(),
            m.xml.matches("<S ").count()
        );
    }

    let mut g = c.benchmark_group("live_manifest");
    for (name, q) in [
        ("timeline", "timeline=1"),
        ("timeline_depth30", "timeline=1&depth=30"),
        ("number", ""),
    ] {
        let q = query(&defaults, q);
        g.bench_function(name, |b| {
            b.iter(|| {
                render_manifest(&renderer, black_box(&stream), black_box(&q)).expect("renders")
            })
        });
    }
    // As the origin renders: players poll the same URL, so its options come
    // from the cache after the first request.
    let cache = OptionsCache::new();
    for (name, q) in [("timeline_cached", "timeline=1"), ("number_cached", "")] {
        let q = query(&defaults, q);
        g.bench_function(name, |b| {
            b.iter(|| {
                render_manifest_with(&renderer, black_box(&stream), black_box(&q), Some(&cache))
                    .expect("renders")
            })
        });
    }
    g.bench_function("resolve_timeline", |b| {
        b.iter(|| resolved(&reps, &defaults, black_box("timeline=1")))
    });
    let (req, opts) = resolved(&reps, &defaults, "timeline=1");
    g.bench_function("context_timeline", |b| {
        b.iter(|| context(black_box(&reps), black_box(&req), black_box(&opts)))
    });
    let ctx = context(&reps, &req, &opts);
    g.bench_function("render_timeline", |b| {
        b.iter(|| {
            renderer
                .render(hand_made(), black_box(&ctx))
                .expect("renders")
        })
    });
    bench_patch(&mut g, &stream, &defaults);
    g.finish();
}

/// `live_manifest/patch_cached`: what the origin does for a
/// `/patch/bbb/hand_made/<publishTime>` request (one update period after
/// the MPD it patches): options from the cache, clock, context, the check
/// of the old publishTime and the patch document. `patch_render`: the
/// document alone, from that context. The target is under 20 µs.
fn bench_patch(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    stream: &StreamView,
    defaults: &Defaults,
) {
    let q = query(defaults, "patch=1");
    let original = NOW_MS - 8_000;
    let cache = OptionsCache::new();
    let xml = render_patch_with(stream, &q, original, Some(&cache)).expect("a patch");
    eprintln!(
        "live_manifest: patch: {} bytes, {} <S> entries",
        xml.len(),
        xml.matches("<S ").count()
    );
    g.bench_function("patch_cached", |b| {
        b.iter(|| {
            render_patch_with(black_box(stream), black_box(&q), original, Some(&cache))
                .expect("a patch")
        })
    });
    let (req, opts) = resolved(stream.representations, defaults, "patch=1");
    let mut opts = opts;
    opts.patch_query = Some("start=2022-01-01T00:00:00Z".into());
    let ctx = context(stream.representations, &req, &opts);
    // The MPD the player holds: the same request one update period earlier.
    let mut then = req.clone();
    then.now_ms = original;
    then.timing = then.timing.map(|t| LiveTiming {
        publish_ms: original,
        ..t
    });
    let old = context(stream.representations, &then, &opts);
    g.bench_function("patch_render", |b| {
        b.iter(|| render_patch(black_box(&old), black_box(&ctx), original))
    });
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// Synthetic representation: `n` segments of `d` ticks at `ts` Hz.
fn synthetic(id: &str, video: bool, ts: u32, n: u64, d: u64) -> Representation {
    use dashlive::media::{ContentType, Segment};
    let init = Segment {
        offset: 0,
        size: 800,
        duration: 0,
        decode_time: 0,
    };
    let media = (0..n).map(|i| Segment {
        offset: 800 + i * 100_000,
        size: 100_000,
        duration: d,
        decode_time: i * d,
    });
    Representation {
        id: id.into(),
        filename: format!("{id}.mp4"),
        content_type: if video {
            ContentType::Video
        } else {
            ContentType::Audio
        },
        mime_type: if video { "video/mp4" } else { "audio/mp4" }.into(),
        codecs: if video { "avc1.640028" } else { "mp4a.40.2" }.into(),
        sample_entry: if video { "avc1" } else { "mp4a" }.into(),
        timescale: ts,
        language: "und".into(),
        track_id: 1,
        start_number: 1,
        start_time: 0,
        edit_offset: 0,
        segments: std::iter::once(init).chain(media).collect(),
        media_duration: n * d,
        segment_duration: d,
        bitrate: if video { 3_000_000 } else { 128_000 },
        max_bitrate: if video { 3_500_000 } else { 130_000 },
        width: video.then_some(1920),
        height: video.then_some(1080),
        frame_rate: None,
        sar: None,
        nal_length_size: None,
        sample_rate: (!video).then_some(48_000),
        channels: (!video).then_some(2),
        dolby_channel_configuration: None,
        encryption: None,
    }
}

/// `live_manifest/mps_number`, `mps_timeline`: what the origin does for
/// `/mps/live/hour/hand_made.mpd` (and `?timeline=1`): a one-hour programme
/// of 12 periods, six 8-minute spans of a 48-minute show (4 s video
/// segments, audio of 1024-sample frames) each followed by the same
/// 2-minute ad (2 s segments) signalled with SCTE-35. The default
/// 30-minute window lists 6 or 7 of them. The target is under 50 µs.
fn bench_mps(c: &mut Criterion) {
    use dashlive::mpd::mps::{Programme, ProgrammePeriod};
    use dashlive::mpd::mps_manifest::render_programme;
    let show = vec![
        synthetic("show_v", true, 12_800, 720, 51_200),
        // 4 s of 48 kHz audio is 187.5 frames: 188 frames and 187 in turn
        // would be truer, a constant 188 is close enough for the layout.
        synthetic("show_a", false, 48_000, 720, 188 * 1024),
    ];
    let ad = vec![
        synthetic("ad_v", true, 12_800, 60, 25_600),
        synthetic("ad_a", false, 48_000, 60, 94 * 1024),
    ];
    let defaults = Defaults::new();
    let drm = dashlive::drm::signal::StreamDrm::default();
    let view = |directory, timing_ref, reps| StreamView {
        directory,
        title: directory,
        timing_ref,
        representations: reps,
        defaults: &defaults,
        drm: &drm,
    };
    let streams = |d: &str| match d {
        "show" => Some(view("show", "show_v", &show)),
        "ad" => Some(view("ad", "ad_v", &ad)),
        _ => None,
    };
    let periods = (0..6u64)
        .flat_map(|i| {
            [
                ProgrammePeriod {
                    id: format!("show{i}"),
                    stream: "show".into(),
                    ad: false,
                    encrypted: false,
                    start: i * 480 * 12_800,
                    duration: 480 * 12_800,
                    timescale: 12_800,
                    tracks: Vec::new(),
                },
                ProgrammePeriod {
                    id: format!("ad{i}"),
                    stream: "ad".into(),
                    ad: true,
                    encrypted: false,
                    start: 0,
                    duration: 120 * 12_800,
                    timescale: 12_800,
                    tracks: Vec::new(),
                },
            ]
        })
        .collect();
    let programme = Programme {
        name: "hour".into(),
        title: "A one-hour programme of 12 periods".into(),
        defaults: Defaults::new(),
        periods,
    };
    let renderer = Renderer::new().expect("templates compile");
    let mps_query = |q: &'static str| ManifestQuery {
        def: hand_made(),
        mode: Mode::Live,
        site_defaults: &defaults,
        query: q,
        now_ms: NOW_MS,
        now_override: false,
        site_url: Some(SITE.into()),
        manifest_url: Some(format!("{SITE}mps/live/hour/hand_made.mpd?{q}")),
    };
    let mut g = c.benchmark_group("live_manifest");
    for (name, q) in [("mps_number", ""), ("mps_timeline", "timeline=1")] {
        let q = mps_query(q);
        let m = render_programme(&renderer, &programme, &streams, &q).expect("renders");
        eprintln!(
            "live_manifest: {name}: {} bytes, {} Periods, {} <S> entries",
            m.xml.len(),
            m.xml.matches("<Period ").count(),
            m.xml.matches("<S ").count()
        );
        g.bench_function(name, |b| {
            b.iter(|| {
                render_programme(&renderer, black_box(&programme), &streams, black_box(&q))
                    .expect("renders")
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_live, bench_mps
}
criterion_main!(benches);
