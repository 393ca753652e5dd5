//! The segments of every Representation: which the manifest names (template,
//! timeline, list, base), fetched in parallel over a bounded number of
//! connections, each checked against what the manifest says of it.

use super::doc::Doc;
use super::fetch::{resolve, Fetch, Fetched};
use super::rules::{rule, segment_info, timeline_entries};
use super::{value, Finding, Options};
use crate::media::Representation;

/// A segment the manifest names.
#[derive(Debug, Clone)]
pub struct SegRef {
    pub url: String,
    pub range: Option<(u64, u64)>,
    /// `$Number$` (template and list).
    pub number: Option<u64>,
    /// Media time and duration in the manifest's timescale.
    pub time: Option<u64>,
    pub duration: Option<u64>,
}

/// One Representation's segments, as the manifest gives them.
#[derive(Debug, Clone)]
pub struct RepSegments {
    pub node: usize,
    pub id: String,
    pub mime: String,
    pub timescale: u64,
    pub init: Option<SegRef>,
    pub media: Vec<SegRef>,
}

/// Live segments listed beyond this many per Representation are not checked:
/// a manifest must not make the validator fetch without end.
pub const MAX_SEGMENTS: u64 = 100_000;

pub fn check(
    doc: &Doc,
    url: &str,
    opts: &Options,
    fetch: &dyn Fetch,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Finding> {
    let reps: Vec<RepSegments> = doc
        .all("Representation")
        .map(|r| list(doc, r, url, opts.now_ms))
        .map(|mut r| {
            r.media = sample(std::mem::take(&mut r.media), opts.segments);
            r
        })
        .collect();
    let total: usize = reps.iter().map(|r| r.media.len() + 1).sum();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.connections.max(1))
        .build();
    let run = || {
        use rayon::prelude::*;
        reps.par_iter()
            .flat_map(|r| check_rep(doc, r, fetch, &done, total, progress))
            .collect::<Vec<Finding>>()
    };
    match pool {
        Ok(p) => p.install(run),
        Err(_) => run(),
    }
}

/// First, last and evenly spread between; all when `n` is `None`.
pub fn sample<T>(all: Vec<T>, n: Option<usize>) -> Vec<T> {
    let Some(n) = n else { return all };
    let len = all.len();
    if n >= len {
        return all;
    }
    if n == 0 {
        return Vec::new();
    }
    let picks: std::collections::BTreeSet<usize> = if n == 1 {
        [0].into()
    } else {
        (0..n).map(|i| i * (len - 1) / (n - 1)).collect()
    };
    all.into_iter()
        .enumerate()
        .filter(|(i, _)| picks.contains(i))
        .map(|(_, t)| t)
        .collect()
}

/// The BaseURL chain from the MPD down to `node`, applied to `url`.
fn base_url(doc: &Doc, node: usize, url: &str) -> String {
    let mut chain = Vec::new();
    let mut at = Some(node);
    while let Some(n) = at {
        if let Some(b) = doc.child(n, "BaseURL") {
            chain.push(doc.node(b).text.trim().to_string());
        }
        at = doc.node(n).parent;
    }
    chain
        .iter()
        .rev()
        .fold(url.to_string(), |base, b| resolve(&base, b))
}

/// `attr` of the SegmentTemplate nearest `r`, else of those above it.
fn template_attr<'a>(doc: &'a Doc, r: usize, attr: &str) -> Option<&'a str> {
    let mut at = Some(r);
    while let Some(n) = at {
        if let Some(v) = doc
            .child(n, "SegmentTemplate")
            .and_then(|st| doc.node(st).attr(attr))
        {
            return Some(v);
        }
        if doc.node(n).name == "Period" {
            break;
        }
        at = doc.node(n).parent;
    }
    None
}

/// Fills `$RepresentationID$`, `$Number$`, `$Time$`, `$Bandwidth$` (with
/// `%0Nd` widths); leaves anything else as it is (a rule reports it).
pub fn fill(template: &str, id: &str, bandwidth: &str, number: u64, time: u64) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut parts = template.split('$');
    out.push_str(parts.next().unwrap_or(""));
    let rest: Vec<&str> = parts.collect();
    let mut i = 0;
    while i < rest.len() {
        let ident = rest[i];
        let after = rest.get(i + 1).copied().unwrap_or("");
        let (name, width) = match ident.split_once('%') {
            Some((n, f)) => (
                n,
                f.trim_start_matches('0')
                    .trim_end_matches('d')
                    .parse::<usize>()
                    .unwrap_or(0),
            ),
            None => (ident, 0),
        };
        let v = match name {
            "" => "$".to_string(),
            "RepresentationID" => id.to_string(),
            "Bandwidth" => format!("{bandwidth:0>width$}"),
            "Number" => format!("{number:0width$}"),
            "Time" => format!("{time:0width$}"),
            _ => format!("${ident}$"),
        };
        out.push_str(&v);
        out.push_str(after);
        i += 2;
    }
    out
}

pub(crate) fn period_of(doc: &Doc, r: usize) -> Option<usize> {
    let mut at = doc.node(r).parent;
    while let Some(n) = at {
        if doc.node(n).name == "Period" {
            return Some(n);
        }
        at = doc.node(n).parent;
    }
    None
}

/// The Period's length in seconds, if the manifest gives it: its @duration,
/// else up to the next Period's @start, else to the end of the presentation.
pub(crate) fn period_seconds(doc: &Doc, p: usize) -> Option<f64> {
    let n = doc.node(p);
    if let Some(d) = n.attr("duration").and_then(value::duration_s) {
        return Some(d);
    }
    let start = n.attr("start").and_then(value::duration_s).unwrap_or(0.0);
    let next_start = doc
        .children(doc.root(), "Period")
        .skip_while(|q| *q != p)
        .nth(1)
        .and_then(|q| doc.node(q).attr("start"))
        .and_then(value::duration_s);
    if let Some(next) = next_start {
        return Some(next - start);
    }
    let mpd = doc
        .node(doc.root())
        .attr("mediaPresentationDuration")
        .and_then(value::duration_s)?;
    Some(mpd - start)
}

pub fn list(doc: &Doc, r: usize, url: &str, now_ms: Option<i64>) -> RepSegments {
    let n = doc.node(r);
    let id = n.attr("id").unwrap_or("").to_string();
    let bandwidth = n.attr("bandwidth").unwrap_or("0").to_string();
    let base = base_url(doc, r, url);
    let mut out = RepSegments {
        node: r,
        id: id.clone(),
        mime: doc.inherited(r, "mimeType").unwrap_or("").to_string(),
        timescale: 1,
        init: None,
        media: Vec::new(),
    };
    let seg = |u: String, number, time, duration| SegRef {
        url: resolve(&base, &u),
        range: None,
        number,
        time,
        duration,
    };
    if let Some(media) = template_attr(doc, r, "media") {
        let ts = template_attr(doc, r, "timescale")
            .and_then(value::positive)
            .unwrap_or(1);
        out.timescale = ts;
        let start_number = template_attr(doc, r, "startNumber")
            .and_then(|s| s.parse().ok())
            .unwrap_or(1u64);
        let pto = template_attr(doc, r, "presentationTimeOffset")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0u64);
        if let Some(i) = template_attr(doc, r, "initialization") {
            out.init = Some(seg(fill(i, &id, &bandwidth, 0, 0), None, None, None));
        }
        let timeline =
            segment_info(doc, r, "SegmentTemplate").and_then(|st| doc.child(st, "SegmentTimeline"));
        if let Some(tl) = timeline {
            let mut t = 0u64;
            let mut number = start_number;
            for (_, st, d, rep) in timeline_entries(doc, tl) {
                t = st.unwrap_or(t);
                let count = u64::try_from(rep.max(0)).unwrap_or(0).saturating_add(1);
                for _ in 0..count.min(MAX_SEGMENTS) {
                    if out.media.len() as u64 >= MAX_SEGMENTS {
                        break;
                    }
                    // mfhd numbers are checked against $Number$ only where
                    // the template addresses segments by it.
                    let n = media.contains("$Number").then_some(number);
                    out.media.push(seg(
                        fill(media, &id, &bandwidth, number, t),
                        n,
                        Some(t),
                        Some(d),
                    ));
                    t = t.saturating_add(d);
                    number += 1;
                }
            }
        } else if let Some(d) = template_attr(doc, r, "duration").and_then(value::positive) {
            let numbers = template_numbers(doc, r, ts, d, start_number, now_ms);
            for k in numbers {
                let time = pto.saturating_add((k - start_number).saturating_mul(d));
                out.media.push(seg(
                    fill(media, &id, &bandwidth, k, time),
                    Some(k),
                    Some(time),
                    Some(d),
                ));
            }
        }
    } else if let Some(sl) = segment_info(doc, r, "SegmentList") {
        let sln = doc.node(sl);
        out.timescale = sln.attr("timescale").and_then(value::positive).unwrap_or(1);
        let d = sln.attr("duration").and_then(value::positive);
        let start_number: u64 = sln
            .attr("startNumber")
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        if let Some(i) = doc.child(sl, "Initialization") {
            let i = doc.node(i);
            let mut s = seg(
                i.attr("sourceURL").unwrap_or("").to_string(),
                None,
                None,
                None,
            );
            s.range = i.attr("range").and_then(value::byte_range);
            out.init = Some(s);
        }
        for (k, u) in doc.children(sl, "SegmentURL").enumerate() {
            let u = doc.node(u);
            let number = start_number + k as u64;
            let time = d.map(|d| d.saturating_mul(k as u64));
            let mut s = seg(
                u.attr("media").unwrap_or("").to_string(),
                Some(number),
                time,
                d,
            );
            s.range = u.attr("mediaRange").and_then(value::byte_range);
            out.media.push(s);
        }
    } else if let Some(sb) = segment_info(doc, r, "SegmentBase") {
        // One file: its init range; the media is checked as one whole.
        let init_range = doc
            .child(sb, "Initialization")
            .and_then(|i| doc.node(i).attr("range"))
            .and_then(value::byte_range);
        out.init = Some(SegRef {
            url: base.clone(),
            range: init_range,
            number: None,
            time: None,
            duration: None,
        });
    }
    out
}

/// The `$Number$`s a `@duration` template names: all of a static Period;
/// those available at `now_ms` in a dynamic MPD (none without a clock).
fn template_numbers(
    doc: &Doc,
    r: usize,
    ts: u64,
    d: u64,
    start: u64,
    now_ms: Option<i64>,
) -> std::ops::Range<u64> {
    let root = doc.node(doc.root());
    let seg_s = d as f64 / ts as f64;
    if root.attr("type") == Some("dynamic") {
        let (Some(now), Some(ast)) = (
            now_ms,
            root.attr("availabilityStartTime")
                .and_then(value::datetime_ms),
        ) else {
            return start..start;
        };
        let pstart = period_of(doc, r)
            .and_then(|p| doc.node(p).attr("start"))
            .and_then(value::duration_s)
            .unwrap_or(0.0);
        let tsbd = root
            .attr("timeShiftBufferDepth")
            .and_then(value::duration_s)
            .unwrap_or(0.0);
        let elapsed = (now - ast) as f64 / 1000.0 - pstart;
        if elapsed < seg_s {
            return start..start;
        }
        // Complete segments only: one ends at (k + 1) * seg_s; none past
        // the Period's end (a multi-period live MPD closes all but its last).
        let last = (elapsed / seg_s).floor() as u64;
        let last = match period_of(doc, r).and_then(|p| period_seconds(doc, p)) {
            Some(len) => last.min(((len / seg_s) - 1e-6).ceil().max(0.0) as u64),
            None => last,
        };
        let first = ((elapsed - tsbd) / seg_s).ceil().max(0.0) as u64;
        let first = first.max(last.saturating_sub(MAX_SEGMENTS));
        return start + first..start + last;
    }
    let Some(len) = period_of(doc, r).and_then(|p| period_seconds(doc, p)) else {
        return start..start;
    };
    let count = ((len / seg_s) - 1e-6).ceil().max(0.0) as u64;
    start..start + count.min(MAX_SEGMENTS)
}

struct Seen<'a> {
    doc: &'a Doc,
    rep: &'a RepSegments,
    findings: Vec<Finding>,
}

impl Seen<'_> {
    fn add(&mut self, id: &str, seg: &str, expected: impl Into<String>, seen: impl Into<String>) {
        let n = self.doc.node(self.rep.node);
        let mut f = rule(id).finding(self.doc.path(self.rep.node), n.line, expected, seen);
        f.segment = Some(seg.to_string());
        self.findings.push(f);
    }
}

fn check_rep(
    doc: &Doc,
    rep: &RepSegments,
    fetch: &dyn Fetch,
    done: &std::sync::atomic::AtomicUsize,
    total: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Finding> {
    use rayon::prelude::*;
    let tick = || {
        let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress(d, total);
    };
    let mut seen = Seen {
        doc,
        rep,
        findings: Vec::new(),
    };
    let init = rep.init.as_ref().and_then(|i| {
        let got = get(&mut seen, fetch, i);
        tick();
        got.map(|b| (i.url.clone(), b))
    });
    // Each body, or why there is none (reported in order below).
    let bodies: Vec<Result<Vec<u8>, String>> = rep
        .media
        .par_iter()
        .map(|s| {
            let r = fetch.get(&s.url, s.range);
            tick();
            match r {
                Ok(f) if ok_status(&f, s) => Ok(f.body),
                Ok(f) => Err(format!("HTTP {}", f.status)),
                Err(e) => Err(e),
            }
        })
        .collect();
    for (s, b) in rep.media.iter().zip(&bodies) {
        if let Err(why) = b {
            seen.add("seg.fetch", &s.url, "HTTP 200", why.clone());
        }
    }
    let Some((init_url, init)) = init else {
        return seen.findings;
    };
    let media: Vec<(&SegRef, &[u8])> = rep
        .media
        .iter()
        .zip(&bodies)
        .filter_map(|(s, b)| b.as_deref().ok().map(|b| (s, b)))
        .collect();
    let track = check_init(&mut seen, &init_url, &init, &media);
    // (manifest end, media end, tolerance) of the segment checked before.
    let mut previous: Option<(u64, u64, u64)> = None;
    for (s, body) in &media {
        let got = check_media(&mut seen, s, body, track.as_ref());
        // Continuity where the manifest says this segment follows the last
        // one at once; a gap the manifest lists (a timeline's S@t) is not
        // one, and less than a sample is rounding (audio frames across a
        // content loop).
        if let (Some((m_end, end, tolerance)), Some(g), Some(t)) = (previous, &got, s.time) {
            if t == m_end && g.decode_time.abs_diff(end) > tolerance {
                seen.add(
                    "media.continuity",
                    &s.url,
                    format!("tfdt {end} (previous end)"),
                    g.decode_time.to_string(),
                );
            }
        }
        previous = match (s.time, s.duration, got) {
            (Some(t), Some(d), Some(g)) => Some((
                t + d,
                g.decode_time + g.duration,
                g.duration / g.samples.max(1),
            )),
            _ => None,
        };
    }
    seen.findings
}

fn ok_status(f: &Fetched, s: &SegRef) -> bool {
    f.status == 200 || (s.range.is_some() && f.status == 206)
}

fn get(seen: &mut Seen, fetch: &dyn Fetch, s: &SegRef) -> Option<Vec<u8>> {
    match fetch.get(&s.url, s.range) {
        Ok(f) if ok_status(&f, s) => {
            if let Some(ct) = &f.content_type {
                if !seen.rep.mime.is_empty() && !ct.starts_with(&seen.rep.mime) {
                    seen.add(
                        "seg.content-type",
                        &s.url,
                        seen.rep.mime.clone(),
                        ct.clone(),
                    );
                }
            }
            Some(f.body)
        }
        Ok(f) => {
            seen.add(
                "seg.fetch",
                &s.url,
                "HTTP 200",
                format!("HTTP {}", f.status),
            );
            None
        }
        Err(e) => {
            seen.add("seg.fetch", &s.url, "HTTP 200", e);
            None
        }
    }
}

/// What the init segment says of the track, as the indexer reads it.
fn check_init(
    seen: &mut Seen,
    url: &str,
    init: &[u8],
    media: &[(&SegRef, &[u8])],
) -> Option<Representation> {
    let top: Vec<String> = crate::mp4::boxes(init)
        .map_while(|b| b.ok().map(|b| b.typ().to_string()))
        .collect();
    if top.first().map(String::as_str) != Some("ftyp") || !top.iter().any(|t| t == "moov") {
        seen.add("init.ftyp", url, "ftyp first, then moov", top.join(" "));
        return None;
    }
    // The indexer reads a whole file: init then at least two media segments
    // (one repeated when only one was fetched: the init's fields are what
    // is read here, the segments are checked one by one below).
    let mut file = init.to_vec();
    let firsts: Vec<&[u8]> = media.iter().take(2).map(|m| m.1).collect();
    match firsts.as_slice() {
        [] => return None,
        [one] => {
            file.extend_from_slice(one);
            file.extend_from_slice(one);
        }
        many => many.iter().for_each(|m| file.extend_from_slice(m)),
    }
    let len = file.len() as u64;
    let track =
        match crate::media::index::index_reader(std::io::Cursor::new(file), len, &seen.rep.id) {
            Ok(t) => t,
            Err(e) => {
                seen.add(
                    "seg.parse",
                    url,
                    "an init segment the indexer reads",
                    e.to_string(),
                );
                return None;
            }
        };
    let rep = seen.doc.node(seen.rep.node);
    let r = seen.rep.node;
    if let Some(c) = seen.doc.inherited(r, "codecs") {
        if !c.eq_ignore_ascii_case(&track.codecs) {
            seen.add(
                "init.codecs",
                url,
                format!("@codecs {c}"),
                track.codecs.clone(),
            );
        }
    }
    let ts = u64::from(track.timescale);
    if ts > 0 && seen.rep.timescale % ts != 0 && ts % seen.rep.timescale != 0 {
        seen.add(
            "init.timescale",
            url,
            format!(
                "mdhd timescale {} (@timescale) or a multiple",
                seen.rep.timescale
            ),
            ts.to_string(),
        );
    }
    for (attr, have) in [("width", track.width), ("height", track.height)] {
        if let (Some(want), Some(have)) = (rep.attr(attr).and_then(value::positive), have) {
            if want != u64::from(have) {
                seen.add(
                    "init.size",
                    url,
                    format!("@{attr} {want}"),
                    have.to_string(),
                );
            }
        }
    }
    if let (Some(want), Some(fr)) = (
        rep.attr("frameRate").and_then(value::frame_rate),
        &track.frame_rate,
    ) {
        if (want - fr.as_f64()).abs() > 0.01 * want {
            seen.add(
                "init.frame-rate",
                url,
                format!("@frameRate {want}"),
                format!("{:.3}", fr.as_f64()),
            );
        }
    }
    if let (Some(want), Some(have)) = (
        seen.doc
            .inherited(r, "audioSamplingRate")
            .and_then(value::positive),
        track.sample_rate,
    ) {
        if want != u64::from(have) {
            seen.add(
                "init.sample-rate",
                url,
                format!("@audioSamplingRate {want}"),
                have.to_string(),
            );
        }
    }
    check_init_encryption(seen, url, &track);
    Some(track)
}

fn signalled_kid(seen: &Seen) -> Option<Option<String>> {
    let doc = seen.doc;
    let mut at = Some(seen.rep.node);
    let mut found: Option<Option<String>> = None;
    while let Some(n) = at {
        for cp in doc.children(n, "ContentProtection") {
            let node = doc.node(cp);
            if node
                .attr("schemeIdUri")
                .is_some_and(|s| s.eq_ignore_ascii_case("urn:mpeg:dash:mp4protection:2011"))
            {
                let kid = node
                    .attr("default_KID")
                    .map(|k| k.replace('-', "").to_ascii_lowercase());
                found = Some(kid);
            }
        }
        if found.is_some() || doc.node(n).name == "Period" {
            break;
        }
        at = doc.node(n).parent;
    }
    found
}

fn check_init_encryption(seen: &mut Seen, url: &str, track: &Representation) {
    let signalled = signalled_kid(seen);
    match (&signalled, &track.encryption) {
        (None, Some(e)) => seen.add(
            "init.encryption",
            url,
            "a clear track (no mp4protection signalled)",
            format!("encrypted ({})", e.scheme),
        ),
        (Some(_), None) => seen.add(
            "init.encryption",
            url,
            "an encrypted track (mp4protection signalled)",
            "clear",
        ),
        (Some(Some(kid)), Some(e)) if *kid != e.default_kid => seen.add(
            "init.encryption",
            url,
            format!("tenc KID {kid} (cenc:default_KID)"),
            e.default_kid.clone(),
        ),
        _ => {}
    }
}

struct MediaInfo {
    decode_time: u64,
    duration: u64,
    samples: u64,
}

fn check_media(
    seen: &mut Seen,
    s: &SegRef,
    body: &[u8],
    track: Option<&Representation>,
) -> Option<MediaInfo> {
    use crate::mp4::boxes::{Mfhd, Tfdt, Tfhd, Trun};
    let mut moof = None;
    let mut mdat: Option<(u64, u64)> = None;
    let mut emsgs = Vec::new();
    for b in crate::mp4::boxes(body) {
        let b = match b {
            Ok(b) => b,
            Err(e) => {
                seen.add("seg.parse", &s.url, "whole boxes", e.to_string());
                return None;
            }
        };
        match &b.typ().0 {
            b"moof" if moof.is_none() => moof = Some(b),
            b"mdat" if mdat.is_none() => {
                mdat = Some((b.payload_offset(), b.offset + b.data.len() as u64))
            }
            b"emsg" => emsgs.push(b),
            _ => {}
        }
    }
    for e in &emsgs {
        check_emsg(seen, s, e.payload());
    }
    let (Some(moof), Some(mdat)) = (moof, mdat) else {
        seen.add("media.moof", &s.url, "moof and mdat", "missing");
        return None;
    };
    let parse_err = |seen: &mut Seen, e: String| seen.add("seg.parse", &s.url, "parsable moof", e);
    let mfhd = moof
        .child(b"mfhd")
        .ok()
        .flatten()
        .and_then(|m| Mfhd::parse(m.payload()).ok());
    if let (Some(m), Some(n)) = (&mfhd, s.number) {
        if u64::from(m.sequence_number) != n {
            seen.add(
                "media.sequence",
                &s.url,
                format!("sequence_number {n}"),
                m.sequence_number.to_string(),
            );
        }
    }
    let traf = match moof.child(b"traf") {
        Ok(Some(t)) => t,
        Ok(None) => {
            seen.add("media.moof", &s.url, "moof/traf", "missing");
            return None;
        }
        Err(e) => {
            parse_err(seen, e.to_string());
            return None;
        }
    };
    let tfhd = traf
        .child(b"tfhd")
        .ok()
        .flatten()
        .and_then(|t| Tfhd::parse(t.payload()).ok());
    let tfdt = traf
        .child(b"tfdt")
        .ok()
        .flatten()
        .and_then(|t| Tfdt::parse(t.payload()).ok())?;
    let truns: Vec<Trun> = traf
        .children_of(b"trun")
        .unwrap_or_default()
        .iter()
        .filter_map(|t| Trun::parse(t.payload()).ok())
        .collect();
    let default_duration = tfhd
        .as_ref()
        .and_then(|t| t.default_sample_duration)
        .unwrap_or(0);
    let default_size = tfhd
        .as_ref()
        .and_then(|t| t.default_sample_size)
        .unwrap_or(0);
    let duration: u64 = truns.iter().map(|t| t.duration(default_duration)).sum();
    let track_ts = track
        .map_or(seen.rep.timescale, |t| u64::from(t.timescale))
        .max(1);
    let to_track = |v: u64| {
        (u128::from(v) * u128::from(track_ts) / u128::from(seen.rep.timescale.max(1))) as u64
    };
    if let (Some(t), Some(d)) = (s.time, s.duration) {
        let (want, half) = (to_track(t), to_track(d) / 2);
        let pto_note = "";
        if tfdt.base_media_decode_time.abs_diff(want) > half {
            seen.add(
                "media.tfdt",
                &s.url,
                format!("tfdt {want}{pto_note} (± {half})"),
                tfdt.base_media_decode_time.to_string(),
            );
        }
        let want_d = to_track(d);
        if duration > 0 && duration.abs_diff(want_d) > half {
            seen.add(
                "media.duration",
                &s.url,
                format!("{want_d} (± {half})"),
                duration.to_string(),
            );
        }
    }
    // Sample data must lie in the mdat: offsets from the moof (ISO BMFF
    // default-base-is-moof, which DASH's CMAF-style segments use).
    for t in &truns {
        let size: u64 = if t.samples.is_empty() {
            u64::from(t.sample_count) * u64::from(default_size)
        } else {
            t.samples
                .iter()
                .map(|x| u64::from(x.size.unwrap_or(default_size)))
                .sum()
        };
        if let Some(off) = t.data_offset {
            let start = moof.offset.saturating_add_signed(i64::from(off));
            let end = start.saturating_add(size);
            if start < mdat.0 || end > mdat.1 {
                seen.add(
                    "media.trun-data",
                    &s.url,
                    format!("bytes {}..{} (mdat)", mdat.0, mdat.1),
                    format!("{start}..{end}"),
                );
            }
        }
    }
    check_media_encryption(seen, s, &traf, &truns, track);
    Some(MediaInfo {
        decode_time: tfdt.base_media_decode_time,
        duration,
        samples: truns.iter().map(|t| u64::from(t.sample_count)).sum(),
    })
}

fn check_media_encryption(
    seen: &mut Seen,
    s: &SegRef,
    traf: &crate::mp4::BoxRef,
    truns: &[crate::mp4::boxes::Trun],
    track: Option<&Representation>,
) {
    let Some(track) = track else { return };
    let senc = traf.child(b"senc").ok().flatten();
    let piff = traf
        .children()
        .filter_map(Result::ok)
        .any(|b| b.typ() == b"uuid");
    let samples: u64 = truns.iter().map(|t| u64::from(t.sample_count)).sum();
    match (track.encrypted(), &senc) {
        (false, Some(_)) => seen.add("media.encryption", &s.url, "no senc (clear track)", "senc"),
        (true, None) if !piff => {
            seen.add("media.encryption", &s.url, "senc (encrypted track)", "none")
        }
        (true, Some(b)) => {
            let count = b
                .payload()
                .get(4..8)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
            if count.is_some_and(|c| u64::from(c) != samples) {
                seen.add(
                    "media.encryption",
                    &s.url,
                    format!("senc sample_count {samples} (trun)"),
                    count.unwrap_or(0).to_string(),
                );
            }
            if let Some(saio) = traf
                .child(b"saio")
                .ok()
                .flatten()
                .and_then(|b| crate::mp4::boxes::Saio::parse(b.payload()).ok())
            {
                if saio.offsets.len() != 1 {
                    seen.add(
                        "media.encryption",
                        &s.url,
                        "saio with one offset",
                        saio.offsets.len().to_string(),
                    );
                }
            }
        }
        _ => {}
    }
}

/// `scheme_id_uri` of an `emsg` payload (versions 0 and 1).
/// An emsg payload's scheme_id_uri and message_data (versions 0 and 1).
fn emsg_fields(p: &[u8]) -> Option<(String, &[u8])> {
    let version = *p.first()?;
    let cstr = |at: usize| -> Option<(&[u8], usize)> {
        let rest = p.get(at..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some((&rest[..end], at + end + 1))
    };
    let (scheme, data_at) = if version == 0 {
        // scheme, value, then timescale, delta, duration, id (4 bytes each).
        let (scheme, next) = cstr(4)?;
        let (_, next) = cstr(next)?;
        (scheme, next + 16)
    } else {
        // timescale (4), presentation_time (8), duration (4), id (4) first.
        let (scheme, next) = cstr(4 + 4 + 8 + 4 + 4)?;
        let (_, next) = cstr(next)?;
        (scheme, next)
    };
    Some((
        String::from_utf8_lossy(scheme).into_owned(),
        p.get(data_at..)?,
    ))
}

/// Why an SCTE-35 emsg's message_data is not one splice_info_section.
fn scte35_problem(message_data: &[u8]) -> Option<String> {
    crate::scte35::SpliceInfoSection::decode(message_data)
        .err()
        .map(|e| e.to_string())
}

fn check_emsg(seen: &mut Seen, s: &SegRef, payload: &[u8]) {
    let Some((scheme, message_data)) = emsg_fields(payload) else {
        seen.add(
            "seg.parse",
            &s.url,
            "an emsg with a scheme_id_uri",
            "truncated emsg",
        );
        return;
    };
    if crate::scte35::is_scte35_scheme(&scheme) {
        if let Some(why) = scte35_problem(message_data) {
            seen.add(
                "media.emsg-scte35",
                &s.url,
                "a splice_info_section in the emsg's message_data",
                why,
            );
        }
    }
    let doc = seen.doc;
    let mut at = Some(seen.rep.node);
    while let Some(n) = at {
        if doc
            .children(n, "InbandEventStream")
            .any(|i| doc.node(i).attr("schemeIdUri") == Some(scheme.as_str()))
        {
            return;
        }
        at = doc.node(n).parent;
    }
    seen.add(
        "media.emsg",
        &s.url,
        format!("an InbandEventStream for {scheme}"),
        "none",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_templates() {
        assert_eq!(
            fill("$RepresentationID$/$Number%05d$.m4s", "v1", "1", 7, 0),
            "v1/00007.m4s"
        );
        assert_eq!(fill("t$Time$-$$.mp4", "v", "1", 0, 900), "t900-$.mp4");
    }

    #[test]
    fn reads_emsg_fields_and_scte35_sections() {
        let section =
            crate::scte35::SpliceInfoSection::new(crate::scte35::SpliceCommand::Null).encode();
        let scheme = b"urn:scte:scte35:2013:bin\0";
        // Version 1: the times first, then the strings, then the data.
        let mut v1 = vec![1, 0, 0, 0];
        v1.extend_from_slice(&[0; 20]);
        v1.extend_from_slice(scheme);
        v1.extend_from_slice(b"1\0");
        v1.extend_from_slice(&section);
        let (got, data) = emsg_fields(&v1).unwrap();
        assert_eq!(got, "urn:scte:scte35:2013:bin");
        assert_eq!(data, &section[..]);
        assert_eq!(scte35_problem(data), None);
        // Version 0: the strings first.
        let mut v0 = vec![0, 0, 0, 0];
        v0.extend_from_slice(scheme);
        v0.extend_from_slice(b"\0");
        v0.extend_from_slice(&[0; 16]);
        v0.extend_from_slice(&section);
        assert_eq!(emsg_fields(&v0).unwrap().1, &section[..]);
        // A flipped bit breaks the CRC.
        let mut bad = section.clone();
        bad[5] ^= 1;
        assert!(
            scte35_problem(&bad).unwrap().contains("CRC"),
            "{:?}",
            scte35_problem(&bad)
        );
        assert!(emsg_fields(&[1, 0, 0, 0, 0]).is_none());
    }

    #[test]
    fn samples_first_last_and_spread() {
        assert_eq!(sample((0..10).collect(), Some(3)), vec![0, 4, 9]);
        assert_eq!(sample((0..10).collect(), Some(1)), vec![0]);
        assert_eq!(sample((0..3).collect(), Some(5)), vec![0, 1, 2]);
    }
}
