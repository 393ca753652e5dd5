//! `/validate` through [`crate::app::App::handle`]: the form, a run of the
//! origin's own manifests (fetched from an origin in process, no network)
//! streamed as server-sent events and as JSON, a broken manifest's
//! findings, the refusals (a URL that is not http(s), too many runs), and
//! a client that leaves stopping its run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use http_body_util::BodyExt;
use hyper::StatusCode;

use dashlive::validate::fetch::{Fetch, Fetched};
use dashlive::validate::live::Clock;

use crate::app::App;
use crate::app_tests::{tree_out, NOW, START};
use crate::validate_page::{Validation, LIMITS};
use crate::validate_tests::{get_at, HOST};

/// A manifest with a Period that has no AdaptationSet and no duration.
pub(crate) const BROKEN: &str = "http://broken.test/a.mpd";
const BROKEN_MPD: &str = "<?xml version=\"1.0\"?>\n<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\">\n  <Period id=\"p0\">\n  </Period>\n</MPD>\n";

/// The fixture origin (at [`NOW`]), and [`BROKEN`]; counts its requests.
/// Asked from the validator's blocking threads, it answers on a runtime of
/// its own, from a thread outside any runtime.
pub(crate) struct Origin {
    pub(crate) asked: AtomicUsize,
    /// Held, the next request waits for it.
    pub(crate) gate: Mutex<()>,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    })
}

impl Fetch for Origin {
    fn get(&self, url: &str, range: Option<(u64, u64)>) -> Result<Fetched, String> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        drop(self.gate.lock());
        if url == BROKEN {
            return Ok(Fetched {
                status: 200,
                content_type: None,
                body: BROKEN_MPD.as_bytes().to_vec(),
            });
        }
        std::thread::scope(|s| {
            s.spawn(|| get_at(runtime(), url, range, NOW))
                .join()
                .unwrap_or_else(|_| Err("the in-process origin panicked".into()))
        })
    }
}

struct Fixed;

impl Clock for Fixed {
    fn now_ms(&self) -> i64 {
        NOW
    }
    fn sleep_until(&self, _: i64) {}
}

pub(crate) fn origin() -> Arc<Origin> {
    Arc::new(Origin {
        asked: AtomicUsize::new(0),
        gate: Mutex::new(()),
    })
}

/// An origin on the fixture's tree whose validator asks `fetch`.
pub(crate) fn app(fetch: Arc<Origin>, max_runs: usize) -> App {
    let mut app = App::new(
        &tree_out(),
        crate::cors::AllowedDomains::default_domains(),
        crate::play::Players::none(),
    )
    .unwrap();
    app.validation = validation(fetch, max_runs);
    app
}

/// The validator asking `fetch`, on a clock stopped at [`NOW`].
pub(crate) fn validation(fetch: Arc<Origin>, max_runs: usize) -> Validation {
    let limits = dashlive::pages::validate::Limits { max_runs, ..LIMITS };
    Validation::new(fetch, Arc::new(Fixed), limits)
}

struct Answer {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: String,
}

async fn get(app: &App, path: &str, accept: &str) -> Answer {
    let req = hyper::Request::builder()
        .uri(path)
        .header("host", "origin.test")
        .header("accept", accept)
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let (_, r) = app.handle(req, NOW).await;
    let (parts, body) = r.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn query(url: &str, rest: &str) -> String {
    let url: String = form_urlencoded::byte_serialize(url.as_bytes()).collect();
    format!("/validate?url={url}{rest}")
}

/// The `data` of each event called `name`, parsed.
fn events(body: &str, name: &str) -> Vec<serde_json::Value> {
    body.split("\n\n")
        .filter_map(|frame| {
            let (event, data) = frame.split_once('\n')?;
            (event == format!("event: {name}"))
                .then(|| serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_says_its_limits_and_runs_nothing() {
    let fetch = origin();
    let app = app(fetch.clone(), 2);
    let a = get(&app, "/validate", "text/html").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a
        .body
        .contains("<form class=\"run\" method=\"get\" action=\"/validate\">"));
    assert!(a.body.contains("at most 60 s"), "{}", a.body);
    assert!(!a.body.contains("validate.js"), "no run without a URL");
    // With a URL: the page that runs it (its script asks for the events).
    let a = get(&app, &query(BROKEN, ""), "text/html").await;
    assert!(a.body.contains("/validate/validate.js"));
    assert!(
        !a.body.contains("/admin/validate"),
        "no add form when signed out"
    );
    assert_eq!(fetch.asked.load(Ordering::SeqCst), 0);
    let js = get(&app, "/validate/validate.js", "*/*").await;
    assert!(js.body.contains("new EventSource"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_own_manifests_stream_progress_and_end_done_without_errors() {
    let app = app(origin(), 2);
    for path in [
        "/dash/vod/card/hand_made.mpd".to_string(),
        format!("/dash/live/card/hand_made.mpd?start={START}"),
    ] {
        let a = get(
            &app,
            &query(&format!("{HOST}{path}"), "&segments=2"),
            "text/event-stream",
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.headers["content-type"], "text/event-stream");
        assert!(a.headers.get("content-length").is_none());
        let manifest = events(&a.body, "manifest");
        assert!(manifest[0]["text"].as_str().unwrap().contains("<MPD"));
        let progress = events(&a.body, "progress");
        assert!(
            progress
                .iter()
                .any(|p| p["stage"] == "segments" && p["done"] == p["total"]),
            "{path}: {progress:?}"
        );
        let errors: Vec<_> = events(&a.body, "finding")
            .into_iter()
            .filter(|f| f["severity"] == "error")
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:#?}");
        let done = events(&a.body, "done");
        assert_eq!(done.len(), 1, "{path}: {}", a.body);
        assert_eq!(done[0]["errors"], 0);
        assert!(
            done[0]["segments_checked"].as_u64().unwrap() >= 6,
            "{done:?}"
        );
        assert!(a.body.trim_end().ends_with('}'), "done is the last event");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_manifest_is_reported_with_its_lines_in_both_forms() {
    let app = app(origin(), 2);
    let a = get(&app, &query(BROKEN, "&segments=0"), "text/event-stream").await;
    let findings = events(&a.body, "finding");
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert!(!errors.is_empty(), "{}", a.body);
    // The Period's finding names its element and its line (3).
    assert!(
        findings
            .iter()
            .any(|f| f["path"].as_str().unwrap().contains("Period") && f["line"] == 3),
        "{findings:#?}"
    );
    assert!(findings
        .iter()
        .all(|f| f["clause"].is_string() && f["expected"].is_string()));
    assert_eq!(events(&a.body, "done")[0]["errors"], errors.len());

    let j = get(&app, &query(BROKEN, "&segments=0"), "application/json").await;
    assert_eq!(j.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&j.body).unwrap();
    assert_eq!(v["errors"], errors.len());
    assert_eq!(v["findings"].as_array().unwrap().len(), findings.len());

    // A URL that answers no MPD: the request's fault, said as such.
    let gone = format!("{HOST}/dash/vod/nothing/hand_made.mpd");
    let j = get(&app, &query(&gone, ""), "application/json").await;
    assert_eq!(j.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", j.body);
    assert!(j.body.contains("url: fetching"), "{}", j.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_http_urls_and_bounded_options_are_taken() {
    let fetch = origin();
    let app = app(fetch.clone(), 2);
    for accept in ["text/event-stream", "application/json", "text/html"] {
        for (q, says) in [
            (
                query("file:///etc/passwd", ""),
                "url=\"file:///etc/passwd\": only http:// and https://",
            ),
            (query("/etc/passwd", ""), "only http:// and https://"),
            (query(BROKEN, "&duration=3600"), "duration=3600: at most 60"),
            (
                query(BROKEN, "&segments=-1"),
                "segments=\"-1\": a whole number",
            ),
        ] {
            let a = get(&app, &q, accept).await;
            assert_eq!(a.status, StatusCode::BAD_REQUEST, "{q} {accept}");
            assert!(a.body.contains(says), "{q}: {}", a.body);
        }
    }
    let a = get(&app, "/validate", "application/json").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("url: required"));
    assert_eq!(fetch.asked.load(Ordering::SeqCst), 0, "nothing fetched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_over_the_bound_are_refused_with_retry_after() {
    let app = app(origin(), 1);
    let held = app.validation.admit().unwrap_or_else(|_| panic!("a place"));
    for accept in ["text/event-stream", "application/json"] {
        let a = get(&app, &query(BROKEN, ""), accept).await;
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{accept}");
        assert_eq!(a.headers["retry-after"], "10");
        assert!(
            a.body.contains("at most 1 validations at once"),
            "{}",
            a.body
        );
    }
    drop(held);
    let a = get(&app, &query(BROKEN, "&segments=0"), "application/json").await;
    assert_eq!(a.status, StatusCode::OK);
}

// The std lock is held across the request on purpose: it holds the
// validator's blocking thread inside its first fetch.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_stops_its_run() {
    let fetch = origin();
    let app = app(fetch.clone(), 1);
    let url = format!("{HOST}/dash/vod/card/hand_made.mpd");
    let gate = fetch.gate.lock().unwrap();
    let req = hyper::Request::builder()
        .uri(query(&url, "&segments=50"))
        .header("host", "origin.test")
        .header("accept", "text/event-stream")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let (_, r) = app.handle(req, NOW).await;
    assert_eq!(r.status(), StatusCode::OK);
    // The client goes away while the manifest is being fetched.
    while fetch.asked.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    drop(r);
    drop(gate);
    app.validation.idle().await;
    // The manifest only: no segment was fetched for nobody.
    assert_eq!(fetch.asked.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_past_its_time_limit_stops_and_says_so() {
    let fetch = origin();
    let mut app = app(fetch.clone(), 1);
    let limits = dashlive::pages::validate::Limits {
        time_limit_s: 0,
        ..LIMITS
    };
    app.validation = Validation::new(fetch.clone(), Arc::new(Fixed), limits);
    let url = format!("{HOST}/dash/vod/card/hand_made.mpd");
    let a = get(&app, &query(&url, ""), "text/event-stream").await;
    let failed = events(&a.body, "failed");
    assert_eq!(failed.len(), 1, "{}", a.body);
    assert!(
        failed[0]["message"]
            .as_str()
            .unwrap()
            .contains("stopped: the time limit of 0 s per run"),
        "{failed:?}"
    );
    let j = get(&app, &query(&url, ""), "application/json").await;
    assert_eq!(j.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(j.body.contains("time limit"), "{}", j.body);
    assert_eq!(fetch.asked.load(Ordering::SeqCst), 0, "nothing fetched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_fetches_nothing_from_link_local_addresses_nor_files() {
    // The origin's own fetcher, as `dashlive-origin` runs it.
    let app = App::new(
        &tree_out(),
        crate::cors::AllowedDomains::default_domains(),
        crate::play::Players::none(),
    )
    .unwrap();
    let metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";
    let a = get(&app, &query(metadata, ""), "application/json").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(
        a.body.contains(
            "169.254.169.254 is 169.254.169.254, an address this server does not fetch from"
        ),
        "{}",
        a.body
    );
}
