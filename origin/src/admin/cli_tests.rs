//! `dashlive upload` and `dashlive download` (the library's `transfer`
//! module) against this origin served on a loopback port, and `download`
//! against a stub dash-live server: what a user moving content sees.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dashlive::transfer::client::{Auth, Client};
use dashlive::transfer::{download, upload, Progress, TransferError};

use super::catalog::Catalog;
use super::store::{Actor, Group};
use super::streams_tests::card;
use super::tests::{site, NOW};
use crate::server::{serve, Limits};

/// Uploads `json` with the origin's token, off the test's runtime threads.
async fn upload_with_token(
    o: &Running,
    json: PathBuf,
) -> Result<Vec<upload::Uploaded>, TransferError> {
    let (host, token) = (o.host.clone(), o.token.clone());
    blocking(move || {
        let c = Client::connect(&host, &Auth::Token(token)).unwrap();
        upload::upload_file(&c, &json, &dashlive::transfer::Silent)
    })
    .await
}

const KID: &str = "c001de8e567b5fcfbc22c565ed5bda24";
const KEY: &str = "533a583a843436a536fbe2a5821c4b6c";
const COMPUTED_KID: &str = "1ab45440532c439994dc5c5ad9584bac";

/// An upload file (v2) for the card, beside its media.
fn card_json(dir: &Path) -> PathBuf {
    let src = &card().1;
    for f in ["card_180p.mp4", "card_aac.mp4"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    let p = dir.join("upload.json");
    let text = format!(
        r#"{{"keys": [{{"kid": "{KID}", "key": "{KEY}"}}, {{"kid": "{COMPUTED_KID}", "computed": true}}],
            "streams": [{{"directory": "card", "title": "The card", "playready_la_url": "https://pr.example/rightsmanager.asmx",
                          "files": ["card_aac.mp4", "card_180p.mp4"], "timing_ref": "card_180p.mp4"}}]}}"#
    );
    std::fs::write(&p, text).unwrap();
    p
}

/// Progress lines, kept.
#[derive(Default, Clone)]
struct Lines(Arc<Mutex<Vec<String>>>);

impl Progress for Lines {
    fn line(&self, text: &str) {
        self.0.lock().unwrap().push(text.to_string());
    }
}

/// The origin on 127.0.0.1 with an editable catalog, a media user `mia`
/// (password "password of user") and an API token of hers.
struct Running {
    host: String,
    token: String,
    root: PathBuf,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn running() -> Running {
    let mut s = site();
    let root = s._dir.path().to_path_buf();
    let catalog = Catalog::new(&root.join("config"), Some(&root.join("out")), 1 << 30);
    s.app.admin.as_mut().unwrap().catalog = Some(catalog);
    s.add("mia", &[Group::Media]);
    let by = Actor {
        name: "test",
        now_ms: NOW,
    };
    let (token, _) = s.store().add_token(by, "mia", "cli", 36_500).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = Limits {
        header_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
        max_connections: 64,
    };
    tokio::spawn(serve(Arc::new(s.app), listener, limits, async {
        let _ = stopped.await;
    }));
    Running {
        host: format!("http://{addr}"),
        token,
        root,
        _dir: s._dir,
        _stop: stop,
    }
}

/// Runs blocking client code off the test's runtime threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// GET, with `Range: bytes=0-` for an on-demand file (200 or 206 expected).
fn get(url: &str) -> (u16, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.get(url).header("Range", "bytes=0-").call().unwrap();
    // Both are the whole file here: the range is from its first byte.
    let status = match r.status().as_u16() {
        206 => 200,
        s => s,
    };
    (
        status,
        r.body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_is_uploaded_played_downloaded_and_built_again() {
    let o = running().await;
    let src = tempfile::tempdir().unwrap();
    let json = card_json(src.path());
    let (host, token) = (o.host.clone(), o.token.clone());
    let lines = Lines::default();
    let l = lines.clone();
    let done = blocking(move || {
        let c = Client::connect(&host, &Auth::Token(token)).unwrap();
        upload::upload_file(&c, &json, &l)
    })
    .await
    .unwrap();
    assert_eq!(done.len(), 1);
    assert!(done[0].added);
    assert_eq!(
        done[0].play.as_deref(),
        Some("/play/live/card/hand_made.mpd")
    );
    let text = lines.0.lock().unwrap().join("\n");
    assert!(
        text.contains("stream card: added") && text.contains("timing reference card_180p"),
        "{text}"
    );

    // It plays: manifests answer, the media are the source's bytes.
    let h = o.host.clone();
    let source = card().1.clone();
    blocking(move || {
        for m in [
            "/dash/vod/card/hand_made.mpd",
            "/dash/live/card/hand_made.mpd",
        ] {
            let (status, body) = get(&format!("{h}{m}"));
            assert_eq!(status, 200, "{m}: {}", String::from_utf8_lossy(&body));
        }
        for rep in ["card_180p", "card_aac"] {
            let (status, body) = get(&format!("{h}/dash/odvod/card/{rep}.mp4"));
            assert_eq!(status, 200, "{rep}");
            assert!(
                body == std::fs::read(source.join(format!("{rep}.mp4"))).unwrap(),
                "{rep}: bytes differ"
            );
        }
    })
    .await;
    let yaml = std::fs::read_to_string(o.root.join("config/streams/card.yaml")).unwrap();
    assert!(
        yaml.contains("timing_ref: card_180p") && yaml.contains(KID) && yaml.contains(COMPUTED_KID),
        "{yaml}"
    );

    // Again, logging in with a password this time: the stream is updated, not doubled.
    let (host, j2) = (o.host.clone(), src.path().join("upload.json"));
    let again = blocking(move || {
        let auth = Auth::Login {
            username: "mia".into(),
            password: "password of user".into(),
        };
        let c = Client::connect(&host, &auth).unwrap();
        upload::upload_file(&c, &j2, &dashlive::transfer::Silent)
    })
    .await
    .unwrap();
    assert!(!again[0].added);

    // Download what the origin holds, and build it.
    let dest = tempfile::tempdir().unwrap();
    let (host, token, d) = (o.host.clone(), o.token.clone(), dest.path().to_path_buf());
    let written = blocking(move || {
        let c = Client::connect(&host, &Auth::Anonymous).unwrap();
        assert_eq!(download::detect(&c).unwrap(), download::Source::Dashlive);
        let c = Client::connect(&host, &Auth::Token(token)).unwrap();
        download::download(
            &c,
            download::Source::Dashlive,
            &d.join("config"),
            &dashlive::transfer::Silent,
        )
    })
    .await
    .unwrap();
    assert_eq!(written, vec![dest.path().join("config/streams/card.yaml")]);
    let config = dest.path().join("config");
    for rep in ["card_180p", "card_aac"] {
        let got = std::fs::read(config.join(format!("media/card/{rep}.mp4"))).unwrap();
        assert!(
            got == std::fs::read(card().1.join(format!("{rep}.mp4"))).unwrap(),
            "{rep}"
        );
    }
    let yaml = std::fs::read_to_string(&written[0]).unwrap();
    assert!(
        yaml.contains(KEY) && yaml.contains("computed: true") && yaml.contains("pr.example"),
        "{yaml}"
    );
    dashlive::build::build(&config, Some(&dest.path().join("out"))).unwrap();
    assert!(dest
        .path()
        .join("out/dash/vod/card/hand_made.mpd")
        .is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_name_the_file_and_the_reason() {
    let o = running().await;
    let src = tempfile::tempdir().unwrap();
    let json = card_json(src.path());
    let host = o.host.clone();
    let e = blocking(move || {
        let c = Client::connect(&host, &Auth::Token("dlt_not_a_token".into())).unwrap();
        upload::upload_file(&c, &json, &dashlive::transfer::Silent).unwrap_err()
    })
    .await;
    let text = e.to_string();
    assert!(
        matches!(e, TransferError::Refused { status: 401, .. }),
        "{text}"
    );
    assert!(text.contains("card"), "{text}");

    // A wrong password: the login's own refusal.
    let host = o.host.clone();
    let e = blocking(move || {
        let auth = Auth::Login {
            username: "mia".into(),
            password: "wrong".into(),
        };
        Client::connect(&host, &auth).err().unwrap()
    })
    .await;
    assert!(e.to_string().contains("wrong user name or password"), "{e}");

    // A malformed file: its name and field, and nothing sent.
    let bad = src.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"streams": [{"directory": "x", "title": "X", "files": "card_aac.mp4"}]}"#,
    )
    .unwrap();
    let e = upload_with_token(&o, bad).await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("bad.json") && text.contains("expected a sequence"),
        "{text}"
    );
    assert!(!o.root.join("config/drafts/x.yaml").exists());

    // A file the origin cannot index: its name and the origin's reason.
    let junk = src.path().join("junk.json");
    std::fs::write(src.path().join("junk.mp4"), b"not an mp4 at all").unwrap();
    std::fs::write(
        &junk,
        r#"{"streams": [{"directory": "junk", "title": "J", "files": ["junk.mp4"], "timing_ref": "junk.mp4"}]}"#,
    )
    .unwrap();
    let e = upload_with_token(&o, junk).await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("junk.json") && text.contains("junk.mp4:") && text.contains("422"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bbb_upload_file_plays() {
    let media = std::env::var_os("DASHLIVE_TEST_MEDIA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/media"));
    let json = media.join("bbb/upload_v2.json");
    if !json.is_file() {
        let required = std::env::var("DASHLIVE_REQUIRE_TEST_MEDIA").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "DASHLIVE_REQUIRE_TEST_MEDIA=1 but {} is missing",
            json.display()
        );
        eprintln!(
            "the_bbb_upload_file_plays: skipped: no {} (set DASHLIVE_TEST_MEDIA)",
            json.display()
        );
        return;
    }
    let o = running().await;
    let done = upload_with_token(&o, json).await.unwrap();
    assert_eq!(done[0].directory, "upload-test");
    assert_eq!(done[0].files, 8);
    let h = o.host.clone();
    blocking(move || {
        for m in [
            "/dash/vod/upload-test/hand_made.mpd",
            "/dash/live/upload-test/hand_made.mpd",
        ] {
            assert_eq!(get(&format!("{h}{m}")).0, 200, "{m}");
        }
        let (status, body) = get(&format!("{h}/dash/odvod/upload-test/bbb_a1.mp4"));
        assert_eq!(status, 200);
        assert!(body == std::fs::read(media.join("bbb/bbb_a1.mp4")).unwrap());
    })
    .await;
    let yaml = std::fs::read_to_string(o.root.join("config/streams/upload-test.yaml")).unwrap();
    assert!(yaml.contains("timing_ref: bbb_v6"), "{yaml}");
}

/// A stub dash-live server: `GET /streams` (JSON), `POST /api/login`
/// (user `mia`, password `secret`: an access token and a session cookie)
/// and the on-demand route, which wants a `Range` header (400 without, as
/// dash-live answers). The stream list is `private` to a request that
/// carries the token (`jwt_token`) or the cookie (`session=s3ss10n`),
/// `public` otherwise.
fn stub_dash_live(files: Vec<(String, Vec<u8>)>, public: String, private: String) -> String {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let (mut range, mut length, mut known) = (None, 0usize, false);
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                let h = h.to_ascii_lowercase();
                if let Some(v) = h.strip_prefix("range:") {
                    range = Some(v.trim().to_string());
                }
                if let Some(v) = h.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                known |= h.starts_with("authorization: bearer jwt_token")
                    || (h.starts_with("cookie:") && h.contains("session=s3ss10n"));
            }
            let mut body = vec![0u8; length.min(4096)];
            let _ = reader.read_exact(&mut body);
            let mut words = first.split_whitespace();
            let method = words.next().unwrap_or("").to_string();
            let target = words.next().unwrap_or("");
            let path = target.split('?').next().unwrap_or("").to_string();
            let mut cookie = None;
            let (status, ctype, body) = if path == "/streams" {
                let list = if known { &private } else { &public };
                ("200 OK", "application/json", list.clone().into_bytes())
            } else if (method.as_str(), path.as_str()) == ("POST", "/api/login") {
                let login: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                if login["username"] == "mia" && login["password"] == "secret" {
                    cookie = Some("session=s3ss10n; HttpOnly; Path=/");
                    let ok = r#"{"success": true, "mustChange": false, "accessToken": {"jwt": "jwt_token", "expires": "2030-01-01T00:00:00Z"}, "user": {"username": "mia"}}"#;
                    ("200 OK", "application/json", ok.as_bytes().to_vec())
                } else {
                    let no = r#"{"success": false, "error": "Incorrect username or password"}"#;
                    (
                        "401 Unauthorized",
                        "application/json",
                        no.as_bytes().to_vec(),
                    )
                }
            } else if let Some((_, bytes)) = files.iter().find(|(p, _)| *p == path) {
                match range.as_deref() {
                    Some("bytes=0-") => ("206 Partial Content", "video/mp4", bytes.clone()),
                    _ => (
                        "400 Bad Request",
                        "text/plain",
                        b"Range header required".to_vec(),
                    ),
                }
            } else {
                ("404 Not Found", "text/plain", b"not found".to_vec())
            };
            let mut head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            if let Some(c) = cookie {
                head.push_str(&format!("Set-Cookie: {c}\r\n"));
            }
            if status.starts_with("206") {
                head.push_str(&format!(
                    "Content-Range: bytes 0-{}/{}\r\n",
                    body.len().saturating_sub(1),
                    body.len()
                ));
            }
            head.push_str("\r\n");
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(&body);
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
        }
    });
    format!("http://{addr}")
}

/// The key dash-live shows its media group only.
const HIDDEN_KID: &str = "00112233445566778899aabbccddeeff";
const HIDDEN_KEY: &str = "ffeeddccbbaa99887766554433221100";

/// A stub dash-live server holding the card as stream `moved`, and the
/// card's two files.
fn dash_live_with_card() -> (String, Vec<u8>, Vec<u8>) {
    let card = &card().1;
    let v = std::fs::read(card.join("card_180p.mp4")).unwrap();
    let a = std::fs::read(card.join("card_aac.mp4")).unwrap();
    let list = |hidden: &str| {
        format!(
            r#"{{"keys": [{{"kid": "{KID}", "key": "{KEY}", "computed": false}},
                      {{"kid": "{COMPUTED_KID}", "computed": true}},
                      {{"kid": "{HIDDEN_KID}", {hidden}"computed": false}}],
            "csrf_tokens": {{"streams": "x"}},
            "streams": [{{"pk": 1, "directory": "moved", "title": "Moved over", "marlin_la_url": "", "playready_la_url": null,
                          "timing_reference": {{"media_name": "card_180p", "segment_duration": 96000}},
                          "media_files": [{{"name": "card_180p", "pk": 1}}, {{"name": "card_aac", "pk": 2}}]}}]}}"#
        )
    };
    let host = stub_dash_live(
        vec![
            ("/dash/odvod/moved/card_180p.mp4".into(), v.clone()),
            ("/dash/odvod/moved/card_aac.mp4".into(), a.clone()),
        ],
        list(""),
        list(&format!(r#""key": "{HIDDEN_KEY}", "#)),
    );
    (host, v, a)
}

#[test]
fn a_dash_live_server_is_downloaded_into_a_catalog_that_builds() {
    let (host, v, a) = dash_live_with_card();
    let c = Client::connect(&host, &Auth::Anonymous).unwrap();
    let source = download::detect(&c).unwrap();
    assert_eq!(source, download::Source::DashLive);
    let dest = tempfile::tempdir().unwrap();
    let config = dest.path().join("config");
    // Names that share a file's inode, where the media goes and beside it:
    // the download writes through neither.
    let victim = dest.path().join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    std::fs::create_dir_all(config.join("media/moved")).unwrap();
    for name in ["card_180p.mp4", ".card_180p.mp4.part", ".card_aac.mp4.part"] {
        std::fs::hard_link(&victim, config.join("media/moved").join(name)).unwrap();
    }
    let lines = Lines::default();
    let written = download::download(&c, source, &config, &lines).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    assert_eq!(written, vec![config.join("streams/moved.yaml")]);
    assert!(std::fs::read(config.join("media/moved/card_180p.mp4")).unwrap() == v);
    assert!(std::fs::read(config.join("media/moved/card_aac.mp4")).unwrap() == a);
    let yaml = std::fs::read_to_string(&written[0]).unwrap();
    assert!(
        yaml.contains("title: Moved over") && yaml.contains("timing_ref: card_180p"),
        "{yaml}"
    );
    assert!(yaml.contains(KEY) && yaml.contains(COMPUTED_KID), "{yaml}");
    // The key whose value dash-live hid is left out, and said.
    assert!(!yaml.contains(HIDDEN_KID), "{yaml}");
    assert!(lines
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains(HIDDEN_KID)));
    dashlive::build::build(&config, Some(&dest.path().join("out"))).unwrap();
    assert!(dest
        .path()
        .join("out/dash/vod/moved/hand_made.mpd")
        .is_file());
}

#[test]
fn logged_in_to_dash_live_the_download_brings_the_keys_it_hides() {
    let (host, _, _) = dash_live_with_card();
    let login = |password: &str| {
        let mut c = Client::connect(&host, &Auth::Anonymous).unwrap();
        let auth = Auth::Login {
            username: "mia".into(),
            password: password.into(),
        };
        c.login_dash_live(&auth).map(|()| c)
    };
    let e = login("wrong").err().expect("a wrong password is refused");
    assert!(
        e.to_string().contains("Incorrect username or password") && e.to_string().contains("401"),
        "{e}"
    );
    let c = login("secret").unwrap();
    let dest = tempfile::tempdir().unwrap();
    let lines = Lines::default();
    let written = download::download(&c, download::Source::DashLive, dest.path(), &lines).unwrap();
    let yaml = std::fs::read_to_string(&written[0]).unwrap();
    assert!(
        yaml.contains(HIDDEN_KID) && yaml.contains(HIDDEN_KEY),
        "{yaml}"
    );
    assert!(lines
        .0
        .lock()
        .unwrap()
        .iter()
        .all(|l| !l.contains("left out")));
}
