//! MPD patches (ISO/IEC 23009-1 5.15) as a validator receives them: the
//! patch document's own rules, then RFC 5261 `add`/`replace`/`remove`
//! applied to the MPD it names, with the XPath subset DASH patches use
//! (`/MPD/Period[@id='p0']/AdaptationSet[2]/SegmentTemplate/@timescale`).
//! Each operation is applied to the MPD as the ones before it left it, so a
//! selector that picks no node or several is found where it goes wrong.

use super::doc::{Doc, Node};
use super::rules::rule;
use super::{value, Finding};

/// What applying a patch gave: the new MPD (`None` when an operation could
/// not be applied: the caller reloads the whole MPD) and the findings.
pub struct Applied {
    pub mpd: Option<Doc>,
    pub findings: Vec<Finding>,
}

/// Checks `patch` (fetched from `url`) against `mpd`, the MPD it was
/// fetched for, and applies it.
pub fn apply(mpd: &Doc, patch: &Doc, url: &str) -> Applied {
    let mut findings = Vec::new();
    let mut find = |id: &str, node: usize, expected: String, seen: String| {
        let mut f = rule(id).finding(patch.path(node), patch.node(node).line, expected, seen);
        f.segment = Some(url.to_string());
        findings.push(f);
    };
    let root = patch.node(patch.root());
    let m = mpd.node(mpd.root());
    if root.name != "Patch" {
        find(
            "patch.doc-root",
            patch.root(),
            "a Patch element".into(),
            root.name.clone(),
        );
        return Applied {
            mpd: None,
            findings,
        };
    }
    if root.attr("mpdId") != m.attr("id") {
        find(
            "patch.doc-mpd-id",
            patch.root(),
            format!("mpdId {:?} (MPD@id)", m.attr("id").unwrap_or("")),
            format!("{:?}", root.attr("mpdId").unwrap_or("")),
        );
    }
    let original = root.attr("originalPublishTime");
    let published = root.attr("publishTime");
    if original.and_then(value::datetime_ms) != m.attr("publishTime").and_then(value::datetime_ms) {
        find(
            "patch.doc-original",
            patch.root(),
            format!(
                "originalPublishTime {} (the MPD's publishTime)",
                m.attr("publishTime").unwrap_or("")
            ),
            original.unwrap_or("none").to_string(),
        );
    }
    match (
        original.and_then(value::datetime_ms),
        published.and_then(value::datetime_ms),
    ) {
        (Some(o), Some(p)) if p > o => {}
        _ => find(
            "patch.doc-publish-time",
            patch.root(),
            "publishTime later than originalPublishTime".into(),
            format!(
                "{} after {}",
                published.unwrap_or("none"),
                original.unwrap_or("none")
            ),
        ),
    }
    let mut doc = mpd.clone();
    let mut ok = true;
    for &op in &root.children {
        let n = patch.node(op);
        if !matches!(n.name.as_str(), "add" | "replace" | "remove") {
            find(
                "patch.doc-operations",
                op,
                "add, replace or remove".into(),
                n.name.clone(),
            );
            ok = false;
            continue;
        }
        let Some(sel) = n.attr("sel") else {
            find(
                "patch.doc-sel",
                op,
                "@sel on every operation".into(),
                "none".into(),
            );
            ok = false;
            continue;
        };
        if let Err(e) = operate(&mut doc, patch, op, sel) {
            find(
                "patch.doc-selects-one",
                op,
                format!("{sel} selects one node of the MPD"),
                e,
            );
            ok = false;
        }
    }
    Applied {
        mpd: ok.then(|| compact(&doc)),
        findings,
    }
}

/// One step of a selector: a name and its predicates.
struct Step<'a> {
    name: &'a str,
    position: Option<usize>,
    attr: Option<(&'a str, &'a str)>,
}

/// `/A/B[@k='v'][2]/C` and an optional final `/@attr`.
fn parse_selector(sel: &str) -> Result<(Vec<Step<'_>>, Option<&str>), String> {
    let body = sel
        .strip_prefix('/')
        .ok_or_else(|| "not an absolute path".to_string())?;
    let mut steps = Vec::new();
    let mut attr = None;
    for part in body.split('/') {
        if attr.is_some() {
            return Err("an attribute must be the last step".into());
        }
        if let Some(a) = part.strip_prefix('@') {
            attr = Some(a);
            continue;
        }
        let (name, mut rest) = part.split_once('[').unwrap_or((part, ""));
        let name = name.rsplit(':').next().unwrap_or(name);
        let mut step = Step {
            name,
            position: None,
            attr: None,
        };
        while !rest.is_empty() {
            let (pred, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("an unclosed predicate in {part}"))?;
            if let Some(a) = pred.strip_prefix('@') {
                let (k, v) = a
                    .split_once('=')
                    .ok_or_else(|| format!("[{pred}]: not [@name='value']"))?;
                step.attr = Some((k, v.trim_matches(['\'', '"'])));
            } else {
                let p = pred
                    .parse()
                    .ok()
                    .filter(|&p: &usize| p > 0)
                    .ok_or_else(|| format!("[{pred}]: not a position"))?;
                step.position = Some(p);
            }
            rest = match after.strip_prefix('[') {
                Some(next) => next,
                None if after.is_empty() => after,
                None => return Err(format!("{part}: text after a predicate")),
            };
        }
        steps.push(step);
    }
    Ok((steps, attr))
}

/// The element the steps select, or why not exactly one.
fn select(doc: &Doc, steps: &[Step]) -> Result<usize, String> {
    let (first, rest) = steps.split_first().ok_or("an empty path")?;
    if doc.node(doc.root()).name != first.name {
        return Err(format!("the root is not {}", first.name));
    }
    let mut here = doc.root();
    for step in rest {
        let matching: Vec<usize> = doc
            .children(here, step.name)
            .filter(|&c| {
                step.attr
                    .is_none_or(|(k, v)| doc.node(c).attr(k) == Some(v))
            })
            .collect();
        let chosen: Vec<usize> = match step.position {
            Some(p) => matching.get(p - 1).copied().into_iter().collect(),
            None => matching,
        };
        match chosen[..] {
            [one] => here = one,
            _ => return Err(format!("{} nodes at {}", chosen.len(), step.name)),
        }
    }
    Ok(here)
}

/// Copies `from`'s subtree in `patch` into `doc` under `parent`; the copy
/// has line 0: it is in no line of the manifest as fetched.
fn graft(doc: &mut Doc, patch: &Doc, from: usize, parent: Option<usize>) -> usize {
    let src = patch.node(from);
    let id = doc.nodes.len();
    doc.nodes.push(Node {
        name: src.name.clone(),
        attrs: src.attrs.clone(),
        text: src.text.clone(),
        line: 0,
        parent,
        children: Vec::new(),
    });
    for &c in &src.children {
        let k = graft(doc, patch, c, Some(id));
        doc.nodes[id].children.push(k);
    }
    id
}

/// The position of `node` among its parent's children.
fn slot(doc: &Doc, node: usize) -> Result<(usize, usize), String> {
    let parent = doc.node(node).parent.ok_or("the root itself")?;
    let at = doc.nodes[parent]
        .children
        .iter()
        .position(|&c| c == node)
        .ok_or("a detached node")?;
    Ok((parent, at))
}

fn operate(doc: &mut Doc, patch: &Doc, op: usize, sel: &str) -> Result<(), String> {
    let (steps, attr) = parse_selector(sel)?;
    let target = select(doc, &steps)?;
    let n = patch.node(op);
    let new: Vec<usize> = n.children.clone();
    match (n.name.as_str(), attr) {
        ("replace", Some(a)) => {
            let slot = doc.nodes[target].attrs.iter_mut().find(|(k, _)| k == a);
            slot.ok_or_else(|| format!("no attribute {a}"))?.1 = n.text.trim().to_string();
        }
        ("replace", None) => {
            let [one] = new[..] else {
                return Err(format!("{} elements to replace one with", new.len()));
            };
            let (parent, at) = slot(doc, target)?;
            let k = graft(doc, patch, one, Some(parent));
            doc.nodes[parent].children[at] = k;
        }
        ("add", Some(_)) => return Err("add under an attribute".into()),
        ("add", None) => {
            if let Some(a) = n.attr("type").and_then(|t| t.strip_prefix('@')) {
                doc.nodes[target].attrs.retain(|(k, _)| k != a);
                doc.nodes[target]
                    .attrs
                    .push((a.to_string(), n.text.trim().to_string()));
                return Ok(());
            }
            let (parent, at) = match n.attr("pos") {
                None => (target, doc.nodes[target].children.len()),
                Some("prepend") => (target, 0),
                Some("before") => slot(doc, target)?,
                Some("after") => slot(doc, target).map(|(p, i)| (p, i + 1))?,
                Some(p) => return Err(format!("pos={p}")),
            };
            for (i, &c) in new.iter().enumerate() {
                let k = graft(doc, patch, c, Some(parent));
                doc.nodes[parent].children.insert(at + i, k);
            }
        }
        ("remove", Some(a)) => {
            let before = doc.nodes[target].attrs.len();
            doc.nodes[target].attrs.retain(|(k, _)| k != a);
            if doc.nodes[target].attrs.len() == before {
                return Err(format!("no attribute {a}"));
            }
        }
        ("remove", None) => {
            let (parent, at) = slot(doc, target)?;
            doc.nodes[parent].children.remove(at);
        }
        (other, _) => return Err(format!("{other}: not an operation")),
    }
    Ok(())
}

/// The tree reachable from the root, renumbered in document order (what
/// [`Doc::all`] walks), without the nodes operations detached.
fn compact(doc: &Doc) -> Doc {
    fn copy(doc: &Doc, from: usize, parent: Option<usize>, out: &mut Vec<Node>) -> usize {
        let id = out.len();
        let mut n = doc.node(from).clone();
        n.parent = parent;
        n.children.clear();
        out.push(n);
        for &c in &doc.node(from).children {
            let k = copy(doc, c, Some(id), out);
            out[id].children.push(k);
        }
        id
    }
    let mut nodes = Vec::with_capacity(doc.nodes.len());
    copy(doc, doc.root(), None, &mut nodes);
    Doc { nodes }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MPD: &str = r#"<MPD id="m" publishTime="2026-01-01T00:00:10Z" type="dynamic">
 <PatchLocation ttl="60">p/10</PatchLocation>
 <Period id="p0"><AdaptationSet id="1"><SegmentTemplate><SegmentTimeline>
  <S t="0" d="10" r="1"/><S d="20"/>
 </SegmentTimeline></SegmentTemplate></AdaptationSet></Period>
</MPD>"#;

    fn patch(ops: &str, original: &str) -> String {
        format!(
            r#"<Patch xmlns="urn:mpeg:dash:schema:mpd-patch:2020" mpdId="m" originalPublishTime="{original}" publishTime="2026-01-01T00:00:20Z">{ops}</Patch>"#
        )
    }

    fn run(ops: &str, original: &str) -> Applied {
        let mpd = Doc::parse(MPD.as_bytes()).unwrap();
        let p = Doc::parse(patch(ops, original).as_bytes()).unwrap();
        apply(&mpd, &p, "p/10")
    }

    const TL: &str = "/MPD/Period[@id='p0']/AdaptationSet[@id='1']/SegmentTemplate/SegmentTimeline";

    #[test]
    fn add_replace_remove_edit_the_timeline() {
        let ops = format!(
            r#"<replace sel="/MPD/@publishTime">2026-01-01T00:00:20Z</replace><remove sel="{TL}/S[1]"/><replace sel="{TL}/S[1]"><S xmlns="urn:mpeg:dash:schema:mpd:2011" t="20" d="20"/></replace><add sel="{TL}"><S xmlns="urn:mpeg:dash:schema:mpd:2011" d="5"/></add>"#
        );
        let a = run(&ops, "2026-01-01T00:00:10Z");
        assert!(a.findings.is_empty(), "{:?}", a.findings);
        let d = a.mpd.unwrap();
        assert_eq!(
            d.node(d.root()).attr("publishTime"),
            Some("2026-01-01T00:00:20Z")
        );
        let s: Vec<(Option<&str>, Option<&str>)> = d
            .all("S")
            .map(|i| (d.node(i).attr("t"), d.node(i).attr("d")))
            .collect();
        assert_eq!(s, [(Some("20"), Some("20")), (None, Some("5"))]);
    }

    #[test]
    fn each_broken_patch_rule_is_named() {
        let ids = |a: &Applied| a.findings.iter().map(|f| f.rule).collect::<Vec<_>>();
        let a = run("", "2026-01-01T00:00:00Z");
        assert_eq!(ids(&a), ["patch.doc-original"]);
        let a = run(r#"<move sel="/MPD"/>"#, "2026-01-01T00:00:10Z");
        assert_eq!(ids(&a), ["patch.doc-operations"]);
        assert!(a.mpd.is_none());
        let a = run("<remove/>", "2026-01-01T00:00:10Z");
        assert_eq!(ids(&a), ["patch.doc-sel"]);
        let a = run(
            &format!(r#"<remove sel="{TL}/S"/>"#),
            "2026-01-01T00:00:10Z",
        );
        assert_eq!(ids(&a), ["patch.doc-selects-one"]);
        assert!(a.findings[0].seen.contains("2 nodes"), "{:?}", a.findings);
    }

    /// One hand-broken patch per patch rule of the table, each caught by
    /// the rule it breaks (and a table row without a mutation fails).
    #[test]
    fn every_patch_rule_has_a_mutation_that_it_catches() {
        let mpd = Doc::parse(MPD.as_bytes()).unwrap();
        let good = patch("", "2026-01-01T00:00:10Z");
        let mutations: [(&str, String); 7] = [
            ("patch.doc-root", "<MPD/>".into()),
            (
                "patch.doc-mpd-id",
                good.replace("mpdId=\"m\"", "mpdId=\"x\""),
            ),
            ("patch.doc-original", patch("", "2026-01-01T00:00:09Z")),
            (
                "patch.doc-publish-time",
                good.replace(
                    "publishTime=\"2026-01-01T00:00:20Z\"",
                    "publishTime=\"2026-01-01T00:00:05Z\"",
                ),
            ),
            (
                "patch.doc-operations",
                patch("<test sel=\"/MPD\"/>", "2026-01-01T00:00:10Z"),
            ),
            ("patch.doc-sel", patch("<add/>", "2026-01-01T00:00:10Z")),
            (
                "patch.doc-selects-one",
                patch("<remove sel=\"/MPD/Period[2]\"/>", "2026-01-01T00:00:10Z"),
            ),
        ];
        assert!(apply(&mpd, &Doc::parse(good.as_bytes()).unwrap(), "p")
            .findings
            .is_empty());
        for r in super::super::rules::RULES {
            if matches!(r.check, super::super::rules::Check::Patch) {
                let (_, xml) = mutations
                    .iter()
                    .find(|(id, _)| *id == r.id)
                    .unwrap_or_else(|| panic!("no mutation for {}", r.id));
                let p = Doc::parse(xml.as_bytes()).unwrap();
                let ids: Vec<&str> = apply(&mpd, &p, "p")
                    .findings
                    .iter()
                    .map(|f| f.rule)
                    .collect();
                assert_eq!(ids, [r.id], "{xml}");
            }
        }
    }
}
