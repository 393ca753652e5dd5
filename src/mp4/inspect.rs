//! The box tree of a file with every parsed field, for `dashlive inspect`:
//! as indented text (one box a line) or as JSON.

use std::fmt::Write as _;
use std::io::{Read, Seek};

use serde::Serialize;
use serde_json::Value;

use super::boxes::{hex, parse_typed, ParseContext};
use super::error::{ErrorKind, Mp4Error};
use super::header::parse_header;
use super::scan::Scanner;
use super::tree::{children_offset, BoxIter, BoxRef};

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
    /// Set when the file ends inside this box: how many of its bytes it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_present: Option<u64>,
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
    let mut scanner = Scanner::new(src, len);
    while let Some(top) = scanner.next() {
        match top {
            Ok(top) => {
                let node = walk(&top.as_box_ref(), &mut ctx, &mut report.errors);
                report.boxes.push(node);
            }
            // A box the file cuts short: show what there is of it.
            Err(e) if matches!(e.kind, ErrorKind::PastParent { .. }) => {
                match scanner.read_cut_box(e.offset) {
                    Ok(Some(data)) => {
                        let path = e.path.clone();
                        match walk_cut(&data, e.offset, path, 0, &mut ctx, &mut report.errors) {
                            Some(node) => report.boxes.push(node),
                            None => report.errors.push(e),
                        }
                    }
                    Ok(None) => report.errors.push(e),
                    Err(io) => report.errors.extend([e, io]),
                }
            }
            Err(e) => report.errors.push(e),
        }
    }
    report
}

fn walk(b: &BoxRef, ctx: &mut ParseContext, errors: &mut Vec<Mp4Error>) -> BoxNode {
    let mut fields = match parse_typed(b, ctx) {
        Ok(p) => p.and_then(|p| serde_json::to_value(p).ok()),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if b.typ() == b"emsg" {
        if let Some(f) = fields.as_mut() {
            add_scte35(b, f);
        }
    }
    let mut children = Vec::new();
    if (b.data.len() as u64) >= b.header.size {
        for c in b.children() {
            match c {
                Ok(c) => children.push(walk(&c, ctx, errors)),
                Err(e) => errors.push(e),
            }
        }
    }
    node(b, fields, children, None)
}

/// An `emsg` of a SCTE-35 scheme shows its message decoded (`scte35`), or
/// why it does not decode (`scte35_error`).
fn add_scte35(b: &BoxRef, fields: &mut Value) {
    let Ok(e) = super::boxes::Emsg::parse(b.payload()) else {
        return;
    };
    let Some(obj) = fields.as_object_mut() else {
        return;
    };
    if !crate::scte35::is_scte35_scheme(&e.scheme_id_uri) {
        return;
    }
    let (key, value) = match crate::scte35::SpliceInfoSection::decode(&e.message_data) {
        Ok(s) => ("scte35", serde_json::to_value(s)),
        Err(err) => ("scte35_error", Ok(Value::String(err.to_string()))),
    };
    if let Ok(v) = value {
        obj.insert(key.into(), v);
    }
}

fn node(
    b: &BoxRef,
    fields: Option<Value>,
    children: Vec<BoxNode>,
    bytes_present: Option<u64>,
) -> BoxNode {
    BoxNode {
        typ: b.typ().to_string(),
        path: b.path.clone(),
        offset: b.offset,
        size: b.header.size,
        uuid: b.header.uuid.as_ref().map(hex::uuid_string),
        fields,
        children,
        bytes_present,
    }
}

/// A box of which `data` (starting at file offset `offset`) is all the file
/// holds: its fields when the bytes before its children are all there, the
/// children that are whole, and, recursively, what there is of the child the
/// file cuts. Pushes one error, at the innermost box that is cut, and returns
/// `None` when not even the header is there.
fn walk_cut(
    data: &[u8],
    offset: u64,
    path: String,
    depth: usize,
    ctx: &mut ParseContext,
    errors: &mut Vec<Mp4Error>,
) -> Option<BoxNode> {
    // Any size will do here: the point is that it runs past the data.
    let header = parse_header(data, u64::MAX).ok()?;
    let b = BoxRef {
        header,
        offset,
        data,
        path,
        depth,
    };
    let payload = b.payload();
    // Whether an error below already says where the data ends (the walk over
    // the children stops at its first error).
    let mut reported_below = false;
    let mut fields = None;
    let mut children = Vec::new();
    if let Some(start) = children_offset(b.typ(), payload).filter(|s| *s <= payload.len()) {
        // The fields before the children are whole: parse them as if the box ended there.
        let head_len = header.header_len as usize + start;
        let head = BoxRef {
            header: super::header::BoxHeader {
                size: head_len as u64,
                ..header
            },
            data: &data[..head_len],
            ..b.clone()
        };
        fields = parse_typed(&head, ctx)
            .ok()
            .flatten()
            .and_then(|p| serde_json::to_value(p).ok());
        let base = b.payload_offset() + start as u64;
        // How far the box says its children go, past what the file holds.
        let declared_end = offset.saturating_add(header.size);
        for c in BoxIter::new(&payload[start..], base, &b.path, depth + 1) {
            match c {
                Ok(c) => children.push(walk(&c, ctx, errors)),
                Err(e) => {
                    reported_below = true;
                    let cut_here = match e.kind {
                        ErrorKind::PastParent { size, .. } => {
                            e.offset.saturating_add(size) <= declared_end
                        }
                        _ => false,
                    };
                    let rest = e
                        .offset
                        .checked_sub(base)
                        .and_then(|at| usize::try_from(at).ok())
                        .and_then(|at| payload.get(start + at..));
                    let cut = match rest {
                        Some(rest) if cut_here => {
                            walk_cut(rest, e.offset, e.path.clone(), depth + 1, ctx, errors)
                        }
                        _ => None,
                    };
                    match cut {
                        Some(n) => children.push(n),
                        None => errors.push(e),
                    }
                }
            }
        }
    }
    if !reported_below {
        errors.push(b.error(ErrorKind::Truncated {
            need: header.size,
            have: data.len() as u64,
        }));
    }
    Some(node(&b, fields, children, Some(data.len() as u64)))
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
    if let Some(n) = b.bytes_present {
        let _ = write!(out, " (cut short: {n} bytes in the file)");
    }
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
    use std::io::Cursor;

    fn bx(typ: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(typ);
        v.extend_from_slice(payload);
        v
    }

    fn inspect_bytes(data: &[u8]) -> Report {
        inspect(Cursor::new(data), data.len() as u64)
    }

    #[test]
    fn a_file_cut_between_children_names_the_cut_parent() {
        let moov = bx(b"moov", &[bx(b"free", &[1; 4]), bx(b"trak", &[])].concat());
        // Ends after the free box: moov's children so far are whole.
        let r = inspect_bytes(&moov[..20]);
        assert_eq!(r.boxes[0].bytes_present, Some(20));
        assert_eq!(r.boxes[0].children.len(), 1);
        let errors: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errors,
            ["moov at 0x0: truncated: needs 28 bytes, 20 available"]
        );
        // Ends 3 bytes into the trak header: the error points at where it starts.
        let r = inspect_bytes(&moov[..23]);
        assert_eq!(r.boxes[0].children.len(), 1);
        assert_eq!(
            r.errors[0].to_string(),
            "moov at 0x14: truncated: needs 8 bytes, 3 available"
        );
    }

    #[test]
    fn a_bad_whole_child_does_not_hide_the_cut() {
        // An mvhd too short to parse, then the file ends where moov's next child would start.
        let mut moov = bx(b"moov", &bx(b"mvhd", &[0; 4]));
        moov[0..4].copy_from_slice(&40u32.to_be_bytes());
        let r = inspect_bytes(&moov);
        let errors: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with("moov/mvhd at 0x14: truncated"),
            "{errors:?}"
        );
        assert_eq!(
            errors[1],
            "moov at 0x0: truncated: needs 40 bytes, 20 available"
        );
    }

    #[test]
    fn a_child_larger_than_its_cut_parent_says_so() {
        // A moov of 40 bytes cut at 28, whose trak claims 100: corrupt, not merely cut.
        let mut moov = bx(b"moov", &[bx(b"free", &[1; 4]), bx(b"trak", &[])].concat());
        moov[0..4].copy_from_slice(&40u32.to_be_bytes());
        moov[20..24].copy_from_slice(&100u32.to_be_bytes());
        let r = inspect_bytes(&moov);
        assert_eq!(r.errors.len(), 1);
        assert!(
            r.errors[0]
                .to_string()
                .starts_with("moov/trak[0] at 0x14: box size 100 runs past"),
            "{}",
            r.errors[0]
        );
    }

    #[test]
    fn cut_media_data_is_reported_without_loading_it() {
        let mut file = bx(b"free", &[]);
        file.extend_from_slice(&bx(b"mdat", &[7; 64])[..20]);
        let r = inspect_bytes(&file);
        assert_eq!(r.boxes.len(), 1);
        assert!(matches!(
            r.errors[0].kind,
            ErrorKind::PastParent { size: 72, .. }
        ));
    }

    #[test]
    fn a_tx3g_font_table_shows_its_fonts() {
        let mut ftab = 1u16.to_be_bytes().to_vec();
        ftab.extend_from_slice(&[0, 1, 10]);
        ftab.extend_from_slice(b"Sans-Serif");
        let mut tx3g = vec![0u8; 38];
        tx3g[7] = 1; // data_reference_index
        tx3g.extend_from_slice(&bx(b"ftab", &ftab));
        let stsd = bx(
            b"stsd",
            &[&[0, 0, 0, 0, 0, 0, 0, 1][..], &bx(b"tx3g", &tx3g)].concat(),
        );
        let r = inspect_bytes(&stsd);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let mut shown = Vec::new();
        select(&r.boxes, "stsd/tx3g/ftab", &mut shown);
        let text = render_text(&shown, TextOptions { max_entries: 8 });
        assert_eq!(
            text,
            "ftab @0x3e size=23\n    fonts[0]: font_id=1 name=Sans-Serif\n"
        );
    }

    #[test]
    fn selectors_match_with_and_without_indices() {
        assert!(path_matches("moov/trak[0]/mdia", "moov/trak/mdia"));
        assert!(path_matches("moof[2]/traf[0]", "moof[2]/traf"));
        assert!(!path_matches("moof[1]/traf[0]", "moof[2]/traf"));
        assert!(!path_matches("moov/trak[0]", "moov/trak/mdia"));
    }
}
