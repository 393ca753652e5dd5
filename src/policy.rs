//! The HTTP policy, in one place: the MIME type of every kind of file and
//! the Cache-Control of every kind of response (DESIGN.md, "Caching"). The
//! origin's handlers, its static file server and the `_headers` and
//! `nginx.conf` the build writes for static hosts all read it from here.

use std::borrow::Cow;

/// Extension → Content-Type, compared case-insensitively.
pub const CONTENT_TYPES: &[(&str, &str)] = &[
    ("mpd", "application/dash+xml"),
    ("m4v", "video/mp4"),
    ("m4a", "audio/mp4"),
    ("m4s", "application/mp4"),
    // On-demand files may be audio-only, but the name does not say so.
    ("mp4", "video/mp4"),
    ("html", "text/html; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("json", "application/json"),
    ("txt", "text/plain; charset=utf-8"),
    ("conf", "text/plain; charset=utf-8"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("svg", "image/svg+xml"),
    ("ico", "image/x-icon"),
    ("xml", "application/xml"),
];

pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
pub const HTML: &str = "text/html; charset=utf-8";
pub const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub const OCTET_STREAM: &str = "application/octet-stream";
pub const MPD: &str = "application/dash+xml";
/// An MPD patch document (ISO 23009-1 Annex C.5).
pub const MPD_PATCH: &str = "application/dash-patch+xml";

/// Extensions of media files (segments, on-demand files).
pub const MEDIA_EXTENSIONS: &[&str] = &["m4v", "m4a", "m4s", "mp4"];

/// The extension of the last path segment, if it has one.
pub fn extension(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').map(|(_, ext)| ext)
}

/// Content type of a path (with or without a leading `/`).
pub fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == "_headers" {
        return TEXT_PLAIN;
    }
    extension(path)
        .and_then(|ext| {
            CONTENT_TYPES
                .iter()
                .find(|(known, _)| known.eq_ignore_ascii_case(ext))
                .map(|(_, ty)| *ty)
        })
        .unwrap_or(OCTET_STREAM)
}

/// How long a response may be kept, by what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// The bytes under this URL never change: built media, on-demand files,
    /// live init segments, live segments of a URL that pins its clock.
    Immutable,
    /// Built manifests, pages and other files a rebuild may change.
    Short,
    /// A live manifest: changes every segment, so about half of one.
    LiveManifest { segment_ms: u64 },
    /// Errors and misses (400, 404, 416): short, so a CDN does not pin a
    /// gap a later build or the live edge fills.
    Error,
    /// Clocks, health, metrics and server errors: never reused.
    NoStore,
}

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const SHORT: &str = "public, max-age=60";
pub const ERROR: &str = "public, max-age=2";
pub const NO_STORE: &str = "no-store";

impl Cache {
    /// The Cache-Control header value.
    pub fn header(self) -> Cow<'static, str> {
        match self {
            Cache::Immutable => Cow::Borrowed(IMMUTABLE),
            Cache::Short => Cow::Borrowed(SHORT),
            Cache::LiveManifest { segment_ms } => {
                Cow::Owned(format!("public, max-age={}", (segment_ms / 2000).max(1)))
            }
            Cache::Error => Cow::Borrowed(ERROR),
            Cache::NoStore => Cow::Borrowed(NO_STORE),
        }
    }

    /// The cache policy of a file of the static tree (with or without a
    /// leading `/`): media under `dash/` never changes under its name,
    /// manifests and pages may.
    pub fn of_static(path: &str) -> Cache {
        let path = path.trim_start_matches('/');
        match extension(path) {
            Some(ext)
                if path.starts_with("dash/")
                    && MEDIA_EXTENSIONS.iter().any(|m| m.eq_ignore_ascii_case(ext)) =>
            {
                Cache::Immutable
            }
            _ => Cache::Short,
        }
    }
}

/// The rules static hosts get: (host path glob, nginx location regex, the
/// extension whose content type applies).
const STATIC_RULES: &[(&str, &str, &str)] = &[
    ("/dash/*.mpd", "\\.mpd$", "mpd"),
    ("/dash/*.m4v", "\\.m4v$", "m4v"),
    ("/dash/*.m4a", "\\.m4a$", "m4a"),
    ("/dash/*.m4s", "\\.m4s$", "m4s"),
    ("/dash/odvod/*.mp4", "^/dash/odvod/.*\\.mp4$", "mp4"),
];

/// The static rules with their content type and Cache-Control, as the
/// origin would answer them.
fn static_rules() -> impl Iterator<Item = (&'static str, &'static str, &'static str, &'static str)>
{
    STATIC_RULES.iter().map(|(glob, regex, ext)| {
        let cache = match Cache::of_static(&format!("dash/x.{ext}")) {
            Cache::Immutable => IMMUTABLE,
            _ => SHORT,
        };
        (*glob, *regex, content_type(&format!("x.{ext}")), cache)
    })
}

/// `_headers` (Netlify, Cloudflare Pages): MIME types, caching and CORS.
pub fn headers_file() -> String {
    let mut out = String::from(
        "# Written by dashlive build: MIME types, caching and CORS for static hosts.\n\
         # A segment URL with a query (drm=, playready__piff=, ... from a manifest with\n\
         # options) has bytes the origin makes per query: such URLs need dashlive-origin,\n\
         # which these hosts cannot proxy to; they serve the query-less files only.\n\
         /*\n  Access-Control-Allow-Origin: *\n  \
         Access-Control-Expose-Headers: Content-Length, Content-Range, Date\n",
    );
    for (glob, _, ty, cache) in static_rules() {
        out.push_str(&format!(
            "{glob}\n  Content-Type: {ty}\n  Cache-Control: {cache}\n"
        ));
    }
    out.push_str("/.dashlive/*\n  X-Robots-Tag: noindex\n");
    out
}

/// An nginx include: `include /path/to/out/nginx.conf;` inside a server
/// block whose root is the tree.
pub fn nginx_conf() -> String {
    let mut out = String::from(
        "# Written by dashlive build. Inside a server {} block whose root is this tree:\n\
         #   include /path/to/out/nginx.conf;\n\
         # with an `upstream dashlive_origin { server 127.0.0.1:5000; }` in the http block:\n\
         # a media segment URL with a query (drm=, playready__piff=, ...) has bytes that\n\
         # depend on it, made by the origin; a cache in front must key on the query.\n\
         location /.dashlive/ { deny all; }\n",
    );
    for (_, regex, ty, cache) in static_rules() {
        let media = MEDIA_EXTENSIONS
            .iter()
            .any(|m| regex.contains(&format!(".{m}$")));
        let to_origin = if media {
            "    if ($args) { proxy_pass http://dashlive_origin; }\n"
        } else {
            ""
        };
        out.push_str(&format!(
            "location ~ {regex} {{\n{to_origin}    types {{ }} default_type {};\n    \
             add_header Cache-Control \"{cache}\";\n    \
             add_header Access-Control-Allow-Origin *;\n}}\n",
            ty.split(';').next().unwrap_or(ty)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_hosts_get_the_origins_policy() {
        let h = headers_file();
        assert!(h.contains("/dash/*.mpd\n  Content-Type: application/dash+xml\n  Cache-Control: public, max-age=60\n"), "{h}");
        assert!(h.contains("/dash/*.m4a\n  Content-Type: audio/mp4\n  Cache-Control: public, max-age=31536000, immutable\n"), "{h}");
        let n = nginx_conf();
        assert!(n.contains("location ~ \\.m4v$ {\n    if ($args) { proxy_pass http://dashlive_origin; }\n    types { } default_type video/mp4;\n    add_header Cache-Control \"public, max-age=31536000, immutable\";"), "{n}");
        // Media with a query (DRM, ...) is sent to the origin; the rules of
        // other files are unchanged.
        assert!(n.contains("location ~ \\.mpd$ {\n    types"), "{n}");
        assert!(
            n.contains("location ~ ^/dash/odvod/.*\\.mp4$ {\n    if ($args)"),
            "{n}"
        );
        assert!(h.contains("need dashlive-origin"), "{h}");
        assert!(n.contains("location /.dashlive/ { deny all; }"));
    }

    #[test]
    fn cache_by_kind() {
        assert_eq!(
            Cache::LiveManifest { segment_ms: 3840 }.header(),
            "public, max-age=1"
        );
        assert_eq!(
            Cache::LiveManifest { segment_ms: 8000 }.header(),
            "public, max-age=4"
        );
        assert_eq!(Cache::of_static("/dash/vod/s/v/1.m4v"), Cache::Immutable);
        assert_eq!(Cache::of_static("dash/vod/s/m.mpd"), Cache::Short);
        assert_eq!(Cache::of_static("index.html"), Cache::Short);
        assert_eq!(content_type("a/b.M4A"), "audio/mp4");
        assert_eq!(content_type("_headers"), TEXT_PLAIN);
        assert_eq!(content_type("x"), "application/octet-stream");
    }
}
