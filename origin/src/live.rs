//! Carries out the resolver's plans (`dashlive::serve`): the manifest it
//! rendered, the segment bytes it names with their fields rewritten, the
//! clock, a redirect or a refusal. No DASH decision is made here; this is
//! where a plan meets HTTP (byte ranges, holding a request for a segment in
//! progress, headers).

use bytes::Bytes;
use hyper::header::{HeaderValue, ACCEPT_RANGES, CONTENT_RANGE, DATE, IF_RANGE, LOCATION};
use hyper::{HeaderMap, Method, Response, StatusCode};

use dashlive::policy::Cache;
use dashlive::serve::plan::{Plan, SegmentPlan, Source};

use crate::app::{Ctx, View};
use crate::body::Body;
use crate::respond::{ok, text};
use crate::static_files::{byte_range, ByteRange};
use crate::time::http_date;

/// On a response: ask again at this Unix ms, when what was asked for will
/// exist (a live segment still in progress), and send that answer instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldUntil(pub i64);

/// The HTTP answer to a plan.
pub fn execute(
    app: &View,
    ctx: &Ctx,
    plan: Plan,
    method: &Method,
    headers: &HeaderMap,
) -> Response<Body> {
    match plan {
        Plan::Manifest {
            xml,
            cache,
            warnings,
        } => {
            for w in &warnings {
                tracing::info!(path = %ctx.path, "ignored: {w}");
            }
            ok(Body::from(xml), dashlive::policy::MPD, &cache.header())
        }
        Plan::Patch { xml, cache } => ok(
            Body::from(xml),
            dashlive::policy::MPD_PATCH,
            &cache.header(),
        ),
        Plan::Segment(s) => segment(app, ctx, &s, headers),
        Plan::Time {
            body,
            content_type,
            date_ms,
        } => {
            let mut r = ok(
                Body::from(Bytes::from(body)),
                content_type,
                &Cache::NoStore.header(),
            );
            if let Ok(v) = HeaderValue::from_str(&http_date(date_ms)) {
                r.headers_mut().insert(DATE, v);
            }
            r
        }
        Plan::Redirect { location } => {
            let mut r = text(StatusCode::FOUND, format!("moved to {location}"));
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(LOCATION, v);
            }
            r
        }
        Plan::Static => app.files.serve(method, &ctx.path, headers),
        Plan::Refuse(refusal) => {
            let status =
                StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status.is_server_error() {
                tracing::error!(path = %ctx.path, "{}", refusal.message);
            }
            let mut r = text(status, refusal.message);
            if status.is_server_error() {
                r.headers_mut().insert(
                    hyper::header::CACHE_CONTROL,
                    HeaderValue::from_static(dashlive::policy::NO_STORE),
                );
            }
            if let Some(at) = refusal.ready_at_ms {
                r.extensions_mut().insert(HoldUntil(at));
            }
            r
        }
        Plan::Fault(dashlive::serve::plan::Fault { refusal, counts }) => {
            // Asked for by the query: not an error of this server.
            tracing::info!(path = %ctx.path, "{}", refusal.message);
            let status =
                StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = text(status, refusal.message);
            r.headers_mut().insert(
                hyper::header::CACHE_CONTROL,
                HeaderValue::from_static(dashlive::policy::NO_STORE),
            );
            if let Some(cookie) = counts.and_then(|c| app.fault_secret.set_cookie(&c)) {
                r.headers_mut().insert(hyper::header::SET_COOKIE, cookie);
            }
            r
        }
    }
}

/// A live init or media segment: the stored bytes, with the sequence
/// number, decode times and (at a loop's end) last sample durations
/// rewritten in a copy of the part that holds them.
fn segment(app: &View, ctx: &Ctx, plan: &SegmentPlan, headers: &HeaderMap) -> Response<Body> {
    let Some(rep) = app
        .tree
        .streams
        .get(&plan.stream)
        .and_then(|s| s.reps.get(&plan.rep))
    else {
        return server_error(ctx, "the plan names a representation the tree lacks");
    };
    let cache = plan.cache.header();
    let (head, tail) = match plan.source {
        Source::LiveInit => match rep.init(&app.tree.root) {
            Ok(bytes) => (Vec::new(), bytes),
            Err(e) => return server_error(ctx, e),
        },
        Source::Init => match rep.vod_init(&app.tree.root) {
            Ok(bytes) => (Vec::new(), bytes),
            Err(e) => return server_error(ctx, e),
        },
        Source::Stored { index } => match rep.segment(&app.tree.root, index) {
            Ok((_, bytes)) => (Vec::new(), bytes),
            Err(e) => return server_error(ctx, e),
        },
        Source::Media {
            index,
            sequence_number,
            time_shift,
            trim,
        } => {
            let (file, bytes) = match rep.segment(&app.tree.root, index) {
                Ok(x) => x,
                Err(e) => return server_error(ctx, e),
            };
            let patch = &file.patch;
            let head_len = patch.extent().min(bytes.len());
            let mut head = bytes[..head_len].to_vec();
            patch.apply(&mut head, sequence_number, time_shift);
            patch.trim(&mut head, trim);
            (head, bytes.slice(head_len..))
        }
    };
    let (head, tail) = if plan.transforms.is_empty() {
        (head, tail)
    } else {
        let mut whole = head;
        whole.extend_from_slice(&tail);
        match dashlive::serve::transform::apply(&plan.transforms, whole) {
            Ok(bytes) => (Vec::new(), Bytes::from(bytes)),
            Err(e) => return server_error(ctx, e),
        }
    };
    let size = (head.len() + tail.len()) as u64;
    // Live answers carry no validators, so an If-Range can never match:
    // the whole body is the answer (RFC 9110 §13.1.5).
    let range = ctx
        .range
        .as_deref()
        .filter(|_| !headers.contains_key(IF_RANGE))
        .map(|r| byte_range(r, size));
    let mut r = match range {
        Some(ByteRange::Part(first, last)) => {
            // Rare (players fetch whole segments): join, then slice.
            let mut whole = head;
            whole.extend_from_slice(&tail);
            let part = Bytes::from(whole).slice(first as usize..=last as usize);
            let mut r = ok(Body::from(part), plan.content_type, &cache);
            *r.status_mut() = StatusCode::PARTIAL_CONTENT;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {first}-{last}/{size}")) {
                r.headers_mut().insert(CONTENT_RANGE, v);
            }
            r
        }
        Some(ByteRange::Unsatisfiable) => {
            let mut r = text(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("{}: {size} bytes", ctx.path),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                r.headers_mut().insert(CONTENT_RANGE, v);
            }
            r
        }
        _ if head.is_empty() => ok(Body::from(tail), plan.content_type, &cache),
        _ => ok(
            Body::from_chunks([Bytes::from(head), tail]),
            plan.content_type,
            &cache,
        ),
    };
    r.headers_mut()
        .insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    r
}

fn server_error(ctx: &Ctx, e: impl std::fmt::Display) -> Response<Body> {
    tracing::error!(path = %ctx.path, "{e}");
    let mut r = text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    r.headers_mut().insert(
        hyper::header::CACHE_CONTROL,
        HeaderValue::from_static(dashlive::policy::NO_STORE),
    );
    r
}
