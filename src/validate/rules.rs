//! The rules, as data: one row per rule with its id, severity, the clause it
//! comes from and what it checks. Manifest rules carry their function; the
//! segment and schema rules are carried out by `segments` and `schema`, which
//! name their row by id. `docs/validator.md` is generated from this table
//! (a test keeps it so).

use super::doc::{Doc, Node, XmlError};
use super::value;
use super::{Finding, Options, Severity};

use Severity::{Error, Warning};

pub struct Ctx<'a> {
    pub doc: &'a Doc,
    pub opts: &'a Options,
    /// The manifest's URL (or path): `playready__version` is read from it.
    pub url: &'a str,
    pub dynamic: bool,
}

impl Ctx<'_> {
    fn root(&self) -> &Node {
        self.doc.node(self.doc.root())
    }
    fn claims(&self, profile: &str) -> bool {
        self.root()
            .attr("profiles")
            .is_some_and(|p| p.split(',').any(|x| x.trim().starts_with(profile)))
    }
    fn periods(&self) -> Vec<usize> {
        self.doc.children(self.doc.root(), "Period").collect()
    }
    fn adaptation_sets(&self) -> Vec<usize> {
        self.doc.all("AdaptationSet").collect()
    }
    fn representations(&self) -> Vec<usize> {
        self.doc.all("Representation").collect()
    }
}

/// Collects one rule's findings.
pub struct Out<'a> {
    rule: &'static Rule,
    doc: &'a Doc,
    findings: &'a mut Vec<Finding>,
}

impl Out<'_> {
    /// A finding at element `node`.
    fn at(&mut self, node: usize, expected: impl Into<String>, seen: impl Into<String>) {
        let f = self.rule.finding(
            self.doc.path(node),
            self.doc.node(node).line,
            expected,
            seen,
        );
        self.findings.push(f);
    }
}

pub enum Check {
    Manifest(fn(&Ctx, &mut Out)),
    /// Carried out on the fetched segments (`segments.rs`).
    Segment,
    /// XML well-formedness and the XML Schema (`schema.rs`).
    Document,
    /// Carried out on a patch document as it is applied (`patch.rs`).
    Patch,
    /// Carried out across live refreshes of the MPD (`live.rs`).
    Live,
}

pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub clause: &'static str,
    /// The element (or segment) it looks at.
    pub element: &'static str,
    pub summary: &'static str,
    pub check: Check,
}

impl Rule {
    pub fn finding(
        &'static self,
        path: String,
        line: u32,
        expected: impl Into<String>,
        seen: impl Into<String>,
    ) -> Finding {
        Finding {
            rule: self.id,
            severity: self.severity,
            clause: self.clause,
            path,
            line,
            segment: None,
            expected: expected.into(),
            seen: seen.into(),
        }
    }
}

/// The row of `id`. Ids are this module's constants, so a miss is a bug; a
/// test checks every id the segment and schema code uses.
pub fn rule(id: &str) -> &'static Rule {
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[0])
}

pub fn run(doc: &Doc, opts: &Options, url: &str) -> Vec<Finding> {
    let dynamic = doc.node(doc.root()).attr("type") == Some("dynamic");
    let ctx = Ctx {
        doc,
        opts,
        url,
        dynamic,
    };
    let mut findings = Vec::new();
    for r in RULES {
        if let Check::Manifest(f) = r.check {
            let mut out = Out {
                rule: r,
                doc,
                findings: &mut findings,
            };
            f(&ctx, &mut out);
        }
    }
    findings
}

pub fn not_well_formed(e: Option<XmlError>) -> Finding {
    let (line, msg) = e.map_or((0, "unknown".to_string()), |e| (e.line, e.message));
    rule("xml.well-formed").finding("/".into(), line, "well-formed XML", msg)
}

macro_rules! rules {
    ($( $id:literal, $sev:ident, $clause:expr, $el:literal, $summary:literal, $check:expr; )*) => {
        pub static RULES: &[Rule] = &[ $( Rule { id: $id, severity: $sev, clause: $clause, element: $el, summary: $summary, check: $check } ),* ];
    };
}

use Check::{Document, Live, Manifest, Patch, Segment};

rules! {
    "xml.well-formed", Error, "XML 1.0 §2.1", "document", "The manifest is well-formed XML", Document;
    "schema.xsd", Error, "ISO/IEC 23009-1 Annex B (DASH-MPD.xsd)", "document", "The manifest validates against the DASH schema (xmllint)", Document;
    "schema.not-checked", Warning, "ISO/IEC 23009-1 Annex B", "document", "The schema could not be checked (no xmllint or no schema folder)", Document;
    "mpd.root", Error, "ISO/IEC 23009-1 5.3.1.2", "MPD", "The root element is MPD in urn:mpeg:dash:schema:mpd:2011", Manifest(mpd_root);
    "mpd.period", Error, "ISO/IEC 23009-1 5.3.1.2", "MPD", "At least one Period", Manifest(mpd_period);
    "mpd.profiles", Error, "ISO/IEC 23009-1 5.3.1.2", "MPD", "@profiles is present and not empty", Manifest(mpd_profiles);
    "mpd.min-buffer-time", Error, "ISO/IEC 23009-1 5.3.1.2", "MPD", "@minBufferTime is present", Manifest(mpd_min_buffer_time);
    "mpd.type", Error, "ISO/IEC 23009-1 5.3.1.2", "MPD", "@type is static or dynamic", Manifest(mpd_type);
    "mpd.durations", Error, "XML Schema Part 2 §3.2.6 (xs:duration)", "MPD, Period", "Every duration attribute is an xs:duration", Manifest(mpd_durations);
    "mpd.datetimes", Error, "XML Schema Part 2 §3.2.7 (xs:dateTime)", "MPD", "availabilityStartTime, publishTime, availabilityEndTime are xs:dateTime", Manifest(mpd_datetimes);
    "mpd.dynamic-ast", Error, "ISO/IEC 23009-1 5.3.1.2", "MPD", "A dynamic MPD has @availabilityStartTime", Manifest(mpd_dynamic_ast);
    "mpd.dynamic-publish-time", Error, "ISO/IEC 23009-1 5.3.1.2", "MPD", "A dynamic MPD has @publishTime", Manifest(mpd_dynamic_publish_time);
    "mpd.dynamic-tsbd", Error, "DASH-IF IOP 4.3 §4.3.2.2", "MPD", "A live (dynamic) MPD has @timeShiftBufferDepth", Manifest(mpd_dynamic_tsbd);
    "mpd.dynamic-no-duration", Warning, "DASH-IF IOP 4.3 §4.4.2", "MPD", "A live MPD that updates has no @mediaPresentationDuration", Manifest(mpd_dynamic_no_duration);
    "mpd.static-duration", Error, "ISO/IEC 23009-1 5.3.1.2", "MPD", "A static MPD has @mediaPresentationDuration > 0, or every Period a @duration", Manifest(mpd_static_duration);
    "mpd.static-no-mup", Error, "ISO/IEC 23009-1 5.3.1.2", "MPD", "A static MPD has no @minimumUpdatePeriod", Manifest(mpd_static_no_mup);
    "mpd.static-no-ast", Warning, "DASH-IF IOP 4.3 §3.2.9", "MPD", "A static (VOD) MPD has no @availabilityStartTime", Manifest(mpd_static_no_ast);
    "mpd.period-continuity", Error, "ISO/IEC 23009-1 5.3.2.1", "Period", "Each Period@start is the previous Period's end (±0.2 s)", Manifest(mpd_period_continuity);
    "period.id-dynamic", Error, "ISO/IEC 23009-1 5.3.2.2", "Period", "Every Period of a dynamic MPD has @id", Manifest(period_id_dynamic);
    "period.id-unique", Error, "ISO/IEC 23009-1 5.3.2.2", "Period", "Period@ids are unique", Manifest(period_id_unique);
    "period.adaptation-set", Warning, "ISO/IEC 23009-1 5.3.2.2", "Period", "A Period has at least one AdaptationSet", Manifest(period_adaptation_set);
    "as.content-type", Error, "ISO/IEC 23009-1 5.3.3.2", "AdaptationSet", "@contentType is text, image, audio, video, application or font", Manifest(as_content_type);
    "as.mime-type", Error, "ISO/IEC 23009-1 5.3.7.2", "AdaptationSet, Representation", "@mimeType on the AdaptationSet or each Representation", Manifest(as_mime_type);
    "as.mime-matches-type", Error, "ISO/IEC 23009-1 5.3.3.2", "AdaptationSet", "@contentType agrees with the @mimeType's top-level type", Manifest(as_mime_matches_type);
    "as.id-unique", Error, "ISO/IEC 23009-1 5.3.3.2", "AdaptationSet", "AdaptationSet@ids are unique in their Period", Manifest(as_id_unique);
    "as.lang", Error, "ISO/IEC 23009-1 5.3.3.2 (RFC 5646)", "AdaptationSet", "@lang is a BCP-47 tag", Manifest(as_lang);
    "as.par", Error, "ISO/IEC 23009-1 5.3.3.2", "AdaptationSet", "@par is n:m", Manifest(as_par);
    "as.segment-alignment", Warning, "DASH-IF IOP 4.3 §3.2.2", "AdaptationSet", "@segmentAlignment is true in a live-profile AdaptationSet", Manifest(as_segment_alignment);
    "as.default-kid", Error, "ISO/IEC 23001-7 §11.2; DASH-IF IOP 4.3 §7.7.2", "AdaptationSet", "An AdaptationSet with ContentProtection has mp4protection with cenc:default_KID", Manifest(as_default_kid);
    "as.encrypted", Error, "DASH-IF IOP 4.3 §7.7.2", "AdaptationSet", "With --encrypted, every video AdaptationSet is signalled encrypted (mp4protection)", Manifest(as_encrypted);
    "as.clear", Warning, "DASH-IF IOP 4.3 §7.7.2", "AdaptationSet", "Without --encrypted, ContentProtection means an encrypted stream: pass --encrypted", Manifest(as_clear);
    "dvb.audio-role", Error, "ETSI TS 103 285 (DVB-DASH) §6.1.2", "AdaptationSet", "DVB-DASH: every audio AdaptationSet has a Role of urn:mpeg:dash:role:2011", Manifest(dvb_audio_role);
    "cc.lang", Error, "ISO/IEC 23009-1 5.3.4.2 (RFC 5646)", "ContentComponent", "ContentComponent@lang is a BCP-47 tag", Manifest(cc_lang);
    "cc.content-type", Error, "ISO/IEC 23009-1 5.3.4.2", "ContentComponent", "ContentComponent@contentType is allowed and agrees with its AdaptationSet", Manifest(cc_content_type);
    "cc.par", Error, "ISO/IEC 23009-1 5.3.4.2", "ContentComponent", "ContentComponent@par is n:m", Manifest(cc_par);
    "descriptor.scheme", Error, "ISO/IEC 23009-1 5.8.2", "descriptors", "Every descriptor (Role, ContentProtection, EssentialProperty, …) has @schemeIdUri", Manifest(descriptor_scheme);
    "cp.mp4protection-value", Error, "ISO/IEC 23009-1 5.8.5.2; ISO/IEC 23001-7 §11.1", "ContentProtection", "mp4protection's @value is a protection scheme: cenc, cbcs, cens or cbc1", Manifest(cp_mp4protection_value);
    "cp.uuid-scheme", Error, "ISO/IEC 23009-1 5.8.5.2", "ContentProtection", "Other ContentProtection schemes are urn:uuid: and a UUID", Manifest(cp_uuid_scheme);
    "cp.default-kid-format", Error, "ISO/IEC 23001-7 §11.2", "ContentProtection", "cenc:default_KID is a UUID", Manifest(cp_default_kid_format);
    "cp.default-kid-consistent", Error, "DASH-IF IOP 4.3 §7.7.2", "AdaptationSet", "One default_KID per AdaptationSet", Manifest(cp_default_kid_consistent);
    "cp.pssh", Error, "ISO/IEC 23001-7 §11.2.1, §8.1", "ContentProtection/cenc:pssh", "cenc:pssh is base64 of one pssh box whose SystemID is the descriptor's UUID", Manifest(cp_pssh);
    "cp.pro", Error, "Microsoft PlayReady Header Object 2015 §2", "ContentProtection/mspr:pro", "mspr:pro is a PlayReady Object with a WRMHEADER of version 4.0 to 4.3", Manifest(cp_pro);
    "cp.pro-version", Error, "PlayReady Header Specification §3.1 (version support matrix); dash-live playready__version", "ContentProtection/mspr:pro", "A client of the PlayReady version in the URL's playready__version reads the WRMHEADER (4.0: PlayReady 1, 4.1: 2, 4.2: 3, 4.3: 4)", Manifest(cp_pro_version);
    "rep.id", Error, "ISO/IEC 23009-1 5.3.5.2", "Representation", "@id is present without whitespace", Manifest(rep_id);
    "rep.id-unique", Error, "ISO/IEC 23009-1 5.3.5.2", "Representation", "Representation@ids are unique in their Period", Manifest(rep_id_unique);
    "rep.bandwidth", Error, "ISO/IEC 23009-1 5.3.5.2", "Representation", "@bandwidth is a positive whole number", Manifest(rep_bandwidth);
    "rep.codecs", Error, "DASH-IF IOP 4.3 §3.2.13; RFC 6381", "Representation", "@codecs is present (here or on the AdaptationSet)", Manifest(rep_codecs);
    "rep.codecs-format", Error, "RFC 6381 §3; ISO/IEC 14496-15 Annex E", "Representation", "@codecs of avc1/avc3 is avc1.PPCCLL (hex), of mp4a mp4a.OO[.A]", Manifest(rep_codecs_format);
    "rep.video-size", Error, "DASH-IF IOP 4.3 §3.2.4", "Representation", "Video Representations have @width and @height (here or inherited)", Manifest(rep_video_size);
    "rep.frame-rate", Error, "ISO/IEC 23009-1 5.3.7.2", "Representation", "@frameRate is n or n/d", Manifest(rep_frame_rate);
    "rep.sar", Error, "ISO/IEC 23009-1 5.3.7.2", "Representation", "@sar is n:m", Manifest(rep_sar);
    "rep.audio-sampling-rate", Error, "ISO/IEC 23009-1 5.3.7.2", "Representation", "@audioSamplingRate is a positive whole number", Manifest(rep_audio_sampling_rate);
    "rep.segment-info", Error, "ISO/IEC 23009-1 5.3.9.1", "Representation", "Each Representation has SegmentTemplate, SegmentList, SegmentBase or one BaseURL", Manifest(rep_segment_info);
    "rep.tsbd-segment", Error, "ISO/IEC 23009-1 5.3.1.2; DASH-IF IOP 4.3 §4.3.2.2", "Representation", "A live @timeShiftBufferDepth holds more than one segment", Manifest(rep_tsbd_segment);
    "st.initialization", Error, "ISO/IEC 23009-1 8.4.2 (live profile)", "SegmentTemplate", "A SegmentTemplate with @media has @initialization (or Initialization)", Manifest(st_initialization);
    "st.duration-or-timeline", Error, "ISO/IEC 23009-1 5.3.9.4.2", "SegmentTemplate", "A $Number$ template has @duration or a SegmentTimeline", Manifest(st_duration_or_timeline);
    "st.identifiers", Error, "ISO/IEC 23009-1 5.3.9.4.4 Table 16", "SegmentTemplate", "Only $RepresentationID$, $Number$, $Time$, $Bandwidth$, $SubNumber$, $$ (with %0Nd)", Manifest(st_identifiers);
    "st.number-and-time", Error, "ISO/IEC 23009-1 5.3.9.4.4", "SegmentTemplate", "@media has not both $Number$ and $Time$", Manifest(st_number_and_time);
    "st.time-needs-timeline", Error, "ISO/IEC 23009-1 5.3.9.4.4", "SegmentTemplate", "$Time$ needs a SegmentTimeline", Manifest(st_time_needs_timeline);
    "st.init-identifiers", Error, "ISO/IEC 23009-1 5.3.9.4.4", "SegmentTemplate", "@initialization has neither $Number$ nor $Time$", Manifest(st_init_identifiers);
    "st.timescale", Error, "ISO/IEC 23009-1 5.3.9.2.2", "SegmentTemplate, SegmentBase, SegmentList", "@timescale is a positive whole number", Manifest(st_timescale);
    "st.duration", Error, "ISO/IEC 23009-1 5.3.9.2.2", "SegmentTemplate, SegmentList", "@duration is a positive whole number", Manifest(st_duration);
    "st.start-number", Error, "ISO/IEC 23009-1 5.3.9.2.2", "SegmentTemplate, SegmentList", "@startNumber is a whole number", Manifest(st_start_number);
    "tl.first-t", Warning, "ISO/IEC 23009-1 5.3.9.6.2", "SegmentTimeline", "The first S has @t", Manifest(tl_first_t);
    "tl.d", Error, "ISO/IEC 23009-1 5.3.9.6.2", "SegmentTimeline/S", "S@d is present and positive", Manifest(tl_d);
    "tl.r", Error, "ISO/IEC 23009-1 5.3.9.6.2", "SegmentTimeline/S", "S@r is a whole number or -1 (only -1 may be negative)", Manifest(tl_r);
    "tl.order", Error, "ISO/IEC 23009-1 5.3.9.6.2", "SegmentTimeline/S", "S@t never goes back before the previous segment's end", Manifest(tl_order);
    "tl.gap", Warning, "DASH-IF IOP 4.3 §3.2.7.4", "SegmentTimeline/S", "S@t is the previous segment's end (no gap)", Manifest(tl_gap);
    "tl.covers-tsbd", Error, "dash-live §9.2; ISO/IEC 23009-1 5.3.9.6", "SegmentTimeline", "A live timeline lists at least @timeShiftBufferDepth of segments", Manifest(tl_covers_tsbd);
    "sl.media-range", Error, "ISO/IEC 23009-1 5.3.9.3.2", "SegmentList/SegmentURL", "SegmentURL@mediaRange (and @indexRange) is first-last", Manifest(sl_media_range);
    "sl.on-demand-ranges", Error, "ISO/IEC 23009-1 8.3 (on-demand profile)", "SegmentList/SegmentURL", "On demand, every SegmentURL without @media has @mediaRange", Manifest(sl_on_demand_ranges);
    "sb.ranges", Error, "ISO/IEC 23009-1 5.3.9.2.2", "SegmentBase, Initialization", "SegmentBase@indexRange and Initialization@range are first-last", Manifest(sb_ranges);
    "url.scheme", Error, "ISO/IEC 23009-1 5.6.4", "BaseURL, SegmentURL", "Absolute URLs are http or https", Manifest(url_scheme);
    "ev.scheme", Error, "ISO/IEC 23009-1 5.10.2.2", "EventStream", "EventStream@schemeIdUri is present", Manifest(ev_scheme);
    "ev.timescale", Error, "ISO/IEC 23009-1 5.10.2.2", "EventStream", "EventStream@timescale is a positive whole number", Manifest(ev_timescale);
    "ev.id-unique", Error, "ISO/IEC 23009-1 5.10.2.2", "EventStream/Event", "Event@ids are unique in their EventStream", Manifest(ev_id_unique);
    "ev.base64", Error, "ISO/IEC 23009-1 5.10.2.2", "EventStream/Event", "An Event with contentEncoding=base64 holds base64", Manifest(ev_base64);
    "ev.message-data", Error, "ISO/IEC 23009-1 5.10.2.2", "EventStream/Event", "An Event has @messageData or content, not both", Manifest(ev_message_data);
    "ev.inband-no-events", Error, "ISO/IEC 23009-1 5.10.3.2", "InbandEventStream", "An InbandEventStream has no Event children", Manifest(ev_inband_no_events);
    "ev.scte35", Error, "SCTE 214-1 §6.7; SCTE 35 §9.6", "EventStream (SCTE-35)/Event", "An SCTE-35 Event holds one splice_info_section that decodes (table_id 0xFC, lengths, CRC-32): base64 in Signal/Binary for xml+bin, the Event's content for bin", Manifest(ev_scte35);
    "ev.scte35-duration", Warning, "SCTE 214-1 §6.7", "EventStream (SCTE-35)/Event", "A splice_insert's break_duration is the Event@duration (to a 90 kHz tick)", Manifest(ev_scte35_duration);
    "patch.static", Error, "ISO/IEC 23009-1 5.15.2", "PatchLocation", "A static MPD has no PatchLocation", Manifest(patch_static);
    "patch.needs-id", Error, "ISO/IEC 23009-1 5.15.2", "PatchLocation", "An MPD with PatchLocation has @id and @publishTime", Manifest(patch_needs_id);
    "patch.ttl", Error, "ISO/IEC 23009-1 5.15.2", "PatchLocation", "PatchLocation@ttl is a positive number", Manifest(patch_ttl);
    "patch.url", Error, "ISO/IEC 23009-1 5.15.2", "PatchLocation", "PatchLocation is an http(s) or relative URL", Manifest(patch_url);
    "patch.doc-root", Error, "ISO/IEC 23009-1 5.15.3", "Patch", "A patch document's root is Patch (urn:mpeg:dash:schema:mpd-patch:2020)", Patch;
    "patch.doc-mpd-id", Error, "ISO/IEC 23009-1 5.15.3", "Patch", "Patch@mpdId is the MPD's @id", Patch;
    "patch.doc-original", Error, "ISO/IEC 23009-1 5.15.3", "Patch", "Patch@originalPublishTime is the publishTime of the MPD it was fetched for", Patch;
    "patch.doc-publish-time", Error, "ISO/IEC 23009-1 5.15.3", "Patch", "Patch@publishTime is later than its @originalPublishTime", Patch;
    "patch.doc-operations", Error, "ISO/IEC 23009-1 5.15.3; RFC 5261 §4", "Patch", "Every operation is add, replace or remove", Patch;
    "patch.doc-sel", Error, "RFC 5261 §4.1", "Patch/add, replace, remove", "Every operation has @sel", Patch;
    "patch.doc-selects-one", Error, "RFC 5261 §4.1; ISO/IEC 23009-1 5.15.3", "Patch/add, replace, remove", "@sel selects exactly one node of the MPD (as the operations before left it)", Patch;
    "patch.answer", Error, "ISO/IEC 23009-1 5.15.2", "PatchLocation", "Within its @ttl the PatchLocation answers 200 with a patch (410 Gone: a stale patch)", Live;
    "live.reload", Error, "ISO/IEC 23009-1 5.4.1", "MPD", "Every refresh of the MPD answers 200 with a well-formed MPD", Live;
    "live.id", Error, "ISO/IEC 23009-1 5.4.1", "MPD", "MPD@id is the same in every refresh", Live;
    "live.ast", Error, "ISO/IEC 23009-1 5.4.1", "MPD", "@availabilityStartTime is the same in every refresh", Live;
    "live.publish-time", Error, "ISO/IEC 23009-1 5.4.1", "MPD", "@publishTime never goes back between refreshes", Live;
    "live.future-segment", Error, "ISO/IEC 23009-1 5.3.9.5.3", "SegmentTimeline", "No segment is listed before it is available (its end is past when the MPD is fetched)", Live;
    "live.left-window", Error, "ISO/IEC 23009-1 5.3.9.5.3; dash-live §9.2", "SegmentTimeline", "No segment is listed once it has left the time-shift window at publishTime", Live;
    "live.edge", Error, "DASH-IF IOP 4.3 §4.4.3", "SegmentTimeline", "The timeline moves as the clock does: its newest segment ends at most @minimumUpdatePeriod and two segments before the fetch", Live;
    "live.timeline-stable", Error, "ISO/IEC 23009-1 5.4.1", "SegmentTimeline", "A segment listed in two refreshes keeps its start and duration", Live;
    "utc.scheme", Warning, "ISO/IEC 23009-1 5.8.5.7", "UTCTiming", "UTCTiming@schemeIdUri is a urn:mpeg:dash:utc: scheme", Manifest(utc_scheme);
    "utc.dynamic", Warning, "DASH-IF IOP 4.3 §4.7.2", "MPD", "A dynamic MPD has a UTCTiming", Manifest(utc_dynamic);
    "seg.fetch", Error, "ISO/IEC 23009-1 5.3.9.5; dash-live §9.2", "segment", "The segment answers 200 (206 for a byte range)", Segment;
    "seg.content-type", Warning, "ISO/IEC 23009-1 5.3.7.2", "segment", "Content-Type starts with the Representation's @mimeType", Segment;
    "seg.parse", Error, "ISO/IEC 14496-12 §4.2", "segment", "The segment's boxes parse", Segment;
    "init.ftyp", Error, "ISO/IEC 23009-1 6.3.3.2 (ISO/IEC 14496-12 §4.3)", "init segment", "The init segment starts with ftyp and has a moov", Segment;
    "init.codecs", Error, "ISO/IEC 23009-1 5.3.7.2; RFC 6381", "init segment", "The sample entry's codecs string is @codecs", Segment;
    "init.timescale", Warning, "ISO/IEC 23009-1 5.3.9.2", "init segment", "@timescale is the track's mdhd timescale (or a multiple)", Segment;
    "init.size", Error, "ISO/IEC 23009-1 5.3.7.2", "init segment", "The coded size is @width x @height", Segment;
    "init.frame-rate", Warning, "ISO/IEC 23009-1 5.3.12.2", "init segment", "The frame rate is @frameRate", Segment;
    "init.sample-rate", Error, "ISO/IEC 23009-1 5.3.7.2", "init segment", "The sample rate is @audioSamplingRate", Segment;
    "init.encryption", Error, "ISO/IEC 23001-7 §8.2; DASH-IF IOP 4.3 §7.7.2", "init segment", "A track is encrypted (sinf/tenc) exactly when the manifest signals it; tenc's KID is default_KID", Segment;
    "media.moof", Error, "ISO/IEC 23009-1 6.3.4.2", "media segment", "A media segment has moof then mdat", Segment;
    "media.sequence", Warning, "ISO/IEC 14496-12 §8.8.5; dash-live §9.2", "media segment", "mfhd sequence_number is the segment's $Number$", Segment;
    "media.tfdt", Error, "ISO/IEC 23009-1 6.3.4.2; ISO/IEC 14496-12 §8.8.12", "media segment", "tfdt is the decode time the manifest gives the segment (± half a segment)", Segment;
    "media.duration", Error, "ISO/IEC 23009-1 5.3.9.6; DASH-IF IOP 4.3 §3.2.7", "media segment", "The samples' duration is the segment's (± half a segment)", Segment;
    "media.continuity", Error, "ISO/IEC 23009-1 6.3.4.2", "media segment", "Each segment starts where the previous one ended", Segment;
    "media.trun-data", Error, "ISO/IEC 14496-12 §8.8.8", "media segment", "trun's samples lie inside the segment's mdat", Segment;
    "media.encryption", Error, "ISO/IEC 23001-7 §7.2", "media segment", "senc exactly when encrypted; its sample count is trun's; saio has one offset", Segment;
    "media.emsg", Error, "ISO/IEC 23009-1 5.10.3.3", "media segment", "An emsg's scheme has an InbandEventStream", Segment;
    "media.emsg-scte35", Error, "SCTE 214-3 §8.1; SCTE 35 §9.6", "media segment (emsg)", "An SCTE-35 emsg's message_data is one splice_info_section that decodes (lengths, CRC-32)", Segment;
}

// ---------------------------------------------------------------- MPD

fn mpd_root(c: &Ctx, o: &mut Out) {
    if c.root().name != "MPD" {
        o.at(0, "root element MPD", c.root().name.clone());
    }
}

fn mpd_period(c: &Ctx, o: &mut Out) {
    if c.periods().is_empty() {
        o.at(0, "at least one Period", "none");
    }
}

fn mpd_profiles(c: &Ctx, o: &mut Out) {
    if c.root()
        .attr("profiles")
        .is_none_or(|p| p.trim().is_empty())
    {
        o.at(0, "@profiles", "missing");
    }
}

fn mpd_min_buffer_time(c: &Ctx, o: &mut Out) {
    if c.root().attr("minBufferTime").is_none() {
        o.at(0, "@minBufferTime", "missing");
    }
}

fn mpd_type(c: &Ctx, o: &mut Out) {
    if let Some(t) = c.root().attr("type") {
        if t != "static" && t != "dynamic" {
            o.at(0, "static or dynamic", t.to_string());
        }
    }
}

const DURATION_ATTRS: &[&str] = &[
    "mediaPresentationDuration",
    "minBufferTime",
    "timeShiftBufferDepth",
    "suggestedPresentationDelay",
    "minimumUpdatePeriod",
    "maxSegmentDuration",
    "maxSubsegmentDuration",
    "start",
    "duration",
];

fn mpd_durations(c: &Ctx, o: &mut Out) {
    let mut nodes = vec![c.doc.root()];
    nodes.extend(c.periods());
    for n in nodes {
        for a in DURATION_ATTRS {
            if let Some(v) = c.doc.node(n).attr(a) {
                if value::duration_s(v).is_none() {
                    o.at(n, format!("@{a} an xs:duration (PT…S)"), v.to_string());
                }
            }
        }
    }
}

fn mpd_datetimes(c: &Ctx, o: &mut Out) {
    for a in [
        "availabilityStartTime",
        "publishTime",
        "availabilityEndTime",
    ] {
        if let Some(v) = c.root().attr(a) {
            if value::datetime_ms(v).is_none() {
                o.at(0, format!("@{a} an xs:dateTime"), v.to_string());
            }
        }
    }
}

fn mpd_dynamic_ast(c: &Ctx, o: &mut Out) {
    if c.dynamic && c.root().attr("availabilityStartTime").is_none() {
        o.at(0, "@availabilityStartTime", "missing");
    }
}

fn mpd_dynamic_publish_time(c: &Ctx, o: &mut Out) {
    if c.dynamic && c.root().attr("publishTime").is_none() {
        o.at(0, "@publishTime", "missing");
    }
}

fn mpd_dynamic_tsbd(c: &Ctx, o: &mut Out) {
    if c.dynamic && c.root().attr("timeShiftBufferDepth").is_none() {
        o.at(0, "@timeShiftBufferDepth", "missing");
    }
}

fn mpd_dynamic_no_duration(c: &Ctx, o: &mut Out) {
    let r = c.root();
    if c.dynamic && r.attr("minimumUpdatePeriod").is_some() {
        if let Some(d) = r.attr("mediaPresentationDuration") {
            o.at(
                0,
                "no @mediaPresentationDuration while updating",
                d.to_string(),
            );
        }
    }
}

fn mpd_static_duration(c: &Ctx, o: &mut Out) {
    if c.dynamic {
        return;
    }
    let mpd = c
        .root()
        .attr("mediaPresentationDuration")
        .and_then(value::duration_s);
    if mpd.is_some_and(|d| d > 0.0) {
        return;
    }
    let all_periods = c.periods().iter().all(|&p| {
        c.doc
            .node(p)
            .attr("duration")
            .and_then(value::duration_s)
            .is_some_and(|d| d > 0.0)
    });
    if !all_periods || c.periods().is_empty() {
        o.at(
            0,
            "@mediaPresentationDuration > 0 or every Period@duration",
            c.root()
                .attr("mediaPresentationDuration")
                .unwrap_or("neither")
                .to_string(),
        );
    }
}

fn mpd_static_no_mup(c: &Ctx, o: &mut Out) {
    if !c.dynamic {
        if let Some(m) = c.root().attr("minimumUpdatePeriod") {
            o.at(0, "no @minimumUpdatePeriod in a static MPD", m.to_string());
        }
    }
}

fn mpd_static_no_ast(c: &Ctx, o: &mut Out) {
    if !c.dynamic && c.claims("urn:mpeg:dash:profile:isoff-live") {
        if let Some(a) = c.root().attr("availabilityStartTime") {
            o.at(0, "no @availabilityStartTime in a VOD MPD", a.to_string());
        }
    }
}

fn period_seconds(c: &Ctx, p: usize, attr: &str) -> Option<f64> {
    c.doc.node(p).attr(attr).and_then(value::duration_s)
}

fn mpd_period_continuity(c: &Ctx, o: &mut Out) {
    let periods = c.periods();
    for w in periods.windows(2) {
        let (Some(start), Some(dur), Some(next)) = (
            period_seconds(c, w[0], "start"),
            period_seconds(c, w[0], "duration"),
            period_seconds(c, w[1], "start"),
        ) else {
            continue;
        };
        if (start + dur - next).abs() > 0.2 {
            o.at(
                w[1],
                format!("@start {:.3} s (previous start + duration)", start + dur),
                format!("{next:.3} s"),
            );
        }
    }
}

// ---------------------------------------------------------------- Period

fn period_id_dynamic(c: &Ctx, o: &mut Out) {
    if c.dynamic {
        for p in c.periods() {
            if c.doc.node(p).attr("id").is_none() {
                o.at(p, "@id on a Period of a dynamic MPD", "missing");
            }
        }
    }
}

/// Reports the second of any two `name` elements under the same parent
/// (or the whole document when `per_parent` is false) sharing an `@id`.
fn unique_ids(c: &Ctx, o: &mut Out, name: &str, scope: &str) {
    let scopes: Vec<usize> = if scope == "MPD" {
        vec![c.doc.root()]
    } else {
        c.doc.all(scope).collect()
    };
    for s in scopes {
        let mut seen = std::collections::HashSet::new();
        for n in descendants(c.doc, s, name) {
            if let Some(id) = c.doc.node(n).attr("id") {
                if !seen.insert(id.to_string()) {
                    o.at(n, format!("a unique @id in its {scope}"), id.to_string());
                }
            }
        }
    }
}

fn descendants(doc: &Doc, of: usize, name: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut stack = vec![of];
    while let Some(n) = stack.pop() {
        for &ch in doc.node(n).children.iter().rev() {
            if doc.node(ch).name == name {
                out.push(ch);
            }
            stack.push(ch);
        }
    }
    out.sort_unstable();
    out
}

fn period_id_unique(c: &Ctx, o: &mut Out) {
    unique_ids(c, o, "Period", "MPD");
}

fn period_adaptation_set(c: &Ctx, o: &mut Out) {
    for p in c.periods() {
        if c.doc.child(p, "AdaptationSet").is_none() {
            o.at(p, "at least one AdaptationSet", "none");
        }
    }
}

// ---------------------------------------------------------------- AdaptationSet

const CONTENT_TYPES: &[&str] = &["text", "image", "audio", "video", "application", "font"];

fn as_content_type(c: &Ctx, o: &mut Out) {
    for a in c.adaptation_sets() {
        if let Some(t) = c.doc.node(a).attr("contentType") {
            if !CONTENT_TYPES.contains(&t) {
                o.at(a, CONTENT_TYPES.join(", "), t.to_string());
            }
        }
    }
}

fn as_mime_type(c: &Ctx, o: &mut Out) {
    for r in c.representations() {
        if c.doc.inherited(r, "mimeType").is_none() {
            o.at(r, "@mimeType here or on the AdaptationSet", "missing");
        }
    }
}

/// The content type a MIME type implies (`application/mp4` implies none:
/// it carries text as well as other things).
fn mime_content_type(mime: &str) -> Option<&str> {
    let top = mime.split('/').next()?;
    ["video", "audio", "text", "image", "font"]
        .into_iter()
        .find(|&t| t == top)
}

fn as_mime_matches_type(c: &Ctx, o: &mut Out) {
    for a in c.adaptation_sets() {
        let n = c.doc.node(a);
        if let (Some(t), Some(m)) = (n.attr("contentType"), n.attr("mimeType")) {
            if let Some(implied) = mime_content_type(m) {
                if implied != t && !(t == "text" && implied == "application") {
                    o.at(
                        a,
                        format!("@contentType {implied} (from {m})"),
                        t.to_string(),
                    );
                }
            }
        }
    }
}

fn as_id_unique(c: &Ctx, o: &mut Out) {
    unique_ids(c, o, "AdaptationSet", "Period");
}

fn check_lang(c: &Ctx, o: &mut Out, name: &str) {
    for n in c.doc.all(name) {
        if let Some(l) = c.doc.node(n).attr("lang") {
            if !value::language(l) {
                o.at(n, "@lang a BCP-47 language tag", l.to_string());
            }
        }
    }
}

fn check_ratio(c: &Ctx, o: &mut Out, name: &str, attr: &str) {
    let expected = format!("@{attr} n:m");
    for n in c.doc.all(name).collect::<Vec<_>>() {
        if let Some(v) = c.doc.node(n).attr(attr) {
            if value::ratio(v).is_none() {
                o.at(n, expected.clone(), v.to_string());
            }
        }
    }
}

fn as_lang(c: &Ctx, o: &mut Out) {
    check_lang(c, o, "AdaptationSet");
}

fn as_par(c: &Ctx, o: &mut Out) {
    check_ratio(c, o, "AdaptationSet", "par");
}

fn as_segment_alignment(c: &Ctx, o: &mut Out) {
    if !c.claims("urn:mpeg:dash:profile:isoff-live") {
        return;
    }
    for a in c.adaptation_sets() {
        match c.doc.node(a).attr("segmentAlignment") {
            Some("true") | Some("1") => {}
            v => o.at(
                a,
                "@segmentAlignment true",
                v.unwrap_or("missing").to_string(),
            ),
        }
    }
}

const MP4PROTECTION: &str = "urn:mpeg:dash:mp4protection:2011";

/// ContentProtection elements of an AdaptationSet and its Representations.
fn protections(c: &Ctx, a: usize) -> Vec<usize> {
    descendants(c.doc, a, "ContentProtection")
}

fn is_mp4protection(c: &Ctx, cp: usize) -> bool {
    c.doc
        .node(cp)
        .attr("schemeIdUri")
        .is_some_and(|s| s.eq_ignore_ascii_case(MP4PROTECTION))
}

fn as_default_kid(c: &Ctx, o: &mut Out) {
    for a in c.adaptation_sets() {
        let cps = protections(c, a);
        if cps.is_empty() {
            continue;
        }
        let kid = cps
            .iter()
            .any(|&cp| is_mp4protection(c, cp) && c.doc.node(cp).attr("default_KID").is_some());
        if !kid {
            o.at(
                a,
                "mp4protection ContentProtection with cenc:default_KID",
                "none",
            );
        }
    }
}

fn content_type_of(c: &Ctx, a: usize) -> Option<String> {
    let n = c.doc.node(a);
    if let Some(t) = n.attr("contentType") {
        return Some(t.to_string());
    }
    let mime = n.attr("mimeType").or_else(|| {
        c.doc
            .child(a, "Representation")
            .and_then(|r| c.doc.node(r).attr("mimeType"))
    })?;
    mime_content_type(mime).map(String::from)
}

fn as_encrypted(c: &Ctx, o: &mut Out) {
    if !c.opts.encrypted {
        return;
    }
    for a in c.adaptation_sets() {
        if content_type_of(c, a).as_deref() == Some("video")
            && !protections(c, a).iter().any(|&cp| is_mp4protection(c, cp))
        {
            o.at(a, "mp4protection ContentProtection (--encrypted)", "none");
        }
    }
}

fn as_clear(c: &Ctx, o: &mut Out) {
    if c.opts.encrypted {
        return;
    }
    for a in c.adaptation_sets() {
        if let Some(&cp) = protections(c, a).first() {
            o.at(
                cp,
                "no ContentProtection (clear stream; --encrypted checks encryption)",
                "ContentProtection",
            );
        }
    }
}

fn dvb_audio_role(c: &Ctx, o: &mut Out) {
    if !c.claims("urn:dvb:dash:profile:dvb-dash") {
        return;
    }
    for a in c.adaptation_sets() {
        if content_type_of(c, a).as_deref() != Some("audio") {
            continue;
        }
        let has = c
            .doc
            .children(a, "Role")
            .any(|r| c.doc.node(r).attr("schemeIdUri") == Some("urn:mpeg:dash:role:2011"));
        if !has {
            o.at(a, "Role schemeIdUri=urn:mpeg:dash:role:2011", "none");
        }
    }
}

// ---------------------------------------------------------------- ContentComponent

fn cc_lang(c: &Ctx, o: &mut Out) {
    check_lang(c, o, "ContentComponent");
}

fn cc_content_type(c: &Ctx, o: &mut Out) {
    for cc in c.doc.all("ContentComponent").collect::<Vec<_>>() {
        let Some(t) = c.doc.node(cc).attr("contentType") else {
            continue;
        };
        if !CONTENT_TYPES.contains(&t) {
            o.at(cc, CONTENT_TYPES.join(", "), t.to_string());
            continue;
        }
        let parent = c.doc.node(cc).parent;
        let components = parent.map_or(0, |p| c.doc.children(p, "ContentComponent").count());
        if let Some(pt) = parent.and_then(|p| c.doc.node(p).attr("contentType")) {
            // One component describes its AdaptationSet; several are muxed.
            if components == 1 && pt != t {
                o.at(
                    cc,
                    format!("contentType {pt} (its AdaptationSet's)"),
                    t.to_string(),
                );
            }
        }
    }
}

fn cc_par(c: &Ctx, o: &mut Out) {
    check_ratio(c, o, "ContentComponent", "par");
}

const DESCRIPTORS: &[&str] = &[
    "Role",
    "Accessibility",
    "Rating",
    "Viewpoint",
    "EssentialProperty",
    "SupplementalProperty",
    "AudioChannelConfiguration",
    "FramePacking",
    "ContentProtection",
    "UTCTiming",
    "InbandEventStream",
];

fn descriptor_scheme(c: &Ctx, o: &mut Out) {
    for (i, n) in c.doc.nodes.iter().enumerate() {
        if DESCRIPTORS.contains(&n.name.as_str())
            && n.attr("schemeIdUri").is_none_or(|s| s.trim().is_empty())
        {
            o.at(i, "@schemeIdUri", "missing");
        }
    }
}

// ---------------------------------------------------------------- ContentProtection

fn cp_mp4protection_value(c: &Ctx, o: &mut Out) {
    for cp in c.doc.all("ContentProtection").collect::<Vec<_>>() {
        if is_mp4protection(c, cp) {
            let v = c.doc.node(cp).attr("value").unwrap_or("missing");
            if !["cenc", "cbcs", "cens", "cbc1"].contains(&v) {
                o.at(cp, "@value cenc, cbcs, cens or cbc1", v.to_string());
            }
        }
    }
}

fn cp_system_id(c: &Ctx, cp: usize) -> Option<[u8; 16]> {
    let s = c.doc.node(cp).attr("schemeIdUri")?;
    let u = s.get(..9).filter(|p| p.eq_ignore_ascii_case("urn:uuid:"))?;
    let _ = u;
    value::uuid(&s[9..].to_ascii_lowercase())
}

fn cp_uuid_scheme(c: &Ctx, o: &mut Out) {
    for cp in c.doc.all("ContentProtection").collect::<Vec<_>>() {
        let Some(s) = c.doc.node(cp).attr("schemeIdUri") else {
            continue;
        };
        if !is_mp4protection(c, cp) && cp_system_id(c, cp).is_none() {
            o.at(cp, "urn:uuid:<UUID>", s.to_string());
        }
    }
}

fn cp_default_kid_format(c: &Ctx, o: &mut Out) {
    for cp in c.doc.all("ContentProtection").collect::<Vec<_>>() {
        if let Some(k) = c.doc.node(cp).attr("default_KID") {
            if value::uuid(&k.to_ascii_lowercase()).is_none() {
                o.at(
                    cp,
                    "cenc:default_KID a UUID (8-4-4-4-12 hex)",
                    k.to_string(),
                );
            }
        }
    }
}

fn cp_default_kid_consistent(c: &Ctx, o: &mut Out) {
    for a in c.adaptation_sets() {
        let mut first: Option<String> = None;
        for cp in protections(c, a) {
            let Some(k) = c.doc.node(cp).attr("default_KID") else {
                continue;
            };
            let k = k.to_ascii_lowercase();
            match &first {
                None => first = Some(k),
                Some(f) if *f != k => o.at(cp, format!("default_KID {f}"), k),
                Some(_) => {}
            }
        }
    }
}

fn base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(clean).ok()
}

fn cp_pssh(c: &Ctx, o: &mut Out) {
    for p in c.doc.all("pssh").collect::<Vec<_>>() {
        let Some(bytes) = base64(&c.doc.node(p).text) else {
            o.at(p, "base64", "not base64");
            continue;
        };
        let pssh = match crate::drm::pssh::Pssh::parse(&bytes) {
            Ok(x) => x,
            Err(e) => {
                o.at(p, "one pssh box", e.to_string());
                continue;
            }
        };
        let declared = c.doc.node(p).parent.and_then(|cp| cp_system_id(c, cp));
        if let Some(d) = declared {
            if d != pssh.system_id {
                o.at(
                    p,
                    format!("SystemID {}", crate::drm::pssh::system::text(&d)),
                    crate::drm::pssh::system::text(&pssh.system_id),
                );
            }
        }
    }
}

/// The WRMHEADER versions of a `mspr:pro`, or why it is not one.
fn pro_versions(text: &str) -> Result<Vec<String>, String> {
    let bytes = base64(text).ok_or("not base64")?;
    let headers = crate::drm::playready::decode_pro(&bytes).map_err(|e| e.to_string())?;
    if headers.is_empty() {
        return Err("no WRMHEADER record".into());
    }
    headers
        .iter()
        .map(|h| {
            let at = h.find("version=\"").ok_or("WRMHEADER without version")?;
            let rest = &h[at + 9..];
            let end = rest.find('"').ok_or("WRMHEADER without version")?;
            Ok(rest[..end].to_string())
        })
        .collect()
}

const PRO_VERSIONS: &[&str] = &["4.0.0.0", "4.1.0.0", "4.2.0.0", "4.3.0.0"];

fn cp_pro(c: &Ctx, o: &mut Out) {
    for p in c.doc.all("pro").collect::<Vec<_>>() {
        match pro_versions(&c.doc.node(p).text) {
            Err(e) => o.at(p, "a PlayReady Object", e),
            Ok(vs) => {
                for v in vs.iter().filter(|v| !PRO_VERSIONS.contains(&v.as_str())) {
                    o.at(p, "WRMHEADER version 4.0.0.0 to 4.3.0.0", v.clone());
                }
            }
        }
    }
}

fn cp_pro_version(c: &Ctx, o: &mut Out) {
    let Some(asked) = c
        .url
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("playready__version="))
        .and_then(|v| v.parse::<f64>().ok())
    else {
        return;
    };
    for p in c.doc.all("pro").collect::<Vec<_>>() {
        let Ok(vs) = pro_versions(&c.doc.node(p).text) else {
            continue;
        };
        for v in vs {
            // The first PlayReady version whose clients read each header.
            let needs = match v.as_str() {
                "4.0.0.0" => 1.0,
                "4.1.0.0" => 2.0,
                "4.2.0.0" => 3.0,
                _ => 4.0,
            };
            if needs > asked {
                o.at(
                    p,
                    format!(
                        "a WRMHEADER PlayReady {asked} reads (4.0 to {})",
                        match asked {
                            a if a >= 4.0 => "4.3",
                            a if a >= 3.0 => "4.2",
                            a if a >= 2.0 => "4.1",
                            _ => "4.0",
                        }
                    ),
                    format!("{v}, which needs PlayReady {needs}"),
                );
            }
        }
    }
}

// ---------------------------------------------------------------- Representation

fn rep_id(c: &Ctx, o: &mut Out) {
    for r in c.representations() {
        match c.doc.node(r).attr("id") {
            None => o.at(r, "@id", "missing"),
            Some(id) if id.is_empty() || id.contains(char::is_whitespace) => {
                o.at(r, "@id without whitespace", id.to_string())
            }
            Some(_) => {}
        }
    }
}

fn rep_id_unique(c: &Ctx, o: &mut Out) {
    unique_ids(c, o, "Representation", "Period");
}

fn rep_bandwidth(c: &Ctx, o: &mut Out) {
    for r in c.representations() {
        let b = c.doc.node(r).attr("bandwidth");
        if b.and_then(value::positive).is_none() {
            o.at(
                r,
                "@bandwidth a positive whole number",
                b.unwrap_or("missing").to_string(),
            );
        }
    }
}

fn rep_codecs(c: &Ctx, o: &mut Out) {
    for r in c.representations() {
        if c.doc.inherited(r, "codecs").is_none() {
            o.at(r, "@codecs", "missing");
        }
    }
}

fn codecs_well_formed(codecs: &str) -> bool {
    let mut parts = codecs.split('.');
    let entry = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    match entry {
        "avc1" | "avc3" => {
            rest.len() == 1 && rest[0].len() == 6 && rest[0].chars().all(|c| c.is_ascii_hexdigit())
        }
        "mp4a" => {
            !rest.is_empty()
                && rest.len() <= 2
                && rest[0].len() == 2
                && rest[0].chars().all(|c| c.is_ascii_hexdigit())
                && rest.get(1).is_none_or(|a| a.parse::<u8>().is_ok())
        }
        _ => !entry.is_empty(),
    }
}

fn rep_codecs_format(c: &Ctx, o: &mut Out) {
    for r in c.representations() {
        if let Some(cs) = c.doc.inherited(r, "codecs") {
            for one in cs.split(',').map(str::trim) {
                if !codecs_well_formed(one) {
                    o.at(
                        r,
                        "RFC 6381 codecs (avc1.PPCCLL, mp4a.40.2, …)",
                        one.to_string(),
                    );
                }
            }
        }
    }
}

fn rep_content_type(c: &Ctx, r: usize) -> Option<String> {
    c.doc
        .node(r)
        .parent
        .and_then(|a| content_type_of(c, a))
        .or_else(|| {
            c.doc
                .node(r)
                .attr("mimeType")
                .and_then(mime_content_type)
                .map(String::from)
        })
}

fn rep_video_size(c: &Ctx, o: &mut Out) {
    for r in c.representations() {
        if rep_content_type(c, r).as_deref() != Some("video") {
            continue;
        }
        for a in ["width", "height"] {
            let v = c.doc.inherited(r, a);
            if v.and_then(value::positive).is_none() {
                o.at(
                    r,
                    format!("@{a} a positive whole number"),
                    v.unwrap_or("missing").to_string(),
                );
            }
        }
    }
}

fn rep_frame_rate(c: &Ctx, o: &mut Out) {
    for name in ["AdaptationSet", "Representation"] {
        for n in c.doc.all(name).collect::<Vec<_>>() {
            for a in ["frameRate", "maxFrameRate"] {
                if let Some(v) = c.doc.node(n).attr(a) {
                    if value::frame_rate(v).is_none() {
                        o.at(n, format!("@{a} n or n/d"), v.to_string());
                    }
                }
            }
        }
    }
}

fn rep_sar(c: &Ctx, o: &mut Out) {
    check_ratio(c, o, "Representation", "sar");
    check_ratio(c, o, "AdaptationSet", "sar");
}

fn rep_audio_sampling_rate(c: &Ctx, o: &mut Out) {
    for r in c.representations() {
        if let Some(v) = c.doc.node(r).attr("audioSamplingRate") {
            // One rate, or a min and max separated by a space.
            if !v.split(' ').all(|x| value::positive(x).is_some()) {
                o.at(
                    r,
                    "@audioSamplingRate a positive whole number",
                    v.to_string(),
                );
            }
        }
    }
}

/// The nearest SegmentTemplate / SegmentList / SegmentBase of `r`, looking
/// at the Representation, its AdaptationSet, then its Period.
pub fn segment_info(doc: &Doc, r: usize, name: &str) -> Option<usize> {
    let mut at = Some(r);
    while let Some(n) = at {
        if let Some(s) = doc.child(n, name) {
            return Some(s);
        }
        if doc.node(n).name == "Period" {
            break;
        }
        at = doc.node(n).parent;
    }
    None
}

fn rep_segment_info(c: &Ctx, o: &mut Out) {
    for r in c.representations() {
        let has = ["SegmentTemplate", "SegmentList", "SegmentBase"]
            .iter()
            .any(|n| segment_info(c.doc, r, n).is_some())
            || c.doc.child(r, "BaseURL").is_some();
        if !has {
            o.at(
                r,
                "SegmentTemplate, SegmentList, SegmentBase or BaseURL",
                "none",
            );
        }
    }
}

fn seconds_of(c: &Ctx, st: usize, attr: &str) -> Option<f64> {
    let n = c.doc.node(st);
    let v: f64 = n.attr(attr)?.parse().ok()?;
    let ts: f64 = n.attr("timescale").and_then(value::positive).unwrap_or(1) as f64;
    Some(v / ts)
}

fn rep_tsbd_segment(c: &Ctx, o: &mut Out) {
    let Some(tsbd) = c
        .root()
        .attr("timeShiftBufferDepth")
        .and_then(value::duration_s)
    else {
        return;
    };
    if !c.dynamic {
        return;
    }
    for r in c.representations() {
        let Some(st) = segment_info(c.doc, r, "SegmentTemplate") else {
            continue;
        };
        if let Some(d) = seconds_of(c, st, "duration") {
            if tsbd <= d {
                o.at(
                    r,
                    format!("@timeShiftBufferDepth > {d} s (one segment)"),
                    format!("{tsbd} s"),
                );
            }
        }
    }
}

// ---------------------------------------------------------------- SegmentTemplate

fn templates(c: &Ctx) -> Vec<usize> {
    c.doc.all("SegmentTemplate").collect()
}

fn st_initialization(c: &Ctx, o: &mut Out) {
    for st in templates(c) {
        let n = c.doc.node(st);
        if n.attr("media").is_some()
            && n.attr("initialization").is_none()
            && c.doc.child(st, "Initialization").is_none()
        {
            o.at(st, "@initialization", "missing");
        }
    }
}

fn st_duration_or_timeline(c: &Ctx, o: &mut Out) {
    for st in templates(c) {
        let n = c.doc.node(st);
        if n.attr("media").is_some_and(|m| m.contains("$Number"))
            && n.attr("duration").is_none()
            && c.doc.child(st, "SegmentTimeline").is_none()
        {
            o.at(st, "@duration or SegmentTimeline", "neither");
        }
    }
}

const IDENTIFIERS: &[&str] = &[
    "RepresentationID",
    "Number",
    "Time",
    "Bandwidth",
    "SubNumber",
];

/// Why a template string is malformed, if it is.
fn template_error(t: &str) -> Option<String> {
    let mut parts = t.split('$');
    parts.next();
    let rest: Vec<&str> = parts.collect();
    if rest.len() % 2 != 0 {
        return Some("an unpaired $".into());
    }
    for id in rest.iter().step_by(2) {
        if id.is_empty() {
            continue;
        }
        let (name, fmt) = match id.split_once('%') {
            Some((n, f)) => (n, Some(f)),
            None => (*id, None),
        };
        if !IDENTIFIERS.contains(&name) {
            return Some(format!("${id}$"));
        }
        if let Some(f) = fmt {
            let ok = f.starts_with('0')
                && f.ends_with('d')
                && f[1..f.len() - 1].parse::<u8>().is_ok()
                && name != "RepresentationID";
            if !ok {
                return Some(format!("${id}$"));
            }
        }
    }
    None
}

fn st_identifiers(c: &Ctx, o: &mut Out) {
    for st in templates(c) {
        for a in ["media", "initialization", "index", "bitstreamSwitching"] {
            if let Some(e) = c.doc.node(st).attr(a).and_then(template_error) {
                o.at(st, format!("@{a} with Table 16 identifiers only"), e);
            }
        }
    }
}

fn st_number_and_time(c: &Ctx, o: &mut Out) {
    for st in templates(c) {
        if let Some(m) = c.doc.node(st).attr("media") {
            if m.contains("$Number") && m.contains("$Time") {
                o.at(st, "$Number$ or $Time$", m.to_string());
            }
        }
    }
}

fn st_time_needs_timeline(c: &Ctx, o: &mut Out) {
    for st in templates(c) {
        if c.doc
            .node(st)
            .attr("media")
            .is_some_and(|m| m.contains("$Time"))
            && c.doc.child(st, "SegmentTimeline").is_none()
        {
            o.at(st, "a SegmentTimeline for $Time$", "none");
        }
    }
}

fn st_init_identifiers(c: &Ctx, o: &mut Out) {
    for st in templates(c) {
        if let Some(i) = c.doc.node(st).attr("initialization") {
            if i.contains("$Number") || i.contains("$Time") {
                o.at(
                    st,
                    "@initialization without $Number$ or $Time$",
                    i.to_string(),
                );
            }
        }
    }
}

/// Reports every `attr` of the elements `names` whose value `valid` refuses.
fn check_attr(
    c: &Ctx,
    o: &mut Out,
    names: &[&str],
    attr: &str,
    valid: fn(&str) -> bool,
    expected: &str,
) {
    for name in names {
        for n in c.doc.all(name).collect::<Vec<_>>() {
            if let Some(v) = c.doc.node(n).attr(attr) {
                if !valid(v) {
                    o.at(n, expected, v.to_string());
                }
            }
        }
    }
}

fn is_positive(v: &str) -> bool {
    value::positive(v).is_some()
}

fn st_timescale(c: &Ctx, o: &mut Out) {
    let names = ["SegmentTemplate", "SegmentList", "SegmentBase"];
    check_attr(
        c,
        o,
        &names,
        "timescale",
        is_positive,
        "@timescale a positive whole number",
    );
}

fn st_duration(c: &Ctx, o: &mut Out) {
    let names = ["SegmentTemplate", "SegmentList"];
    check_attr(
        c,
        o,
        &names,
        "duration",
        is_positive,
        "@duration a positive whole number",
    );
}

fn st_start_number(c: &Ctx, o: &mut Out) {
    let names = ["SegmentTemplate", "SegmentList"];
    check_attr(
        c,
        o,
        &names,
        "startNumber",
        |v| v.parse::<u64>().is_ok(),
        "@startNumber a whole number",
    );
}

// ---------------------------------------------------------------- SegmentTimeline

fn timelines(c: &Ctx) -> Vec<usize> {
    c.doc.all("SegmentTimeline").collect()
}

fn tl_first_t(c: &Ctx, o: &mut Out) {
    for tl in timelines(c) {
        if let Some(s) = c.doc.child(tl, "S") {
            if c.doc.node(s).attr("t").is_none() {
                o.at(s, "@t on the first S", "missing");
            }
        }
    }
}

fn tl_d(c: &Ctx, o: &mut Out) {
    for s in c.doc.all("S").collect::<Vec<_>>() {
        let d = c.doc.node(s).attr("d");
        if d.and_then(value::positive).is_none() {
            o.at(
                s,
                "@d a positive whole number",
                d.unwrap_or("missing").to_string(),
            );
        }
    }
}

fn tl_r(c: &Ctx, o: &mut Out) {
    for s in c.doc.all("S").collect::<Vec<_>>() {
        if let Some(r) = c.doc.node(s).attr("r") {
            if !r.parse::<i64>().is_ok_and(|v| v >= -1) {
                o.at(s, "@r ≥ -1", r.to_string());
            }
        }
    }
}

/// `(S element, t, d, r)` of a timeline, `t` resolved from the previous
/// entries; `None` where a value does not parse (other rules say so).
pub fn timeline_entries(doc: &Doc, tl: usize) -> Vec<(usize, Option<u64>, u64, i64)> {
    doc.children(tl, "S")
        .filter_map(|s| {
            let n = doc.node(s);
            let d = n.attr("d")?.parse().ok()?;
            let r = n.attr("r").map_or(Some(0), |r| r.parse().ok())?;
            let t = n.attr("t").and_then(|t| t.parse().ok());
            Some((s, t, d, r))
        })
        .collect()
}

/// Steps through a timeline, calling `on_s(S, expected start, its @t)` for
/// every S that has a @t after the first.
fn walk_timeline(c: &Ctx, tl: usize, mut on_s: impl FnMut(usize, u64, u64)) {
    let mut end: Option<u64> = None;
    for (s, t, d, r) in timeline_entries(c.doc, tl) {
        if let (Some(e), Some(t)) = (end, t) {
            on_s(s, e, t);
        }
        let start = t.or(end).unwrap_or(0);
        // r = -1 runs to the next S or the Period end: the end is unknown.
        let count = u64::try_from(r.max(0)).unwrap_or(0).saturating_add(1);
        end = (r >= 0).then(|| start.saturating_add(d.saturating_mul(count)));
    }
}

fn tl_order(c: &Ctx, o: &mut Out) {
    for tl in timelines(c) {
        walk_timeline(c, tl, |s, end, t| {
            if t < end {
                o.at(s, format!("@t ≥ {end} (previous end)"), t.to_string());
            }
        });
    }
}

fn tl_gap(c: &Ctx, o: &mut Out) {
    for tl in timelines(c) {
        walk_timeline(c, tl, |s, end, t| {
            if t > end {
                o.at(s, format!("@t {end} (previous end)"), t.to_string());
            }
        });
    }
}

fn tl_covers_tsbd(c: &Ctx, o: &mut Out) {
    if !c.dynamic {
        return;
    }
    let Some(tsbd) = c
        .root()
        .attr("timeShiftBufferDepth")
        .and_then(value::duration_s)
    else {
        return;
    };
    for tl in timelines(c) {
        let Some(st) = c.doc.node(tl).parent else {
            continue;
        };
        let ts = c
            .doc
            .node(st)
            .attr("timescale")
            .and_then(value::positive)
            .unwrap_or(1) as f64;
        let ticks: u64 = timeline_entries(c.doc, tl)
            .iter()
            .map(|&(_, _, d, r)| d.saturating_mul(u64::try_from(r.max(0)).unwrap_or(0) + 1))
            .fold(0u64, u64::saturating_add);
        let listed = ticks as f64 / ts;
        // A stream younger than its window lists less: compare against the
        // time since availabilityStartTime when that is shorter.
        let age = c.opts.now_ms.zip(
            c.root()
                .attr("availabilityStartTime")
                .and_then(value::datetime_ms),
        );
        // The part of the window [now - tsbd, now] this timeline's Period
        // spans: in a multi-period MPD each Period lists its own share.
        let period = super::segments::period_of(c.doc, tl);
        let pstart = period
            .and_then(|p| c.doc.node(p).attr("start"))
            .and_then(value::duration_s)
            .unwrap_or(0.0);
        let plen = period.and_then(|p| super::segments::period_seconds(c.doc, p));
        let want = match age {
            Some((now, ast)) => {
                let now = (now - ast) as f64 / 1000.0;
                let end = plen.map_or(now, |l| now.min(pstart + l));
                (end - (now - tsbd).max(pstart)).max(0.0)
            }
            None => plen.map_or(tsbd, |l| tsbd.min(l)),
        };
        // One segment of slack: the newest may not be complete yet.
        let longest = timeline_entries(c.doc, tl)
            .iter()
            .map(|e| e.2)
            .max()
            .unwrap_or(0) as f64
            / ts;
        if listed + longest < want {
            o.at(
                tl,
                format!("≥ {want:.1} s of segments (@timeShiftBufferDepth)"),
                format!("{listed:.1} s"),
            );
        }
    }
}

// ---------------------------------------------------------------- SegmentList, SegmentBase, URLs

fn sl_media_range(c: &Ctx, o: &mut Out) {
    for u in c.doc.all("SegmentURL").collect::<Vec<_>>() {
        for a in ["mediaRange", "indexRange"] {
            if let Some(v) = c.doc.node(u).attr(a) {
                if value::byte_range(v).is_none() {
                    o.at(u, format!("@{a} first-last"), v.to_string());
                }
            }
        }
    }
}

fn sl_on_demand_ranges(c: &Ctx, o: &mut Out) {
    if !c.claims("urn:mpeg:dash:profile:isoff-on-demand") {
        return;
    }
    for u in c.doc.all("SegmentURL").collect::<Vec<_>>() {
        let n = c.doc.node(u);
        if n.attr("media").is_none() && n.attr("mediaRange").is_none() {
            o.at(u, "@mediaRange", "missing");
        }
    }
}

fn sb_ranges(c: &Ctx, o: &mut Out) {
    for (name, attr) in [
        ("SegmentBase", "indexRange"),
        ("Initialization", "range"),
        ("RepresentationIndex", "range"),
    ] {
        for n in c.doc.all(name).collect::<Vec<_>>() {
            if let Some(v) = c.doc.node(n).attr(attr) {
                if value::byte_range(v).is_none() {
                    o.at(n, format!("@{attr} first-last"), v.to_string());
                }
            }
        }
    }
}

/// A URL with a scheme other than http(s), or `None`.
fn bad_scheme(u: &str) -> Option<&str> {
    let (scheme, _) = u.split_once(':')?;
    let is_scheme = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !scheme.contains('/');
    (is_scheme && !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https"))
        .then_some(scheme)
}

fn url_scheme(c: &Ctx, o: &mut Out) {
    for b in c.doc.all("BaseURL").collect::<Vec<_>>() {
        if let Some(s) = bad_scheme(c.doc.node(b).text.trim()) {
            o.at(b, "http: or https: (or a relative URL)", format!("{s}:"));
        }
    }
    for u in c.doc.all("SegmentURL").collect::<Vec<_>>() {
        if let Some(s) = c.doc.node(u).attr("media").and_then(bad_scheme) {
            o.at(u, "http: or https: (or a relative URL)", format!("{s}:"));
        }
    }
}

// ---------------------------------------------------------------- Events

fn event_streams(c: &Ctx) -> Vec<usize> {
    c.doc.all("EventStream").collect()
}

fn ev_scheme(c: &Ctx, o: &mut Out) {
    for e in event_streams(c) {
        if c.doc.node(e).attr("schemeIdUri").is_none() {
            o.at(e, "@schemeIdUri", "missing");
        }
    }
}

fn ev_timescale(c: &Ctx, o: &mut Out) {
    check_attr(
        c,
        o,
        &["EventStream"],
        "timescale",
        is_positive,
        "@timescale a positive whole number",
    );
}

fn ev_id_unique(c: &Ctx, o: &mut Out) {
    unique_ids(c, o, "Event", "EventStream");
}

fn ev_base64(c: &Ctx, o: &mut Out) {
    for e in c.doc.all("Event").collect::<Vec<_>>() {
        let n = c.doc.node(e);
        if n.attr("contentEncoding") == Some("base64") && base64(&n.text).is_none() {
            o.at(
                e,
                "base64 content",
                n.text.chars().take(40).collect::<String>(),
            );
        }
    }
}

fn ev_message_data(c: &Ctx, o: &mut Out) {
    for e in c.doc.all("Event").collect::<Vec<_>>() {
        let n = c.doc.node(e);
        let content = !n.text.trim().is_empty() || !n.children.is_empty();
        if n.attr("messageData").is_some() && content {
            o.at(e, "@messageData or content", "both");
        }
    }
}

fn ev_inband_no_events(c: &Ctx, o: &mut Out) {
    for i in c.doc.all("InbandEventStream").collect::<Vec<_>>() {
        if let Some(e) = c.doc.child(i, "Event") {
            o.at(e, "no Event in an InbandEventStream", "Event");
        }
    }
}

/// Every Event of every SCTE-35 EventStream, with the stream's timescale
/// and the Event's section as base64 text (`None` when the Event has none
/// where its scheme puts it).
fn scte35_events(c: &Ctx) -> Vec<(usize, u64, Option<String>)> {
    let mut events = Vec::new();
    for s in event_streams(c) {
        let stream = c.doc.node(s);
        let scheme = stream.attr("schemeIdUri").unwrap_or_default();
        if !crate::scte35::is_scte35_scheme(scheme) {
            continue;
        }
        let timescale = stream
            .attr("timescale")
            .and_then(|t| t.parse().ok())
            .unwrap_or(1u64);
        for e in c.doc.children(s, "Event").collect::<Vec<_>>() {
            let text = if scheme.ends_with("xml+bin") {
                c.doc
                    .child(e, "Signal")
                    .and_then(|sig| c.doc.child(sig, "Binary"))
                    .map(|b| c.doc.node(b).text.clone())
            } else {
                let n = c.doc.node(e);
                n.attr("messageData")
                    .map(str::to_string)
                    .or_else(|| Some(n.text.clone()).filter(|t| !t.trim().is_empty()))
            };
            events.push((e, timescale, text));
        }
    }
    events
}

/// The splice_info_section an SCTE-35 Event holds, or why there is none.
fn scte35_section(text: Option<&str>) -> Result<crate::scte35::SpliceInfoSection, String> {
    let text = text.ok_or("no section (Signal/Binary or content)")?;
    let bytes = base64(text).ok_or("not base64")?;
    crate::scte35::SpliceInfoSection::decode(&bytes).map_err(|e| e.to_string())
}

fn ev_scte35(c: &Ctx, o: &mut Out) {
    for (e, _, text) in scte35_events(c) {
        if let Err(why) = scte35_section(text.as_deref()) {
            o.at(e, "a splice_info_section", why);
        }
    }
}

fn ev_scte35_duration(c: &Ctx, o: &mut Out) {
    use crate::scte35::SpliceCommand;
    for (e, timescale, text) in scte35_events(c) {
        let Ok(section) = scte35_section(text.as_deref()) else {
            continue; // ev.scte35 says why
        };
        let SpliceCommand::Insert(insert) = &section.command else {
            continue;
        };
        let Some(ticks) = insert
            .splice
            .as_ref()
            .and_then(|d| d.break_duration)
            .map(|b| b.duration)
        else {
            continue;
        };
        let Some(duration) = c
            .doc
            .node(e)
            .attr("duration")
            .and_then(|d| d.parse::<u64>().ok())
        else {
            continue;
        };
        // Event@duration in 90 kHz ticks, exactly: both sides are rounded
        // by their writers, so one tick either way is the same duration.
        let event_ticks = u128::from(duration) * 90_000 / u128::from(timescale.max(1));
        if event_ticks.abs_diff(u128::from(ticks)) > 1 {
            o.at(
                e,
                format!("break_duration {event_ticks} (Event@duration {duration}/{timescale} s)"),
                format!("break_duration {ticks} (90 kHz)"),
            );
        }
    }
}

// ---------------------------------------------------------------- PatchLocation, UTCTiming

fn patch_locations(c: &Ctx) -> Vec<usize> {
    c.doc.children(c.doc.root(), "PatchLocation").collect()
}

fn patch_static(c: &Ctx, o: &mut Out) {
    if !c.dynamic {
        for p in patch_locations(c) {
            o.at(p, "no PatchLocation in a static MPD", "PatchLocation");
        }
    }
}

fn patch_needs_id(c: &Ctx, o: &mut Out) {
    if let Some(&p) = patch_locations(c).first() {
        for a in ["id", "publishTime"] {
            if c.root().attr(a).is_none() {
                o.at(p, format!("MPD@{a} (patches name it)"), "missing");
            }
        }
    }
}

fn patch_ttl(c: &Ctx, o: &mut Out) {
    for p in patch_locations(c) {
        if let Some(t) = c.doc.node(p).attr("ttl") {
            if !t.parse::<f64>().is_ok_and(|v| v > 0.0) {
                o.at(p, "@ttl a positive number", t.to_string());
            }
        }
    }
}

fn patch_url(c: &Ctx, o: &mut Out) {
    for p in patch_locations(c) {
        let t = c.doc.node(p).text.trim();
        if t.is_empty() {
            o.at(p, "a URL", "empty");
        } else if let Some(s) = bad_scheme(t) {
            o.at(p, "http: or https: (or a relative URL)", format!("{s}:"));
        }
    }
}

fn utc_scheme(c: &Ctx, o: &mut Out) {
    for u in c.doc.all("UTCTiming").collect::<Vec<_>>() {
        if let Some(s) = c.doc.node(u).attr("schemeIdUri") {
            if !s.starts_with("urn:mpeg:dash:utc:") {
                o.at(u, "urn:mpeg:dash:utc:…", s.to_string());
            }
        }
    }
}

fn utc_dynamic(c: &Ctx, o: &mut Out) {
    if c.dynamic && c.doc.child(c.doc.root(), "UTCTiming").is_none() {
        o.at(0, "a UTCTiming element", "none");
    }
}

/// The rules as a Markdown table (docs/validator.md's body).
pub fn markdown_table() -> String {
    let mut s =
        String::from("| Rule | Severity | Element | Checks | Clause |\n|---|---|---|---|---|\n");
    for r in RULES {
        let sev = match r.severity {
            Error => "error",
            Warning => "warning",
        };
        s.push_str(&format!(
            "| `{}` | {sev} | {} | {} | {} |\n",
            r.id, r.element, r.summary, r.clause
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/validator.md");
    const MARK: &str = "<!-- rules: generated from src/validate/rules.rs -->\n";

    /// docs/validator.md lists the table as it is; `DASHLIVE_BLESS=1`
    /// rewrites it.
    #[test]
    fn the_docs_list_every_rule() {
        let text = std::fs::read_to_string(DOC).unwrap();
        let at = text.find(MARK).expect("the marker in docs/validator.md") + MARK.len();
        let want = format!("{}{}", &text[..at], markdown_table());
        if std::env::var_os("DASHLIVE_BLESS").is_some() {
            std::fs::write(DOC, &want).unwrap();
        }
        assert_eq!(
            text, want,
            "docs/validator.md is stale: DASHLIVE_BLESS=1 cargo test -p dashlive --lib validate"
        );
    }

    #[test]
    fn ids_are_unique_and_every_id_the_code_names_is_a_row() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate rule ids");
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/validate");
        for f in [
            "segments.rs",
            "schema.rs",
            "rules.rs",
            "mod.rs",
            "patch.rs",
            "live.rs",
        ] {
            let src = std::fs::read_to_string(format!("{dir}/{f}")).unwrap();
            for (i, _) in src.match_indices("rule(\"") {
                let rest = &src[i + 6..];
                let id = &rest[..rest.find('"').unwrap()];
                assert!(ids.contains(&id), "{f} names {id}, which is not in RULES");
            }
            for (i, _) in src.match_indices("seen.add(\"") {
                let rest = &src[i + 10..];
                let id = &rest[..rest.find('"').unwrap()];
                assert!(ids.contains(&id), "{f} names {id}, which is not in RULES");
            }
        }
    }
}
