//! One validation from start to end as a stream of [`Event`]s: the manifest
//! fetched and checked, its segments, then (live, when asked) its refreshes.
//! The origin's `/validate` page sends the events to the browser as they
//! come; a script gets them all at once. Where the validator stops early
//! (the listener left, a time limit) is the [`Sink`]'s to say: every fetch
//! after that fails at once, so the run ends in the time of one request.

use serde::Serialize;

use super::fetch::{is_http, Fetch, Fetched};
use super::live::{watch, Clock};
use super::{Finding, Options, Severity, Validator};

/// The most of the manifest's text an [`Event::Manifest`] carries: the page
/// shows it with its lines numbered; a bigger one is cut (its findings
/// still name their lines).
pub const MAX_SHOWN_MANIFEST: usize = 2 * 1024 * 1024;

/// What the run says, in order: `Manifest` once (unless it could not be
/// fetched), `Progress` and `Finding`s, then `Done` or `Failed`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Event {
    /// The manifest as fetched (cut to [`MAX_SHOWN_MANIFEST`] bytes).
    Manifest {
        url: String,
        text: String,
    },
    /// `stage`: `manifest`, `segments` or `live`; `done` of `total` steps.
    Progress {
        stage: &'static str,
        done: usize,
        total: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Finding(Finding),
    Done(Summary),
    /// The manifest could not be checked at all.
    Failed {
        message: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub segments_checked: usize,
    /// Why the run ended before checking everything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// Where the events go.
pub trait Sink: Sync {
    /// `false`: nobody listens any more (the run stops).
    fn emit(&self, event: Event) -> bool;
    /// Why the run must stop now (`None`: go on).
    fn stop(&self) -> Option<String>;
}

/// The URLs a server validates for others: http and https only (no files
/// of the server's own disk).
pub fn check_web_url(url: &str) -> Result<(), String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("url: required, the http:// or https:// URL of an MPD".into());
    }
    let host = url.split_once("://").map_or("", |(_, rest)| rest);
    if !is_http(url) || host.is_empty() || host.starts_with('/') {
        let shown: String = url.chars().take(80).collect();
        return Err(format!(
            "url={shown:?}: only http:// and https:// URLs of an MPD are validated here"
        ));
    }
    if url.len() > 4096 {
        return Err("url: at most 4096 characters".into());
    }
    Ok(())
}

/// A fetch that fails once the sink says stop.
struct Halting<'a> {
    inner: &'a dyn Fetch,
    sink: &'a dyn Sink,
}

impl Fetch for Halting<'_> {
    fn get(&self, url: &str, range: Option<(u64, u64)>) -> Result<Fetched, String> {
        match self.sink.stop() {
            Some(why) => Err(format!("stopped: {why}")),
            None => self.inner.get(url, range),
        }
    }
}

/// Validates `url`: the manifest, its segments unless `options.segments`
/// is `Some(0)`, then `duration_ms` of live refreshes.
pub fn run(
    url: &str,
    fetch: &dyn Fetch,
    clock: &dyn Clock,
    options: Options,
    duration_ms: i64,
    sink: &dyn Sink,
) -> Summary {
    sink.emit(Event::Progress {
        stage: "manifest",
        done: 0,
        total: 1,
        note: None,
    });
    let halting = Halting { inner: fetch, sink };
    match Validator::load(&halting, url, options) {
        Ok(v) => check(&v, fetch, clock, duration_ms, sink),
        Err(e) => {
            sink.emit(Event::Failed {
                message: e.to_string(),
            });
            Summary {
                stopped: Some(e.to_string()),
                ..Summary::default()
            }
        }
    }
}

/// [`run`] on a manifest already loaded.
pub fn check(
    v: &Validator,
    fetch: &dyn Fetch,
    clock: &dyn Clock,
    duration_ms: i64,
    sink: &dyn Sink,
) -> Summary {
    let fetch = Halting { inner: fetch, sink };
    let url = v.url.as_str();
    let mut summary = Summary::default();
    let count = |s: &mut Summary, findings: &[Finding]| {
        for f in findings {
            match f.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
            }
            if !sink.emit(Event::Finding(f.clone())) {
                break;
            }
        }
    };
    let progress = |stage, done, total, note: Option<String>| {
        sink.emit(Event::Progress {
            stage,
            done,
            total,
            note,
        })
    };
    let mut text = String::from_utf8_lossy(&v.text).into_owned();
    if text.len() > MAX_SHOWN_MANIFEST {
        let mut end = MAX_SHOWN_MANIFEST;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    sink.emit(Event::Manifest {
        url: url.to_string(),
        text,
    });
    let mut findings = v.check_manifest();
    count(&mut summary, &findings);
    progress("manifest", 1, 1, None);
    if v.options.segments != Some(0) && sink.stop().is_none() {
        let checked = std::sync::atomic::AtomicUsize::new(0);
        let each = |done: usize, total: usize| {
            checked.fetch_max(done, std::sync::atomic::Ordering::Relaxed);
            progress("segments", done, total, None);
        };
        let found = v.check_segments(&fetch, &each);
        summary.segments_checked = checked.into_inner();
        count(&mut summary, &found);
        findings.extend(found);
    }
    if duration_ms > 0 && sink.stop().is_none() {
        let refreshes = std::sync::atomic::AtomicUsize::new(0);
        let note = |s: &str| {
            let n = refreshes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            progress("live", n + 1, 0, Some(s.to_string()));
        };
        let r = watch(v, &findings, &fetch, clock, duration_ms, &note);
        for why in r.reloads {
            progress(
                "live",
                r.refreshes,
                0,
                Some(format!("full reload instead of a patch: {why}")),
            );
        }
        count(&mut summary, &r.findings);
    }
    summary.stopped = sink.stop();
    sink.emit(Event::Done(summary.clone()));
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn only_web_urls_are_validated_for_others() {
        assert!(check_web_url("http://h/a.mpd").is_ok());
        assert!(check_web_url("HTTPS://h/a.mpd").is_ok());
        for bad in [
            "",
            "file:///etc/passwd",
            "/etc/passwd",
            "ftp://h/a",
            "http://",
            "http:///x",
        ] {
            let e = check_web_url(bad).unwrap_err();
            assert!(e.starts_with("url"), "{bad}: {e}");
        }
    }

    struct Files(&'static [(&'static str, &'static str)]);
    impl Fetch for Files {
        fn get(&self, url: &str, _: Option<(u64, u64)>) -> Result<Fetched, String> {
            let body = self.0.iter().find(|(u, _)| *u == url).map(|(_, b)| *b);
            Ok(Fetched {
                status: if body.is_some() { 200 } else { 404 },
                content_type: None,
                body: body.unwrap_or("").as_bytes().to_vec(),
            })
        }
    }

    struct Collect(Mutex<Vec<Event>>, Option<&'static str>);
    impl Sink for Collect {
        fn emit(&self, e: Event) -> bool {
            self.0.lock().unwrap().push(e);
            true
        }
        fn stop(&self) -> Option<String> {
            self.1.map(String::from)
        }
    }

    struct NoClock;
    impl Clock for NoClock {
        fn now_ms(&self) -> i64 {
            0
        }
        fn sleep_until(&self, _: i64) {}
    }

    #[test]
    fn a_broken_manifest_streams_its_findings_then_done() {
        let f = Files(&[("http://h/a.mpd", "<MPD><Period/></MPD>")]);
        let sink = Collect(Mutex::new(Vec::new()), None);
        let s = run("http://h/a.mpd", &f, &NoClock, Options::default(), 0, &sink);
        let events = sink.0.into_inner().unwrap();
        assert!(matches!(events.first(), Some(Event::Progress { .. })));
        assert!(matches!(&events[1], Event::Manifest { text, .. } if text.contains("<Period/>")));
        let findings = events
            .iter()
            .filter(|e| matches!(e, Event::Finding(_)))
            .count();
        assert!(s.errors > 0 && findings == s.errors + s.warnings, "{s:?}");
        assert!(matches!(events.last(), Some(Event::Done(d)) if *d == s));
    }

    #[test]
    fn a_stopped_run_fetches_nothing_and_says_why() {
        let f = Files(&[("http://h/a.mpd", "<MPD/>")]);
        let sink = Collect(Mutex::new(Vec::new()), Some("the time limit"));
        let s = run("http://h/a.mpd", &f, &NoClock, Options::default(), 0, &sink);
        let events = sink.0.into_inner().unwrap();
        assert!(
            matches!(events.last(), Some(Event::Failed { message }) if message.contains("stopped: the time limit")),
            "{events:?}"
        );
        assert!(s.stopped.is_some());
    }
}
