//! One manifest request, end to end: options resolved as dash-live does,
//! the live clock when the mode is live, the context, the XML. The build and
//! the origin both come through here, so a manifest is the same whoever makes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::faults::positions::{pin_times, NumberClock};
use crate::faults::ManifestFaults;
use crate::media::Representation;
use crate::mpd::context::{manifest_context, ContextError, ManifestOptions, MpdContext, Request};
use crate::mpd::live::LoopMap;
use crate::mpd::live::{LiveError, LiveTiming};
use crate::mpd::patch::{check_original, render_patch, PatchError};
use crate::mpd::registry::{ManifestDef, Mode};
use crate::mpd::render::{RenderError, Renderer};
use crate::mpd::request::{pin_live_clock, resolve, Defaults};
use crate::mpd::time::ticks_to_ms;
use crate::options::{OptionError, Options};

/// The stream a manifest describes.
#[derive(Debug, Clone, Copy)]
pub struct StreamView<'a> {
    pub directory: &'a str,
    pub title: &'a str,
    pub timing_ref: &'a str,
    pub representations: &'a [Representation],
    pub defaults: &'a Defaults,
    pub drm: &'a crate::drm::signal::StreamDrm,
}

/// What the request asks for, with the clock already read.
#[derive(Debug, Clone)]
pub struct ManifestQuery<'a> {
    pub def: &'static ManifestDef,
    pub mode: Mode,
    pub site_defaults: &'a Defaults,
    /// The query string without `?`, with any `now` override taken out.
    pub query: &'a str,
    /// Unix ms: the real clock, or the `now` override.
    pub now_ms: i64,
    /// Whether `now_ms` came from a `now` override: then segment URLs carry
    /// it too, so the whole presentation is pinned to that instant.
    pub now_override: bool,
    /// `http://host/` when known.
    pub site_url: Option<String>,
    /// The manifest's own URL, for `<Location>`.
    pub manifest_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// A bad query value: the client's fault (400).
    #[error(transparent)]
    Option(#[from] OptionError),
    /// A live clock the query makes impossible (400).
    #[error(transparent)]
    Live(#[from] LiveError),
    /// The stream or template cannot make this manifest (404).
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error(transparent)]
    Render(#[from] RenderError),
    /// An MPD patch that cannot be made (400, 410).
    #[error(transparent)]
    Patch(#[from] PatchError),
}

impl ManifestError {
    /// Whether the request itself was wrong, as opposed to the server.
    pub fn is_bad_request(&self) -> bool {
        matches!(
            self,
            ManifestError::Option(_)
                | ManifestError::Live(_)
                | ManifestError::Context(ContextError::Events(_))
        )
    }
}

/// A rendered manifest and the warnings its query raised.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub xml: String,
    pub warnings: Vec<String>,
    /// The live clock it was made with.
    pub timing: Option<LiveTiming>,
    /// Its injected errors (`merr`), for the resolver to decide on.
    pub faults: ManifestFaults,
}

/// The timing reference's segment duration in ms (for the default update period).
pub fn reference_segment_ms(stream: &StreamView) -> u64 {
    stream
        .representations
        .iter()
        .find(|r| r.id == stream.timing_ref)
        .map(|r| ticks_to_ms(r.segment_duration, r.timescale))
        .unwrap_or(0)
}

/// Resolves, computes and renders one manifest.
pub fn render_manifest(
    renderer: &Renderer,
    stream: &StreamView,
    q: &ManifestQuery,
) -> Result<Manifest, ManifestError> {
    render_manifest_with(renderer, stream, q, None)
}

/// The options one request resolves to, before the live clock is pinned.
struct Resolved {
    o: Options,
    base: Options,
    warnings: Vec<String>,
    /// The manifest options last made from these, and the (availability
    /// start, window, UTC day) they were pinned to.
    pinned: Mutex<Option<(PinKey, Arc<ManifestOptions>)>>,
}

/// What pinned manifest options depend on: the availability start, the
/// window, and the UTC day (a fault's time of day is on the clock's day).
type PinKey = (i64, i64, i64);

/// The `$Number$` clock of the timing reference, for turning fault times
/// into segment numbers.
fn number_clock(stream: &StreamView, timing: &LiveTiming) -> Option<NumberClock> {
    let reference = stream
        .representations
        .iter()
        .find(|r| r.id == stream.timing_ref)?;
    let map = LoopMap::new(reference, reference)?;
    Some(NumberClock {
        availability_start_ms: timing.availability_start_ms,
        timescale: map.number.timescale,
        duration: map.number.duration,
        start_number: map.start_number,
    })
}

impl Resolved {
    fn new(stream: &StreamView, q: &ManifestQuery) -> Result<Resolved, OptionError> {
        let (o, base, warnings) =
            resolve(q.def, q.mode, q.site_defaults, stream.defaults, q.query)?;
        Ok(Resolved {
            o,
            base,
            warnings,
            pinned: Mutex::new(None),
        })
    }

    /// The manifest options for a live clock (or none), made again only
    /// when the clock's availability start or window changes.
    fn options(
        &self,
        stream: &StreamView,
        timing: Option<&LiveTiming>,
    ) -> Result<Arc<ManifestOptions>, OptionError> {
        let key = timing.map_or((0, 0, 0), |t| {
            (
                t.availability_start_ms,
                t.depth_s,
                t.now_ms.div_euclid(86_400_000),
            )
        });
        let mut pinned = self.pinned.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((k, opts)) = pinned.as_ref() {
            if *k == key {
                return Ok(opts.clone());
            }
        }
        let opts = Arc::new(match timing {
            Some(t) => {
                let mut o = self.o.clone();
                pin_live_clock(&mut o, t);
                if let Some(clock) = number_clock(stream, t) {
                    pin_times(&mut o, &clock, t.now_ms)?;
                }
                let mut m = ManifestOptions::from_options(&o, &self.base);
                m.patch_query = crate::mpd::patch::patch_query(&self.o, &self.base, t);
                m
            }
            None => ManifestOptions::from_options(&self.o, &self.base),
        });
        *pinned = Some((key, opts.clone()));
        Ok(opts)
    }
}

/// Resolved options by request, for an origin whose players ask for the
/// same manifest URL every few seconds: each query is parsed once, and the
/// options written into segment URLs are worked out again only when the
/// live clock's availability start or window moves. For one tree: the
/// stream's defaults are part of what is cached.
#[derive(Default)]
pub struct OptionsCache {
    map: Mutex<HashMap<String, Arc<Resolved>>>,
}

/// Entries kept at most; a full cache starts again empty (URLs that many
/// are a crawler, not players).
const CACHE_LIMIT: usize = 4096;

impl OptionsCache {
    pub fn new() -> OptionsCache {
        OptionsCache::default()
    }

    fn resolve(
        &self,
        stream: &StreamView,
        q: &ManifestQuery,
    ) -> Result<Arc<Resolved>, OptionError> {
        let key = format!(
            "{}\0{}\0{}\0{}",
            stream.directory,
            q.def.name,
            q.mode.as_str(),
            q.query
        );
        if let Some(r) = self.map.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(r.clone());
        }
        let r = Arc::new(Resolved::new(stream, q)?);
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CACHE_LIMIT {
            map.clear();
        }
        map.insert(key, r.clone());
        Ok(r)
    }
}

/// [`render_manifest`], with the options of repeated requests from `cache`.
pub fn render_manifest_with(
    renderer: &Renderer,
    stream: &StreamView,
    q: &ManifestQuery,
    cache: Option<&OptionsCache>,
) -> Result<Manifest, ManifestError> {
    with_context(stream, q, cache, |ctx, resolved, timing| {
        Ok(Manifest {
            xml: renderer.render(q.def, ctx)?,
            warnings: resolved.warnings.clone(),
            timing: timing.cloned(),
            faults: ManifestFaults::from_options(&resolved.o),
        })
    })
}

/// The MPD patch from the live manifest of `q` published at `original_ms`
/// (Unix ms) to the one of `q.now_ms`, made from the same context as that
/// manifest. `q` must ask for `patch=1`.
pub fn render_patch_with(
    stream: &StreamView,
    q: &ManifestQuery,
    original_ms: i64,
    cache: Option<&OptionsCache>,
) -> Result<String, ManifestError> {
    with_context(stream, q, cache, |ctx, resolved, timing| {
        let Some(now) = timing.filter(|_| ctx.patch_location.is_some()) else {
            return Err(ContextError::Mode {
                manifest: q.def.name,
                mode: q.mode.as_str(),
            }
            .into());
        };
        // The clock of the MPD then: undrifted, `original_ms` is its clock.
        let then = LiveTiming::new(
            &resolved.o,
            original_ms,
            false,
            reference_segment_ms(stream),
        )
        .ok();
        check_original(now, then.as_ref(), original_ms)?;
        // The MPD the player holds, from the same renderer: it depends on
        // its publishTime alone (`patch::window_timing`).
        let old = context_at(stream, q, resolved, then, original_ms)?;
        Ok(render_patch(&old, ctx, original_ms))
    })
}

/// Resolves the options and the live clock of `q` and computes its
/// manifest context, for `f` to lay out: a manifest and its patches come
/// from the one context.
fn with_context<R>(
    stream: &StreamView,
    q: &ManifestQuery,
    cache: Option<&OptionsCache>,
    f: impl FnOnce(&MpdContext, &Resolved, Option<&LiveTiming>) -> Result<R, ManifestError>,
) -> Result<R, ManifestError> {
    let resolved = match cache {
        Some(c) => c.resolve(stream, q)?,
        None => Arc::new(Resolved::new(stream, q)?),
    };
    let timing = match q.mode {
        Mode::Live => Some(LiveTiming::new(
            &resolved.o,
            q.now_ms,
            true,
            reference_segment_ms(stream),
        )?),
        _ => None,
    };
    let ctx = context_at(stream, q, &resolved, timing.clone(), q.now_ms)?;
    f(&ctx, &resolved, timing.as_ref())
}

/// The manifest context of `q` at the clock `now_ms` with its `timing`.
fn context_at<'s>(
    stream: &StreamView<'s>,
    q: &ManifestQuery,
    resolved: &Resolved,
    timing: Option<LiveTiming>,
    now_ms: i64,
) -> Result<MpdContext<'s>, ManifestError> {
    let mut opts = resolved.options(stream, timing.as_ref())?;
    if q.now_override {
        pin_now(Arc::make_mut(&mut opts), now_ms);
    }
    let req = Request {
        mode: q.mode,
        site_url: q.site_url.clone(),
        manifest_url: q.manifest_url.clone(),
        now_ms,
        timing,
    };
    let mut ctx = manifest_context(
        stream.directory,
        stream.title,
        stream.timing_ref,
        stream.representations,
        q.def,
        &req,
        &opts,
    )?;
    crate::mpd::protection::protect(&mut ctx, stream.drm, &opts.drm, q.site_url.as_deref());
    Ok(ctx)
}

/// Segment and `/time` URLs that carry a `now` override, so the whole
/// presentation is pinned to that instant.
pub fn pin_now(o: &mut ManifestOptions, now_ms: i64) {
    let now = format!("now={}", now_ms);
    let queries = o.segment_queries.iter_mut().chain([&mut o.time_query]);
    for query in queries {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&now);
    }
}
