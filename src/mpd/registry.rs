//! The vendor manifest styles: dash-live's templates by name, with the modes
//! each supports, the options each honours (features) and the values each
//! forces (restrictions). The one list every other part reads.

use serde::Serialize;

pub use crate::options::Mode;

/// How a template addresses segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Timeline {
    /// `$Number$` unless the request asks for a timeline.
    Optional,
    /// Always `$Time$` with a SegmentTimeline.
    Forced,
    /// Never a timeline.
    Never,
}

#[derive(Debug, Clone, Serialize)]
pub struct ManifestDef {
    /// Template name, `templates/manifests/<name>.mpd`, and the URL name.
    pub name: &'static str,
    pub title: &'static str,
    pub modes: &'static [Mode],
    /// Option full names the template honours; others are reset to their default.
    pub features: &'static [&'static str],
    /// (option full name, the only value allowed).
    pub restrictions: &'static [(&'static str, &'static str)],
    pub timeline: Timeline,
    /// Lists text (subtitle) adaptation sets; dash-live's vendor styles do not.
    pub text: bool,
    /// Writes a SegmentTemplate inside Representations (not only per
    /// AdaptationSet): only then is each representation's timeline computed.
    pub rep_templates: bool,
    /// Writes the request's clock even when static (a `direct` UTCTiming):
    /// such a manifest is never pre-rendered, the origin renders it per request.
    pub static_clock: bool,
}

const COMMON: &[&str] = &["abr", "audioCodec", "useBaseUrls", "drmSelection", "mode"];

/// What vendors E and H honour: the common set plus live timing and UTCTiming.
const LIVE_PROFILE: &[&str] = &[
    "abr",
    "audioCodec",
    "useBaseUrls",
    "drmSelection",
    "mode",
    "minimumUpdatePeriod",
    "utcMethod",
];

pub static MANIFESTS: &[ManifestDef] = &[
    ManifestDef {
        name: "hand_made",
        title: "Hand-made manifest (reference, DVB)",
        modes: &[Mode::Live, Mode::Vod, Mode::Odvod],
        features: &[
            "abr",
            "audioCodec",
            "useBaseUrls",
            "drmSelection",
            "eventTypes",
            "mode",
            "minimumUpdatePeriod",
            "patch",
            "segmentTimeline",
            "utcMethod",
        ],
        restrictions: &[],
        timeline: Timeline::Optional,
        text: true,
        rep_templates: false,
        static_clock: false,
    },
    ManifestDef {
        name: "manifest_vod_aiv",
        title: "AIV on demand profile",
        modes: &[Mode::Odvod],
        features: &["abr", "useBaseUrls"],
        restrictions: &[
            ("mode", "odvod"),
            ("drmSelection", "none"),
            ("audioCodec", "mp4a"),
        ],
        timeline: Timeline::Never,
        text: false,
        rep_templates: false,
        static_clock: false,
    },
    ManifestDef {
        name: "manifest_a",
        title: "Vendor A live profile",
        modes: &[Mode::Live, Mode::Vod],
        features: &[
            "abr",
            "audioCodec",
            "useBaseUrls",
            "mode",
            "minimumUpdatePeriod",
            "segmentTimeline",
        ],
        restrictions: &[("drmSelection", "none")],
        timeline: Timeline::Forced,
        text: false,
        rep_templates: false,
        static_clock: false,
    },
    ManifestDef {
        name: "manifest_b",
        title: "Vendor B VOD using live profile",
        modes: &[Mode::Vod],
        features: &["abr", "audioCodec", "useBaseUrls", "drmSelection"],
        restrictions: &[("mode", "vod")],
        timeline: Timeline::Never,
        text: false,
        rep_templates: true,
        static_clock: false,
    },
    ManifestDef {
        name: "manifest_e",
        title: "Vendor E live profile",
        modes: &[Mode::Live, Mode::Vod],
        features: LIVE_PROFILE,
        restrictions: &[],
        timeline: Timeline::Never,
        text: false,
        rep_templates: true,
        static_clock: false,
    },
    ManifestDef {
        name: "manifest_h",
        title: "Vendor H live profile",
        modes: &[Mode::Live, Mode::Vod],
        features: LIVE_PROFILE,
        restrictions: &[],
        timeline: Timeline::Never,
        text: false,
        rep_templates: false,
        static_clock: false,
    },
    ManifestDef {
        name: "manifest_i",
        title: "Vendor I live profile",
        modes: &[Mode::Live, Mode::Vod],
        features: &[
            "abr",
            "useBaseUrls",
            "audioCodec",
            "drmSelection",
            "mode",
            "minimumUpdatePeriod",
            "utcMethod",
        ],
        restrictions: &[("utcMethod", "direct")],
        timeline: Timeline::Never,
        text: false,
        rep_templates: false,
        static_clock: true,
    },
    ManifestDef {
        name: "manifest_ef",
        title: "Vendor EF live profile (DVB)",
        modes: &[Mode::Live, Mode::Vod],
        features: COMMON,
        restrictions: &[("audioCodec", "mp4a")],
        timeline: Timeline::Never,
        text: false,
        rep_templates: true,
        static_clock: false,
    },
    ManifestDef {
        name: "manifest_n",
        title: "Provider N live profile",
        modes: &[Mode::Live, Mode::Vod],
        features: &[
            "abr",
            "audioCodec",
            "useBaseUrls",
            "drmSelection",
            "eventTypes",
            "mode",
            "minimumUpdatePeriod",
            "segmentTimeline",
        ],
        restrictions: &[("segmentTimeline", "1")],
        timeline: Timeline::Forced,
        text: false,
        rep_templates: false,
        static_clock: false,
    },
];

pub fn find(name: &str) -> Option<&'static ManifestDef> {
    MANIFESTS.iter().find(|m| m.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    MANIFESTS.iter().map(|m| m.name)
}

impl ManifestDef {
    pub fn supports(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nine_templates_with_unique_names() {
        let mut names: Vec<&str> = names().collect();
        assert_eq!(names.len(), 9);
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 9);
        assert!(find("manifest_vod_aiv").unwrap().supports(Mode::Odvod));
        assert!(!find("manifest_b").unwrap().supports(Mode::Live));
    }
}
