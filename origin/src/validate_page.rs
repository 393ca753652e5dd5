//! `/validate`: the validator for anyone's manifest, from a browser or a
//! script. `GET /validate` is the form; with `url=` it is the page that runs
//! it, whose script asks the same URL as `text/event-stream` and gets the
//! run's events ([`dashlive::validate::run::Event`]) as they come; with
//! `Accept: application/json` the whole report at once.
//!
//! A run is blocking work (the validator fetches with blocking I/O): it
//! goes to `spawn_blocking`, at most [`Limits::max_runs`] at once (over
//! that: 503 with Retry-After), each stopped after the time limit. A client
//! that goes away stops its run: the next event's send fails, and every
//! fetch after that fails at once.
//!
//! The fetcher and the clock are injected ([`Validation::new`]): the
//! origin's tests answer from an origin in process, never the network.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::header::{HeaderValue, ACCEPT, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use hyper::{HeaderMap, Response, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use dashlive::net::Networks;
use dashlive::pages::validate::{Form, Limits};
use dashlive::validate::fetch::{Fetch, Fetched, Web};
use dashlive::validate::live::{Clock, SystemClock};
use dashlive::validate::run::{check_web_url, run, Event, Sink, Summary};
use dashlive::validate::{Finding, Options};

use crate::body::Body;
use crate::respond::{bad_request, ok, text};

/// The server's bounds on a run (said on the page and in the README).
pub const LIMITS: Limits = Limits {
    max_duration_s: 60,
    time_limit_s: 120,
    max_runs: 2,
    max_segments: 50,
};

/// Segments per Representation when the form does not say.
const DEFAULT_SEGMENTS: u32 = 4;

/// How long a refused client should wait before asking again (seconds).
const RETRY_AFTER_S: u32 = 10;

/// Events queued for a slow client before the run waits for it.
const CHANNEL_DEPTH: usize = 64;

/// The validator as a service of the origin: what it fetches with, its
/// clock, and the runs going on.
pub struct Validation {
    fetch: Arc<dyn Fetch + Send>,
    clock: Arc<dyn Clock + Send>,
    runs: Arc<Semaphore>,
    pub limits: Limits,
}

impl Default for Validation {
    /// Over HTTP(S), from anywhere but link-local addresses, on the wall
    /// clock.
    fn default() -> Validation {
        Validation::fetching_for(&Networks::default())
    }
}

impl Validation {
    /// Over HTTP(S) only (never a file of the server's), from no address
    /// in `deny` nor a link-local one, on the wall clock.
    pub fn fetching_for(deny: &Networks) -> Validation {
        Validation::new(
            Arc::new(Web::for_server(Duration::from_secs(30), deny)),
            Arc::new(SystemClock),
            LIMITS,
        )
    }
}

/// When a run's time is up.
#[derive(Clone, Copy)]
pub struct Deadline {
    at: Instant,
    limit_s: u32,
}

impl Deadline {
    /// Why the run must stop, once its time is up.
    pub fn passed(&self) -> Option<String> {
        (Instant::now() >= self.at).then(|| format!("the time limit of {} s per run", self.limit_s))
    }
}

/// A run admitted under the bound, with the parts it needs off the async
/// threads.
pub struct Admitted {
    _permit: OwnedSemaphorePermit,
    pub fetch: Arc<dyn Fetch + Send>,
    pub clock: Arc<dyn Clock + Send>,
    pub deadline: Deadline,
}

impl Validation {
    pub fn new(fetch: Arc<dyn Fetch + Send>, clock: Arc<dyn Clock + Send>, limits: Limits) -> Self {
        Validation {
            fetch,
            clock,
            runs: Arc::new(Semaphore::new(limits.max_runs)),
            limits,
        }
    }

    /// Returns once no run is going on.
    #[cfg(test)]
    pub async fn idle(&self) {
        let all = u32::try_from(self.limits.max_runs).unwrap_or(u32::MAX);
        drop(self.runs.acquire_many(all).await);
    }

    /// A place for one more run, or the 503 saying there is none.
    pub fn admit(&self) -> Result<Admitted, Box<Response<Body>>> {
        match self.runs.clone().try_acquire_owned() {
            Ok(permit) => Ok(Admitted {
                _permit: permit,
                fetch: self.fetch.clone(),
                clock: self.clock.clone(),
                deadline: Deadline {
                    at: Instant::now() + Duration::from_secs(u64::from(self.limits.time_limit_s)),
                    limit_s: self.limits.time_limit_s,
                },
            }),
            Err(_) => {
                let mut r = text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "this server runs at most {} validations at once: try again in {RETRY_AFTER_S} s",
                        self.limits.max_runs
                    ),
                );
                r.headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_S));
                Err(Box::new(r))
            }
        }
    }
}

/// A fetch that fails once a run's time is up.
pub struct Timed<'a> {
    pub inner: &'a dyn Fetch,
    pub deadline: Deadline,
}

impl Fetch for Timed<'_> {
    fn get(&self, url: &str, range: Option<(u64, u64)>) -> Result<Fetched, String> {
        match self.deadline.passed() {
            Some(why) => Err(format!("stopped: {why}")),
            None => self.inner.get(url, range),
        }
    }
}

/// The form's fields, checked: 400 naming the field otherwise.
fn parse_form(query: &str, limits: Limits) -> Result<Form, String> {
    let mut form = Form {
        segments: DEFAULT_SEGMENTS,
        ..Form::default()
    };
    let number = |name: &str, v: &str, max: u32| -> Result<u32, String> {
        let n: u32 = v
            .trim()
            .parse()
            .map_err(|_| format!("{name}={v:?}: a whole number from 0 to {max}"))?;
        if n > max {
            return Err(format!("{name}={n}: at most {max} on this server"));
        }
        Ok(n)
    };
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "url" => form.url = v.trim().to_string(),
            "duration" if !v.is_empty() => {
                form.duration = number("duration", &v, limits.max_duration_s)?
            }
            "segments" if !v.is_empty() => {
                form.segments = number("segments", &v, limits.max_segments)?
            }
            "encrypted" => form.encrypted = matches!(&*v, "1" | "on" | "true"),
            _ => {}
        }
    }
    if !form.url.is_empty() {
        check_web_url(&form.url)?;
    }
    Ok(form)
}

/// What the client asked for.
#[derive(PartialEq)]
enum Wants {
    Page,
    Events,
    Json,
}

fn wants(headers: &HeaderMap) -> Wants {
    let accept: String = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if accept.contains("text/event-stream") {
        Wants::Events
    } else if accept.contains("application/json") {
        Wants::Json
    } else {
        Wants::Page
    }
}

/// `GET /validate`. `add_csrf`: the CSRF token of a signed-in media-group
/// session (the page then offers to add the stream to the server).
pub async fn handle(
    v: &Validation,
    query: &str,
    now_ms: i64,
    headers: &HeaderMap,
    add_csrf: Option<String>,
) -> Response<Body> {
    let form = match parse_form(query, v.limits) {
        Ok(f) => f,
        Err(e) => return bad_request(e),
    };
    let how = wants(headers);
    if form.url.is_empty() && how != Wants::Page {
        return bad_request("url: required, the http:// or https:// URL of an MPD");
    }
    if how == Wants::Page {
        return match dashlive::pages::validate::page(&form, v.limits, add_csrf.as_deref()) {
            Ok(html) => ok(
                Body::from(html),
                dashlive::policy::HTML,
                dashlive::policy::NO_STORE,
            ),
            Err(e) => {
                tracing::error!("validate page: {e}");
                text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page failed to render (logged)",
                )
            }
        };
    }
    let admitted = match v.admit() {
        Ok(a) => a,
        Err(refusal) => return *refusal,
    };
    let options = Options {
        encrypted: form.encrypted,
        segments: Some(form.segments as usize),
        // The schema needs files of the server's disk and xmllint: not here.
        schema: None,
        now_ms: Some(now_ms),
        connections: 4,
    };
    let duration_ms = i64::from(form.duration) * 1000;
    if how == Wants::Events {
        events(admitted, form.url, options, duration_ms)
    } else {
        report(admitted, form.url, options, duration_ms).await
    }
}

/// Why a run stops: the client left, or its time is up.
struct Stops {
    gone: AtomicBool,
    deadline: Deadline,
}

impl Stops {
    fn why(&self) -> Option<String> {
        if self.gone.load(Ordering::Relaxed) {
            Some("the client went away".into())
        } else {
            self.deadline.passed()
        }
    }
}

/// The events as `text/event-stream` over a channel.
struct Stream {
    tx: tokio::sync::mpsc::Sender<Bytes>,
    stops: Stops,
}

impl Sink for Stream {
    fn emit(&self, event: Event) -> bool {
        let Some(frame) = sse_frame(&event) else {
            return true;
        };
        // On a blocking thread: waiting for a slow client is right.
        if self.tx.blocking_send(frame).is_err() {
            self.stops.gone.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }
    fn stop(&self) -> Option<String> {
        self.stops.why()
    }
}

/// `event: <name>\ndata: <json>\n\n` (JSON has no raw newline).
fn sse_frame(event: &Event) -> Option<Bytes> {
    let value = serde_json::to_value(event).ok()?;
    let name = value.get("event")?.as_str()?.to_string();
    Some(Bytes::from(format!("event: {name}\ndata: {value}\n\n")))
}

/// A clock whose waits end early when the run must stop.
struct Stoppable<'a> {
    inner: &'a dyn Clock,
    stop: &'a dyn Sink,
}

impl Clock for Stoppable<'_> {
    fn now_ms(&self) -> i64 {
        self.inner.now_ms()
    }
    fn sleep_until(&self, ms: i64) {
        // In steps, so a stop is seen within a quarter second.
        while self.stop.stop().is_none() && self.inner.now_ms() < ms {
            let step = ms.min(self.inner.now_ms().saturating_add(250));
            self.inner.sleep_until(step);
        }
    }
}

fn events(a: Admitted, url: String, options: Options, duration_ms: i64) -> Response<Body> {
    let (tx, rx) = tokio::sync::mpsc::channel(CHANNEL_DEPTH);
    let sink = Stream {
        tx,
        stops: Stops {
            gone: AtomicBool::new(false),
            deadline: a.deadline,
        },
    };
    tokio::task::spawn_blocking(move || {
        let clock = Stoppable {
            inner: &*a.clock,
            stop: &sink,
        };
        run(&url, &*a.fetch, &clock, options, duration_ms, &sink);
        drop(a);
    });
    let mut r = Response::new(Body::channel(rx));
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // A proxy in front must pass each event on as it comes.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    r
}

/// Every event kept, for the JSON report.
struct Collect {
    findings: Mutex<Vec<Finding>>,
    failed: Mutex<Option<String>>,
    stops: Stops,
}

impl Sink for Collect {
    fn emit(&self, event: Event) -> bool {
        match event {
            Event::Finding(f) => self.findings.lock().map(|mut v| v.push(f)).is_ok(),
            Event::Failed { message } => self.failed.lock().map(|mut v| *v = Some(message)).is_ok(),
            _ => true,
        }
    }
    fn stop(&self) -> Option<String> {
        self.stops.why()
    }
}

async fn report(a: Admitted, url: String, options: Options, duration_ms: i64) -> Response<Body> {
    let shown = url.clone();
    let done = tokio::task::spawn_blocking(move || {
        let sink = Collect {
            findings: Mutex::new(Vec::new()),
            failed: Mutex::new(None),
            stops: Stops {
                gone: AtomicBool::new(false),
                deadline: a.deadline,
            },
        };
        let clock = Stoppable {
            inner: &*a.clock,
            stop: &sink,
        };
        let summary = run(&url, &*a.fetch, &clock, options, duration_ms, &sink);
        let failed = sink.failed.into_inner().ok().flatten();
        let findings = sink.findings.into_inner().unwrap_or_default();
        (summary, failed, findings)
    })
    .await;
    let (summary, failed, findings): (Summary, _, _) = match done {
        Ok(d) => d,
        Err(e) => {
            tracing::error!("validate: the run failed: {e}");
            return text(StatusCode::INTERNAL_SERVER_ERROR, "the run failed (logged)");
        }
    };
    let (status, value) = match failed {
        Some(message) => (
            // The URL given does not answer an MPD: the request's fault.
            StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::json!({ "url": shown, "error": format!("url: {message}") }),
        ),
        None => (
            StatusCode::OK,
            serde_json::json!({
                "url": shown,
                "errors": summary.errors,
                "warnings": summary.warnings,
                "segments_checked": summary.segments_checked,
                "stopped": summary.stopped,
                "findings": findings,
            }),
        ),
    };
    let mut r = ok(
        Body::from(value.to_string()),
        "application/json",
        dashlive::policy::NO_STORE,
    );
    *r.status_mut() = status;
    r
}

/// `/validate/validate.js`.
pub fn script() -> Response<Body> {
    ok(
        Body::from(dashlive::pages::validate::VALIDATE_JS),
        dashlive::policy::JAVASCRIPT,
        dashlive::policy::SHORT,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_checked_field_by_field() {
        let f = parse_form("url=http%3A%2F%2Fh%2Fa.mpd&duration=5&encrypted=on", LIMITS).unwrap();
        assert_eq!(
            (f.url.as_str(), f.duration, f.segments, f.encrypted),
            ("http://h/a.mpd", 5, DEFAULT_SEGMENTS, true)
        );
        let e = parse_form("url=http://h/a&duration=61", LIMITS).unwrap_err();
        assert!(e.starts_with("duration=61: at most 60"), "{e}");
        let e = parse_form("segments=x", LIMITS).unwrap_err();
        assert!(e.starts_with("segments=\"x\""), "{e}");
        let e = parse_form("url=file:///etc/passwd", LIMITS).unwrap_err();
        assert!(e.starts_with("url="), "{e}");
        assert!(parse_form("", LIMITS).unwrap().url.is_empty());
    }

    #[test]
    fn an_event_is_one_sse_frame() {
        let f = sse_frame(&Event::Failed {
            message: "a\nb".into(),
        })
        .unwrap();
        let s = std::str::from_utf8(&f).unwrap();
        assert!(s.starts_with("event: failed\ndata: {"), "{s}");
        assert_eq!(s.matches('\n').count(), 3, "{s}");
    }
}
