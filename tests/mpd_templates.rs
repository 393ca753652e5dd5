//! The eight vendor manifest templates, rendered for the BBB stream in every
//! static mode each supports: well-formed, valid against the DASH schema but
//! for each vendor's known quirks (which are checked to be the only errors),
//! and the same shape as dash-live's golden file but for the deliberate
//! differences listed here, each with its reason. docs/templates.md lists
//! every quirk decision.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, Writer};

use dashlive::media::Representation;
use dashlive::mpd::registry::{find, Mode, MANIFESTS};
use dashlive::mpd::render::Renderer;

const DASH_NS: &str = "{urn:mpeg:dash:schema:mpd:2011}";

// ---------------------------------------------------------------- cases

/// A schema error a template keeps on purpose, and how to take it out of a
/// copy so that the rest of the manifest can be validated.
struct Quirk {
    /// Text every xmllint error line of this quirk contains.
    error: &'static str,
    strip: Strip,
}

enum Strip {
    /// Drop the attribute from every element of that name.
    Attr {
        element: &'static str,
        attr: &'static str,
    },
    /// Drop every element of that name, with its content.
    Element(&'static str),
}

/// A deliberate difference from the golden file's shape, as an edit that
/// turns the golden shape into ours.
struct Difference {
    reason: &'static str,
    edit: Edit,
}

enum Edit {
    /// Move the element(s) at `path` to the end of their parent.
    MoveToEnd { path: &'static str },
    /// Give the root element an attribute the golden file lacks.
    AddRootAttr { attr: &'static str },
    /// Give the elements at `path` an attribute the golden file lacks.
    AddAttr {
        path: &'static str,
        attr: &'static str,
    },
}

struct Case {
    manifest: &'static str,
    mode: Mode,
    /// The query the golden file was made with.
    query: &'static str,
    golden: &'static str,
    quirks: &'static [Quirk],
    differences: &'static [Difference],
}

const fn attr_quirk(attr: &'static str, error: &'static str) -> Quirk {
    Quirk {
        error,
        strip: Strip::Attr {
            element: "Representation",
            attr,
        },
    }
}

/// YouTube-era `sampleRate`/`numChannels` and `lang` on audio
/// Representations: unknown to the schema, ignored by players, kept.
const SAMPLE_RATE: Quirk = attr_quirk(
    "sampleRate",
    "Element '{urn:mpeg:dash:schema:mpd:2011}Representation', attribute 'sampleRate': The attribute 'sampleRate' is not allowed.",
);
const NUM_CHANNELS: Quirk = attr_quirk(
    "numChannels",
    "Element '{urn:mpeg:dash:schema:mpd:2011}Representation', attribute 'numChannels': The attribute 'numChannels' is not allowed.",
);
const REP_LANG: Quirk = attr_quirk(
    "lang",
    "Element '{urn:mpeg:dash:schema:mpd:2011}Representation', attribute 'lang': The attribute 'lang' is not allowed.",
);
/// Amazon's proprietary element after the last Representation.
const SEGMENT_DURATIONS: Quirk = Quirk {
    error:
        "Element '{urn:mpeg:dash:schema:mpd:2011}SegmentDurations': This element is not expected.",
    strip: Strip::Element("SegmentDurations"),
};

const CASES: &[Case] = &[
    Case {
        manifest: "manifest_a",
        mode: Mode::Vod,
        query: "",
        golden: "manifest_a_vod.mpd",
        quirks: &[SAMPLE_RATE, NUM_CHANNELS, REP_LANG],
        differences: &[],
    },
    Case {
        manifest: "manifest_b",
        mode: Mode::Vod,
        query: "",
        golden: "manifest_b_vod.mpd",
        quirks: &[SAMPLE_RATE, NUM_CHANNELS, REP_LANG],
        differences: &[],
    },
    Case {
        manifest: "manifest_e",
        mode: Mode::Vod,
        query: "",
        golden: "manifest_e_vod.mpd",
        quirks: &[NUM_CHANNELS, REP_LANG],
        differences: &[Difference {
            reason: "mediaPresentationDuration added: ffmpeg 5.1 counts static $Number$ \
                     segments from it alone and played one segment of ten without it",
            edit: Edit::AddRootAttr {
                attr: "mediaPresentationDuration",
            },
        }],
    },
    Case {
        manifest: "manifest_ef",
        mode: Mode::Vod,
        query: "",
        golden: "manifest_ef_vod.mpd",
        quirks: &[],
        differences: &[],
    },
    Case {
        manifest: "manifest_h",
        mode: Mode::Vod,
        query: "",
        golden: "manifest_h_vod.mpd",
        quirks: &[],
        differences: &[],
    },
    Case {
        manifest: "manifest_i",
        mode: Mode::Vod,
        query: "",
        golden: "manifest_i_vod.mpd",
        quirks: &[],
        differences: &[Difference {
            reason: "UTCTiming follows the Periods: the schema's MPD sequence puts it after \
                     Period (dash-live writes it before, which no validator accepts)",
            edit: Edit::MoveToEnd {
                path: "MPD/UTCTiming",
            },
        }],
    },
    Case {
        manifest: "manifest_n",
        // The malformed profile URN is still a URN: the schema takes it.
        mode: Mode::Vod,
        query: "",
        golden: "manifest_n_vod.mpd",
        quirks: &[],
        differences: &[],
    },
    Case {
        manifest: "manifest_vod_aiv",
        mode: Mode::Odvod,
        query: "",
        golden: "manifest_vod_aiv_odvod.mpd",
        quirks: &[SEGMENT_DURATIONS],
        differences: &[],
    },
];

/// UTCTiming after the Periods, where the schema wants it.
const UTC_AT_END: Difference = Difference {
    reason: "UTCTiming follows the Periods: the schema's MPD sequence puts it after \
             Period (dash-live writes it before, which no validator accepts)",
    edit: Edit::MoveToEnd {
        path: "MPD/UTCTiming",
    },
};

/// The live golden files, with the query each was made with.
const LIVE_CASES: &[Case] = &[
    Case {
        manifest: "manifest_a",
        mode: Mode::Live,
        query: "start=2023-01-01T00:00:00Z",
        golden: "manifest_a_live.mpd",
        quirks: &[SAMPLE_RATE, NUM_CHANNELS, REP_LANG],
        differences: &[],
    },
    Case {
        manifest: "manifest_e",
        mode: Mode::Live,
        query: "start=2023-01-01T00:00:00Z",
        golden: "manifest_e_live.mpd",
        quirks: &[NUM_CHANNELS, REP_LANG],
        // Two Locations: the next update's URL (update=n+1), then its own.
        differences: &[],
    },
    Case {
        manifest: "manifest_ef",
        mode: Mode::Live,
        query: "start=2023-01-01T00:00:00Z",
        golden: "manifest_ef_live.mpd",
        quirks: &[],
        differences: &[],
    },
    Case {
        manifest: "manifest_h",
        mode: Mode::Live,
        query: "start=2023-01-01T00:00:00Z&time=ntp&ntp_servers=europe-ntp",
        golden: "manifest_h_live.mpd",
        quirks: &[],
        differences: &[UTC_AT_END],
    },
    Case {
        manifest: "manifest_i",
        mode: Mode::Live,
        query: "start=2023-01-01T00:00:00Z",
        golden: "manifest_i_live.mpd",
        quirks: &[],
        differences: &[
            UTC_AT_END,
            Difference {
                reason: "Period@start on a live manifest: without it the first Period of a \
                         dynamic MPD is an early-available Period, which dash.js drops, \
                         then fails with no Period to play (found by the player harness)",
                edit: Edit::AddAttr {
                    path: "MPD/Period",
                    attr: "start",
                },
            },
        ],
    },
];

/// The vendor live golden files' clock: 2023-10-25T07:56:56Z.
const LIVE_GOLDEN_NOW_MS: i64 = 1_698_220_616_000;

/// Live queries every live template must also render validly.
const LIVE_QUERIES: &[&str] = &[
    "",
    "timeline=1",
    "start=now&depth=30",
    "start=epoch&mup=-1",
    "time=xsd&drift=10",
    "time=http-ntp&timeline=1&abr=0",
    "time=iso&base=0",
    "time=head&acodec=any",
    "time=direct&leeway=0",
];

/// Option sets every template must also render validly.
const QUERIES: &[&str] = &["abr=0", "acodec=any", "base=0", "acodec=any&abr=0&base=0"];

// ---------------------------------------------------------------- helpers

/// Renders through the request pipeline, as the origin does: the template's
/// restrictions and features apply to the query; live at the golden clock.
fn render(reps: &[Representation], manifest: &str, mode: Mode, query: &str) -> String {
    render_at(reps, manifest, mode, query, common::GOLDEN_NOW_MS)
}

fn render_at(
    reps: &[Representation],
    manifest: &str,
    mode: Mode,
    query: &str,
    now_ms: i64,
) -> String {
    let m = common::render_bbb_query(reps, manifest, mode, query, now_ms);
    assert!(
        m.warnings.is_empty(),
        "{manifest}?{query}: {:?}",
        m.warnings
    );
    m.xml
}

/// xmllint's error lines for `xml` (empty when it validates).
fn schema_errors(schema: &Path, xml: &str, name: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(format!("{name}.mpd"));
    std::fs::write(&f, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(schema)
        .arg(&f)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<String> = stderr
        .lines()
        .filter(|l| !l.ends_with(" validates") && !l.ends_with(" fails to validate"))
        .map(String::from)
        .collect();
    assert_eq!(
        out.status.success(),
        errors.is_empty(),
        "{name}: xmllint status and output disagree:\n{stderr}"
    );
    errors
}

/// A copy of `xml` without the quirks' attributes and elements.
fn strip_quirks(xml: &str, quirks: &[Quirk]) -> String {
    let mut reader = Reader::from_str(xml);
    let mut writer = Writer::new(Vec::new());
    let mut skip_depth = 0usize;
    let drop_element = |e: &BytesStart| {
        quirks
            .iter()
            .any(|q| matches!(q.strip, Strip::Element(n) if n.as_bytes() == e.name().as_ref()))
    };
    let without_attrs = |e: &BytesStart| {
        let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
        let mut out = BytesStart::new(name.clone());
        for a in e.attributes() {
            let a = a.unwrap();
            let dropped = quirks.iter().any(|q| {
                matches!(q.strip, Strip::Attr { element, attr }
                    if element == name && attr.as_bytes() == a.key.as_ref())
            });
            if !dropped {
                out.push_attribute(a);
            }
        }
        out
    };
    loop {
        let ev = reader.read_event().unwrap();
        if skip_depth > 0 {
            match ev {
                Event::Start(_) => skip_depth += 1,
                Event::End(_) => skip_depth -= 1,
                _ => {}
            }
            continue;
        }
        match ev {
            Event::Eof => break,
            Event::Start(e) if drop_element(&e) => skip_depth = 1,
            Event::Empty(e) if drop_element(&e) => {}
            Event::Start(e) => writer.write_event(Event::Start(without_attrs(&e))).unwrap(),
            Event::Empty(e) => writer.write_event(Event::Empty(without_attrs(&e))).unwrap(),
            other => writer.write_event(other).unwrap(),
        }
    }
    String::from_utf8(writer.into_inner()).unwrap()
}

/// Schema validity with the quirk rule: without quirks the manifest must
/// validate; with them, every error must be one of the quirks' (and, when
/// `all_quirks`, each quirk must show), and the copy without them must validate.
fn check_schema(schema: &Path, xml: &str, name: &str, quirks: &[Quirk], all_quirks: bool) {
    let errors = schema_errors(schema, xml, name);
    for e in &errors {
        assert!(
            quirks.iter().any(|q| e.contains(q.error)),
            "{name}: unexpected schema error:\n{e}\n{xml}"
        );
    }
    if all_quirks {
        for q in quirks {
            assert!(
                errors.iter().any(|e| e.contains(q.error)),
                "{name}: the kept quirk no longer shows: {}\n{errors:#?}",
                q.error
            );
        }
    }
    if !errors.is_empty() {
        let stripped = strip_quirks(xml, quirks);
        let left = schema_errors(schema, &stripped, &format!("{name}_stripped"));
        assert!(
            left.is_empty(),
            "{name}: without its quirks still invalid:\n{left:#?}\n{stripped}"
        );
    }
}

// ---------------------------------------------------------------- shape

/// The elements that carry their attribute names into the shape.
const WITH_ATTRS: &[&str] = &[
    "MPD",
    "Period",
    "AdaptationSet",
    "Representation",
    "SegmentTemplate",
    "SegmentList",
];

#[derive(Debug, Clone, PartialEq)]
struct Node {
    name: String,
    attrs: BTreeSet<String>,
    children: Vec<Node>,
}

impl Node {
    fn from_start(e: &BytesStart) -> Node {
        let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
        let attrs = if WITH_ATTRS.contains(&name.as_str()) {
            e.attributes()
                .map(|a| String::from_utf8(a.unwrap().key.as_ref().to_vec()).unwrap())
                .collect()
        } else {
            BTreeSet::new()
        };
        Node {
            name,
            attrs,
            children: Vec::new(),
        }
    }

    /// One line per element, indented by depth: names and attribute names.
    fn outline(&self, depth: usize, out: &mut Vec<String>) {
        let attrs: Vec<&str> = self.attrs.iter().map(String::as_str).collect();
        out.push(format!(
            "{}{} [{}]",
            "  ".repeat(depth),
            self.name,
            attrs.join(" ")
        ));
        for c in &self.children {
            c.outline(depth + 1, out);
        }
    }

    /// Applies `f` to the parents of the nodes at `path` ("MPD/Period/X"),
    /// with the last segment's name.
    fn at_parents(&mut self, path: &str, f: &mut dyn FnMut(&mut Node, &str)) {
        let (head, rest) = path.split_once('/').unwrap_or((path, ""));
        assert_eq!(head, self.name, "path {path}");
        match rest.split_once('/') {
            None => f(self, rest),
            Some((next, _)) => {
                for c in self.children.iter_mut().filter(|c| c.name == next) {
                    c.at_parents(rest, f);
                }
            }
        }
    }

    fn apply(&mut self, edit: &Edit) {
        match edit {
            Edit::MoveToEnd { path } => self.at_parents(path, &mut |parent, name| {
                let (moved, mut kept): (Vec<Node>, Vec<Node>) =
                    parent.children.drain(..).partition(|c| c.name == name);
                assert!(!moved.is_empty(), "no {path} to move");
                kept.extend(moved);
                parent.children = kept;
            }),
            Edit::AddAttr { path, attr } => self.at_parents(path, &mut |parent, name| {
                for c in parent.children.iter_mut().filter(|c| c.name == name) {
                    c.attrs.insert(attr.to_string());
                }
            }),
            Edit::AddRootAttr { attr } => {
                self.attrs.insert(attr.to_string());
            }
        }
    }
}

fn shape(xml: &str) -> Node {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => stack.push(Node::from_start(&e)),
            Event::Empty(e) => {
                let n = Node::from_start(&e);
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => return n,
                }
            }
            Event::End(_) => {
                let n = stack.pop().unwrap();
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => return n,
                }
            }
            Event::Eof => panic!("no root element"),
            _ => {}
        }
    }
}

/// Runs of `<S>` lines as one: how many a live timeline has depends on the
/// clock and on where the loop boundaries fall, not on the template.
fn collapse_timelines(lines: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in lines {
        if l.trim_start().starts_with("S [") && out.last() == Some(&l) {
            continue;
        }
        out.push(l);
    }
    out
}

fn outline(n: &Node) -> Vec<String> {
    let mut out = Vec::new();
    n.outline(0, &mut out);
    out
}

fn check_shape(xml: &str, case: &Case) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/golden")
        .join(case.golden);
    let Ok(golden) = std::fs::read_to_string(&path) else {
        eprintln!(
            "{}: shape check skipped: no {}",
            case.manifest,
            path.display()
        );
        return;
    };
    let mut expected = shape(&golden);
    for d in case.differences {
        assert!(!d.reason.is_empty());
        expected.apply(&d.edit);
    }
    let (want, got) = (outline(&expected), outline(&shape(xml)));
    let (want, got) = (collapse_timelines(want), collapse_timelines(got));
    if want != got {
        let first = want
            .iter()
            .zip(&got)
            .position(|(a, b)| a != b)
            .unwrap_or(want.len().min(got.len()));
        panic!(
            "{}: shape differs from {} at line {first}:\n  golden: {:?}\n  ours:   {:?}\n\
             golden outline:\n{}\nour outline:\n{}",
            case.manifest,
            case.golden,
            want.get(first),
            got.get(first),
            want.join("\n"),
            got.join("\n")
        );
    }
}

// ---------------------------------------------------------------- tests

#[test]
fn every_static_mode_of_every_vendor_template_has_a_case() {
    let renderer = Renderer::new().unwrap();
    for def in MANIFESTS.iter().filter(|d| d.name != "hand_made") {
        assert!(
            renderer.has_template(def.name),
            "{} has no template",
            def.name
        );
        for mode in def.modes.iter().filter(|m| **m != Mode::Live) {
            assert!(
                CASES
                    .iter()
                    .any(|c| c.manifest == def.name && c.mode == *mode),
                "{} {}: no test case",
                def.name,
                mode.as_str()
            );
        }
    }
    for c in CASES {
        assert!(find(c.manifest).unwrap().supports(c.mode));
    }
}

#[test]
fn vendor_templates_match_their_golden_shape() {
    let Some(dir) = common::bbb_dir("vendor_templates_match_their_golden_shape") else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    for case in CASES.iter().chain(LIVE_CASES) {
        let now = match case.mode {
            Mode::Live => LIVE_GOLDEN_NOW_MS,
            _ => common::GOLDEN_NOW_MS,
        };
        let xml = render_at(&reps, case.manifest, case.mode, case.query, now);
        let name = format!("{}_{}", case.manifest, case.mode.as_str());
        common::well_formed(&xml, &name);
        assert!(xml.starts_with('<'), "{name}: text before the prolog");
        check_shape(&xml, case);
    }
}

#[test]
fn vendor_templates_are_schema_valid_but_for_their_quirks() {
    let Some(dir) = common::bbb_dir("vendor_templates_are_schema_valid_but_for_their_quirks")
    else {
        return;
    };
    let Some(schema) = common::schema_path() else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    for case in CASES {
        let name = format!("{}_{}", case.manifest, case.mode.as_str());
        let xml = render(&reps, case.manifest, case.mode, "");
        check_schema(&schema, &xml, &name, case.quirks, true);
        for (i, query) in QUERIES.iter().enumerate() {
            let xml = render(&reps, case.manifest, case.mode, query);
            let name = format!("{name}_q{i}");
            common::well_formed(&xml, &name);
            check_schema(&schema, &xml, &name, case.quirks, false);
        }
    }
}

#[test]
fn live_manifests_are_schema_valid_at_any_time() {
    let Some(dir) = common::bbb_dir("live_manifests_are_schema_valid_at_any_time") else {
        return;
    };
    let Some(schema) = common::schema_path() else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    // A loop boundary, a second after midnight, a new year, the golden clock.
    let times = [
        LIVE_GOLDEN_NOW_MS,
        1_672_531_201_000,
        1_698_192_000_000 + 1_000,
        1_698_220_616_000 + 3_999,
    ];
    let mut cases: Vec<(&str, &[Quirk])> =
        LIVE_CASES.iter().map(|c| (c.manifest, c.quirks)).collect();
    cases.push(("hand_made", &[]));
    cases.push(("manifest_n", &[]));
    let mut docs = Vec::new();
    for (manifest, quirks) in cases {
        for (t, now) in times.iter().enumerate() {
            for (i, query) in LIVE_QUERIES.iter().enumerate() {
                let xml = render_at(&reps, manifest, Mode::Live, query, *now);
                let name = format!("{manifest}_live_t{t}_q{i}");
                common::well_formed(&xml, &name);
                assert!(xml.contains(r#"type="dynamic""#), "{name}");
                // Without its quirks every manifest must validate; that the
                // quirks are the only errors is checked per template above.
                docs.push((name, strip_quirks(&xml, quirks)));
            }
        }
    }
    common::assert_schema_valid(&schema, &docs);
}

#[test]
fn quirk_stripping_removes_only_the_quirks() {
    let xml = r#"<MPD a="1"><AdaptationSet><Representation id="r" lang="en" sampleRate="1"/><SegmentDurations t="1"><S d="1"/></SegmentDurations><X lang="y"/></AdaptationSet></MPD>"#;
    let out = strip_quirks(xml, &[SEGMENT_DURATIONS, REP_LANG, SAMPLE_RATE]);
    assert_eq!(
        out,
        r#"<MPD a="1"><AdaptationSet><Representation id="r"/><X lang="y"/></AdaptationSet></MPD>"#
    );
    assert!(SAMPLE_RATE
        .error
        .starts_with(&format!("Element '{DASH_NS}")));
}

#[test]
fn vendor_specifics_for_bbb() {
    let Some(dir) = common::bbb_dir("vendor_specifics_for_bbb") else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    let vod = |m: &str| render(&reps, m, Mode::Vod, "");
    let has = |xml: &str, s: &str| assert!(xml.contains(s), "missing {s}:\n{xml}");

    let a = vod("manifest_a");
    has(&a, r#"<S d="960" r="9" t="0"/>"#);
    has(&a, r#"group="1" mimeType="video/mp4""#);
    has(&a, r#"group="2" mimeType="audio/mp4""#);
    has(&a, r#"sampleRate="44100" numChannels="2""#);
    has(&a, r#"maxSegmentDuration="PT4.017S""#);

    let b = vod("manifest_b");
    has(
        &b,
        r#"<ContentComponent id="1" contentType="audio" lang="und"/>"#,
    );
    assert_eq!(b.matches("<SegmentTemplate").count(), 3, "{b}");

    let e = vod("manifest_e");
    has(
        &e,
        "<Location>http://unit.test/dash/vod/bbb/manifest_e.mpd</Location>",
    );
    has(&e, r#"sar="1:1" scanType="progressive""#);
    assert!(!e.contains(r#"startWithSAP="""#), "{e}");

    let ef = vod("manifest_ef");
    has(
        &ef,
        r#"<AdaptationSet mimeType="audio/mp4" codecs="mp4a.40.2""#,
    );
    has(&ef, r#"start="PT0.000S""#);

    let i = vod("manifest_i");
    has(
        &i,
        r#"<UTCTiming schemeIdUri="urn:mpeg:dash:utc:direct:2014" value="2022-09-06T15:10:00Z"/>"#,
    );
    has(&i, r#"bitstreamSwitching="true""#);

    let n = vod("manifest_n");
    has(&n, r#"profiles="urn:mpeg:profile:isoff-live:2011""#);
    has(&n, r#"<S r="9" t="0" d="960"/>"#);

    let aiv = render(&reps, "manifest_vod_aiv", Mode::Odvod, "");
    has(&aiv, r#"<SegmentDurations timescale="240">"#);
    has(&aiv, r#"<SegmentDurations timescale="44100">"#);
    has(
        &aiv,
        "<BaseURL>http://unit.test/dash/odvod/bbb/bbb_v7.mp4</BaseURL>",
    );
    has(&aiv, r#"group="2" segmentAlignment"#);
    assert!(!aiv.contains("%d"), "{aiv}");
    let relative = render(&reps, "manifest_vod_aiv", Mode::Odvod, "base=0");
    has(&relative, "<BaseURL>bbb_v7.mp4</BaseURL>");

    // Only hand_made lays out text: no vendor template shows the stpp track.
    for c in CASES {
        let xml = render(&reps, c.manifest, c.mode, "");
        assert!(!xml.contains("bbb_t1"), "{}: {xml}", c.manifest);
    }
}

/// Milliseconds of an `xs:duration` of the form the templates write
/// (`PT1H2M3.456S`, any part optional).
fn duration_ms(d: &str) -> u128 {
    let mut rest = d.strip_prefix("PT").unwrap_or_else(|| panic!("{d}"));
    let mut ms = 0u128;
    for (unit, scale) in [('H', 3_600_000u128), ('M', 60_000)] {
        if let Some((n, r)) = rest.split_once(unit) {
            ms += n.parse::<u128>().unwrap() * scale;
            rest = r;
        }
    }
    if let Some(s) = rest.strip_suffix('S') {
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let frac = format!("{frac:0<3}");
        assert!(frac.len() == 3, "{d}: sub-millisecond");
        ms += whole.parse::<u128>().unwrap() * 1000 + frac.parse::<u128>().unwrap();
    }
    ms
}

/// How many media segments each Representation of a static manifest
/// addresses, by id: the SegmentTimeline's entries, the SegmentList's URLs,
/// or, for `$Number$` with `@duration`, ceil(Period duration × timescale /
/// duration) (ISO 23009-1 5.3.9.5.3). Representations with neither (a
/// SegmentBase on-demand profile) are left out.
fn addressed_segments(xml: &str) -> Vec<(String, u128)> {
    #[derive(Clone, Default)]
    struct Template {
        timescale: Option<u128>,
        duration: Option<u128>,
        timeline: Option<u128>,
        list: Option<u128>,
    }
    let mut r = Reader::from_str(xml);
    let mut period_ms: Option<u128> = None;
    let (mut set_t, mut rep_t) = (Template::default(), None::<Template>);
    let mut rep_id = None::<String>;
    let mut out = Vec::new();
    let attr = |e: &BytesStart, name: &str| -> Option<String> {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == name.as_bytes())
            .map(|a| a.unescape_value().unwrap().into_owned())
    };
    loop {
        let ev = r.read_event().unwrap();
        let (e, empty) = match &ev {
            Event::Start(e) => (e.clone(), false),
            Event::Empty(e) => (e.clone(), true),
            Event::End(e) => {
                match e.name().as_ref() {
                    b"Representation" => {
                        let t = rep_t.take().unwrap_or_else(|| set_t.clone());
                        let id = rep_id.take().unwrap();
                        let count = t.timeline.or(t.list).or_else(|| {
                            let (ts, d) = (t.timescale.unwrap_or(1), t.duration?);
                            Some((period_ms.unwrap() * ts).div_ceil(1000 * d))
                        });
                        if let Some(c) = count {
                            out.push((id, c));
                        }
                    }
                    b"AdaptationSet" => set_t = Template::default(),
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match e.name().as_ref() {
            b"MPD" => period_ms = attr(&e, "mediaPresentationDuration").map(|d| duration_ms(&d)),
            b"Period" => {
                if let Some(d) = attr(&e, "duration") {
                    period_ms = Some(duration_ms(&d));
                }
            }
            b"Representation" => {
                rep_id = attr(&e, "id");
                if empty {
                    // No content of its own: the AdaptationSet's template.
                    let t = set_t.clone();
                    let count = t.timeline.or(t.list).or_else(|| {
                        let (ts, d) = (t.timescale.unwrap_or(1), t.duration?);
                        Some((period_ms.unwrap() * ts).div_ceil(1000 * d))
                    });
                    if let Some(c) = count {
                        out.push((rep_id.take().unwrap(), c));
                    }
                }
            }
            b"SegmentTemplate" | b"SegmentList" => {
                let t = Template {
                    timescale: attr(&e, "timescale").map(|v| v.parse().unwrap()),
                    duration: attr(&e, "duration").map(|v| v.parse().unwrap()),
                    ..Template::default()
                };
                if rep_id.is_some() {
                    rep_t = Some(t);
                } else {
                    set_t = t;
                }
            }
            b"S" | b"SegmentURL" => {
                let n = if e.name().as_ref() == b"S" {
                    1 + attr(&e, "r").map_or(0, |v| v.parse::<u128>().unwrap())
                } else {
                    1
                };
                let t = rep_t.as_mut().unwrap_or(&mut set_t);
                let slot = if e.name().as_ref() == b"S" {
                    &mut t.timeline
                } else {
                    &mut t.list
                };
                *slot = Some(slot.unwrap_or(0) + n);
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_template_addresses_exactly_the_segments_there_are() {
    // BBB's AAC at 44.1 kHz: 1024-sample frames do not fill its 4 s segments
    // alike, so an average @duration can imply a segment more than exists.
    let Some(dir) = common::bbb_dir("every_template_addresses_exactly_the_segments_there_are")
    else {
        return;
    };
    let reps = common::bbb_reps(&dir);
    let count = |id: &str| {
        reps.iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("no representation {id}"))
            .media_segments()
            .len() as u128
    };
    let mut checked = 0;
    for def in MANIFESTS {
        for mode in def.modes.iter().filter(|m| **m != Mode::Live) {
            for query in ["acodec=any", "acodec=any&timeline=1"] {
                let xml = render(&reps, def.name, *mode, query);
                for (id, n) in addressed_segments(&xml) {
                    assert_eq!(
                        n,
                        count(&id),
                        "{} {} ?{query}: {id} addresses {n} segments, has {}",
                        def.name,
                        mode.as_str(),
                        count(&id)
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 20, "{checked} representations checked");
}
