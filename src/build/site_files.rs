//! The files that make the tree servable as is: `_headers` (Netlify /
//! Cloudflare Pages) and `nginx.conf` (an include file); `index.html` is
//! [`crate::pages::home`].

/// Cache-Control of the static tree, as DESIGN.md sets it: everything the
/// build writes is immutable for its URL until the next build.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const MANIFEST_CACHE: &str = "public, max-age=60";

pub fn headers_file() -> String {
    format!(
        "# Written by dashlive build: MIME types, caching and CORS for static hosts.\n\
         /*\n  Access-Control-Allow-Origin: *\n  Access-Control-Expose-Headers: Content-Length, Content-Range, Date\n\
         /dash/*.mpd\n  Content-Type: application/dash+xml\n  Cache-Control: {MANIFEST_CACHE}\n\
         /dash/*.m4v\n  Content-Type: video/mp4\n  Cache-Control: {IMMUTABLE}\n\
         /dash/*.m4a\n  Content-Type: audio/mp4\n  Cache-Control: {IMMUTABLE}\n\
         /dash/*.m4s\n  Content-Type: application/mp4\n  Cache-Control: {IMMUTABLE}\n\
         /dash/odvod/*.mp4\n  Content-Type: video/mp4\n  Cache-Control: {IMMUTABLE}\n\
         /.dashlive/*\n  X-Robots-Tag: noindex\n"
    )
}

/// An nginx include: `include /path/to/out/nginx.conf;` inside a server block
/// whose root is the tree.
pub fn nginx_conf() -> String {
    format!(
        "# Written by dashlive build. Inside a server {{}} block whose root is this tree:\n\
         #   include /path/to/out/nginx.conf;\n\
         location /.dashlive/ {{ deny all; }}\n\
         location ~ \\.mpd$ {{\n    types {{ }} default_type application/dash+xml;\n    add_header Cache-Control \"{MANIFEST_CACHE}\";\n    add_header Access-Control-Allow-Origin *;\n}}\n\
         location ~ \\.m4v$ {{\n    types {{ }} default_type video/mp4;\n    add_header Cache-Control \"{IMMUTABLE}\";\n    add_header Access-Control-Allow-Origin *;\n}}\n\
         location ~ \\.m4a$ {{\n    types {{ }} default_type audio/mp4;\n    add_header Cache-Control \"{IMMUTABLE}\";\n    add_header Access-Control-Allow-Origin *;\n}}\n\
         location ~ \\.m4s$ {{\n    types {{ }} default_type application/mp4;\n    add_header Cache-Control \"{IMMUTABLE}\";\n    add_header Access-Control-Allow-Origin *;\n}}\n\
         location ~ ^/dash/odvod/.*\\.mp4$ {{\n    types {{ }} default_type video/mp4;\n    add_header Cache-Control \"{IMMUTABLE}\";\n    add_header Access-Control-Allow-Origin *;\n}}\n"
    )
}
