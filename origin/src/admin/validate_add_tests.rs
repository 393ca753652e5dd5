//! "Add this stream to the server" (`POST /admin/validate`) through
//! [`crate::app::App::handle`]: a media-group user saves a manifest the
//! fixture origin serves, which the catalog then lists and the origin
//! serves; the guard refuses everyone else, and bad names store nothing.

use hyper::StatusCode;

use super::catalog::Catalog;
use super::store::Group;
use super::tests::{site, Browser, Site};
use crate::validate_page_tests::{origin, validation, BROKEN};
use crate::validate_tests::HOST;

/// The admin test site with an editable catalog, its validator asking the
/// fixture origin in process.
fn catalog_site() -> Site {
    let mut s = site();
    let root = s._dir.path().to_path_buf();
    let catalog = Catalog::new(&root.join("config"), Some(&root.join("out")), 64 << 20);
    s.app.admin.as_mut().unwrap().catalog = Some(catalog);
    s.app.validation = validation(origin(), 2);
    s
}

fn vod_url() -> String {
    format!("{HOST}/dash/vod/card/hand_made.mpd")
}

/// A user in `groups`, logged in (JSON unless `page`), and their CSRF token.
async fn user<'a>(
    site: &'a Site,
    name: &str,
    groups: &[Group],
    page: bool,
) -> (Browser<'a>, String) {
    site.add(name, groups);
    let mut b = if page {
        Browser::new(site)
    } else {
        Browser::script(site)
    };
    let a = b.login(name, "password of user").await;
    assert!(
        a.status.is_success() || a.status.is_redirection(),
        "{}",
        a.body
    );
    let csrf = b.csrf().await;
    (b, csrf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_media_user_adds_a_validated_stream_which_is_then_served() {
    let site = catalog_site();
    let (mut b, csrf) = user(&site, "mia", &[Group::Media], false).await;
    let url = vod_url();
    let form = [
        ("csrf", csrf.as_str()),
        ("url", url.as_str()),
        ("directory", "saved-card"),
        ("title", "Saved card"),
    ];
    let a = b.post("/admin/validate", &form).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.json()["play"], "/play/live/saved-card/hand_made.mpd");
    let list = b.get("/admin/streams").await.json();
    let saved = list["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["directory"] == "saved-card")
        .unwrap_or_else(|| panic!("not listed: {list}"));
    assert_eq!(saved["title"], "Saved card");
    assert_eq!(saved["draft"], false);
    assert_eq!(saved["media"].as_array().unwrap().len(), 2);
    // The public side serves it, as a player asks for it.
    let m = b.get("/dash/vod/saved-card/hand_made.mpd").await;
    assert_eq!(m.status, StatusCode::OK, "{}", m.body);
    // The same name again: a conflict, nothing overwritten.
    let again = b.post("/admin/validate", &form).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_offers_the_button_to_the_media_group_only() {
    let site = catalog_site();
    let page = format!(
        "/validate?url={}",
        form_urlencoded::byte_serialize(vod_url().as_bytes()).collect::<String>()
    );
    let (mut media, csrf) = user(&site, "mia", &[Group::Media], true).await;
    let a = media.get(&page).await;
    assert!(a.body.contains("action=\"/admin/validate\""), "{}", a.body);
    assert_eq!(a.csrf_field(), csrf);
    let (mut other, _) = user(&site, "otto", &[], true).await;
    assert!(!other.get(&page).await.body.contains("/admin/validate"));
    let mut nobody = Browser::new(&site);
    assert!(!nobody.get(&page).await.body.contains("/admin/validate"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_else_is_refused_by_the_guard() {
    let site = catalog_site();
    let url = vod_url();
    let streams = || site._dir.path().join("config/streams");
    let before = std::fs::read_dir(streams()).unwrap().count();
    let form = |csrf: &'static str| [("csrf", csrf), ("url", "x"), ("directory", "d")];
    // No session: 401 for a script, the login page for a person.
    let mut script = Browser::script(&site);
    let a = script.post("/admin/validate", &form("")).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let mut person = Browser::new(&site);
    let a = person.post("/admin/validate", &form("")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(a.header("location").starts_with("/admin/login"));
    // Signed in, not in the media group: 403.
    let (mut otto, csrf) = user(&site, "otto", &[], false).await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("url", url.as_str()),
        ("directory", "d"),
    ];
    let a = otto.post("/admin/validate", &fields).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    // In the group, without the CSRF token: 403.
    let (mut mia, csrf) = user(&site, "mia", &[Group::Media], false).await;
    let a = mia
        .post(
            "/admin/validate",
            &[("url", url.as_str()), ("directory", "d")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body.contains("CSRF"), "{}", a.body);
    // Bad names and URLs: 400 naming the field, nothing stored.
    for (dir, u, says) in [
        ("../up", url.as_str(), "directory"),
        ("", url.as_str(), "directory"),
        ("ok", "file:///etc/passwd", "url="),
    ] {
        let fields = [("csrf", csrf.as_str()), ("url", u), ("directory", dir)];
        let a = mia.post("/admin/validate", &fields).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{dir} {u}: {}", a.body);
        assert!(a.body.contains(says), "{}", a.body);
    }
    // A manifest without segments to save: 422, its media folder removed.
    let fields = [
        ("csrf", csrf.as_str()),
        ("url", BROKEN),
        ("directory", "broken"),
    ];
    let a = mia.post("/admin/validate", &fields).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(!site._dir.path().join("config/media/broken").exists());
    assert_eq!(std::fs::read_dir(streams()).unwrap().count(), before);
}
