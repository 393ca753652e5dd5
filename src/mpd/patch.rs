//! MPD patches (ISO 23009-1 5.15, dash-live §4.8): a live manifest with
//! `patch=1` names, in `<PatchLocation>`, a URL where a player that holds it
//! fetches the changes since instead of the whole manifest again. The patch
//! document is made from the same [`MpdContext`] the manifest is rendered
//! from, so the timing is computed once, one way: what it replaces is what
//! the manifest at the same clock says.
//!
//! What a patch changes, in the `urn:mpeg:dash:schema:mpd-patch:2020`
//! namespace with RFC 5261 selectors: `MPD@publishTime`, the
//! `PatchLocation` (it names the new publishTime), every AdaptationSet's
//! `SegmentTimeline` run by run (the `<S>` that left the window removed,
//! the ones that changed replaced, the new ones added at the end:
//! [`crate::mpd::timeline_diff`], the operations dash.js and Shaka both
//! apply), and a `direct` UTCTiming's value (the clock itself). Everything
//! else of a live manifest stays as it was while the availability start and
//! the window's depth do, which [`check_original`] makes sure of. The
//! timeline edits need the MPD the player holds, which its publishTime
//! names exactly: with patches the window is drawn at the publishTime
//! ([`window_timing`]).
//!
//! Selectors name MPD elements without a prefix (`/MPD/Period[@id='p0']`),
//! as the standard's examples and the players (dash.js, Shaka) read them:
//! the MPD's namespace is implied. The new elements carry the MPD namespace
//! themselves, so that inserted into the MPD they are MPD elements.

use serde::Serialize;

use crate::mpd::context::{ManifestOptions, MpdContext};
use crate::mpd::live::LiveTiming;
use crate::mpd::registry::ManifestDef;
use crate::mpd::render::filters::s_elements;
use crate::mpd::render::Xml;
use crate::mpd::time::iso_datetime_ms;
use crate::mpd::timeline::S;
use crate::mpd::timeline_diff::diff;
use crate::options::{Options, Usage};

/// The patch document's namespace.
pub const PATCH_NS: &str = "urn:mpeg:dash:schema:mpd-patch:2020";
/// The MPD's namespace, carried by the elements a patch inserts.
pub const MPD_NS: &str = "urn:mpeg:dash:schema:mpd:2011";
/// The option a template lists in its features to offer patches.
pub const FEATURE: &str = "patch";

const DIRECT_UTC: &str = "urn:mpeg:dash:utc:direct:2014";

/// Whether a live manifest of `def` with `opts` carries a PatchLocation:
/// the request asked for patches and the template offers them.
pub fn offered(def: &ManifestDef, opts: &ManifestOptions) -> bool {
    opts.patch_query.is_some() && def.features.contains(&FEATURE)
}

/// The clock a manifest with patches draws its window (the SegmentTimeline)
/// at: its publishTime, not the request's instant. Every MPD with one
/// publishTime is then the same MPD, as a patch's `originalPublishTime`
/// assumes (it names the MPD the patch applies to), and the patch can edit
/// that MPD's timeline run by run. The newest segments appear at the next
/// publishTime, at most an update period late.
pub fn window_timing(timing: &LiveTiming) -> LiveTiming {
    LiveTiming {
        now_ms: timing.publish_ms,
        elapsed_ms: timing.publish_ms - timing.availability_start_ms,
        ..timing.clone()
    }
}

/// `<PatchLocation ttl=…>url</PatchLocation>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatchLocation {
    pub url: String,
    /// Seconds the URL stays usable: the time-shift window, or the update
    /// period when that is longer (dash-live's `max(TSBD, ceil(MUP))`).
    pub ttl: i64,
}

/// Why a patch for an MPD of a given publishTime is not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    #[error("publishTime {0}: not a whole number of seconds since 1970-01-01T00:00:00Z")]
    BadPublishTime(String),
    #[error(
        "publishTime {original}: after this manifest's current publishTime {current}; \
         no MPD was published then"
    )]
    Future { original: String, current: String },
    #[error(
        "publishTime {original}: the MPD published then {why}; fetch the manifest again \
         (current publishTime {current})"
    )]
    TooOld {
        original: String,
        current: String,
        why: &'static str,
    },
}

impl PatchError {
    /// 400 for a malformed or future publishTime (no MPD of this server
    /// has it); 410 Gone for one too old to patch: it was real, but what it
    /// held is out of the window, and a player answered 4xx fetches the
    /// whole manifest again.
    pub fn status(&self) -> u16 {
        match self {
            PatchError::BadPublishTime(_) | PatchError::Future { .. } => 400,
            PatchError::TooOld { .. } => 410,
        }
    }
}

/// The publishTime path part of a patch URL as Unix ms: whole seconds
/// (dash-live's form), or with up to three decimals when the publishTime
/// has milliseconds (an availability start with milliseconds puts every
/// publishTime on them), so that the patch's originalPublishTime is the
/// MPD's publishTime exactly: players compare the two.
pub fn parse_publish_time(s: &str) -> Result<i64, PatchError> {
    let bad = || PatchError::BadPublishTime(crate::options::shown(s));
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 15 || !digits(whole) || !digits(frac) || frac.len() > 3 {
        return Err(bad());
    }
    if s.contains('.') && frac.is_empty() {
        return Err(bad());
    }
    let ms = format!("{frac:0<3}").parse::<i64>().map_err(|_| bad())?;
    whole
        .parse::<i64>()
        .ok()
        .and_then(|v| v.checked_mul(1000))
        .and_then(|v| v.checked_add(ms))
        .ok_or_else(bad)
}

/// The publishTime path part of a patch URL for `ms`: see
/// [`parse_publish_time`].
pub fn publish_time_part(ms: i64) -> String {
    let (s, frac) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    if frac == 0 {
        s.to_string()
    } else {
        format!("{s}.{frac:03}")
    }
}

/// The query of a PatchLocation URL: the manifest's options minus the
/// ones a patch URL implies (`patch`, and `timeline`, which patches force),
/// with the availability start pinned as the manifest resolved it (a
/// `start=now` stream keeps its start), and the window's depth as asked
/// (pinning the effective one would keep a young stream's short window for
/// ever). `None` without `patch=1`.
pub fn patch_query(o: &Options, base: &Options, timing: &LiveTiming) -> Option<String> {
    if !o.patch() {
        return None;
    }
    let mut p = o.clone();
    let depth = p.time_shift_buffer_depth();
    p.pin_clock(iso_datetime_ms(timing.availability_start_ms), depth);
    for (name, on) in [
        ("patch", base.patch()),
        ("segmentTimeline", base.segment_timeline()),
    ] {
        // A boolean option always takes "0" and "1".
        let _ = p.set(name, if on { "1" } else { "0" });
    }
    let [query] = p.to_queries_against(base, [Usage::MANIFEST]);
    Some(query)
}

/// The `<PatchLocation>` of a live manifest, when the template offers
/// patches and the request asked for them.
pub fn patch_location(
    def: &ManifestDef,
    directory: &str,
    site_url: Option<&str>,
    opts: &ManifestOptions,
    timing: &LiveTiming,
) -> Option<PatchLocation> {
    let query = opts.patch_query.as_deref().filter(|_| offered(def, opts))?;
    Some(PatchLocation {
        url: crate::layout::patch_url(
            site_url.unwrap_or("/"),
            directory,
            def.name,
            &publish_time_part(timing.publish_ms),
            query,
        ),
        ttl: timing
            .depth_s
            .max(timing.min_update_period_s.unwrap_or(0))
            .max(0),
    })
}

/// Whether the MPD published at `original_ms` can be patched to the one of
/// `now`: not from the future, not before the time-shift window (it shares
/// no segment with today's), and with the same availability start and
/// window depth (`then` is the clock at `original_ms`), the two things a
/// patch does not replace that move.
pub fn check_original(
    now: &LiveTiming,
    then: Option<&LiveTiming>,
    original_ms: i64,
) -> Result<(), PatchError> {
    let original = iso_datetime_ms(original_ms);
    let current = iso_datetime_ms(now.publish_ms);
    let too_old = |why| PatchError::TooOld {
        original: original.clone(),
        current: current.clone(),
        why,
    };
    if original_ms > now.publish_ms {
        return Err(PatchError::Future {
            original: original.clone(),
            current: current.clone(),
        });
    }
    let window_start = now
        .publish_ms
        .saturating_sub(now.depth_s.saturating_mul(1000));
    if original_ms < window_start {
        return Err(too_old("is older than the time-shift window"));
    }
    match then {
        None => Err(too_old("was before the availability start")),
        Some(t) if t.availability_start_ms != now.availability_start_ms => {
            Err(too_old("had another availabilityStartTime"))
        }
        Some(t) if t.depth_s != now.depth_s => Err(too_old(
            "had a shorter timeShiftBufferDepth (the stream was younger than its window)",
        )),
        Some(_) => Ok(()),
    }
}

fn escaped(out: &mut String, s: &str) {
    use askama::filters::Escaper;
    // Writing into a String cannot fail.
    let _ = Xml.write_escaped_str(&mut *out, s);
}

/// `<op sel="…"` (the selector is `sel` and `then` joined), left open
/// for `>` or `/>`. A selector's quotes are `'`, left as they are (an
/// attribute in `"` needs only `&`, `<` and `"` escaped): `&apos;` is valid
/// but makes the selectors hard to read.
fn start_op(out: &mut String, op: &str, sel: &[&str], then: &str) {
    out.push_str("\n  <");
    out.push_str(op);
    out.push_str(" sel=\"");
    for part in sel.iter().chain([&then]) {
        for c in part.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '"' => out.push_str("&quot;"),
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

/// `<op sel="…">`.
fn open_op(out: &mut String, op: &str, sel: &[&str]) {
    start_op(out, op, sel, "");
    out.push('>');
}

/// The patch document that turns `old`, the MPD published at
/// `original_ms`, into `mpd` (live manifest contexts with patches on).
pub fn render_patch(old: &MpdContext, mpd: &MpdContext, original_ms: i64) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Patch xmlns=\"");
    out.push_str(PATCH_NS);
    out.push_str("\" mpdId=\"");
    escaped(&mut out, mpd.id);
    out.push_str("\" originalPublishTime=\"");
    out.push_str(&iso_datetime_ms(original_ms));
    out.push_str("\" publishTime=\"");
    out.push_str(&mpd.publish_time);
    out.push_str("\">");
    open_op(&mut out, "replace", &["/MPD/@publishTime"]);
    out.push_str(&mpd.publish_time);
    out.push_str("</replace>");
    if let Some(p) = &mpd.patch_location {
        open_op(&mut out, "replace", &["/MPD/PatchLocation[1]"]);
        out.push_str("\n    <PatchLocation xmlns=\"");
        out.push_str(MPD_NS);
        out.push_str("\" ttl=\"");
        out.push_str(itoa::Buffer::new().format(p.ttl));
        out.push_str("\">");
        escaped(&mut out, &p.url);
        out.push_str("</PatchLocation>\n  </replace>");
    }
    for period in &mpd.periods {
        let old_period = old.periods.iter().find(|p| p.id == period.id);
        for set in &period.adaptation_sets {
            let Some(timeline) = &set.segment_template.timeline else {
                continue;
            };
            let old_timeline = old_period
                .and_then(|p| p.adaptation_sets.iter().find(|s| s.id == set.id))
                .and_then(|s| s.segment_template.timeline.as_deref())
                .unwrap_or_default();
            let mut id = itoa::Buffer::new();
            let sel = [
                "/MPD/Period[@id='",
                &period.id,
                "']/AdaptationSet[@id='",
                id.format(set.id),
                "']/SegmentTemplate/SegmentTimeline",
            ];
            timeline_ops(&mut out, &sel, old_timeline, timeline);
        }
    }
    if let Some(utc) = mpd.utc_timing.as_ref().filter(|u| u.scheme == DIRECT_UTC) {
        open_op(&mut out, "replace", &["/MPD/UTCTiming[1]/@value"]);
        escaped(&mut out, &utc.value);
        out.push_str("</replace>");
    }
    out.push_str("\n</Patch>\n");
    out
}

/// The operations that edit the SegmentTimeline at `sel` from `old` to
/// `new` ([`diff`]): `remove` of `S[1]`, `replace` of `S[i]`, `add` at the
/// end, the three that dash.js and Shaka both apply.
fn timeline_ops(out: &mut String, sel: &[&str], old: &[S], new: &[S]) {
    let edit = diff(old, new);
    for _ in 0..edit.removed {
        start_op(out, "remove", sel, "/S[1]");
        out.push_str("/>");
    }
    for i in edit.replaced(old, new) {
        let position = ["/S[", itoa::Buffer::new().format(i + 1), "]"].concat();
        start_op(out, "replace", sel, &position);
        out.push('>');
        s_lines(out, std::slice::from_ref(&new[i]));
        out.push_str("\n  </replace>");
    }
    let appended = edit.appended(new);
    if !appended.is_empty() {
        open_op(out, "add", sel);
        s_lines(out, appended);
        out.push_str("\n  </add>");
    }
}

/// `<S>` elements in the manifest's own writer and attribute order, each
/// declaring the MPD namespace: inserted into the MPD they are MPD
/// elements, while the patch's default namespace is the patch's.
fn s_lines(out: &mut String, runs: &[S]) {
    if let Ok(s) = s_elements(runs, &(), "tdr", 4) {
        let with_ns = ["<S xmlns=\"", MPD_NS, "\" "].concat();
        out.push_str(&s.to_string().replace("<S ", &with_ns));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Mode;

    const NOW: i64 = 1_662_477_000_000; // 2022-09-06T15:10:00Z

    fn timing(query: &str, now: i64) -> LiveTiming {
        let o = Options::parse_query(query, Mode::Live).unwrap().0;
        LiveTiming::new(&o, now, true, 4000).unwrap()
    }

    #[test]
    fn publish_times_in_urls_are_whole_seconds() {
        assert_eq!(parse_publish_time("1662477000"), Ok(NOW));
        assert_eq!(parse_publish_time("1662477000.5"), Ok(NOW + 500));
        assert_eq!(parse_publish_time("1662477000.791"), Ok(NOW + 791));
        assert_eq!(publish_time_part(NOW + 791), "1662477000.791");
        assert_eq!(publish_time_part(NOW + 50), "1662477000.050");
        assert_eq!(publish_time_part(NOW), "1662477000");
        for bad in [
            "",
            "-1",
            "1.",
            ".5",
            "1.2345",
            "1.5.5",
            "12a",
            "9999999999999999",
            "+1",
        ] {
            let e = parse_publish_time(bad).unwrap_err();
            assert_eq!(e.status(), 400, "{bad}");
        }
    }

    #[test]
    fn only_mpds_of_the_current_window_and_clock_are_patched() {
        let now = timing("", NOW + 9_000);
        let then = |ms| LiveTiming::new(&Options::new(Mode::Live), ms, false, 4000).ok();
        let ok = NOW - 60_000;
        assert_eq!(check_original(&now, then(ok).as_ref(), ok), Ok(()));
        assert_eq!(
            check_original(&now, then(now.publish_ms).as_ref(), now.publish_ms),
            Ok(()),
            "the current MPD: an empty change"
        );
        let future = now.publish_ms + 1000;
        let e = check_original(&now, then(future).as_ref(), future).unwrap_err();
        assert_eq!(e.status(), 400);
        let old = now.publish_ms - 1_801_000;
        let e = check_original(&now, then(old).as_ref(), old).unwrap_err();
        assert_eq!(e.status(), 410);
        assert!(e.to_string().contains("time-shift window"), "{e}");
        // A young stream: its window grew since.
        let young = timing("start=2022-09-06T15:09:00Z", NOW + 30_000);
        let at = NOW + 20_000;
        let o = Options::parse_query("start=2022-09-06T15:09:00Z", Mode::Live)
            .unwrap()
            .0;
        let t = LiveTiming::new(&o, at, false, 4000).ok();
        let e = check_original(&young, t.as_ref(), at).unwrap_err();
        assert!(e.to_string().contains("timeShiftBufferDepth"), "{e}");
    }

    #[test]
    fn the_patch_url_drops_patch_and_timeline_and_pins_the_start_only() {
        let (o, _) =
            Options::parse_query("patch=1&timeline=1&start=now&mup=4", Mode::Live).unwrap();
        let base = Options::new(Mode::Live);
        let t = LiveTiming::new(&o, NOW, true, 4000).unwrap();
        let q = patch_query(&o, &base, &t).unwrap();
        assert!(!q.contains("patch") && !q.contains("timeline"), "{q}");
        assert!(q.contains("start=2022-09-06T15:09:00Z"), "{q}");
        assert!(q.contains("mup=4"), "{q}");
        assert!(
            !q.contains("depth"),
            "the effective depth is not pinned: {q}"
        );
        let (off, _) = Options::parse_query("timeline=1", Mode::Live).unwrap();
        assert_eq!(patch_query(&off, &base, &t), None);
    }
}
