//! The mutation test of the manifest rules: two golden manifests (a live
//! one and an on-demand one) that draw no finding at all, each broken one
//! rule at a time by a textual edit; every broken copy must be caught by the
//! rule it breaks.

use base64::Engine;
use dashlive::drm::pssh::{system, Pssh};
use dashlive::validate::{Options, Validator};

const KID: &str = "c001de8e-567b-5fcf-bc22-c565ed5bda24";

/// A PlayReady Object holding one WRMHEADER of `version`.
fn pro(version: &str) -> Vec<u8> {
    let xml = format!("<WRMHEADER xmlns=\"http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader\" version=\"{version}\"><DATA></DATA></WRMHEADER>");
    let utf16: Vec<u8> = xml.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let mut out = Vec::new();
    out.extend_from_slice(&((10 + utf16.len()) as u32).to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&(utf16.len() as u16).to_le_bytes());
    out.extend_from_slice(&utf16);
    out
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn live() -> String {
    let pro = pro("4.1.0.0");
    let pssh = Pssh {
        system_id: system::PLAYREADY,
        kids: None,
        data: pro.clone(),
    }
    .to_box();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:cenc="urn:mpeg:cenc:2013" xmlns:mspr="urn:microsoft:playready" id="live1" type="dynamic" profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:dvb:dash:profile:dvb-dash:2014" availabilityStartTime="2026-01-01T00:00:00Z" publishTime="2026-01-01T00:01:00Z" minimumUpdatePeriod="PT8S" timeShiftBufferDepth="PT60S" minBufferTime="PT2S">
  <PatchLocation ttl="60">patch.mpp</PatchLocation>
  <Period id="p0" start="PT0S">
    <EventStream schemeIdUri="urn:example:events" timescale="1000">
      <Event id="1" presentationTime="0" duration="1000" contentEncoding="base64">aGVsbG8=</Event>
      <Event id="2" presentationTime="2000" duration="1000" messageData="x"/>
    </EventStream>
    <EventStream schemeIdUri="urn:scte:scte35:2014:xml+bin" timescale="1000">
      <Event id="7" presentationTime="4000" duration="20000"><scte35:Signal xmlns:scte35="http://www.scte.org/schemas/35/2016"><scte35:Binary>/DAlAAAAAAAA///wFAUAAATSf+/+AAAAAP4AG3dAAAEAAAAAjPiGog==</scte35:Binary></scte35:Signal></Event>
    </EventStream>
    <AdaptationSet id="1" contentType="video" mimeType="video/mp4" segmentAlignment="true" par="16:9">
      <ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc" cenc:default_KID="{KID}"/>
      <ContentProtection schemeIdUri="urn:uuid:9a04f079-9840-4286-ab92-e65be0885f95" value="MSPR 2.0">
        <cenc:pssh>{pssh}</cenc:pssh>
        <mspr:pro>{pro}</mspr:pro>
      </ContentProtection>
      <InbandEventStream schemeIdUri="urn:example:inband" value="1"/>
      <SegmentTemplate timescale="25000" initialization="$RepresentationID$/init.m4v" media="$RepresentationID$/$Time$.m4v">
        <SegmentTimeline>
          <S t="0" d="100000" r="5"/>
          <S t="600000" d="100000" r="8"/>
        </SegmentTimeline>
      </SegmentTemplate>
      <Representation id="v1" codecs="avc1.64001F" width="1280" height="720" frameRate="25" sar="1:1" bandwidth="500000"/>
      <Representation id="v2" codecs="avc1.64001E" width="640" height="360" frameRate="25" sar="1:1" bandwidth="300000"/>
    </AdaptationSet>
    <AdaptationSet id="2" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" lang="en">
      <ContentComponent id="1" contentType="audio" lang="en"/>
      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="main"/>
      <SegmentTemplate timescale="48000" duration="192000" startNumber="1" initialization="$RepresentationID$/init.m4a" media="$RepresentationID$/$Number$.m4a"/>
      <Representation id="a1" codecs="mp4a.40.2" audioSamplingRate="48000" bandwidth="128000"/>
    </AdaptationSet>
  </Period>
  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-xsdate:2014" value="https://time.example/"/>
</MPD>
"#,
        pssh = b64(&pssh),
        pro = b64(&pro),
    )
}

const ON_DEMAND: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011" mediaPresentationDuration="PT16S" minBufferTime="PT2S">
  <Period id="p0" start="PT0S" duration="PT8S">
    <AdaptationSet id="1" contentType="video" mimeType="video/mp4">
      <Representation id="v1" codecs="avc1.64001F" width="1280" height="720" bandwidth="500000">
        <BaseURL>v.mp4</BaseURL>
        <SegmentList timescale="25000" duration="100000">
          <Initialization range="0-99"/>
          <SegmentURL mediaRange="100-199"/>
          <SegmentURL mediaRange="200-299"/>
        </SegmentList>
      </Representation>
    </AdaptationSet>
  </Period>
  <Period id="p1" start="PT8S">
    <AdaptationSet id="1" contentType="video" mimeType="video/mp4">
      <Representation id="v1" codecs="avc1.64001F" width="1280" height="720" bandwidth="500000">
        <BaseURL>w.mp4</BaseURL>
        <SegmentBase indexRange="100-199"><Initialization range="0-99"/></SegmentBase>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"#;

const URL: &str = "http://unit.test/dash/live/x/m.mpd";

/// (rule, golden (L live, D on demand), edit from, edit to, --encrypted,
/// manifest URL)
type Mutation = (
    &'static str,
    bool,
    &'static str,
    &'static str,
    bool,
    &'static str,
);

const L: bool = true;
const D: bool = false;

const MUTATIONS: &[Mutation] = &[
    ("xml.well-formed", L, "</Period>", "", L, URL),
    ("mpd.root", L, "MPD", "MPX", L, URL),
    ("mpd.period", D, "Period", "Perio", L, URL),
    ("mpd.profiles", L, "profiles=\"urn:mpeg:dash:profile:isoff-live:2011,urn:dvb:dash:profile:dvb-dash:2014\"", "profiles=\"\"", L, URL),
    ("mpd.min-buffer-time", L, " minBufferTime=\"PT2S\"", "", L, URL),
    ("mpd.type", L, "type=\"dynamic\"", "type=\"live\"", L, URL),
    ("mpd.durations", L, "timeShiftBufferDepth=\"PT60S\"", "timeShiftBufferDepth=\"60s\"", L, URL),
    ("mpd.datetimes", L, "publishTime=\"2026-01-01T00:01:00Z\"", "publishTime=\"yesterday\"", L, URL),
    ("mpd.dynamic-ast", L, " availabilityStartTime=\"2026-01-01T00:00:00Z\"", "", L, URL),
    ("mpd.dynamic-publish-time", L, " publishTime=\"2026-01-01T00:01:00Z\"", "", L, URL),
    ("mpd.dynamic-tsbd", L, " timeShiftBufferDepth=\"PT60S\"", "", L, URL),
    ("mpd.dynamic-no-duration", L, "minBufferTime=\"PT2S\"", "minBufferTime=\"PT2S\" mediaPresentationDuration=\"PT60S\"", L, URL),
    ("mpd.static-duration", D, " mediaPresentationDuration=\"PT16S\"", "", L, URL),
    ("mpd.static-no-mup", D, "minBufferTime=\"PT2S\"", "minBufferTime=\"PT2S\" minimumUpdatePeriod=\"PT8S\"", L, URL),
    ("mpd.static-no-ast", D, "profiles=\"urn:mpeg:dash:profile:isoff-on-demand:2011\"", "profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" availabilityStartTime=\"2026-01-01T00:00:00Z\"", L, URL),
    ("mpd.period-continuity", D, "<Period id=\"p1\" start=\"PT8S\">", "<Period id=\"p1\" start=\"PT9S\">", L, URL),
    ("period.id-dynamic", L, "<Period id=\"p0\" start=\"PT0S\">", "<Period start=\"PT0S\">", L, URL),
    ("period.id-unique", D, "<Period id=\"p1\"", "<Period id=\"p0\"", L, URL),
    ("period.adaptation-set", L, "  <UTCTiming", "  <Period id=\"p2\" start=\"PT100S\"/>\n  <UTCTiming", L, URL),
    ("as.content-type", L, "contentType=\"video\"", "contentType=\"movie\"", L, URL),
    ("as.mime-type", L, " mimeType=\"audio/mp4\"", "", L, URL),
    ("as.mime-matches-type", L, "<AdaptationSet id=\"2\" contentType=\"audio\"", "<AdaptationSet id=\"2\" contentType=\"video\"", L, URL),
    ("as.id-unique", L, "<AdaptationSet id=\"2\"", "<AdaptationSet id=\"1\"", L, URL),
    ("as.lang", L, "segmentAlignment=\"true\" lang=\"en\"", "segmentAlignment=\"true\" lang=\"english!\"", L, URL),
    ("as.par", L, "par=\"16:9\"", "par=\"16/9\"", L, URL),
    ("as.segment-alignment", L, "mimeType=\"video/mp4\" segmentAlignment=\"true\"", "mimeType=\"video/mp4\" segmentAlignment=\"false\"", L, URL),
    ("as.default-kid", L, " cenc:default_KID=\"c001de8e-567b-5fcf-bc22-c565ed5bda24\"", "", L, URL),
    ("as.encrypted", L, "<ContentProtection schemeIdUri=\"urn:mpeg:dash:mp4protection:2011\" value=\"cenc\" cenc:default_KID=\"c001de8e-567b-5fcf-bc22-c565ed5bda24\"/>", "", L, URL),
    ("as.clear", L, "", "", D, URL),
    ("dvb.audio-role", L, "<Role schemeIdUri=\"urn:mpeg:dash:role:2011\" value=\"main\"/>", "", L, URL),
    ("cc.lang", L, "<ContentComponent id=\"1\" contentType=\"audio\" lang=\"en\"/>", "<ContentComponent id=\"1\" contentType=\"audio\" lang=\"12345678901\"/>", L, URL),
    ("cc.content-type", L, "<ContentComponent id=\"1\" contentType=\"audio\"", "<ContentComponent id=\"1\" contentType=\"text\"", L, URL),
    ("cc.par", L, "lang=\"en\"/>", "lang=\"en\" par=\"4-3\"/>", L, URL),
    ("descriptor.scheme", L, "<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-xsdate:2014\"", "<UTCTiming", L, URL),
    ("cp.mp4protection-value", L, "value=\"cenc\"", "value=\"aes\"", L, URL),
    ("cp.uuid-scheme", L, "urn:uuid:9a04f079-9840-4286-ab92-e65be0885f95", "urn:playready", L, URL),
    ("cp.default-kid-format", L, "cenc:default_KID=\"c001de8e-567b-5fcf-bc22-c565ed5bda24\"", "cenc:default_KID=\"1234\"", L, URL),
    ("cp.default-kid-consistent", L, "<InbandEventStream", "<ContentProtection schemeIdUri=\"urn:mpeg:dash:mp4protection:2011\" value=\"cenc\" cenc:default_KID=\"1ab45440-532c-4399-94dc-5c5ad9584bac\"/>\n      <InbandEventStream", L, URL),
    ("cp.pssh", L, "<cenc:pssh>", "<cenc:pssh>AAAA", L, URL),
    ("cp.pro", L, "<mspr:pro>", "<mspr:pro>QUJD", L, URL),
    ("cp.pro-version", L, "", "", L, "http://unit.test/dash/live/x/m.mpd?playready__version=1.0"),
    ("rep.id", L, "<Representation id=\"a1\"", "<Representation id=\"a 1\"", L, URL),
    ("rep.id-unique", L, "<Representation id=\"v2\"", "<Representation id=\"v1\"", L, URL),
    ("rep.bandwidth", L, "bandwidth=\"500000\"", "bandwidth=\"-5\"", L, URL),
    ("rep.codecs", L, " codecs=\"mp4a.40.2\"", "", L, URL),
    ("rep.codecs-format", L, "avc1.64001F", "avc1.64001", L, URL),
    ("rep.video-size", L, " width=\"1280\"", "", L, URL),
    ("rep.frame-rate", L, "frameRate=\"25\"", "frameRate=\"25fps\"", L, URL),
    ("rep.sar", L, "sar=\"1:1\"", "sar=\"1\"", L, URL),
    ("rep.audio-sampling-rate", L, "audioSamplingRate=\"48000\"", "audioSamplingRate=\"48kHz\"", L, URL),
    ("rep.segment-info", L, "<SegmentTemplate timescale=\"48000\"", "<SegmentTemplat timescale=\"48000\"", L, URL),
    ("rep.tsbd-segment", L, "timeShiftBufferDepth=\"PT60S\"", "timeShiftBufferDepth=\"PT3S\"", L, URL),
    ("st.initialization", L, " initialization=\"$RepresentationID$/init.m4a\"", "", L, URL),
    ("st.duration-or-timeline", L, " duration=\"192000\"", "", L, URL),
    ("st.identifiers", L, "$RepresentationID$/$Number$.m4a", "$RepresentationID$/$Num$.m4a", L, URL),
    ("st.number-and-time", L, "$RepresentationID$/$Time$.m4v", "$RepresentationID$/$Number$-$Time$.m4v", L, URL),
    ("st.time-needs-timeline", L, "$RepresentationID$/$Number$.m4a", "$RepresentationID$/$Time$.m4a", L, URL),
    ("st.init-identifiers", L, "$RepresentationID$/init.m4a", "$RepresentationID$/init$Number$.m4a", L, URL),
    ("st.timescale", L, "timescale=\"48000\"", "timescale=\"0\"", L, URL),
    ("st.duration", L, "duration=\"192000\"", "duration=\"-1\"", L, URL),
    ("st.start-number", L, "startNumber=\"1\"", "startNumber=\"one\"", L, URL),
    ("tl.first-t", L, "<S t=\"0\" ", "<S ", L, URL),
    ("tl.d", L, "<S t=\"0\" d=\"100000\"", "<S t=\"0\" d=\"0\"", L, URL),
    ("tl.r", L, "r=\"5\"", "r=\"-3\"", L, URL),
    ("tl.order", L, "<S t=\"600000\"", "<S t=\"500000\"", L, URL),
    ("tl.gap", L, "<S t=\"600000\"", "<S t=\"700000\"", L, URL),
    ("tl.covers-tsbd", L, "timeShiftBufferDepth=\"PT60S\"", "timeShiftBufferDepth=\"PT600S\"", L, URL),
    ("sl.media-range", D, "mediaRange=\"100-199\"", "mediaRange=\"199-100\"", L, URL),
    ("sl.on-demand-ranges", D, "<SegmentURL mediaRange=\"100-199\"/>", "<SegmentURL/>", L, URL),
    ("sb.ranges", D, "indexRange=\"100-199\"", "indexRange=\"100\"", L, URL),
    ("url.scheme", D, "<BaseURL>v.mp4</BaseURL>", "<BaseURL>ftp://x/v.mp4</BaseURL>", L, URL),
    ("ev.scheme", L, "<EventStream schemeIdUri=\"urn:example:events\"", "<EventStream", L, URL),
    ("ev.timescale", L, "timescale=\"1000\"", "timescale=\"0\"", L, URL),
    ("ev.id-unique", L, "<Event id=\"2\"", "<Event id=\"1\"", L, URL),
    ("ev.base64", L, ">aGVsbG8=<", ">!!!<", L, URL),
    ("ev.message-data", L, "messageData=\"x\"/>", "messageData=\"x\">text</Event>", L, URL),
    ("ev.scte35", L, "AAEAAAAAjPiGog==", "AAEAAAAAjPiGoA==", L, URL),
    ("ev.scte35-duration", L, "presentationTime=\"4000\" duration=\"20000\"", "presentationTime=\"4000\" duration=\"30000\"", L, URL),
    ("ev.inband-no-events", L, "<InbandEventStream schemeIdUri=\"urn:example:inband\" value=\"1\"/>", "<InbandEventStream schemeIdUri=\"urn:example:inband\" value=\"1\"><Event id=\"9\"/></InbandEventStream>", L, URL),
    ("patch.static", D, "  <Period id=\"p0\"", "  <PatchLocation>p.mpp</PatchLocation>\n  <Period id=\"p0\"", L, URL),
    ("patch.needs-id", L, " id=\"live1\"", "", L, URL),
    ("patch.ttl", L, "ttl=\"60\"", "ttl=\"never\"", L, URL),
    ("patch.url", L, ">patch.mpp<", ">ftp://x/patch.mpp<", L, URL),
    ("utc.scheme", L, "urn:mpeg:dash:utc:http-xsdate:2014", "urn:time", L, URL),
    ("utc.dynamic", L, "<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-xsdate:2014\" value=\"https://time.example/\"/>", "", L, URL),
];

fn rules_of(xml: &str, encrypted: bool, url: &str) -> Vec<&'static str> {
    let v = Validator::new(
        xml.as_bytes().to_vec(),
        url,
        Options {
            encrypted,
            ..Options::default()
        },
    );
    v.check_manifest().iter().map(|f| f.rule).collect()
}

#[test]
fn the_golden_manifests_draw_no_finding() {
    let l = Validator::new(
        live().into_bytes(),
        URL,
        Options {
            encrypted: true,
            ..Options::default()
        },
    );
    assert_eq!(l.check_manifest(), []);
    let d = Validator::new(ON_DEMAND.as_bytes().to_vec(), URL, Options::default());
    assert_eq!(d.check_manifest(), []);
}

#[test]
fn every_mutation_is_caught_by_the_rule_it_breaks() {
    let live = live();
    let mut missed = Vec::new();
    for (rule, is_live, from, to, encrypted, url) in MUTATIONS {
        let golden = if *is_live { live.as_str() } else { ON_DEMAND };
        assert!(golden.contains(from), "{rule}: the golden has no {from:?}");
        // Every occurrence: an element renamed is renamed in its end tag too.
        let broken = golden.replace(from, to);
        let got = rules_of(&broken, *encrypted, url);
        if !got.contains(rule) {
            missed.push(format!("{rule}: got {got:?}"));
        }
    }
    println!("{} mutations", MUTATIONS.len());
    assert!(MUTATIONS.len() >= 50);
    assert!(missed.is_empty(), "missed:\n{}", missed.join("\n"));
}

#[test]
fn every_manifest_rule_has_a_mutation() {
    use dashlive::validate::rules::{Check, RULES};
    let untested: Vec<&str> = RULES
        .iter()
        .filter(|r| matches!(r.check, Check::Manifest(_)))
        .map(|r| r.id)
        .filter(|id| !MUTATIONS.iter().any(|m| m.0 == *id))
        .collect();
    assert!(untested.is_empty(), "{untested:?}");
}
