//! The validator as the oracle of our own output: every combination of the
//! options that shape a manifest (the matrix's core product, for every
//! template and mode, with and without DRM), rendered through the request
//! pipeline the origin uses, validates without an error; a built test-card
//! tree validates in full, every segment read from disk; and each fault the
//! server can make in a segment is reported by the rule that names it.

mod common;

use std::path::{Path, PathBuf};

use dashlive::mpd::registry::{Mode, MANIFESTS};
use dashlive::validate::{has_errors, Finding, Options, Severity, Validator};

fn errors(f: &[Finding]) -> Vec<String> {
    f.iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.to_string())
        .collect()
}

/// The matrix's core options for a template and mode (see tests/e2e/matrix.py).
/// Event options added to every clear combination.
const EVENTS: &[&str] = &[
    "events=ping,scte35&ping__inband=0&scte35__inband=0&ping__count=4&scte35__count=4",
    "events=ping,scte35",
];

fn queries(mode: Mode) -> Vec<String> {
    let mut out = Vec::new();
    let times: &[&str] = if mode == Mode::Live {
        &[
            "", "direct", "head", "http-ntp", "iso", "ntp", "sntp", "xsd",
        ]
    } else {
        &[""]
    };
    let timelines: &[&str] = if mode == Mode::Odvod {
        &["0"]
    } else {
        &["0", "1"]
    };
    for timeline in timelines {
        for abr in ["1", "0"] {
            for acodec in ["mp4a", "ec-3", "any"] {
                for base in ["1", "0"] {
                    for time in times {
                        for drm in ["", "all", "playready", "marlin", "clearkey"] {
                            let mut q = format!(
                                "timeline={timeline}&abr={abr}&acodec={acodec}&base={base}"
                            );
                            if !time.is_empty() {
                                q.push_str(&format!("&time={time}"));
                            }
                            if !drm.is_empty() {
                                q.push_str(&format!("&drm={drm}"));
                            }
                            if drm.is_empty() {
                                // The events issue's options: MPD EventStreams
                                // (SCTE-35 sections decoded and timed) and
                                // InbandEventStreams.
                                for events in EVENTS {
                                    out.push(format!("{q}&{events}"));
                                }
                                // MPD patches (a PatchLocation in the MPD).
                                if mode == Mode::Live {
                                    out.push(format!("{q}&patch=1"));
                                }
                            }
                            out.push(q);
                        }
                    }
                }
            }
        }
    }
    out
}

/// What a vendor template does on purpose, as dash-live's golden file of it
/// does, and the validator rightly reports: (template, mode, rule, why).
const QUIRKS: &[(&str, Mode, &str, &str)] = &[
    (
        "manifest_h",
        Mode::Live,
        "mpd.dynamic-publish-time",
        "the vendor's live MPD has no publishTime (golden manifest_h_live.mpd)",
    ),
    (
        "manifest_i",
        Mode::Live,
        "mpd.dynamic-publish-time",
        "the vendor's live MPD has no publishTime (golden manifest_i_live.mpd)",
    ),
];

#[test]
fn every_manifest_combination_validates_without_error() {
    let Some(dir) = common::bbb_dir("every_manifest_combination_validates") else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    let mut count = 0;
    let mut with_scte35 = 0;
    let mut with_patch = 0;
    let mut failures = Vec::new();
    for def in MANIFESTS {
        for &mode in [Mode::Vod, Mode::Live, Mode::Odvod]
            .iter()
            .filter(|m| def.supports(**m))
        {
            for q in queries(mode) {
                let m = common::render_bbb_query(&reps, def.name, mode, &q, common::GOLDEN_NOW_MS);
                let url = format!(
                    "http://unit.test/dash/{}/bbb/{}.mpd?{q}",
                    mode.as_str(),
                    def.name
                );
                let opts = Options {
                    // A template that does not honour drm lists the clear copies.
                    encrypted: q.contains("drm=") && def.features.contains(&"drmSelection"),
                    now_ms: Some(common::GOLDEN_NOW_MS),
                    ..Options::default()
                };
                if m.xml.contains("<scte35:Binary>") {
                    with_scte35 += 1;
                }
                if m.xml.contains("<PatchLocation") {
                    with_patch += 1;
                }
                let v = Validator::new(m.xml.into_bytes(), &url, opts);
                let e: Vec<String> = v
                    .check_manifest()
                    .iter()
                    .filter(|f| f.severity == Severity::Error)
                    .filter(|f| {
                        !QUIRKS
                            .iter()
                            .any(|(t, m, r, _)| *t == def.name && *m == mode && *r == f.rule)
                    })
                    .map(|f| f.to_string())
                    .collect();
                count += 1;
                if !e.is_empty() {
                    failures.push(format!("{url}\n  {}", e.join("\n  ")));
                }
            }
        }
    }
    println!(
        "{count} manifests validated, {with_scte35} with SCTE-35 events in the MPD, \
         {with_patch} with a PatchLocation"
    );
    assert!(with_patch >= 50, "{with_patch}");
    assert!(count > 1000, "{count}");
    assert!(with_scte35 >= 50, "{with_scte35}");
    assert!(
        failures.is_empty(),
        "{} of {count} fail:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A built tree of a small generated test card: (temp dir, out folder).
fn card_tree() -> &'static (tempfile::TempDir, PathBuf) {
    static T: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        let mut o = dashlive::media::synth::SynthOptions::new(media);
        o.duration_ms = 3840;
        o.segment_ms = 960;
        o.ladder = dashlive::media::synth::parse_ladder("320x180@300k").unwrap();
        o.prefix = "card".into();
        dashlive::media::synth::synth(&o).unwrap();
        let config = dir.path().join("config");
        std::fs::create_dir_all(config.join("streams")).unwrap();
        std::fs::write(
            config.join("streams/card.yaml"),
            "directory: card\ntitle: Test card\nmedia:\n  - ../../media/card_180p.mp4\n  - ../../media/card_aac.mp4\n  - ../../media/card_ttml.mp4\ntiming_ref: card_180p\n",
        )
        .unwrap();
        let out = dir.path().join("out");
        dashlive::build::build(&config, Some(&out)).unwrap();
        (dir, out)
    })
}

fn validate_file(path: &Path) -> Vec<Finding> {
    let url = path.to_string_lossy().into_owned();
    let v = Validator::new(
        std::fs::read(path).unwrap(),
        &url,
        Options {
            connections: 4,
            ..Options::default()
        },
    );
    let mut f = v.check_manifest();
    f.extend(v.check_segments(&dashlive::validate::fetch::Web::default(), &|_, _| {}));
    f
}

#[test]
fn the_built_tree_validates_in_full() {
    let (_, out) = card_tree();
    let mut n = 0;
    for e in walkdir::WalkDir::new(out.join("dash")) {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "mpd") {
            let f = validate_file(e.path());
            assert!(!has_errors(&f), "{}: {:#?}", e.path().display(), errors(&f));
            n += 1;
        }
    }
    println!("{n} built manifests validated with their segments");
    assert!(n >= 8, "{n}");
}

/// A copy of the tree's VOD test card with `fault` done to it; the rule ids
/// the validator then reports.
fn rules_after(fault: impl FnOnce(&Path)) -> Vec<&'static str> {
    let (_, out) = card_tree();
    let copy = tempfile::tempdir().unwrap();
    let src = out.join("dash/vod/card");
    for e in walkdir::WalkDir::new(&src) {
        let e = e.unwrap();
        let to = copy.path().join(e.path().strip_prefix(&src).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    fault(copy.path());
    let f = validate_file(&copy.path().join("hand_made.mpd"));
    let mut ids: Vec<&'static str> = f
        .iter()
        .filter(|f| f.severity == Severity::Error || f.rule == "media.sequence")
        .map(|f| f.rule)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[test]
fn a_deleted_segment_is_a_fetch_error() {
    assert_eq!(
        rules_after(|d| std::fs::remove_file(d.join("card_180p/2.m4v")).unwrap()),
        ["seg.fetch"]
    );
}

#[test]
fn a_corrupted_segment_is_a_parse_error() {
    let ids = rules_after(|d| {
        let p = d.join("card_180p/2.m4v");
        let mut b = std::fs::read(&p).unwrap();
        b[0..4].copy_from_slice(&[0xff; 4]);
        std::fs::write(p, b).unwrap();
    });
    assert_eq!(ids, ["seg.parse"]);
}

#[test]
fn a_segment_in_the_wrong_place_breaks_timing_and_numbering() {
    let ids = rules_after(|d| {
        std::fs::copy(d.join("card_180p/1.m4v"), d.join("card_180p/3.m4v"))
            .map(|_| ())
            .unwrap()
    });
    assert!(
        ids.contains(&"media.tfdt") && ids.contains(&"media.sequence"),
        "{ids:?}"
    );
}

#[test]
fn a_wrong_codecs_attribute_is_reported_against_the_init_segment() {
    let ids = rules_after(|d| {
        let p = d.join("hand_made.mpd");
        let t = regex_like_replace(&std::fs::read_to_string(&p).unwrap());
        std::fs::write(p, t).unwrap();
    });
    assert_eq!(ids, ["init.codecs"]);
}

/// Gives the first video Representation a different (well-formed) codecs.
fn regex_like_replace(t: &str) -> String {
    let at = t.find("codecs=\"avc1.").unwrap() + "codecs=\"avc1.".len();
    format!("{}4D401E{}", &t[..at], &t[at + 6..])
}

#[test]
fn a_broken_timeline_is_reported() {
    let ids = rules_after(|d| {
        let p = d.join("hand_made.mpd");
        let t = std::fs::read_to_string(&p).unwrap();
        // Segments listed three times as long as they are.
        let at = t.find("duration=\"").unwrap() + "duration=\"".len();
        let end = at + t[at..].find('"').unwrap();
        let d: u64 = t[at..end].parse().unwrap();
        std::fs::write(p, format!("{}{}{}", &t[..at], d * 3, &t[end..])).unwrap();
    });
    assert!(
        ids.contains(&"media.tfdt") && ids.contains(&"media.duration"),
        "{ids:?}"
    );
}

/// The value of `attr="…"` after the first `after` in `text`.
fn attr_after(text: &str, after: &str, attr: &str) -> String {
    let from = text.find(after).unwrap();
    let key = format!("{attr}=\"");
    let at = from + text[from..].find(&key).unwrap() + key.len();
    text[at..at + text[at..].find('"').unwrap()].to_string()
}

/// The video of the card with its third segment left out (the fourth in its
/// place), under a timeline that lists the gap: `gap_listed` false lists
/// the segments as abutting instead.
fn gap_findings(gap_listed: bool) -> Vec<Finding> {
    let (_, out) = card_tree();
    let built = std::fs::read_to_string(out.join("dash/vod/card/hand_made.mpd")).unwrap();
    let ts: u64 = attr_after(&built, "<SegmentTemplate", "timescale")
        .parse()
        .unwrap();
    let d: u64 = attr_after(&built, "<SegmentTemplate", "duration")
        .parse()
        .unwrap();
    let codecs = attr_after(&built, "<Representation id=\"card_180p\"", "codecs");
    let copy = tempfile::tempdir().unwrap();
    let rep = copy.path().join("card_180p");
    std::fs::create_dir_all(&rep).unwrap();
    let src = out.join("dash/vod/card/card_180p");
    for (from, to) in [("init", "init"), ("1", "1"), ("2", "2"), ("4", "3")] {
        std::fs::copy(
            src.join(format!("{from}.m4v")),
            rep.join(format!("{to}.m4v")),
        )
        .unwrap();
    }
    let third = if gap_listed { 3 * d } else { 2 * d };
    let mpd = format!(
        r#"<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" profiles="urn:mpeg:dash:profile:isoff-live:2011" mediaPresentationDuration="PT3.84S" minBufferTime="PT2S">
  <Period id="p0" start="PT0S">
    <AdaptationSet id="1" contentType="video" mimeType="video/mp4" segmentAlignment="true">
      <SegmentTemplate timescale="{ts}" startNumber="1" initialization="$RepresentationID$/init.m4v" media="$RepresentationID$/$Number$.m4v">
        <SegmentTimeline><S t="0" d="{d}" r="1"/><S t="{third}" d="{d}"/></SegmentTimeline>
      </SegmentTemplate>
      <Representation id="card_180p" codecs="{codecs}" width="320" height="180" bandwidth="300000"/>
    </AdaptationSet>
  </Period>
</MPD>
"#
    );
    let path = copy.path().join("gap.mpd");
    std::fs::write(&path, mpd).unwrap();
    validate_file(&path)
}

#[test]
fn a_gap_the_timeline_lists_is_no_error_and_one_it_hides_is() {
    let listed = gap_findings(true);
    assert!(!has_errors(&listed), "{:#?}", errors(&listed));
    let hidden: Vec<&str> = gap_findings(false)
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.rule)
        .collect();
    assert!(hidden.contains(&"media.tfdt"), "{hidden:?}");
}
