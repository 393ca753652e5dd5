//! dashlive: MPEG-DASH test streams. This library is shared by the `dashlive`
//! CLI (build, inspect, index) and the `dashlive-origin` server.
//!
//! Modules depend on each other in one direction only (no cycles), leaves
//! first: `codec`, `options`, `fsutil`, `error`, `net`, `scte35` → `mp4` → `events`,
//! `media` → `faults` → `layout`, `policy` → `index`, `catalog`, `mpd` → `serve` (the resolver) →
//! `pages` → `build`. A test (`tests/modules.rs`) keeps it so.

pub mod build;
pub mod catalog;
pub mod codec;
pub mod drm;
pub mod error;
pub mod events;
pub mod faults;
pub mod fsutil;
pub mod index;
pub mod layout;
pub mod media;
pub mod mp4;
pub mod mpd;
pub mod net;
pub mod options;
pub mod pages;
pub mod policy;
pub mod scte35;
pub mod serve;
pub mod transfer;
pub mod validate;
