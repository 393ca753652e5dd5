//! `out/.dashlive/index.json`: what the origin needs to serve live from the
//! tree without reading any media file's boxes: every representation, every
//! cut segment's file and the byte positions of the fields live rewrites.

use serde::{Deserialize, Serialize};

use crate::drm::signal::StreamDrm;
use crate::media::Representation;
use crate::mp4::patch::PatchPoints;
use crate::options::Defaults;

/// 4: a segment's patch points may list sample durations to trim live.
/// 5: a stream's keys and PlayReady licence URL (`drm`).
pub const INDEX_VERSION: u32 = 5;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TreeIndex {
    pub version: u32,
    /// Hash of every input; equal fingerprints mean nothing to rebuild.
    pub fingerprint: String,
    /// The site's option defaults (`config/site.yaml`), applied before a stream's.
    #[serde(default)]
    pub site_defaults: Defaults,
    pub streams: Vec<StreamIndex>,
    /// Multi-period programmes, their spans snapped.
    #[serde(default)]
    pub mps: Vec<crate::mpd::mps::Programme>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamIndex {
    pub directory: String,
    pub title: String,
    pub timing_ref: String,
    pub representations: Vec<RepresentationIndex>,
    /// Manifests written, relative to the tree root.
    pub manifests: Vec<String>,
    /// Manifests the site lists that are not written because they depend on
    /// the clock even when static: the origin renders them per request.
    #[serde(default)]
    pub origin_manifests: Vec<String>,
    /// The stream's option defaults, applied before a request's query.
    #[serde(default)]
    pub defaults: Defaults,
    /// Keys (with their values: the origin signs PlayReady headers and
    /// answers ClearKey licences) and licence URL. `.dashlive/` is never served.
    #[serde(default)]
    pub drm: StreamDrm,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepresentationIndex {
    /// Hash of the media file it was cut from; equal means its files can be
    /// linked from the previous tree instead of cut again.
    #[serde(default)]
    pub media_fingerprint: String,
    pub representation: Representation,
    /// Paths relative to the tree root.
    pub init: String,
    /// The init segment for live manifests (no `mehd`, durations 0).
    #[serde(default)]
    pub live_init: String,
    pub on_demand: String,
    pub segments: Vec<SegmentFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SegmentFile {
    pub number: u64,
    pub decode_time: u64,
    pub duration: u64,
    pub path: String,
    pub size: u64,
    pub patch: PatchPoints,
}
