//! The validator on the origin's own answers, in process: live manifests at
//! a fixed clock and their segments as the origin computes them (loop
//! shifted decode times, sequence numbers), and the VOD tree it serves.

use http_body_util::BodyExt;

use dashlive::validate::fetch::{Fetch, Fetched};
use dashlive::validate::{Finding, Options, Severity, Validator};

use crate::app_tests::{fixture, NOW, START};

const HOST: &str = "http://origin.test";

/// Requests answered by [`crate::app::App::handle`] at a fixed clock.
struct InProcess {
    rt: tokio::runtime::Runtime,
}

impl Fetch for InProcess {
    fn get(&self, url: &str, range: Option<(u64, u64)>) -> Result<Fetched, String> {
        let path = url
            .strip_prefix(HOST)
            .ok_or_else(|| format!("not {HOST}: {url}"))?;
        self.rt.block_on(async {
            let mut req = hyper::Request::builder()
                .uri(path)
                .header("host", "origin.test");
            if let Some((a, b)) = range {
                req = req.header("range", format!("bytes={a}-{b}"));
            }
            let req = req
                .body(http_body_util::Full::new(bytes::Bytes::new()))
                .map_err(|e| e.to_string())?;
            let (_, response) = fixture().app.handle(req, NOW).await;
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
    for q in ["", "&timeline=1", "&drm=all"] {
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
