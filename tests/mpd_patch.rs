//! MPD patches, end to end through the resolver: the live hand_made MPD of
//! BBB with `patch=1` at a time T0, patched with the document its
//! PatchLocation names fetched at T1, is exactly (canonically) the MPD of
//! T1 — applied here by a small RFC 5261 applier of our own over a DOM, at
//! several times, across a loop boundary of the content, with and without a
//! `timeline` in the query, with several AdaptationSets, a short window, no
//! update period and a `direct` UTCTiming. Every patch validates against the
//! DASH patch schema, and every MPD against the MPD schema (xmllint, when
//! installed; required with `DASHLIVE_REQUIRE_XMLLINT=1`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use dashlive::media::Representation;
use dashlive::mpd::live::LoopMap;
use dashlive::mpd::manifest::StreamView;
use dashlive::mpd::render::Renderer;
use dashlive::mpd::request::Defaults;
use dashlive::serve::plan::Plan;
use dashlive::serve::resolve::{Request, Resolver, Target, TreeView};
use quick_xml::encoding::Decoder;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

const MPD_NS: &str = "urn:mpeg:dash:schema:mpd:2011";
const PATCH_NS: &str = "urn:mpeg:dash:schema:mpd-patch:2020";
const SITE: &str = "http://unit.test/";
/// 2022-09-06T15:10:00Z: BBB's 40 s loop starts here (a whole number of
/// loops after the default availability start, 2022-01-01).
const LOOP_BOUNDARY: i64 = common::GOLDEN_NOW_MS;

struct Tree {
    reps: Vec<Representation>,
    defaults: Defaults,
}

impl TreeView for Tree {
    fn site_defaults(&self) -> &Defaults {
        &self.defaults
    }
    fn stream(&self, directory: &str) -> Option<StreamView<'_>> {
        (directory == "bbb").then(|| common::bbb_view(&self.reps, &self.defaults))
    }
    fn loop_map(&self, _: &str, _: &str) -> Option<&LoopMap> {
        None
    }
    fn stream_names(&self) -> Vec<&str> {
        vec!["bbb"]
    }
    fn content_key(&self, _: &dashlive::drm::Kid) -> Option<dashlive::drm::ContentKey> {
        None
    }
}

fn resolve(tree: &Tree, target: Target, query: &str, now_ms: i64, url: &str) -> Plan {
    let renderer = Renderer::new().unwrap();
    let resolver = Resolver {
        tree,
        renderer: &renderer,
        cache: None,
    };
    resolver.resolve(&Request {
        target,
        query,
        now_ms,
        now_override: false,
        site_url: Some(SITE),
        url: Some(url),
        fault_counts: None,
    })
}

/// The live MPD of `query` at `now_ms`, as the origin answers
/// `/dash/live/bbb/hand_made.mpd?<query>`.
fn mpd(tree: &Tree, query: &str, now_ms: i64) -> String {
    let url = format!("{SITE}dash/live/bbb/hand_made.mpd?{query}");
    let target = Target::LiveManifest {
        stream: "bbb",
        file: "hand_made.mpd",
    };
    match resolve(tree, target, query, now_ms, &url) {
        Plan::Manifest { xml, .. } => xml,
        other => panic!("{query} at {now_ms}: {other:?}"),
    }
}

/// What the PatchLocation URL of `mpd` answers at `now_ms`.
fn fetch_patch(tree: &Tree, mpd: &str, now_ms: i64) -> Plan {
    let doc = parse(mpd);
    let location = doc
        .child(MPD_NS, "PatchLocation")
        .unwrap_or_else(|| panic!("no PatchLocation:\n{mpd}"));
    let url = location.text();
    let path = url.strip_prefix(SITE).expect("an absolute URL on the site");
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let parts: Vec<&str> = path.split('/').collect();
    let ["patch", stream, manifest, publish] = parts[..] else {
        panic!("not a patch URL: {url}");
    };
    let target = Target::Patch {
        stream,
        manifest,
        publish,
    };
    resolve(tree, target, query, now_ms, &url)
}

fn patch_at(tree: &Tree, mpd: &str, now_ms: i64) -> String {
    match fetch_patch(tree, mpd, now_ms) {
        Plan::Patch { xml, .. } => xml,
        other => panic!("patch at {now_ms}: {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// A small DOM, and RFC 5261 over it (the selectors a DASH patch uses).

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Element {
    /// The namespace URI ("" for none) and the local name.
    ns: String,
    name: String,
    /// Attributes by name as written, namespace declarations left out.
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

impl Element {
    fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }
    fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.ns == ns && e.name == name)
    }
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }
}

fn namespace(ns: ResolveResult) -> String {
    match ns {
        ResolveResult::Bound(n) => String::from_utf8(n.as_ref().to_vec()).unwrap(),
        ResolveResult::Unbound => String::new(),
        ResolveResult::Unknown(p) => panic!("unknown prefix {p:?}"),
    }
}

fn element(decoder: Decoder, ns: String, e: &BytesStart) -> Element {
    let attrs = e
        .attributes()
        .map(|a| a.unwrap())
        .filter(|a| {
            let key = a.key.as_ref();
            key != b"xmlns" && !key.starts_with(b"xmlns:")
        })
        .map(|a| {
            let value = a.decode_and_unescape_value(decoder).unwrap();
            (
                String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                value.into_owned(),
            )
        })
        .collect();
    Element {
        ns,
        name: String::from_utf8(e.local_name().as_ref().to_vec()).unwrap(),
        attrs,
        children: Vec::new(),
    }
}

/// The document element of `xml`, namespaces resolved.
fn parse(xml: &str) -> Element {
    let mut reader = NsReader::from_str(xml);
    let decoder = reader.decoder();
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let (ns, event) = reader.read_resolved_event().unwrap();
        let ns = namespace(ns);
        match event {
            Event::Start(e) => {
                let el = element(decoder, ns, &e);
                stack.push(el);
            }
            Event::Empty(e) => {
                let el = element(decoder, ns, &e);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => return el,
                }
            }
            Event::End(_) => {
                let el = stack.pop().unwrap();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => return el,
                }
            }
            Event::Text(t) => {
                if let Some(parent) = stack.last_mut() {
                    let text = t.decode().unwrap();
                    let text = quick_xml::escape::unescape(&text).unwrap().into_owned();
                    parent.children.push(Node::Text(text));
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().unwrap();
                let text = quick_xml::escape::unescape(&format!("&{name};"))
                    .unwrap()
                    .into_owned();
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(Node::Text(text));
                }
            }
            Event::Eof => panic!("no document element"),
            _ => {}
        }
    }
}

/// The canonical form: attributes sorted, whitespace-only text dropped and
/// adjacent text joined, so that two documents are the same document
/// exactly when their canonical forms are equal.
fn canonical(e: &Element) -> Element {
    let mut attrs = e.attrs.clone();
    attrs.sort();
    let mut children: Vec<Node> = Vec::new();
    for n in &e.children {
        match n {
            Node::Element(c) => children.push(Node::Element(canonical(c))),
            Node::Text(t) => match children.last_mut() {
                Some(Node::Text(prev)) => prev.push_str(t),
                _ => children.push(Node::Text(t.clone())),
            },
        }
    }
    children.retain(|n| !matches!(n, Node::Text(t) if t.trim().is_empty()));
    Element {
        ns: e.ns.clone(),
        name: e.name.clone(),
        attrs,
        children,
    }
}

/// One step of a selector: a name and its predicates.
#[derive(Debug)]
struct Step {
    name: String,
    position: Option<usize>,
    attr: Option<(String, String)>,
}

/// `/A/B[@id='x']/C[1]` and an optional final `/@attr` (the XPath subset
/// of RFC 5261 that DASH patches use). Unprefixed names are MPD elements,
/// as DASH patch selectors are written and read by players.
fn parse_selector(sel: &str) -> (Vec<Step>, Option<String>) {
    let body = sel
        .strip_prefix('/')
        .unwrap_or_else(|| panic!("{sel}: not absolute"));
    let mut steps = Vec::new();
    let mut attr = None;
    for part in body.split('/') {
        if let Some(a) = part.strip_prefix('@') {
            attr = Some(a.to_string());
            continue;
        }
        assert!(attr.is_none(), "{sel}: an attribute must be last");
        let (name, mut rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        let mut step = Step {
            name: name.to_string(),
            position: None,
            attr: None,
        };
        while !rest.is_empty() {
            let (pred, after) = rest.split_once(']').expect("a closed predicate");
            if let Some(a) = pred.strip_prefix('@') {
                let (k, v) = a.split_once('=').expect("@name='value'");
                let v = v.trim_matches('\'').to_string();
                step.attr = Some((k.to_string(), v));
            } else {
                step.position = Some(pred.parse().expect("a position"));
            }
            rest = after.strip_prefix('[').unwrap_or(after);
        }
        steps.push(step);
    }
    (steps, attr)
}

/// The path of child indexes to the one element `steps` select from the
/// document element `root`; panics unless exactly one matches.
fn select(root: &Element, steps: &[Step]) -> Vec<usize> {
    let (first, rest) = steps.split_first().expect("a step");
    assert!(
        root.ns == MPD_NS && root.name == first.name,
        "the root is not {}",
        first.name
    );
    let mut path = Vec::new();
    let mut here = root;
    for step in rest {
        let matching: Vec<usize> = here
            .children
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match n {
                Node::Element(e) if e.ns == MPD_NS && e.name == step.name => Some(i),
                _ => None,
            })
            .filter(|&i| match (&step.attr, &here.children[i]) {
                (Some((k, v)), Node::Element(e)) => e.attr(k) == Some(v),
                _ => true,
            })
            .collect();
        let chosen: Vec<usize> = match step.position {
            Some(p) => matching.get(p - 1).copied().into_iter().collect(),
            None => matching,
        };
        assert_eq!(chosen.len(), 1, "{step:?} selects {} nodes", chosen.len());
        path.push(chosen[0]);
        here = match &here.children[chosen[0]] {
            Node::Element(e) => e,
            Node::Text(_) => unreachable!(),
        };
    }
    path
}

fn at_path<'a>(root: &'a mut Element, path: &[usize]) -> &'a mut Element {
    path.iter().fold(root, |e, &i| match &mut e.children[i] {
        Node::Element(c) => c,
        Node::Text(_) => unreachable!(),
    })
}

/// Applies an RFC 5261 patch document (`<add>`, `<replace>`, `<remove>`)
/// to `target`, after checking the DASH patch's own rules: its mpdId and
/// originalPublishTime name this MPD.
fn apply(target: &Element, patch: &Element) -> Element {
    assert_eq!(
        (patch.ns.as_str(), patch.name.as_str()),
        (PATCH_NS, "Patch")
    );
    assert_eq!(patch.attr("mpdId"), target.attr("id"), "mpdId");
    assert_eq!(
        patch.attr("originalPublishTime"),
        target.attr("publishTime"),
        "the patch is for this MPD"
    );
    let mut doc = target.clone();
    for op in patch.elements() {
        assert_eq!(op.ns, PATCH_NS, "{op:?}");
        let sel = op.attr("sel").expect("sel is mandatory");
        let (steps, attr) = parse_selector(sel);
        let path = select(&doc, &steps);
        let new: Vec<Element> = op.elements().cloned().collect();
        match (op.name.as_str(), attr) {
            ("replace", Some(a)) => {
                let e = at_path(&mut doc, &path);
                let slot = e.attrs.iter_mut().find(|(k, _)| *k == a);
                slot.unwrap_or_else(|| panic!("{sel}: no attribute")).1 = op.text();
            }
            ("replace", None) => {
                assert_eq!(new.len(), 1, "{sel}: replace takes one element");
                let (last, parent) = path.split_last().expect("not the root");
                at_path(&mut doc, parent).children[*last] =
                    Node::Element(new.into_iter().next().unwrap());
            }
            ("add", None) => {
                let (last, parent) = path.split_last().expect("not the root");
                let nodes = new.into_iter().map(Node::Element);
                match op.attr("pos") {
                    None => at_path(&mut doc, &path).children.extend(nodes),
                    Some("prepend") => {
                        at_path(&mut doc, &path).children.splice(0..0, nodes);
                    }
                    Some("before") => {
                        at_path(&mut doc, parent)
                            .children
                            .splice(*last..*last, nodes);
                    }
                    Some("after") => {
                        at_path(&mut doc, parent)
                            .children
                            .splice(last + 1..last + 1, nodes);
                    }
                    Some(p) => panic!("pos={p}"),
                }
            }
            ("remove", Some(a)) => at_path(&mut doc, &path).attrs.retain(|(k, _)| *k != a),
            ("remove", None) => {
                let (last, parent) = path.split_last().expect("not the root");
                at_path(&mut doc, parent).children.remove(*last);
            }
            (other, _) => panic!("{other}: not an RFC 5261 operation of DASH patches"),
        }
    }
    doc
}

// ---------------------------------------------------------------------------
// The schemas.

const PATCH_OPS_URL: &str = "https://www.iana.org/assignments/xml-registry/schema/patch-ops.xsd";

/// Our stand-in for IANA's `patch-ops.xsd` (the file says why and what).
const PATCH_OPS_STAND_IN: &str = include_str!("common/patch-ops-stand-in.xsd");

/// Validates documents against the DASH MPD and patch schemas.
struct Schemas {
    mpd: PathBuf,
    patch: PathBuf,
    /// Holds the catalog that maps the patch-ops URL to a local file.
    dir: tempfile::TempDir,
}

impl Schemas {
    fn new() -> Option<Schemas> {
        let mpd = common::schema_path()?;
        let patch = mpd.with_file_name("DASH-MPD-PATCH.xsd");
        assert!(patch.is_file(), "{} missing", patch.display());
        let dir = tempfile::tempdir().unwrap();
        let ops = match std::env::var_os("DASHLIVE_PATCH_OPS_XSD") {
            Some(p) => PathBuf::from(p),
            None => {
                let p = dir.path().join("patch-ops.xsd");
                std::fs::write(&p, PATCH_OPS_STAND_IN).unwrap();
                p
            }
        };
        let catalog = format!(
            "<?xml version=\"1.0\"?>\n<catalog xmlns=\"urn:oasis:names:tc:entity:xmlns:xml:catalog\">\
             <uri name=\"{PATCH_OPS_URL}\" uri=\"file://{ops}\"/>\
             <system systemId=\"{PATCH_OPS_URL}\" uri=\"file://{ops}\"/></catalog>\n",
            ops = ops.display()
        );
        std::fs::write(dir.path().join("catalog.xml"), catalog).unwrap();
        Some(Schemas { mpd, patch, dir })
    }

    /// xmllint's complaints about `xml` against `schema` (empty when valid).
    fn errors(&self, schema: &Path, xml: &str, name: &str) -> String {
        let f = self.dir.path().join(name);
        std::fs::write(&f, xml).unwrap();
        let out = Command::new("xmllint")
            .env("XML_CATALOG_FILES", self.dir.path().join("catalog.xml"))
            .args(["--noout", "--nonet", "--schema"])
            .arg(schema)
            .arg(&f)
            .output()
            .unwrap();
        if out.status.success() {
            String::new()
        } else {
            String::from_utf8_lossy(&out.stderr).into_owned()
        }
    }

    fn check(&self, mpd: &str, patch: &str, what: &str) {
        let e = self.errors(&self.mpd, mpd, "m.mpd");
        assert!(e.is_empty(), "{what}: MPD not schema-valid:\n{e}\n{mpd}");
        let e = self.errors(&self.patch, patch, "p.xml");
        assert!(
            e.is_empty(),
            "{what}: patch not schema-valid:\n{e}\n{patch}"
        );
    }
}

fn bbb() -> Option<Tree> {
    let dir = common::bbb_dir("mpd_patch")?;
    Some(Tree {
        reps: common::bbb_reps(&dir),
        defaults: Defaults::new(),
    })
}

#[test]
fn the_patch_turns_the_mpd_of_t0_into_the_mpd_of_t1() {
    let Some(tree) = bbb() else { return };
    let schemas = Schemas::new();
    let s = 1000;
    // (query, T0, T1): the update period is 8 s (twice BBB's 4 s segments).
    let cases: &[(&str, i64, i64)] = &[
        // Across the loop boundary, `$Number$` asked (patches force a timeline).
        ("patch=1", LOOP_BOUNDARY - 12 * s, LOOP_BOUNDARY + 9 * s),
        (
            "patch=1&timeline=1",
            LOOP_BOUNDARY - 3 * s,
            LOOP_BOUNDARY + 5 * s,
        ),
        // One update period, a minute, the whole window less a second.
        ("patch=1", LOOP_BOUNDARY + 41 * s, LOOP_BOUNDARY + 49 * s),
        ("patch=1", LOOP_BOUNDARY + 100 * s, LOOP_BOUNDARY + 160 * s),
        ("patch=1", LOOP_BOUNDARY, LOOP_BOUNDARY + 1_799 * s),
        // Every audio codec (more AdaptationSets), a 30 s window, no update
        // period (publishTime every second), the clock in the MPD.
        (
            "patch=1&acodec=any",
            LOOP_BOUNDARY - 2 * s,
            LOOP_BOUNDARY + 6 * s,
        ),
        (
            "patch=1&depth=30",
            LOOP_BOUNDARY - 20 * s,
            LOOP_BOUNDARY + 3 * s,
        ),
        (
            "patch=1&mup=-1",
            LOOP_BOUNDARY - 1_500,
            LOOP_BOUNDARY + 2_300,
        ),
        (
            "patch=1&time=direct",
            LOOP_BOUNDARY - 8 * s,
            LOOP_BOUNDARY + 8 * s,
        ),
    ];
    for &(query, t0, t1) in cases {
        let what = format!("{query} from {t0} to {t1}");
        let (old, new) = (mpd(&tree, query, t0), mpd(&tree, query, t1));
        let patch = patch_at(&tree, &old, t1);
        let patched = apply(&parse(&old), &parse(&patch));
        assert_ne!(
            canonical(&parse(&old)),
            canonical(&parse(&new)),
            "{what}: the MPDs differ"
        );
        assert!(
            canonical(&patched) == canonical(&parse(&new)),
            "{what}: the patched MPD is not the MPD of T1\npatch:\n{patch}\nT1:\n{new}\npatched:\n{patched:#?}"
        );
        if let Some(schemas) = &schemas {
            schemas.check(&new, &patch, &what);
        }
    }
}

#[test]
fn a_timeline_across_the_loop_boundary_is_edited_run_by_run() {
    // The operations dash.js and Shaka both apply (docs/patch-players.md):
    // `remove` of S[1], `replace` of one S, `add` at the end; never a whole
    // SegmentTimeline (dash.js throws) nor an S attribute (dash.js stores
    // the text).
    let Some(tree) = bbb() else { return };
    let old = mpd(&tree, "patch=1", LOOP_BOUNDARY - 12_000);
    let patch = patch_at(&tree, &old, LOOP_BOUNDARY + 9_000);
    let doc = parse(&patch);
    let timeline = |set: &str, rest: &str| {
        format!("/MPD/Period[@id='p0']/AdaptationSet[@id='{set}']/SegmentTemplate/SegmentTimeline{rest}")
    };
    let ops: Vec<(String, String, usize)> = doc
        .elements()
        .map(|e| {
            let sel = e.attr("sel").unwrap_or_default().to_string();
            (e.name.clone(), sel, e.elements().count())
        })
        .collect();
    let op = |name: &str, sel: String, n| (name.to_string(), sel, n);
    let removed = || op("remove", timeline("2", "/S[1]"), 0);
    assert_eq!(
        ops,
        [
            op("replace", "/MPD/@publishTime".into(), 0),
            op("replace", "/MPD/PatchLocation[1]".into(), 1),
            // Video: one run of equal segments, moved on.
            op("replace", timeline("1", "/S[1]"), 1),
            // AAC at 44.1 kHz: runs of 176128 and 177152 ticks; four left
            // the window, the first left shrank, the last grew, and the
            // new ones include the loop's last segment, cut to 176800.
            removed(),
            removed(),
            removed(),
            removed(),
            op("replace", timeline("2", "/S[1]"), 1),
            op("replace", timeline("2", "/S[267]"), 1),
            op("add", timeline("2", ""), 4),
            // Text: one run.
            op("replace", timeline("3", "/S[1]"), 1),
        ],
        "{patch}"
    );
    assert!(
        patch.contains("<S xmlns=\"urn:mpeg:dash:schema:mpd:2011\" d=\"176800\"/>"),
        "{patch}"
    );
    assert_eq!(doc.attr("mpdId"), Some("bbb"));
    assert_eq!(
        doc.attr("originalPublishTime"),
        Some("2022-09-06T15:09:44Z")
    );
    assert_eq!(doc.attr("publishTime"), Some("2022-09-06T15:10:08Z"));
    // The new PatchLocation names the new publishTime, with the pinned start.
    assert!(
        patch.contains(">http://unit.test/patch/bbb/hand_made/1662477008?start=2022-01-01T00:00:00Z</PatchLocation>"),
        "{patch}"
    );
}

#[test]
fn every_mpd_of_one_publish_time_is_the_same_mpd() {
    // A patch names the MPD it applies to by its publishTime: the window is
    // drawn at the publishTime, not at the request's instant. Without
    // patches it is drawn at the instant.
    let Some(tree) = bbb() else { return };
    let published = LOOP_BOUNDARY + 8_000;
    let at = |query, ms| canonical(&parse(&mpd(&tree, query, ms)));
    assert!(at("patch=1", published) == at("patch=1", published + 7_999));
    assert!(at("patch=1", published) != at("patch=1", published + 8_000));
    assert!(at("timeline=1", published) != at("timeline=1", published + 7_999));
}

#[test]
fn patches_of_mpds_from_the_future_or_outside_the_window_are_refused() {
    let Some(tree) = bbb() else { return };
    let now = LOOP_BOUNDARY;
    let refusal = |mpd_at: i64, asked_at: i64| match fetch_patch(
        &tree,
        &mpd(&tree, "patch=1", mpd_at),
        asked_at,
    ) {
        Plan::Refuse(r) => (r.status, r.message),
        other => panic!("{other:?}"),
    };
    let (status, message) = refusal(now + 16_000, now);
    assert_eq!(status, 400, "{message}");
    assert!(message.contains("after this manifest's current publishTime"));
    let (status, message) = refusal(now - 1_900_000, now);
    assert_eq!(status, 410, "{message}");
    assert!(message.contains("fetch the manifest again"), "{message}");
    // The current MPD itself: a patch that changes nothing but is valid.
    let same = mpd(&tree, "patch=1", now);
    assert!(matches!(
        fetch_patch(&tree, &same, now + 1),
        Plan::Patch { .. }
    ));
    // Bad path parts.
    let bad = |manifest, publish| {
        let target = Target::Patch {
            stream: "bbb",
            manifest,
            publish,
        };
        match resolve(&tree, target, "", now, "") {
            Plan::Refuse(r) => r.status,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(bad("hand_made", "soon"), 400);
    assert_eq!(bad("hand_made", "-5"), 400);
    assert_eq!(bad("manifest_a", "1662477000"), 404, "no patch feature");
    assert_eq!(bad("nope", "1662477000"), 404);
}

#[test]
fn only_live_hand_made_with_patch_has_a_patch_location() {
    let Some(tree) = bbb() else { return };
    let now = LOOP_BOUNDARY;
    assert!(!mpd(&tree, "", now).contains("PatchLocation"));
    assert!(!mpd(&tree, "patch=0&timeline=1", now).contains("PatchLocation"));
    let with = mpd(&tree, "patch=1", now);
    assert!(
        with.contains("<PatchLocation ttl=\"1800\">"),
        "ttl = the 30 min window: {with}"
    );
    assert!(with.contains("/time/$Time$.m4v"), "a timeline is forced");
    // dash-live's MPD schema order: after Location, before the Period.
    let (loc, patch, period) = (
        with.find("<Location>").unwrap(),
        with.find("<PatchLocation").unwrap(),
        with.find("<Period").unwrap(),
    );
    assert!(loc < patch && patch < period);
    // A vod manifest ignores it (live only).
    let target = Target::ModeFile {
        mode: "vod",
        stream: "bbb",
        file: "hand_made.mpd",
    };
    match resolve(&tree, target, "patch=1", now, "") {
        Plan::Manifest { xml, .. } => assert!(!xml.contains("PatchLocation")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_publish_time_with_milliseconds_is_named_exactly() {
    // An availability start with milliseconds (players' planned starts)
    // puts every publishTime on them; the patch must name it exactly.
    let Some(tree) = bbb() else { return };
    let query = "patch=1&start=2022-09-06T14:00:00.791Z";
    let old = mpd(&tree, query, LOOP_BOUNDARY);
    assert!(
        old.contains("publishTime=\"2022-09-06T15:09:52.791Z\""),
        "{old}"
    );
    let patch = patch_at(&tree, &old, LOOP_BOUNDARY + 8_000);
    let patched = apply(&parse(&old), &parse(&patch));
    let new = mpd(&tree, query, LOOP_BOUNDARY + 8_000);
    assert!(canonical(&patched) == canonical(&parse(&new)), "{patch}");
}
