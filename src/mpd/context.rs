//! The manifest context: everything a template lays out, computed here from
//! the stream's representations, the request and its options. Templates do
//! no arithmetic and make no choices beyond their vendor's layout.

use serde::Serialize;

use crate::media::{ContentType, Representation};
use crate::mpd::registry::{ManifestDef, Mode, Timeline};
use crate::mpd::time::{iso_datetime_ms, iso_duration_ms, ticks_to_ms};
use crate::mpd::timeline::{entries, S};

/// The options a manifest's shape depends on, already resolved against the
/// template's features and restrictions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestOptions {
    pub abr: bool,
    /// `mp4a`, `ec-3` (also matches `ac-3`) or `any`.
    pub audio_codec: String,
    pub text_codec: Option<String>,
    pub timeline: bool,
    pub base_urls: bool,
    pub main_audio: Option<String>,
    pub main_text: Option<String>,
    pub ad_audio: Option<String>,
    /// Query string (without `?`) appended to init and media URLs.
    pub segment_query: String,
}

impl Default for ManifestOptions {
    fn default() -> Self {
        ManifestOptions {
            abr: true,
            audio_codec: "mp4a".into(),
            text_codec: None,
            timeline: false,
            base_urls: true,
            main_audio: None,
            main_text: None,
            ad_audio: None,
            segment_query: String::new(),
        }
    }
}

/// Where the manifest is served from and when.
#[derive(Debug, Clone)]
pub struct Request {
    pub mode: Mode,
    /// Absolute site URL ending in `/` (`http://host/`), or `None` for
    /// manifests that use relative URLs only (the static tree without a base URL).
    pub site_url: Option<String>,
    /// The manifest's own URL with its query, for `<Location>`.
    pub manifest_url: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub now_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MpdContext {
    pub mode: &'static str,
    pub mpd_type: &'static str,
    pub id: String,
    pub title: String,
    pub publish_time: String,
    pub media_presentation_duration: String,
    pub max_segment_duration: String,
    pub location: Option<String>,
    /// Period-level `<BaseURL>`, absolute when the site URL is known.
    pub base_url: Option<String>,
    pub periods: Vec<PeriodContext>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodContext {
    pub id: String,
    pub start: String,
    pub duration: String,
    pub adaptation_sets: Vec<AdaptationSetContext>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentTemplateContext {
    pub timescale: u32,
    pub duration: u64,
    pub start_number: u32,
    pub presentation_time_offset: u64,
    pub initialization: String,
    pub media: String,
    pub timeline: Option<Vec<S>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AudioChannels {
    pub scheme: &'static str,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdaptationSetContext {
    pub id: u32,
    /// 1-based position, for templates that number groups.
    pub index: usize,
    pub content_type: &'static str,
    pub mime_type: String,
    /// The codecs string when every representation shares it.
    pub codecs: Option<String>,
    pub lang: Option<String>,
    pub role: Option<&'static str>,
    pub accessibility: Option<&'static str>,
    pub audio_channels: Option<AudioChannels>,
    pub max_width: Option<u32>,
    pub max_height: Option<u32>,
    pub min_width: Option<u32>,
    pub min_height: Option<u32>,
    pub max_frame_rate: Option<String>,
    pub par: Option<String>,
    pub min_bandwidth: u64,
    pub max_bandwidth: u64,
    pub segment_template: SegmentTemplateContext,
    pub representations: Vec<RepresentationContext>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentListContext {
    pub timescale: u32,
    pub duration: u64,
    pub initialization_range: String,
    pub media_ranges: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepresentationContext {
    pub id: String,
    pub mime_type: String,
    pub codecs: String,
    pub bandwidth: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub frame_rate: Option<String>,
    pub sar: Option<String>,
    pub audio_sampling_rate: Option<u32>,
    pub num_channels: Option<u16>,
    pub lang: Option<String>,
    /// On-demand profile: the single file and its byte ranges.
    pub base_url: Option<String>,
    pub segment_list: Option<SegmentListContext>,
    pub segment_durations: Vec<u64>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContextError {
    #[error("manifest {manifest} does not support mode {mode}")]
    Mode {
        manifest: &'static str,
        mode: &'static str,
    },
    #[error("stream {stream} has no timing reference {timing_ref} among its representations")]
    TimingRef { stream: String, timing_ref: String },
    #[error("stream {stream}: no representation is left to show after filtering by the options")]
    Empty { stream: String },
}

/// The file suffix of a content type's segments.
pub fn suffix(ct: ContentType) -> &'static str {
    match ct {
        ContentType::Video => "m4v",
        ContentType::Audio => "m4a",
        ContentType::Text => "m4s",
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    crate::media::representation::gcd(a, b)
}

/// Picture aspect ratio from size and sample aspect ratio: `16:9`.
fn par(width: u32, height: u32, sar: Option<&str>) -> Option<String> {
    let (sw, sh) = sar
        .and_then(|s| s.split_once(':'))
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
        .unwrap_or((1, 1));
    let (w, h) = (u64::from(width) * sw, u64::from(height) * sh);
    if w == 0 || h == 0 {
        return None;
    }
    let g = gcd(w, h);
    Some(format!("{}:{}", w / g, h / g))
}

fn audio_matches(codecs: &str, wanted: &str) -> bool {
    match wanted {
        "any" => true,
        "ec-3" => codecs.starts_with("ec-3") || codecs.starts_with("ac-3"),
        w => codecs.starts_with(w),
    }
}

fn with_query(url: String, query: &str) -> String {
    if query.is_empty() {
        url
    } else {
        format!("{url}?{query}")
    }
}

/// Computes the context of a static (vod or odvod) manifest.
pub fn static_context(
    directory: &str,
    title: &str,
    timing_ref: &str,
    reps: &[Representation],
    def: &ManifestDef,
    req: &Request,
    opts: &ManifestOptions,
) -> Result<MpdContext, ContextError> {
    if !def.supports(req.mode) || req.mode == Mode::Live {
        return Err(ContextError::Mode {
            manifest: def.name,
            mode: req.mode.as_str(),
        });
    }
    let timing =
        reps.iter()
            .find(|r| r.id == timing_ref)
            .ok_or_else(|| ContextError::TimingRef {
                stream: directory.into(),
                timing_ref: timing_ref.into(),
            })?;
    let duration_ms = ticks_to_ms(timing.media_duration, timing.timescale);
    let use_timeline = match def.timeline {
        Timeline::Forced => true,
        Timeline::Never => false,
        Timeline::Optional => opts.timeline,
    };

    // Clear reps only until DRM lands: encrypted copies are for DRM requests.
    let clear: Vec<&Representation> = reps.iter().filter(|r| !r.encrypted()).collect();
    let mut video: Vec<&Representation> = clear
        .iter()
        .copied()
        .filter(|r| r.content_type == ContentType::Video)
        .collect();
    video.sort_by_key(|r| (r.bitrate, r.id.clone()));
    if !opts.abr {
        video.truncate(1);
    }
    let audio: Vec<&Representation> = clear
        .iter()
        .copied()
        .filter(|r| {
            r.content_type == ContentType::Audio && audio_matches(&r.codecs, &opts.audio_codec)
        })
        .collect();
    let text: Vec<&Representation> = clear
        .iter()
        .copied()
        .filter(|r| r.content_type == ContentType::Text)
        .filter(|r| {
            opts.text_codec
                .as_deref()
                .is_none_or(|c| r.codecs.contains(c))
        })
        .collect();

    let mut groups: Vec<Vec<&Representation>> = Vec::new();
    if !video.is_empty() {
        groups.push(video);
    }
    // Audio and text: one adaptation set per (codec family, language).
    for list in [audio, text] {
        let mut sets: Vec<Vec<&Representation>> = Vec::new();
        for r in list {
            let family = r.codecs.split('.').next().unwrap_or("");
            match sets.iter_mut().find(|s| {
                s[0].language == r.language && s[0].codecs.split('.').next() == Some(family)
            }) {
                Some(s) => s.push(r),
                None => sets.push(vec![r]),
            }
        }
        for s in &mut sets {
            s.sort_by_key(|r| (r.bitrate, r.id.clone()));
        }
        groups.extend(sets);
    }
    if groups.is_empty() {
        return Err(ContextError::Empty {
            stream: directory.into(),
        });
    }

    let mut first_audio = true;
    let mut first_text = true;
    let mut sets = Vec::new();
    let mut max_segment_ms = 0;
    for (index, group) in groups.iter().enumerate() {
        let first = group[0];
        let ct = first.content_type;
        let sfx = suffix(ct);
        let (role, accessibility) = match ct {
            ContentType::Video => (None, None),
            ContentType::Audio => {
                let main = match &opts.main_audio {
                    Some(id) => group.iter().any(|r| &r.id == id),
                    None => first_audio,
                };
                first_audio = false;
                let ad = opts
                    .ad_audio
                    .as_ref()
                    .is_some_and(|id| group.iter().any(|r| &r.id == id));
                (
                    Some(if main { "main" } else { "alternate" }),
                    ad.then_some("1"),
                )
            }
            ContentType::Text => {
                let main = match &opts.main_text {
                    Some(id) => group.iter().any(|r| &r.id == id),
                    None => first_text,
                };
                first_text = false;
                (Some(if main { "subtitle" } else { "alternate" }), None)
            }
        };
        let audio_channels =
            (ct == ContentType::Audio).then(|| match &first.dolby_channel_configuration {
                Some(v) => AudioChannels {
                    scheme: "tag:dolby.com,2014:dash:audio_channel_configuration:2011",
                    value: v.clone(),
                },
                None => AudioChannels {
                    scheme: "urn:mpeg:dash:23003:3:audio_channel_configuration:2011",
                    value: first.channels.unwrap_or(2).to_string(),
                },
            });
        let media = if use_timeline {
            format!("$RepresentationID$/time/$Time$.{sfx}")
        } else {
            format!("$RepresentationID$/$Number$.{sfx}")
        };
        let segment_template = SegmentTemplateContext {
            timescale: first.timescale,
            duration: first.segment_duration,
            start_number: first.start_number,
            presentation_time_offset: first.start_time,
            initialization: with_query(
                format!("$RepresentationID$/init.{sfx}"),
                &opts.segment_query,
            ),
            media: with_query(media, &opts.segment_query),
            timeline: use_timeline.then(|| {
                entries(
                    first.start_time,
                    first.media_segments().iter().map(|s| s.duration),
                )
            }),
        };
        let mut representations = Vec::new();
        for r in group {
            let seg_max = r
                .media_segments()
                .iter()
                .map(|s| s.duration)
                .max()
                .unwrap_or(0);
            max_segment_ms = max_segment_ms.max(ticks_to_ms(seg_max, r.timescale));
            let (base_url, segment_list) = if req.mode == Mode::Odvod {
                let init = r.init_segment().map(|s| s.size).unwrap_or(0);
                (
                    Some(format!("{}.mp4", r.id)),
                    Some(SegmentListContext {
                        timescale: r.timescale,
                        duration: r.segment_duration,
                        initialization_range: format!("0-{}", init.saturating_sub(1)),
                        media_ranges: r
                            .media_segments()
                            .iter()
                            .map(|s| format!("{}-{}", s.offset, s.offset + s.size - 1))
                            .collect(),
                    }),
                )
            } else {
                (None, None)
            };
            representations.push(RepresentationContext {
                id: r.id.clone(),
                mime_type: r.mime_type.clone(),
                codecs: r.codecs.clone(),
                bandwidth: r.bitrate,
                width: r.width,
                height: r.height,
                frame_rate: r.frame_rate.map(|f| f.to_string()),
                sar: r.sar.clone(),
                audio_sampling_rate: r.sample_rate,
                num_channels: r.channels,
                lang: (ct != ContentType::Video).then(|| r.language.clone()),
                base_url,
                segment_list,
                segment_durations: r.media_segments().iter().map(|s| s.duration).collect(),
            });
        }
        let same_codecs = group.iter().all(|r| r.codecs == first.codecs);
        let widths = group.iter().filter_map(|r| r.width);
        let heights = group.iter().filter_map(|r| r.height);
        sets.push(AdaptationSetContext {
            id: index as u32 + 1,
            index: index + 1,
            content_type: ct.as_str(),
            mime_type: first.mime_type.clone(),
            codecs: same_codecs.then(|| first.codecs.clone()),
            lang: (ct != ContentType::Video).then(|| first.language.clone()),
            role,
            accessibility,
            audio_channels,
            max_width: widths.clone().max(),
            max_height: heights.clone().max(),
            min_width: widths.min(),
            min_height: heights.min(),
            max_frame_rate: group
                .iter()
                .filter_map(|r| r.frame_rate)
                .max_by(|a, b| a.as_f64().total_cmp(&b.as_f64()))
                .map(|f| f.to_string()),
            par: match (first.width, first.height) {
                (Some(w), Some(h)) => par(w, h, first.sar.as_deref()),
                _ => None,
            },
            min_bandwidth: group.iter().map(|r| r.bitrate).min().unwrap_or(0),
            max_bandwidth: group.iter().map(|r| r.bitrate).max().unwrap_or(0),
            segment_template,
            representations,
        });
    }

    let stream_url = req
        .site_url
        .as_ref()
        .map(|site| format!("{site}dash/{}/{directory}/", req.mode.as_str()));
    Ok(MpdContext {
        mode: req.mode.as_str(),
        mpd_type: "static",
        id: directory.into(),
        title: title.into(),
        publish_time: iso_datetime_ms(req.now_ms),
        media_presentation_duration: iso_duration_ms(duration_ms),
        max_segment_duration: iso_duration_ms(max_segment_ms),
        location: req.manifest_url.clone(),
        base_url: if opts.base_urls { stream_url } else { None },
        periods: vec![PeriodContext {
            id: "p0".into(),
            start: "PT0S".into(),
            duration: iso_duration_ms(duration_ms),
            adaptation_sets: sets,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picture_aspect_ratio() {
        assert_eq!(par(1920, 1080, Some("1:1")).as_deref(), Some("16:9"));
        assert_eq!(par(720, 576, Some("16:15")).as_deref(), Some("4:3"));
        assert_eq!(par(0, 576, None), None);
    }

    #[test]
    fn audio_codec_filter() {
        assert!(audio_matches("mp4a.40.2", "mp4a"));
        assert!(audio_matches("ac-3", "ec-3"));
        assert!(!audio_matches("ec-3", "mp4a"));
        assert!(audio_matches("ec-3", "any"));
    }
}
