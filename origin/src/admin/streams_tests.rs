//! The stream, key and media pages through [`crate::app::App::handle`]:
//! each page's happy path, the guard on each route, and the upload's
//! refusals (size, names, files that are no MP4) leaving nothing stored.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bytes::Bytes;
use hyper::{Method, StatusCode};

use super::catalog::Catalog;
use super::store::Group;
use super::tests::{site, Answer, Browser, Site, EVIL};

/// A small test card (video 320x180 and AAC audio, two segments each),
/// made once for every test here.
pub(super) fn card() -> &'static (tempfile::TempDir, PathBuf) {
    static M: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    M.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("card");
        let mut o = dashlive::media::synth::SynthOptions::new(out.clone());
        o.duration_ms = 1920;
        o.segment_ms = 960;
        o.ladder = dashlive::media::synth::parse_ladder("320x180@300k").unwrap();
        o.prefix = "card".into();
        dashlive::media::synth::synth(&o).unwrap();
        (dir, out)
    })
}

pub(super) fn card_file(name: &str) -> Vec<u8> {
    std::fs::read(card().1.join(name)).unwrap()
}

/// The admin test site, with its catalog editable and uploads capped at
/// `cap` bytes.
pub(super) fn catalog_site(cap: u64) -> Site {
    let mut s = site();
    let root = s._dir.path().to_path_buf();
    let catalog = Catalog::new(&root.join("config"), Some(&root.join("out")), cap);
    s.app.admin.as_mut().unwrap().catalog = Some(catalog);
    s
}

pub(super) fn config(s: &Site) -> PathBuf {
    s._dir.path().join("config")
}

/// Every file under a folder (none when it is missing).
pub(super) fn files_under(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().to_path_buf())
        .collect()
}

/// A multipart body of (file name, bytes).
fn multipart(files: &[(&str, &[u8])]) -> (String, Bytes) {
    let boundary = "dashliveTestBoundary7MA4YWxk";
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: video/mp4\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary={boundary}"),
        Bytes::from(body),
    )
}

/// A script of a user in `groups`, logged in, and its CSRF token.
pub(super) async fn script<'a>(
    site: &'a Site,
    name: &str,
    groups: &[Group],
) -> (Browser<'a>, String) {
    site.add(name, groups);
    let mut b = Browser::script(site);
    let a = b.login(name, "password of user").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let csrf = a.json()["csrf"].as_str().unwrap().to_string();
    (b, csrf)
}

pub(super) async fn upload(
    b: &mut Browser<'_>,
    csrf: &str,
    dir: &str,
    files: &[(&str, &[u8])],
) -> Answer {
    let (ctype, body) = multipart(files);
    let path = format!("/admin/streams/{dir}/media");
    let headers = [("x-csrf-token", csrf)];
    b.send_body(Method::POST, &path, Some(&ctype), body, &headers)
        .await
}

async fn add_stream(b: &mut Browser<'_>, csrf: &str, dir: &str, title: &str) -> Answer {
    let form = [("csrf", csrf), ("directory", dir), ("title", title)];
    b.post("/admin/streams", &form).await
}

/// The public side: a manifest of the stream, as a player asks for it.
async fn manifest(b: &mut Browser<'_>, dir: &str) -> StatusCode {
    b.get(&format!("/dash/vod/{dir}/hand_made.mpd"))
        .await
        .status
}

#[tokio::test]
async fn a_stream_is_added_filled_by_upload_edited_and_deleted() {
    let site = catalog_site(64 << 20);
    let (mut b, csrf) = script(&site, "mia", &[Group::Media]).await;

    let a = add_stream(&mut b, &csrf, "card", "The card").await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.json()["stream"]["draft"], true);
    assert!(config(&site).join("drafts/card.yaml").is_file());
    assert_eq!(manifest(&mut b, "card").await, StatusCode::NOT_FOUND);

    let (v, s) = (card_file("card_180p.mp4"), card_file("card_aac.mp4"));
    let a = upload(
        &mut b,
        &csrf,
        "card",
        &[("card_180p.mp4", &v), ("card_aac.mp4", &s)],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let j = a.json();
    assert_eq!(j["play"], "/play/live/card/hand_made.mpd");
    assert_eq!(j["files"][0]["rep"], "card_180p");
    assert_eq!(j["files"][1]["contentType"], "audio");
    // Built and swapped in at once: the stream plays.
    assert_eq!(manifest(&mut b, "card").await, StatusCode::OK);
    let yaml = std::fs::read_to_string(config(&site).join("streams/card.yaml")).unwrap();
    assert!(yaml.contains("timing_ref: card_180p"), "{yaml}");
    assert!(!config(&site).join("drafts/card.yaml").exists());
    // The same file again replaces it: still two media, still playing.
    let a = upload(&mut b, &csrf, "card", &[("card_180p.mp4", &v)]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = b.get("/admin/streams/card").await;
    assert_eq!(a.json()["stream"]["media"].as_array().unwrap().len(), 2);
    assert_eq!(manifest(&mut b, "card").await, StatusCode::OK);
    let media = files_under(&config(&site).join("media"));
    assert_eq!(media.len(), 2, "no staging left: {media:?}");

    // Edit: title, an option default from the table, a bad one refused.
    let form = [
        ("csrf", csrf.as_str()),
        ("title", "Renamed"),
        ("opt.abr", "0"),
    ];
    let a = b.post("/admin/streams/card", &form).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["stream"]["title"], "Renamed");
    assert_eq!(a.json()["stream"]["defaults"]["abr"], "0");
    let bad = [("csrf", csrf.as_str()), ("opt.nonsense", "1")];
    let a = b.post("/admin/streams/card", &bad).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(a.body.contains("opt.nonsense"), "{}", a.body);
    let bad = [("csrf", csrf.as_str()), ("timing_ref", "nothing")];
    let a = b.post("/admin/streams/card", &bad).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let yaml = std::fs::read_to_string(config(&site).join("streams/card.yaml")).unwrap();
    assert!(
        yaml.contains("timing_ref: card_180p") && yaml.contains("Renamed"),
        "{yaml}"
    );

    // Media info, its segments and a segment's box tree.
    let a = b.get("/admin/streams/card/media/card_180p").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["representation"]["width"], 320);
    let a = b.get("/admin/streams/card/media/card_180p/1").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["tree"]["boxes"][1]["type"], "moof", "{}", a.body);
    let a = b.get("/admin/streams/card/media/card_180p/99").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);

    // The audit log says who did what.
    let log = site.store().audit_log(20).unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for want in ["stream.add", "media.upload", "stream.edit"] {
        assert!(actions.contains(&want), "{actions:?}");
    }
    let ours = log
        .iter()
        .filter(|e| e.action.starts_with("stream") || e.action.starts_with("media"));
    assert!(
        ours.clone().count() >= 3
            && ours
                .clone()
                .all(|e| e.actor == "mia" && e.target.starts_with("card"))
    );

    let a = b.delete("/admin/streams/card", &csrf).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(!config(&site).join("streams/card.yaml").exists());
    assert_eq!(manifest(&mut b, "card").await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_html_pages_render_and_escape_what_users_typed() {
    let site = catalog_site(64 << 20);
    let (mut b, csrf) = script(&site, "mia", &[Group::Media]).await;
    let a = add_stream(&mut b, &csrf, "evil", EVIL).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    b.json = false;
    for path in ["/admin/streams", "/admin/streams/evil"] {
        let a = b.get(path).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.body);
        assert!(!a.body.contains(EVIL), "{path}");
        assert!(
            a.body.contains("&#60;script&#62;") || a.body.contains("&lt;script&gt;"),
            "{path}"
        );
    }
    // The defaults form comes from the option table; the upload form runs
    // the site's own script, which only this page's CSP allows.
    let a = b.get("/admin/streams/evil").await;
    assert!(a.body.contains("name=\"opt.abr\""), "{}", a.body);
    assert!(a.body.contains("<script src=\"/admin/upload.js\">"));
    let csp = a.header("content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let js = b.get("/admin/upload.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.body.contains("X-CSRF-Token") && js.body.contains("upload.onprogress"));
    let list = b.get("/admin/streams").await;
    assert!(list
        .header("content-security-policy")
        .starts_with("default-src 'none'; style-src"));
    // A directory that is no URL segment is refused.
    b.json = true;
    let a = add_stream(&mut b, &csrf, "../etc", "x").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let a = add_stream(&mut b, &csrf, "evil", "again").await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
}

#[tokio::test]
async fn keys_are_set_and_deleted_and_their_values_shown_only_to_media() {
    let site = catalog_site(64 << 20);
    let (mut m, csrf) = script(&site, "mia", &[Group::Media]).await;
    add_stream(&mut m, &csrf, "enc", "Encrypted").await;
    let kid = "0123456789abcdef0123456789abcdef";
    let key = "fedcba9876543210fedcba9876543210";
    let form = [("csrf", csrf.as_str()), ("kid", kid), ("key", key)];
    let a = m.post("/admin/streams/enc/keys", &form).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["stream"]["keys"][0]["key"], key);
    let computed = "00112233445566778899aabbccddeeff";
    let form = [
        ("csrf", csrf.as_str()),
        ("kid", computed),
        ("computed", "1"),
    ];
    let a = m.post("/admin/streams/enc/keys", &form).await;
    assert_eq!(
        a.json()["stream"]["keys"][1]["computed"],
        true,
        "{}",
        a.body
    );
    let bad = [("csrf", csrf.as_str()), ("kid", kid), ("key", "12")];
    let a = m.post("/admin/streams/enc/keys", &bad).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(
        !a.body.contains("12\""),
        "a key's digits never in a message"
    );

    let (mut u, ucsrf) = script(&site, "ulla", &[Group::User]).await;
    let a = u.get("/admin/streams/enc").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(!a.body.contains(key), "{}", a.body);
    u.json = false;
    assert!(!u.get("/admin/streams/enc").await.body.contains(key));

    let form = [("csrf", csrf.as_str()), ("kid", kid), ("action", "delete")];
    let a = m.post("/admin/streams/enc/keys", &form).await;
    assert_eq!(a.json()["stream"]["keys"].as_array().unwrap().len(), 1);
    // The user group reads but changes nothing.
    let form = [("csrf", ucsrf.as_str()), ("kid", kid), ("key", key)];
    u.json = true;
    let a = u.post("/admin/streams/enc/keys", &form).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
}

#[tokio::test]
async fn every_stream_route_is_guarded() {
    let site = catalog_site(64 << 20);
    let (mut m, csrf) = script(&site, "mia", &[Group::Media]).await;
    add_stream(&mut m, &csrf, "s", "S").await;
    let (mut u, ucsrf) = script(&site, "ulla", &[Group::User]).await;
    let mut nobody = Browser::script(&site);
    let reads = [
        "/admin/streams",
        "/admin/streams/s",
        "/admin/streams/s/media/x",
        "/admin/streams/s/media/x/init",
    ];
    for path in reads {
        assert_eq!(
            nobody.get(path).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        assert_ne!(u.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let changes = [
        "/admin/streams",
        "/admin/streams/s",
        "/admin/streams/s/keys",
        "/admin/streams/s/media",
    ];
    for path in changes {
        let form = [("csrf", ucsrf.as_str()), ("title", "x")];
        assert_eq!(
            nobody.post(path, &form).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        assert_eq!(
            u.post(path, &form).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        // The media group, without the CSRF token or with another's.
        let a = m.post(path, &[("title", "x")]).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
        assert!(a.body.contains("CSRF"), "{path}: {}", a.body);
        let a = m
            .post(path, &[("csrf", ucsrf.as_str()), ("title", "x")])
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
    }
    let v = card_file("card_180p.mp4");
    let a = upload(&mut u, &ucsrf, "s", &[("card_180p.mp4", &v)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(files_under(&config(&site).join("media")).is_empty());
}

#[tokio::test]
async fn refused_uploads_store_nothing() {
    let v = card_file("card_180p.mp4");
    let site = catalog_site(v.len() as u64 / 2);
    let (mut b, csrf) = script(&site, "mia", &[Group::Media]).await;
    add_stream(&mut b, &csrf, "s", "S").await;
    let draft = std::fs::read(config(&site).join("drafts/s.yaml")).unwrap();
    let media = config(&site).join("media");

    // Over the cap: 413.
    let a = upload(&mut b, &csrf, "s", &[("card_180p.mp4", &v)]).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
    assert!(files_under(&media).is_empty(), "{:?}", files_under(&media));

    // Names that are no plain file name.
    for name in [
        "../x.mp4",
        "/etc/x.mp4",
        "a/b.mp4",
        "..\\x.mp4",
        ".hidden.mp4",
        "x.sh",
    ] {
        let a = upload(&mut b, &csrf, "s", &[(name, b"tiny")]).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{name}: {}", a.body);
        assert!(a.body.contains("file name"), "{name}: {}", a.body);
    }
    assert!(files_under(&media).is_empty(), "{:?}", files_under(&media));
    assert!(!site._dir.path().join("x.mp4").exists());

    // Too many files in one upload.
    let names: Vec<String> = (0..=super::upload::MAX_FILES)
        .map(|i| format!("f{i}.mp4"))
        .collect();
    let many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let a = upload(&mut b, &csrf, "s", &many).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(a.body.contains("at most 64 files"), "{}", a.body);
    assert!(files_under(&media).is_empty(), "{:?}", files_under(&media));

    // Not an MP4, and an MP4 cut short: each file's reason, nothing kept.
    let cut = &v[..v.len() / 3];
    let a = upload(
        &mut b,
        &csrf,
        "s",
        &[("junk.mp4", b"hello, world"), ("cut.mp4", cut)],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let j = a.json();
    assert!(
        j["files"][0]["error"]
            .as_str()
            .unwrap()
            .contains("junk.mp4"),
        "{j}"
    );
    assert!(j["files"][1]["error"].as_str().is_some(), "{j}");
    assert!(j["play"].is_null());
    assert!(files_under(&media).is_empty(), "{:?}", files_under(&media));
    assert_eq!(
        std::fs::read(config(&site).join("drafts/s.yaml")).unwrap(),
        draft
    );
}

#[tokio::test]
async fn of_two_edits_made_from_the_same_read_the_second_is_refused() {
    let site = catalog_site(64 << 20);
    let (mut b, csrf) = script(&site, "mia", &[Group::Media]).await;
    add_stream(&mut b, &csrf, "s", "S").await;
    let catalog = site.app.admin.as_ref().unwrap().catalog.clone().unwrap();
    let (first, second) = (catalog.find("s").unwrap(), catalog.find("s").unwrap());
    let mut one = first.stream.clone();
    one.title = "one".into();
    catalog
        .save(&site.app.trees, Some(&first), one)
        .await
        .unwrap();
    let mut two = second.stream.clone();
    two.title = "two".into();
    let e = catalog
        .save(&site.app.trees, Some(&second), two)
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::CONFLICT, "{e}");
    assert_eq!(catalog.find("s").unwrap().stream.title, "one");
    let e = catalog.delete(&site.app.trees, &second).await.unwrap_err();
    assert_eq!(e.status(), StatusCode::CONFLICT, "{e}");
}

#[tokio::test]
async fn an_edit_writes_through_no_shared_inode_and_keeps_the_header_comment() {
    let site = catalog_site(64 << 20);
    let (mut b, csrf) = script(&site, "mia", &[Group::Media]).await;
    add_stream(&mut b, &csrf, "s", "S").await;
    let file = config(&site).join("drafts/s.yaml");
    let header = "# A stream for the night shift's tests.\n\n";
    let written = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{header}{written}")).unwrap();
    // A file that shares its inode with a name beside the stream's, where
    // an editor might stage its temporary copy.
    let victim = config(&site).join("victim.txt");
    std::fs::write(&victim, "untouched").unwrap();
    for name in [".s.yaml.tmp", "s.yaml.tmp", ".s.tmp"] {
        std::fs::hard_link(&victim, config(&site).join("drafts").join(name)).unwrap();
    }

    let form = [("csrf", csrf.as_str()), ("title", "Renamed")];
    let a = b.post("/admin/streams/s", &form).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    let yaml = std::fs::read_to_string(&file).unwrap();
    assert!(yaml.starts_with(header), "{yaml}");
    assert!(yaml.contains("Renamed"), "{yaml}");
}

#[tokio::test]
async fn an_upload_is_inspected_without_being_kept() {
    let site = catalog_site(64 << 20);
    let (mut b, csrf) = script(&site, "mia", &[Group::Media]).await;
    let v = card_file("card_180p.mp4");
    let (ctype, body) = multipart(&[("card_180p.mp4", &v), ("junk.mp4", b"not an mp4")]);
    let headers = [("x-csrf-token", csrf.as_str())];
    let a = b
        .send_body(Method::POST, "/admin/inspect", Some(&ctype), body, &headers)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let j = a.json();
    assert_eq!(j["files"][0]["representation"]["width"], 320, "{j}");
    assert_eq!(j["files"][0]["boxes"][0]["type"], "ftyp", "{j}");
    assert!(j["files"][1]["error"].as_str().is_some(), "{j}");
    assert!(files_under(&config(&site)).is_empty());
    let (mut u, ucsrf) = script(&site, "ulla", &[Group::User]).await;
    let (ctype, body) = multipart(&[("card_180p.mp4", &v)]);
    let headers = [("x-csrf-token", ucsrf.as_str())];
    let a = u
        .send_body(Method::POST, "/admin/inspect", Some(&ctype), body, &headers)
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
}
