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

criterion_group! {
    name = benches;
    config = config();
    targets = bench_live
}
criterion_main!(benches);
