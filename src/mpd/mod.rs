//! DASH manifests: the vendor styles, timing, the manifest context computed
//! in Rust, and its rendering. One pure renderer serves the build and the origin.

pub mod context;
pub mod events;
pub mod holes;
pub mod live;
pub mod manifest;
pub mod mps;
pub mod mps_availability;
pub mod mps_drm;
pub mod mps_manifest;
pub mod patch;
pub mod protection;
pub mod registry;
pub mod render;
pub mod request;
pub mod time;
pub mod timeline;
pub mod timeline_diff;
