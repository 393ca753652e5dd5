//! The origin as a function: (request, clock) → response. The HTTP layer
//! reads the clock once and calls [`App::handle`]; tests call it directly
//! with a fixed clock.

use hyper::header::{HeaderValue, HOST};
use hyper::{HeaderMap, Method, Response, StatusCode, Uri};

use dashlive::mpd::render::Renderer;
use dashlive::serve::resolve::{Request, Resolver, Target};

use crate::body::Body;
use crate::cors::{self, AllowedDomains};
use crate::live;
use crate::metrics::Metrics;
use crate::play;
use crate::respond::{bad_request, ok, text};
use crate::routes::{Route, Routes};
use crate::state::Tree;
use crate::static_files::StaticFiles;

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
            match dashlive::serve::clock::split_now(uri.query().unwrap_or("")) {
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
            Route::Time
            | Route::LiveManifest
            | Route::LiveSegment
            | Route::LiveSegmentByTime
            | Route::StaticModeManifest
            | Route::LegacyManifest => {
                let p = |name| m.param(name);
                let target = match route {
                    Route::Time => Target::Time {
                        method: p("method"),
                    },
                    Route::LiveManifest => Target::LiveManifest {
                        stream: p("stream"),
                        file: p("file"),
                    },
                    Route::LiveSegment | Route::LiveSegmentByTime => Target::LiveSegment {
                        stream: p("stream"),
                        rep: p("rep"),
                        file: p("file"),
                        by_time: route == Route::LiveSegmentByTime,
                    },
                    Route::StaticModeManifest => Target::ModeFile {
                        mode: p("mode"),
                        stream: p("stream"),
                        file: p("file"),
                    },
                    _ => Target::LegacyManifest {
                        stream: Some(p("stream")).filter(|s| !s.is_empty()),
                        file: p("file"),
                    },
                };
                let url = ctx.url();
                let request = Request {
                    target,
                    query: &ctx.query,
                    now_ms: ctx.now_ms,
                    now_override: ctx.now_override,
                    site_url: &ctx.site_url,
                    url: &url,
                };
                let resolver = Resolver {
                    tree: &self.tree,
                    renderer: &self.renderer,
                    cache: Some(&self.options_cache),
                };
                live::execute(self, ctx, resolver.resolve(&request), method, headers)
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
}
