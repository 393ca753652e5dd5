//! The manifest context: everything a template lays out, computed here from
//! the stream's representations, the request and its options. Templates do
//! no arithmetic and make no choices beyond their vendor's layout.

use serde::Serialize;

use crate::media::representation::FrameRate;
use crate::media::{ContentType, Representation};
use crate::mpd::events::{self, EventStreamContext};
use crate::mpd::holes::with_holes;
use crate::mpd::live::{LiveTiming, LoopMap, NumberTiming};
use crate::mpd::registry::{ManifestDef, Mode, Timeline};
use crate::mpd::time::{iso_datetime_ms, iso_duration_ms, ticks_to_ms};
use crate::mpd::timeline::{entries, S};
use crate::options::UtcMethod;

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
    /// Query strings (without `?`) appended to the init and media URLs of
    /// each track type: only the options whose use includes that type
    /// (reference §1.1, column Use), so a video URL's CDN cache key does not
    /// change with an audio option.
    pub segment_queries: SegmentQueries,
    /// Live only: how the manifest tells players the time.
    pub utc_method: Option<UtcMethod>,
    /// Servers for `ntp` and `sntp` (pool names already expanded or not).
    pub ntp_sources: Vec<String>,
    /// Query string for the `/time/…` URLs (the clock drift).
    pub time_query: String,
    /// `update=`: the manifest update counter (`merr` positions count it).
    pub update_count: Option<i64>,
    /// Live `patch=1`: the query of the MPD's PatchLocation URL
    /// ([`crate::mpd::patch::patch_query`]); `None` without patches.
    pub patch_query: Option<String>,
    /// `drm=` and the DRM sub-options: with a DRM, encrypted
    /// representations are shown instead of clear ones.
    pub drm: crate::drm::signal::DrmOptions,
    /// `events=`: the event generators, for templates with the feature.
    pub events: Vec<crate::events::Generator>,
    /// `segtimelineloss=N`: live timelines leave out every N-th segment.
    pub timeline_loss: Option<u64>,
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
            segment_queries: SegmentQueries::default(),
            utc_method: None,
            ntp_sources: Vec::new(),
            time_query: String::new(),
            update_count: None,
            patch_query: None,
            drm: Default::default(),
            events: Vec::new(),
            timeline_loss: None,
        }
    }
}

/// The segment URL query of each track type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentQueries {
    pub video: String,
    pub audio: String,
    pub text: String,
}

impl SegmentQueries {
    /// The same query for every track type.
    pub fn all(query: &str) -> SegmentQueries {
        SegmentQueries {
            video: query.into(),
            audio: query.into(),
            text: query.into(),
        }
    }

    pub fn of(&self, ct: ContentType) -> &str {
        match ct {
            ContentType::Video => &self.video,
            ContentType::Audio => &self.audio,
            ContentType::Text => &self.text,
        }
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut String> {
        [&mut self.video, &mut self.audio, &mut self.text].into_iter()
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
    /// The live clock; `Some` exactly when `mode` is live.
    pub timing: Option<LiveTiming>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MpdContext<'a> {
    pub mode: &'static str,
    pub mpd_type: &'static str,
    pub id: &'a str,
    pub title: &'a str,
    pub publish_time: String,
    pub media_presentation_duration: String,
    pub max_segment_duration: String,
    /// Live only (else empty): MPD@availabilityStartTime, @timeShiftBufferDepth.
    pub availability_start_time: String,
    pub time_shift_buffer_depth: String,
    /// Live only: MPD@suggestedPresentationDelay, for the templates that
    /// write one: dash-live's 30 s, or half the window when the window is
    /// shorter than a minute (30 s behind the edge of a 30 s window puts the
    /// player on the oldest segment, the one about to leave it).
    pub suggested_presentation_delay: String,
    /// Live only: MPD@minimumUpdatePeriod, when the manifest has one.
    pub minimum_update_period: Option<String>,
    pub utc_timing: Option<UtcTimingContext>,
    pub location: Option<String>,
    /// Live: the manifest's URL with `update=` one more than this request's,
    /// where vendor E's players fetch the next update (dash-live's locationURL).
    pub location_next: Option<String>,
    /// The request clock as an xs:dateTime: the value of a `direct` UTCTiming.
    pub now: String,
    /// Period-level `<BaseURL>`, absolute when the site URL is known.
    pub base_url: Option<String>,
    /// Live `patch=1`: `<PatchLocation>`.
    pub patch_location: Option<crate::mpd::patch::PatchLocation>,
    pub periods: Vec<PeriodContext<'a>>,
    /// Some adaptation set carries `ContentProtection` (templates that do
    /// not declare the `cenc` namespace always then declare it).
    pub encrypted: bool,
}

/// `<UTCTiming>`: how a live player learns the server's time.
#[derive(Debug, Clone, Serialize)]
pub struct UtcTimingContext {
    pub scheme: &'static str,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodContext<'a> {
    pub id: String,
    pub start: String,
    pub duration: String,
    /// Period `<EventStream>`s (events not carried in-band).
    pub event_streams: Vec<EventStreamContext>,
    pub adaptation_sets: Vec<AdaptationSetContext<'a>>,
    /// Multi-period: the Period's own `<BaseURL>` (else the manifest's).
    pub base_url: Option<String>,
    /// Multi-period: write `Period@duration`.
    pub closed: bool,
    /// Multi-period: how this Period follows the one before it.
    pub link: Option<crate::mpd::mps::PeriodLink>,
}

#[derive(Debug, Clone, Default, Serialize)]
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
pub struct AdaptationSetContext<'a> {
    pub id: u32,
    /// 1-based position, for templates that number groups.
    pub index: usize,
    /// `@group` by content type (video 1, audio 2, text 3): sets sharing a
    /// group are alternatives, so audio never shares one with video.
    pub group: u32,
    pub content_type: &'static str,
    pub mime_type: &'a str,
    /// The codecs string when every representation shares it.
    pub codecs: Option<&'a str>,
    pub lang: Option<&'a str>,
    pub role: Option<&'static str>,
    pub accessibility: Option<&'static str>,
    pub audio_channels: Option<AudioChannels>,
    pub max_width: Option<u32>,
    pub max_height: Option<u32>,
    pub min_width: Option<u32>,
    pub min_height: Option<u32>,
    pub max_frame_rate: Option<FrameRate>,
    pub par: Option<AspectRatio>,
    pub min_bandwidth: u64,
    pub max_bandwidth: u64,
    pub segment_template: SegmentTemplateContext,
    /// `<InbandEventStream>`s: video sets only, when events are in-band.
    pub inband_event_streams: Vec<EventStreamContext>,
    pub representations: Vec<RepresentationContext<'a>>,
    /// The set's encryption (its first representation's), when encrypted.
    pub encryption: Option<&'a crate::media::Encryption>,
    /// `ContentProtection` elements, one per line (filled in by the DRM
    /// signalling, [`crate::drm::signal`]).
    pub content_protection: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentListContext {
    pub timescale: u32,
    pub duration: u64,
    pub initialization_range: String,
    pub media_ranges: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepresentationContext<'a> {
    pub id: &'a str,
    pub mime_type: &'a str,
    pub codecs: &'a str,
    pub bandwidth: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub frame_rate: Option<FrameRate>,
    pub sar: Option<&'a str>,
    /// `progressive` for video (the indexer finds no interlaced media;
    /// dash-live writes the same), `None` otherwise.
    pub scan_type: Option<&'static str>,
    pub audio_sampling_rate: Option<u32>,
    pub num_channels: Option<u16>,
    /// This representation's channel layout, for templates that write it per
    /// Representation.
    pub audio_channels: Option<AudioChannels>,
    pub lang: Option<&'a str>,
    /// On-demand profile: the single file and its byte ranges.
    pub base_url: Option<String>,
    /// On-demand profile: the file's URL joined to the stream's base URL
    /// when the manifest has one (else the same as `base_url`), for templates
    /// that write the whole URL on the Representation.
    pub full_base_url: Option<String>,
    pub segment_list: Option<SegmentListContext>,
    pub timescale: u32,
    /// On demand only: the segment durations as runs of equal durations (`t`
    /// never set), for    /// the proprietary `SegmentDurations` element.
    pub duration_runs: Vec<S>,
    /// This representation's own SegmentTemplate, for templates that write
    /// one inside every Representation (`rep_templates`); empty for others.
    pub segment_template: SegmentTemplateContext,
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
    /// The event options ask for more than a manifest may list (400).
    #[error(transparent)]
    Events(#[from] crate::events::EventError),
}

pub use crate::layout::suffix;

fn gcd(a: u64, b: u64) -> u64 {
    crate::media::representation::gcd(a, b)
}

/// An aspect ratio in lowest terms, written `16:9`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AspectRatio {
    pub width: u64,
    pub height: u64,
}

impl std::fmt::Display for AspectRatio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.width, self.height)
    }
}

/// Picture aspect ratio from size and sample aspect ratio: `16:9`.
fn par(width: u32, height: u32, sar: Option<&str>) -> Option<AspectRatio> {
    let (sw, sh) = sar
        .and_then(|s| s.split_once(':'))
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
        .unwrap_or((1, 1));
    let (w, h) = (u64::from(width) * sw, u64::from(height) * sh);
    if w == 0 || h == 0 {
        return None;
    }
    let g = gcd(w, h);
    Some(AspectRatio {
        width: w / g,
        height: h / g,
    })
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

/// `url` with its `update=` parameter set to `count + 1` (added when absent).
fn next_update_url(url: &str, count: i64) -> String {
    let next = format!("update={}", count.saturating_add(1));
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut parts: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some("update"))
        .collect();
    parts.push(&next);
    format!("{path}?{}", parts.join("&"))
}

/// `prefix` + `sfx` + `?query` in one allocation (a live manifest builds
/// these on every request).
fn template_url(prefix: &str, sfx: &str, query: &str) -> String {
    let mut url = String::with_capacity(prefix.len() + sfx.len() + query.len() + 1);
    url.push_str(prefix);
    url.push_str(sfx);
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Whether a template lays out text AdaptationSets: dash-live's vendor
/// templates list video and audio only, hand_made alone shows text
/// (reference §12.23). Leaving text out here keeps the values computed over
/// the sets (maxSegmentDuration, positions) true to what the manifest lists.
fn shows_text(def: &ManifestDef) -> bool {
    def.text
}

/// `@group` of an adaptation set: one group per content type.
fn group_of(ct: ContentType) -> u32 {
    match ct {
        ContentType::Video => 1,
        ContentType::Audio => 2,
        ContentType::Text => 3,
    }
}

/// The channel layout of an audio representation: Dolby's scheme when the
/// sample entry carries a Dolby channel configuration, else the MPEG one.
fn audio_channels(r: &Representation) -> Option<AudioChannels> {
    (r.content_type == ContentType::Audio).then(|| match &r.dolby_channel_configuration {
        Some(v) => AudioChannels {
            scheme: "tag:dolby.com,2014:dash:audio_channel_configuration:2011",
            value: v.clone(),
        },
        None => AudioChannels {
            scheme: "urn:mpeg:dash:23003:3:audio_channel_configuration:2011",
            value: r.channels.unwrap_or(2).to_string(),
        },
    })
}

/// Runs of equal segment durations without start times.
fn duration_runs(durations: &[u64]) -> Vec<S> {
    let mut runs = entries(0, durations.iter().copied());
    for s in &mut runs {
        s.t = None;
    }
    runs
}

/// The live window of one representation, for its SegmentTemplate.
struct LiveWindow<'a> {
    timing: &'a LiveTiming,
    reference: &'a Representation,
}

/// A SegmentTemplate for `r`: `$Number$`, or `$Time$` with a timeline (of
/// the whole content, or of the live window).
fn segment_template(
    r: &Representation,
    reference: &Representation,
    use_timeline: bool,
    query: &str,
    live: Option<&LiveWindow>,
    timeline_loss: Option<u64>,
) -> SegmentTemplateContext {
    let sfx = suffix(r.content_type);
    let media = if use_timeline {
        crate::layout::TIME_TEMPLATE
    } else {
        crate::layout::NUMBER_TEMPLATE
    };
    let timeline =
        use_timeline.then(
            || match live.and_then(|w| Some((w, LoopMap::new(r, w.reference)?))) {
                Some((w, map)) => match timeline_loss {
                    Some(every) => with_holes(map.timeline_runs(w.timing), &map, every),
                    None => map.timeline_runs(w.timing),
                },
                None if live.is_some() => Vec::new(),
                None => entries(r.start_time, r.media_segments().iter().map(|s| s.duration)),
            },
        );
    // `$Number$`: the presentation's (live: the loop's) length over the
    // segment count, so numbers never drift live, and a static Period of the
    // reference's duration holds exactly as many segments as there are. A
    // track's nominal duration (its last start over the count before it) is
    // shorter than the average when its segments vary (AAC at 44.1 kHz) and
    // would imply one segment more than exists.
    let number = (!use_timeline)
        .then(|| NumberTiming::new(r, live.map_or(reference, |w| w.reference)))
        .flatten();
    let (timescale, duration, first) = match number {
        Some(n) => (n.timescale, n.duration, n.presentation_time_offset),
        None => (r.timescale, r.segment_duration, r.start_time),
    };
    // The edit list moves where the presentation starts (B-frame delay, AAC
    // priming): in static manifests. Live ones keep the first decode time:
    // ffmpeg's dash demuxer (5.1, and to date) picks its first live
    // `$Number$` differently for a non-zero presentationTimeOffset (it takes
    // minBufferTime off in segments, not seconds), so a track with an edit
    // list would start segments away from its siblings without one.
    let edit = match live {
        None => timescale
            .checked_div(r.timescale)
            .map_or(0, |scale| r.edit_offset.saturating_mul(u64::from(scale))),
        Some(_) => 0,
    };
    let presentation_time_offset = first.saturating_add(edit);
    SegmentTemplateContext {
        timescale,
        duration,
        start_number: r.start_number,
        presentation_time_offset,
        initialization: template_url(crate::layout::INIT_TEMPLATE, sfx, query),
        media: template_url(media, sfx, query),
        timeline,
    }
}

/// `<UTCTiming>` for `method`, with `/time/…` URLs on the site.
fn utc_timing(
    method: UtcMethod,
    site_url: Option<&str>,
    opts: &ManifestOptions,
    now_ms: i64,
) -> UtcTimingContext {
    let url = |path: &str| {
        with_query(
            format!("{}time/{path}", site_url.unwrap_or("/")),
            &opts.time_query,
        )
    };
    let servers = || {
        let mut out = Vec::new();
        for s in opts.ntp_sources.iter().map(String::as_str) {
            match s {
                "google" => out.extend((1..=4).map(|i| format!("time{i}.google.com"))),
                "europe-ntp" => out.extend((0..4).map(|i| format!("{i}.europe.pool.ntp.org"))),
                host => out.push(host.to_string()),
            }
        }
        if out.is_empty() {
            out.extend((1..=4).map(|i| format!("time{i}.google.com")));
        }
        out.join(" ")
    };
    let (scheme, value) = match method {
        UtcMethod::Direct => ("urn:mpeg:dash:utc:direct:2014", iso_datetime_ms(now_ms)),
        UtcMethod::Head => ("urn:mpeg:dash:utc:http-head:2014", url("head")),
        UtcMethod::HttpNtp => ("urn:mpeg:dash:utc:http-ntp:2014", url("http-ntp")),
        UtcMethod::Iso => ("urn:mpeg:dash:utc:http-iso:2014", url("iso")),
        UtcMethod::Xsd => ("urn:mpeg:dash:utc:http-xsdate:2014", url("xsd")),
        UtcMethod::Ntp => ("urn:mpeg:dash:utc:ntp:2014", servers()),
        UtcMethod::Sntp => ("urn:mpeg:dash:utc:sntp:2014", servers()),
    };
    UtcTimingContext { scheme, value }
}

/// dash-live's MPD@suggestedPresentationDelay.
const SUGGESTED_DELAY_MS: u64 = 30_000;

/// How the adaptation sets of one Period are laid out: what every set and
/// representation of a manifest shares.
struct Layout<'a, 'r> {
    def: &'a ManifestDef,
    req: &'a Request,
    opts: &'a ManifestOptions,
    use_timeline: bool,
    /// The timing reference (its segments set every `$Number$` template).
    reference: &'r Representation,
    window: Option<LiveWindow<'a>>,
    /// The stream's base URL, when the manifest carries one.
    stream_base: Option<String>,
}

/// The representations a manifest shows, grouped into adaptation sets:
/// video (by bitrate, only the lowest without `abr`), then audio and text,
/// one set per (codec family, language), filtered by the options.
pub fn select_groups<'r>(
    reps: &'r [Representation],
    def: &ManifestDef,
    opts: &ManifestOptions,
) -> Vec<Vec<&'r Representation>> {
    // Encrypted copies are for DRM requests, and then replace the clear
    // ones of their type (dash-live); a type with no encrypted copy stays clear.
    let wanted = |ct: ContentType| {
        // `enc=` encrypts the clear ones on the fly instead.
        let encrypted = !opts.drm.is_empty()
            && opts.drm.encryption.is_none()
            && reps.iter().any(|r| r.encrypted() && r.content_type == ct);
        move |r: &&Representation| r.content_type != ct || r.encrypted() == encrypted
    };
    let clear = || {
        reps.iter()
            .filter(wanted(ContentType::Video))
            .filter(wanted(ContentType::Audio))
            .filter(wanted(ContentType::Text))
    };
    let by_bitrate =
        |a: &&Representation, b: &&Representation| (a.bitrate, &a.id).cmp(&(b.bitrate, &b.id));
    let mut video: Vec<&Representation> = clear()
        .filter(|r| r.content_type == ContentType::Video)
        .collect();
    video.sort_by(by_bitrate);
    if !opts.abr {
        video.truncate(1);
    }
    let audio = clear().filter(|r| {
        r.content_type == ContentType::Audio && audio_matches(&r.codecs, &opts.audio_codec)
    });
    let text = clear()
        .filter(|r| r.content_type == ContentType::Text && shows_text(def))
        .filter(|r| {
            opts.text_codec
                .as_deref()
                .is_none_or(|c| r.codecs.contains(c))
        });
    let mut groups: Vec<Vec<&Representation>> = Vec::with_capacity(4);
    if !video.is_empty() {
        groups.push(video);
    }
    let family = |r: &Representation| r.codecs.split('.').next().unwrap_or("").to_string();
    for list in [audio.collect::<Vec<_>>(), text.collect()] {
        let mut sets: Vec<Vec<&Representation>> = Vec::new();
        for r in list {
            match sets
                .iter_mut()
                .find(|s| s[0].language == r.language && family(s[0]) == family(r))
            {
                Some(s) => s.push(r),
                None => sets.push(vec![r]),
            }
        }
        for s in &mut sets {
            s.sort_by(by_bitrate);
        }
        groups.extend(sets);
    }
    groups
}

/// Role and accessibility of each set, in order: the first audio set (or
/// the one holding `main_audio`) is main, the others alternate; likewise text.
struct Roles {
    first_audio: bool,
    first_text: bool,
}

impl Roles {
    fn next(
        &mut self,
        group: &[&Representation],
        opts: &ManifestOptions,
    ) -> (Option<&'static str>, Option<&'static str>) {
        let holds = |id: &Option<String>| id.as_ref().map(|id| group.iter().any(|r| &r.id == id));
        match group[0].content_type {
            ContentType::Video => (None, None),
            ContentType::Audio => {
                let main = holds(&opts.main_audio).unwrap_or(self.first_audio);
                self.first_audio = false;
                let ad = holds(&opts.ad_audio).unwrap_or(false);
                (
                    Some(if main { "main" } else { "alternate" }),
                    ad.then_some("1"),
                )
            }
            ContentType::Text => {
                let main = holds(&opts.main_text).unwrap_or(self.first_text);
                self.first_text = false;
                (Some(if main { "subtitle" } else { "alternate" }), None)
            }
        }
    }
}

impl<'r> Layout<'_, 'r> {
    fn template(&self, r: &Representation) -> SegmentTemplateContext {
        segment_template(
            r,
            self.reference,
            self.use_timeline,
            self.opts.segment_queries.of(r.content_type),
            self.window.as_ref(),
            self.opts.timeline_loss,
        )
    }

    /// One Representation, and its longest segment in ms.
    fn representation(&self, r: &'r Representation) -> (RepresentationContext<'r>, u64) {
        let ct = r.content_type;
        let media = r.media_segments();
        let longest = media.iter().map(|s| s.duration).max().unwrap_or(0);
        let on_demand = self.req.mode == Mode::Odvod;
        let durations: Vec<u64> = if on_demand {
            media.iter().map(|s| s.duration).collect()
        } else {
            Vec::new()
        };
        let (base_url, segment_list) = if on_demand {
            let init = r.init_segment().map(|s| s.size).unwrap_or(0);
            (
                Some(format!("{}.mp4", r.id)),
                Some(SegmentListContext {
                    timescale: r.timescale,
                    duration: r.segment_duration,
                    initialization_range: format!("0-{}", init.saturating_sub(1)),
                    media_ranges: media
                        .iter()
                        .map(|s| format!("{}-{}", s.offset, s.offset + s.size - 1))
                        .collect(),
                }),
            )
        } else {
            (None, None)
        };
        let context = RepresentationContext {
            id: &r.id,
            mime_type: &r.mime_type,
            codecs: &r.codecs,
            bandwidth: r.bitrate,
            width: r.width,
            height: r.height,
            frame_rate: r.frame_rate,
            sar: r.sar.as_deref(),
            scan_type: (ct == ContentType::Video).then_some("progressive"),
            audio_sampling_rate: r.sample_rate,
            num_channels: r.channels,
            audio_channels: audio_channels(r),
            lang: (ct != ContentType::Video).then_some(r.language.as_str()),
            full_base_url: base_url.as_ref().map(|f| match &self.stream_base {
                Some(b) => format!("{b}{f}"),
                None => f.clone(),
            }),
            base_url,
            segment_list,
            timescale: r.timescale,
            duration_runs: duration_runs(&durations),
            // Only templates that write one per Representation get it
            // (a live timeline costs a walk of the window).
            segment_template: if self.def.rep_templates {
                self.template(r)
            } else {
                SegmentTemplateContext::default()
            },
        };
        (context, ticks_to_ms(longest, r.timescale))
    }

    /// One AdaptationSet (`index` from 0), and its longest segment in ms.
    fn adaptation_set(
        &self,
        index: usize,
        group: &[&'r Representation],
        roles: &mut Roles,
    ) -> (AdaptationSetContext<'r>, u64) {
        let first = group[0];
        let ct = first.content_type;
        let (role, accessibility) = roles.next(group, self.opts);
        let mut longest = 0;
        let representations = group
            .iter()
            .map(|r| {
                let (context, ms) = self.representation(r);
                longest = longest.max(ms);
                context
            })
            .collect();
        let same_codecs = group.iter().all(|r| r.codecs == first.codecs);
        let widths = group.iter().filter_map(|r| r.width);
        let heights = group.iter().filter_map(|r| r.height);
        let set = AdaptationSetContext {
            id: index as u32 + 1,
            index: index + 1,
            group: group_of(ct),
            content_type: ct.as_str(),
            mime_type: &first.mime_type,
            codecs: same_codecs.then_some(first.codecs.as_str()),
            lang: (ct != ContentType::Video).then_some(first.language.as_str()),
            role,
            accessibility,
            audio_channels: audio_channels(first),
            max_width: widths.clone().max(),
            max_height: heights.clone().max(),
            min_width: widths.min(),
            min_height: heights.min(),
            max_frame_rate: group
                .iter()
                .filter_map(|r| r.frame_rate)
                .max_by(|a, b| a.as_f64().total_cmp(&b.as_f64())),
            par: match (first.width, first.height) {
                (Some(w), Some(h)) => par(w, h, first.sar.as_deref()),
                _ => None,
            },
            min_bandwidth: group.iter().map(|r| r.bitrate).min().unwrap_or(0),
            max_bandwidth: group.iter().map(|r| r.bitrate).max().unwrap_or(0),
            segment_template: self.template(first),
            inband_event_streams: match ct {
                ContentType::Video => events::inband_streams(&self.opts.events),
                _ => Vec::new(),
            },
            representations,
            encryption: first.encryption.as_ref(),
            content_protection: None,
        };
        (set, longest)
    }

    /// One Period of these groups, and its longest segment in ms.
    fn period(
        &self,
        p: PeriodInput<'_, 'r>,
        last: bool,
    ) -> Result<(PeriodContext<'r>, u64), ContextError> {
        let mut roles = Roles {
            first_audio: true,
            first_text: true,
        };
        let mut longest = 0;
        // A Period of its own timing (multi-period) lays its segments out
        // as a static one does, whatever the manifest's clock.
        let own = p.own_timing.then(|| Layout {
            def: self.def,
            req: self.req,
            opts: self.opts,
            use_timeline: self.use_timeline,
            reference: self.reference,
            window: None,
            stream_base: self.stream_base.clone(),
        });
        let layout = own.as_ref().unwrap_or(self);
        let adaptation_sets = p
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let (set, ms) = layout.adaptation_set(i, g, &mut roles);
                longest = longest.max(ms);
                set
            })
            .collect();
        let event_streams = events::period_streams(
            &self.opts.events,
            p.start_ms,
            p.duration_ms,
            self.window.as_ref().map(|w| w.timing),
            last,
        )?;
        let context = PeriodContext {
            id: p.id,
            start: iso_duration_ms(p.start_ms),
            duration: iso_duration_ms(p.duration_ms),
            event_streams,
            adaptation_sets,
            base_url: None,
            closed: false,
            link: None,
        };
        Ok((context, longest))
    }
}

/// What one Period shows: its id, where it starts and how long it lasts,
/// and its representations grouped into adaptation sets. A manifest of one
/// programme has one; multi-period streams give several.
pub struct PeriodInput<'g, 'r> {
    pub id: String,
    pub start_ms: u64,
    pub duration_ms: u64,
    pub groups: &'g [Vec<&'r Representation>],
    /// The Period's segments are its own, not the live loop's
    /// (multi-period): their templates are laid out as in a static manifest.
    pub own_timing: bool,
}

/// Computes the context of a manifest: static (vod, odvod) or dynamic (live,
/// with `req.timing`), of one Period showing the stream's representations.
pub fn manifest_context<'a>(
    directory: &'a str,
    title: &'a str,
    timing_ref: &str,
    reps: &'a [Representation],
    def: &ManifestDef,
    req: &Request,
    opts: &ManifestOptions,
) -> Result<MpdContext<'a>, ContextError> {
    let reference =
        reps.iter()
            .find(|r| r.id == timing_ref)
            .ok_or_else(|| ContextError::TimingRef {
                stream: directory.into(),
                timing_ref: timing_ref.into(),
            })?;
    let groups = select_groups(reps, def, opts);
    if groups.is_empty() {
        return Err(ContextError::Empty {
            stream: directory.into(),
        });
    }
    // Truncated, not rounded: a Period even half a millisecond longer than
    // the reference's `$Number$` segments would imply one more of them.
    let duration_ms = (u128::from(reference.media_duration) * 1000
        / u128::from(reference.timescale.max(1)))
    .min(u128::from(u64::MAX)) as u64;
    let period = PeriodInput {
        id: "p0".into(),
        start_ms: 0,
        duration_ms,
        groups: &groups,
        own_timing: false,
    };
    periods_context(directory, title, reference, def, req, opts, vec![period])
}

/// The context of a manifest of these Periods, in order; `reference` is the
/// timing reference of the live loop and the `$Number$` templates.
pub fn periods_context<'a>(
    directory: &'a str,
    title: &'a str,
    reference: &'a Representation,
    def: &ManifestDef,
    req: &Request,
    opts: &ManifestOptions,
    periods: Vec<PeriodInput<'_, 'a>>,
) -> Result<MpdContext<'a>, ContextError> {
    let live_timing = req.timing.as_ref().filter(|_| req.mode == Mode::Live);
    if !def.supports(req.mode) || (req.mode == Mode::Live) != live_timing.is_some() {
        return Err(ContextError::Mode {
            manifest: def.name,
            mode: req.mode.as_str(),
        });
    }
    let published = live_timing
        .filter(|_| crate::mpd::patch::offered(def, opts))
        .map(crate::mpd::patch::window_timing);
    let layout = Layout {
        def,
        req,
        opts,
        use_timeline: match def.timeline {
            Timeline::Forced => true,
            Timeline::Never => false,
            Timeline::Optional => opts.timeline,
        },
        reference,
        window: live_timing.map(|t| LiveWindow {
            timing: published.as_ref().unwrap_or(t),
            reference,
        }),
        stream_base: req
            .site_url
            .as_ref()
            .filter(|_| opts.base_urls)
            .map(|site| format!("{site}dash/{}/{directory}/", req.mode.as_str())),
    };
    let total_ms = periods
        .iter()
        .map(|p| p.start_ms.saturating_add(p.duration_ms))
        .max()
        .unwrap_or(0);
    let mut max_segment_ms = 0;
    let count = periods.len();
    let periods = periods
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let (period, ms) = layout.period(p, i + 1 == count)?;
            max_segment_ms = max_segment_ms.max(ms);
            Ok(period)
        })
        .collect::<Result<_, ContextError>>()?;
    let (mpd_type, publish_ms) = match live_timing {
        Some(t) => ("dynamic", t.publish_ms),
        None => ("static", req.now_ms),
    };
    Ok(MpdContext {
        mode: req.mode.as_str(),
        mpd_type,
        id: directory,
        title,
        publish_time: iso_datetime_ms(publish_ms),
        media_presentation_duration: iso_duration_ms(total_ms),
        max_segment_duration: iso_duration_ms(max_segment_ms),
        availability_start_time: live_timing
            .map(|t| iso_datetime_ms(t.availability_start_ms))
            .unwrap_or_default(),
        time_shift_buffer_depth: live_timing
            .map(|t| iso_duration_ms(t.depth_s.max(0) as u64 * 1000))
            .unwrap_or_default(),
        suggested_presentation_delay: live_timing
            .map(|t| iso_duration_ms(SUGGESTED_DELAY_MS.min(t.depth_s.max(0) as u64 * 500)))
            .unwrap_or_default(),
        // A template without the option writes no update period (vendor EF).
        minimum_update_period: live_timing
            .and_then(|t| t.min_update_period_s)
            .filter(|_| def.features.contains(&"minimumUpdatePeriod"))
            .map(|m| iso_duration_ms(m.max(0) as u64 * 1000)),
        utc_timing: live_timing.and_then(|t| {
            opts.utc_method
                .map(|m| utc_timing(m, req.site_url.as_deref(), opts, t.now_ms))
        }),
        location: req.manifest_url.clone(),
        location_next: req
            .manifest_url
            .as_deref()
            .filter(|_| live_timing.is_some())
            .map(|url| next_update_url(url, opts.update_count.unwrap_or(0))),
        now: iso_datetime_ms(live_timing.map_or(req.now_ms, |t| t.now_ms)),
        patch_location: live_timing.and_then(|t| {
            crate::mpd::patch::patch_location(def, directory, req.site_url.as_deref(), opts, t)
        }),
        base_url: layout.stream_base,
        periods,
        encrypted: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_update_url() {
        assert_eq!(
            next_update_url("http://h/m.mpd", 0),
            "http://h/m.mpd?update=1"
        );
        assert_eq!(
            next_update_url("http://h/m.mpd?a=1&update=4&b=2", 4),
            "http://h/m.mpd?a=1&b=2&update=5"
        );
    }

    #[test]
    fn picture_aspect_ratio() {
        let par = |w, h, sar| par(w, h, sar).map(|p| p.to_string());
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

    /// A small clear representation with `n` segments of `d` ticks.
    fn rep(id: &str, ct: ContentType, codecs: &str, n: usize, d: u64) -> Representation {
        let mut segments = vec![crate::media::representation::Segment {
            offset: 0,
            size: 100,
            ..Default::default()
        }];
        for i in 0..n as u64 {
            segments.push(crate::media::representation::Segment {
                offset: 100 + i * 50,
                size: 50,
                duration: d,
                decode_time: i * d,
            });
        }
        let video = ct == ContentType::Video;
        Representation {
            id: id.into(),
            filename: format!("{id}.mp4"),
            content_type: ct,
            mime_type: format!("{}/mp4", ct.as_str()),
            codecs: codecs.into(),
            sample_entry: codecs.split('.').next().unwrap().into(),
            timescale: 1000,
            language: "eng".into(),
            track_id: 1,
            start_number: 1,
            start_time: 0,
            edit_offset: 0,
            segments,
            media_duration: n as u64 * d,
            segment_duration: d,
            bitrate: 1000,
            max_bitrate: 1000,
            width: video.then_some(1280),
            height: video.then_some(720),
            frame_rate: if video {
                crate::media::representation::FrameRate::new(25, 1)
            } else {
                None
            },
            sar: video.then(|| "1:1".to_string()),
            nal_length_size: None,
            sample_rate: (!video).then_some(48_000),
            channels: (!video).then_some(6),
            dolby_channel_configuration: codecs.starts_with("ec-3").then(|| "F801".to_string()),
            encryption: None,
        }
    }

    fn context(mode: Mode, opts: &ManifestOptions) -> MpdContext<'static> {
        // The context borrows its representations: these live for the test.
        let reps: &'static [Representation] = Box::leak(Box::new([
            rep("v1", ContentType::Video, "avc1.64001f", 3, 2000),
            rep("a1", ContentType::Audio, "mp4a.40.2", 3, 2000),
            rep("a2", ContentType::Audio, "ec-3", 3, 2000),
        ]));
        let def = crate::mpd::registry::find(if mode == Mode::Odvod {
            "manifest_vod_aiv"
        } else {
            "hand_made"
        })
        .unwrap();
        let req = Request {
            mode,
            site_url: Some("http://h/".into()),
            manifest_url: None,
            now_ms: 1_662_477_000_000,
            timing: None,
        };
        manifest_context("s", "S", "v1", reps, def, &req, opts).unwrap()
    }

    #[test]
    fn an_edit_list_offsets_static_manifests_only() {
        let mut audio = rep("a1", ContentType::Audio, "mp4a.40.2", 3, 2000);
        audio.edit_offset = 21; // ms of priming, in this 1 kHz timescale
        let reps = [rep("v1", ContentType::Video, "avc1.64001f", 3, 2000), audio];
        let def = crate::mpd::registry::find("hand_made").unwrap();
        let pto = |mode: Mode| {
            let timing = (mode == Mode::Live).then(|| {
                let o = crate::options::Options::parse_query("start=epoch", Mode::Live)
                    .unwrap()
                    .0;
                LiveTiming::new(&o, 1_662_477_000_000, false, 2000).unwrap()
            });
            let req = Request {
                mode,
                site_url: None,
                manifest_url: None,
                now_ms: 1_662_477_000_000,
                timing,
            };
            let ctx = manifest_context(
                "s",
                "S",
                "v1",
                &reps,
                def,
                &req,
                &ManifestOptions::default(),
            )
            .unwrap();
            let sets = &ctx.periods[0].adaptation_sets;
            let t = &sets
                .iter()
                .find(|a| a.content_type == "audio")
                .unwrap()
                .segment_template;
            t.presentation_time_offset * 1000 / u64::from(t.timescale)
        };
        assert_eq!(pto(Mode::Vod), 21, "the priming is before the period");
        // Live keeps the first decode time: ffmpeg's live start differs for
        // a track whose presentationTimeOffset is not 0.
        assert_eq!(pto(Mode::Live), 0);
    }

    #[test]
    fn only_hand_made_lays_out_text() {
        let reps = [
            rep("v1", ContentType::Video, "avc1.64001f", 3, 2000),
            rep("t1", ContentType::Text, "stpp", 1, 6000),
        ];
        let req = Request {
            mode: Mode::Vod,
            site_url: None,
            manifest_url: None,
            now_ms: 0,
            timing: None,
        };
        let opts = ManifestOptions::default();
        let ctx = |name| {
            let def = crate::mpd::registry::find(name).unwrap();
            manifest_context("s", "S", "v1", &reps, def, &req, &opts).unwrap()
        };
        let hand = ctx("hand_made");
        assert_eq!(hand.periods[0].adaptation_sets.len(), 2);
        assert_eq!(hand.max_segment_duration, "PT6S");
        let vendor = ctx("manifest_h");
        assert_eq!(vendor.periods[0].adaptation_sets.len(), 1);
        assert_eq!(
            vendor.max_segment_duration, "PT2S",
            "over the listed sets only"
        );
    }

    #[test]
    fn duration_runs_have_no_start_times() {
        let runs = duration_runs(&[960, 960, 960, 480]);
        assert_eq!(runs.len(), 2);
        assert!(runs.iter().all(|s| s.t.is_none()));
        assert_eq!(
            (runs[0].d, runs[0].r, runs[1].d, runs[1].r),
            (960, 2, 480, 0)
        );
        assert!(duration_runs(&[]).is_empty());
    }

    #[test]
    fn vendor_fields_of_a_static_context() {
        let any = ManifestOptions {
            audio_codec: "any".into(),
            segment_queries: SegmentQueries::all("x=1"),
            ..ManifestOptions::default()
        };
        let ctx = context(Mode::Vod, &any);
        assert_eq!(ctx.now, "2022-09-06T15:10:00Z");
        let sets = &ctx.periods[0].adaptation_sets;
        let groups: Vec<u32> = sets.iter().map(|a| a.group).collect();
        assert_eq!(
            groups,
            [1, 2, 2],
            "audio sets share a group, video has its own"
        );
        let v = &sets[0].representations[0];
        assert_eq!(v.scan_type, Some("progressive"));
        assert!(v.audio_channels.is_none());
        assert_eq!(
            sets[0].segment_template.media,
            "$RepresentationID$/$Number$.m4v?x=1"
        );
        assert_eq!(sets[0].segment_template.duration, 2000);
        assert_eq!(v.timescale, 1000);
        assert!(v.duration_runs.is_empty(), "on demand only");
        assert!(
            v.segment_template.media.is_empty(),
            "hand_made has no per-Representation template"
        );
        let aac = &sets[1].representations[0];
        assert_eq!(aac.scan_type, None);
        let ch = aac.audio_channels.as_ref().unwrap();
        assert_eq!(
            (ch.scheme, ch.value.as_str()),
            (
                "urn:mpeg:dash:23003:3:audio_channel_configuration:2011",
                "6"
            )
        );
        assert_eq!(
            sets[1].segment_template.initialization,
            "$RepresentationID$/init.m4a?x=1"
        );
        let ec3 = &sets[2].representations[0];
        assert_eq!(ec3.audio_channels.as_ref().unwrap().value, "F801");
        assert!(v.full_base_url.is_none() && v.segment_template.timeline.is_none());

        let timeline = ManifestOptions {
            timeline: true,
            ..ManifestOptions::default()
        };
        let ctx = context(Mode::Vod, &timeline);
        let set = &ctx.periods[0].adaptation_sets[1];
        let t = set.segment_template.timeline.as_ref().unwrap();
        assert_eq!((t[0].t, t[0].d, t[0].r), (Some(0), 2000, 2));
        assert!(
            set.representations[0].segment_template.timeline.is_none(),
            "hand_made writes no per-Representation template, so none is computed"
        );
    }

    #[test]
    fn on_demand_file_urls() {
        let ctx = context(Mode::Odvod, &ManifestOptions::default());
        let r = &ctx.periods[0].adaptation_sets[0].representations[0];
        assert_eq!(r.base_url.as_deref(), Some("v1.mp4"));
        assert_eq!((r.duration_runs.len(), r.duration_runs[0].r), (1, 2));
        assert_eq!(
            r.full_base_url.as_deref(),
            Some("http://h/dash/odvod/s/v1.mp4")
        );
        let relative = ManifestOptions {
            base_urls: false,
            ..ManifestOptions::default()
        };
        let ctx = context(Mode::Odvod, &relative);
        assert!(ctx.base_url.is_none());
        let r = &ctx.periods[0].adaptation_sets[0].representations[0];
        assert_eq!(r.full_base_url.as_deref(), Some("v1.mp4"));
    }
}
