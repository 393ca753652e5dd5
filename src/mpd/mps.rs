//! Multi-period programmes (`config/mps/<name>.yaml`, reference §4.6): a
//! list of periods, each a span of one stream's media with the tracks it
//! keeps. Here: the programme as the build stores it for the origin (its
//! spans already snapped to the timing reference's segment boundaries), the
//! snapping itself, and each period's representations cut down to the
//! segments it plays. Segments are the streams' own, by their own numbers
//! and decode times; a period's `presentationTimeOffset` is where its span
//! starts in that media, so the same bytes serve every loop.

use serde::{Deserialize, Serialize};

use crate::media::Representation;
use crate::options::Defaults;

/// A programme as served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Programme {
    /// Its URL name: `/mps/<mode>/<name>/…`.
    pub name: String,
    pub title: String,
    /// Option values applied before a request's (a stream's own defaults
    /// do not apply to a programme).
    #[serde(default)]
    pub defaults: Defaults,
    pub periods: Vec<ProgrammePeriod>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgrammePeriod {
    pub id: String,
    /// The stream's directory.
    pub stream: String,
    /// An ad break: the manifest signals its start with SCTE-35.
    #[serde(default)]
    pub ad: bool,
    /// Encrypted when a request asks for DRM (`drm=`): its stream's
    /// encrypted copies, or its clear ones encrypted per request (`enc=`).
    /// Other periods stay clear whatever the request.
    #[serde(default)]
    pub encrypted: bool,
    /// Where the span starts, in ticks of the stream's timing reference
    /// counted from its first media segment, and how long it lasts; both on
    /// segment boundaries of the reference.
    pub start: u64,
    pub duration: u64,
    /// The timing reference's timescale.
    pub timescale: u32,
    /// The representations kept; empty: all of the stream's.
    #[serde(default)]
    pub tracks: Vec<Track>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Track {
    /// A representation id of the stream.
    pub rep: String,
    /// `urn:mpeg:dash:role:2011` value of its AdaptationSet, when set.
    #[serde(default)]
    pub role: Option<String>,
    /// Its AdaptationSet's `lang`, when set.
    #[serde(default)]
    pub lang: Option<String>,
}

/// The Role values of `urn:mpeg:dash:role:2011` (ISO/IEC 23009-1 5.8.5.5).
pub const ROLES: &[&str] = &[
    "caption",
    "subtitle",
    "main",
    "alternate",
    "supplementary",
    "commentary",
    "dub",
    "description",
    "sign",
    "metadata",
    "enhanced-audio-intelligibility",
    "emergency",
    "forced-subtitle",
    "easyreader",
    "karaoke",
];

/// `name` as one of [`ROLES`], with the static lifetime the manifest context needs.
pub fn role(name: &str) -> Option<&'static str> {
    ROLES.iter().copied().find(|r| *r == name)
}

impl ProgrammePeriod {
    /// Whether a representation of the stream is kept.
    pub fn keeps(&self, rep: &str) -> bool {
        self.tracks.is_empty() || self.tracks.iter().any(|t| t.rep == rep)
    }

    pub fn track(&self, rep: &str) -> Option<&Track> {
        self.tracks.iter().find(|t| t.rep == rep)
    }

    /// Whether `next` carries on this one: the same stream and tracks, and
    /// its span starts where this one ends (period continuity, DASH-IF IOP 4.3.3.3.2).
    pub fn continued_by(&self, next: &ProgrammePeriod) -> bool {
        self.stream == next.stream
            && self.tracks == next.tracks
            && self.timescale == next.timescale
            && self.start.checked_add(self.duration) == Some(next.start)
    }
}

impl Programme {
    pub fn period(&self, id: &str) -> Option<&ProgrammePeriod> {
        self.periods.iter().find(|p| p.id == id)
    }

    /// The live clock of the programme (`None` only for an empty one).
    pub fn clock(&self) -> Option<crate::mpd::live::periods::ProgrammeClock> {
        let spans: Vec<(u64, u32)> = self
            .periods
            .iter()
            .map(|p| (p.duration, p.timescale))
            .collect();
        crate::mpd::live::periods::ProgrammeClock::new(&spans)
    }
}

/// A span snapped to segment boundaries, in the reference's ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapped {
    pub start: u64,
    pub duration: u64,
    pub timescale: u32,
    /// How far each end moved, in ticks (positive: later).
    pub start_moved: i128,
    pub end_moved: i128,
}

/// Snaps the span of `start_s` seconds lasting `duration_s` in the media of
/// `reference` to its nearest segment boundaries (a span never shrinks to
/// nothing); an error says why the span does not fit the media.
pub fn snap(reference: &Representation, start_s: f64, duration_s: f64) -> Result<Snapped, String> {
    let media = reference.media_segments();
    let ts = reference.timescale;
    let Some(first) = media.first().map(|s| s.decode_time) else {
        return Err(format!("{} has no media segments", reference.id));
    };
    if ts == 0 {
        return Err(format!("{} has no timescale", reference.id));
    }
    // Segment boundaries from the first segment's start; the last is the end.
    let mut bounds: Vec<u64> = media
        .iter()
        .map(|s| s.decode_time.saturating_sub(first))
        .collect();
    let end = media.last().map_or(0, |s| {
        s.decode_time
            .saturating_add(s.duration)
            .saturating_sub(first)
    });
    bounds.push(end);
    let secs = |t: u64| t as f64 / f64::from(ts);
    let want_start = (start_s * f64::from(ts)).round();
    let want_end = ((start_s + duration_s) * f64::from(ts)).round();
    if !(want_start.is_finite() && want_end.is_finite()) || start_s < 0.0 || duration_s <= 0.0 {
        return Err("start must be 0 or more and duration more than 0 seconds".into());
    }
    let nearest = |want: f64, among: &[u64]| -> Option<usize> {
        among
            .iter()
            .enumerate()
            .min_by(|(_, a), (_, b)| {
                ((**a as f64) - want)
                    .abs()
                    .total_cmp(&((**b as f64) - want).abs())
            })
            .map(|(i, _)| i)
    };
    let last_segment = bounds.len() - 2;
    if want_start >= end as f64 {
        return Err(format!(
            "start {start_s} s is past the end of {} ({:.3} s)",
            reference.id,
            secs(end)
        ));
    }
    let s = nearest(want_start, &bounds[..=last_segment]).unwrap_or(0);
    let longest = media.iter().map(|m| m.duration).max().unwrap_or(0) as f64;
    if want_end > end as f64 + longest / 2.0 {
        return Err(format!(
            "the span ends at {:.3} s, past the end of {} ({:.3} s)",
            start_s + duration_s,
            reference.id,
            secs(end)
        ));
    }
    let e = s + 1 + nearest(want_end, &bounds[s + 1..]).unwrap_or(0);
    let (start, stop) = (bounds[s], bounds[e]);
    Ok(Snapped {
        start,
        duration: stop - start,
        timescale: ts,
        start_moved: i128::from(start) - want_start as i128,
        end_moved: i128::from(stop) - want_end as i128,
    })
}

/// One representation as a period shows it: the segments it plays, by
/// their own numbers, and the media time at which the period starts.
#[derive(Debug, Clone)]
pub struct PeriodRep {
    /// The stream's representation with `segments` (the init segment, then
    /// the period's), `start_number`, `start_time` and `media_duration`
    /// (the period's) cut to the period.
    pub rep: Representation,
    /// `presentationTimeOffset` in the representation's timescale.
    pub presentation_time_offset: u64,
}

/// `t` ticks of `from` in `to`, rounded to the nearest.
fn rescale(t: u64, from: u32, to: u32) -> u64 {
    let from = u128::from(from.max(1));
    ((u128::from(t) * u128::from(to) + from / 2) / from).min(u128::from(u64::MAX)) as u64
}

/// Where period `p` plays `rep`'s media: its span in `rep`'s ticks after
/// the media's first, and the indices (among the media segments) of the
/// segments it plays: those whose middle lies in the span (so contiguous
/// periods share none, and every segment of the timing reference inside
/// the span is there), and of them, when `until` is given, those that end
/// by `until` ticks (of `p.timescale`) after the period's start. `None`
/// when none is left.
fn period_segments(
    rep: &Representation,
    p: &ProgrammePeriod,
    until: Option<u64>,
) -> Option<(std::ops::Range<u64>, std::ops::Range<usize>)> {
    let media = rep.media_segments();
    let first = media.first()?.decode_time;
    let ts = rep.timescale;
    let span_start = rescale(p.start, p.timescale, ts);
    let span_end = rescale(p.start.saturating_add(p.duration), p.timescale, ts);
    let limit = until.map(|u| span_start.saturating_add(rescale(u, p.timescale, ts)));
    let middle = |s: &crate::media::Segment| {
        s.decode_time
            .saturating_sub(first)
            .saturating_add(s.duration / 2)
    };
    // Segments are in decode order: skip to the span by binary search (an
    // hour of segments per representation, for every Period shown).
    let first_index = media.partition_point(|s| middle(s) < span_start);
    let kept_len = media
        .get(first_index..)?
        .iter()
        .take_while(|s| middle(s) < span_end)
        .take_while(|s| {
            let end = s
                .decode_time
                .saturating_sub(first)
                .saturating_add(s.duration);
            limit.is_none_or(|l| end <= l)
        })
        .count();
    (kept_len > 0).then_some((span_start..span_end, first_index..first_index + kept_len))
}

/// `rep` as period `p` plays it ([`period_segments`]): its segments cut to
/// the period's, numbered as the stream numbers them, and the offset that
/// maps its media time to the period's.
pub fn period_rep(
    rep: &Representation,
    p: &ProgrammePeriod,
    until: Option<u64>,
) -> Option<PeriodRep> {
    let (span, indices) = period_segments(rep, p, until)?;
    let media = rep.media_segments();
    let first = media.first()?.decode_time;
    let kept = media.get(indices.clone())?;
    let mut cut = rep.with_segments(
        rep.segments
            .first()
            .into_iter()
            .chain(kept)
            .copied()
            .collect(),
    );
    cut.start_time = kept.first().map_or(first, |s| s.decode_time);
    cut.start_number = rep
        .start_number
        .saturating_add(u32::try_from(indices.start).unwrap_or(u32::MAX));
    cut.media_duration = span.end.saturating_sub(span.start);
    Some(PeriodRep {
        rep: cut,
        presentation_time_offset: first
            .saturating_add(rep.edit_offset)
            .saturating_add(span.start),
    })
}

/// A media segment a period segment URL names: the stream's segment `index`
/// (among its media segments), available when segment `timed_by` is as the
/// period plays it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodSegment {
    pub index: usize,
    pub timed_by: usize,
}

/// The media segment of number `number` of `rep` that period `p` plays, or
/// (`one_past`, live) that answers for the number just after its last.
/// Shaka counts a live `$Number$` Period's segments in floating point
/// (`ceil((end − start) / duration)` over Unix-sized times), which can come
/// out one over: it then asks for the segment after the Period's last, as
/// soon as that last one is available. The stream's next segment in loop
/// order answers (its first after its last): its media lies outside the
/// Period, where the player's append window drops it, rather than a 404
/// that stops playback. It is available when the Period's last segment is.
/// Not in VOD: ffmpeg reads a static Period's segments until one is missing,
/// so there the Period's own end is a 404.
pub fn segment_index(
    rep: &Representation,
    p: &ProgrammePeriod,
    number: u64,
    one_past: bool,
) -> Option<PeriodSegment> {
    // The indices alone, without cutting `rep`: this runs for every
    // segment request.
    let (_, played) = period_segments(rep, p, None)?;
    let index = usize::try_from(number.checked_sub(u64::from(rep.start_number))?).ok()?;
    if played.contains(&index) {
        return Some(PeriodSegment {
            index,
            timed_by: index,
        });
    }
    let timed_by = index
        .checked_sub(1)
        .filter(|_| one_past && index == played.end)?;
    Some(PeriodSegment {
        index: index.checked_rem(rep.media_segments().len())?,
        timed_by,
    })
}

/// How a Period follows the one before it, signalled on each of its
/// AdaptationSets (DASH-IF IOP 4.3.3.3): `continuity` when it carries on the
/// same media where that one stopped, `connectivity` when it shows the same
/// representations from elsewhere in the media (no new init segment needed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodLink {
    pub scheme: &'static str,
    /// The previous Period's id.
    pub previous: String,
}

pub const CONTINUITY: &str = "urn:mpeg:dash:period-continuity:2015";
pub const CONNECTIVITY: &str = "urn:mpeg:dash:period-connectivity:2015";

impl ProgrammePeriod {
    /// How `self` follows `prev` (`None`: from another stream, or with
    /// other tracks).
    pub fn link_from(&self, prev: &ProgrammePeriod, prev_id: &str) -> Option<PeriodLink> {
        let scheme = if prev.continued_by(self) {
            CONTINUITY
        } else if prev.stream == self.stream && prev.tracks == self.tracks {
            CONNECTIVITY
        } else {
            return None;
        };
        Some(PeriodLink {
            scheme,
            previous: prev_id.to_string(),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::media::representation::Segment;
    use crate::media::ContentType;

    /// `n` segments of `d` ticks at `ts` Hz, from `t0`.
    pub(crate) fn rep(id: &str, ts: u32, n: u64, d: u64, t0: u64) -> Representation {
        let mut segments = vec![Segment {
            offset: 0,
            size: 10,
            ..Default::default()
        }];
        segments.extend((0..n).map(|i| Segment {
            offset: 10 + i * 10,
            size: 10,
            duration: d,
            decode_time: t0 + i * d,
        }));
        Representation {
            id: id.into(),
            filename: format!("{id}.mp4"),
            content_type: ContentType::Video,
            mime_type: "video/mp4".into(),
            codecs: "avc1.64001f".into(),
            sample_entry: "avc1".into(),
            timescale: ts,
            language: "und".into(),
            track_id: 1,
            start_number: 1,
            start_time: t0,
            edit_offset: 0,
            segments,
            media_duration: n * d,
            segment_duration: d,
            bitrate: 1000,
            max_bitrate: 1000,
            width: Some(640),
            height: Some(360),
            frame_rate: None,
            sar: None,
            nal_length_size: None,
            sample_rate: None,
            channels: None,
            dolby_channel_configuration: None,
            encryption: None,
        }
    }

    pub(crate) fn period(start: u64, duration: u64, ts: u32) -> ProgrammePeriod {
        ProgrammePeriod {
            id: "p".into(),
            stream: "s".into(),
            ad: false,
            encrypted: false,
            start,
            duration,
            timescale: ts,
            tracks: Vec::new(),
        }
    }

    #[test]
    fn spans_snap_to_the_nearest_segment_boundaries() {
        // Ten 3.84 s segments at 12,800 Hz.
        let v = rep("v", 12_800, 10, 49_152, 0);
        let s = snap(&v, 10.0, 5.0).unwrap();
        // 10 s → 11.52 s (the nearest boundary: 7.68, 11.52); 15 s → 15.36 s.
        assert_eq!((s.start, s.duration), (3 * 49_152, 49_152));
        assert_eq!(s.start_moved, 3 * 49_152 - 128_000);
        // A span shorter than a segment still lasts one.
        let s = snap(&v, 0.0, 0.5).unwrap();
        assert_eq!((s.start, s.duration), (0, 49_152));
        assert!(snap(&v, 40.0, 1.0).unwrap_err().contains("past the end"));
        assert!(snap(&v, 30.0, 20.0).unwrap_err().contains("past the end"));
        assert!(snap(&v, -1.0, 2.0).is_err());
        assert!(snap(&v, 0.0, f64::NAN).is_err());
    }

    #[test]
    fn a_period_plays_the_segments_in_its_span() {
        let v = rep("v", 1000, 10, 2000, 500);
        let p = period(4000, 6000, 1000);
        let cut = period_rep(&v, &p, None).unwrap();
        assert_eq!(cut.rep.start_number, 3);
        assert_eq!(cut.rep.media_segments().len(), 3);
        assert_eq!(cut.rep.start_time, 4500);
        assert_eq!(cut.presentation_time_offset, 4500);
        // Audio whose segments do not line up: each segment goes to the
        // period holding its middle.
        let a = rep("a", 48_000, 10, 95_000, 0);
        let cut = period_rep(&a, &p, None).unwrap();
        let starts: Vec<u64> = cut
            .rep
            .media_segments()
            .iter()
            .map(|s| s.decode_time)
            .collect();
        assert_eq!(starts, [190_000, 285_000, 380_000]);
        assert_eq!(cut.presentation_time_offset, 192_000);
        // Live, the open period lists what has ended.
        let cut = period_rep(&v, &p, Some(4100)).unwrap();
        assert_eq!(cut.rep.media_segments().len(), 2);
        assert!(period_rep(&v, &p, Some(1000)).is_none());
        let at = |index| {
            Some(PeriodSegment {
                index,
                timed_by: index,
            })
        };
        for live in [false, true] {
            assert_eq!(segment_index(&v, &p, 3, live), at(2));
            assert_eq!(segment_index(&v, &p, 5, live), at(4));
            assert_eq!(segment_index(&v, &p, 7, live), None);
            assert_eq!(segment_index(&v, &p, 2, live), None);
        }
        // One past the period's last (a live player's rounding): the
        // stream's next, available with the period's last; in VOD, the
        // period's end.
        let past = |index, timed_by| Some(PeriodSegment { index, timed_by });
        assert_eq!(segment_index(&v, &p, 6, true), past(5, 4));
        assert_eq!(segment_index(&v, &p, 6, false), None);
        assert_eq!(segment_index(&v, &p, 7, true), None);
        // A period ending with its stream: the stream's first follows it.
        let end = period(16_000, 4000, 1000);
        assert_eq!(segment_index(&v, &end, 10, true), at(9));
        assert_eq!(segment_index(&v, &end, 11, true), past(0, 9));
        assert_eq!(segment_index(&v, &end, 11, false), None);
        assert_eq!(segment_index(&v, &end, 12, true), None);
    }

    #[test]
    fn continuity_needs_the_same_stream_and_a_contiguous_span() {
        let a = period(0, 4000, 1000);
        let b = period(4000, 2000, 1000);
        assert!(a.continued_by(&b));
        assert!(!b.continued_by(&a));
        let other = ProgrammePeriod {
            stream: "t".into(),
            ..b.clone()
        };
        assert!(!a.continued_by(&other));
    }
}
