//! The one security mechanism of the admin side. Every admin route says in
//! the route table who may use it ([`crate::routes::Route::guard`]); this
//! enforces it before any handler runs, so a handler receives a caller
//! already authenticated, in the right group and past the CSRF check, and
//! checks none of it again.
//!
//! - Who: a session cookie (`HttpOnly`, `SameSite=Strict`, `Secure` over
//!   https), or an API token (`Authorization: Bearer`) for scripts.
//! - CSRF, on every request that is not GET or HEAD: with a session, the
//!   session's synchronizer token (form field `csrf` or header
//!   `X-CSRF-Token`), compared in constant time; a bearer token needs none
//!   (a browser never sends it by itself). Before login (the login form),
//!   a signed double-submit token: a random nonce in a cookie and its
//!   HMAC-SHA256 in the form.
//! - Refusals: no session → 401 (JSON) or a redirect to the login page
//!   (HTML); wrong group → 403; a password to change first → 403 (JSON) or
//!   a redirect to the password page.

use std::net::IpAddr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, COOKIE};
use hyper::{HeaderMap, Method, Response, StatusCode};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::store::{secret_key, Store, StoreError, User};
use super::{refuse, see_other};
use crate::body::{Body, RequestBody};
use crate::routes::{Guard, Who};

pub const SESSION_COOKIE: &str = "dashlive_session";
/// The login form's nonce (signed double-submit).
pub const LOGIN_COOKIE: &str = "dashlive_login";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form or JSON field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// The admin side: the store, and the key that signs login-form tokens.
pub struct Admin {
    pub store: Store,
    login_key: [u8; 32],
    /// The catalog the stream pages edit; `None`: the origin serves a
    /// tree it did not build (`--no-build`), so there is none to edit.
    pub catalog: Option<super::catalog::Catalog>,
    /// Whose `X-Forwarded-For` names the client for login throttling.
    pub trusted_proxies: super::proxies::TrustedProxies,
}

impl Admin {
    /// `secret`: the settings' CSRF secret; without one a random key,
    /// which only means a login form open across a restart must be
    /// loaded again.
    pub fn new(store: Store, secret: Option<&str>) -> Result<Admin, StoreError> {
        let login_key = match secret {
            Some(s) => Sha256::digest(format!("dashlive login csrf\0{s}")).into(),
            None => secret_key(&super::store::random_secret()?),
        };
        Ok(Admin {
            store,
            login_key,
            catalog: None,
            trusted_proxies: Default::default(),
        })
    }

    fn mac(&self, nonce: &str) -> Hmac<Sha256> {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.login_key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(b"login\0");
        mac.update(nonce.as_bytes());
        mac
    }

    /// The login form's token for the nonce in its cookie.
    pub fn login_token(&self, nonce: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(nonce).finalize().into_bytes())
    }

    fn login_token_ok(&self, nonce: &str, token: &str) -> bool {
        match URL_SAFE_NO_PAD.decode(token) {
            // `verify_slice` compares in constant time.
            Ok(tag) => !nonce.is_empty() && self.mac(nonce).verify_slice(&tag).is_ok(),
            Err(_) => false,
        }
    }
}

/// The request as the admin side sees it.
pub struct Req<'a> {
    pub method: &'a Method,
    pub headers: &'a HeaderMap,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub now_ms: i64,
    /// The client, for throttling: the peer address, or the one a trusted
    /// proxy names (IPv6 by its /64).
    pub client: String,
    /// Over https (or behind a proxy saying so): cookies get `Secure`.
    pub https: bool,
    /// The client wants JSON (`Accept: application/json`, or a bearer token).
    pub json: bool,
}

impl<'a> Req<'a> {
    pub fn new(
        parts: &'a hyper::http::request::Parts,
        now_ms: i64,
        https: bool,
        proxies: &super::proxies::TrustedProxies,
    ) -> Req<'a> {
        let headers = &parts.headers;
        let json = headers
            .get_all(ACCEPT)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.contains("application/json")))
            || headers.contains_key(AUTHORIZATION);
        Req {
            method: &parts.method,
            headers,
            path: parts.uri.path(),
            query: parts.uri.query(),
            now_ms,
            client: client_key(
                proxies.client(
                    parts
                        .extensions
                        .get::<crate::server::Peer>()
                        .map(|p| p.0.ip()),
                    headers,
                ),
            ),
            https,
            json,
        }
    }

    /// A cookie's value (the first of that name).
    pub fn cookie(&self, name: &str) -> Option<String> {
        cookie_in(self.headers, name)
    }

    /// Whether the request may change state (CSRF applies).
    pub fn changes_state(&self) -> bool {
        !matches!(*self.method, Method::GET | Method::HEAD)
    }
}

/// A cookie's value (the first of that name) in request headers.
fn cookie_in(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// The CSRF token of the session in `headers` when its user is in `group`
/// (and need not change their password first): a public page shows the
/// form of an admin route with it. Showing decides nothing: the route's
/// own guard checks the request that form sends.
pub fn session_csrf_in(
    admin: &Admin,
    headers: &HeaderMap,
    now_ms: i64,
    group: super::store::Group,
) -> Option<String> {
    let id = cookie_in(headers, SESSION_COOKIE)?;
    let (session, user) = admin.store.session(&id, now_ms).ok()??;
    (user.has(group) && !user.must_change).then_some(session.csrf)
}

/// The throttling key of a client: its address, an IPv6 one by its /64
/// (one host usually holds a whole /64).
fn client_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map_or_else(String::new, |v4| v4.to_string()),
        Some(ip) => ip.to_string(),
        None => "unknown".into(),
    }
}

/// A signed-in caller.
pub struct Authed {
    pub user: User,
    pub via: Via,
}

pub enum Via {
    /// The session id (the cookie's value) and its CSRF token.
    Session {
        id: String,
        csrf: String,
    },
    Token,
}

impl Authed {
    /// The CSRF token forms must carry (none for a token: not needed).
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::Token => "",
        }
    }

    pub fn session_id(&self) -> Option<&str> {
        match &self.via {
            Via::Session { id, .. } => Some(id),
            Via::Token => None,
        }
    }
}

/// The fields of a form or a JSON object (a JSON list is one field per
/// item; `true` is `1`).
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every (name, value), in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    fn from_json(bytes: &[u8]) -> Result<Fields, String> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("the JSON body: {e}"))?;
        let serde_json::Value::Object(map) = value else {
            return Err("the JSON body must be an object".into());
        };
        let mut out = Vec::new();
        for (k, v) in map {
            let mut push = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => {
                    out.push((k.clone(), s.clone()));
                    Ok(())
                }
                serde_json::Value::Bool(b) => {
                    out.push((k.clone(), if *b { "1" } else { "0" }.into()));
                    Ok(())
                }
                serde_json::Value::Null => Ok(()),
                _ => Err(format!("{k}: a string, a boolean or a list of strings")),
            };
            match &v {
                serde_json::Value::Array(items) => items.iter().try_for_each(&mut push)?,
                v => push(v)?,
            }
        }
        Ok(Fields(out))
    }
}

/// What a handler gets of the body: the fields of a form or a JSON object
/// (read here, within the route's limit), or the body unread for other
/// types (an upload, whose CSRF token must then come in the header).
pub enum Input {
    Fields(Fields),
    Raw(RequestBody),
}

impl Input {
    pub fn fields(&self) -> &Fields {
        static NONE: Fields = Fields(Vec::new());
        match self {
            Input::Fields(f) => f,
            Input::Raw(_) => &NONE,
        }
    }
}

/// A refusal: the response to send instead of the handler's (boxed, as
/// an error should be small).
pub type Refusal = Box<Response<Body>>;

/// Checks a request against its route's guard. `Ok`: the caller (always
/// `Some` unless the route admits anyone) and the input; `Err`: the
/// refusal to send.
pub async fn admit(
    admin: &Admin,
    guard: Guard,
    req: &Req<'_>,
    body: RequestBody,
) -> Result<(Option<Authed>, Input), Refusal> {
    let caller = authenticate(&admin.store, req)?;
    match (guard.who, &caller) {
        (Who::Anyone, _) => {}
        (_, None) => return Err(Box::new(unauthenticated(req))),
        (Who::Group(g), Some(a)) if !a.user.has(g) => {
            return Err(Box::new(refuse(
                req,
                StatusCode::FORBIDDEN,
                &format!("this page is for the {} group", g.name()),
            )))
        }
        _ => {}
    }
    if let (Some(g), Some(a)) = (guard.changes, &caller) {
        if req.changes_state() && !a.user.has(g) {
            return Err(Box::new(refuse(
                req,
                StatusCode::FORBIDDEN,
                &format!("changes here are for the {} group", g.name()),
            )));
        }
    }
    if let Some(a) = &caller {
        if a.user.must_change && !guard.before_password_change && guard.who != Who::Anyone {
            return Err(Box::new(if req.json {
                refuse(
                    req,
                    StatusCode::FORBIDDEN,
                    "change your password first (POST /admin/password)",
                )
            } else {
                see_other("/admin/password")
            }));
        }
    }
    let input = read_input(req, body).await?;
    if req.changes_state() {
        let given = req
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .or_else(|| input.fields().get(CSRF_FIELD))
            .unwrap_or("");
        let ok = csrf_ok(admin, guard.who, caller.as_ref(), req, given);
        if !ok {
            let why = if given.is_empty() {
                "the CSRF token is missing (form field csrf or header X-CSRF-Token): load the page again"
            } else {
                "the CSRF token does not belong to this session: load the page again"
            };
            return Err(Box::new(refuse(req, StatusCode::FORBIDDEN, why)));
        }
    }
    Ok((caller, input))
}

/// Whether `given` is the CSRF token the request needs: the login form's
/// signed token on a route open to anyone, the session's own token with a
/// session; none with a bearer token.
fn csrf_ok(admin: &Admin, who: Who, caller: Option<&Authed>, req: &Req, given: &str) -> bool {
    match (who, caller.map(|c| &c.via)) {
        (Who::Anyone, _) => {
            let nonce = req.cookie(LOGIN_COOKIE).unwrap_or_default();
            admin.login_token_ok(&nonce, given)
        }
        (_, Some(Via::Session { csrf, .. })) => {
            !given.is_empty() && bool::from(given.as_bytes().ct_eq(csrf.as_bytes()))
        }
        (_, Some(Via::Token)) => true,
        (_, None) => false,
    }
}

/// The caller: a bearer token (an invalid one is refused, never taken as
/// no one), else the session cookie, else no one.
fn authenticate(store: &Store, req: &Req) -> Result<Option<Authed>, Refusal> {
    let failed = |e: StoreError| {
        tracing::error!("admin store: {e}");
        refuse(
            req,
            StatusCode::SERVICE_UNAVAILABLE,
            "the admin store failed (logged by the origin)",
        )
    };
    if let Some(auth) = req.headers.get(AUTHORIZATION) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or("");
        return match store.token_user(token, req.now_ms).map_err(failed)? {
            Some(user) => Ok(Some(Authed {
                user,
                via: Via::Token,
            })),
            None => Err(Box::new(refuse(
                req,
                StatusCode::UNAUTHORIZED,
                "the API token is unknown, revoked or expired",
            ))),
        };
    }
    let Some(id) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(store
        .session(&id, req.now_ms)
        .map_err(failed)?
        .map(|(session, user)| Authed {
            user,
            via: Via::Session {
                id,
                csrf: session.csrf,
            },
        }))
}

/// No one signed in: 401 for scripts, the login page for people.
fn unauthenticated(req: &Req) -> Response<Body> {
    if req.json {
        let mut r = refuse(
            req,
            StatusCode::UNAUTHORIZED,
            "log in first (POST /admin/login)",
        );
        r.headers_mut().insert(
            hyper::header::WWW_AUTHENTICATE,
            hyper::header::HeaderValue::from_static("Bearer realm=\"dashlive admin\""),
        );
        r
    } else {
        let next: String = form_urlencoded::byte_serialize(req.path.as_bytes()).collect();
        see_other(&format!("/admin/login?next={next}"))
    }
}

async fn read_input(req: &Req<'_>, body: RequestBody) -> Result<Input, Refusal> {
    if !req.changes_state() {
        return Ok(Input::Fields(Fields::default()));
    }
    let ctype = req
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let form = ctype == "application/x-www-form-urlencoded";
    let json = ctype == "application/json";
    if !form && !json && !ctype.is_empty() {
        return Ok(Input::Raw(body));
    }
    let bytes = body
        .bytes()
        .await
        .map_err(|e| Box::new(refuse(req, e.status(), &e.to_string())))?;
    if json {
        Fields::from_json(&bytes)
            .map(Input::Fields)
            .map_err(|e| Box::new(refuse(req, StatusCode::BAD_REQUEST, &e)))
    } else {
        Ok(Input::Fields(Fields(
            form_urlencoded::parse(&bytes).into_owned().collect(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_counted_by_address_and_ipv6_by_its_64() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(client_key(ip("192.0.2.7")), "192.0.2.7");
        assert_eq!(client_key(ip("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
        assert_eq!(client_key(ip("2001:db8:1:2:ffff::1")), "2001:db8:1:2::/64");
        assert_eq!(client_key(ip("::ffff:192.0.2.7")), "192.0.2.7");
        assert_eq!(client_key(None), "unknown");
    }

    #[test]
    fn json_bodies_become_fields_and_other_shapes_are_refused() {
        let f = Fields::from_json(br#"{"a":"x","g":["admin","media"],"b":true,"n":null}"#).unwrap();
        assert_eq!(f.get("a"), Some("x"));
        assert_eq!(f.all("g").collect::<Vec<_>>(), ["admin", "media"]);
        assert_eq!(f.get("b"), Some("1"));
        assert_eq!(f.get("n"), None);
        assert!(Fields::from_json(b"[1]").is_err());
        assert!(Fields::from_json(br#"{"a":{"b":1}}"#)
            .unwrap_err()
            .starts_with("a:"));
    }

    #[test]
    fn a_login_token_is_valid_only_for_its_nonce_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        let admin = Admin::new(store, Some("secret")).unwrap();
        let t = admin.login_token("nonce1");
        assert!(admin.login_token_ok("nonce1", &t));
        assert!(!admin.login_token_ok("nonce2", &t));
        assert!(!admin.login_token_ok("", &admin.login_token("")));
        assert!(!admin.login_token_ok("nonce1", "not base64 !"));
    }
}
