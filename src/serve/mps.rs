//! The resolver's multi-period targets: a programme's manifest, and its
//! periods' segments, which are the streams' own (by their own numbers and
//! decode times), so every transform a stream's segment gets (DRM, events,
//! faults) applies to them as well.

use crate::layout::SegmentName;
use crate::mpd::live::LiveTiming;
use crate::mpd::manifest::ManifestQuery;
use crate::mpd::mps::{segment_index, PeriodSegment};
use crate::mpd::mps_availability::{availability, Availability};
use crate::mpd::mps_manifest::{render_programme, segment_ms, MpsError, TEMPLATES};
use crate::mpd::registry::{self, Mode};
use crate::policy::{self, Cache};
use crate::serve::plan::{Plan, SegmentPlan, Source};
use crate::serve::resolve::{stored_transforms, unavailable, Request, Resolver, TreeView};
use crate::serve::transform::SegmentAt;

/// `live` or `vod`: the modes of a programme.
fn mode_of(mode: &str) -> Result<Mode, String> {
    match Mode::from_name(mode) {
        Some(m @ (Mode::Live | Mode::Vod)) => Ok(m),
        _ => Err(format!(
            "multi-period streams are served in live and vod, not {}",
            crate::options::shown(mode)
        )),
    }
}

impl<T: TreeView> Resolver<'_, T> {
    /// `/mps/{mode}/{name}/{file}`.
    pub(crate) fn mps_manifest(&self, mode: &str, name: &str, file: &str, req: &Request) -> Plan {
        let mode = match mode_of(mode) {
            Ok(m) => m,
            Err(m) => return Plan::not_found(m),
        };
        let Some(template) = file.strip_suffix(".mpd") else {
            return Plan::not_found(format!("{file}: not a manifest (<name>.mpd)"));
        };
        let Some(def) = registry::find(template).filter(|d| TEMPLATES.contains(&d.name)) else {
            return Plan::not_found(format!(
                "no multi-period manifest template {}: use {}",
                crate::options::shown(template),
                TEMPLATES.join(", ")
            ));
        };
        let Some(programme) = self.tree.programme(name) else {
            return Plan::not_found(format!(
                "no multi-period stream {}",
                crate::options::shown(name)
            ));
        };
        // The build wrote the query-less vod manifest.
        if mode == Mode::Vod && req.query.is_empty() {
            return Plan::Static;
        }
        let streams = |d: &str| self.tree.stream(d);
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
        match render_programme(self.renderer, programme, &streams, &q) {
            Ok(m) => Plan::Manifest {
                xml: m.xml,
                cache: match mode {
                    Mode::Live => Cache::LiveManifest {
                        segment_ms: segment_ms(programme, &streams),
                    },
                    _ => Cache::Short,
                },
                warnings: m.warnings,
            },
            Err(MpsError::BadRequest(m)) => Plan::bad_request(m),
            Err(MpsError::NotFound(m)) => Plan::not_found(m),
            Err(e) => Plan::refuse(500, e.to_string()),
        }
    }

    /// A live period segment is served while one of its occurrences is
    /// available, as a stream's segment is (the same 404 otherwise).
    fn period_segment_available(
        &self,
        programme: &crate::mpd::mps::Programme,
        def: &crate::mpd::mps::ProgrammePeriod,
        rep: &crate::media::Representation,
        seg: &crate::media::Segment,
        (file, opts, req): (&str, &crate::options::Options, &Request),
    ) -> Result<(), Box<Plan>> {
        let streams = |d: &str| self.tree.stream(d);
        let timing = LiveTiming::new(opts, req.now_ms, false, segment_ms(programme, &streams))
            .map_err(|e| Box::new(Plan::bad_request(e.to_string())))?;
        let index = programme
            .periods
            .iter()
            .position(|p| std::ptr::eq(p, def))
            .unwrap_or(0);
        let Some(clock) = programme.clock() else {
            let message = format!("{} has no periods", programme.name);
            return Err(Box::new(Plan::not_found(message)));
        };
        match availability(&clock, index, def, rep, seg, &timing) {
            Availability::Available => Ok(()),
            Availability::Unavailable { ready_at_ms } => Err(Box::new(Plan::Refuse(unavailable(
                file,
                &timing,
                ready_at_ms.filter(|_| !req.now_override),
            )))),
        }
    }

    /// `/mps/{mode}/{name}/{period}/{rep}/{file}`: segment `file` of `rep`
    /// as `period` plays it.
    pub(crate) fn mps_segment(
        &self,
        mode: &str,
        name: &str,
        (period, rep_id, file): (&str, &str, &str),
        by_time: bool,
        req: &Request,
    ) -> Plan {
        let mode = match mode_of(mode) {
            Ok(m) => m,
            Err(m) => return Plan::not_found(m),
        };
        let Some(programme) = self.tree.programme(name) else {
            return Plan::not_found(format!(
                "no multi-period stream {}",
                crate::options::shown(name)
            ));
        };
        let Some(def) = programme.period(period) else {
            return Plan::not_found(format!(
                "{name} has no period {}",
                crate::options::shown(period)
            ));
        };
        let Some(view) = self.tree.stream(&def.stream) else {
            return Plan::not_found(format!("no stream {}", def.stream));
        };
        let Some(rep) = view
            .representations
            .iter()
            .find(|r| r.id == rep_id && crate::mpd::mps_drm::keeps(def, r, view.representations))
        else {
            return Plan::not_found(format!(
                "period {period} of {name} has no representation {}",
                crate::options::shown(rep_id)
            ));
        };
        let (name_of, mut opts) =
            match self.segment_request(mode, rep, &programme.defaults, file, by_time, req.query) {
                Ok(x) => x,
                Err(p) => return *p,
            };
        if let Err(m) = crate::mpd::mps_drm::clear_period_options(def, rep, &mut opts) {
            return Plan::not_found(m);
        }
        let media = rep.media_segments();
        let (source, at) = match name_of {
            SegmentName::Init => (
                if mode == Mode::Live {
                    Source::LiveInit
                } else {
                    Source::Init
                },
                SegmentAt::Init,
            ),
            SegmentName::Media(value) => {
                let number = if by_time {
                    media
                        .iter()
                        .position(|s| s.decode_time == value)
                        .map(|i| u64::from(rep.start_number).saturating_add(i as u64))
                } else {
                    Some(value)
                };
                let Some(PeriodSegment { index, timed_by }) =
                    number.and_then(|n| segment_index(rep, def, n, mode == Mode::Live))
                else {
                    return Plan::not_found(format!(
                        "period {period} of {name} plays no segment {file} of {rep_id}"
                    ));
                };
                let (Some(s), Some(timed)) = (media.get(index), media.get(timed_by)) else {
                    return Plan::not_found(format!("{rep_id} has no segment {file}"));
                };
                if mode == Mode::Live {
                    if let Err(refusal) = self.period_segment_available(
                        programme,
                        def,
                        rep,
                        timed,
                        (file, &opts, req),
                    ) {
                        return *refusal;
                    }
                }
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
            Ok((cache, transforms)) => Plan::Segment(SegmentPlan {
                stream: def.stream.clone(),
                rep: rep.id.clone(),
                source,
                content_type: policy::content_type(file),
                cache,
                transforms,
            }),
            Err(plan) => *plan,
        }
    }
}
