//! The admin side: users, sessions and the pages that manage them. Only
//! the origin that has a store (setting `DASHLIVE_STORE`) serves it; live
//! origins stay stateless and answer its routes 404.
//!
//! The store is a module of the origin, not of the library: only the
//! origin (and its `user`/`token`/`store` subcommands, which open the same
//! file while it is stopped) reads it; the upload and download CLIs talk to
//! a running origin over HTTP with an API token.
//!
//! Adding an admin page is a row in the route table (`routes.rs`: its
//! pattern, its methods and body limit in `Route::accepts`, who may use it
//! in `Route::guard`) and an arm in [`handlers::handle`], whose handler
//! receives the caller already checked by [`guard::admit`].

pub mod catalog;
pub mod cli;
pub mod guard;
pub mod handlers;
mod programmes;
pub mod proxies;
pub mod store;
mod streams;
mod upload;
mod validate_add;
#[cfg(test)]
mod validate_add_tests;

#[cfg(test)]
mod cli_tests;
#[cfg(test)]
mod programmes_tests;
#[cfg(test)]
mod proxies_tests;
#[cfg(test)]
mod streams_tests;
#[cfg(test)]
mod tests;

use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};

pub use guard::Admin;
use guard::Req;

use crate::body::{Body, RequestBody};
use crate::routes::{Guard, Matched};

/// Admin pages are never cached, never framed, run no script and send no
/// referrer outside the site.
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("cache-control", "no-store"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
];

/// Answers a request for an admin route: 404 when this origin has no
/// store; else the guard, then the route's handler.
#[allow(clippy::too_many_arguments)]
pub async fn serve(
    admin: Option<&Admin>,
    trees: &crate::trees::Trees,
    validation: &crate::validate_page::Validation,
    guard: Guard,
    matched: &Matched<'_, '_>,
    parts: &Parts,
    body: RequestBody,
    now_ms: i64,
    https: bool,
) -> Response<Body> {
    let no_proxies = proxies::TrustedProxies::default();
    let trusted = admin.map_or(&no_proxies, |a| &a.trusted_proxies);
    let req = Req::new(parts, now_ms, https, trusted);
    let mut response = match admin {
        None => refuse(
            &req,
            StatusCode::NOT_FOUND,
            "the admin side is off on this origin: it has no store (set DASHLIVE_STORE)",
        ),
        Some(admin) => match guard::admit(admin, guard, &req, body).await {
            Err(refusal) => *refusal,
            Ok((caller, input)) => match (matched.route, caller) {
                (crate::routes::Route::AdminValidate, Some(me)) => {
                    validate_add::add(admin, trees, validation, &req, &me, input.fields()).await
                }
                (_, caller) => handlers::handle(admin, trees, matched, &req, caller, input).await,
            },
        },
    };
    for (name, value) in SECURITY_HEADERS {
        // A page that runs its own script sets a CSP allowing it.
        if !response.headers().contains_key(name) {
            response
                .headers_mut()
                .insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// A JSON answer.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut r = crate::respond::ok(
        Body::from(value.to_string()),
        "application/json",
        "no-store",
    );
    *r.status_mut() = status;
    r
}

/// An HTML page.
pub fn html(
    status: StatusCode,
    page: Result<String, dashlive::pages::PageError>,
) -> Response<Body> {
    match page {
        Ok(page) => {
            let mut r =
                crate::respond::ok(Body::from(page), "text/html; charset=utf-8", "no-store");
            *r.status_mut() = status;
            r
        }
        Err(e) => {
            tracing::error!("admin page: {e}");
            crate::respond::text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page failed to render (logged)",
            )
        }
    }
}

/// A refusal in the client's language: `{"error": …}` or a page saying it.
pub fn refuse(req: &Req, status: StatusCode, message: &str) -> Response<Body> {
    let mut r = if req.json {
        json(status, &serde_json::json!({ "error": message }))
    } else {
        let title = status.canonical_reason().unwrap_or("Refused");
        html(
            status,
            dashlive::pages::admin::message(dashlive::pages::admin::Frame {
                title,
                nav: None,
                error: Some(message),
                notice: None,
            }),
        )
    };
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// 303 to a path of this site.
pub fn see_other(location: &str) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(LOCATION, v);
    }
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r
}
