//! Login throttling per client behind a reverse proxy, through the origin:
//! `X-Forwarded-For` counts only from a trusted proxy, and only its right
//! end (see `proxies.rs`).

use hyper::{Method, StatusCode};

use super::proxies::TrustedProxies;
use super::store::{Group, ADDRESS_FAILURES};
use super::tests::{site, Browser, Site};

const PROXY: &str = "10.0.0.5:40000";

fn behind_proxy() -> Site {
    let mut site = site();
    site.app.admin.as_mut().unwrap().trusted_proxies = TrustedProxies::parse("10.0.0.5").unwrap();
    site.add("ann", &[Group::User]);
    site
}

/// A client whose connections come from the proxy.
fn via_proxy(site: &Site) -> Browser<'_> {
    let mut b = Browser::new(site);
    b.peer = PROXY.parse().unwrap();
    b
}

/// A login attempt whose request carries `X-Forwarded-For: xff`.
async fn login(b: &mut Browser<'_>, xff: &str, username: &str, password: &str) -> StatusCode {
    let form = b
        .send(
            Method::GET,
            "/admin/login",
            &[],
            &[("x-forwarded-for", xff)],
        )
        .await;
    let csrf = form.csrf_field();
    let fields = [
        ("csrf", csrf.as_str()),
        ("username", username),
        ("password", password),
    ];
    b.send(
        Method::POST,
        "/admin/login",
        &fields,
        &[("x-forwarded-for", xff)],
    )
    .await
    .status
}

/// One client spends its failures (attempt `i` says `xff(i)`).
async fn exhaust(b: &mut Browser<'_>, xff: impl Fn(u32) -> String) {
    for i in 0..ADDRESS_FAILURES {
        let status = login(b, &xff(i), &format!("user{i}"), "some password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{i}");
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_count() {
    let site = behind_proxy();
    let mut attacker = via_proxy(&site);
    exhaust(&mut attacker, |_| "203.0.113.5".into()).await;
    let status = login(&mut attacker, "203.0.113.5", "ann", "password of user").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Another client through the same proxy is not locked out with it.
    let mut other = via_proxy(&site);
    let status = login(&mut other, "198.51.100.7", "ann", "password of user").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let log = site.store().audit_log(100).unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "login.failed" && e.target == "203.0.113.5"));
}

#[tokio::test]
async fn a_client_behind_the_proxy_cannot_spend_another_clients_count() {
    let site = behind_proxy();
    let mut attacker = via_proxy(&site);
    // It sends the victim's address; the proxy appends the attacker's own.
    exhaust(&mut attacker, |_| "198.51.100.7, 203.0.113.5".into()).await;
    let mut victim = via_proxy(&site);
    let status = login(&mut victim, "198.51.100.7", "ann", "password of user").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_direct_client_cannot_escape_its_count_with_the_header() {
    let site = behind_proxy();
    let mut direct = Browser::new(&site);
    direct.peer = "192.0.2.1:40000".parse().unwrap();
    // A new made-up address each time: all counted against 192.0.2.1.
    exhaust(&mut direct, |i| format!("203.0.113.{i}")).await;
    let status = login(&mut direct, "198.51.100.99", "ann", "password of user").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn without_trusted_proxies_the_proxy_is_the_client() {
    // The default: a proxy's clients share its count, whatever it says.
    let site = site();
    site.add("ann", &[Group::User]);
    let mut a = via_proxy(&site);
    exhaust(&mut a, |_| "203.0.113.5".into()).await;
    let mut b = via_proxy(&site);
    let status = login(&mut b, "198.51.100.7", "ann", "password of user").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}
