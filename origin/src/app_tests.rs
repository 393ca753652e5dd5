//! The origin end to end at a fixed clock: a generated test card built into
//! a tree, served by [`App::handle`] as the HTTP layer would call it.

use std::sync::OnceLock;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, DATE};
use hyper::{HeaderMap, Method, StatusCode, Uri};

use dashlive::mp4::patch::find_patch_points;

use crate::app::App;
use crate::cors::AllowedDomains;

/// 2023-11-14T22:13:20Z.
pub(crate) const NOW: i64 = 1_700_000_000_000;
pub(crate) const START: &str = "2023-11-14T00:00:00Z";
const START_MS: i64 = NOW - ELAPSED_S as i64 * 1000;
/// Seconds from START to NOW.
const ELAPSED_S: u64 = 80_000;
/// The card: 1.92 s of 0.96 s segments, so a loop is two segments.
const SEGMENT_MS: u64 = 960;

pub(crate) struct Fixture {
    _dir: tempfile::TempDir,
    pub(crate) app: App,
}

pub(crate) fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        let mut o = dashlive::media::synth::SynthOptions::new(media);
        o.duration_ms = 1920;
        o.segment_ms = SEGMENT_MS;
        o.ladder = dashlive::media::synth::parse_ladder("320x180@300k").unwrap();
        o.prefix = "card".into();
        dashlive::media::synth::synth(&o).unwrap();
        let config = dir.path().join("config");
        std::fs::create_dir_all(config.join("streams")).unwrap();
        std::fs::write(
            config.join("streams/card.yaml"),
            "directory: card\ntitle: Test card\nmedia:\n  - ../../media/card_180p.mp4\n  - ../../media/card_aac.mp4\ntiming_ref: card_180p\nkeys:\n  - kid: 0123456789abcdef0123456789abcdef\n    key: 00112233445566778899aabbccddeeff\n",
        )
        .unwrap();
        // The same media with a short window in the stream's defaults.
        std::fs::write(
            config.join("streams/short.yaml"),
            "directory: short\ntitle: Short window\nmedia:\n  - ../../media/card_180p.mp4\n  - ../../media/card_aac.mp4\ntiming_ref: card_180p\ndefaults:\n  depth: 30\n  leeway: 0\n",
        )
        .unwrap();
        // A multi-period programme of the card: show, ad break (SCTE-35 at
        // its start), show again.
        std::fs::create_dir_all(config.join("mps")).unwrap();
        std::fs::write(
            config.join("mps/prog.yaml"),
            "name: prog\ntitle: Card with a break\noptions: {}\nperiods:\n  - {id: a, stream: card, start: 0, duration: 0.96}\n  - {id: ad, stream: card, role: ad, start: 0, duration: 0.96}\n  - {id: b, stream: card, start: 0.96, duration: 0.96}\n",
        )
        .unwrap();
        let out = dir.path().join("out");
        dashlive::build::build(&config, Some(&out)).unwrap();
        let app = App::new(
            &out,
            AllowedDomains::default_domains(),
            crate::play::Players::none(),
        )
        .unwrap();
        Fixture { _dir: dir, app }
    })
}

/// The built tree of the fixture, for tests that start origins of their own on it.
pub(crate) fn tree_out() -> std::path::PathBuf {
    fixture()._dir.path().join("out")
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    hold: Option<crate::live::HoldUntil>,
}

impl Answer {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub(crate) fn header(&self, name: impl hyper::header::AsHeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn request(method: Method, url: &str, headers: &[(&str, &str)], clock: i64) -> Answer {
    request_with_body(method, url, headers, Bytes::new(), clock).await
}

async fn request_with_body(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Bytes,
    clock: i64,
) -> Answer {
    let f = fixture();
    let uri: Uri = url.parse().unwrap();
    let mut req = hyper::Request::builder().method(method).uri(uri);
    req = req.header("host", "origin.test");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(http_body_util::Full::new(body)).unwrap();
    let (_, response) = f.app.handle(req, clock).await;
    answer(response).await
}

pub(crate) async fn answer(response: hyper::Response<crate::body::Body>) -> Answer {
    let (parts, body) = response.into_parts();
    Answer {
        status: parts.status,
        hold: parts.extensions.get().copied(),
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

async fn get(url: &str) -> Answer {
    request(Method::GET, url, &[], NOW).await
}

/// The `mfhd` sequence number and the `tfdt` of a media segment.
fn fields(segment: &[u8]) -> (u32, u64) {
    let p = find_patch_points(segment).unwrap();
    let pos = p.sequence_number[0] as usize;
    let seq = u32::from_be_bytes(segment[pos..pos + 4].try_into().unwrap());
    (seq, p.decode_time[0].1)
}

fn video_timescale() -> u64 {
    let snapshot = fixture().app.snapshot();
    let s = &snapshot.tree.streams["card"];
    u64::from(s.reps["card_180p"].index.representation.timescale)
}

#[tokio::test]
async fn a_live_manifest_for_the_clock() {
    let a = get(&format!("/dash/live/card/hand_made.mpd?start={START}")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.header(CONTENT_TYPE), "application/dash+xml");
    let xml = a.text();
    assert!(xml.contains(r#"type="dynamic""#), "{xml}");
    assert!(xml.contains(&format!(r#"availabilityStartTime="{START}""#)));
    assert!(xml.contains("<BaseURL>http://origin.test/dash/live/card/</BaseURL>"));
    assert!(xml.contains(&format!(
        "<Location>http://origin.test/dash/live/card/hand_made.mpd?start={START}</Location>"
    )));
    // Every live template answers.
    for m in [
        "manifest_a",
        "manifest_e",
        "manifest_ef",
        "manifest_h",
        "manifest_i",
        "manifest_n",
    ] {
        let a = get(&format!("/dash/live/card/{m}.mpd")).await;
        assert_eq!(a.status, StatusCode::OK, "{m}: {}", a.text());
    }
    // The `now` override pins the clock and travels into segment URLs.
    let a = request(
        Method::GET,
        "/dash/live/card/hand_made.mpd?now=2023-11-14T22:13:20Z",
        &[],
        0,
    )
    .await;
    assert!(a.text().contains(&format!("now={NOW}")), "{}", a.text());
}

#[tokio::test]
async fn bad_requests_name_what_was_wrong() {
    let cases = [
        ("/dash/live/card/hand_made.mpd?depth=abc", 400, "depth"),
        ("/dash/live/card/hand_made.mpd?acodec=opus", 400, "acodec"),
        (
            "/dash/live/card/hand_made.mpd?start=2030-01-01T00:00:00Z",
            400,
            "after now",
        ),
        (
            "/dash/live/card/hand_made.mpd?now=yesterday",
            400,
            "now=yesterday",
        ),
        (
            "/dash/live/card/hand_made.mpd?drm=fairplay",
            400,
            "\"fairplay\" is not a DRM",
        ),
        (
            "/dash/live/card/hand_made.mpd?start=2023-11-14T00:00:00Z&events=ping&ping__inband=0&ping__count=1000000&ping__interval=1&ping__timescale=1",
            400,
            "events in the MPD: at most 10000 are allowed",
        ),
        (
            "/dash/live/card/nonesuch.mpd",
            404,
            "no manifest template nonesuch",
        ),
        (
            "/dash/live/card/manifest_b.mpd",
            404,
            "manifest_b has no live mode",
        ),
        (
            "/dash/live/nostream/hand_made.mpd",
            404,
            "no stream nostream",
        ),
        (
            "/dash/live/card/card_zzz/1.m4v",
            404,
            "no representation card_zzz",
        ),
        (
            "/dash/live/card/card_180p/abc.m4v",
            404,
            "not a segment name",
        ),
        ("/dash/live/card/card_180p/1.txt", 404, "not a segment name"),
        ("/dash/live/card/card_180p/0.m4v", 404, "no segment"),
        ("/time/sundial", 404, "no time method sundial"),
        ("/dash/vod/card/hand_made.mpd?abr=maybe", 400, "abr"),
        ("/dash/vod/card/../../etc/passwd", 404, ""),
    ];
    for (url, status, words) in cases {
        let a = get(url).await;
        assert_eq!(a.status.as_u16(), status, "{url}: {}", a.text());
        assert!(a.text().contains(words), "{url}: {}", a.text());
    }
    // Unknown parameters are ignored, as dash-live ignores them.
    assert_eq!(
        get("/dash/live/card/hand_made.mpd?zzz=1").await.status,
        StatusCode::OK
    );
}

/// The newest complete segment at NOW.
fn newest_number() -> u64 {
    1 + ELAPSED_S * 1000 / SEGMENT_MS - 1
}

#[tokio::test]
async fn live_segments_are_patched_copies_and_only_while_available() {
    let n = newest_number();
    let url = |n: u64| format!("/dash/live/card/card_180p/{n}.m4v?start={START}");
    let a = get(&url(n)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.header(CONTENT_TYPE), "video/mp4");
    assert_eq!(
        a.header(CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    let ts = video_timescale();
    let (seq, tfdt) = fields(&a.body);
    assert_eq!(u64::from(seq), n);
    assert_eq!(tfdt, (n - 1) * SEGMENT_MS * ts / 1000);
    // The same segment by time: the same bytes.
    let t = get(&format!(
        "/dash/live/card/card_180p/time/{tfdt}.m4v?start={START}"
    ))
    .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text());
    assert_eq!(t.body, a.body);
    // Byte ranges of a patched segment.
    let part = request(Method::GET, &url(n), &[("range", "bytes=0-99")], NOW).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(&part.body[..], &a.body[..100]);
    assert_eq!(
        part.header("content-range"),
        format!("bytes 0-99/{}", a.body.len())
    );
    let past = request(Method::GET, &url(n), &[("range", "bytes=99999999-")], NOW).await;
    assert_eq!(past.status, StatusCode::RANGE_NOT_SATISFIABLE);
    // The next one is not complete yet; one far behind the window is gone.
    for gone in [
        n + 1,
        n - 1800 * 1000 / SEGMENT_MS - 16 * 1000 / SEGMENT_MS - 2,
    ] {
        let miss = get(&url(gone)).await;
        assert_eq!(miss.status, StatusCode::NOT_FOUND, "{gone}");
        assert_eq!(miss.header(CACHE_CONTROL), "public, max-age=2");
        assert!(miss.text().contains("is not available"), "{}", miss.text());
    }
    // The one in progress is held until it is complete, then served; one
    // further ahead is not, nor any when the clock is pinned.
    let in_progress = get(&url(n + 1)).await;
    let complete_at = START_MS + (n + 1) as i64 * SEGMENT_MS as i64;
    assert_eq!(
        in_progress.hold,
        Some(crate::live::HoldUntil(complete_at)),
        "{}",
        in_progress.text()
    );
    assert_eq!(get(&url(n + 2)).await.hold, None);
    let pinned = get(&format!("{}&now={NOW}", url(n + 1))).await;
    assert_eq!((pinned.status, pinned.hold), (StatusCode::NOT_FOUND, None));
    let later = request(Method::GET, &url(n + 1), &[], complete_at).await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.text());
    assert_eq!(u64::from(fields(&later.body).0), n + 1);
    // Consecutive segments run on across the loop boundary (2 segments a loop).
    let mut previous: Option<u64> = None;
    for k in n - 4..=n {
        let (seq, tfdt) = fields(&get(&url(k)).await.body);
        assert_eq!(u64::from(seq), k);
        if let Some(p) = previous {
            assert_eq!(tfdt - p, SEGMENT_MS * ts / 1000, "segment {k}");
        }
        previous = Some(tfdt);
    }
    // Audio is there too, aligned with video.
    let a = get(&format!("/dash/live/card/card_aac/{n}.m4a?start={START}")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.header(CONTENT_TYPE), "audio/mp4");
    let (seq, tfdt) = fields(&a.body);
    assert_eq!((u64::from(seq), tfdt), (n, (n - 1) * SEGMENT_MS * 48));
}

#[tokio::test]
async fn live_init_segments_have_no_duration() {
    let a = get("/dash/live/card/card_180p/init.m4v").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert!(a.body.windows(4).any(|w| w == b"moov"));
    assert!(
        !a.body.windows(4).any(|w| w == b"mehd"),
        "live init keeps a mehd"
    );
    let vod = get("/dash/vod/card/card_180p/init.m4v").await;
    assert_eq!(vod.status, StatusCode::OK);
    assert!(vod.body.windows(4).any(|w| w == b"mehd"));
}

#[tokio::test]
async fn vod_manifests_come_from_the_tree_unless_the_query_asks_for_more() {
    let stored = get("/dash/vod/card/hand_made.mpd").await;
    assert_eq!(stored.status, StatusCode::OK);
    assert!(!stored.header("etag").is_empty(), "served as a file");
    let on_disk = std::fs::read(
        fixture()
            .app
            .trees
            .out()
            .join("dash/vod/card/hand_made.mpd"),
    )
    .unwrap();
    assert_eq!(&stored.body[..], &on_disk[..]);
    let rendered = get("/dash/vod/card/hand_made.mpd?timeline=1").await;
    assert_eq!(rendered.status, StatusCode::OK, "{}", rendered.text());
    assert!(rendered.header("etag").is_empty(), "rendered");
    assert!(rendered.text().contains("<SegmentTimeline>"));
    assert!(rendered.text().contains(r#"type="static""#));
    let od = get("/dash/odvod/card/hand_made.mpd?abr=0").await;
    assert_eq!(od.status, StatusCode::OK, "{}", od.text());
    assert!(od.text().contains("<SegmentList"));
}

#[tokio::test]
async fn the_clock_in_every_form_and_behind_by_drift() {
    let a = get("/time/xsd").await;
    assert_eq!(a.text(), "2023-11-14T22:13:20.000Z");
    assert_eq!(a.header(DATE), "Tue, 14 Nov 2023 22:13:20 GMT");
    let a = get("/time/xsd?drift=10").await;
    assert_eq!(a.text(), "2023-11-14T22:13:10.000Z");
    assert_eq!(a.header(DATE), "Tue, 14 Nov 2023 22:13:10 GMT");
    assert_eq!(get("/time/iso").await.text(), "2023-W46-2T22:13:20Z");
    let ntp = get("/time/http-ntp").await;
    assert_eq!(ntp.body.len(), 8);
    assert_eq!(ntp.header(CONTENT_TYPE), "application/octet-stream");
    let head = request(Method::HEAD, "/time/head?now=1000", &[], NOW).await;
    assert!(head.body.is_empty());
    assert_eq!(head.header(DATE), "Thu, 01 Jan 1970 00:00:01 GMT");
}

#[tokio::test]
async fn health_metrics_and_cors() {
    let a = get("/healthz").await;
    assert_eq!((a.status, a.text().as_str()), (StatusCode::OK, "ok\n"));
    let player = "https://reference.dashif.org";
    let a = request(
        Method::GET,
        "/dash/live/card/hand_made.mpd",
        &[("origin", player)],
        NOW,
    )
    .await;
    assert_eq!(a.header("access-control-allow-origin"), player);
    let a = request(
        Method::GET,
        "/dash/live/card/hand_made.mpd",
        &[("origin", "https://evil.example")],
        NOW,
    )
    .await;
    assert_eq!(a.header("access-control-allow-origin"), "");
    let pre = request(
        Method::OPTIONS,
        "/dash/live/card/hand_made.mpd",
        &[("origin", player), ("access-control-request-method", "GET")],
        NOW,
    )
    .await;
    assert_eq!(pre.status, StatusCode::NO_CONTENT);
    assert_eq!(pre.header("access-control-allow-origin"), player);
    // The HTTP layer records; here the metrics text is checked for shape.
    fixture()
        .app
        .metrics
        .record("live_segment", 200, 10, std::time::Duration::from_micros(5));
    let m = get("/metrics").await;
    assert!(
        m.text().contains("dashlive_http_requests_total"),
        "{}",
        m.text()
    );
}

/// The JSON settings a player page hands its script.
fn page_config(html: &str) -> serde_json::Value {
    let start = html.find("application/json\">").unwrap() + "application/json\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[tokio::test]
async fn a_player_page_plays_the_stream_with_the_options_of_its_query() {
    let a = get("/play/live/card/hand_made.mpd?player=shaka&abr=0&timeline=1&shaka=4.11.2").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.header(CONTENT_TYPE), "text/html; charset=utf-8");
    let html = a.text();
    let c = page_config(&html);
    assert_eq!(c["player"], "shaka");
    // The page's own options stay off the MPD URL; the manifest's are kept.
    assert_eq!(
        c["mpd"],
        "http://origin.test/dash/live/card/hand_made.mpd?abr=0&timeline=1"
    );
    // Not installed here: the release URL of the version asked for.
    assert_eq!(
        c["lib"],
        "https://ajax.googleapis.com/ajax/libs/shaka-player/4.11.2/shaka-player.compiled.js"
    );
    assert_eq!(c["timeUrl"], "http://origin.test/time/iso");
    // The loop is the timing reference's length: two 0.96 s segments.
    assert_eq!(c["loopSeconds"], 1.92);
    assert!(html.contains("<script src=\"/play/player.js\"></script>"));
    // Links that switch player keep the options.
    assert!(
        html.contains("href=\"/play/live/card/hand_made.mpd?player=native&#38;abr=0&#38;timeline=1&#38;shaka=4.11.2\""),
        "{html}"
    );
    // The default player is dash.js.
    let c = page_config(&get("/play/vod/card/manifest_a.mpd").await.text());
    assert_eq!(c["player"], "dashjs");
    assert_eq!(c["mpd"], "http://origin.test/dash/vod/card/manifest_a.mpd");
    // Its script.
    let js = get("/play/player.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.text().contains("window.__stats"));
}

#[tokio::test]
async fn player_pages_name_what_is_wrong() {
    let cases = [
        ("/play/live/nope/hand_made.mpd", 404, "no stream nope"),
        ("/play/later/card/hand_made.mpd", 404, "no mode later"),
        ("/play/live/card/manifest_vod_aiv.mpd", 404, "no live mode"),
        (
            "/play/live/card/nothing.mpd",
            404,
            "no manifest template nothing",
        ),
        ("/play/vod/card/hand_made.mpd?player=vlc", 400, "player=vlc"),
        (
            "/play/vod/card/hand_made.mpd?dashjs=../../x",
            400,
            "dashjs=../../x",
        ),
        ("/play/vod/card/hand_made.mpd?abr=2", 400, "abr=2"),
        (
            "/play/live/card/hand_made.mpd?thumbnails=1",
            400,
            "not supported yet",
        ),
        ("/play", 400, "mpd="),
        ("/play?mpd=javascript%3Aalert(1)", 400, "not an http(s) URL"),
        // Nothing installed in this fixture's players folder.
        (
            "/players/dashjs/dist/modern/umd/dash.all.min.js",
            404,
            "/players/",
        ),
    ];
    for (url, status, says) in cases {
        let a = get(url).await;
        assert_eq!(a.status.as_u16(), status, "{url}: {}", a.text());
        assert!(a.text().contains(says), "{url}: {}", a.text());
    }
}

#[tokio::test]
async fn a_player_page_plays_any_mpd() {
    let a = get("/play?player=dashjs&mpd=http%3A%2F%2Fcdn.test%2Fx.mpd%3Fa%3D1").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let c = page_config(&a.text());
    assert_eq!(c["mpd"], "http://cdn.test/x.mpd?a=1");
    let c = page_config(&get("/play?mpd=/dash/vod/card/hand_made.mpd").await.text());
    assert_eq!(c["mpd"], "http://origin.test/dash/vod/card/hand_made.mpd");
}

#[tokio::test]
async fn the_home_page_links_every_stream_manifest_and_mode() {
    let a = get("/").await;
    assert_eq!(a.status, StatusCode::OK);
    let html = a.text();
    for link in [
        "href=\"play/live/card/hand_made.mpd?player=dashjs\"",
        "href=\"play/vod/card/manifest_n.mpd?player=shaka\"",
        "href=\"play/odvod/card/manifest_vod_aiv.mpd?player=native\"",
        "href=\"dash/live/card/manifest_e.mpd\"",
    ] {
        assert!(html.contains(link), "{link}");
    }
    // manifest_vod_aiv is on demand only.
    assert!(!html.contains("play/live/card/manifest_vod_aiv.mpd"));
    // The composer offers every option of the table with its help text.
    for o in dashlive::options::describe() {
        if o.cgi != "mode" {
            assert!(html.contains(&format!("name=\"{}\"", o.cgi)), "{}", o.cgi);
        }
    }
}

// ------------------------------------------------ found trying it as a new user

#[tokio::test]
async fn segments_resolve_the_stream_defaults_as_the_manifest_does() {
    let xml = get(&format!("/dash/live/short/hand_made.mpd?start={START}"))
        .await
        .text();
    assert!(xml.contains(r#"timeShiftBufferDepth="PT30S""#), "{xml}");
    // Ten minutes old: outside a 30 s window without leeway.
    let old = newest_number() - 600 * 1000 / SEGMENT_MS;
    let a = get(&format!(
        "/dash/live/short/card_180p/{old}.m4v?start={START}"
    ))
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text());
    // The default stream keeps it for 30 minutes.
    let a = get(&format!(
        "/dash/live/card/card_180p/{old}.m4v?start={START}"
    ))
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
}

#[tokio::test]
async fn inputs_that_crashed_or_ran_away_are_refused_by_name() {
    let cases = [
        (
            "/dash/live/card/hand_made.mpd?mup=2305843009213693952",
            400,
            "mup=2305843009213693952: expected an integer from -3600 to 3600",
        ),
        (
            "/time/xsd?now=99999999999999999",
            400,
            "now=99999999999999999: expected an instant",
        ),
        (
            "/time/head?now=253402300800000",
            400,
            "now=253402300800000: expected an instant",
        ),
        (
            "/time/iso?drift=-999999999999",
            400,
            "drift=-999999999999: expected an integer from -86400 to 86400",
        ),
        (
            "/dash/live/card/hand_made.mpd?depth=999999999&timeline=1",
            400,
            "depth=999999999: expected an integer from 0 to 86400",
        ),
        (
            "/dash/live/card/hand_made.mpd?now=99999999999999999",
            400,
            "now=99999999999999999",
        ),
        (
            "/dash/live/card/card_180p/18446744073709551615.m4v",
            404,
            "no segment",
        ),
        (
            "/dash/live/card/card_180p/18446744073709551615.m4v?start=epoch",
            404,
            "no segment",
        ),
        (
            "/dash/live/card/card_180p/18446744073709551616.m4v",
            404,
            "not a segment number",
        ),
        (
            "/dash/live/card/hand_made.mpd?main_audio=a%0Ab",
            400,
            "main_audio=a\\nb: control characters",
        ),
    ];
    for (url, status, words) in cases {
        let a = get(url).await;
        assert_eq!(a.status.as_u16(), status, "{url}: {}", a.text());
        assert!(a.text().contains(words), "{url}: {}", a.text());
    }
    // The longest window this server makes, with a timeline, on the test
    // card's 0.96 s segments: answered, and bounded.
    let a = get("/dash/live/card/hand_made.mpd?depth=86400&timeline=1&start=epoch").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.len() < 16 << 20, "{} bytes", a.body.len());
    eprintln!(
        "depth=86400&timeline=1 on the 0.96 s card: {} bytes",
        a.body.len()
    );
}

#[tokio::test]
async fn segment_urls_carry_only_the_options_of_their_track_type() {
    let xml = get("/dash/live/card/hand_made.mpd?acodec=any&depth=60&start=epoch")
        .await
        .text();
    let media: Vec<&str> = xml
        .split("media=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(media.len(), 2, "{xml}");
    let (video, audio) = (media[0], media[1]);
    let start = "start=1970-01-01T00:00:00Z";
    assert!(
        video.ends_with(&format!(".m4v?depth=60&amp;{start}")),
        "{video}"
    );
    assert!(
        audio.ends_with(&format!(".m4a?acodec=any&amp;depth=60&amp;{start}")),
        "{audio}"
    );
}

#[tokio::test]
async fn init_segments_answer_their_own_extension_and_ranges() {
    for (url, status) in [
        ("/dash/live/card/card_180p/init.m4v", 200),
        ("/dash/live/card/card_180p/init.m4a", 404),
        ("/dash/live/card/card_180p/init.mp4", 404),
        ("/dash/live/card/card_aac/init.m4v", 404),
        ("/dash/live/card/card_aac/init.m4a", 200),
    ] {
        let a = get(url).await;
        assert_eq!(a.status.as_u16(), status, "{url}: {}", a.text());
    }
    let n = newest_number();
    let a = get(&format!("/dash/live/card/card_180p/{n}.m4a?start={START}")).await;
    assert_eq!(
        a.status,
        StatusCode::NOT_FOUND,
        "another track type's extension"
    );
    let whole = get("/dash/live/card/card_180p/init.m4v").await;
    assert_eq!(whole.header(CONTENT_TYPE), "video/mp4");
    let part = request(
        Method::GET,
        "/dash/live/card/card_180p/init.m4v",
        &[("range", "bytes=4-11")],
        NOW,
    )
    .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(&part.body[..], &whole.body[4..12]);
    assert_eq!(
        part.header("content-range"),
        format!("bytes 4-11/{}", whole.body.len())
    );
    // An If-Range that cannot match (live answers have no validators): all of it.
    let all = request(
        Method::GET,
        "/dash/live/card/card_180p/init.m4v",
        &[("range", "bytes=4-11"), ("if-range", "\"x\"")],
        NOW,
    )
    .await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body, whole.body);
}

#[tokio::test]
async fn a_manifest_that_writes_the_clock_is_never_pre_rendered() {
    let root = fixture().app.trees.out().to_path_buf();
    let root = &root;
    assert!(!root.join("dash/vod/card/manifest_i.mpd").exists());
    assert!(root.join("dash/vod/card/hand_made.mpd").exists());
    for clock in [NOW, NOW + 1000] {
        let a = request(Method::GET, "/dash/vod/card/manifest_i.mpd", &[], clock).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        let when = dashlive::mpd::time::iso_datetime_ms(clock);
        assert!(
            a.text().contains(&format!(r#"value="{when}""#)),
            "{when}: {}",
            a.text()
        );
    }
}

#[tokio::test]
async fn older_manifest_urls_redirect_and_manifest_e_counts_updates() {
    for (url, location) in [
        ("/dash/hand_made.mpd", "/dash/vod/card/hand_made.mpd"),
        (
            "/dash/enc.mpd?mode=live",
            "/dash/live/card/hand_made.mpd?drm=all",
        ),
        (
            "/dash/short/manifest_a.mpd?mode=live&abr=0",
            "/dash/live/short/manifest_a.mpd?abr=0",
        ),
    ] {
        let a = get(url).await;
        assert_eq!(a.status, StatusCode::FOUND, "{url}: {}", a.text());
        assert_eq!(a.header("location"), location, "{url}");
    }
    assert_eq!(
        get("/dash/nostream/hand_made.mpd").await.status,
        StatusCode::NOT_FOUND
    );
    let xml = get("/dash/live/card/manifest_e.mpd?update=3").await.text();
    let locations: Vec<&str> = xml
        .split("<Location>")
        .skip(1)
        .map(|s| &s[..s.find('<').unwrap()])
        .collect();
    assert_eq!(
        locations,
        [
            "http://origin.test/dash/live/card/manifest_e.mpd?update=4",
            "http://origin.test/dash/live/card/manifest_e.mpd?update=3",
        ]
    );
}

/// The handler contract: methods and body limits from the route table.
#[tokio::test]
async fn methods_bodies_and_preflights_follow_the_route_table() {
    // A read-only route: 405 naming what it answers, with Allow.
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
        for url in ["/dash/live/card/hand_made.mpd", "/index.html", "/healthz"] {
            let a = request(method.clone(), url, &[], NOW).await;
            assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {url}");
            assert_eq!(a.header("allow"), "GET, HEAD, OPTIONS");
            assert!(
                a.text().contains(&format!(
                    "{method} {url}: this URL answers GET, HEAD, OPTIONS"
                )),
                "{}",
                a.text()
            );
        }
    }
    // A route that takes POST and PUT: the body reaches the async handler.
    let echo = request_with_body(
        Method::POST,
        "/_test/echo",
        &[],
        Bytes::from_static(b"licence request"),
        NOW,
    )
    .await;
    assert_eq!(echo.status, StatusCode::OK, "{}", echo.text());
    assert_eq!(echo.text(), "licence request");
    let get = request(Method::GET, "/_test/echo", &[], NOW).await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.header("allow"), "OPTIONS, POST, PUT");
    // Over the limit: 413 naming it, whether the length is declared...
    let big = Bytes::from(vec![b'x'; crate::routes::TEST_BODY_LIMIT as usize + 1]);
    let a = request_with_body(Method::PUT, "/_test/echo", &[], big.clone(), NOW).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(a.text().contains("limit of 16 bytes"), "{}", a.text());
    // ... or only found while reading (a streamed body of unknown length).
    let f = fixture();
    let stream = http_body_util::StreamBody::new(futures_stream(big));
    let req = hyper::Request::post("/_test/echo")
        .header("host", "origin.test")
        .body(stream)
        .unwrap();
    let a = answer(f.app.handle(req, NOW).await.1).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        a.text(),
        "413 Payload Too Large: the request body is over this URL's limit of 16 bytes\n"
    );
    // OPTIONS: Allow, or for a CORS preflight exactly the route's methods.
    let o = request(Method::OPTIONS, "/_test/echo", &[], NOW).await;
    assert_eq!(o.status, StatusCode::NO_CONTENT);
    assert_eq!(o.header("allow"), "OPTIONS, POST, PUT");
    let preflight = |url: &'static str| {
        request(
            Method::OPTIONS,
            url,
            &[
                ("origin", "http://localhost:3000"),
                ("access-control-request-method", "POST"),
            ],
            NOW,
        )
    };
    let p = preflight("/_test/echo").await;
    assert_eq!(p.status, StatusCode::NO_CONTENT);
    assert_eq!(
        p.header("access-control-allow-methods"),
        "OPTIONS, POST, PUT"
    );
    let p = preflight("/dash/live/card/hand_made.mpd").await;
    assert_eq!(
        p.header("access-control-allow-methods"),
        "GET, HEAD, OPTIONS"
    );
    // A body on GET means nothing and is not read.
    let a = request_with_body(
        Method::GET,
        "/healthz",
        &[("content-length", "100000")],
        Bytes::from(vec![b'x'; 100_000]),
        NOW,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
}

/// One chunk at a time, with no length known in advance.
fn futures_stream(
    bytes: Bytes,
) -> impl futures_util::Stream<Item = Result<hyper::body::Frame<Bytes>, std::convert::Infallible>> {
    futures_util::stream::iter(
        bytes
            .chunks(4)
            .map(|c| Ok(hyper::body::Frame::data(Bytes::copy_from_slice(c))))
            .collect::<Vec<_>>(),
    )
}

/// A panic in a handler: 500, counted, and the origin goes on answering.
#[tokio::test]
async fn a_panicking_handler_answers_500_and_is_counted() {
    for _ in 0..2 {
        let a = get("/_test/panic").await;
        assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(a.text().contains("the handler failed"), "{}", a.text());
    }
    let metrics = fixture().app.metrics.render();
    assert!(
        metrics.contains(r#"dashlive_panics_total{route="test_panic"} 2"#),
        "{metrics}"
    );
    assert_eq!(get("/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_http11_request_needs_one_host() {
    let f = fixture();
    let req = hyper::Request::get("/healthz")
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    let a = answer(f.app.handle(req, NOW).await.1).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.text(),
        "400 Bad Request: an HTTP/1.1 request needs a Host header\n"
    );
    let a = request(Method::GET, "/healthz", &[("host", "second.test")], NOW).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text().contains("more than one Host header"));
    // HTTP/2 names the authority in the request instead.
    let req = hyper::Request::get("http://origin.test/healthz")
        .version(hyper::Version::HTTP_2)
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    assert_eq!(f.app.handle(req, NOW).await.1.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_patch_from_the_patch_location_of_a_live_manifest() {
    let a = get("/dash/live/card/hand_made.mpd?patch=1").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let xml = a.text();
    let start = xml.find("<PatchLocation").expect("a PatchLocation");
    let url = xml[start..]
        .split_once('>')
        .and_then(|(_, rest)| rest.split_once('<'))
        .map(|(url, _)| url.replace("&amp;", "&"))
        .unwrap();
    let path = url.strip_prefix("http://origin.test").expect("on the site");
    assert!(path.starts_with("/patch/card/hand_made/"), "{path}");
    // Fetched one update period later: the changes, as a live manifest is cached.
    let later = request(Method::GET, path, &[], NOW + 8_000).await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.text());
    assert_eq!(later.header(CONTENT_TYPE), "application/dash-patch+xml");
    assert_eq!(
        later.header(hyper::header::CACHE_CONTROL),
        a.header(hyper::header::CACHE_CONTROL)
    );
    assert!(later
        .text()
        .contains("<Patch xmlns=\"urn:mpeg:dash:schema:mpd-patch:2020\""));
    // From an MPD the origin never published (the future): 400; the route
    // of a template without patches: 404.
    let future = request(Method::GET, path, &[], NOW - 60_000).await;
    assert_eq!(future.status, StatusCode::BAD_REQUEST, "{}", future.text());
    let a = get("/patch/card/manifest_a/1700000000").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text());
}

#[tokio::test]
async fn the_clearkey_licence_gives_the_keys_it_has_and_refuses_bad_requests() {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let kid = [
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
        0xef,
    ];
    let body = format!(
        r#"{{"kids":["{}","{}"],"type":"temporary"}}"#,
        b64(&kid),
        b64(&[9; 16])
    );
    let origin = [("origin", "https://reference.dashif.org")];
    let a = request_with_body(Method::POST, "/clearkey", &origin, Bytes::from(body), NOW).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.header("content-type"), "application/json");
    assert_eq!(
        a.header("access-control-allow-origin"),
        "https://reference.dashif.org"
    );
    let json: serde_json::Value = serde_json::from_slice(&a.body).unwrap();
    let keys = json["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "the unknown KID is left out: {json}");
    assert_eq!(
        keys[0]["k"],
        b64(&[
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff
        ])
    );
    for (body, why) in [("{}", "kids property missing"), ("{kids", "not JSON")] {
        let a = request_with_body(Method::POST, "/clearkey", &[], Bytes::from(body), NOW).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(a.text().contains(why), "{body}: {}", a.text());
    }
    let big = Bytes::from(vec![b' '; 5000]);
    let a = request_with_body(Method::POST, "/clearkey", &[], big, NOW).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        get("/clearkey").await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn clear_content_is_encrypted_on_the_fly_with_the_streams_key() {
    let has = |a: &Answer, what: &[u8]| a.body.windows(what.len()).any(|w| w == what);
    let kid = [
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
        0xef,
    ];
    for scheme in ["cenc", "cbcs"] {
        let q = format!("drm=clearkey-cenc&enc={scheme}");
        let mpd = get(&format!("/dash/vod/card/hand_made.mpd?{q}")).await;
        assert_eq!(mpd.status, StatusCode::OK, "{}", mpd.text());
        let xml = mpd.text();
        assert!(
            xml.contains(&format!(
                "value=\"{scheme}\" cenc:default_KID=\"01234567-89AB-CDEF-0123-456789ABCDEF\""
            )),
            "{xml}"
        );
        let in_xml = q.replace('&', "&amp;");
        assert!(
            xml.contains(&format!("init.m4v?{in_xml}")),
            "segment URLs carry the options: {xml}"
        );
        let init = get(&format!("/dash/vod/card/card_180p/init.m4v?{q}")).await;
        assert_eq!(init.status, StatusCode::OK, "{}", init.text());
        assert!(has(&init, b"encv") && has(&init, b"tenc") && has(&init, &kid));
        assert!(!has(&init, b"pssh"), "no moov location asked");
        let media = get(&format!("/dash/vod/card/card_180p/1.m4v?{q}")).await;
        assert_eq!(media.status, StatusCode::OK, "{}", media.text());
        assert!(has(&media, b"senc"));
        let audio = get(&format!("/dash/live/card/card_aac/init.m4a?{q}")).await;
        assert!(has(&audio, b"enca"), "live audio too");
    }
    // The moov location appends the W3C pssh; without drm, clear bytes.
    let init = get("/dash/vod/card/card_180p/init.m4v?drm=clearkey-moov&enc=cenc").await;
    assert!(has(&init, b"pssh") && has(&init, b"encv"));
    let clear = get("/dash/vod/card/card_180p/init.m4v?enc=cenc").await;
    assert!(!has(&clear, b"encv"));
    let bad = get("/dash/vod/card/hand_made.mpd?drm=clearkey&enc=aes").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text());
}

/// The `emsg` boxes at the head of a segment.
fn emsgs(segment: &[u8]) -> Vec<dashlive::mp4::boxes::Emsg> {
    dashlive::mp4::boxes(segment)
        .map(|b| b.unwrap())
        .filter(|b| b.typ() == b"emsg")
        .map(|b| dashlive::mp4::boxes::Emsg::parse(b.payload()).unwrap())
        .collect()
}

#[tokio::test]
async fn inband_events_count_on_across_loops_once_each() {
    let n = newest_number();
    // An event every 0.5 s (in a 1 kHz timescale) from 0.25 s: one or two a
    // 0.96 s segment, and every loop of the 1.92 s card holds four.
    let q = format!(
        "start={START}&events=ping,scte35&ping__timescale=1000&ping__interval=500\
         &ping__start=250&ping__version=1&scte35__interval=1920&scte35__timescale=1000"
    );
    let ts = video_timescale();
    let mut ping_ids = Vec::new();
    let mut scte_ids = Vec::new();
    for k in n - 5..=n {
        let a = get(&format!("/dash/live/card/card_180p/{k}.m4v?{q}")).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        // Events cache like their segment: the URL pins the clock.
        assert_eq!(
            a.header(CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        let (_, tfdt) = fields(&a.body);
        let (from, to) = (
            tfdt * 1000 / ts,
            (tfdt + SEGMENT_MS * ts / 1000) * 1000 / ts,
        );
        for e in emsgs(&a.body) {
            assert!(
                (from..to).contains(&e.presentation_time),
                "{e:?} in {from}..{to}"
            );
            match e.scheme_id_uri.as_str() {
                "urn:dash-live:pingpong:2022" => {
                    assert_eq!(e.presentation_time, 250 + u64::from(e.id) * 500);
                    let want: &[u8] = if e.id % 2 == 0 { b"ping" } else { b"pong" };
                    assert_eq!(e.message_data, want);
                    ping_ids.push(e.id);
                }
                "urn:scte:scte35:2014:xml+bin" => {
                    assert_eq!(
                        (e.version, e.presentation_time),
                        (1, u64::from(e.id) * 1920)
                    );
                    let s = dashlive::scte35::SpliceInfoSection::decode(&e.message_data).unwrap();
                    let dashlive::scte35::SpliceCommand::Insert(i) = s.command else {
                        panic!("{s:?}")
                    };
                    assert_eq!(i.splice_event_id, e.id);
                    scte_ids.push(e.id);
                }
                other => panic!("{other}"),
            }
        }
    }
    // Six segments of 0.96 s after ~80,000 s: consecutive ids, none twice.
    assert!(ping_ids.len() >= 10, "{ping_ids:?}");
    assert!(
        ping_ids.windows(2).all(|w| w[1] == w[0] + 1),
        "{ping_ids:?}"
    );
    assert_eq!(scte_ids.len(), 3, "{scte_ids:?}");
    assert!(
        scte_ids.windows(2).all(|w| w[1] == w[0] + 1),
        "{scte_ids:?}"
    );
    // Audio segments carry none; vod segments do, from the stored file.
    let audio = get(&format!("/dash/live/card/card_aac/{n}.m4a?{q}")).await;
    assert!(emsgs(&audio.body).is_empty());
    let vod = get("/dash/vod/card/card_180p/1.m4v?events=ping&ping__interval=50").await;
    assert_eq!(vod.status, StatusCode::OK, "{}", vod.text());
    let ids: Vec<u32> = emsgs(&vod.body).iter().map(|e| e.id).collect();
    assert_eq!(ids, [0, 1]);
    let plain = get("/dash/vod/card/card_180p/1.m4v").await;
    let inserted: usize = emsgs(&vod.body)
        .iter()
        .map(|e| {
            use dashlive::mp4::WriteBox;
            e.to_bytes().len()
        })
        .sum();
    assert_eq!(vod.body.len(), plain.body.len() + inserted);
}

#[tokio::test]
async fn manifests_signal_inband_events_or_list_them() {
    let inband = get(&format!(
        "/dash/live/card/hand_made.mpd?events=ping,scte35&now={NOW}"
    ))
    .await;
    assert_eq!(inband.status, StatusCode::OK, "{}", inband.text());
    let xml = inband.text();
    assert!(xml.contains(r#"<InbandEventStream schemeIdUri="urn:dash-live:pingpong:2022" value="0" timescale="100"/>"#), "{xml}");
    assert!(
        xml.contains(
            r#"<InbandEventStream schemeIdUri="urn:scte:scte35:2014:xml+bin" timescale="100"/>"#
        ),
        "{xml}"
    );
    assert_eq!(xml.matches("<InbandEventStream").count(), 2, "video only");
    // Segment URLs carry the options, video and audio alike (Usage M V A).
    assert!(xml.contains("events=ping,scte35"), "{xml}");
    // In the MPD: the first `count`, less those over before the window.
    let listed = get(
        "/dash/vod/card/manifest_n.mpd?events=scte35&scte35__inband=0&scte35__count=9&scte35__interval=50",
    )
    .await;
    let xml = listed.text();
    assert_eq!(listed.status, StatusCode::OK, "{xml}");
    assert!(
        xml.contains(r#"<EventStream schemeIdUri="urn:scte:scte35:2014:xml+bin" timescale="100">"#),
        "{xml}"
    );
    // Of the 9 asked, those that start in the 1.92 s of the card.
    assert_eq!(xml.matches("<Event ").count(), 4, "{xml}");
    assert!(xml.contains(r#"<Event presentationTime="50" duration="200" id="1"><scte35:Signal xmlns:scte35="http://www.scte.org/schemas/35/2016"><scte35:Binary>"#), "{xml}");
    let live = get(&format!(
        "/dash/live/short/hand_made.mpd?start={START}&events=ping&ping__inband=0&ping__count=1000000&ping__interval=1&ping__timescale=1&now={NOW}"
    ))
    .await;
    assert_eq!(live.status, StatusCode::BAD_REQUEST, "{}", live.text());
    let live = get(&format!(
        "/dash/live/short/hand_made.mpd?start={START}&events=ping&ping__inband=0&ping__count=80000&ping__interval=100&now={NOW}"
    ))
    .await;
    let xml = live.text();
    assert_eq!(live.status, StatusCode::OK, "{xml}");
    // A 30 s window at 80,000 s: of events 1 s apart lasting 2 s, those
    // from 79,968 s (over at the window start or later) to the 80,000th.
    assert!(
        xml.contains(r#"<Event presentationTime="7996800" duration="200" id="79968">ping</Event>"#),
        "{xml}"
    );
    assert!(!xml.contains(r#"id="79967""#));
    assert_eq!(xml.matches("<Event ").count(), 80_000 - 79_968);
}

#[tokio::test]
async fn on_demand_refuses_what_its_byte_ranges_cannot_carry() {
    // The on-demand files are served as built: no pssh in their init range, no
    // encryption on the fly (src/drm/on_demand.rs); the manifest locations work.
    for (q, param) in [
        ("drm=clearkey-moov", "drm=clearkey-moov: "),
        ("drm=playready-pro-moov", "drm=playready-moov-pro: "),
        ("drm=clearkey&enc=cenc", "enc=cenc: "),
    ] {
        let a = get(&format!("/dash/odvod/card/hand_made.mpd?{q}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{q}: {}", a.text());
        assert!(a.text().contains(param), "{q}: {}", a.text());
    }
    for q in ["drm=clearkey", "drm=playready-pro,clearkey-cenc"] {
        let a = get(&format!("/dash/odvod/card/hand_made.mpd?{q}")).await;
        assert_eq!(a.status, StatusCode::OK, "{q}: {}", a.text());
    }
    let vod = get("/dash/vod/card/hand_made.mpd?drm=clearkey-moov&enc=cenc").await;
    assert_eq!(vod.status, StatusCode::OK, "{}", vod.text());
}
