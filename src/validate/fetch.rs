//! Getting the manifest and its segments: over HTTP(S) with timeouts, or
//! from files (a path, or a `file://` URL), behind one trait so tests can
//! answer from memory or an origin in process.

use std::io::Read;
use std::time::Duration;

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use crate::net::Networks;

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

/// HTTP(S) through ureq; anything else is a file path, unless the fetcher
/// is a server's ([`Web::for_server`]).
pub struct Web {
    agent: ureq::Agent,
    /// Whether a URL that is no http(s) one is read as a file.
    local_files: bool,
}

impl Web {
    /// The command line's: URLs and files, as the user names them.
    pub fn new(timeout: Duration) -> Web {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build();
        Web {
            agent: config.into(),
            local_files: true,
        }
    }

    /// A server's, fetching what its clients name (the page `/validate`):
    /// http(s) only (a manifest's `file:` or path URL is refused, never
    /// read from the server's disk), and no address in `deny` nor a
    /// link-local one (where clouds serve their instances' credentials).
    /// The check is in the name resolver, so it holds for every redirect
    /// and for the address connected to (no second lookup to rebind), and
    /// proxies from the environment are not used (they would resolve the
    /// name out of its sight).
    pub fn for_server(timeout: Duration, deny: &Networks) -> Web {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .proxy(None)
            .build();
        let guard = Guard {
            deny: link_local().and(deny),
        };
        Web {
            agent: ureq::Agent::with_parts(config, DefaultConnector::new(), guard),
            local_files: false,
        }
    }
}

/// Addresses no server fetches from whatever its settings say: link-local
/// ones, where clouds serve instance metadata (169.254.169.254), AWS's
/// IPv6 metadata address (fd00:ec2::254), and unspecified ones.
fn link_local() -> Networks {
    Networks::parse("169.254.0.0/16 fe80::/10 fd00:ec2::254 0.0.0.0/8 ::/128").unwrap_or_default()
}

/// A resolver that refuses a name any of whose addresses is denied.
#[derive(Debug)]
struct Guard {
    deny: Networks,
}

impl Resolver for Guard {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let addrs = DefaultResolver::default().resolve(uri, config, timeout)?;
        match addrs.iter().find(|a| self.deny.contains(a.ip())) {
            Some(a) => Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{} is {}, an address this server does not fetch from",
                    uri.host().unwrap_or(""),
                    a.ip()
                ),
            ))),
            None => Ok(addrs),
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
            if !self.local_files {
                return Err(format!(
                    "{}: only http:// and https:// URLs are fetched here",
                    crate::options::shown(url)
                ));
            }
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

#[cfg(test)]
mod server_tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    /// A server on `ip` that answers every request with `head` (and an
    /// empty body); its address.
    fn answering(ip: &str, head: String) -> String {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 2 {
                    line.clear();
                }
                let _ = conn.write_all(format!("{head}\r\nContent-Length: 0\r\n\r\n").as_bytes());
            }
        });
        format!("http://{addr}/")
    }

    fn web(deny: &str) -> Web {
        Web::for_server(Duration::from_secs(5), &Networks::parse(deny).unwrap())
    }

    #[test]
    fn a_servers_fetcher_reads_no_file_a_manifest_names() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "not for the web").unwrap();
        for url in [
            file.display().to_string(),
            format!("file://{}", file.display()),
        ] {
            let e = web("").get(&url, None).err().expect("refused");
            assert!(e.contains("only http:// and https://"), "{e}");
        }
        // The command line's reads it.
        let got = Web::default().get(&file.display().to_string(), None);
        assert_eq!(got.map(|f| f.body).unwrap(), b"not for the web");
    }

    #[test]
    fn a_servers_fetcher_refuses_denied_and_link_local_addresses_redirects_included() {
        let ok = answering("127.0.0.1", "HTTP/1.1 200 OK".into());
        assert_eq!(web("").get(&ok, None).map(|f| f.status), Ok(200));
        let e = web("127.0.0.0/8").get(&ok, None).err().expect("denied");
        assert!(
            e.contains("127.0.0.1") && e.contains("does not fetch from"),
            "{e}"
        );
        // Cloud metadata, whatever the settings: refused before connecting.
        let e = web("").get("http://169.254.169.254/latest/meta-data/", None);
        assert!(e.err().expect("link-local").contains("169.254.169.254"));
        // An allowed address that redirects to a denied one.
        let denied = answering("127.0.0.2", "HTTP/1.1 200 OK".into());
        let redirect = answering(
            "127.0.0.1",
            format!("HTTP/1.1 302 Found\r\nLocation: {denied}"),
        );
        assert_eq!(web("").get(&redirect, None).map(|f| f.status), Ok(200));
        let e = web("127.0.0.2").get(&redirect, None).err().expect("denied");
        assert!(e.contains("127.0.0.2"), "{e}");
    }
}
