//! Injected faults through the origin: synthetic statuses, `failures=N`
//! counted by a signed cookie that two origins with one secret both read,
//! corruption, and what may be cached.

use std::sync::OnceLock;

use bytes::Bytes;
use hyper::header::{CACHE_CONTROL, COOKIE, SET_COOKIE};
use hyper::{Method, StatusCode};

use crate::app::App;
use crate::app_tests::{answer, Answer};
use crate::cors::AllowedDomains;
use crate::fault_cookie::FaultSecret;

/// 2023-11-14T22:13:20Z.
const NOW: i64 = 1_700_000_000_000;
const START: &str = "2023-11-14T00:00:00Z";
const ELAPSED_S: u64 = 80_000;
const SEGMENT_MS: u64 = 960;

/// Origins on the tree of `app_tests`' fixture (the card, 0.96 s segments).
struct Fixture {
    /// Two origins serving one tree with one secret (behind a load balancer).
    a: App,
    b: App,
    /// An origin with another secret.
    other: App,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let out = crate::app_tests::tree_out();
        let app = |key: &[u8]| {
            App::new(&out, AllowedDomains::Any, crate::play::Players::none())
                .unwrap()
                .with_fault_secret(FaultSecret::new(key))
        };
        Fixture {
            a: app(b"shared secret"),
            b: app(b"shared secret"),
            other: app(b"another secret"),
        }
    })
}

/// `name=value` of the answer's Set-Cookie header, as a client sends it back.
fn cookie_of(a: &Answer) -> String {
    a.header(SET_COOKIE)
        .split(';')
        .next()
        .unwrap_or("")
        .to_string()
}

async fn get_from(app: &App, url: &str, cookie: Option<&str>) -> Answer {
    let mut req = hyper::Request::builder()
        .method(Method::GET)
        .uri(url)
        .header("host", "origin.test");
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    let req = req.body(http_body_util::Full::new(Bytes::new())).unwrap();
    let (_, response) = app.handle(req, NOW).await;
    answer(response).await
}

async fn get(url: &str) -> Answer {
    get_from(&fixture().a, url, None).await
}

/// The newest complete segment at NOW.
fn newest() -> u64 {
    ELAPSED_S * 1000 / SEGMENT_MS
}

fn video(n: u64, query: &str) -> String {
    format!("/dash/live/card/card_180p/{n}.m4v?start={START}&{query}")
}

#[tokio::test]
async fn an_injected_error_answers_the_listed_segment_only_and_is_never_cached() {
    let n = newest() - 3;
    let q = format!("verr=404={n},503=0");
    let a = get(&video(n, &q)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        a.text()
            .contains(&format!("Synthetic 404 injected by verr=404={n}")),
        "{}",
        a.text()
    );
    assert_eq!(a.header(CACHE_CONTROL), "no-store");
    assert_eq!(a.header(SET_COOKIE), "", "no failures=: no count to keep");
    let next = get(&video(n + 1, &q)).await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.text());
    assert_eq!(
        next.header(CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    // 0 is the init segment.
    let init = get(&format!("/dash/live/card/card_180p/init.m4v?{q}")).await;
    assert_eq!(init.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(init.text().contains("verr=503=0"), "{}", init.text());
    // verr is for video: the audio segment of that number is served.
    let audio = format!("/dash/live/card/card_aac/{n}.m4a?start={START}&{q}");
    assert_eq!(get(&audio).await.status, StatusCode::OK);
    let audio = format!("/dash/live/card/card_aac/{n}.m4a?start={START}&aerr=410={n}");
    assert_eq!(get(&audio).await.status, StatusCode::GONE);
    // Vod segments too.
    let vod = get("/dash/vod/card/card_180p/2.m4v?verr=502=2").await;
    assert_eq!(vod.status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        get("/dash/vod/card/card_180p/1.m4v?verr=502=2")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn failures_are_counted_per_client_and_two_origins_with_one_secret_agree() {
    let f = fixture();
    let n = newest() - 5;
    let url = video(n, &format!("failures=2&verr=503={n}"));
    let first = get_from(&f.a, &url, None).await;
    assert_eq!(first.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(first.text().contains("failure 1 of 2"), "{}", first.text());
    let cookie = cookie_of(&first);
    assert!(cookie.starts_with("dashlive_faults=v"), "{cookie}");
    assert!(first.header(SET_COOKIE).contains("Path=/"));
    // The second failure comes from the other origin, which reads the count.
    let second = get_from(&f.b, &url, Some(&cookie)).await;
    assert_eq!(second.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        second.text().contains("failure 2 of 2"),
        "{}",
        second.text()
    );
    let cookie = cookie_of(&second);
    // Then the request succeeds, on either origin, and is not cached.
    for app in [&f.a, &f.b] {
        let ok = get_from(app, &url, Some(&cookie)).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
        assert_eq!(ok.header(CACHE_CONTROL), "no-store");
    }
    // Another client (no cookie), or an origin with another secret, starts
    // counting again; so does a forged count.
    assert_eq!(
        get_from(&f.a, &url, None).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        get_from(&f.other, &url, Some(&cookie)).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let forged = cookie.replacen(&format!("v{n}:2"), &format!("v{n}:9"), 1);
    assert_ne!(forged, cookie);
    assert_eq!(
        get_from(&f.a, &url, Some(&forged)).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn manifest_errors_match_the_update_count() {
    let f = fixture();
    let base = format!("/dash/live/card/hand_made.mpd?start={START}&merr=503=0,504=2&failures=1");
    let a = get_from(&f.a, &base, None).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        a.text().contains("Synthetic 503 injected by merr=503=0"),
        "{}",
        a.text()
    );
    let retry = get_from(&f.b, &base, Some(&cookie_of(&a))).await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.text());
    assert_eq!(retry.header(CACHE_CONTROL), "no-store");
    let update1 = get(&format!("{base}&update=1")).await;
    assert_eq!(update1.status, StatusCode::OK);
    let update2 = get(&format!("{base}&update=2")).await;
    assert_eq!(update2.status, StatusCode::GATEWAY_TIMEOUT);
    // A time: the update period (mup) that starts at it.
    let timed =
        |t: &str| format!("/dash/live/card/hand_made.mpd?start={START}&mup=30&merr=503={t}");
    assert_eq!(
        get(&timed("22:13:00Z")).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(get(&timed("22:12:50Z")).await.status, StatusCode::OK);
    assert_eq!(get(&timed("22:13:21Z")).await.status, StatusCode::OK);
    // No clock to place a time on in vod.
    let vod = get("/dash/vod/card/hand_made.mpd?merr=503=22:13:00Z").await;
    assert_eq!(vod.status, StatusCode::BAD_REQUEST);
    assert!(vod.text().contains("merr: times of day"), "{}", vod.text());
}

#[tokio::test]
async fn a_live_manifest_writes_times_as_segment_numbers_on_the_urls_they_affect() {
    let a = get(&format!(
        "/dash/live/card/hand_made.mpd?start={START}&verr=404=22:00:00Z&aerr=410=3&vcorrupt=22:00:01Z&frames=2"
    ))
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let xml = a.text();
    // 22:00:00 is 79,200 s after the start: segment 1 + 82,500.
    let v = xml
        .lines()
        .find(|l| l.contains("media=") && l.contains("m4v"))
        .unwrap_or_default();
    assert!(v.contains("verr=404=82501"), "{v}");
    assert!(v.contains("vcorrupt=82502"), "{v}");
    assert!(v.contains("frames=2"), "{v}");
    assert!(!v.contains("aerr"), "{v}");
    let audio = xml
        .lines()
        .find(|l| l.contains("media=") && l.contains("m4a"))
        .unwrap_or_default();
    assert!(audio.contains("aerr=410=3"), "{audio}");
    assert!(
        !audio.contains("verr") && !audio.contains("vcorrupt"),
        "{audio}"
    );
    // A hand-written segment URL with a time means the segment holding it:
    // 22:13:15Z is 79,995 s after the start, number 1 + 83,328.
    let by_time = get(&video(83_329, "verr=404=22:13:15Z")).await;
    assert_eq!(by_time.status, StatusCode::NOT_FOUND, "{}", by_time.text());
    assert!(
        by_time.text().contains("Synthetic 404"),
        "{}",
        by_time.text()
    );
    let next = get(&video(83_330, "verr=404=22:13:15Z")).await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.text());
}

#[tokio::test]
async fn a_corrupted_segment_keeps_its_size_and_boxes() {
    let n = newest() - 4;
    let clean = get(&video(n, "")).await;
    let bad = get(&video(n, &format!("vcorrupt={n}&frames=3"))).await;
    assert_eq!(bad.status, StatusCode::OK, "{}", bad.text());
    assert_eq!(bad.header(CACHE_CONTROL), "no-store");
    assert_eq!(bad.body.len(), clean.body.len());
    assert_ne!(bad.body, clean.body);
    // Only mdat bytes changed: the boxes read the same.
    let types = |b: &[u8]| {
        dashlive::mp4::boxes(b)
            .map(|x| {
                let x = x.unwrap();
                (x.typ(), x.offset, x.header.size)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(types(&bad.body), types(&clean.body));
    let moof_end = dashlive::mp4::boxes(&clean.body)
        .map(|x| x.unwrap())
        .find(|x| x.typ() == b"mdat")
        .unwrap()
        .offset as usize;
    assert_eq!(bad.body[..moof_end], clean.body[..moof_end]);
    // Another segment of the same URL's query is untouched and cacheable.
    let other = get(&video(n + 1, &format!("vcorrupt={n}"))).await;
    assert_eq!(
        other.header(CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    // Audio cannot be corrupted this way; the option does not apply to it.
    let audio = get(&format!(
        "/dash/live/card/card_aac/{n}.m4a?start={START}&vcorrupt={n}"
    ))
    .await;
    assert_eq!(audio.status, StatusCode::OK);
}

#[tokio::test]
async fn a_periodic_status_answers_one_segment_of_each_cycle() {
    // 0.96 s segments in 10 s cycles: cycle 7,998 starts at 79,980 s, and
    // its first segment is the one starting at 79,980.48 s (index 83,313).
    let q = "statuscode=404:10:0:card_180p";
    let a = get(&video(83_314, q)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text());
    assert!(
        a.text()
            .contains("Synthetic 404 injected by statuscode=404:10:0"),
        "{}",
        a.text()
    );
    assert_eq!(a.header(CACHE_CONTROL), "no-store");
    for n in [83_313, 83_315] {
        assert_eq!(get(&video(n, q)).await.status, StatusCode::OK, "{n}");
    }
    // Another representation is not named.
    let audio = format!("/dash/live/card/card_aac/83314.m4a?start={START}&{q}");
    assert_eq!(get(&audio).await.status, StatusCode::OK);
    let bad = get(&video(83_314, "statuscode=404:0:0")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.text().contains("statuscode=404:0:0: expected"),
        "{}",
        bad.text()
    );
}

#[tokio::test]
async fn a_lossy_timeline_has_holes_where_numbers_are_multiples() {
    let url =
        |q: &str| format!("/dash/live/card/hand_made.mpd?start={START}&timeline=1&depth=30{q}");
    let whole = get(&url("")).await.text();
    let lossy = get(&url("&segtimelineloss=5")).await.text();
    let starts = |xml: &str| xml.matches("<S t=").count();
    // One start per track in the whole timeline; one per hole in the lossy.
    assert_eq!(starts(&whole), 2, "{whole}");
    assert!(starts(&lossy) >= 2 * 5, "{lossy}");
    // Segments of the holes are still served.
    assert_eq!(get(&video(83_330, "")).await.status, StatusCode::OK);
    let vod = get("/dash/vod/card/hand_made.mpd?timeline=1&segtimelineloss=5").await;
    assert_eq!(vod.status, StatusCode::OK);
    assert_eq!(starts(&vod.text()), 2, "vod timelines have no holes");
}
