//! Malformed requests, sent raw to a running `dashlive-origin`: traversal in
//! every encoding, bytes that are not UTF-8, 64 KB URLs, many and huge
//! headers, every option with wrong-typed, empty, negative, enormous and
//! repeated values, bad ranges, segment numbers at the edges of u64, unknown
//! names at every path level, every method, bodies on GET. Each must get an
//! answer — never a dropped connection, never a 5xx — and a 4xx says what
//! was wrong.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The origin under test, stopped when dropped.
struct Origin {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Origin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A test card (two 0.96 s segments a loop) built into a tree, served.
fn start() -> Origin {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    let mut o = dashlive::media::synth::SynthOptions::new(media);
    o.duration_ms = 1920;
    o.segment_ms = 960;
    o.ladder = dashlive::media::synth::parse_ladder("320x180@300k").unwrap();
    o.prefix = "card".into();
    dashlive::media::synth::synth(&o).unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("streams")).unwrap();
    std::fs::write(
        config.join("streams/card.yaml"),
        "directory: card\ntitle: Test card\nmedia:\n  - ../../media/card_180p.mp4\n  - ../../media/card_aac.mp4\ntiming_ref: card_180p\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    dashlive::build::build(&config, Some(&out)).unwrap();
    let settings = dir.path().join("settings.env");
    std::fs::write(&settings, "").unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_dashlive-origin"))
        .current_dir(dir.path())
        .args([
            "--no-build",
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .arg("--out")
        .arg(&out)
        .arg("--settings")
        .arg(&settings)
        .arg("--players")
        .arg(dir.path().join("no-players"))
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the origin starts");
    let origin = Origin {
        child,
        port,
        _dir: dir,
    };
    for _ in 0..400 {
        if let Ok(r) = send(
            origin.port,
            b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        ) {
            if r.status == 200 {
                return origin;
            }
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the origin did not answer /healthz");
}

#[derive(Debug)]
struct Answer {
    status: u16,
    body: String,
}

/// Sends raw bytes on a new connection and reads the whole answer.
fn send(port: u16, request: &[u8]) -> std::io::Result<Answer> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.write_all(request)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| text.strip_prefix("HTTP/1.0 "))
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("no status line in {} bytes", raw.len()),
            )
        })?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok(Answer { status, body })
}

/// `GET <target>` with a Host, closing after the answer.
fn get(target: &[u8], headers: &str) -> Vec<u8> {
    let mut r = b"GET ".to_vec();
    r.extend_from_slice(target);
    r.extend_from_slice(b" HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\n");
    r.extend_from_slice(headers.as_bytes());
    r.extend_from_slice(b"\r\n");
    r
}

/// What the suite checks of every answer: one came, it is not a 5xx, and
/// a 4xx of ours names the problem (`404 Not Found: <what>`). The HTTP
/// parser's own refusals of what is not HTTP at all (400, 414, 431, before
/// any handler runs) carry their meaning in the status alone.
fn check(port: u16, what: &str, request: &[u8], counted: &mut usize) -> Answer {
    let a = send(port, request).unwrap_or_else(|e| panic!("{what}: no answer: {e}"));
    assert!(a.status < 500, "{what}: {} {}", a.status, a.body);
    assert!(a.status >= 200, "{what}: {}", a.status);
    let parser_refusal = matches!(a.status, 400 | 414 | 431) && a.body.is_empty();
    if (400..500).contains(&a.status) && !parser_refusal {
        let prefix = format!("{} ", a.status);
        // Plain text `404 why`, an admin page saying why in its alert, or
        // the licence server's JSON `{"error": why}`.
        let says = (a.body.starts_with(&prefix) && a.body.trim_end().len() > prefix.len() + 12)
            || a.body.contains("role=\"alert\">")
            || (a.body.starts_with("{\"error\":\"") && a.body.len() > 24);
        assert!(
            says,
            "{what}: a {} that says nothing: {:?}",
            a.status, a.body
        );
    }
    *counted += 1;
    a
}

#[test]
fn no_malformed_request_gets_a_5xx_or_a_dropped_connection() {
    let origin = start();
    let port = origin.port;
    let mut n = 0;
    let mut seen = std::collections::HashSet::new();
    let mut go = |what: String, request: Vec<u8>| -> Answer {
        assert!(seen.insert(request.clone()), "{what}: sent twice");
        check(port, &what, &request, &mut n)
    };

    // Traversal in every encoding, under every prefix: never a file outside.
    let prefixes = [
        "/",
        "/dash/vod/card/",
        "/dash/live/card/",
        "/dash/live/card/card_180p/",
        "/dash/live/card/card_180p/time/",
        "/play/vod/card/",
        "/players/",
        "/time/",
    ];
    let escapes = [
        "../../../../etc/passwd",
        "..%2f..%2f..%2fetc%2fpasswd",
        "%2e%2e/%2e%2e/etc/passwd",
        "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "%252e%252e%252fetc%252fpasswd",
        "..%5c..%5c..%5cetc%5cpasswd",
        "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
        ".%2e/.%2e/etc/passwd",
        "..;/..;/etc/passwd",
        ".dashlive/index.json",
        "%2edashlive/index.json",
        "x%00.mpd",
    ];
    for p in prefixes {
        for e in escapes {
            let a = go(
                format!("traversal {p}{e}"),
                get(format!("{p}{e}").as_bytes(), ""),
            );
            assert!(!a.body.contains("root:"), "{p}{e} leaked a file");
            assert!(
                !a.body.contains("\"fingerprint\""),
                "{p}{e} leaked the index"
            );
        }
    }

    // Bytes that are not UTF-8, raw and percent-encoded.
    for target in [
        &b"/dash/live/card/\xff\xfe.mpd"[..],
        b"/dash/vod/card/hand_made.mpd?abr=\xff",
        b"/\x80",
        b"/dash/live/card/card_180p/\xc3\x28.m4v",
        b"/dash/live/card/hand_made.mpd?%ff%fe=%ff",
        b"/dash/live/card/hand_made.mpd?start=%ff",
        b"/dash/live/card/%ff%fe/1.m4v",
        b"/time/%ff",
        b"/play/live/card/hand_made.mpd?player=%c3%28",
        b"/dash/vod/card/hand_made.mpd?tlang=%ed%a0%80",
    ] {
        go(
            format!("non-UTF-8 {}", String::from_utf8_lossy(target)),
            get(target, ""),
        );
    }

    // 64 KB URLs: in the path and in the query.
    let long = "a".repeat(64 * 1024);
    go(
        "64 KB path".into(),
        get(format!("/dash/live/card/{long}.mpd").as_bytes(), ""),
    );
    go(
        "64 KB query".into(),
        get(
            format!("/dash/live/card/hand_made.mpd?x={long}").as_bytes(),
            "",
        ),
    );
    go(
        "64 KB value".into(),
        get(
            format!("/dash/live/card/hand_made.mpd?main_audio={long}").as_bytes(),
            "",
        ),
    );
    go(
        "60 KB query".into(),
        get(
            format!("/time/xsd?{}", "a=1&".repeat(15_000)).as_bytes(),
            "",
        ),
    );

    // Many headers, and huge ones.
    let many: String = (0..500).map(|i| format!("X-H{i}: {i}\r\n")).collect();
    go("500 headers".into(), get(b"/healthz", &many));
    go(
        "a 200 KB header".into(),
        get(
            b"/healthz",
            &format!("X-Big: {}\r\n", "b".repeat(200 * 1024)),
        ),
    );
    go(
        "a 200 KB cookie".into(),
        get(
            b"/dash/live/card/hand_made.mpd",
            &format!("Cookie: a={}\r\n", "c".repeat(200 * 1024)),
        ),
    );
    go(
        "a header without a colon".into(),
        get(b"/healthz", "NoColonHere\r\n"),
    );
    go(
        "a header with a control byte".into(),
        get(b"/healthz", "X-A: a\x01b\r\n"),
    );

    // Every option with wrong-typed, empty, negative, enormous and repeated
    // values, on a live manifest, a live segment and a vod manifest.
    let values = [
        "x",
        "",
        "-1",
        "99999999999999999999",
        "1e9",
        "%00",
        "none",
        "1,2,,3",
        "==",
    ];
    for def in dashlive::options::OPTIONS {
        for v in values {
            for base in [
                "/dash/live/card/hand_made.mpd?",
                "/dash/vod/card/hand_made.mpd?",
            ] {
                let target = format!("{base}{}={v}", def.cgi);
                let a = go(target.clone(), get(target.as_bytes(), ""));
                if a.status == 400 {
                    assert!(a.body.contains(def.cgi), "{target}: {}", a.body);
                }
            }
        }
        let target = format!("/dash/live/card/hand_made.mpd?{0}=1&{0}=2", def.cgi);
        go(target.clone(), get(target.as_bytes(), ""));
        let target = format!(
            "/dash/live/card/card_180p/init.m4v?{}=-99999999999",
            def.cgi
        );
        go(target.clone(), get(target.as_bytes(), ""));
    }

    // Bad Range headers on a static and a live segment, and a manifest.
    for url in [
        "/dash/vod/card/card_180p/1.m4v",
        "/dash/live/card/card_180p/init.m4v",
        "/dash/live/card/hand_made.mpd",
    ] {
        for range in [
            "bytes=abc",
            "bytes=5-1",
            "bytes=-0",
            "bytes=99999999999999999999999-",
            "bytes=18446744073709551615-18446744073709551615",
            "items=0-1",
            "bytes=0-1,2-3",
            "bytes=",
            "bytes=--1",
        ] {
            go(
                format!("{url} Range: {range}"),
                get(url.as_bytes(), &format!("Range: {range}\r\n")),
            );
        }
    }

    // Segment numbers and times at the edges of u64.
    for v in [
        "0",
        "1",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999999",
        "-1",
        "+1",
        "01",
        "1.5",
        "1e3",
        "0x10",
        " 1",
    ] {
        for path in [
            "/dash/live/card/card_180p/",
            "/dash/live/card/card_180p/time/",
            "/dash/live/card/card_aac/",
        ] {
            let ext = if path.contains("aac") { "m4a" } else { "m4v" };
            let target = format!("{path}{}.{ext}", v.replace(' ', "%20"));
            go(target.clone(), get(target.as_bytes(), ""));
        }
    }

    // Unknown names at every path level.
    for target in [
        "/nothing",
        "/dash/nothing",
        "/dash/nothing/",
        "/dash/vod/nothing/hand_made.mpd",
        "/dash/live/nothing/hand_made.mpd",
        "/dash/live/card/nothing.mpd",
        "/dash/live/card/nothing",
        "/dash/live/card/nothing/1.m4v",
        "/dash/live/card/card_180p/nothing",
        "/dash/live/card/card_180p/time/nothing.m4v",
        "/dash/live/card/card_180p/a/b/c",
        "/dash/vod/card/nothing/1.m4v",
        "/dash/odvod/card/nothing.mp4",
        "/dash/unknown_mode/card/hand_made.mpd",
        "/time/nothing",
        "/time/",
        "/play/live/nothing/hand_made.mpd",
        "/play/live/card/nothing.mpd",
        "/players/nothing/x.js",
        "/dash/hand_made.mpd?mode=nothing",
        "/dash/card/nothing.mpd",
        // The routes of DRM, patches, multi-period, the admin side.
        "/patch/card/hand_made/nothing",
        "/patch/card/hand_made/99999999999999999999999",
        "/patch/card/hand_made/-1.5",
        "/patch/nothing/hand_made/1700000000",
        "/patch/card/nothing/1700000000",
        "/mps/vod/nothing/hand_made.mpd",
        "/mps/live/nothing/hand_made.mpd",
        "/mps/nothing/nothing/hand_made.mpd",
        "/mps/live/nothing/p/card_180p/1.m4v",
        "/admin/",
        "/admin/users/%ff",
        "/admin/streams/..%2f..",
        "/admin/programmes/..%2f..",
        "/admin/programmes/%ff",
        "/admin/programme.js?x=%ff",
        // The validator's page: only http(s) URLs, bounded options.
        "/validate?url=file:///etc/passwd",
        "/validate?url=",
        "/validate?url=%ff%fe",
        "/validate?url=http://127.0.0.1:1/x.mpd&duration=999999999999",
        "/validate?url=http://127.0.0.1:1/x.mpd&segments=-1",
        "/validate?url=http://127.0.0.1:1/x.mpd&segments=99999999999999999999",
        // Link-local (cloud metadata): refused before any connection.
        "/validate?url=http://169.254.169.254/latest/meta-data/",
        "/validate?url=http://[fe80::1]/x.mpd",
        "/validate/validate.js?x=%ff",
        "/clearkey",
        "/dash/vod/card/card_180p/1.m4v?drm=clearkey&enc=nothing",
        "/dash/vod/card/card_180p/99999999999999999999.m4v?enc=cenc&drm=clearkey",
        "/dash/live/card/card_180p/1.m4v?events=ping&ping__interval=0",
        "/dash/live/card/card_180p/1.m4v?vcorrupt=1&frames=99999999999",
        "/dash/live/card/card_180p/1.m4v?verr=999=1&failures=99999999999",
    ] {
        go(target.into(), get(target.as_bytes(), ""));
    }

    // Every method, on a live manifest, a static file, /time and the root.
    for method in [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "FOO",
    ] {
        for url in [
            "/dash/live/card/hand_made.mpd",
            "/dash/vod/card/hand_made.mpd",
            "/time/xsd",
            "/",
        ] {
            let request = format!("{method} {url} HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
            let a = go(format!("{method} {url}"), request.into_bytes());
            if !matches!(method, "GET" | "HEAD" | "OPTIONS" | "CONNECT" | "FOO") {
                assert_eq!(a.status, 405, "{method} {url}");
            }
        }
    }

    // State-changing admin routes without a session: refused before any body is read.
    for url in [
        "/admin/programmes",
        "/admin/programmes/x",
        "/admin/validate",
    ] {
        let body = "name=..%2f..&url=file%3A%2F%2F%2Fetc%2Fpasswd&directory=..";
        let request = format!(
            "POST {url} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let a = go(format!("POST {url}"), request.into_bytes());
        assert!((400..500).contains(&a.status), "POST {url}: {}", a.status);
    }

    // The ClearKey licence: bodies that are not the EME request it takes.
    for body in [
        &b""[..],
        b"{",
        b"null",
        b"{\"kids\": 5}",
        b"{\"kids\": [\"%%%\"]}",
        b"{\"kids\": [\"AAAAAAAAAAAAAAAAAAAAAA\"], \"type\": []}",
        b"\xff\xfe",
    ] {
        let mut request = format!(
            "POST /clearkey HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        go(format!("POST /clearkey {body:?}"), request);
    }

    // Bodies on GET, declared and chunked; and the request line itself.
    for request in [
        &b"GET /time/xsd HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello"[..],
        b"GET /time/iso HTTP/1.1\r\nHost: t\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: -1\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
        b"GET /healthz HTTP/1.0\r\n\r\n",
        b"GET /healthz HTTP/9.9\r\nHost: t\r\n\r\n",
        b"GET  /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        b"GET http://elsewhere.test/healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        b"GET * HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        // Empty lines before a request are skipped (RFC 9112 §2.2).
        b"\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        b"NOT HTTP AT ALL\r\n\r\n",
        b"GET /healthz\r\n\r\n",
    ] {
        go(format!("raw {:?}", String::from_utf8_lossy(request)), request.to_vec());
    }

    assert!(n >= 200, "only {n} requests");
    eprintln!("{n} malformed requests, every one answered, none with a 5xx");
    // Still serving.
    let a = send(port, &get(b"/healthz", "")).unwrap();
    assert_eq!((a.status, a.body.as_str()), (200, "ok\n"));
    assert!(Path::new(env!("CARGO_BIN_EXE_dashlive-origin")).exists());
}
