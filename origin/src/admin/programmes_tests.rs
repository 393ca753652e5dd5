//! The programme pages through [`crate::app::App::handle`]: add, edit and
//! delete with the programme's manifest following; the loader's refusals
//! shown beside their fields with nothing written; the guard; names that
//! are no URL segment; script typed into the title shown inert.

use hyper::StatusCode;

use super::store::Group;
use super::streams_tests::{card_file, catalog_site, config, files_under, script, upload};
use super::tests::{Answer, Browser, Site, EVIL};

/// A site whose catalog has the stream `card` (1.92 s, segments of
/// 0.96 s: `card_180p` and `card_aac`), and a media user's script.
async fn site_with_card() -> Site {
    let site = catalog_site(64 << 20);
    let (mut b, csrf) = script(&site, "mia", &[Group::Media]).await;
    let form = [("csrf", csrf.as_str()), ("directory", "card")];
    let a = b.post("/admin/streams", &form).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let (v, s) = (card_file("card_180p.mp4"), card_file("card_aac.mp4"));
    let files = [("card_180p.mp4", &v[..]), ("card_aac.mp4", &s[..])];
    let a = upload(&mut b, &csrf, "card", &files).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    site
}

/// A form's fields, as owned pairs.
type Form = Vec<(String, String)>;

/// A programme's form: name, title and the periods' rows.
fn form(csrf: &str, name: &str, title: &str, periods: &[Form]) -> Form {
    let mut f: Form = [("csrf", csrf), ("name", name), ("title", title)]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    f.extend(periods.iter().flatten().cloned());
    f
}

/// Period row `n` of the form.
fn period(n: usize, id: &str, stream: &str, start: &str, duration: &str) -> Form {
    [
        ("id", id),
        ("stream", stream),
        ("start", start),
        ("duration", duration),
    ]
    .iter()
    .map(|(k, v)| (format!("period.{n}.{k}"), v.to_string()))
    .collect()
}

/// A programme of one period: the card's first segment.
fn first_segment() -> [Form; 1] {
    [period(0, "one", "card", "0", "0.96")]
}

async fn post(b: &mut Browser<'_>, path: &str, f: Form) -> Answer {
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post(path, &pairs).await
}

async fn manifest(b: &mut Browser<'_>, mode: &str, name: &str) -> Answer {
    b.get(&format!("/mps/{mode}/{name}/hand_made.mpd")).await
}

/// No programme file (nor a temporary one), and `prog` is not served.
async fn assert_no_programme(site: &Site, b: &mut Browser<'_>) {
    let files = programme_files(site);
    assert!(files.is_empty(), "{files:?}");
    let m = manifest(b, "vod", "prog").await;
    assert_eq!(m.status, StatusCode::NOT_FOUND);
}

fn programme_files(site: &Site) -> Vec<std::path::PathBuf> {
    files_under(&config(site).join("mps"))
}

#[tokio::test]
async fn a_programme_is_added_edited_and_deleted_and_its_manifest_follows() {
    let site = site_with_card().await;
    let (mut b, csrf) = script(&site, "max", &[Group::Media]).await;
    assert_eq!(
        manifest(&mut b, "vod", "prog").await.status,
        StatusCode::NOT_FOUND
    );

    let periods = [
        period(0, "one", "card", "0", "0.96"),
        // Starts between two segments: snapped to one of their boundaries.
        period(1, "two", "card", "0.5", "0.96"),
    ];
    let a = post(
        &mut b,
        "/admin/programmes",
        form(&csrf, "prog", "A programme", &periods),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert!(config(&site).join("mps/prog.yaml").is_file());
    let m = manifest(&mut b, "vod", "prog").await;
    assert_eq!(m.status, StatusCode::OK, "{}", m.body);
    assert_eq!(m.body.matches("<Period ").count(), 2, "{}", m.body);
    assert_eq!(
        manifest(&mut b, "live", "prog").await.status,
        StatusCode::OK
    );

    // The page says where the second period snapped, and links its players.
    let a = b.get("/admin/programmes/prog").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let j = a.json();
    assert_eq!(j["served"][0]["moved"], "", "{j}");
    let moved = j["served"][1]["moved"].as_str().unwrap();
    assert!(moved.starts_with("start "), "{j}");
    assert_eq!(
        j["links"]["play live"],
        "/play?mpd=/mps/live/prog/hand_made.mpd"
    );
    b.json = false;
    let page = b.get("/admin/programmes/prog").await;
    assert!(
        page.body.contains("snapped to segment boundaries"),
        "{}",
        page.body
    );
    assert!(page.body.contains("/play?mpd=/mps/vod/prog/hand_made.mpd"));
    assert!(
        page.body.contains("name=\"opt.abr\""),
        "the option table's form"
    );
    assert!(page
        .header("content-security-policy")
        .contains("script-src 'self'"));
    for linked_from in ["/admin/", "/admin/streams"] {
        let a = b.get(linked_from).await;
        assert!(
            a.body.contains("href=\"/admin/programmes\""),
            "{linked_from}"
        );
    }
    let list = b.get("/admin/programmes").await;
    assert!(
        list.body.contains("href=\"/admin/programmes/prog\""),
        "{}",
        list.body
    );
    b.json = true;

    // Edit: one period left, a new title, an option default.
    let one = [period(0, "solo", "card", "0.96", "0.96")];
    let mut f = form(&csrf, "prog", "Renamed", &one);
    f.push(("opt.abr".into(), "0".into()));
    let a = post(&mut b, "/admin/programmes/prog", f).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["programme"]["title"], "Renamed");
    assert_eq!(a.json()["programme"]["options"]["abr"], "0");
    let m = manifest(&mut b, "vod", "prog").await;
    assert_eq!(m.body.matches("<Period ").count(), 1, "{}", m.body);
    assert!(m.body.contains("id=\"solo\""), "{}", m.body);

    // Renamed: served under the new name only, one file.
    let a = post(
        &mut b,
        "/admin/programmes/prog",
        form(&csrf, "prog2", "Renamed", &one),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        manifest(&mut b, "vod", "prog2").await.status,
        StatusCode::OK
    );
    assert_eq!(
        manifest(&mut b, "vod", "prog").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        programme_files(&site),
        [config(&site).join("mps/prog2.yaml")]
    );
    let a = post(
        &mut b,
        "/admin/programmes/prog2",
        form(&csrf, "prog", "Renamed", &one),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    // Delete: the file and the manifest are gone.
    let a = b.delete("/admin/programmes/prog", &csrf).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_no_programme(&site, &mut b).await;

    let log = site.store().audit_log(30).unwrap();
    for want in ["programme.add", "programme.edit", "programme.delete"] {
        assert!(
            log.iter()
                .any(|e| e.action == want && e.actor == "max" && e.target == "prog"),
            "{want}: {:?}",
            log.iter().map(|e| &e.action).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn the_loaders_errors_are_shown_beside_their_fields_and_nothing_is_written() {
    let site = site_with_card().await;
    let (mut b, csrf) = script(&site, "max", &[Group::Media]).await;

    // A stream the catalog does not have: the loader's message, its field.
    let bad = [period(0, "one", "nosuch", "0", "0.96")];
    let a = post(&mut b, "/admin/programmes", form(&csrf, "prog", "P", &bad)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let j = a.json();
    assert_eq!(j["errors"][0]["field"], "periods[0].stream", "{j}");
    assert!(j["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("no stream's directory"));
    assert!(
        programme_files(&site).is_empty(),
        "{:?}",
        programme_files(&site)
    );

    // Two periods with one id, and a span past the end of the media (found
    // when the build snaps it): each beside its field, on the page.
    b.json = false;
    let bad = [
        period(0, "one", "card", "0", "0.96"),
        period(1, "one", "card", "0", "0.96"),
    ];
    let a = post(&mut b, "/admin/programmes", form(&csrf, "prog", "P", &bad)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let second = a.body.split("<legend>period 2</legend>").nth(1).unwrap();
    let id_error = second.split("name=\"period.1.stream\"").next().unwrap();
    assert!(
        id_error.contains("is the id of an earlier period"),
        "{}",
        a.body
    );
    assert!(
        programme_files(&site).is_empty(),
        "{:?}",
        programme_files(&site)
    );
    b.json = true;
    let late = [period(0, "one", "card", "100", "0.96")];
    let a = post(&mut b, "/admin/programmes", form(&csrf, "prog", "P", &late)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert_eq!(
        a.json()["errors"][0]["field"],
        "periods[0].start",
        "{}",
        a.body
    );
    assert_no_programme(&site, &mut b).await;

    // An edit the loader refuses leaves the programme as it was, served.
    let good = first_segment();
    let a = post(&mut b, "/admin/programmes", form(&csrf, "prog", "P", &good)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let before = std::fs::read(config(&site).join("mps/prog.yaml")).unwrap();
    let a = post(
        &mut b,
        "/admin/programmes/prog",
        form(&csrf, "prog", "P", &late),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let a = post(
        &mut b,
        "/admin/programmes/prog",
        form(
            &csrf,
            "prog",
            "P",
            &[
                period(0, "x", "card", "zero", "1"),
                period(1, "x", "card", "0", "0.96"),
            ],
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    // The form's own error and the loader's, together.
    let errors = a.json()["errors"].to_string();
    assert!(errors.contains("seconds, a number"), "{errors}");
    assert!(
        errors.contains("is the id of an earlier period"),
        "{errors}"
    );
    assert_eq!(
        std::fs::read(config(&site).join("mps/prog.yaml")).unwrap(),
        before
    );
    assert_eq!(programme_files(&site).len(), 1, "no temporary file left");
    assert_eq!(manifest(&mut b, "vod", "prog").await.status, StatusCode::OK);
}

#[tokio::test]
async fn names_that_are_no_url_segment_are_refused() {
    let site = site_with_card().await;
    let (mut b, csrf) = script(&site, "max", &[Group::Media]).await;
    let p = first_segment();
    for name in ["../evil", "/etc/evil", "a/b", "..", "a b"] {
        let a = post(&mut b, "/admin/programmes", form(&csrf, name, "P", &p)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{name}: {}", a.body);
        assert_eq!(a.json()["errors"][0]["field"], "name", "{name}: {}", a.body);
    }
    assert!(
        programme_files(&site).is_empty(),
        "{:?}",
        programme_files(&site)
    );
    assert!(!site._dir.path().join("evil.yaml").exists());
    assert!(!config(&site).join("evil.yaml").exists());
    // A name already taken.
    let a = post(&mut b, "/admin/programmes", form(&csrf, "prog", "P", &p)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let a = post(&mut b, "/admin/programmes", form(&csrf, "prog", "Q", &p)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(a.body.contains("already the name"), "{}", a.body);
    assert_eq!(
        b.get("/admin/programmes/..").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn every_programme_route_is_guarded() {
    let site = site_with_card().await;
    let (mut m, csrf) = script(&site, "max", &[Group::Media]).await;
    let p = first_segment();
    let a = post(&mut m, "/admin/programmes", form(&csrf, "prog", "P", &p)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let (mut u, ucsrf) = script(&site, "ulla", &[Group::User]).await;
    let mut nobody = Browser::script(&site);
    for path in ["/admin/programmes", "/admin/programmes/prog"] {
        assert_eq!(
            nobody.get(path).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        let a = u.get(path).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.body);
        let change = form(&ucsrf, "prog", "x", &p);
        assert_eq!(
            post(&mut nobody, path, change.clone()).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        assert_eq!(
            post(&mut u, path, change).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        // The media group without the CSRF token, or with another's.
        let mut no_token = form(&csrf, "prog", "x", &p);
        no_token.remove(0);
        let a = post(&mut m, path, no_token).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
        assert!(a.body.contains("CSRF"), "{path}: {}", a.body);
        let a = post(&mut m, path, form(&ucsrf, "prog", "x", &p)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        u.delete("/admin/programmes/prog", &ucsrf).await.status,
        StatusCode::FORBIDDEN
    );
    // Readers see no form.
    u.json = false;
    let page = u.get("/admin/programmes/prog").await;
    assert!(!page
        .body
        .contains("<form method=\"post\" action=\"/admin/programmes/prog\""));
    let yaml = std::fs::read_to_string(config(&site).join("mps/prog.yaml")).unwrap();
    assert!(yaml.contains("title: P"), "{yaml}");
}

#[tokio::test]
async fn script_typed_into_a_programme_is_shown_inert() {
    let site = site_with_card().await;
    let (mut b, csrf) = script(&site, "max", &[Group::Media]).await;
    let p = first_segment();
    let a = post(&mut b, "/admin/programmes", form(&csrf, "evil", EVIL, &p)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    b.json = false;
    // And refused input shown again: a stream named with script.
    let bad = [period(0, "one", EVIL, "0", "0.96")];
    let refused = post(
        &mut b,
        "/admin/programmes",
        form(&csrf, "other", EVIL, &bad),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let pages = [
        b.get("/admin/programmes").await,
        b.get("/admin/programmes/evil").await,
        refused,
    ];
    for page in pages {
        assert!(!page.body.contains(EVIL), "{}", page.body);
        assert!(page.body.contains("&#60;script&#62;") || page.body.contains("&lt;script&gt;"));
    }
}

#[tokio::test]
async fn a_period_ticked_encrypted_is_written_so_and_shown_ticked() {
    let site = site_with_card().await;
    let (mut b, csrf) = script(&site, "max", &[Group::Media]).await;
    let mut second = period(1, "locked", "card", "0.96", "0.96");
    second.push(("period.1.encrypted".into(), "1".into()));
    let periods = [period(0, "open", "card", "0", "0.96"), second];
    let a = post(
        &mut b,
        "/admin/programmes",
        form(&csrf, "prog", "Clear then encrypted", &periods),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let text = std::fs::read_to_string(config(&site).join("mps/prog.yaml")).unwrap();
    // Only the ticked period says so (false is the loader's default).
    assert_eq!(text.matches("encrypted: true").count(), 1, "{text}");
    assert!(!text.contains("encrypted: false"), "{text}");
    b.json = false;
    let page = b.get("/admin/programmes/prog").await;
    assert!(
        page.body
            .contains("name=\"period.1.encrypted\" value=\"1\" checked"),
        "{}",
        page.body
    );
    assert!(!page
        .body
        .contains("name=\"period.0.encrypted\" value=\"1\" checked"));
}

#[tokio::test]
async fn an_edit_keeps_the_files_header_comment_and_a_refused_build_puts_it_back() {
    let site = site_with_card().await;
    let (mut b, csrf) = script(&site, "max", &[Group::Media]).await;
    let a = post(
        &mut b,
        "/admin/programmes",
        form(&csrf, "prog", "A programme", &first_segment()),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let file = config(&site).join("mps/prog.yaml");
    let header = "# Why this programme exists,\n# in the words of whoever wrote it.\n\n";
    let written = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{header}{written}")).unwrap();

    let edit = |title: &str| form(&csrf, "prog", title, &first_segment());
    let a = post(&mut b, "/admin/programmes/prog", edit("Renamed")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let kept = std::fs::read_to_string(&file).unwrap();
    assert!(kept.starts_with(header), "{kept}");
    assert!(kept.contains("Renamed"), "{kept}");

    // Another file the build cannot read: the edit and the delete are
    // undone, the file back byte for byte.
    let broken = config(&site).join("streams/zz-broken.yaml");
    std::fs::write(&broken, "title: [\n").unwrap();
    let a = post(&mut b, "/admin/programmes/prog", edit("Lost")).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), kept);
    let a = b.delete("/admin/programmes/prog", &csrf).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), kept);
    assert_eq!(programme_files(&site), [file]);
}
