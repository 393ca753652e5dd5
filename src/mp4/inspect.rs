//! The box tree of a file with every parsed field, for `dashlive inspect`:
//! as indented text (one box a line) or as JSON.

use std::fmt::Write as _;
use std::io::{Read, Seek};

use serde::Serialize;
use serde_json::Value;

use super::boxes::{hex, parse_typed, ParseContext};
use super::error::Mp4Error;
use super::scan::Scanner;
use super::tree::BoxRef;

#[derive(Debug, Clone, Serialize)]
pub struct BoxNode {
    #[serde(rename = "type")]
    pub typ: String,
    pub path: String,
    pub offset: u64,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<BoxNode>,
}

/// What could be read of a file, and the errors met on the way.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub boxes: Vec<BoxNode>,
    #[serde(serialize_with = "errors_as_strings")]
    pub errors: Vec<Mp4Error>,
}

fn errors_as_strings<S: serde::Serializer>(e: &[Mp4Error], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(e.iter().map(|e| e.to_string()))
}

/// Reads the whole box tree of `len` bytes from `src`, skipping media data.
pub fn inspect<R: Read + Seek>(src: R, len: u64) -> Report {
    let mut report = Report {
        boxes: Vec::new(),
        errors: Vec::new(),
    };
    let mut ctx = ParseContext::default();
    for top in Scanner::new(src, len) {
        match top {
            Ok(top) => {
                let node = walk(&top.as_box_ref(), &mut ctx, &mut report.errors);
                report.boxes.push(node);
            }
            Err(e) => report.errors.push(e),
        }
    }
    report
}

fn walk(b: &BoxRef, ctx: &mut ParseContext, errors: &mut Vec<Mp4Error>) -> BoxNode {
    let fields = match parse_typed(b, ctx) {
        Ok(p) => p.and_then(|p| serde_json::to_value(p).ok()),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let mut children = Vec::new();
    if (b.data.len() as u64) >= b.header.size {
        for c in b.children() {
            match c {
                Ok(c) => children.push(walk(&c, ctx, errors)),
                Err(e) => errors.push(e),
            }
        }
    }
    BoxNode {
        typ: b.typ().to_string(),
        path: b.path.clone(),
        offset: b.offset,
        size: b.header.size,
        uuid: b.header.uuid.as_ref().map(hex::uuid_string),
        fields,
        children,
    }
}

/// Whether a box path matches a selector such as `moov/trak/mdia` or
/// `moof[2]/traf`: a part without an index matches any index.
pub fn path_matches(path: &str, selector: &str) -> bool {
    let p: Vec<&str> = path.split('/').collect();
    let s: Vec<&str> = selector.trim_matches('/').split('/').collect();
    p.len() == s.len()
        && p.iter()
            .zip(&s)
            .all(|(p, s)| *p == *s || (!s.contains('[') && p.split('[').next() == Some(*s)))
}

/// The boxes (with their subtrees) whose path matches `selector`.
pub fn select<'a>(boxes: &'a [BoxNode], selector: &str, out: &mut Vec<&'a BoxNode>) {
    for b in boxes {
        if path_matches(&b.path, selector) {
            out.push(b);
        } else {
            select(&b.children, selector, out);
        }
    }
}

/// How much of long entry lists (trun samples, senc IVs) text output shows.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    pub max_entries: usize,
}

/// One box a line, indented by depth: `moov @0x5f size=691`, then its fields.
pub fn render_text(boxes: &[&BoxNode], opts: TextOptions) -> String {
    let mut out = String::new();
    for b in boxes {
        render_box(&mut out, b, 0, opts);
    }
    out
}

fn render_box(out: &mut String, b: &BoxNode, depth: usize, opts: TextOptions) {
    let pad = "  ".repeat(depth);
    let _ = write!(out, "{pad}{} @{:#x} size={}", b.typ, b.offset, b.size);
    if let Some(u) = &b.uuid {
        let _ = write!(out, " uuid={u}");
    }
    let mut lists = Vec::new();
    if let Some(Value::Object(map)) = &b.fields {
        for (k, v) in map {
            match v {
                Value::Array(items) if items.iter().any(|i| i.is_object()) => {
                    lists.push((k, items))
                }
                Value::Null => {}
                _ => {
                    let _ = write!(out, " {k}={}", scalar(v, opts));
                }
            }
        }
    }
    out.push('\n');
    for (k, items) in lists {
        for (i, item) in items.iter().take(opts.max_entries).enumerate() {
            let _ = writeln!(out, "{pad}    {k}[{i}]: {}", inline(item, opts));
        }
        if items.len() > opts.max_entries {
            let _ = writeln!(
                out,
                "{pad}    … {} more {k} (--full shows all)",
                items.len() - opts.max_entries
            );
        }
    }
    for c in &b.children {
        render_box(out, c, depth + 1, opts);
    }
}

fn inline(v: &Value, opts: TextOptions) -> String {
    match v {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{k}={}", scalar(v, opts)))
            .collect::<Vec<_>>()
            .join(" "),
        other => scalar(other, opts),
    }
}

fn scalar(v: &Value, opts: TextOptions) -> String {
    match v {
        Value::String(s) => {
            if s.is_empty() || s.contains(' ') {
                format!("{s:?}")
            } else {
                s.clone()
            }
        }
        Value::Array(items) => {
            let shown: Vec<String> = items
                .iter()
                .take(opts.max_entries.max(16))
                .map(|i| inline(i, opts))
                .collect();
            let more = items.len().saturating_sub(shown.len());
            if more > 0 {
                format!("[{}, … +{more}]", shown.join(", "))
            } else {
                format!("[{}]", shown.join(", "))
            }
        }
        Value::Object(_) => format!("{{{}}}", inline(v, opts)),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_with_and_without_indices() {
        assert!(path_matches("moov/trak[0]/mdia", "moov/trak/mdia"));
        assert!(path_matches("moof[2]/traf[0]", "moof[2]/traf"));
        assert!(!path_matches("moof[1]/traf[0]", "moof[2]/traf"));
        assert!(!path_matches("moov/trak[0]", "moov/trak/mdia"));
    }
}
