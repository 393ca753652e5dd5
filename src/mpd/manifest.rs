//! One manifest request, end to end: options resolved as dash-live does,
//! the live clock when the mode is live, the context, the XML. The build and
//! the origin both come through here, so a manifest is the same whoever makes it.

use crate::media::Representation;
use crate::mpd::context::{manifest_context, ContextError, ManifestOptions, Request};
use crate::mpd::live::{LiveError, LiveTiming};
use crate::mpd::registry::{ManifestDef, Mode};
use crate::mpd::render::{RenderError, Renderer};
use crate::mpd::request::{pin_live_clock, resolve, Defaults};
use crate::mpd::time::ticks_to_ms;
use crate::options::OptionError;

/// The stream a manifest describes.
#[derive(Debug, Clone, Copy)]
pub struct StreamView<'a> {
    pub directory: &'a str,
    pub title: &'a str,
    pub timing_ref: &'a str,
    pub representations: &'a [Representation],
    pub defaults: &'a Defaults,
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
}

impl ManifestError {
    /// Whether the request itself was wrong, as opposed to the server.
    pub fn is_bad_request(&self) -> bool {
        matches!(self, ManifestError::Option(_) | ManifestError::Live(_))
    }
}

/// A rendered manifest and the warnings its query raised.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub xml: String,
    pub warnings: Vec<String>,
    /// The live clock it was made with.
    pub timing: Option<LiveTiming>,
}

/// The timing reference's segment duration in ms (for the default update period).
fn reference_segment_ms(stream: &StreamView) -> u64 {
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
    let (mut o, base, warnings) =
        resolve(q.def, q.mode, q.site_defaults, stream.defaults, q.query)?;
    let timing = match q.mode {
        Mode::Live => {
            let t = LiveTiming::new(&o, q.now_ms, true, reference_segment_ms(stream))?;
            pin_live_clock(&mut o, &t)?;
            Some(t)
        }
        _ => None,
    };
    let mut opts = ManifestOptions::from_options(&o, &base);
    if q.now_override {
        let now = format!("now={}", q.now_ms);
        for query in [&mut opts.segment_query, &mut opts.time_query] {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&now);
        }
    }
    let req = Request {
        mode: q.mode,
        site_url: q.site_url.clone(),
        manifest_url: q.manifest_url.clone(),
        now_ms: q.now_ms,
        timing: timing.clone(),
    };
    let ctx = manifest_context(
        stream.directory,
        stream.title,
        stream.timing_ref,
        stream.representations,
        q.def,
        &req,
        &opts,
    )?;
    Ok(Manifest {
        xml: renderer.render(q.def, &ctx)?,
        warnings,
        timing,
    })
}
