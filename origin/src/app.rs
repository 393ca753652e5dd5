//! The origin as a function: (request, clock) → response. The HTTP layer
//! reads the clock once and calls [`App::handle`]; tests call it directly
//! with a fixed clock.
//!
//! The handler contract: a handler gets a [`View`] (the long-lived parts and
//! the request's one snapshot of the tree), the request's [`Ctx`] and, where
//! its route takes one, the body as a [`RequestBody`] capped at the route's
//! limit; it may be async. Methods, body limits, `Allow` and the CORS
//! preflight's methods all come from the route table ([`Route::accepts`]).

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use hyper::header::{CONTENT_LENGTH, HOST};
use hyper::http::request::Parts;
use hyper::{HeaderMap, Method, Request, Response, StatusCode, Uri, Version};

use dashlive::mpd::render::Renderer;
use dashlive::policy;
use dashlive::serve::resolve::{Request as ResolveRequest, Resolver, Target};

use crate::body::{Body, BoxError, RequestBody};
use crate::cors::{self, AllowedDomains};
use crate::fault_cookie::FaultSecret;
use crate::live;
use crate::metrics::Metrics;
use crate::panics::CatchPanic;
use crate::play;
use crate::respond::{bad_request, not_found, ok, shown_path, text};
use crate::routes::{Route, Routes};
use crate::trees::{Snapshot, Trees};

pub struct App {
    pub routes: Routes,
    pub metrics: Metrics,
    pub cors: AllowedDomains,
    pub players: crate::play::Players,
    /// The tree served now, and the newer ones that replace it.
    pub trees: Trees,
    /// Signs the clients' counts of injected faults (`failures=`).
    pub fault_secret: FaultSecret,
    /// The admin side; `None` on an origin without a store.
    pub admin: Option<crate::admin::Admin>,
    /// `/validate`: what it fetches with, and its runs.
    pub validation: crate::validate_page::Validation,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Load(#[from] crate::state::LoadError),
    #[error("manifest templates: {0}")]
    Render(#[from] dashlive::mpd::render::RenderError),
}

/// The app as one request sees it: the long-lived parts, and the snapshot
/// of the tree the request took when it started (its fields, `tree`,
/// `files`, `options_cache` and `renderer`, are reached through `Deref`).
pub struct View<'a> {
    snapshot: &'a Snapshot,
    pub metrics: &'a Metrics,
    pub players: &'a crate::play::Players,
    pub trees: &'a Trees,
    pub fault_secret: &'a FaultSecret,
    pub admin: Option<&'a crate::admin::Admin>,
    pub validation: &'a crate::validate_page::Validation,
}

impl Deref for View<'_> {
    type Target = Snapshot;
    fn deref(&self) -> &Snapshot {
        self.snapshot
    }
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
    /// The origin serving the tree in `out`.
    pub fn new(
        out: &Path,
        cors: AllowedDomains,
        players: crate::play::Players,
    ) -> Result<App, AppError> {
        crate::panics::install_hook();
        Ok(App {
            trees: Trees::load(out, Renderer::new()?)?,
            routes: Routes::new(),
            metrics: Metrics::new(),
            cors,
            players,
            fault_secret: FaultSecret::random(),
            admin: None,
            validation: Default::default(),
        })
    }

    /// Signs fault counts with `secret` (the settings' secret key), so that
    /// every origin sharing it reads the same client's counts.
    pub fn with_fault_secret(mut self, secret: FaultSecret) -> App {
        self.fault_secret = secret;
        self
    }

    /// The tree a request starting now uses.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.trees.current()
    }

    /// Answers one request at `clock_ms` (Unix ms). Returns the route, for
    /// logs and metrics. (The HTTP layer calls [`App::handle_parts`], to
    /// keep one snapshot for a held request.)
    #[cfg_attr(not(test), allow(dead_code))]
    pub async fn handle<B>(&self, request: Request<B>, clock_ms: i64) -> (Route, Response<Body>)
    where
        B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = request.into_parts();
        let route = self.routes.find(parts.uri.path()).route;
        let body = RequestBody::new(body, route.accepts().body_limit);
        self.handle_parts(self.snapshot(), &parts, body, clock_ms)
            .await
    }

    /// [`App::handle`] on a given snapshot. A panic in a handler is answered
    /// 500, counted and logged in one line. A GET that fails on a tree a
    /// newer build has replaced (and removed) is asked again of the new
    /// tree: it then sees only the new one.
    pub async fn handle_parts(
        &self,
        snapshot: Arc<Snapshot>,
        parts: &Parts,
        body: RequestBody,
        clock_ms: i64,
    ) -> (Route, Response<Body>) {
        let route = self.routes.find(parts.uri.path()).route;
        let response = self
            .respond_caught(&snapshot, route, parts, body, clock_ms)
            .await;
        let retry = response.status() == StatusCode::INTERNAL_SERVER_ERROR
            && (parts.method == Method::GET || parts.method == Method::HEAD)
            && !self.trees.is_current(&snapshot);
        if !retry {
            return (route, response);
        }
        // A reload that fails keeps the old tree: the answer stays the 500.
        let _ = self.trees.reload_if_changed();
        let newer = self.snapshot();
        if Arc::ptr_eq(&newer, &snapshot) {
            return (route, response);
        }
        let again = self
            .respond_caught(&newer, route, parts, RequestBody::empty(), clock_ms)
            .await;
        (route, again)
    }

    async fn respond_caught(
        &self,
        snapshot: &Snapshot,
        route: Route,
        parts: &Parts,
        body: RequestBody,
        clock_ms: i64,
    ) -> Response<Body> {
        match CatchPanic::new(self.respond(snapshot, parts, body, clock_ms)).await {
            Ok(response) => response,
            Err(message) => {
                self.metrics.panic(route.name());
                tracing::error!(
                    method = %parts.method,
                    path = %parts.uri.path(),
                    "handler panicked: {message}"
                );
                text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the handler failed (a bug, logged by the origin)",
                )
            }
        }
    }

    async fn respond(
        &self,
        snapshot: &Snapshot,
        parts: &Parts,
        body: RequestBody,
        clock_ms: i64,
    ) -> Response<Body> {
        let (method, uri, headers) = (&parts.method, &parts.uri, &parts.headers);
        // RFC 9112 §3.2: exactly one Host in an HTTP/1.1 request. HTTP/2
        // carries the authority in the request line instead.
        if parts.version == Version::HTTP_11 {
            match headers.get_all(HOST).iter().count() {
                1 => {}
                0 => return bad_request("an HTTP/1.1 request needs a Host header"),
                _ => return bad_request("more than one Host header"),
            }
        }
        let path = uri.path();
        // `GET healthz` or `GET *` (authority or asterisk form): no path to serve.
        if !path.starts_with('/') {
            return bad_request(format!(
                "the request target must be a path (/…) or an absolute URL, not {}",
                shown_path(uri.to_string().as_str())
            ));
        }
        let matched = self.routes.find(path);
        let route = matched.route;
        let accepts = route.accepts();
        // The admin side answers no other site's scripts.
        let cors = route.guard().is_none();
        let mut response = if method == Method::OPTIONS {
            let preflight = cors
                .then(|| cors::preflight(&self.cors, method, headers, accepts.methods))
                .flatten();
            preflight.unwrap_or_else(|| {
                let mut r = text(StatusCode::NO_CONTENT, "");
                *r.body_mut() = Body::empty();
                r.headers_mut().remove(CONTENT_LENGTH);
                r.headers_mut()
                    .insert("allow", accepts.methods.header_value());
                r
            })
        } else if !accepts.methods.allows(method) {
            let mut r = text(
                StatusCode::METHOD_NOT_ALLOWED,
                format!(
                    "{method} {}: this URL answers {}",
                    shown_path(path),
                    accepts.methods.list()
                ),
            );
            r.headers_mut()
                .insert("allow", accepts.methods.header_value());
            r
        } else if let Some(r) = over_limit(method, headers, accepts.body_limit) {
            r
        } else if let Some(guard) = route.guard() {
            let https = site_url(uri, headers).starts_with("https:");
            let admin = self.admin.as_ref();
            let trees = &self.trees;
            let v = &self.validation;
            crate::admin::serve(
                admin, trees, v, guard, &matched, parts, body, clock_ms, https,
            )
            .await
        } else {
            let view = View {
                snapshot,
                metrics: &self.metrics,
                players: &self.players,
                trees: &self.trees,
                fault_secret: &self.fault_secret,
                admin: self.admin.as_ref(),
                validation: &self.validation,
            };
            // A vod segment without a query is its built file: no resolving.
            let plain_segment = matches!(route, Route::ModeSegment | Route::ModeSegmentByTime)
                && uri.query().is_none_or(str::is_empty);
            if route == Route::Static || plain_segment {
                view.files.serve(method, path, headers)
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
                        view.dispatch(route, &matched, &ctx, method, headers, body)
                            .await
                    }
                }
            }
        };
        let origin = headers.get("origin").filter(|_| cors);
        for (name, value) in cors::response_headers(&self.cors, origin) {
            // Appended: a handler may have set its own Vary.
            response.headers_mut().append(name, value);
        }
        response
    }
}

/// 413 before reading a body whose declared length is over the route's
/// limit (a body without a length is cut off as it is read instead). GET
/// and HEAD bodies mean nothing (RFC 9110 §9.3.1) and are not read.
fn over_limit(method: &Method, headers: &HeaderMap, limit: u64) -> Option<Response<Body>> {
    if method == Method::GET || method == Method::HEAD {
        return None;
    }
    let declared = headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    (declared > limit).then(|| {
        text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("a body of {declared} bytes is over this URL's limit of {limit} bytes"),
        )
    })
}

impl View<'_> {
    async fn dispatch(
        &self,
        route: Route,
        m: &crate::routes::Matched<'_, '_>,
        ctx: &Ctx,
        method: &Method,
        headers: &HeaderMap,
        // Read by the routes that accept a body.
        body: RequestBody,
    ) -> Response<Body> {
        match route {
            Route::Health => self.health(),
            Route::Metrics => ok(
                Body::from(self.metrics.render()),
                policy::OPENMETRICS,
                policy::NO_STORE,
            ),
            Route::Time
            | Route::LiveManifest
            | Route::LiveSegment
            | Route::LiveSegmentByTime
            | Route::StaticModeManifest
            | Route::ModeSegment
            | Route::ModeSegmentByTime
            | Route::Patch
            | Route::MpsManifest
            | Route::MpsSegment
            | Route::MpsSegmentByTime
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
                    Route::ModeSegment | Route::ModeSegmentByTime => Target::ModeSegment {
                        mode: p("mode"),
                        stream: p("stream"),
                        rep: p("rep"),
                        file: p("file"),
                        by_time: route == Route::ModeSegmentByTime,
                    },
                    Route::StaticModeManifest => Target::ModeFile {
                        mode: p("mode"),
                        stream: p("stream"),
                        file: p("file"),
                    },
                    Route::Patch => Target::Patch {
                        stream: p("stream"),
                        manifest: p("manifest"),
                        publish: p("publish"),
                    },
                    Route::MpsManifest => Target::MpsManifest {
                        mode: p("mode"),
                        name: p("name"),
                        file: p("file"),
                    },
                    Route::MpsSegment | Route::MpsSegmentByTime => Target::MpsSegment {
                        mode: p("mode"),
                        name: p("name"),
                        period: p("period"),
                        rep: p("rep"),
                        file: p("file"),
                        by_time: route == Route::MpsSegmentByTime,
                    },
                    _ => Target::LegacyManifest {
                        stream: Some(p("stream")).filter(|s| !s.is_empty()),
                        file: p("file"),
                    },
                };
                let url = ctx.url();
                let fault_counts = self.fault_secret.counts_in(headers);
                let request = ResolveRequest {
                    target,
                    query: &ctx.query,
                    now_ms: ctx.now_ms,
                    now_override: ctx.now_override,
                    site_url: Some(&ctx.site_url),
                    url: Some(&url),
                    fault_counts: Some(&fault_counts),
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
            Route::ClearKey => self.clearkey(body).await,
            Route::Validate => {
                let media = crate::admin::store::Group::Media;
                let csrf = self.admin.and_then(|a| {
                    crate::admin::guard::session_csrf_in(a, headers, ctx.now_ms, media)
                });
                crate::validate_page::handle(self.validation, &ctx.query, ctx.now_ms, headers, csrf)
                    .await
            }
            Route::ValidateScript => crate::validate_page::script(),
            // Answered before dispatch, behind their guard (`Route::guard`).
            Route::AdminHome
            | Route::AdminLogin
            | Route::AdminLogout
            | Route::AdminPassword
            | Route::AdminUsers
            | Route::AdminUser
            | Route::AdminStreams
            | Route::AdminStream
            | Route::AdminStreamKeys
            | Route::AdminStreamMedia
            | Route::AdminMediaInfo
            | Route::AdminMediaSegment
            | Route::AdminUploadScript
            | Route::AdminInspect
            | Route::AdminProgrammes
            | Route::AdminProgramme
            | Route::AdminProgrammeScript
            | Route::AdminValidate => not_found("an admin page"),
            #[cfg(test)]
            Route::TestEcho => test_echo(body).await,
            #[cfg(test)]
            Route::TestPanic => panic!("the test route panics"),
        }
    }

    /// The ClearKey licence: the library answers from the tree's keys; a bad
    /// request is a 400 saying why, as JSON (EME clients parse it).
    async fn clearkey(&self, body: RequestBody) -> Response<Body> {
        use dashlive::serve::resolve::TreeView as _;
        let bytes = match body.bytes().await {
            Ok(b) => b,
            Err(e) => return text(e.status(), e.to_string()),
        };
        match dashlive::drm::clearkey::licence(&bytes, |kid| self.tree.content_key(kid)) {
            Ok(json) => ok(Body::from(json), "application/json", policy::NO_STORE),
            Err(e) => {
                let mut r = ok(
                    Body::from(serde_json::json!({ "error": e.to_string() }).to_string()),
                    "application/json",
                    policy::NO_STORE,
                );
                *r.status_mut() = hyper::StatusCode::BAD_REQUEST;
                r
            }
        }
    }

    /// `ok`, or `degraded: <why>` while the origin serves an older tree than
    /// it should (a build or a reload failed). Both 200: the origin answers,
    /// and a load balancer should keep sending it requests.
    fn health(&self) -> Response<Body> {
        let body = match self.trees.degraded() {
            None => "ok\n".to_string(),
            Some(reason) => format!("degraded: {reason}\n"),
        };
        ok(Body::from(body), policy::TEXT_PLAIN, policy::NO_STORE)
    }
}

/// The test route of the contract: an async handler reading its body.
#[cfg(test)]
async fn test_echo(body: RequestBody) -> Response<Body> {
    tokio::task::yield_now().await;
    match body.bytes().await {
        Ok(bytes) => ok(Body::from(bytes), "application/octet-stream", "no-store"),
        Err(e) => text(e.status(), e.to_string()),
    }
}
