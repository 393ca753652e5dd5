//! Cross-origin access (CORS): which web pages may fetch our manifests,
//! segments and licences. Players are usually served from another origin
//! (the DASH-IF reference player, the Shaka demo, a page on localhost), so
//! every response carries the headers that let the browser hand it over.
//!
//! The setting (`FLASK_DASH__ALLOWED_DOMAINS`, as in dash-live) is `*`, a
//! regular expression, or a list of host names.

use std::sync::LazyLock;

use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Response, StatusCode};
use regex::Regex;

use crate::body::Body;
use crate::routes::Methods;

/// Response headers a player script may read: Date for clock
/// synchronisation, Content-Range for byte-range requests, and the
/// validators for caching.
const EXPOSE_HEADERS: &str = "Content-Length, Content-Range, Date, ETag, Last-Modified";
/// One day: the browser need not repeat the preflight for every segment.
const MAX_AGE: &str = "86400";

/// dash-live's default (`^http://(dashif\.org)|(shaka-player-demo\.appspot\.com)|(mediapm\.edgesuite\.net)`)
/// only anchors its first alternative and only allows http for dashif.org,
/// so `https://reference.dashif.org` is refused while
/// `https://mediapm.edgesuite.net.evil.example` is allowed. This is the
/// intended set, anchored, matched against the host, any scheme and port,
/// plus the local hosts a developer serves player pages from.
const DEFAULT_PATTERN: &str = concat!(
    r"^(?:",
    r"(?:[a-z0-9-]+\.)*dashif\.org",
    r"|shaka-player-demo\.appspot\.com",
    r"|(?:[a-z0-9-]+\.)*mediapm\.edgesuite\.net",
    r"|localhost|127\.0\.0\.1|::1",
    r")$"
);

static DEFAULT_REGEX: LazyLock<Regex> = LazyLock::new(|| {
    // A constant, checked by the tests: it cannot fail at run time.
    Regex::new(DEFAULT_PATTERN).expect("the default CORS pattern is a valid regex")
});

/// A host name as it may appear in the list form, optionally `*.` first.
static LIST_ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$")
        .expect("the list item pattern is a valid regex")
});

#[derive(Debug, Clone)]
pub enum AllowedDomains {
    /// Every origin (`*`).
    Any,
    /// Origins whose host, or whose whole `scheme://host[:port]` text,
    /// the pattern finds a match in.
    Pattern(Regex),
}

impl AllowedDomains {
    /// `*` allows every origin. A comma- or space-separated list of plain
    /// host names (`reference.dashif.org, *.example.com`) allows exactly
    /// those hosts, on any scheme and port; `*.` allows any subdomain (not
    /// the bare domain). Anything else is a regular expression, searched
    /// for (unanchored, as dash-live does with `re.search`) in both the
    /// origin's host and the whole origin, so a dash-live pattern written
    /// against `https?://host` keeps working. An empty value allows no
    /// origin.
    pub fn parse(value: &str) -> Result<AllowedDomains, regex::Error> {
        let value = value.trim();
        if value == "*" {
            return Ok(AllowedDomains::Any);
        }
        let items: Vec<&str> = value
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        if items.is_empty() {
            // An empty regex would match everything; an empty setting
            // more likely means "nobody".
            return Regex::new(r"[^\s\S]").map(AllowedDomains::Pattern);
        }
        if items.iter().all(|item| LIST_ITEM.is_match(item)) {
            let alternatives: Vec<String> = items
                .iter()
                .map(|item| {
                    // Letters, digits, hyphens and dots only: the dots are
                    // the one regex metacharacter to escape.
                    let item = item.to_ascii_lowercase().replace('.', r"\.");
                    match item.strip_prefix(r"*\.") {
                        Some(domain) => format!(r"(?:[a-z0-9-]+\.)+{domain}"),
                        None => item,
                    }
                })
                .collect();
            return Regex::new(&format!("^(?:{})$", alternatives.join("|")))
                .map(AllowedDomains::Pattern);
        }
        Regex::new(value).map(AllowedDomains::Pattern)
    }

    pub fn default_domains() -> AllowedDomains {
        AllowedDomains::Pattern(DEFAULT_REGEX.clone())
    }

    /// `origin` is an Origin header value, `scheme://host[:port]`. An
    /// origin that is not of that form (`null` from a sandboxed frame or a
    /// file: page) is allowed only by `*`.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            AllowedDomains::Any => true,
            AllowedDomains::Pattern(re) => match origin_host(origin) {
                Some(host) => re.is_match(&host) || re.is_match(origin),
                None => false,
            },
        }
    }

    /// The setting as it would be written: `*` or the regular expression.
    pub fn as_str(&self) -> &str {
        match self {
            AllowedDomains::Any => "*",
            AllowedDomains::Pattern(re) => re.as_str(),
        }
    }
}

/// The lower-cased host of `scheme://host[:port]` (IPv6 without its
/// brackets), or None when the text is not an origin.
fn origin_host(origin: &str) -> Option<String> {
    let (scheme, authority) = origin.split_once("://")?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    // An origin has no user info, path, query or fragment.
    if !scheme_ok || authority.contains(['/', '?', '#', '@']) {
        return None;
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        if port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().is_err()
        {
            return None;
        }
    }
    if host.is_empty() {
        return None;
    }
    Some(host.to_ascii_lowercase())
}

/// Headers to add to a response to a request with this Origin. Append
/// them (`HeaderMap::append`): the caller may have a Vary of its own.
///
/// With `*` every response says `Access-Control-Allow-Origin: *`, with or
/// without an Origin, so a cached copy suits every page. With a pattern
/// the allowed origin is echoed and every response, allowed or not, says
/// `Vary: Origin`, so a cache never hands one origin's answer to another.
pub fn response_headers(
    allowed: &AllowedDomains,
    origin: Option<&HeaderValue>,
) -> Vec<(HeaderName, HeaderValue)> {
    let allow_origin = match allowed {
        AllowedDomains::Any => Some(HeaderValue::from_static("*")),
        AllowedDomains::Pattern(_) => origin
            .filter(|o| o.to_str().is_ok_and(|o| allowed.allows(o)))
            .cloned(),
    };
    let mut headers = Vec::with_capacity(3);
    if let AllowedDomains::Pattern(_) = allowed {
        headers.push((header::VARY, HeaderValue::from_static("Origin")));
    }
    if let Some(value) = allow_origin {
        headers.push((header::ACCESS_CONTROL_ALLOW_ORIGIN, value));
        headers.push((
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        ));
    }
    headers
}

/// The whole answer to a CORS preflight (OPTIONS with Origin and
/// Access-Control-Request-Method): 204 with the permissions, or 403 naming
/// the refused origin. None when the request is not a preflight. `methods`
/// are the route's, so a page learns exactly what the URL accepts.
pub fn preflight(
    allowed: &AllowedDomains,
    method: &Method,
    headers: &HeaderMap,
    methods: Methods,
) -> Option<Response<Body>> {
    if method != Method::OPTIONS || !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        return None;
    }
    let origin = headers.get(header::ORIGIN)?;
    let allowed_here = match allowed {
        AllowedDomains::Any => true,
        AllowedDomains::Pattern(_) => origin.to_str().is_ok_and(|o| allowed.allows(o)),
    };
    let mut response = Response::new(Body::empty());
    if !allowed_here {
        *response.status_mut() = StatusCode::FORBIDDEN;
        let out = response.headers_mut();
        out.insert(header::VARY, HeaderValue::from_static("Origin"));
        out.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        // The body repeats request text: never let a browser sniff it as HTML.
        out.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        let origin = String::from_utf8_lossy(origin.as_bytes());
        *response.body_mut() = Body::from(format!(
            "CORS: origin {origin} is not allowed (see FLASK_DASH__ALLOWED_DOMAINS)\n"
        ));
        return Some(response);
    }
    let out = response.headers_mut();
    for (name, value) in response_headers(allowed, Some(origin)) {
        out.append(name, value);
    }
    out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods.header_value());
    // Whatever headers the page wants to send (Range, licence request
    // headers) are fine: echo them.
    if let Some(requested) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
    }
    out.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE),
    );
    *response.status_mut() = StatusCode::NO_CONTENT;
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A route that takes licence requests.
    const GET_POST: Methods = Methods::GET.or(Methods::POST);
    use http_body_util::BodyExt;

    fn parse(value: &str) -> AllowedDomains {
        AllowedDomains::parse(value).unwrap()
    }

    fn hv(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    /// The headers as (name, value) strings, for exact comparison.
    fn strings(headers: &[(HeaderName, HeaderValue)]) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap().to_string()))
            .collect()
    }

    fn map_strings(headers: &HeaderMap) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap().to_string()))
            .collect();
        v.sort();
        v
    }

    fn request_headers(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(n.clone(), hv(v));
        }
        h
    }

    async fn body_text(response: Response<Body>) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn star_is_any_and_allows_everything() {
        let any = parse(" * ");
        assert!(matches!(any, AllowedDomains::Any));
        assert_eq!(any.as_str(), "*");
        assert!(any.allows("https://example.com"));
        assert!(any.allows("null"));
    }

    #[test]
    fn a_regex_is_searched_in_the_host() {
        let p = parse(r"(^|\.)example\.com$");
        assert!(matches!(p, AllowedDomains::Pattern(_)));
        assert_eq!(p.as_str(), r"(^|\.)example\.com$");
        assert!(p.allows("https://example.com"));
        assert!(p.allows("http://www.example.com:8080"));
        assert!(!p.allows("https://badexample.com"));
        assert!(!p.allows("https://example.com.evil.net"));
    }

    #[test]
    fn a_dash_live_regex_against_the_whole_origin_still_works() {
        let p = parse(r"^https://(.+\.)?example\.com(:\d+)?$");
        assert!(p.allows("https://example.com"));
        assert!(p.allows("https://a.example.com:8443"));
        assert!(!p.allows("http://example.com"));
    }

    #[test]
    fn a_regex_is_unanchored_like_python_search() {
        let p = parse(r"dashif\.org");
        assert!(p.allows("https://reference.dashif.org"));
        assert!(p.allows("https://dashif.org.evil.example"));
        assert!(!p.allows("https://example.com"));
    }

    #[test]
    fn a_bad_regex_is_an_error() {
        assert!(AllowedDomains::parse("(unclosed").is_err());
    }

    #[test]
    fn the_list_form_becomes_an_anchored_regex() {
        let p = parse("reference.dashif.org, shaka-player-demo.appspot.com");
        assert_eq!(
            p.as_str(),
            r"^(?:reference\.dashif\.org|shaka-player-demo\.appspot\.com)$"
        );
        assert!(p.allows("https://reference.dashif.org"));
        assert!(p.allows("http://shaka-player-demo.appspot.com:8080"));
        // The dots are literal and the match is whole.
        assert!(!p.allows("https://referenceXdashif.org"));
        assert!(!p.allows("https://x.reference.dashif.org"));
        assert!(!p.allows("https://reference.dashif.org.evil.net"));
    }

    #[test]
    fn the_list_form_accepts_spaces_wildcards_and_any_case() {
        let p = parse("*.Example.com  localhost\t127.0.0.1");
        assert_eq!(
            p.as_str(),
            r"^(?:(?:[a-z0-9-]+\.)+example\.com|localhost|127\.0\.0\.1)$"
        );
        assert!(p.allows("https://a.example.com"));
        assert!(p.allows("https://A.B.EXAMPLE.COM"));
        assert!(!p.allows("https://example.com"));
        assert!(p.allows("http://localhost:3000"));
        assert!(p.allows("http://127.0.0.1:5000"));
        assert!(!p.allows("http://127.0.0.2"));
    }

    #[test]
    fn a_single_host_name_is_the_list_form() {
        let p = parse("dashif.org");
        assert_eq!(p.as_str(), r"^(?:dashif\.org)$");
        assert!(p.allows("https://dashif.org"));
        assert!(!p.allows("https://reference.dashif.org"));
    }

    #[test]
    fn an_empty_setting_allows_nobody() {
        let p = parse("  ");
        assert!(!p.allows("https://example.com"));
        assert!(!p.allows("http://localhost"));
    }

    #[test]
    fn the_default_domains() {
        let d = AllowedDomains::default_domains();
        assert_eq!(d.as_str(), DEFAULT_PATTERN);
        for yes in [
            "https://dashif.org",
            "http://dashif.org",
            "https://reference.dashif.org",
            "https://a.b.dashif.org:443",
            "https://shaka-player-demo.appspot.com",
            "http://mediapm.edgesuite.net",
            "https://dash.mediapm.edgesuite.net",
            "http://localhost",
            "http://localhost:3000",
            "https://127.0.0.1:8443",
            "http://[::1]:8080",
        ] {
            assert!(d.allows(yes), "{yes} should be allowed");
        }
        for no in [
            "https://evil.example",
            "https://dashif.org.evil.example",
            "https://notdashif.org",
            "https://mediapm.edgesuite.net.evil.example",
            "https://x.shaka-player-demo.appspot.com",
            "http://localhost.evil.example",
            "http://127.0.0.10",
            "null",
            "",
        ] {
            assert!(!d.allows(no), "{no} should be refused");
        }
    }

    #[test]
    fn origins_that_are_not_scheme_host_port_are_refused() {
        let p = parse(".*");
        for bad in [
            "example.com",
            "https://",
            "https://example.com/",
            "https://example.com/path",
            "https://user@example.com",
            "https://example.com:",
            "https://example.com:99999",
            "https://example.com:8x",
            "https://[::1",
            "https://[::1]x",
            "1http://example.com",
        ] {
            assert!(!p.allows(bad), "{bad} should be refused");
        }
        assert!(p.allows("https://example.com:65535"));
        assert!(p.allows("chrome-extension://abcdef"));
    }

    #[test]
    fn response_headers_for_any_always_say_star() {
        let expected = vec![
            ("access-control-allow-origin".to_string(), "*".to_string()),
            (
                "access-control-expose-headers".to_string(),
                "Content-Length, Content-Range, Date, ETag, Last-Modified".to_string(),
            ),
        ];
        let any = AllowedDomains::Any;
        assert_eq!(
            strings(&response_headers(&any, Some(&hv("https://x.example")))),
            expected
        );
        // Without an Origin too, so a cached response suits any page.
        assert_eq!(strings(&response_headers(&any, None)), expected);
    }

    #[test]
    fn response_headers_echo_an_allowed_origin() {
        let d = AllowedDomains::default_domains();
        assert_eq!(
            strings(&response_headers(
                &d,
                Some(&hv("https://reference.dashif.org"))
            )),
            vec![
                ("vary".to_string(), "Origin".to_string()),
                (
                    "access-control-allow-origin".to_string(),
                    "https://reference.dashif.org".to_string()
                ),
                (
                    "access-control-expose-headers".to_string(),
                    "Content-Length, Content-Range, Date, ETag, Last-Modified".to_string()
                ),
            ]
        );
    }

    #[test]
    fn response_headers_for_a_refused_or_absent_origin_only_vary() {
        let d = AllowedDomains::default_domains();
        let vary_only = vec![("vary".to_string(), "Origin".to_string())];
        assert_eq!(
            strings(&response_headers(&d, Some(&hv("https://evil.example")))),
            vary_only
        );
        assert_eq!(strings(&response_headers(&d, None)), vary_only);
        let not_utf8 = HeaderValue::from_bytes(b"https://\xffexample").unwrap();
        assert_eq!(strings(&response_headers(&d, Some(&not_utf8))), vary_only);
    }

    #[tokio::test]
    async fn an_allowed_preflight_gets_204_with_the_permissions() {
        let d = AllowedDomains::default_domains();
        let h = request_headers(&[
            (header::ORIGIN, "http://localhost:3000"),
            (header::ACCESS_CONTROL_REQUEST_METHOD, "POST"),
            (
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "content-type, x-custom",
            ),
        ]);
        let r = preflight(&d, &Method::OPTIONS, &h, GET_POST).unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            let mut v: Vec<_> = v
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            map_strings(r.headers()),
            pairs(&[
                ("access-control-allow-headers", "content-type, x-custom"),
                ("access-control-allow-methods", "GET, HEAD, OPTIONS, POST"),
                ("access-control-allow-origin", "http://localhost:3000"),
                (
                    "access-control-expose-headers",
                    "Content-Length, Content-Range, Date, ETag, Last-Modified"
                ),
                ("access-control-max-age", "86400"),
                ("vary", "Origin"),
            ])
        );
        assert_eq!(body_text(r).await, "");
    }

    #[test]
    fn a_preflight_with_any_says_star_and_needs_no_requested_headers() {
        let h = request_headers(&[
            (header::ORIGIN, "null"),
            (header::ACCESS_CONTROL_REQUEST_METHOD, "GET"),
        ]);
        let r = preflight(&AllowedDomains::Any, &Method::OPTIONS, &h, GET_POST).unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let h = r.headers();
        assert_eq!(h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "*");
        assert_eq!(
            h.get(header::ACCESS_CONTROL_ALLOW_METHODS).unwrap(),
            "GET, HEAD, OPTIONS, POST"
        );
        assert_eq!(h.get(header::ACCESS_CONTROL_MAX_AGE).unwrap(), "86400");
        assert!(h.get(header::ACCESS_CONTROL_ALLOW_HEADERS).is_none());
        assert!(h.get(header::VARY).is_none());
    }

    #[tokio::test]
    async fn a_refused_preflight_gets_403_naming_the_origin() {
        let d = AllowedDomains::default_domains();
        let h = request_headers(&[
            (header::ORIGIN, "https://evil.example"),
            (header::ACCESS_CONTROL_REQUEST_METHOD, "GET"),
        ]);
        let r = preflight(&d, &Method::OPTIONS, &h, GET_POST).unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            map_strings(r.headers()),
            vec![
                (
                    "content-type".to_string(),
                    "text/plain; charset=utf-8".to_string()
                ),
                ("vary".to_string(), "Origin".to_string()),
                ("x-content-type-options".to_string(), "nosniff".to_string()),
            ]
        );
        assert_eq!(
            body_text(r).await,
            "CORS: origin https://evil.example is not allowed (see FLASK_DASH__ALLOWED_DOMAINS)\n"
        );
    }

    #[test]
    fn requests_that_are_not_preflights_get_none() {
        let d = AllowedDomains::default_domains();
        let origin_only = request_headers(&[(header::ORIGIN, "http://localhost")]);
        let method_only = request_headers(&[(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")]);
        let both = request_headers(&[
            (header::ORIGIN, "http://localhost"),
            (header::ACCESS_CONTROL_REQUEST_METHOD, "GET"),
        ]);
        assert!(preflight(&d, &Method::OPTIONS, &HeaderMap::new(), GET_POST).is_none());
        assert!(preflight(&d, &Method::OPTIONS, &origin_only, GET_POST).is_none());
        assert!(preflight(&d, &Method::OPTIONS, &method_only, GET_POST).is_none());
        assert!(preflight(&d, &Method::GET, &both, GET_POST).is_none());
        assert!(preflight(&d, &Method::POST, &both, GET_POST).is_none());
    }
}
