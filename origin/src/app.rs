//! The origin as a function: (request, clock) → response. The HTTP layer
//! reads the clock once and calls [`App::handle`]; tests call it directly
//! with a fixed clock.

use hyper::header::{HeaderValue, DATE, HOST};
use hyper::{HeaderMap, Method, Response, StatusCode, Uri};

use dashlive::mpd::live::parse_datetime_ms;
use dashlive::mpd::registry::Mode;
use dashlive::mpd::render::Renderer;
use dashlive::options::Options;

use crate::body::Body;
use crate::cors::{self, AllowedDomains};
use crate::live;
use crate::metrics::Metrics;
use crate::play;
use crate::respond::{bad_request, not_found, ok, text};
use crate::routes::{Route, Routes};
use crate::state::Tree;
use crate::static_files::StaticFiles;
use crate::time::{http_date, TimeMethod};

pub struct App {
    pub tree: Tree,
    pub renderer: Renderer,
    pub files: StaticFiles,
    pub routes: Routes,
    pub metrics: Metrics,
    pub cors: AllowedDomains,
    pub players: crate::play::Players,
    /// Resolved options of the manifest URLs players poll.
    pub options_cache: dashlive::mpd::manifest::OptionsCache,
}

/// What every handler needs to know about the request.
pub struct Ctx {
    pub path: String,
    /// The query without the `now` override.
    pub query: String,
    raw_query: Option<String>,
    /// Unix ms: the clock, or the `now` override.
    pub now_ms: i64,
    pub now_override: bool,
    /// `http://host/` (https behind a proxy that says so).
    pub site_url: String,
    /// The request's `Range` header, when it has exactly one.
    pub range: Option<String>,
}

impl Ctx {
    /// The query as received, `now` included.
    pub fn raw_query(&self) -> Option<&str> {
        self.raw_query.as_deref()
    }

    /// The request's own URL, absolute.
    pub fn url(&self) -> String {
        let path = self.path.trim_start_matches('/');
        match &self.raw_query {
            Some(q) => format!("{}{path}?{q}", self.site_url),
            None => format!("{}{path}", self.site_url),
        }
    }
}

/// `now=` as livesim2's `nowMS`: Unix milliseconds or an ISO 8601 date and time.
fn parse_now(value: &str) -> Option<i64> {
    let value = percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .ok()?;
    value
        .parse::<i64>()
        .ok()
        .or_else(|| parse_datetime_ms(&value.replace(' ', "+")))
}

/// Splits the `now` override out of a query.
fn take_now(query: &str) -> Result<(String, Option<i64>), String> {
    let mut now = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("now", v)) => {
                now = Some(parse_now(v).ok_or_else(|| {
                    format!("now={v}: expected Unix milliseconds or an ISO 8601 date and time with a zone")
                })?);
            }
            _ => rest.push(pair),
        }
    }
    Ok((rest.join("&"), now))
}

fn site_url(uri: &Uri, headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    format!("{}://{host}/", if https { "https" } else { "http" })
}

/// Options of later issues: refused clearly rather than silently ignored.
pub fn not_supported_yet(o: &Options) -> Option<Response<Body>> {
    let refused = [
        ("drm", !o.drm_selection().is_empty()),
        ("events", !o.event_types().is_empty()),
        ("patch", o.patch()),
        ("merr", !o.http_errors("manifestErrors").is_empty()),
        ("verr", !o.http_errors("videoErrors").is_empty()),
        ("aerr", !o.http_errors("audioErrors").is_empty()),
        ("terr", !o.http_errors("textErrors").is_empty()),
        ("vcorrupt", !o.list("videoCorruption").is_empty()),
        ("failures", o.int("failureCount").is_some()),
        ("thumbnails", o.flag("videoThumbnails")),
    ];
    refused
        .iter()
        .find(|(_, on)| *on)
        .map(|(name, _)| bad_request(format!("{name}: not supported yet by this server")))
}

impl App {
    /// Answers one request at `clock_ms` (Unix ms). Returns the route, for
    /// logs and metrics.
    pub fn handle(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        clock_ms: i64,
    ) -> (Route, Response<Body>) {
        let path = uri.path();
        let matched = self.routes.find(path);
        let route = matched.route;
        if method == Method::OPTIONS {
            let r = cors::preflight(&self.cors, method, headers).unwrap_or_else(|| {
                let mut r = text(StatusCode::NO_CONTENT, "");
                *r.body_mut() = Body::empty();
                r.headers_mut()
                    .insert("allow", HeaderValue::from_static("GET, HEAD, OPTIONS"));
                r
            });
            return (route, r);
        }
        let mut response = if route == Route::Static {
            self.files.serve(method, path, headers)
        } else if method != Method::GET && method != Method::HEAD {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, format!("{method} {path}"));
            r.headers_mut()
                .insert("allow", HeaderValue::from_static("GET, HEAD, OPTIONS"));
            r
        } else {
            match take_now(uri.query().unwrap_or("")) {
                Err(e) => bad_request(e),
                Ok((query, now)) => {
                    let ctx = Ctx {
                        path: path.to_string(),
                        query,
                        raw_query: uri.query().map(String::from),
                        now_ms: now.unwrap_or(clock_ms),
                        now_override: now.is_some(),
                        site_url: site_url(uri, headers),
                        range: match headers.get_all(hyper::header::RANGE).iter().count() {
                            1 => headers
                                .get(hyper::header::RANGE)
                                .and_then(|v| v.to_str().ok())
                                .map(String::from),
                            _ => None,
                        },
                    };
                    self.dispatch(route, &matched, &ctx, method, headers)
                }
            }
        };
        for (name, value) in cors::response_headers(&self.cors, headers.get("origin")) {
            // Appended: a handler may have set its own Vary.
            response.headers_mut().append(name, value);
        }
        (route, response)
    }

    fn dispatch(
        &self,
        route: Route,
        m: &crate::routes::Matched,
        ctx: &Ctx,
        method: &Method,
        headers: &HeaderMap,
    ) -> Response<Body> {
        match route {
            Route::Health => ok(Body::from("ok\n"), "text/plain; charset=utf-8", "no-store"),
            Route::Metrics => ok(
                Body::from(self.metrics.render()),
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                "no-store",
            ),
            Route::Time => self.time(m.param("method"), ctx),
            Route::LiveManifest => {
                match Options::parse_query(&ctx.query, Mode::Live)
                    .map(|(o, _)| not_supported_yet(&o))
                {
                    Err(e) => bad_request(e.to_string()),
                    Ok(Some(r)) => r,
                    Ok(None) => {
                        live::manifest(self, ctx, Mode::Live, m.param("stream"), m.param("file"))
                    }
                }
            }
            Route::LiveSegment => live::segment(
                self,
                ctx,
                m.param("stream"),
                m.param("rep"),
                m.param("file"),
                false,
            ),
            Route::LiveSegmentByTime => live::segment(
                self,
                ctx,
                m.param("stream"),
                m.param("rep"),
                m.param("file"),
                true,
            ),
            Route::StaticModeManifest => {
                let mode = Mode::from_name(m.param("mode"));
                // The pre-rendered file answers a query-less request (and
                // anything that is not a manifest).
                match mode {
                    Some(mode @ (Mode::Vod | Mode::Odvod))
                        if m.param("file").ends_with(".mpd") && !ctx.query.is_empty() =>
                    {
                        match Options::parse_query(&ctx.query, mode)
                            .map(|(o, _)| not_supported_yet(&o))
                        {
                            Err(e) => bad_request(e.to_string()),
                            Ok(Some(r)) => r,
                            Ok(None) => {
                                live::manifest(self, ctx, mode, m.param("stream"), m.param("file"))
                            }
                        }
                    }
                    _ => self.files.serve(method, &ctx.path, headers),
                }
            }
            Route::PlayPage => play::stream_page(
                self,
                ctx,
                m.param("mode"),
                m.param("stream"),
                m.param("file"),
            ),
            Route::PlayUrl => play::url_page(self, ctx),
            Route::PlayerScript => play::script(),
            Route::PlayerLibrary => self.players.serve(method, m.param("path"), headers),
            Route::Static => self.files.serve(method, &ctx.path, headers),
        }
    }

    /// `/time/{method}`, behind by `drift` seconds when asked.
    fn time(&self, name: &str, ctx: &Ctx) -> Response<Body> {
        let Some(method) = TimeMethod::from_name(name) else {
            return not_found(format!(
                "no time method {name}: use one of {}",
                TimeMethod::NAMES
            ));
        };
        let drift = match Options::parse_query(&ctx.query, Mode::Live) {
            Ok((o, _)) => o.clock_drift().unwrap_or(0),
            Err(e) => return bad_request(e.to_string()),
        };
        let now = ctx.now_ms.saturating_sub(drift.saturating_mul(1000));
        let mut r = ok(
            Body::from(method.body(now)),
            method.content_type(),
            "no-store",
        );
        if let Ok(v) = HeaderValue::from_str(&http_date(now)) {
            r.headers_mut().insert(DATE, v);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_now_override() {
        assert_eq!(
            take_now("a=1&now=1000&b=2").unwrap(),
            ("a=1&b=2".into(), Some(1000))
        );
        assert_eq!(
            take_now("now=2022-09-06T15:10:00Z").unwrap().1,
            Some(1_662_477_000_000)
        );
        assert_eq!(
            take_now("now=2022-09-06T15%3A10%3A00%2B01%3A00").unwrap().1,
            Some(1_662_477_000_000 - 3_600_000)
        );
        assert_eq!(
            take_now("start=today").unwrap(),
            ("start=today".into(), None)
        );
        let e = take_now("now=yesterday").unwrap_err();
        assert!(e.contains("now=yesterday"), "{e}");
    }
}
