//! Small response builders shared by the handlers.

use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Response, StatusCode};

use crate::body::Body;

/// How much of a request path an error repeats: enough to recognise it, not
/// a 64 KB URL echoed back.
const MAX_SHOWN_PATH: usize = 256;

/// `path` cut to [`MAX_SHOWN_PATH`] bytes at a character boundary.
pub fn shown_path(path: &str) -> &str {
    let mut end = path.len().min(MAX_SHOWN_PATH);
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    &path[..end]
}

/// A plain-text answer: `404 Not Found: <what>`.
pub fn text(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    let message = message.into();
    let line = format!(
        "{} {}: {message}\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let mut r = Response::new(Body::from(line));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(dashlive::policy::TEXT_PLAIN),
    );
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(dashlive::policy::ERROR),
    );
    r
}

pub fn not_found(what: impl Into<String>) -> Response<Body> {
    text(StatusCode::NOT_FOUND, what)
}

pub fn bad_request(what: impl Into<String>) -> Response<Body> {
    text(StatusCode::BAD_REQUEST, what)
}

/// 200 with a body, a content type and a Cache-Control.
pub fn ok(body: Body, content_type: &str, cache_control: &str) -> Response<Body> {
    let len = body.len();
    let mut r = Response::new(body);
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(cache_control) {
        h.insert(CACHE_CONTROL, v);
    }
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    r
}
