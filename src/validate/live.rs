//! Live: the MPD refreshed for a while as a player refreshes it (every
//! `@minimumUpdatePeriod`, through its PatchLocation when it has one, the
//! whole MPD again otherwise or when a patch fails, saying why), each new
//! MPD checked by the manifest rules and against the one before: the
//! timeline must move as the clock does.
//!
//! Time is a [`Clock`]: the CLI waits on the real one, tests drive the
//! resolver at fixed instants and never sleep.

use std::collections::{HashMap, HashSet};

use super::doc::Doc;
use super::fetch::{resolve, Fetch};
use super::rules::{self, rule, segment_info};
use super::segments::list;
use super::{patch, value, Finding, Options, Validator};

pub trait Clock: Sync {
    /// Milliseconds since 1970.
    fn now_ms(&self) -> i64;
    /// Returns once [`Clock::now_ms`] reads `ms` or later.
    fn sleep_until(&self, ms: i64);
}

/// The wall clock (the CLI's).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
    fn sleep_until(&self, ms: i64) {
        let wait = ms.saturating_sub(self.now_ms());
        if let Ok(wait) = u64::try_from(wait) {
            std::thread::sleep(std::time::Duration::from_millis(wait));
        }
    }
}

/// Refreshes at least this far apart: an MPD with a zero update period must
/// not make the validator fetch without pause.
pub const MIN_REFRESH_MS: i64 = 1000;

/// How far the server's clock may differ from ours before a segment listed
/// counts as early (or left late).
pub const CLOCK_SLACK_MS: i64 = 500;

#[derive(Debug, Default)]
pub struct LiveReport {
    /// New findings only: one already seen (here or in `already`) is not repeated.
    pub findings: Vec<Finding>,
    pub refreshes: usize,
    /// Refreshes done by applying a patch.
    pub patches: usize,
    /// Each full reload made where a patch was offered, and why.
    pub reloads: Vec<String>,
}

/// Refreshes `first` (already checked; its findings are `already`) until
/// `duration_ms` after now; `note` hears each refresh.
pub fn watch(
    first: &Validator,
    already: &[Finding],
    fetch: &dyn Fetch,
    clock: &dyn Clock,
    duration_ms: i64,
    note: &(dyn Fn(&str) + Sync),
) -> LiveReport {
    let mut report = LiveReport::default();
    let Some(mut doc) = first.doc.clone() else {
        return report;
    };
    let mut seen: HashSet<String> = already.iter().map(key).collect();
    let mut fetched_ms = clock.now_ms();
    let end = fetched_ms.saturating_add(duration_ms);
    let mut found = Vec::new();
    loop {
        let root = doc.node(doc.root());
        if root.attr("type") != Some("dynamic") {
            note("the MPD is static: no more refreshes");
            break;
        }
        let Some(mup) = root.attr("minimumUpdatePeriod").and_then(value::duration_s) else {
            note("no @minimumUpdatePeriod: the MPD does not change");
            break;
        };
        let next = fetched_ms.saturating_add(((mup * 1000.0) as i64).max(MIN_REFRESH_MS));
        if next > end {
            break;
        }
        clock.sleep_until(next);
        let now = clock.now_ms();
        let Some((new, how)) =
            refresh(first, &doc, fetch, fetched_ms, now, &mut found, &mut report)
        else {
            report.findings.append(&mut found);
            report.findings.push(rule("live.reload").finding(
                "/MPD".into(),
                0,
                "200 with a well-formed MPD at every refresh",
                "an error or a document that is not XML",
            ));
            note("the MPD could not be fetched again: stopping");
            break;
        };
        report.refreshes += 1;
        note(&format!("refresh {} ({how})", report.refreshes));
        let opts = Options {
            now_ms: Some(now),
            ..first.options.clone()
        };
        found.extend(rules::run(&new, &opts, &first.url));
        compare(&doc, &new, &first.url, now, &mut found);
        for f in found.drain(..) {
            if seen.insert(key(&f)) {
                report.findings.push(f);
            }
        }
        doc = new;
        fetched_ms = now;
    }
    report
}

fn key(f: &Finding) -> String {
    format!("{}|{}|{}|{}", f.rule, f.path, f.expected, f.seen)
}

/// The next MPD: `held` patched when it offers patches and the patch
/// applies, the whole MPD again otherwise; `None` when neither answers.
fn refresh(
    first: &Validator,
    held: &Doc,
    fetch: &dyn Fetch,
    fetched_ms: i64,
    now: i64,
    found: &mut Vec<Finding>,
    report: &mut LiveReport,
) -> Option<(Doc, &'static str)> {
    if let Some(pl) = held.child(held.root(), "PatchLocation") {
        let n = held.node(pl);
        let url = resolve(&first.url, n.text.trim());
        let ttl_ms = n
            .attr("ttl")
            .and_then(|t| t.parse::<f64>().ok())
            .map(|t| (t * 1000.0) as i64);
        let within_ttl = ttl_ms.is_none_or(|t| now.saturating_sub(fetched_ms) <= t);
        let why = match fetch.get(&url, None) {
            Ok(got) if got.status == 200 => match Doc::parse(&got.body) {
                Ok(p) => {
                    let applied = patch::apply(held, &p, &url);
                    found.extend(applied.findings);
                    match applied.mpd {
                        Some(d) => {
                            report.patches += 1;
                            return Some((d, "patched"));
                        }
                        None => format!("the patch from {url} could not be applied"),
                    }
                }
                Err(e) => {
                    found.push(answer(held, pl, &url, format!("not well-formed: {e}")));
                    format!("the patch from {url} is not well-formed")
                }
            },
            Ok(got) => {
                let seen = match got.status {
                    410 => "HTTP 410 Gone (a stale patch)".to_string(),
                    s => format!("HTTP {s}"),
                };
                if within_ttl {
                    found.push(answer(held, pl, &url, seen.clone()));
                }
                format!("{url} answered {seen}")
            }
            Err(e) => format!("{url}: {e}"),
        };
        report.reloads.push(why);
    }
    let got = fetch.get(&first.url, None).ok()?;
    if got.status != 200 {
        return None;
    }
    Doc::parse(&got.body).ok().map(|d| (d, "reloaded"))
}

fn answer(held: &Doc, pl: usize, url: &str, seen: String) -> Finding {
    let mut f = rule("patch.answer").finding(
        held.path(pl),
        held.node(pl).line,
        "200 with a patch while the PatchLocation's @ttl lasts",
        seen,
    );
    f.segment = Some(url.to_string());
    f
}

/// One Representation's timeline in wall-clock terms.
struct Timeline {
    /// Where findings point: the SegmentTimeline (or its Representation).
    node: usize,
    /// `(key, media time, duration, end in ms since 1970)`; the key is
    /// `$Number$` where the template uses it, the media time otherwise.
    segments: Vec<(u64, u64, u64, i64)>,
    timescale: u64,
}

fn timelines(doc: &Doc, url: &str, now: i64) -> HashMap<String, Timeline> {
    let root = doc.node(doc.root());
    let ast = root
        .attr("availabilityStartTime")
        .and_then(value::datetime_ms)
        .unwrap_or(0);
    let mut out = HashMap::new();
    for r in doc.all("Representation") {
        let Some(st) = segment_info(doc, r, "SegmentTemplate") else {
            continue;
        };
        let Some(tl) = doc.child(st, "SegmentTimeline") else {
            continue;
        };
        let mut period = doc.node(r).parent;
        while let Some(p) = period.filter(|&p| doc.node(p).name != "Period") {
            period = doc.node(p).parent;
        }
        let pstart_ms = period
            .and_then(|p| doc.node(p).attr("start"))
            .and_then(value::duration_s)
            .map_or(0, |s| (s * 1000.0) as i64);
        let pid = period
            .and_then(|p| doc.node(p).attr("id"))
            .unwrap_or_default();
        let pto: u64 = doc
            .node(st)
            .attr("presentationTimeOffset")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let reps = list(doc, r, url, Some(now));
        let ts = reps.timescale.max(1);
        let segments = reps
            .media
            .iter()
            .filter_map(|s| {
                let (t, d) = (s.time?, s.duration?);
                let end_ticks = i128::from(t) + i128::from(d) - i128::from(pto);
                let end_ms = i64::try_from(end_ticks * 1000 / i128::from(ts)).ok()?;
                let end = ast.saturating_add(pstart_ms).saturating_add(end_ms);
                Some((s.number.unwrap_or(t), t, d, end))
            })
            .collect();
        out.insert(
            format!("{pid}/{}", reps.id),
            Timeline {
                node: tl,
                segments,
                timescale: ts,
            },
        );
    }
    out
}

/// The rules across two refreshes: `old` then `new`, fetched at `now`.
fn compare(old: &Doc, new: &Doc, url: &str, now: i64, out: &mut Vec<Finding>) {
    let (o, n) = (old.node(old.root()), new.node(new.root()));
    let at = |id: &str, node: usize, expected: String, seen: String| {
        rule(id).finding(new.path(node), new.node(node).line, expected, seen)
    };
    for (id, attr) in [("live.id", "id"), ("live.ast", "availabilityStartTime")] {
        if o.attr(attr) != n.attr(attr) {
            out.push(at(
                id,
                new.root(),
                format!("@{attr} {:?} as before", o.attr(attr).unwrap_or("")),
                format!("{:?}", n.attr(attr).unwrap_or("")),
            ));
        }
    }
    let publish = |d: &super::doc::Node| d.attr("publishTime").and_then(value::datetime_ms);
    if let (Some(a), Some(b)) = (publish(o), publish(n)) {
        if b < a {
            out.push(at(
                "live.publish-time",
                new.root(),
                format!("@publishTime ≥ {}", o.attr("publishTime").unwrap_or("")),
                n.attr("publishTime").unwrap_or("").to_string(),
            ));
        }
    }
    let ms = |a: Option<&str>| a.and_then(value::duration_s).map(|s| (s * 1000.0) as i64);
    let tsbd = ms(n.attr("timeShiftBufferDepth"));
    let mup = ms(n.attr("minimumUpdatePeriod")).unwrap_or(0);
    let published = publish(n).unwrap_or(now);
    let before = timelines(old, url, now);
    for (rep, tl) in timelines(new, url, now) {
        let longest_ms = tl
            .segments
            .iter()
            .map(|s| i64::try_from(s.2 * 1000 / tl.timescale).unwrap_or(i64::MAX))
            .max()
            .unwrap_or(0);
        if let Some(s) = tl.segments.iter().find(|s| s.3 > now + CLOCK_SLACK_MS) {
            out.push(at(
                "live.future-segment",
                tl.node,
                format!("{rep}: segments that end by the fetch ({now} ms)"),
                format!("segment at t={} ends at {} ms", s.1, s.3),
            ));
        }
        if let Some(depth) = tsbd {
            let gone =
                |s: &&(u64, u64, u64, i64)| s.3.saturating_add(depth) < published - CLOCK_SLACK_MS;
            if let Some(s) = tl.segments.iter().find(gone) {
                out.push(at(
                    "live.left-window",
                    tl.node,
                    format!("{rep}: segments ending after {} ms", published - depth),
                    format!("segment at t={} ends at {} ms", s.1, s.3),
                ));
            }
        }
        let edge = tl.segments.iter().map(|s| s.3).max();
        let behind = now - mup - 2 * longest_ms - CLOCK_SLACK_MS;
        if edge.is_some_and(|e| e < behind) {
            out.push(at(
                "live.edge",
                tl.node,
                format!("{rep}: the newest segment ends after {behind} ms"),
                format!("{} ms", edge.unwrap_or(0)),
            ));
        }
        let Some(prev) = before.get(&rep) else {
            continue;
        };
        let was: HashMap<u64, (u64, u64)> =
            prev.segments.iter().map(|s| (s.0, (s.1, s.2))).collect();
        let moved = tl.segments.iter().find_map(|s| {
            was.get(&s.0)
                .filter(|&&w| w != (s.1, s.2))
                .map(|w| (s.0, *w, (s.1, s.2)))
        });
        if let Some((k, w, s)) = moved {
            out.push(at(
                "live.timeline-stable",
                tl.node,
                format!("{rep}: segment {k} at t={} d={} as before", w.0, w.1),
                format!("t={} d={}", s.0, s.1),
            ));
        }
    }
}
