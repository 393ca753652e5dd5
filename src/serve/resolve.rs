//! The resolver: one pure function from (tree, request, now) to a [`Plan`].
//! Every dynamic answer of the origin comes from here — live and
//! query-rendered manifests, live init and media segments by number or
//! time, `/time`, dash-live's older manifest URLs — with the options
//! resolved one way for all of them: site defaults, stream defaults, the
//! query, then the template's restrictions and the table's bounds.

use crate::faults::counts::FaultCounts;
use crate::layout::{self, SegmentName};
use crate::media::Representation;
use crate::mpd::live::{LiveTiming, LoopMap};
use crate::mpd::manifest::{
    reference_segment_ms, render_manifest_with, render_patch_with, ManifestError, ManifestQuery,
    OptionsCache, StreamView,
};
use crate::mpd::patch;
use crate::mpd::registry::{self, Mode};
use crate::mpd::render::Renderer;
use crate::mpd::request::{resolve_media, Defaults};
use crate::mpd::time::iso_datetime_ms;
use crate::options::{AvailabilityStart, Options};
use crate::policy::{self, Cache};
use crate::serve::clock::{self, TimeMethod};
use crate::serve::faults::{self, Verdict};
use crate::serve::plan::{Plan, Refusal, SegmentPlan, Source};
use crate::serve::transform::{self, SegmentAt};

/// What the resolver needs of the tree being served.
pub trait TreeView {
    fn site_defaults(&self) -> &Defaults;
    fn stream(&self, directory: &str) -> Option<StreamView<'_>>;
    /// The loop map of a representation (`None` when it cannot loop).
    fn loop_map(&self, stream: &str, rep: &str) -> Option<&LoopMap>;
    /// Stream directories, sorted: dash-live's v1 URLs pick `bbb` or the first.
    fn stream_names(&self) -> Vec<&str>;
    /// A content key of any stream (keys are site-wide, as in dash-live):
    /// for the ClearKey licence only.
    fn content_key(&self, kid: &crate::drm::Kid) -> Option<crate::drm::ContentKey>;
    /// A multi-period programme by name.
    fn programme(&self, _name: &str) -> Option<&crate::mpd::mps::Programme> {
        None
    }
}

/// Which resource the path names (the route table matched it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// `/time/{method}`
    Time { method: &'a str },
    /// `/dash/live/{stream}/{file}`
    LiveManifest { stream: &'a str, file: &'a str },
    /// `/dash/live/{stream}/{rep}/{file}`, or `…/time/{file}` when `by_time`.
    LiveSegment {
        stream: &'a str,
        rep: &'a str,
        file: &'a str,
        by_time: bool,
    },
    /// `/dash/{mode}/{stream}/{file}`: a vod or odvod manifest (rendered when
    /// the query asks for options or it writes the clock), or any other file
    /// of the tree.
    ModeFile {
        mode: &'a str,
        stream: &'a str,
        file: &'a str,
    },
    /// `/dash/{mode}/{stream}/{rep}/{file}` (or `…/time/{file}` when
    /// `by_time`): a vod segment, transformed when the query asks.
    ModeSegment {
        mode: &'a str,
        stream: &'a str,
        rep: &'a str,
        file: &'a str,
        by_time: bool,
    },
    /// `/patch/{stream}/{manifest}/{publish}`: an MPD patch.
    Patch {
        stream: &'a str,
        manifest: &'a str,
        publish: &'a str,
    },
    /// `/mps/{mode}/{name}/{file}`: a multi-period programme's manifest.
    MpsManifest {
        mode: &'a str,
        name: &'a str,
        file: &'a str,
    },
    /// `/mps/{mode}/{name}/{period}/{rep}/{file}` (or `…/time/{file}`).
    MpsSegment {
        mode: &'a str,
        name: &'a str,
        period: &'a str,
        rep: &'a str,
        file: &'a str,
        by_time: bool,
    },
    /// `/dash/{file}` (dash-live's v1 manifest URL) or, with a stream,
    /// `/dash/{stream}/{file}` (v2).
    LegacyManifest {
        stream: Option<&'a str>,
        file: &'a str,
    },
}

/// One request, the clock already read.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub target: Target<'a>,
    /// The query without `?` and without the `now` override.
    pub query: &'a str,
    /// Unix ms: the clock, or the `now` override.
    pub now_ms: i64,
    pub now_override: bool,
    /// `http://host/`; `None` for a manifest of relative URLs only (a
    /// static tree built without a base URL).
    pub site_url: Option<&'a str>,
    /// The request's own absolute URL, `now` included (for `<Location>`).
    pub url: Option<&'a str>,
    /// What this client has been refused so far by injected faults with
    /// `failures=N` (the origin verified its signature); `None`: nothing.
    pub fault_counts: Option<&'a FaultCounts>,
}

/// What resolving needs beyond the tree: the templates, and the options of
/// manifest URLs players poll (cleared with the tree).
pub struct Resolver<'a, T: TreeView> {
    pub tree: &'a T,
    pub renderer: &'a Renderer,
    pub cache: Option<&'a OptionsCache>,
}

/// Whether the build may write a template's vod and odvod manifests: not
/// when they carry the request's clock (a `direct` UTCTiming), which a
/// static file would freeze at the build's time.
pub fn prerenderable(def: &registry::ManifestDef) -> bool {
    !def.static_clock
}

impl<T: TreeView> Resolver<'_, T> {
    pub fn resolve(&self, req: &Request) -> Plan {
        match req.target {
            Target::Time { method } => self.time(method, req),
            Target::LiveManifest { stream, file } => self.manifest(Mode::Live, stream, file, req),
            Target::LiveSegment {
                stream,
                rep,
                file,
                by_time,
            } => self.segment(stream, rep, file, by_time, req),
            Target::ModeFile { mode, stream, file } => match Mode::from_name(mode) {
                Some(Mode::Live) => Plan::not_found(format!("no live file {stream}/{file}")),
                Some(mode) => match file.strip_suffix(".mpd") {
                    Some(name) if self.rendered_here(name, req) => {
                        self.manifest(mode, stream, file, req)
                    }
                    _ => Plan::Static,
                },
                None => Plan::Static,
            },
            Target::ModeSegment {
                mode,
                stream,
                rep,
                file,
                by_time,
            } => self.stored_segment(mode, stream, rep, file, by_time, req),
            Target::Patch {
                stream,
                manifest,
                publish,
            } => self.patch(stream, manifest, publish, req),
            Target::MpsManifest { mode, name, file } => self.mps_manifest(mode, name, file, req),
            Target::MpsSegment {
                mode,
                name,
                period,
                rep,
                file,
                by_time,
            } => self.mps_segment(mode, name, (period, rep, file), by_time, req),
            Target::LegacyManifest { stream, file } if file.ends_with(".mpd") => {
                self.legacy(stream, file, req)
            }
            Target::LegacyManifest { .. } => Plan::Static,
        }
    }

    /// A vod or odvod manifest is rendered here when the query asks for
    /// options or the template writes the clock; else the built file answers.
    fn rendered_here(&self, name: &str, req: &Request) -> bool {
        !req.query.is_empty() || registry::find(name).is_some_and(|d| !prerenderable(d))
    }

    /// What `dashlive build` writes for a vod or odvod manifest: the
    /// manifest a query-less request gets, rendered by the same path, or
    /// `None` when it depends on the clock (the origin renders it per
    /// request) or names no template.
    pub fn prerender(
        &self,
        mode: Mode,
        stream: &str,
        name: &str,
        site_url: Option<&str>,
        now_ms: i64,
    ) -> Option<Plan> {
        let def = registry::find(name).filter(|d| prerenderable(d))?;
        let url = site_url.map(|s| format!("{s}{}", layout::manifest_path(mode, stream, name)));
        let file = format!("{}.mpd", def.name);
        let req = Request {
            target: Target::ModeFile {
                mode: mode.as_str(),
                stream,
                file: &file,
            },
            query: "",
            now_ms,
            now_override: false,
            site_url,
            url: url.as_deref(),
            fault_counts: None,
        };
        Some(self.manifest(mode, stream, &file, &req))
    }

    fn manifest(&self, mode: Mode, stream: &str, file: &str, req: &Request) -> Plan {
        let Some(name) = file.strip_suffix(".mpd") else {
            return Plan::not_found(format!("{file}: not a manifest (<name>.mpd)"));
        };
        let Some(def) = registry::find(name) else {
            return Plan::not_found(format!(
                "no manifest template {name}: use one of {}",
                registry::names().collect::<Vec<_>>().join(", ")
            ));
        };
        if !def.supports(mode) {
            return Plan::not_found(format!("{name} has no {} mode", mode.as_str()));
        }
        let Some(view) = self.tree.stream(stream) else {
            return Plan::not_found(format!("no stream {stream}"));
        };
        let q = ManifestQuery {
            def,
            mode,
            site_defaults: self.tree.site_defaults(),
            query: req.query,
            now_ms: req.now_ms,
            now_override: req.now_override,
            site_url: req.site_url.map(String::from),
            manifest_url: req.url.map(String::from),
        };
        match render_manifest_with(self.renderer, &view, &q, self.cache) {
            Ok(m) => {
                let segment_ms = reference_segment_ms(&view);
                let verdict = match faults::manifest(
                    &m.faults,
                    m.timing.as_ref(),
                    segment_ms,
                    req.fault_counts,
                ) {
                    Ok(v) => v,
                    Err(fault) => return Plan::Fault(fault),
                };
                Plan::Manifest {
                    xml: m.xml,
                    cache: match (verdict, mode) {
                        (Verdict::Faulty, _) => Cache::NoStore,
                        (_, Mode::Live) => Cache::LiveManifest { segment_ms },
                        _ => Cache::Short,
                    },
                    warnings: m.warnings,
                }
            }
            Err(e) if e.is_bad_request() => Plan::bad_request(e.to_string()),
            Err(e @ ManifestError::Context(_)) => Plan::not_found(e.to_string()),
            Err(e) => Plan::refuse(500, e.to_string()),
        }
    }

    /// The MPD patch from the live `manifest` published at `publish` (Unix
    /// seconds) to the one of now; its query is the PatchLocation's (the
    /// manifest's options without `patch`, which is implied).
    fn patch(&self, stream: &str, manifest: &str, publish: &str, req: &Request) -> Plan {
        let Some(def) = registry::find(manifest) else {
            return Plan::not_found(format!(
                "no manifest template {}",
                crate::options::shown(manifest)
            ));
        };
        if !def.features.contains(&patch::FEATURE) || !def.supports(Mode::Live) {
            return Plan::not_found(format!(
                "{} has no MPD patches: only live manifests of the templates with the \
                 patch feature ({}) do",
                def.name,
                registry::MANIFESTS
                    .iter()
                    .filter(|d| d.features.contains(&patch::FEATURE))
                    .map(|d| d.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let original_ms = match patch::parse_publish_time(publish) {
            Ok(ms) => ms,
            Err(e) => return Plan::refuse(e.status(), e.to_string()),
        };
        let Some(view) = self.tree.stream(stream) else {
            return Plan::not_found(format!("no stream {stream}"));
        };
        // The first value of a parameter counts: `patch=1` before the query.
        let query = format!("patch=1&{}", req.query);
        let q = ManifestQuery {
            def,
            mode: Mode::Live,
            site_defaults: self.tree.site_defaults(),
            query: &query,
            now_ms: req.now_ms,
            now_override: req.now_override,
            site_url: req.site_url.map(String::from),
            manifest_url: None,
        };
        match render_patch_with(&view, &q, original_ms, self.cache) {
            Ok(xml) => Plan::Patch {
                xml,
                cache: Cache::LiveManifest {
                    segment_ms: reference_segment_ms(&view),
                },
            },
            Err(ManifestError::Patch(e)) => Plan::refuse(e.status(), e.to_string()),
            Err(e) if e.is_bad_request() => Plan::bad_request(e.to_string()),
            Err(e @ ManifestError::Context(_)) => Plan::not_found(e.to_string()),
            Err(e) => Plan::refuse(500, e.to_string()),
        }
    }

    fn segment(
        &self,
        stream: &str,
        rep_id: &str,
        file: &str,
        by_time: bool,
        req: &Request,
    ) -> Plan {
        let Some(view) = self.tree.stream(stream) else {
            return Plan::not_found(format!("no stream {stream}"));
        };
        let Some(rep) = view.representations.iter().find(|r| r.id == rep_id) else {
            return Plan::not_found(format!("stream {stream} has no representation {rep_id}"));
        };
        let (name, mut opts) =
            match self.segment_request(Mode::Live, rep, view.defaults, file, by_time, req.query) {
                Ok(x) => x,
                Err(p) => return *p,
            };
        let map = self.tree.loop_map(stream, rep_id);
        if let Err(r) =
            faults::pin_live_times(&mut opts, map, req.now_ms, reference_segment_ms(&view))
        {
            return Plan::Refuse(r);
        }
        let plan = |source, cache, at| {
            let numbers = map.map(|m| m.number);
            let cache = match faults::segment(&opts, rep, at, req.fault_counts, numbers) {
                Ok(Verdict::Clean) => cache,
                Ok(Verdict::Faulty) => Cache::NoStore,
                Err(fault) => return Plan::Fault(fault),
            };
            match transform::plan(&opts, rep, at, view.drm) {
                Ok(transforms) => Plan::Segment(SegmentPlan {
                    stream: stream.to_string(),
                    rep: rep_id.to_string(),
                    source,
                    content_type: policy::content_type(file),
                    cache,
                    transforms,
                }),
                Err(refusal) => Plan::Refuse(refusal),
            }
        };
        let value = match name {
            SegmentName::Init => return plan(Source::LiveInit, Cache::Immutable, SegmentAt::Init),
            SegmentName::Media(v) => v,
        };
        let timing = match LiveTiming::new(&opts, req.now_ms, false, reference_segment_ms(&view)) {
            Ok(t) => t,
            Err(e) => return Plan::bad_request(e.to_string()),
        };
        let Some(map) = map else {
            return Plan::not_found(format!("{rep_id} has no media segments to loop"));
        };
        let found = if by_time {
            map.by_time(value)
        } else {
            map.by_number(value)
        };
        let Some(seg) = found else {
            return Plan::not_found(format!("{rep_id} has no segment at {file}"));
        };
        if !map.available(&timing, seg.start, seg.duration) {
            // The segment being "encoded" now: ready at its end, unless the
            // clock is pinned (then waiting would never make it ready).
            let ready_at_ms = map
                .ms_until_complete(&timing, &seg)
                .filter(|_| !req.now_override)
                .map(|wait| timing.now_ms.saturating_add(wait));
            return Plan::Refuse(unavailable(file, &timing, ready_at_ms));
        }
        let number = if by_time { map.number_of(&seg) } else { value };
        // A URL that pins the availability start names the same bytes for
        // ever; one that leaves it to the clock (`start=year` …) does not.
        let cache = match opts.availability_start() {
            AvailabilityStart::DateTime(_) | AvailabilityStart::Epoch => Cache::Immutable,
            _ => Cache::Short,
        };
        plan(
            Source::Media {
                index: seg.index,
                // mfhd holds 32 bits: the number as it wraps there.
                sequence_number: number as u32,
                time_shift: seg.time_shift,
                trim: seg.trim,
            },
            cache,
            SegmentAt::Media {
                number,
                // `start` counts from the availability start; the decode
                // time adds the media's first (what the tfdt will say).
                decode_time: seg.start.saturating_add(map.media_start),
                duration: seg.duration,
            },
        )
    }

    /// What every segment route checks alike: the file's name for this
    /// track type, the options (site defaults, then `defaults`, then the
    /// query), and that an encrypted representation is asked for with `drm`.
    pub(crate) fn segment_request(
        &self,
        mode: Mode,
        rep: &Representation,
        defaults: &Defaults,
        file: &str,
        by_time: bool,
        query: &str,
    ) -> Result<(SegmentName, Options), Box<Plan>> {
        let name = layout::parse_segment_name(file, rep.content_type, by_time)
            .map_err(|e| Box::new(Plan::not_found(e.to_string())))?;
        let (opts, _) = resolve_media(mode, self.tree.site_defaults(), defaults, query)
            .map_err(|e| Box::new(Plan::bad_request(e.to_string())))?;
        match encrypted_without_drm(rep, &opts) {
            Some(p) => Err(Box::new(p)),
            None => Ok((name, opts)),
        }
    }

    /// A vod segment: the built file, unless the query asks for transforms
    /// of its bytes; then the same file, transformed by the origin.
    fn stored_segment(
        &self,
        mode: &str,
        stream: &str,
        rep_id: &str,
        file: &str,
        by_time: bool,
        req: &Request,
    ) -> Plan {
        if req.query.is_empty() || Mode::from_name(mode) != Some(Mode::Vod) {
            return Plan::Static;
        }
        let Some(view) = self.tree.stream(stream) else {
            return Plan::not_found(format!("no stream {stream}"));
        };
        let Some(rep) = view.representations.iter().find(|r| r.id == rep_id) else {
            return Plan::not_found(format!("stream {stream} has no representation {rep_id}"));
        };
        let (name, opts) =
            match self.segment_request(Mode::Vod, rep, view.defaults, file, by_time, req.query) {
                Ok(x) => x,
                Err(p) => return *p,
            };
        if let Some(p) = faults::refuse_times_outside_live(&opts) {
            return p;
        }
        // segments[0] is the init segment; media segment i is segments[i + 1].
        let media = rep.segments.get(1..).unwrap_or_default();
        let (source, at) = match name {
            SegmentName::Init => (Source::Init, SegmentAt::Init),
            SegmentName::Media(value) => {
                let found = if by_time {
                    media.iter().position(|s| s.decode_time == value)
                } else {
                    value
                        .checked_sub(u64::from(rep.start_number))
                        .and_then(|i| usize::try_from(i).ok())
                        .filter(|&i| i < media.len())
                };
                let Some(index) = found else {
                    return Plan::not_found(format!("{rep_id} has no segment at {file}"));
                };
                let s = &media[index];
                (
                    Source::Stored { index },
                    SegmentAt::Media {
                        number: u64::from(rep.start_number).saturating_add(index as u64),
                        decode_time: s.decode_time,
                        duration: s.duration,
                    },
                )
            }
        };
        match stored_transforms(&opts, rep, at, req.fault_counts, view.drm) {
            Ok((cache, transforms)) if transforms.is_empty() && cache == Cache::Immutable => {
                Plan::Static
            }
            Ok((cache, transforms)) => Plan::Segment(SegmentPlan {
                stream: stream.to_string(),
                rep: rep_id.to_string(),
                source,
                content_type: policy::content_type(file),
                cache,
                transforms,
            }),
            Err(plan) => *plan,
        }
    }

    /// `/time/{method}`, behind by `drift` seconds when asked.
    fn time(&self, name: &str, req: &Request) -> Plan {
        let Some(method) = TimeMethod::from_name(name) else {
            return Plan::not_found(format!(
                "no time method {name}: use one of {}",
                TimeMethod::NAMES
            ));
        };
        let drift_s = match resolve_media(
            Mode::Live,
            self.tree.site_defaults(),
            &Defaults::new(),
            req.query,
        ) {
            Ok((o, _)) => o.clock_drift().unwrap_or(0),
            Err(e) => return Plan::bad_request(e.to_string()),
        };
        let now = clock::clamp(req.now_ms.saturating_sub(drift_s.saturating_mul(1000)));
        Plan::Time {
            body: method.body(now),
            content_type: method.content_type(),
            date_ms: now,
        }
    }

    /// dash-live's v1 (`/dash/<name>.mpd`) and v2 (`/dash/<stream>/<name>.mpd`)
    /// manifest URLs: a 302 to today's, the mode from `?mode=` (vod by
    /// default), v1's stream `bbb` or else the first; `enc.mpd` is hand_made
    /// with every DRM, `manifest_vod.mpd` hand_made in vod.
    fn legacy(&self, stream: Option<&str>, file: &str, req: &Request) -> Plan {
        let names = self.tree.stream_names();
        if let Some(s) = stream.filter(|s| self.tree.stream(s).is_none()) {
            return Plan::not_found(format!("no stream {s}"));
        }
        let Some(stream) = stream.or_else(|| {
            names
                .iter()
                .copied()
                .find(|s| *s == "bbb")
                .or(names.first().copied())
        }) else {
            return Plan::not_found("no streams are served");
        };
        let name = file.strip_suffix(".mpd").unwrap_or(file);
        let mut mode = Mode::Vod;
        let mut query: Vec<String> = Vec::new();
        for pair in req.query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("mode", m)) => match Mode::from_name(m) {
                    Some(m) => mode = m,
                    None => {
                        return Plan::bad_request(format!(
                            "mode={}: allowed values are vod, live, odvod",
                            crate::options::shown(m)
                        ))
                    }
                },
                _ => query.push(pair.to_string()),
            }
        }
        let name = match name {
            "enc" => {
                query.push("drm=all".into());
                "hand_made"
            }
            "manifest_vod" => {
                mode = Mode::Vod;
                "hand_made"
            }
            other => other,
        };
        if registry::find(name).is_none() {
            return Plan::not_found(format!("no manifest template {name}"));
        }
        let mut location = format!("/{}", layout::manifest_path(mode, stream, name));
        if !query.is_empty() {
            location.push('?');
            location.push_str(&query.join("&"));
        }
        Plan::Redirect { location }
    }
}

/// The 404 of a live segment outside its availability window (stream and
/// period segments alike); `ready_at_ms` when it is being "encoded" now.
pub(crate) fn unavailable(file: &str, timing: &LiveTiming, ready_at_ms: Option<i64>) -> Refusal {
    Refusal {
        status: 404,
        message: format!(
            "{file} is not available at {}: segments are available from the end of the window \
             (time-shift depth {} s + leeway {} s) until they end, after the availability start {}",
            iso_datetime_ms(timing.now_ms),
            timing.depth_s,
            timing.leeway_s,
            iso_datetime_ms(timing.availability_start_ms),
        ),
        ready_at_ms,
    }
}

/// A stored segment's cache policy (a faulty answer is never cached) and
/// transforms, or the plan that answers instead (an injected fault, a refusal).
pub(crate) fn stored_transforms(
    opts: &Options,
    rep: &Representation,
    at: SegmentAt,
    counts: Option<&FaultCounts>,
    drm: &crate::drm::signal::StreamDrm,
) -> Result<(Cache, Vec<crate::serve::plan::Transform>), Box<Plan>> {
    let cache = match faults::segment(opts, rep, at, counts, None) {
        Ok(Verdict::Clean) => Cache::Immutable,
        Ok(Verdict::Faulty) => Cache::NoStore,
        Err(fault) => return Err(Box::new(Plan::Fault(fault))),
    };
    transform::plan(opts, rep, at, drm)
        .map(|t| (cache, t))
        .map_err(|r| Box::new(Plan::Refuse(r)))
}

/// Encrypted copies are for DRM requests only (dash-live answers 404
/// without `drm`); until DRM lands that is every request.
pub(crate) fn encrypted_without_drm(rep: &Representation, opts: &Options) -> Option<Plan> {
    (rep.encrypted() && opts.drm_selection().is_empty()).then(|| {
        Plan::not_found(format!(
            "{} is encrypted: it is served only to requests with drm=…",
            rep.id
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::representation::{Encryption, Segment};
    use crate::media::ContentType;
    use crate::serve::fake_tree::FakeTree;

    /// 2023-11-14T22:13:20Z.
    const NOW: i64 = 1_700_000_000_000;

    fn rep(id: &str, ct: ContentType, encrypted: bool) -> Representation {
        let mut segments = vec![Segment {
            offset: 0,
            size: 100,
            ..Default::default()
        }];
        for i in 0..4u64 {
            segments.push(Segment {
                offset: 100 + i * 50,
                size: 50,
                duration: 2000,
                decode_time: i * 2000,
            });
        }
        Representation {
            id: id.into(),
            filename: format!("{id}.mp4"),
            content_type: ct,
            mime_type: format!("{}/mp4", ct.as_str()),
            codecs: if ct == ContentType::Video {
                "avc1.64001f"
            } else {
                "mp4a.40.2"
            }
            .into(),
            timescale: 1000,
            language: "eng".into(),
            track_id: 1,
            start_number: 1,
            segments,
            media_duration: 8000,
            segment_duration: 2000,
            bitrate: 1000,
            max_bitrate: 1000,
            encryption: encrypted.then(|| Encryption {
                scheme: "cenc".into(),
                default_kid: "0".repeat(32),
                iv_size: 8,
                kids: vec!["0".repeat(32)],
                pssh_systems: Vec::new(),
            }),
            ..Default::default()
        }
    }

    /// Stream `s` of video `v`, audio `a` and encrypted video `v_enc`, with
    /// their loop maps and the stream's option `defaults`.
    fn fake(defaults: &[(&str, i64)]) -> FakeTree {
        let mut tree = FakeTree::new(vec![
            rep("v", ContentType::Video, false),
            rep("a", ContentType::Audio, false),
            rep("v_enc", ContentType::Video, true),
        ]);
        tree.maps = tree
            .reps
            .iter()
            .map(|r| LoopMap::new(r, &tree.reps[0]).unwrap())
            .collect();
        tree.defaults = defaults
            .iter()
            .map(|(k, v)| (k.to_string(), serde_yaml::Value::from(*v)))
            .collect();
        tree
    }

    fn resolve(tree: &FakeTree, target: Target, query: &str) -> Plan {
        tree.resolve(target, query, NOW)
    }

    fn seg<'a>(rep: &'a str, file: &'a str) -> Target<'a> {
        Target::LiveSegment {
            stream: "s",
            rep,
            file,
            by_time: false,
        }
    }

    fn status(p: &Plan) -> u16 {
        match p {
            Plan::Refuse(r) => r.status,
            Plan::Redirect { .. } => 302,
            _ => 200,
        }
    }

    fn message(p: &Plan) -> &str {
        match p {
            Plan::Refuse(r) => &r.message,
            _ => "",
        }
    }

    /// The newest complete segment's number at NOW with `start=epoch`.
    fn newest() -> u64 {
        // 2 s segments from the epoch, numbered from 1.
        (NOW / 2000) as u64
    }

    #[test]
    fn vod_segments_are_the_built_files_unless_the_query_transforms_them() {
        let tree = fake(&[]);
        let vod = |rep, file, query| {
            resolve(
                &tree,
                Target::ModeSegment {
                    mode: "vod",
                    stream: "s",
                    rep,
                    file,
                    by_time: false,
                },
                query,
            )
        };
        // No query, or one that changes nothing of the bytes: the built file.
        assert_eq!(vod("v", "2.m4v", ""), Plan::Static);
        assert_eq!(vod("v", "2.m4v", "unknown=1"), Plan::Static);
        assert_eq!(vod("v", "init.m4v", "abr=0"), Plan::Static);
        // With a query, the name and the options are checked as for live.
        assert_eq!(status(&vod("v", "9.m4v", "abr=0")), 404);
        assert_eq!(status(&vod("v", "2.m4a", "abr=0")), 404);
        assert_eq!(status(&vod("v", "2.m4v", "depth=-5")), 400);
        assert_eq!(status(&vod("v_enc", "2.m4v", "abr=0")), 404);
        assert!(message(&vod("nope", "2.m4v", "abr=0")).contains("no representation nope"));
    }

    #[test]
    fn a_loops_last_segment_of_a_longer_track_is_planned_with_its_trim() {
        // Audio 100 ticks (ms) longer than the video loop of 8 s.
        let mut tree = fake(&[]);
        let a = &mut tree.reps[1];
        a.segments[4].duration = 2100;
        a.media_duration = 8100;
        tree.maps[1] = LoopMap::new(&tree.reps[1], &tree.reps[0]).unwrap();
        let media = |p: &Plan| match p {
            Plan::Segment(SegmentPlan {
                source: Source::Media { index, trim, .. },
                ..
            }) => (*index, *trim),
            other => panic!("{other:?}"),
        };
        // newest() is a multiple of 4: the last of its loop.
        let last = format!("{}.m4a", newest() - 4);
        assert_eq!(
            media(&resolve(&tree, seg("a", &last), "start=epoch")),
            (3, 100)
        );
        let before = format!("{}.m4a", newest() - 5);
        assert_eq!(
            media(&resolve(&tree, seg("a", &before), "start=epoch")),
            (2, 0)
        );
        let video = format!("{}.m4v", newest() - 4);
        assert_eq!(
            media(&resolve(&tree, seg("v", &video), "start=epoch")),
            (3, 0)
        );
    }

    #[test]
    fn segments_apply_the_stream_defaults_as_manifests_do() {
        let old = (newest() - 300).to_string() + ".m4v"; // ten minutes old
        let plain = fake(&[]);
        assert_eq!(status(&resolve(&plain, seg("v", &old), "start=epoch")), 200);
        let short = fake(&[("depth", 30), ("leeway", 0)]);
        let p = resolve(&short, seg("v", &old), "start=epoch");
        assert_eq!(status(&p), 404, "{p:?}");
        assert!(
            message(&p).contains("time-shift depth 30 s + leeway 0 s"),
            "{p:?}"
        );
        // The manifest of the same stream says the same window.
        match resolve(
            &short,
            Target::LiveManifest {
                stream: "s",
                file: "hand_made.mpd",
            },
            "start=epoch",
        ) {
            Plan::Manifest { xml, .. } => assert!(xml.contains(r#"timeShiftBufferDepth="PT30S""#)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn encrypted_representations_need_drm() {
        let tree = fake(&[]);
        let n = format!("{}.m4v", newest());
        assert_eq!(status(&resolve(&tree, seg("v", &n), "start=epoch")), 200);
        for file in [n.as_str(), "init.m4v"] {
            let p = resolve(&tree, seg("v_enc", file), "start=epoch");
            assert_eq!(status(&p), 404, "{file}");
            assert!(message(&p).contains("v_enc is encrypted"), "{p:?}");
        }
    }

    #[test]
    fn a_segment_is_named_with_its_track_types_extension() {
        let tree = fake(&[]);
        match resolve(&tree, seg("v", "init.m4v"), "") {
            Plan::Segment(s) => {
                assert_eq!(s.source, Source::LiveInit);
                assert_eq!(s.content_type, "video/mp4");
                assert_eq!(s.cache, Cache::Immutable);
            }
            other => panic!("{other:?}"),
        }
        for file in ["init.m4a", "init.mp4", "12.m4a", "12.m4s"] {
            assert_eq!(status(&resolve(&tree, seg("v", file), "")), 404, "{file}");
        }
        assert_eq!(status(&resolve(&tree, seg("a", "init.m4a"), "")), 200);
    }

    #[test]
    fn numbers_at_the_edge_of_u64_name_nothing() {
        let tree = fake(&[]);
        for file in [
            "18446744073709551615.m4v",
            "18446744073709551614.m4v",
            "18446744073709551616.m4v",
        ] {
            let p = resolve(&tree, seg("v", file), "start=epoch");
            assert_eq!(status(&p), 404, "{file}: {p:?}");
        }
        let by_time = Target::LiveSegment {
            stream: "s",
            rep: "v",
            file: "18446744073709551615.m4v",
            by_time: true,
        };
        assert_eq!(status(&resolve(&tree, by_time, "")), 404);
    }

    #[test]
    fn the_clock_at_its_edges() {
        let tree = fake(&[]);
        let time = |q| resolve(&tree, Target::Time { method: "iso" }, q);
        let p = time("drift=-999999999999");
        assert_eq!(status(&p), 400);
        assert!(message(&p)
            .starts_with("drift=-999999999999: expected an integer from -86400 to 86400"));
        match time("drift=-86400") {
            Plan::Time { date_ms, .. } => assert_eq!(date_ms, NOW + 86_400_000),
            other => panic!("{other:?}"),
        }
        let p = resolve(
            &tree,
            Target::LiveManifest {
                stream: "s",
                file: "hand_made.mpd",
            },
            "mup=2305843009213693952",
        );
        assert_eq!(status(&p), 400);
        assert!(message(&p).starts_with("mup=2305843009213693952: expected an integer from"));
    }

    #[test]
    fn older_manifest_urls_redirect() {
        let tree = fake(&[]);
        let legacy =
            |stream, file, q| match resolve(&tree, Target::LegacyManifest { stream, file }, q) {
                Plan::Redirect { location } => location,
                other => panic!("{other:?}"),
            };
        assert_eq!(
            legacy(None, "hand_made.mpd", ""),
            "/dash/vod/s/hand_made.mpd"
        );
        assert_eq!(
            legacy(None, "enc.mpd", "mode=live"),
            "/dash/live/s/hand_made.mpd?drm=all"
        );
        assert_eq!(
            legacy(None, "manifest_vod.mpd", "abr=0"),
            "/dash/vod/s/hand_made.mpd?abr=0"
        );
        assert_eq!(
            legacy(Some("s"), "manifest_a.mpd", "mode=live&abr=0"),
            "/dash/live/s/manifest_a.mpd?abr=0"
        );
        let p = resolve(
            &tree,
            Target::LegacyManifest {
                stream: Some("t"),
                file: "hand_made.mpd",
            },
            "",
        );
        assert_eq!(status(&p), 404);
        let p = resolve(
            &tree,
            Target::LegacyManifest {
                stream: None,
                file: "nothing.mpd",
            },
            "",
        );
        assert_eq!(status(&p), 404);
        let p = resolve(
            &tree,
            Target::LegacyManifest {
                stream: None,
                file: "x.mpd",
            },
            "mode=ondemand",
        );
        assert_eq!(status(&p), 400);
        assert_eq!(
            resolve(
                &tree,
                Target::LegacyManifest {
                    stream: None,
                    file: "robots.txt"
                },
                ""
            ),
            Plan::Static
        );
    }
}
