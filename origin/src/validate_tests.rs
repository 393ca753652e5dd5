//! The validator on the origin's own answers, in process: live manifests at
//! a fixed clock and their segments as the origin computes them (loop
//! shifted decode times, sequence numbers), and the VOD tree it serves.

use http_body_util::BodyExt;

use dashlive::validate::fetch::{Fetch, Fetched};
use dashlive::validate::{Finding, Options, Severity, Validator};

use crate::app_tests::{fixture, NOW, START};

pub(crate) const HOST: &str = "http://origin.test";

/// Requests answered by [`crate::app::App::handle`] at a fixed clock.
struct InProcess {
    rt: tokio::runtime::Runtime,
}

impl Fetch for InProcess {
    fn get(&self, url: &str, range: Option<(u64, u64)>) -> Result<Fetched, String> {
        get_at(&self.rt, url, range, NOW)
    }
}

/// What the origin answers `url` with at clock `at`.
pub(crate) fn get_at(
    rt: &tokio::runtime::Runtime,
    url: &str,
    range: Option<(u64, u64)>,
    at: i64,
) -> Result<Fetched, String> {
    let path = url
        .strip_prefix(HOST)
        .ok_or_else(|| format!("not {HOST}: {url}"))?;
    rt.block_on(async {
        let mut req = hyper::Request::builder()
            .uri(path)
            .header("host", "origin.test");
        if let Some((a, b)) = range {
            req = req.header("range", format!("bytes={a}-{b}"));
        }
        let req = req
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .map_err(|e| e.to_string())?;
        let (_, response) = fixture().app.handle(req, at).await;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(Fetched {
            status: parts.status.as_u16(),
            content_type: parts
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(String::from),
            body: body.to_vec(),
        })
    })
}

fn validate(path: &str, segments: Option<usize>) -> (Vec<Finding>, usize) {
    let fetch = InProcess {
        rt: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap(),
    };
    let opts = Options {
        segments,
        now_ms: Some(NOW),
        connections: 2,
        ..Options::default()
    };
    let v = Validator::load(&fetch, &format!("{HOST}{path}"), opts).unwrap();
    let mut f = v.check_manifest();
    let checked = std::sync::atomic::AtomicUsize::new(0);
    f.extend(v.check_segments(&fetch, &|d, _| {
        checked.fetch_max(d, std::sync::atomic::Ordering::Relaxed);
    }));
    (f, checked.into_inner())
}

fn errors(f: &[Finding]) -> Vec<String> {
    f.iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.to_string())
        .collect()
}

#[test]
fn live_manifests_and_their_segments_validate() {
    for q in ["", "&timeline=1", "&drm=all", "&events=ping,scte35"] {
        let path = format!("/dash/live/card/hand_made.mpd?start={START}{q}");
        let (f, checked) = validate(&path, Some(6));
        assert!(errors(&f).is_empty(), "{path}: {:#?}", errors(&f));
        assert!(checked >= 2 * 7, "{path}: {checked} segments checked");
    }
}

#[test]
fn vod_manifests_validate_in_full() {
    for m in ["hand_made", "manifest_a"] {
        let path = format!("/dash/vod/card/{m}.mpd");
        let (f, checked) = validate(&path, None);
        assert!(errors(&f).is_empty(), "{path}: {:#?}", errors(&f));
        assert!(checked >= 2 * 3, "{path}: {checked} segments checked");
    }
}

#[test]
fn multi_period_programmes_validate_with_their_segments() {
    for path in [
        "/mps/vod/prog/hand_made.mpd".to_string(),
        format!("/mps/live/prog/hand_made.mpd?start={START}"),
        format!("/mps/live/prog/hand_made.mpd?start={START}&timeline=1"),
    ] {
        let (f, checked) = validate(&path, Some(4));
        assert!(errors(&f).is_empty(), "{path}: {:#?}", errors(&f));
        // Every period's video and audio: init and a media segment at least.
        assert!(checked >= 2 * 3 * 2, "{path}: {checked} segments checked");
        let rules: Vec<&str> = f.iter().map(|f| f.rule).collect();
        assert!(!rules.contains(&"ev.scte35"), "{path}: {rules:?}");
    }
}

// ---------------------------------------------------------------- live refreshes

/// The clock of a live test: waiting moves it, nothing sleeps.
struct TestClock(std::sync::atomic::AtomicI64);

impl dashlive::validate::live::Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
    fn sleep_until(&self, ms: i64) {
        self.0.fetch_max(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The origin at the test clock, each answer passed through `edit` (the
/// request's URL, the clock, the answer) to break what a test breaks.
struct Clocked<'a> {
    clock: &'a TestClock,
    edit: &'a (dyn Fn(&str, i64) -> i64 + Sync),
    rt: tokio::runtime::Runtime,
}

impl Fetch for Clocked<'_> {
    fn get(&self, url: &str, range: Option<(u64, u64)>) -> Result<Fetched, String> {
        use dashlive::validate::live::Clock;
        get_at(&self.rt, url, range, (self.edit)(url, self.clock.now_ms()))
    }
}

/// Validates the live manifest at `path` for `seconds` of test clock, the
/// origin's answers moved in time by `edit`.
fn watch(
    path: &str,
    seconds: i64,
    edit: &(dyn Fn(&str, i64) -> i64 + Sync),
) -> (Vec<Finding>, dashlive::validate::live::LiveReport) {
    let clock = TestClock(std::sync::atomic::AtomicI64::new(NOW));
    let fetch = Clocked {
        clock: &clock,
        edit,
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    };
    let opts = Options {
        now_ms: Some(NOW),
        connections: 1,
        ..Options::default()
    };
    let v = Validator::load(&fetch, &format!("{HOST}{path}"), opts).unwrap();
    let first = v.check_manifest();
    let report =
        dashlive::validate::live::watch(&v, &first, &fetch, &clock, seconds * 1000, &|_| {});
    (first, report)
}

fn rules_of(f: &[Finding]) -> Vec<&'static str> {
    let mut r: Vec<&'static str> = f
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.rule)
        .collect();
    r.dedup();
    r
}

#[test]
fn a_live_stream_refreshed_with_patches_or_reloads_validates() {
    let same = |_: &str, t: i64| t;
    let path = format!("/dash/live/card/hand_made.mpd?start={START}&patch=1");
    let (first, r) = watch(&path, 60, &same);
    assert!(errors(&first).is_empty(), "{:#?}", errors(&first));
    assert!(errors(&r.findings).is_empty(), "{:#?}", errors(&r.findings));
    assert!(r.refreshes >= 5, "{} refreshes", r.refreshes);
    assert_eq!(r.patches, r.refreshes, "reloads: {:?}", r.reloads);
    for q in ["", "&timeline=1"] {
        let path = format!("/dash/live/card/hand_made.mpd?start={START}{q}");
        let (_, r) = watch(&path, 60, &same);
        assert!(
            errors(&r.findings).is_empty(),
            "{path}: {:#?}",
            errors(&r.findings)
        );
        assert!(r.refreshes >= 5 && r.patches == 0, "{path}: {r:?}");
    }
}

#[test]
fn a_stale_patch_is_reported_and_the_mpd_reloaded() {
    // The origin's patch route an hour ahead of the player: every patch it
    // is asked for is of an MPD out of its window, 410 Gone.
    let skewed = |url: &str, t: i64| {
        if url.contains("/patch/") {
            t + 3_600_000
        } else {
            t
        }
    };
    let path = format!("/dash/live/card/hand_made.mpd?start={START}&patch=1");
    let (_, r) = watch(&path, 30, &skewed);
    assert_eq!(rules_of(&r.findings), ["patch.answer"], "{:#?}", r.findings);
    assert!(r.findings[0].seen.contains("410"), "{}", r.findings[0]);
    assert!(r.refreshes >= 2 && r.patches == 0, "{r:?}");
    assert!(r.reloads[0].contains("410"), "{:?}", r.reloads);
}

#[test]
fn a_timeline_that_stops_or_runs_ahead_on_refresh_is_reported() {
    let path = format!("/dash/live/card/hand_made.mpd?start={START}&timeline=1");
    // Every refresh is the MPD of the first fetch: the clock moves on, the
    // timeline does not.
    let frozen = |_: &str, _: i64| NOW;
    let (_, r) = watch(&path, 60, &frozen);
    assert!(
        rules_of(&r.findings).contains(&"live.edge"),
        "{:#?}",
        r.findings
    );
    // Refreshes drawn 20 s ahead: segments listed before they exist.
    let ahead = |_: &str, t: i64| if t > NOW { t + 20_000 } else { t };
    let (_, r) = watch(&path, 30, &ahead);
    assert_eq!(
        rules_of(&r.findings),
        ["live.future-segment"],
        "{:#?}",
        r.findings
    );
}

#[test]
fn a_saved_stream_builds_and_its_manifest_validates() {
    let fetch = InProcess {
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    };
    let v = Validator::load(
        &fetch,
        &format!("{HOST}/dash/vod/card/hand_made.mpd"),
        Options::default(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved_card");
    // Saving again over files whose names share an inode with another
    // file writes through none of them.
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    std::fs::create_dir_all(saved.join("config/streams")).unwrap();
    for name in ["manifest.mpd", "config/streams/saved_card.yaml"] {
        std::fs::hard_link(&victim, saved.join(name)).unwrap();
    }
    let yaml = dashlive::validate::save::save(&v, &fetch, &saved).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    assert!(yaml.ends_with("config/streams/saved_card.yaml"), "{yaml:?}");
    let out = dir.path().join("out");
    dashlive::build::build(&saved.join("config"), Some(&out)).unwrap();
    // The rebuilt stream, validated with its segments as files.
    let mpd = out.join("dash/vod/saved_card/hand_made.mpd");
    let web = dashlive::validate::fetch::Web::default();
    let v = Validator::load(&web, &mpd.to_string_lossy(), Options::default()).unwrap();
    let mut f = v.check_manifest();
    f.extend(v.check_segments(&web, &|_, _| {}));
    assert!(errors(&f).is_empty(), "{:#?}", errors(&f));
}
