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
    let (mut o, base, warnings) =
        resolve(q.def, q.mode, q.site_defaults, &p.defaults, q.query).map_err(|e| bad(&e))?;
    let clock = p
        .clock()
        .ok_or_else(|| MpsError::NotFound(format!("{} has no periods", p.name)))?;
    let timing = match q.mode {
        Mode::Live => {
            let t =
                LiveTiming::new(&o, q.now_ms, true, segment_ms(p, streams)).map_err(|e| bad(&e))?;
            pin_live_clock(&mut o, &t);
            Some(t)
        }
        _ => None,
    };
    let mut opts = crate::mpd::context::ManifestOptions::from_options(&o, &base);
    // A patch could not add or drop Periods with the per-stream patch
    // documents the origin makes: say so rather than serve a full MPD that
    // the player believes it may patch.
    if opts.patch_query.take().is_some() || o.flag("patch") {
        return Err(MpsError::BadRequest(
            "patch: MPD patches are not available for multi-period streams: leave out patch=1"
                .into(),
        ));
    }
    if q.now_override {
        pin_now(&mut opts, q.now_ms);
    }
    let use_timeline = opts.timeline;
    let drm = !opts.drm.is_empty();
    let shown = shown_periods(p, &clock, timing.as_ref(), (use_timeline, drm), streams)?;
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
    if let (Some(t), Some(first)) = (timing.as_ref(), shown.first()) {
        ctx.time_shift_buffer_depth = listed_depth(t, clock.ms_of_ticks(first.at.start));
    }
    // Relative to the manifest (`/mps/<mode>/<name>/`) without a site URL.
    let period_base = |id: &str| match q.site_url.as_deref() {
        Some(site) => format!("{site}mps/{}/{}/{id}/", q.mode.as_str(), p.name),
        None => format!("{id}/"),
    };
    let mut previous: Option<(usize, String)> = None;
    for (i, (period, s)) in ctx.periods.iter_mut().zip(&shown).enumerate() {
        let def = &p.periods[s.at.index];
        period.base_url = Some(period_base(&def.id));
        period.closed = timing.is_none() || i < last;
        period.link = previous.as_ref().and_then(|(j, id)| {
            let prev = &p.periods[*j];
            // Clear → encrypted is new media to the player, not more of it.
            let same_protection = !drm || prev.encrypted == def.encrypted;
            def.link_from(prev, id).filter(|_| same_protection)
        });
        previous = Some((s.at.index, s.id.clone()));
        if def.ad {
            period.event_streams.push(ad_break(&clock, s));
        }
        if drm {
            crate::mpd::mps_drm::protect(period, &mut ctx.encrypted, def, streams, (&opts, q));
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

/// MPD@timeShiftBufferDepth: the option's depth, or less when the Periods
/// listed reach back less far (at most [`MAX_LIVE_PERIODS`] of them), so that
/// no player seeks back to a time no Period covers.
fn listed_depth(t: &LiveTiming, first_start_ms: u64) -> String {
    let depth_ms = u64::try_from(t.depth_s).unwrap_or(0).saturating_mul(1000);
    let listed_ms = u64::try_from(t.elapsed_ms)
        .unwrap_or(0)
        .saturating_sub(first_start_ms);
    crate::mpd::time::iso_duration_ms(depth_ms.min(listed_ms))
}

/// Which Periods the manifest shows, each with its representations cut.
fn shown_periods<'s>(
    p: &Programme,
    clock: &ProgrammeClock,
    timing: Option<&LiveTiming>,
    (use_timeline, drm): (bool, bool),
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
                clock.ticks_of_ms(ms(t.min_update_period_s.unwrap_or(0).saturating_mul(1000)))
            };
            (
                clock.window(from, now.saturating_add(ahead), MAX_LIVE_PERIODS),
                Some(now),
            )
        }
    };
    let mut shown = list
        .into_iter()
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
                // Encrypted copies only where the period is encrypted and
                // DRM asked for; then they replace the clear ones.
                .filter(|r| !r.encrypted() || (drm && def.encrypted))
                .filter(|r| crate::mpd::mps_drm::keeps(def, r, stream.representations))
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
        .collect::<Result<Vec<_>, MpsError>>()?;
    // Live with a timeline: the Period that has just begun has no segment
    // complete yet; it is listed from the next update on.
    if shown.len() > 1 && shown.last().is_some_and(|s| s.reps.is_empty()) {
        shown.pop();
    }
    Ok(shown)
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
        let rep_of = |id: &str| s.reps.iter().find(|r| r.id == id);
        let track = rep_of(first).and_then(|r| crate::mpd::mps_drm::track_of(def, r, &s.reps));
        if let Some(track) = track {
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
    let id = (s
        .at
        .loop_count
        .wrapping_mul(1000)
        .wrapping_add(s.at.index as u64)) as u32;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mpd::mps::{ProgrammePeriod, Track};
    use crate::options::Defaults;

    fn programme() -> Programme {
        let period = |id: &str, start, ad, tracks: Vec<Track>| ProgrammePeriod {
            id: id.into(),
            stream: "s".into(),
            ad,
            encrypted: false,
            start,
            duration: 4000,
            timescale: 1000,
            tracks,
        };
        Programme {
            name: "prog".into(),
            title: "P".into(),
            defaults: Defaults::new(),
            periods: vec![
                period("a", 0, false, Vec::new()),
                period("b", 4000, false, Vec::new()),
                period(
                    "ad",
                    0,
                    true,
                    vec![Track {
                        rep: "v".into(),
                        role: Some("alternate".into()),
                        lang: None,
                    }],
                ),
            ],
        }
    }

    fn render(mode: Mode, query: &str, now_ms: i64) -> Result<String, MpsError> {
        render_with(programme(), mode, query, now_ms)
    }

    fn render_with(
        programme: Programme,
        mode: Mode,
        query: &str,
        now_ms: i64,
    ) -> Result<String, MpsError> {
        let reps = vec![crate::mpd::mps::tests::rep("v", 1000, 5, 2000, 0)];
        let defaults = Defaults::new();
        let drm = crate::drm::signal::StreamDrm::default();
        let streams = |d: &str| {
            (d == "s").then(|| StreamView {
                directory: "s",
                title: "S",
                timing_ref: "v",
                representations: &reps,
                defaults: &defaults,
                drm: &drm,
            })
        };
        let q = ManifestQuery {
            def: crate::mpd::registry::find("hand_made").unwrap(),
            mode,
            site_defaults: &defaults,
            query,
            now_ms,
            now_override: false,
            site_url: Some("http://h/".into()),
            manifest_url: None,
        };
        let renderer = Renderer::new().unwrap();
        render_programme(&renderer, &programme, &streams, &q).map(|m| m.xml)
    }

    #[test]
    fn drm_protects_only_the_encrypted_periods() {
        // a clear, b encrypted, the ad clear.
        let mut p = programme();
        p.periods[1].encrypted = true;
        let xml = render_with(p.clone(), Mode::Vod, "drm=clearkey&enc=cenc", 0).unwrap();
        let period = |id: &str| {
            let from = xml.find(&format!(r#"id="{id}""#)).unwrap();
            let to = xml[from..].find("</Period>").unwrap();
            xml[from..from + to].to_string()
        };
        assert!(
            period("b").contains("<ContentProtection"),
            "the encrypted period: {xml}"
        );
        assert!(period("b").contains("e2719d58-a985-b3c9-781a-b030af78d30e"));
        assert!(!period("a").contains("ContentProtection"), "{xml}");
        assert!(!period("ad").contains("ContentProtection"), "{xml}");
        // b is no continuation of a once one is encrypted and not the other.
        assert!(!period("b").contains("period-continuity"), "{xml}");
        // Without drm every period is clear and b carries on a.
        let xml = render_with(p, Mode::Vod, "", 0).unwrap();
        assert!(!xml.contains("ContentProtection"));
        assert!(xml.contains("period-continuity"));
    }

    #[test]
    fn vod_periods_play_back_to_back() {
        let xml = render(Mode::Vod, "", 0).unwrap();
        assert!(
            xml.contains(r#"mediaPresentationDuration="PT12S""#),
            "{xml}"
        );
        assert!(xml.contains(r#"<Period start="PT4S" id="b" duration="PT4S">"#));
        assert!(xml.contains("<BaseURL>http://h/mps/vod/prog/b/</BaseURL>"));
        // b carries on a: continuity, and its segments from number 3, at
        // media time 4 s.
        assert!(xml.contains(
            r#"<SupplementalProperty schemeIdUri="urn:mpeg:dash:period-continuity:2015" value="a"/>"#
        ));
        assert!(xml.contains(
            r#"startNumber="3" timescale="1000" duration="2000" presentationTimeOffset="4000""#
        ));
        // The ad break: SCTE-35 at its start, and the role the programme gives.
        let ad = &xml[xml.find(r#"id="ad""#).unwrap()..];
        assert!(ad.contains(
            r#"<EventStream schemeIdUri="urn:scte:scte35:2014:xml+bin" timescale="90000">"#
        ));
        assert!(ad.contains(r#"<Role schemeIdUri="urn:mpeg:dash:role:2011" value="alternate"/>"#));
        assert!(
            !ad.contains("period-continuity"),
            "the ad restarts the media"
        );
        assert!(matches!(
            render(Mode::Odvod, "", 0),
            Err(MpsError::NotFound(_))
        ));
    }

    #[test]
    fn live_loops_the_programme() {
        // 12 s programme; 100 loops and 5 s after the availability start.
        let start = "start=2024-01-01T00:00:00Z&depth=6";
        let now = 1_704_067_200_000 + 100 * 12_000 + 5_000;
        let xml = render(Mode::Live, start, now).unwrap();
        assert!(xml.contains(r#"type="dynamic""#));
        // The window (−1 s to 5 s of loop 100) holds the last of loop 99 and
        // a of loop 100, then what starts within an update period (4 s) of
        // now, listed ahead for `$Number$` players: b and the ad break.
        assert!(
            xml.contains(r#"<Period start="PT20M" id="a_100" duration="PT4S">"#),
            "{xml}"
        );
        assert!(xml.contains(r#"id="ad_99""#));
        assert!(xml.contains(r#"<Period start="PT20M4S" id="b_100" duration="PT4S">"#));
        assert!(
            xml.contains(r#"<Period start="PT20M8S" id="ad_100">"#),
            "last open: {xml}"
        );
        assert!(!xml.contains("a_101"));
        // With a timeline only what has ended is listed, and b has not begun.
        let xml = render(Mode::Live, &format!("{start}&timeline=1"), now).unwrap();
        assert!(
            xml.contains(r#"<Period start="PT20M" id="a_100">"#),
            "{xml}"
        );
        assert!(!xml.contains("b_100"));
        assert!(xml.contains(r#"<S t="0" d="2000"/>"#) || xml.contains(r#"t="0""#));
    }

    #[test]
    fn patches_are_refused_with_a_400() {
        let start = "start=2024-01-01T00:00:00Z";
        let now = 1_704_067_200_000 + 100 * 12_000;
        match render(Mode::Live, &format!("{start}&patch=1"), now) {
            Err(MpsError::BadRequest(m)) => assert!(m.starts_with("patch:"), "{m}"),
            other => panic!("patch=1 must be a 400, not {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn time_shift_depth_claims_no_more_than_is_listed() {
        // An hour's depth over 4 s periods: 256 Periods listed, about 17 min.
        let start = "start=2024-01-01T00:00:00Z&depth=3600";
        let now = 1_704_067_200_000 + 1000 * 12_000 + 2_000;
        let xml = render(Mode::Live, start, now).unwrap();
        assert_eq!(xml.matches("<Period ").count(), MAX_LIVE_PERIODS);
        // now is 12002 s; listed an update period (4 s) ahead, up to b of
        // loop 1000 (12004 s to 12008 s), so the oldest of the 256 starts at
        // 12008 - 256 x 4 = 10984 s, 1018 s before now.
        assert!(
            xml.contains(r#"<Period start="PT3H3M4S" id="b_915""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"timeShiftBufferDepth="PT16M58S""#),
            "{}",
            &xml[..600]
        );
        // A window the Periods cover is claimed as asked.
        let xml = render(Mode::Live, "start=2024-01-01T00:00:00Z&depth=6", now).unwrap();
        assert!(xml.contains(r#"timeShiftBufferDepth="PT6S""#));
    }
}
