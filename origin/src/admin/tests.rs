//! The admin side's security suite, through [`App::handle`] as the HTTP
//! layer calls it (no network), at clocks the tests choose.

use std::collections::HashMap;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{HeaderMap, Method, StatusCode};

use super::store::{
    self, Actor, Group, Store, ACCOUNT_FAILURES, ADDRESS_FAILURES, SESSION_IDLE_MS,
};
use super::Admin;
use crate::app::App;
use crate::cors::AllowedDomains;

pub(super) const NOW: i64 = 1_700_000_000_000;
pub(super) const ROOT_PASSWORD: &str = "first password";
pub(super) const EVIL: &str = "<script>alert(1)</script>";

pub(super) struct Site {
    pub(super) _dir: tempfile::TempDir,
    pub(super) app: App,
}

/// An origin with an empty catalog and a fresh store holding `root`
/// (admin, must change the password), as a first start makes it.
pub(super) fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("streams")).unwrap();
    let out = dir.path().join("out");
    dashlive::build::build(&config, Some(&out)).unwrap();
    let mut app = App::new(
        &out,
        AllowedDomains::default_domains(),
        crate::play::Players::none(),
    )
    .unwrap();
    let store = Store::open(&dir.path().join("admin.redb")).unwrap();
    store
        .ensure_admin(NOW, "root", Some(ROOT_PASSWORD))
        .unwrap();
    app.admin = Some(Admin::new(store, Some("test secret")).unwrap());
    Site { _dir: dir, app }
}

impl Site {
    pub(super) fn store(&self) -> &Store {
        &self.app.admin.as_ref().unwrap().store
    }

    pub(super) fn add(&self, name: &str, groups: &[Group]) {
        let by = Actor {
            name: "test",
            now_ms: NOW,
        };
        self.store()
            .add_user(by, name, "", "password of user", groups, false)
            .unwrap();
    }
}

pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: String,
}

impl Answer {
    pub(super) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub(super) fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(String::from)
    }

    pub(super) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The value of the page's hidden `csrf` field.
    pub(super) fn csrf_field(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a csrf field")
            + 19;
        self.body[at..].split('"').next().unwrap().to_string()
    }
}

/// A client that keeps cookies as a browser does, at an address.
pub(super) struct Browser<'a> {
    site: &'a Site,
    pub(super) cookies: HashMap<String, String>,
    pub(super) peer: SocketAddr,
    pub(super) json: bool,
    pub(super) now: i64,
}

impl<'a> Browser<'a> {
    pub(super) fn new(site: &'a Site) -> Browser<'a> {
        Browser {
            site,
            cookies: HashMap::new(),
            peer: "192.0.2.1:40000".parse().unwrap(),
            json: false,
            now: NOW,
        }
    }

    pub(super) fn script(site: &'a Site) -> Browser<'a> {
        Browser {
            json: true,
            ..Browser::new(site)
        }
    }

    pub(super) async fn send(
        &mut self,
        method: Method,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let ctype = (!form.is_empty()).then_some("application/x-www-form-urlencoded");
        self.send_body(method, path, ctype, Bytes::from(body), headers)
            .await
    }

    /// Sends `body` of type `ctype` with the browser's cookies.
    pub(super) async fn send_body(
        &mut self,
        method: Method,
        path: &str,
        ctype: Option<&str>,
        body: Bytes,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "origin.test");
        if let Some(ctype) = ctype {
            req = req.header("content-type", ctype);
        }
        if self.json {
            req = req.header("accept", "application/json");
        }
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header("cookie", c.join("; "));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut req = req.body(http_body_util::Full::new(body)).unwrap();
        req.extensions_mut().insert(crate::server::Peer(self.peer));
        let (_, response) = self.site.app.handle(req, self.now).await;
        let (parts, body) = response.into_parts();
        let a = Answer {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&body.collect().await.unwrap().to_bytes()).into_owned(),
        };
        for v in a.headers.get_all("set-cookie") {
            let c = cookie::Cookie::parse(v.to_str().unwrap().to_string()).unwrap();
            if c.max_age() == Some(cookie::time::Duration::ZERO) {
                self.cookies.remove(c.name());
            } else {
                self.cookies.insert(c.name().into(), c.value().into());
            }
        }
        a
    }

    pub(super) async fn get(&mut self, path: &str) -> Answer {
        self.send(Method::GET, path, &[], &[]).await
    }

    pub(super) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.send(Method::POST, path, form, &[]).await
    }

    /// DELETE with the CSRF token in its header.
    pub(super) async fn delete(&mut self, path: &str, csrf: &str) -> Answer {
        let header = [("x-csrf-token", csrf)];
        self.send(Method::DELETE, path, &[], &header).await
    }

    /// Sets a user's groups with the user page's form.
    pub(super) async fn set_groups(&mut self, name: &str, csrf: &str, groups: &[&str]) -> Answer {
        let mut form = vec![("csrf", csrf), ("action", "groups")];
        form.extend(groups.iter().map(|g| ("groups", *g)));
        self.post(&format!("/admin/users/{name}"), &form).await
    }

    /// Loads the login form and posts it.
    pub(super) async fn login(&mut self, username: &str, password: &str) -> Answer {
        let was = self.json;
        self.json = false;
        let form = self.get("/admin/login").await;
        self.json = was;
        let csrf = form.csrf_field();
        let fields = [
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
        ];
        self.post("/admin/login", &fields).await
    }

    /// The session's CSRF token, from the JSON password page (which a
    /// user who must change the password may see too).
    pub(super) async fn csrf(&mut self) -> String {
        let was = self.json;
        self.json = true;
        let home = self.get("/admin/password").await;
        self.json = was;
        home.json()["csrf"].as_str().unwrap().to_string()
    }

    /// Logs root in and changes the first password.
    pub(super) async fn root(site: &'a Site) -> Browser<'a> {
        let mut b = Browser::new(site);
        b.login("root", ROOT_PASSWORD).await;
        let csrf = b.csrf().await;
        let a = b
            .post(
                "/admin/password",
                &[
                    ("csrf", &csrf),
                    ("current", ROOT_PASSWORD),
                    ("password", "second password"),
                    ("confirm", "second password"),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        b
    }
}

#[tokio::test]
async fn first_login_must_change_the_password_before_anything_else() {
    let site = site();
    let mut b = Browser::new(&site);
    let a = b.login("root", ROOT_PASSWORD).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.header("location"), "/admin/password");
    for path in ["/admin/", "/admin/users"] {
        let a = b.get(path).await;
        assert_eq!(a.header("location"), "/admin/password", "{path}");
    }
    b.json = true;
    let a = b.get("/admin/users").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.json()["error"]
        .as_str()
        .unwrap()
        .contains("change your password first"));
    let csrf = b.csrf().await;
    // The new password must be long enough and confirmed.
    let short = [
        ("csrf", csrf.as_str()),
        ("current", ROOT_PASSWORD),
        ("password", "short"),
    ];
    let a = b.post("/admin/password", &short).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.body.contains("password: 10 to 1024 characters"),
        "{}",
        a.body
    );
    let wrong = [
        ("csrf", csrf.as_str()),
        ("current", "not it at all"),
        ("password", "second password"),
    ];
    assert_eq!(
        b.post("/admin/password", &wrong).await.status,
        StatusCode::FORBIDDEN
    );
    let good = [
        ("csrf", csrf.as_str()),
        ("current", ROOT_PASSWORD),
        ("password", "second password"),
    ];
    assert_eq!(
        b.post("/admin/password", &good).await.status,
        StatusCode::OK
    );
    let a = b.get("/admin/users").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["users"][0]["username"], "root");
    assert_eq!(a.json()["users"][0]["mustChange"], false);
    // The old password no longer logs in; the new one does.
    let mut other = Browser::new(&site);
    assert_eq!(
        other.login("root", ROOT_PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        other
            .login("root", "second password")
            .await
            .header("location"),
        "/admin/"
    );
}

#[tokio::test]
async fn without_a_session_scripts_get_401_and_people_the_login_page() {
    let site = site();
    let mut b = Browser::new(&site);
    for path in [
        "/admin/",
        "/admin/users",
        "/admin/users/root",
        "/admin/password",
    ] {
        let a = b.get(path).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{path}");
        let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
        assert_eq!(a.header("location"), format!("/admin/login?next={next}"));
    }
    let a = b.post("/admin/logout", &[("csrf", "x")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    b.json = true;
    let a = b.get("/admin/users").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.header("www-authenticate").starts_with("Bearer"));
    assert!(a.json()["error"].as_str().unwrap().contains("log in first"));
    // A forged session id is no session.
    b.cookies.insert("dashlive_session".into(), "forged".into());
    assert_eq!(b.get("/admin/").await.status, StatusCode::UNAUTHORIZED);
    // After login, back to where the login page was asked from.
    let mut b = Browser::new(&site);
    site.add("ann", &[Group::User]);
    let form = b.get("/admin/login?next=%2Fadmin%2Fpassword").await;
    let csrf = form.csrf_field();
    assert!(form
        .body
        .contains("name=\"next\" value=\"/admin/password\""));
    let fields = [
        ("csrf", csrf.as_str()),
        ("username", "ann"),
        ("password", "password of user"),
        ("next", "/admin/password"),
    ];
    // A failed attempt keeps where to go in the form shown again.
    let wrong = [
        fields[0],
        fields[1],
        ("password", "not the password"),
        fields[3],
    ];
    let again = b.post("/admin/login", &wrong).await;
    assert!(again
        .body
        .contains("name=\"next\" value=\"/admin/password\""));
    let fields = [
        ("csrf", again.csrf_field()),
        ("username", "ann".into()),
        ("password", "password of user".into()),
        ("next", "/admin/password".into()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        b.post("/admin/login", &fields).await.header("location"),
        "/admin/password"
    );
}

#[tokio::test]
async fn state_changes_need_the_sessions_csrf_token() {
    let site = site();
    let mut b = Browser::root(&site).await;
    let csrf = b.csrf().await;
    let add = |csrf: &str| -> Vec<(String, String)> {
        let mut f = vec![("csrf", csrf)];
        f.extend([
            ("username", "mallory"),
            ("password", "password of mallory"),
            ("groups", "admin"),
        ]);
        f.retain(|(_, v)| !v.is_empty());
        f.into_iter().map(|(k, v)| (k.into(), v.into())).collect()
    };
    async fn send(b: &mut Browser<'_>, fields: Vec<(String, String)>) -> Answer {
        let f: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        b.post("/admin/users", &f).await
    }
    // Missing.
    let a = send(&mut b, add("")).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body.contains("CSRF token is missing"), "{}", a.body);
    // Forged.
    let a = send(&mut b, add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        a.body.contains("does not belong to this session"),
        "{}",
        a.body
    );
    // Replayed: the token of a session that ended, in the session after it.
    b.post("/admin/logout", &[("csrf", &csrf)]).await;
    b.login("root", "second password").await;
    let a = send(&mut b, add(&csrf)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // Another user's token, in a header.
    site.add("ann", &[Group::User]);
    let mut ann = Browser::new(&site);
    ann.login("ann", "password of user").await;
    let anns = ann.csrf().await;
    let a = b.delete("/admin/users/ann", &anns).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(site.store().user("mallory").unwrap().is_none());
    assert!(site.store().user("ann").unwrap().is_some());
    // The session's own token, in the form or the header: done.
    let fresh = b.csrf().await;
    assert_eq!(send(&mut b, add(&fresh)).await.status, StatusCode::CREATED);
    let a = b.delete("/admin/users/ann", &fresh).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(site.store().user("ann").unwrap().is_none());
}

#[tokio::test]
async fn the_login_form_has_its_own_signed_token() {
    let site = site();
    let mut b = Browser::new(&site);
    let creds = [("username", "root"), ("password", ROOT_PASSWORD)];
    // No token, or no cookie: refused before the password is looked at.
    let a = b.post("/admin/login", &creds).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let token = b.get("/admin/login").await.csrf_field();
    let with = |t: &str| -> Vec<(String, String)> {
        [
            ("csrf", t),
            ("username", "root"),
            ("password", ROOT_PASSWORD),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .to_vec()
    };
    async fn login(b: &mut Browser<'_>, fields: Vec<(String, String)>) -> StatusCode {
        let f: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        b.post("/admin/login", &f).await.status
    }
    let mut other = Browser::new(&site);
    assert_eq!(
        login(&mut other, with(&token)).await,
        StatusCode::FORBIDDEN,
        "no nonce cookie"
    );
    // Another form's token does not fit this browser's nonce.
    let theirs = other.get("/admin/login").await.csrf_field();
    assert_eq!(login(&mut b, with(&theirs)).await, StatusCode::FORBIDDEN);
    assert_eq!(login(&mut b, with(&token)).await, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_user_outside_the_group_gets_403_on_every_method() {
    let site = site();
    site.add("ann", &[Group::Media, Group::User]);
    let mut b = Browser::new(&site);
    b.login("ann", "password of user").await;
    let csrf = b.csrf().await;
    assert_eq!(b.get("/admin/").await.status, StatusCode::OK);
    let a = b.get("/admin/users").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body.contains("for the admin group"), "{}", a.body);
    assert_eq!(
        b.get("/admin/users/root").await.status,
        StatusCode::FORBIDDEN
    );
    let add = [
        ("csrf", csrf.as_str()),
        ("username", "x"),
        ("groups", "admin"),
    ];
    assert_eq!(
        b.post("/admin/users", &add).await.status,
        StatusCode::FORBIDDEN
    );
    let promote = b.set_groups("ann", &csrf, &["admin"]).await;
    assert_eq!(promote.status, StatusCode::FORBIDDEN);
    let del = b.delete("/admin/users/root", &csrf).await;
    assert_eq!(del.status, StatusCode::FORBIDDEN);
    assert!(!site.store().user("ann").unwrap().unwrap().has(Group::Admin));
    assert!(site.store().user("root").unwrap().is_some());
}

#[tokio::test]
async fn login_gives_a_new_session_id_whatever_the_client_had() {
    let site = site();
    site.add("ann", &[Group::User]);
    let mut b = Browser::new(&site);
    // An id planted before login (session fixation) is not adopted.
    b.cookies
        .insert("dashlive_session".into(), "planted-by-attacker".into());
    let a = b.login("ann", "password of user").await;
    let cookie = a.set_cookie("dashlive_session").unwrap();
    assert!(!cookie.contains("planted"), "{cookie}");
    let first = b.cookies["dashlive_session"].clone();
    assert_eq!(first.len(), 43, "256 bits, base64url");
    // A second login from the same browser: a new id, the old one ended.
    b.login("ann", "password of user").await;
    let second = b.cookies["dashlive_session"].clone();
    assert_ne!(first, second);
    let mut stale = Browser::script(&site);
    stale.cookies.insert("dashlive_session".into(), first);
    assert_eq!(stale.get("/admin/").await.status, StatusCode::UNAUTHORIZED);
    // Logging out ends the session on the server, not only the cookie.
    let csrf = b.csrf().await;
    b.post("/admin/logout", &[("csrf", &csrf)]).await;
    let mut replay = Browser::script(&site);
    replay.cookies.insert("dashlive_session".into(), second);
    assert_eq!(replay.get("/admin/").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cookies_are_httponly_strict_and_secure_behind_https() {
    let site = site();
    site.add("ann", &[Group::User]);
    let mut b = Browser::new(&site);
    let a = b.login("ann", "password of user").await;
    let c = a.set_cookie("dashlive_session").unwrap();
    assert!(
        c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/"),
        "{c}"
    );
    assert!(!c.contains("Secure"), "{c}");
    let mut b = Browser::new(&site);
    let form = b
        .send(
            Method::GET,
            "/admin/login",
            &[],
            &[("x-forwarded-proto", "https")],
        )
        .await;
    assert!(form
        .set_cookie("dashlive_login")
        .unwrap()
        .contains("Secure"));
    let csrf = form.csrf_field();
    let f = [
        ("csrf", csrf.as_str()),
        ("username", "ann"),
        ("password", "password of user"),
    ];
    let a = b
        .send(
            Method::POST,
            "/admin/login",
            &f,
            &[("x-forwarded-proto", "https")],
        )
        .await;
    let c = a.set_cookie("dashlive_session").unwrap();
    assert!(c.contains("Secure") && c.contains("HttpOnly"), "{c}");
    // No other site's script may read admin answers (no CORS), nor frame them.
    let a = b
        .send(
            Method::GET,
            "/admin/",
            &[],
            &[("origin", "https://reference.dashif.org")],
        )
        .await;
    assert!(a.headers.get("access-control-allow-origin").is_none());
    assert_eq!(a.header("x-frame-options"), "DENY");
    assert_eq!(a.header("cache-control"), "no-store");
    assert!(a
        .header("content-security-policy")
        .contains("frame-ancestors 'none'"));
}

#[tokio::test]
async fn a_session_expires_when_idle_and_at_its_age_limit() {
    let site = site();
    site.add("ann", &[Group::User]);
    let mut b = Browser::script(&site);
    b.login("ann", "password of user").await;
    b.now = NOW + SESSION_IDLE_MS - 1;
    assert_eq!(b.get("/admin/").await.status, StatusCode::OK);
    // Idle for longer than allowed since that request.
    b.now += SESSION_IDLE_MS + 1;
    assert_eq!(b.get("/admin/").await.status, StatusCode::UNAUTHORIZED);
    // Active all along, but past the absolute limit.
    let mut b = Browser::script(&site);
    b.login("ann", "password of user").await;
    for _ in 0..12 {
        b.now += SESSION_IDLE_MS - 1;
        assert_eq!(b.get("/admin/").await.status, StatusCode::OK);
    }
    b.now += SESSION_IDLE_MS - 1;
    assert_eq!(b.get("/admin/").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn brute_force_is_throttled_per_account_and_per_address() {
    let site = site();
    site.add("ann", &[Group::User]);
    let mut b = Browser::new(&site);
    for i in 0..ACCOUNT_FAILURES {
        let a = b.login("ann", &format!("guess number {i}")).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{i}");
        assert!(a.body.contains("wrong user name or password"));
    }
    // Locked: even the right password waits, from any address.
    b.peer = "198.51.100.9:1".parse().unwrap();
    let a = b.login("ann", "password of user").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.header("retry-after"), "60");
    b.now += 60_000;
    assert_eq!(
        b.login("ann", "password of user").await.status,
        StatusCode::SEE_OTHER
    );
    // One address trying many names is stopped on its own count, unknown
    // names included; other addresses are not.
    let mut m = Browser::new(&site);
    m.peer = "203.0.113.5:1".parse().unwrap();
    for i in 0..ADDRESS_FAILURES {
        let a = m.login(&format!("user{i}"), "some password").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{i}");
    }
    assert_eq!(
        m.login("ann", "password of user").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut ok = Browser::new(&site);
    assert_eq!(
        ok.login("ann", "password of user").await.status,
        StatusCode::SEE_OTHER
    );
    // The failures are in the audit log, with no password.
    let log = site.store().audit_log(100).unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "login.failed" && e.target == "203.0.113.5"));
    assert!(!format!("{log:?}").contains("some password"));
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_with_413_and_nothing_changes() {
    let site = site();
    let mut b = Browser::root(&site).await;
    let csrf = b.csrf().await;
    let big = "x".repeat(crate::routes::ADMIN_FORM_LIMIT as usize);
    let f = [
        ("csrf", csrf.as_str()),
        ("username", "big"),
        ("email", big.as_str()),
    ];
    let a = b.post("/admin/users", &f).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
    // Also when the length is not declared but found while reading.
    let body = format!("csrf={csrf}&username=big&email={big}");
    let stream =
        http_body_util::StreamBody::new(futures_util::stream::iter(vec![Ok::<_, std::io::Error>(
            hyper::body::Frame::data(Bytes::from(body)),
        )]));
    let cookie = format!("dashlive_session={}", b.cookies["dashlive_session"]);
    let req = hyper::Request::post("/admin/users")
        .header("host", "origin.test")
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(stream)
        .unwrap();
    let (_, r) = site.app.handle(req, NOW).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(site.store().user("big").unwrap().is_none());
}

#[tokio::test]
async fn script_typed_into_any_field_is_shown_inert() {
    let site = site();
    let mut b = Browser::root(&site).await;
    let csrf = b.csrf().await;
    let email = format!("{EVIL}@example.com");
    let f = [
        ("csrf", csrf.as_str()),
        ("username", "eve"),
        ("email", email.as_str()),
        ("password", "password of eve"),
    ];
    assert_eq!(b.post("/admin/users", &f).await.status, StatusCode::CREATED);
    let mut pages = vec![b.get("/admin/users").await, b.get("/admin/users/eve").await];
    // Refused names and values are repeated escaped too.
    let f = [("csrf", csrf.as_str()), ("username", EVIL)];
    pages.push(b.post("/admin/users", &f).await);
    let f = [
        ("csrf", csrf.as_str()),
        ("username", "x1"),
        ("groups", EVIL),
    ];
    pages.push(b.post("/admin/users", &f).await);
    let f = [("csrf", csrf.as_str()), ("action", EVIL)];
    pages.push(b.post("/admin/users/eve", &f).await);
    pages.push(
        b.get(&format!(
            "/admin/login?next={}",
            form_urlencoded::byte_serialize(EVIL.as_bytes()).collect::<String>()
        ))
        .await,
    );
    let mut anon = Browser::new(&site);
    pages.push(anon.login(EVIL, "whatever it is").await);
    for (i, p) in pages.iter().enumerate() {
        assert!(!p.body.contains("<script"), "page {i}: {}", p.body);
    }
    assert!(pages[0].body.contains("&#60;script&#62;") || pages[0].body.contains("&lt;script&gt;"));
    assert_eq!(pages[2].status, StatusCode::BAD_REQUEST);
    assert!(pages[2].body.contains("username:"), "{}", pages[2].body);
    // JSON carries the text as data, and never a password hash.
    b.json = true;
    let a = b.get("/admin/users/eve").await;
    assert_eq!(a.json()["user"]["email"], email.as_str());
    assert!(!a.body.contains("argon2"), "{}", a.body);
}

#[tokio::test]
async fn admins_add_regroup_reset_and_delete_but_never_themselves() {
    let site = site();
    let mut b = Browser::root(&site).await;
    b.json = true;
    let csrf = b.csrf().await;
    let f = [
        ("csrf", csrf.as_str()),
        ("username", "ann"),
        ("groups", "media"),
        ("groups", "user"),
    ];
    let a = b.post("/admin/users", &f).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let made = a.json()["password"].as_str().unwrap().to_string();
    assert_eq!(
        a.json()["user"]["groups"],
        serde_json::json!(["media", "user"])
    );
    assert_eq!(
        b.post("/admin/users", &f).await.status,
        StatusCode::CONFLICT
    );
    let mut ann = Browser::new(&site);
    assert_eq!(
        ann.login("ann", &made).await.header("location"),
        "/admin/password"
    );
    let a = b.set_groups("ann", &csrf, &["user"]).await;
    assert_eq!(a.json()["user"]["groups"], serde_json::json!(["user"]));
    let f = [("csrf", csrf.as_str()), ("action", "reset")];
    let a = b.post("/admin/users/ann", &f).await;
    let reset = a.json()["password"].as_str().unwrap().to_string();
    assert_ne!(reset, made);
    // The reset ended ann's session.
    ann.json = true;
    assert_eq!(ann.get("/admin/").await.status, StatusCode::UNAUTHORIZED);
    // Nobody deletes themselves, nor drops their own admin group.
    let del = b.delete("/admin/users/root", &csrf).await;
    assert_eq!(del.status, StatusCode::FORBIDDEN);
    assert!(del.json()["error"]
        .as_str()
        .unwrap()
        .contains("nobody deletes themselves"));
    let demote = b.set_groups("root", &csrf, &["media"]).await;
    assert_eq!(demote.status, StatusCode::FORBIDDEN);
    let del = b.delete("/admin/users/ann", &csrf).await;
    assert_eq!(del.status, StatusCode::OK);
    assert_eq!(
        b.get("/admin/users/ann").await.status,
        StatusCode::NOT_FOUND
    );
    let log = site.store().audit_log(50).unwrap();
    for action in ["user.add", "user.groups", "user.reset", "user.delete"] {
        assert!(
            log.iter()
                .any(|e| e.action == action && e.actor == "root" && e.target == "ann"),
            "{action}"
        );
    }
}

#[tokio::test]
async fn api_tokens_stand_for_their_user_without_csrf_until_revoked() {
    let site = site();
    site.add("ann", &[Group::Media]);
    let by = Actor {
        name: "test",
        now_ms: NOW,
    };
    let (secret, token) = site.store().add_token(by, "ann", "ci", 1).unwrap();
    let mut s = Browser::new(&site);
    let bearer = format!("Bearer {secret}");
    let a = s
        .send(Method::GET, "/admin/", &[], &[("authorization", &bearer)])
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["user"]["username"], "ann");
    // No CSRF for a bearer token; but the groups still count.
    let f = [
        ("current", "password of user"),
        ("password", "a new password"),
    ];
    let a = s
        .send(
            Method::POST,
            "/admin/password",
            &f,
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = s
        .send(
            Method::GET,
            "/admin/users",
            &[],
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let wrong = s
        .send(
            Method::GET,
            "/admin/",
            &[],
            &[("authorization", "Bearer dlt_nope")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    s.now = NOW + 86_400_000;
    let expired = s
        .send(Method::GET, "/admin/", &[], &[("authorization", &bearer)])
        .await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    s.now = NOW;
    site.store().revoke_token(by, &token.id).unwrap();
    let revoked = s
        .send(Method::GET, "/admin/", &[], &[("authorization", &bearer)])
        .await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_origin_without_a_store_says_the_admin_side_is_off() {
    let mut site = site();
    site.app.admin = None;
    let mut b = Browser::new(&site);
    for path in ["/admin/", "/admin/login", "/admin/users"] {
        let a = b.get(path).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert!(a.body.contains("the admin side is off"), "{}", a.body);
    }
    // And a made-up password is printed only by the first start.
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("s.redb")).unwrap();
    let p = s.ensure_admin(NOW, "admin", None).unwrap().unwrap();
    assert!(store::verify_password(
        &p,
        &s.user("admin").unwrap().unwrap().hash
    ));
}
