//! Live manifests and live segments (dash-live §4): the manifest rendered
//! for the request's clock, the segment a pre-cut file with its sequence
//! number and decode times rewritten in a copy of its first few hundred bytes.

use bytes::Bytes;
use hyper::header::{HeaderValue, ACCEPT_RANGES, CONTENT_RANGE};
use hyper::{Response, StatusCode};

use dashlive::mpd::live::LiveTiming;
use dashlive::mpd::manifest::{render_manifest_with, ManifestQuery};
use dashlive::mpd::registry::{self, Mode};
use dashlive::mpd::time::iso_datetime_ms;
use dashlive::options::{AvailabilityStart, Options};

use crate::app::{Ctx, View};
use crate::body::Body;
use crate::respond::{bad_request, not_found, ok, text};
use crate::static_files::{byte_range, content_type, ByteRange};

/// On a response: ask again at this Unix ms, when what was asked for will
/// exist (a live segment still in progress), and send that answer instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldUntil(pub i64);

/// A manifest: live, or vod / odvod rendered for a query.
pub fn manifest(app: &View, ctx: &Ctx, mode: Mode, stream: &str, file: &str) -> Response<Body> {
    let Some(name) = file.strip_suffix(".mpd") else {
        return not_found(format!("{}: not a manifest", ctx.path));
    };
    let Some(def) = registry::find(name) else {
        return not_found(format!("no manifest template {name}"));
    };
    if !def.supports(mode) {
        return not_found(format!("{name} has no {} mode", mode.as_str()));
    }
    let Some(s) = app.tree.streams.get(stream) else {
        return not_found(format!("no stream {stream}"));
    };
    let q = ManifestQuery {
        def,
        mode,
        site_defaults: &app.tree.site_defaults,
        query: &ctx.query,
        now_ms: ctx.now_ms,
        now_override: ctx.now_override,
        site_url: Some(ctx.site_url.clone()),
        manifest_url: Some(ctx.url()),
    };
    match render_manifest_with(&app.renderer, &s.view(), &q, Some(&app.options_cache)) {
        Ok(m) => {
            for w in &m.warnings {
                tracing::info!(path = %ctx.path, "ignored: {w}");
            }
            // A live manifest changes every segment: half a segment keeps a
            // CDN from serving one older than a player tolerates.
            let cache = match mode {
                Mode::Live => format!("public, max-age={}", (s.reference_segment_ms / 2000).max(1)),
                _ => "public, max-age=60".to_string(),
            };
            ok(Body::from(m.xml), "application/dash+xml", &cache)
        }
        Err(e) if e.is_bad_request() => bad_request(e.to_string()),
        Err(e @ dashlive::mpd::manifest::ManifestError::Context(_)) => not_found(e.to_string()),
        Err(e) => {
            tracing::error!(path = %ctx.path, "manifest: {e}");
            text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
    }
}

const SEGMENT_EXTENSIONS: [&str; 4] = ["m4v", "m4a", "m4s", "mp4"];

/// A live init or media segment; `by_time` when the URL names a `$Time$`.
pub fn segment(
    app: &View,
    ctx: &Ctx,
    stream: &str,
    rep_id: &str,
    file: &str,
    by_time: bool,
) -> Response<Body> {
    let Some(s) = app.tree.streams.get(stream) else {
        return not_found(format!("no stream {stream}"));
    };
    let Some(rep) = s.reps.get(rep_id) else {
        return not_found(format!("stream {stream} has no representation {rep_id}"));
    };
    let Some((stem, _)) = file
        .rsplit_once('.')
        .filter(|(_, e)| SEGMENT_EXTENSIONS.contains(e))
    else {
        return not_found(format!(
            "{file}: not a segment name (<number>.m4v, init.m4a …)"
        ));
    };
    let ctype = content_type(file);
    if stem == "init" && !by_time {
        return match rep.init(&app.tree.root) {
            Ok(bytes) => ok(Body::from(bytes), ctype, IMMUTABLE),
            Err(e) => server_error(ctx, e),
        };
    }
    let Ok(value) = stem.parse::<u64>() else {
        return not_found(format!(
            "{file}: not a segment {}",
            if by_time { "time" } else { "number" }
        ));
    };
    let (opts, warnings) = match Options::parse_query(&ctx.query, Mode::Live) {
        Ok(o) => o,
        Err(e) => return bad_request(e.to_string()),
    };
    for w in &warnings {
        tracing::info!(path = %ctx.path, "ignored: {w}");
    }
    if let Some(r) = crate::app::not_supported_yet(&opts) {
        return r;
    }
    let timing = match LiveTiming::new(&opts, ctx.now_ms, false, s.reference_segment_ms) {
        Ok(t) => t,
        Err(e) => return bad_request(e.to_string()),
    };
    let Some(map) = rep.map.as_ref() else {
        return not_found(format!("{rep_id} has no media segments to loop"));
    };
    let found = if by_time {
        map.by_time(value)
    } else {
        map.by_number(value)
    };
    let Some(seg) = found else {
        return not_found(format!("{rep_id} has no segment at {file}"));
    };
    if !map.available(&timing, seg.start, seg.duration) {
        // The segment being "encoded" now: the HTTP layer answers when it is
        // complete rather than with this 404 (not with a pinned clock).
        let hold = map
            .ms_until_complete(&timing, &seg)
            .filter(|_| !ctx.now_override);
        let mut r = not_found(format!(
            "{file} is not available at {}: segments are available from the end of the window \
             (time-shift depth {} s + leeway {} s) until they end, after the availability start {}",
            iso_datetime_ms(timing.now_ms),
            timing.depth_s,
            timing.leeway_s,
            iso_datetime_ms(timing.availability_start_ms),
        ));
        if let Some(wait_ms) = hold {
            r.extensions_mut()
                .insert(HoldUntil(timing.now_ms + wait_ms));
        }
        return r;
    }
    let number = if by_time { map.number_of(&seg) } else { value };
    let (file_index, bytes) = match rep.segment(&app.tree.root, seg.index) {
        Ok(x) => x,
        Err(e) => return server_error(ctx, e),
    };
    let patch = &file_index.patch;
    let head_len = patch
        .sequence_number
        .iter()
        .map(|p| p + 4)
        .chain(patch.decode_time.iter().map(|(p, _)| p + 8))
        .max()
        .unwrap_or(0)
        .min(bytes.len() as u64) as usize;
    let mut head = bytes[..head_len].to_vec();
    patch.apply(&mut head, number as u32, seg.time_shift);
    let tail = bytes.slice(head_len..);
    // A URL that pins the availability start names the same bytes for
    // ever; one that leaves it to the clock (`start=year` …) does not.
    let cache = match opts.availability_start() {
        AvailabilityStart::DateTime(_) | AvailabilityStart::Epoch => IMMUTABLE,
        _ => "public, max-age=60",
    };
    let mut r = match ctx
        .range
        .as_deref()
        .map(|r| byte_range(r, bytes.len() as u64))
    {
        Some(ByteRange::Part(first, last)) => {
            // Rare (players fetch whole segments): join, then slice.
            let mut whole = head;
            whole.extend_from_slice(&tail);
            let part = Bytes::from(whole).slice(first as usize..=last as usize);
            let mut r = ok(Body::from(part), ctype, cache);
            *r.status_mut() = StatusCode::PARTIAL_CONTENT;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {first}-{last}/{}", bytes.len())) {
                r.headers_mut().insert(CONTENT_RANGE, v);
            }
            r
        }
        Some(ByteRange::Unsatisfiable) => {
            let mut r = text(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("{file}: {} bytes", bytes.len()),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", bytes.len())) {
                r.headers_mut().insert(CONTENT_RANGE, v);
            }
            r
        }
        _ => ok(Body::from_chunks([Bytes::from(head), tail]), ctype, cache),
    };
    r.headers_mut()
        .insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    r
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn server_error(ctx: &Ctx, e: impl std::fmt::Display) -> Response<Body> {
    tracing::error!(path = %ctx.path, "{e}");
    text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}
