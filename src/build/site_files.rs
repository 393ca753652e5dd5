//! The files that make the tree servable as is: `_headers` (Netlify /
//! Cloudflare Pages) and `nginx.conf` (an include file), both derived from
//! the one HTTP policy ([`crate::policy`]); `index.html` is
//! [`crate::pages::home`].

pub use crate::policy::{headers_file, nginx_conf};
