//! The manifest of a multi-period programme (reference §4.6): VOD, its
//! periods back to back with `mediaPresentationDuration`; live, the
//! programme looped from the availability start, Period ids `<id>_<loop>`,
//! the periods the time-shift window reaches, the last one open. Each
//! Period shows its stream's representations cut to its span
//! ([`crate::mpd::mps::period_rep`]), under its own BaseURL
//! `/mps/<mode>/<name>/<period>/`, with a `presentationTimeOffset` that puts
//! its span's start at Period time 0.

use base64::Engine as _;

use crate::media::Representation;
use crate::mpd::context::{periods_context, select_groups, PeriodInput, Request};
use crate::mpd::events::{EventContext, EventStreamContext};
use crate::mpd::live::periods::{PeriodAt, ProgrammeClock};
use crate::mpd::live::{LiveTiming, NumberTiming};
use crate::mpd::manifest::{pin_now, Manifest, ManifestQuery, StreamView};
use crate::mpd::mps::{period_rep, PeriodRep, Programme};
use crate::mpd::registry::Mode;
use crate::mpd::render::Renderer;
use crate::mpd::request::{pin_live_clock, resolve};
use crate::mpd::time::ticks_to_ms;
use crate::mpd::timeline::entries;

/// Why a programme's manifest cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum MpsError {
    /// The request's fault (400).
    #[error("{0}")]
    BadRequest(String),
    /// Nothing to show (404).
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Render(#[from] crate::mpd::render::RenderError),
}

/// The templates that lay out several Periods (dash-live: hand_made only).
pub const TEMPLATES: &[&str] = &["hand_made"];

/// The most Periods a live manifest lists: a window of hours over periods
/// of seconds would otherwise be unbounded work.
pub const MAX_LIVE_PERIODS: usize = 256;

/// The timing reference's segment duration of the programme's first
/// period's stream, in ms (the default manifest update period).
pub fn segment_ms<'s>(p: &Programme, streams: &impl Fn(&str) -> Option<StreamView<'s>>) -> u64 {
    p.periods
        .first()
        .and_then(|q| streams(&q.stream))
        .and_then(|s| {
            s.representations
                .iter()
                .find(|r| r.id == s.timing_ref)
                .map(|r| ticks_to_ms(r.segment_duration, r.timescale))
        })
        .unwrap_or(0)
}

/// One Period to show: which, where, and its representations cut to it.
struct Shown {
    at: PeriodAt,
    id: String,
    reps: Vec<Representation>,
    ptos: Vec<u64>,
    /// The timing reference cut likewise (`$Number$` durations).
    reference: Option<Representation>,
}

/// Renders the manifest of programme `p`; `streams` finds its periods' streams.
pub fn render_programme<'s>(
    renderer: &Renderer,
    p: &Programme,
    streams: &impl Fn(&str) -> Option<StreamView<'s>>,
    q: &ManifestQuery,
) -> Result<Manifest, MpsError> {
    if q.mode == Mode::Odvod {
        return Err(MpsError::NotFound(
            "multi-period streams have vod and live manifests, not odvod".into(),
        ));
    }
    let bad = |e: &dyn std::fmt::Display| MpsError::BadRequest(e.to_string());
    let (mut o, base, mut warnings) =
        resolve(q.def, q.mode, q.site_defaults, &p.defaults, q.query).map_err(|e| bad(&e))?;
    let clock = p
        .clock()
        .ok_or_else(|| MpsError::NotFound(format!("{} has no periods", p.name)))?;
    let timing = match q.mode {
        Mode::Live => {
            let t = LiveTiming::new(&o, q.now_ms, true, segment_ms(p, streams)).map_err(|e| bad(&e))?;
            pin_live_clock(&mut o, &t);
            Some(t)
        }
        _ => None,
    };
    let mut opts = crate::mpd::context::ManifestOptions::from_options(&o, &base);
    if !opts.drm.is_empty() {
        return Err(MpsError::BadRequest(
            "drm: not available for multi-period streams yet".into(),
        ));
    }
    if opts.patch_query.take().is_some() || o.flag("patch") {
        warnings.push("patch: MPD patches are not offered for multi-period streams".into());
    }
    if q.now_override {
        pin_now(&mut opts, q.now_ms);
    }
    let use_timeline = opts.timeline;
    let shown = shown_periods(p, &clock, timing.as_ref(), use_timeline, streams)?;
    let groups: Vec<Vec<Vec<&Representation>>> = shown
        .iter()
        .map(|s| select_groups(&s.reps, q.def, &opts))
        .collect();
    if groups.iter().any(Vec::is_empty) {
        return Err(MpsError::NotFound(format!(
            "{}: a period has no representation left to show after filtering by the options",
            p.name
        )));
    }
    let last = shown.len().saturating_sub(1);
    let inputs = shown
        .iter()
        .zip(&groups)
        .map(|(s, g)| {
            let start_ms = clock.ms_of_ticks(s.at.start);
            PeriodInput {
                id: s.id.clone(),
                start_ms,
                duration_ms: clock.ms_of_ticks(s.at.end()).saturating_sub(start_ms),
                groups: g,
                own_timing: true,
            }
        })
        .collect();
    let reference = shown
        .iter()
        .find_map(|s| s.reference.as_ref())
        .ok_or_else(|| MpsError::NotFound(format!("{}: no timing reference", p.name)))?;
    let req = Request {
        mode: q.mode,
        site_url: q.site_url.clone(),
        manifest_url: q.manifest_url.clone(),
        now_ms: q.now_ms,
        timing: timing.clone(),
    };
    let mut ctx = periods_context(&p.name, &p.title, reference, q.def, &req, &opts, inputs)
        .map_err(|e| MpsError::NotFound(e.to_string()))?;
    ctx.patch_location = None;
    let site = q.site_url.as_deref().unwrap_or("");
    let mut previous: Option<(usize, String)> = None;
    for (i, (period, s)) in ctx.periods.iter_mut().zip(&shown).enumerate() {
        let def = &p.periods[s.at.index];
        period.base_url = Some(format!("{site}mps/{}/{}/{}/", q.mode.as_str(), p.name, def.id));
        period.closed = timing.is_none() || i < last;
        period.link = previous
            .as_ref()
            .and_then(|(j, id)| def.link_from(&p.periods[*j], id));
        previous = Some((s.at.index, s.id.clone()));
        if def.ad {
            period.event_streams.push(ad_break(&clock, s));
        }
        fix_templates(period, s, use_timeline, def);
    }
    Ok(Manifest {
        xml: renderer.render(q.def, &ctx)?,
        warnings,
        timing,
        faults: crate::faults::ManifestFaults::from_options(&o),
    })
}

/// Which Periods the manifest shows, each with its representations cut.
fn shown_periods<'s>(
    p: &Programme,
    clock: &ProgrammeClock,
    timing: Option<&LiveTiming>,
    use_timeline: bool,
    streams: &impl Fn(&str) -> Option<StreamView<'s>>,
) -> Result<Vec<Shown>, MpsError> {
    let (list, now): (Vec<PeriodAt>, Option<u64>) = match timing {
        None => (
            (0..clock.len()).filter_map(|i| clock.at(0, i)).collect(),
            None,
        ),
        Some(t) => {
            let ms = |v: i64| u64::try_from(v).unwrap_or(0);
            let now = clock.ticks_of_ms(ms(t.elapsed_ms));
            let from = clock.ticks_of_ms(ms(t.first_available_ms()));
            // `$Number$` players work out the segments themselves: the next
            // Period is listed an update period ahead, so that none asks
            // for a segment past the end of the one playing.
            let ahead = if use_timeline {
                0
            } else {
                clock.ticks_of_ms(ms(t.min_update_period_s.unwrap_or(0) * 2000))
            };
            (
                clock.window(from, now.saturating_add(ahead), MAX_LIVE_PERIODS),
                Some(now),
            )
        }
    };
    list.into_iter()
        .map(|at| {
            let def = &p.periods[at.index];
            let stream = streams(&def.stream).ok_or_else(|| {
                MpsError::NotFound(format!("{}: no stream {}", p.name, def.stream))
            })?;
            // Live with a timeline, what has ended by now (the open Period).
            let until = now
                .filter(|_| use_timeline)
                .filter(|n| *n < at.end())
                .map(|n| clock.convert(n.saturating_sub(at.start), def.timescale));
            let cuts: Vec<PeriodRep> = stream
                .representations
                .iter()
                .filter(|r| def.keeps(&r.id) && !r.encrypted())
                .filter_map(|r| period_rep(r, def, until))
                .collect();
            let reference = stream
                .representations
                .iter()
                .find(|r| r.id == stream.timing_ref)
                .and_then(|r| period_rep(r, def, None))
                .map(|c| c.rep);
            Ok(Shown {
                id: match timing {
                    Some(_) => format!("{}_{}", def.id, at.loop_count),
                    None => def.id.clone(),
                },
                at,
                ptos: cuts.iter().map(|c| c.presentation_time_offset).collect(),
                reps: cuts.into_iter().map(|c| c.rep).collect(),
                reference,
            })
        })
        .collect()
}

/// Each AdaptationSet's SegmentTemplate as its Period has it: the first
/// representation's segments by their own numbers, the span's start at
/// Period time 0, and the role and language the programme gives the track.
fn fix_templates<'r>(
    period: &mut crate::mpd::context::PeriodContext<'r>,
    s: &Shown,
    use_timeline: bool,
    def: &'r crate::mpd::mps::ProgrammePeriod,
) {
    for a in &mut period.adaptation_sets {
        let Some(first) = a.representations.first().map(|r| r.id) else {
            continue;
        };
        let Some(i) = s.reps.iter().position(|r| r.id == first) else {
            continue;
        };
        let (rep, pto) = (&s.reps[i], s.ptos[i]);
        let t = &mut a.segment_template;
        if use_timeline {
            t.timescale = rep.timescale;
            t.presentation_time_offset = pto;
            t.timeline = Some(entries(
                rep.start_time,
                rep.media_segments().iter().map(|m| m.duration),
            ));
        } else if let Some(n) = s
            .reference
            .as_ref()
            .and_then(|reference| NumberTiming::new(rep, reference))
        {
            // The template's timescale is a multiple of the media's.
            let scale = u64::from(n.timescale / rep.timescale.max(1));
            t.timescale = n.timescale;
            t.duration = n.duration;
            t.presentation_time_offset = pto.saturating_mul(scale);
        }
        t.start_number = rep.start_number;
        if let Some(track) = def.track(first) {
            if let Some(role) = track.role.as_deref().and_then(crate::mpd::mps::role) {
                a.role = Some(role);
            }
            if let Some(lang) = track.lang.as_deref() {
                a.lang = Some(lang);
            }
        }
    }
}

/// The SCTE-35 `splice_insert` that opens an ad break: out of network at
/// the Period's start for its duration, returning by itself (SCTE 214-1
/// XML+binary in a Period EventStream).
fn ad_break(clock: &ProgrammeClock, s: &Shown) -> EventStreamContext {
    use crate::scte35::*;
    const TIMESCALE: u32 = 90_000;
    let start = clock.convert(s.at.start, TIMESCALE) & PTS_MASK;
    let duration = clock.convert(s.at.duration, TIMESCALE);
    let id = (s.at.loop_count.wrapping_mul(1000).wrapping_add(s.at.index as u64)) as u32;
    let section = SpliceInfoSection::new(SpliceCommand::Insert(SpliceInsert {
        splice_event_id: id,
        cancel: false,
        splice: Some(SpliceDetail {
            out_of_network: true,
            splice_immediate: false,
            mode: SpliceMode::Program(SpliceTime {
                pts_time: Some(start),
            }),
            break_duration: Some(BreakDuration {
                auto_return: true,
                duration: duration & PTS_MASK,
            }),
            unique_program_id: 1,
            avail_num: 0,
            avails_expected: 0,
        }),
    }));
    EventStreamContext {
        scheme_id_uri: crate::events::SCTE35_SCHEME,
        value: None,
        timescale: TIMESCALE,
        presentation_time_offset: None,
        events: vec![EventContext {
            id,
            presentation_time: 0,
            duration: u32::try_from(duration).unwrap_or(u32::MAX),
            content: format!(
                "<scte35:Signal xmlns:scte35=\"{}\"><scte35:Binary>{}</scte35:Binary></scte35:Signal>",
                crate::events::SCTE35_XMLNS,
                base64::engine::general_purpose::STANDARD.encode(section.encode())
            ),
        }],
    }
}
