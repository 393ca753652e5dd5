//! Getting the manifest and its segments: over HTTP(S) with timeouts, or
//! from files (a path, or a `file://` URL), behind one trait so tests can
//! answer from memory or an origin in process.

use std::io::Read;
use std::time::Duration;

pub struct Fetched {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

pub trait Fetch: Sync {
    /// `range`: first and last byte, inclusive.
    fn get(&self, url: &str, range: Option<(u64, u64)>) -> Result<Fetched, String>;
}

/// The biggest segment read: a bound on memory per connection.
pub const MAX_BODY: u64 = 512 * 1024 * 1024;

/// HTTP(S) through ureq; anything else is a file path.
pub struct Web {
    agent: ureq::Agent,
}

impl Web {
    pub fn new(timeout: Duration) -> Web {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build();
        Web {
            agent: config.into(),
        }
    }
}

impl Default for Web {
    fn default() -> Self {
        Web::new(Duration::from_secs(30))
    }
}

pub fn is_http(url: &str) -> bool {
    let l = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

impl Fetch for Web {
    fn get(&self, url: &str, range: Option<(u64, u64)>) -> Result<Fetched, String> {
        if !is_http(url) {
            return read_file(url, range);
        }
        let mut req = self.agent.get(url);
        if let Some((a, b)) = range {
            req = req.header("Range", format!("bytes={a}-{b}"));
        }
        let mut resp = req.call().map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| e.to_string())?;
        Ok(Fetched {
            status,
            content_type,
            body,
        })
    }
}

/// A file as if served: 200 (206 for a range), 404 when missing.
pub fn read_file(url: &str, range: Option<(u64, u64)>) -> Result<Fetched, String> {
    let path = url.strip_prefix("file://").unwrap_or(url);
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Fetched {
                status: 404,
                content_type: None,
                body: Vec::new(),
            })
        }
        Err(e) => return Err(format!("{path}: {e}")),
    };
    let mut body = Vec::new();
    let status = match range {
        None => {
            f.by_ref()
                .take(MAX_BODY)
                .read_to_end(&mut body)
                .map_err(|e| format!("{path}: {e}"))?;
            200
        }
        Some((a, b)) => {
            use std::io::{Seek, SeekFrom};
            f.seek(SeekFrom::Start(a))
                .map_err(|e| format!("{path}: {e}"))?;
            let n = b.saturating_sub(a).saturating_add(1).min(MAX_BODY);
            f.take(n)
                .read_to_end(&mut body)
                .map_err(|e| format!("{path}: {e}"))?;
            206
        }
    };
    Ok(Fetched {
        status,
        content_type: None,
        body,
    })
}

/// `rel` against `base` (a URL or a file path), as a browser resolves a
/// link: absolute stays, `/x` replaces the path, `x` replaces the last part.
pub fn resolve(base: &str, rel: &str) -> String {
    let rel = rel.trim();
    if rel.is_empty() {
        // A SegmentURL without @media, an Initialization without @sourceURL:
        // the base itself.
        return base.to_string();
    }
    if is_http(rel) || rel.starts_with("file://") {
        return rel.to_string();
    }
    let base = base.split(['?', '#']).next().unwrap_or(base);
    if let Some(path) = rel.strip_prefix('/') {
        if is_http(base) {
            let after = base.find("://").map_or(0, |i| i + 3);
            let host_end = base[after..].find('/').map_or(base.len(), |i| after + i);
            return format!("{}/{path}", &base[..host_end]);
        }
        return rel.to_string();
    }
    let dir = base.rfind('/').map_or("", |i| &base[..=i]);
    format!("{dir}{rel}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_a_browser() {
        let b = "http://h:5000/dash/vod/card/hand_made.mpd?x=1";
        assert_eq!(
            resolve(b, "v1/init.m4v"),
            "http://h:5000/dash/vod/card/v1/init.m4v"
        );
        assert_eq!(resolve(b, "/other/a.mp4"), "http://h:5000/other/a.mp4");
        assert_eq!(resolve(b, "https://x/y"), "https://x/y");
        assert_eq!(resolve("out/dash/a.mpd", "v/1.m4v"), "out/dash/v/1.m4v");
        assert_eq!(resolve("a.mpd", "v/1.m4v"), "v/1.m4v");
        assert_eq!(resolve("d/v.mp4", ""), "d/v.mp4");
    }
}
