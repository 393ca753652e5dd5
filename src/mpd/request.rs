//! The options of one manifest request, resolved as dash-live does: the
//! mode, then site and stream defaults, then the query, then the template's
//! restrictions and features.

use crate::mpd::live::LiveTiming;
use crate::mpd::time::iso_datetime_ms;
use crate::options::{OptionError, Options, Usage};

use super::context::{ManifestOptions, SegmentQueries};
use super::registry::{ManifestDef, Mode, Timeline};

pub use crate::options::Defaults;

/// The first option of `o` this server cannot serve yet, as an error.
fn refuse_not_supported(o: &Options) -> Result<(), OptionError> {
    match o.not_supported_yet().first() {
        Some(param) => Err(OptionError::NotSupportedYet { param }),
        None => Ok(()),
    }
}

/// A `statuscode` item that does not parse, as the error naming it.
fn check_faults(o: &Options) -> Result<(), OptionError> {
    match crate::faults::periodic::first_invalid(o) {
        Some(item) => Err(OptionError::Invalid {
            param: "statuscode".into(),
            value: crate::options::shown(item),
            expected: format!("expected {}", crate::faults::periodic::SYNTAX),
        }),
        None => Ok(()),
    }
}

/// Options for a segment or `/time` URL in `mode`: the same layers as a
/// manifest's (site defaults, stream defaults, the query), so a URL means the
/// same to both; a manifest writes into segment URLs only what differs from
/// the defaults, and the segment applies the defaults again.
pub fn resolve_media(
    mode: Mode,
    site_defaults: &Defaults,
    stream_defaults: &Defaults,
    query: &str,
) -> Result<(Options, Vec<String>), OptionError> {
    let mut o = with_defaults(mode, site_defaults, stream_defaults)?;
    let warnings = o.apply_query(query)?;
    refuse_not_supported(&o)?;
    check_faults(&o)?;
    o.reset_unused_for_mode();
    Ok((o, warnings))
}

/// The table's defaults in `mode`, then the site's, then the stream's: the
/// layers every URL's query is applied over.
fn with_defaults(
    mode: Mode,
    site_defaults: &Defaults,
    stream_defaults: &Defaults,
) -> Result<Options, OptionError> {
    let mut o = Options::new(mode);
    o.apply_defaults(site_defaults)?;
    o.apply_defaults(stream_defaults)?;
    Ok(o)
}

/// Options for `def` in `mode`, and the warnings the query raised (unknown
/// parameters, ignored as dash-live ignores them).
pub fn resolve(
    def: &ManifestDef,
    mode: Mode,
    site_defaults: &Defaults,
    stream_defaults: &Defaults,
    query: &str,
) -> Result<(Options, Options, Vec<String>), OptionError> {
    let mut o = with_defaults(mode, site_defaults, stream_defaults)?;
    // Segment URLs carry what differs from these, not from the table's defaults.
    let base = o.clone();
    let warnings = o.apply_query(query)?;
    // Before the template's features reset what it ignores: `drm` asked of
    // any template is refused, not dropped.
    refuse_not_supported(&o)?;
    check_faults(&o)?;
    if mode == Mode::Odvod {
        crate::drm::on_demand::refuse(&o)?;
    }
    for (name, value) in def.restrictions {
        o.set(name, value)?;
    }
    o.reset_unsupported(def.features);
    match def.timeline {
        Timeline::Forced => o.set("segmentTimeline", "1")?,
        Timeline::Never => o.reset("segmentTimeline"),
        Timeline::Optional => {}
    }
    o.reset_unused_for_mode();
    // Patches replace SegmentTimelines: `patch=1` (live, on a template with
    // the feature, which all have a timeline) forces one (§1.3 step 6).
    if o.patch() {
        o.set("segmentTimeline", "1")?;
    }
    if mode != Mode::Live {
        if let Some(param) = crate::faults::first_timed(&o) {
            return Err(OptionError::TimesNeedLive { param });
        }
    }
    Ok((o, base, warnings))
}

impl ManifestOptions {
    /// The shape-relevant part of resolved options; `base` is what segment
    /// URLs are compared against.
    pub fn from_options(o: &Options, base: &Options) -> ManifestOptions {
        let [video, audio, text, time_query] =
            o.to_queries_against(base, [Usage::VIDEO, Usage::AUDIO, Usage::TEXT, Usage::TIME]);
        ManifestOptions {
            abr: o.abr(),
            audio_codec: o.audio_codec().to_string(),
            text_codec: o.text_codec().map(String::from),
            timeline: o.segment_timeline(),
            base_urls: o.use_base_urls(),
            main_audio: o.main_audio().map(String::from),
            main_text: o.main_text().map(String::from),
            ad_audio: o.ad_audio().map(String::from),
            segment_queries: SegmentQueries { video, audio, text },
            utc_method: o.utc_method(),
            ntp_sources: o.ntp_sources().to_vec(),
            time_query,
            update_count: o.update_count(),
            // Live only, from the unpinned options: see `Resolved::options`.
            patch_query: None,
            drm: crate::drm::signal::DrmOptions::from_options(o),
            events: crate::events::generators(o),
            timeline_loss: o
                .int("segmentTimelineLoss")
                .and_then(|n| u64::try_from(n).ok()),
        }
    }
}

/// Live: writes the clock the manifest resolved (the absolute availability
/// start and the effective window) into the options, so that the segment
/// URLs built from them make every segment request resolve the same clock
/// (dash-live §1.3 step 8).
pub fn pin_live_clock(o: &mut Options, timing: &LiveTiming) {
    o.pin_clock(
        iso_datetime_ms(timing.availability_start_ms),
        timing.depth_s,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mpd::registry::find;

    fn opts(manifest: &str, query: &str) -> ManifestOptions {
        let def = find(manifest).unwrap();
        let (o, base, _) =
            resolve(def, Mode::Vod, &Defaults::new(), &Defaults::new(), query).unwrap();
        ManifestOptions::from_options(&o, &base)
    }

    #[test]
    fn templates_force_and_drop_what_they_must() {
        assert!(
            opts("manifest_a", "").timeline,
            "manifest_a always has a timeline"
        );
        assert!(
            !opts("manifest_e", "timeline=1").timeline,
            "manifest_e has none"
        );
        assert!(opts("hand_made", "timeline=1").timeline);
        assert_eq!(
            opts("manifest_ef", "acodec=ec-3").audio_codec,
            "mp4a",
            "restricted"
        );
        assert!(!opts("hand_made", "abr=0").abr);
    }

    #[test]
    fn segment_urls_carry_what_differs_from_the_stream_defaults() {
        let def = find("hand_made").unwrap();
        let mut stream = Defaults::new();
        stream.insert("abr".into(), serde_yaml::Value::from(0));
        let (o, base, warnings) = resolve(
            def,
            Mode::Vod,
            &Defaults::new(),
            &stream,
            "acodec=any&zzz=1",
        )
        .unwrap();
        let m = ManifestOptions::from_options(&o, &base);
        assert!(!m.abr, "stream default applied");
        assert_eq!(m.audio_codec, "any");
        assert_eq!(m.segment_queries.audio, "acodec=any");
        assert_eq!(
            m.segment_queries.video, "",
            "an audio option is not on video URLs"
        );
        assert_eq!(m.segment_queries.text, "");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(resolve(def, Mode::Vod, &Defaults::new(), &stream, "acodec=opus").is_err());
    }
}
