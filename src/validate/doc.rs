//! The manifest parsed once into a small tree of its own: elements by local
//! name (namespace prefixes dropped: the MPD mixes `cenc:`, `mspr:`,
//! `dashif:`…), attributes as written, text, and the line each element starts
//! on, so every finding points at a line of the manifest.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// One element; `children` index into [`Doc::nodes`].
#[derive(Debug, Clone)]
pub struct Node {
    /// Local name: `pssh` for `cenc:pssh`.
    pub name: String,
    /// `(local name, value)`; values unescaped.
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub line: u32,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Doc {
    pub nodes: Vec<Node>,
}

/// Where the XML is not well-formed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct XmlError {
    pub line: u32,
    pub message: String,
}

/// Manifests far beyond any real one are refused rather than parsed: a
/// request must not cause unbounded work.
pub const MAX_ELEMENTS: usize = 1_000_000;

impl Doc {
    pub fn parse(xml: &[u8]) -> Result<Doc, XmlError> {
        let text = std::str::from_utf8(xml).map_err(|e| XmlError {
            line: line_at(xml, e.valid_up_to()),
            message: format!("not UTF-8: {e}"),
        })?;
        let mut lines = LineMap::new(text.as_bytes());
        let mut reader = Reader::from_str(text);
        let mut nodes: Vec<Node> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        loop {
            let at = reader.buffer_position();
            let ev = reader.read_event().map_err(|e| XmlError {
                line: lines.line(reader.error_position()),
                message: e.to_string(),
            })?;
            match ev {
                Event::Start(ref s) | Event::Empty(ref s) => {
                    let empty = matches!(ev, Event::Empty(_));
                    if nodes.len() >= MAX_ELEMENTS {
                        return Err(XmlError {
                            line: lines.line(at),
                            message: format!("more than {MAX_ELEMENTS} elements"),
                        });
                    }
                    let node = element(s, lines.line(at + 1), stack.last().copied()).map_err(
                        |message| XmlError {
                            line: lines.line(at),
                            message,
                        },
                    )?;
                    let id = nodes.len();
                    if let Some(&p) = stack.last() {
                        nodes[p].children.push(id);
                    } else if !nodes.is_empty() {
                        return Err(XmlError {
                            line: lines.line(at),
                            message: "more than one root element".into(),
                        });
                    }
                    nodes.push(node);
                    if !empty {
                        stack.push(id);
                    }
                }
                Event::End(_) => {
                    stack.pop();
                }
                Event::Text(t) => {
                    if let Some(&p) = stack.last() {
                        let s = t.decode().map_err(|e| XmlError {
                            line: lines.line(at),
                            message: e.to_string(),
                        })?;
                        let s = quick_xml::escape::unescape(&s)
                            .map(|c| c.into_owned())
                            .unwrap_or_else(|_| s.into_owned());
                        nodes[p].text.push_str(&s);
                    }
                }
                Event::CData(t) => {
                    if let Some(&p) = stack.last() {
                        nodes[p].text.push_str(&String::from_utf8_lossy(&t));
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if nodes.is_empty() {
            return Err(XmlError {
                line: 1,
                message: "no root element".into(),
            });
        }
        Ok(Doc { nodes })
    }

    pub fn root(&self) -> usize {
        0
    }

    pub fn node(&self, id: usize) -> &Node {
        &self.nodes[id]
    }

    /// The children of `id` named `name`.
    pub fn children<'a>(&'a self, id: usize, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.nodes[id]
            .children
            .iter()
            .copied()
            .filter(move |&c| self.nodes[c].name == name)
    }

    pub fn child(&self, id: usize, name: &str) -> Option<usize> {
        self.children(id, name).next()
    }

    /// Every element named `name`, in document order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        (0..self.nodes.len()).filter(move |&i| self.nodes[i].name == name)
    }

    /// `attr` on `id` or, inherited as DASH inherits it, on its nearest
    /// ancestor that has it (Representation → AdaptationSet → Period).
    pub fn inherited(&self, id: usize, attr: &str) -> Option<&str> {
        let mut at = Some(id);
        while let Some(i) = at {
            if let Some(v) = self.nodes[i].attr(attr) {
                return Some(v);
            }
            at = self.nodes[i].parent;
        }
        None
    }

    /// `/MPD/Period[1]/AdaptationSet[2]/Representation[@id='v1']`: positions
    /// count from 1 among siblings of the same name; an element with an `@id`
    /// is named by it when it is a Representation (ids are what users know).
    pub fn path(&self, id: usize) -> String {
        let mut parts = Vec::new();
        let mut at = Some(id);
        while let Some(i) = at {
            let n = &self.nodes[i];
            let part = match (n.parent, n.name.as_str(), n.attr("id")) {
                (None, _, _) => n.name.clone(),
                (Some(_), "Representation", Some(rid)) => format!("{}[@id='{rid}']", n.name),
                (Some(p), _, _) => {
                    let same: Vec<usize> = self.children(p, &n.name).collect();
                    if same.len() == 1 {
                        n.name.clone()
                    } else {
                        let pos = same.iter().position(|&s| s == i).unwrap_or(0) + 1;
                        format!("{}[{pos}]", n.name)
                    }
                }
            };
            parts.push(part);
            at = n.parent;
        }
        parts.reverse();
        format!("/{}", parts.join("/"))
    }
}

fn element(s: &BytesStart, line: u32, parent: Option<usize>) -> Result<Node, String> {
    let name = local(s.name().as_ref());
    let mut attrs = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = a.key.as_ref();
        if key.starts_with(b"xmlns") {
            continue;
        }
        let v = a.unescape_value().map_err(|e| e.to_string())?;
        attrs.push((local(key), v.into_owned()));
    }
    Ok(Node {
        name,
        attrs,
        text: String::new(),
        line,
        parent,
        children: Vec::new(),
    })
}

fn local(qname: &[u8]) -> String {
    let l = qname
        .iter()
        .rposition(|&b| b == b':')
        .map_or(qname, |i| &qname[i + 1..]);
    String::from_utf8_lossy(l).into_owned()
}

fn line_at(bytes: &[u8], pos: usize) -> u32 {
    let end = pos.min(bytes.len());
    u32::try_from(bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1).unwrap_or(u32::MAX)
}

/// Byte offsets to lines, for offsets met in increasing order (as the
/// reader meets elements): counts newlines once overall, not per element.
struct LineMap<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u32,
}

impl<'a> LineMap<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineMap {
            bytes,
            pos: 0,
            line: 1,
        }
    }

    fn line(&mut self, offset: u64) -> u32 {
        let to = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        if to < self.pos {
            return line_at(self.bytes, to);
        }
        let n = self.bytes[self.pos..to]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line = self
            .line
            .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
        self.pos = to;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_paths_and_prefixes() {
        let xml = b"<?xml version=\"1.0\"?>\n<MPD xmlns:cenc=\"urn:mpeg:cenc:2013\">\n <Period>\n  <AdaptationSet/>\n  <AdaptationSet>\n   <Representation id=\"v1\"/>\n   <cenc:pssh>AAAA</cenc:pssh>\n  </AdaptationSet>\n </Period>\n</MPD>\n";
        let d = Doc::parse(xml).unwrap();
        let rep = d.all("Representation").next().unwrap();
        assert_eq!(d.node(rep).line, 6);
        assert_eq!(
            d.path(rep),
            "/MPD/Period/AdaptationSet[2]/Representation[@id='v1']"
        );
        let pssh = d.all("pssh").next().unwrap();
        assert_eq!(d.node(pssh).text, "AAAA");
        assert_eq!(d.node(pssh).line, 7);
    }

    #[test]
    fn not_well_formed_names_the_line() {
        let e = Doc::parse(b"<MPD>\n<Period>\n</MPD>").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
    }
}
