//! Zero-copy box tree over a byte slice: headers, payloads and the children of
//! container boxes, each located by file offset and box path.

use super::error::{ErrorKind, FieldError, Mp4Error, Result};
use super::fourcc::FourCC;
use super::header::{parse_header, BoxHeader};

/// Nesting deeper than this is refused; real files stay under 12.
pub const MAX_DEPTH: usize = 32;

/// Box types that often repeat among siblings; their path carries an index,
/// `trak[1]`, so an error points at one of them.
const REPEATED: &[&[u8; 4]] = &[
    b"trak", b"traf", b"trun", b"moof", b"mdat", b"pssh", b"sidx", b"emsg", b"styp", b"free",
    b"skip", b"sgpd", b"sbgp", b"uuid", b"prft",
];

const PLAIN_CONTAINERS: &[&[u8; 4]] = &[
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf", b"sinf", b"schi",
    b"udta", b"edts", b"dinf", b"mfra", b"tref", b"rinf", b"ipro", b"meco", b"strk",
];

pub const VISUAL_ENTRIES: &[&[u8; 4]] = &[
    b"avc1", b"avc3", b"avc2", b"avc4", b"hev1", b"hvc1", b"dvh1", b"dvhe", b"encv", b"av01",
    b"vp08", b"vp09", b"mp4v", b"s263", b"vvc1", b"vvi1", b"resv",
];

pub const AUDIO_ENTRIES: &[&[u8; 4]] = &[
    b"mp4a", b"enca", b"ac-3", b"ec-3", b"ac-4", b"Opus", b"fLaC", b"alac", b"mha1", b"mhm1",
    b"dtsc", b"dtse", b"dtsh", b"dtsl", b"ipcm", b"fpcm",
];

/// Where the children of a container start inside its payload, or `None` for
/// a box whose payload is not made of boxes.
pub fn children_offset(typ: FourCC, payload: &[u8]) -> Option<usize> {
    let t = &typ.0;
    if PLAIN_CONTAINERS.contains(&t) {
        return Some(0);
    }
    match t {
        // ISO meta is a full box; QuickTime's is not: tell them apart by where hdlr sits.
        b"meta" => Some(if payload.get(4..8) == Some(b"hdlr") {
            0
        } else {
            4
        }),
        b"stsd" | b"dref" => Some(8),
        b"wvtt" => Some(8),
        b"tx3g" => Some(38),
        b"stpp" | b"metx" | b"mett" | b"sbtt" | b"stxt" => Some(xml_entry_children(t, payload)),
        _ if VISUAL_ENTRIES.contains(&t) => Some(78),
        _ if AUDIO_ENTRIES.contains(&t) => {
            // QuickTime sound description versions 1 and 2 carry extra fields.
            let version = payload.get(8..10).map(|v| u16::from_be_bytes([v[0], v[1]]));
            Some(match version {
                Some(1) => 44,
                Some(2) => 64,
                _ => 28,
            })
        }
        _ => None,
    }
}

/// Sample entries with NUL-terminated strings after the 8 fixed bytes: stpp and
/// metx have three (the last optional), mett, sbtt and stxt two.
fn xml_entry_children(t: &[u8; 4], payload: &[u8]) -> usize {
    let max_strings = if t == b"stpp" || t == b"metx" { 3 } else { 2 };
    let mut pos = 8usize.min(payload.len());
    for i in 0..max_strings {
        if i >= 1 && looks_like_box(&payload[pos..]) {
            break;
        }
        match payload[pos..].iter().position(|&b| b == 0) {
            Some(n) => pos += n + 1,
            None => return payload.len(),
        }
    }
    pos
}

fn looks_like_box(data: &[u8]) -> bool {
    if data.len() < 8 {
        return false;
    }
    let size = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
    size >= 8
        && size <= data.len()
        && data[4..8]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b' ' || *b == b'-')
}

/// One box inside a byte slice.
#[derive(Debug, Clone)]
pub struct BoxRef<'a> {
    pub header: BoxHeader,
    /// Absolute file offset of the first header byte.
    pub offset: u64,
    /// The whole box, header included. May be shorter than `header.size` only
    /// for boxes whose body was not loaded (see [`crate::mp4::scan`]).
    pub data: &'a [u8],
    pub path: String,
    pub depth: usize,
}

impl<'a> BoxRef<'a> {
    pub fn typ(&self) -> FourCC {
        self.header.typ
    }

    pub fn payload(&self) -> &'a [u8] {
        let start = (self.header.header_len as usize).min(self.data.len());
        &self.data[start..]
    }

    pub fn payload_offset(&self) -> u64 {
        self.offset + self.header.header_len
    }

    pub fn is_container(&self) -> bool {
        children_offset(self.typ(), self.payload()).is_some()
    }

    /// Locates a field-level error inside this box's payload.
    pub fn locate(&self, e: FieldError) -> Mp4Error {
        e.locate(self.payload_offset(), &self.path)
    }

    pub fn error(&self, kind: ErrorKind) -> Mp4Error {
        Mp4Error::new(self.offset, &self.path, kind)
    }

    /// The child boxes; empty for a leaf box.
    pub fn children(&self) -> BoxIter<'a> {
        let payload = self.payload();
        match children_offset(self.typ(), payload) {
            Some(start) if start <= payload.len() => BoxIter::new(
                &payload[start..],
                self.payload_offset() + start as u64,
                &self.path,
                self.depth + 1,
            ),
            Some(_) => BoxIter::failed(self.error(ErrorKind::Truncated {
                need: children_offset(self.typ(), payload).unwrap_or(0) as u64,
                have: payload.len() as u64,
            })),
            None => BoxIter::new(&[], self.payload_offset(), &self.path, self.depth + 1),
        }
    }

    /// The first child of type `typ`.
    pub fn child(&self, typ: &[u8; 4]) -> Result<Option<BoxRef<'a>>> {
        for c in self.children() {
            let c = c?;
            if c.typ() == typ {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// Every child of type `typ`.
    pub fn children_of(&self, typ: &[u8; 4]) -> Result<Vec<BoxRef<'a>>> {
        let mut out = Vec::new();
        for c in self.children() {
            let c = c?;
            if c.typ() == typ {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Follows a `/`-separated path of child types: `mdia/minf/stbl`.
    pub fn find(&self, path: &str) -> Result<Option<BoxRef<'a>>> {
        let mut cur = self.clone();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let Ok(t) = <[u8; 4]>::try_from(part.as_bytes()) else {
                return Ok(None);
            };
            match cur.child(&t)? {
                Some(c) => cur = c,
                None => return Ok(None),
            }
        }
        Ok(Some(cur))
    }
}

/// Names boxes among their siblings: `trak[1]` for repeated types, the bare
/// type otherwise.
#[derive(Debug, Clone, Default)]
pub struct SiblingNames {
    counts: Vec<(FourCC, usize)>,
}

impl SiblingNames {
    /// The path of the next sibling of type `typ` under `parent`.
    pub fn path_of(&mut self, parent: &str, typ: FourCC) -> String {
        let index = match self.counts.iter_mut().find(|(t, _)| *t == typ) {
            Some((_, n)) => {
                *n += 1;
                *n - 1
            }
            None => {
                self.counts.push((typ, 1));
                0
            }
        };
        // Built for every box read (errors name it), so without format!.
        use std::fmt::Write;
        let mut path = String::with_capacity(parent.len() + 12);
        if !parent.is_empty() {
            path.push_str(parent);
            path.push('/');
        }
        let _ = write!(path, "{typ}");
        if REPEATED.contains(&&typ.0) {
            path.push('[');
            path.push_str(itoa::Buffer::new().format(index));
            path.push(']');
        }
        path
    }
}

/// Iterates over consecutive boxes in a slice. After the first error it yields
/// that error once and then stops.
#[derive(Debug, Clone)]
pub struct BoxIter<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    parent: String,
    depth: usize,
    names: SiblingNames,
    pending_error: Option<Mp4Error>,
    done: bool,
}

impl<'a> BoxIter<'a> {
    /// Boxes of `data`, which starts at absolute offset `base` inside a parent
    /// with path `parent` ("" at the top level).
    pub fn new(data: &'a [u8], base: u64, parent: &str, depth: usize) -> Self {
        BoxIter {
            data,
            pos: 0,
            base,
            parent: parent.to_string(),
            depth,
            names: SiblingNames::default(),
            pending_error: None,
            done: false,
        }
    }

    fn failed(e: Mp4Error) -> Self {
        let mut it = BoxIter::new(&[], 0, "", 0);
        it.pending_error = Some(e);
        it
    }

    fn child_path(&mut self, typ: FourCC) -> String {
        self.names.path_of(&self.parent, typ)
    }
}

impl<'a> Iterator for BoxIter<'a> {
    type Item = Result<BoxRef<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending_error.take() {
            self.done = true;
            return Some(Err(e));
        }
        if self.done || self.pos >= self.data.len() {
            return None;
        }
        let offset = self.base + self.pos as u64;
        if self.depth > MAX_DEPTH {
            self.done = true;
            return Some(Err(Mp4Error::new(
                offset,
                &self.parent,
                ErrorKind::TooDeep(MAX_DEPTH),
            )));
        }
        let rest = &self.data[self.pos..];
        let header = match parse_header(rest, rest.len() as u64) {
            Ok(h) => h,
            Err(e) => {
                self.done = true;
                let path = match rest.get(4..8) {
                    Some(t) if rest.len() >= 8 => self.child_path(FourCC([t[0], t[1], t[2], t[3]])),
                    _ => self.parent.clone(),
                };
                return Some(Err(e.locate(offset, &path)));
            }
        };
        let path = self.child_path(header.typ);
        let size = header.size as usize;
        let item = BoxRef {
            header,
            offset,
            data: &rest[..size],
            path,
            depth: self.depth,
        };
        self.pos += size;
        Some(Ok(item))
    }
}

/// The top-level boxes of a whole file held in memory.
pub fn boxes(data: &[u8]) -> BoxIter<'_> {
    BoxIter::new(data, 0, "", 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(typ: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(typ);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn walks_containers_and_names_paths() {
        let trak0 = bx(b"trak", &bx(b"tkhd", &[0; 4]));
        let trak1 = bx(b"trak", &bx(b"mdia", &bx(b"mdhd", &[1; 4])));
        let moov = bx(b"moov", &[trak0, trak1].concat());
        let top: Vec<_> = boxes(&moov).collect::<Result<_>>().unwrap();
        let moov_ref = &top[0];
        let mdhd = moov_ref.children().nth(1).unwrap().unwrap();
        let mdhd = mdhd.find("mdia/mdhd").unwrap().unwrap();
        assert_eq!(mdhd.path, "moov/trak[1]/mdia/mdhd");
        assert_eq!(mdhd.offset, 8 + 20 + 8 + 8);
        assert_eq!(mdhd.payload(), &[1; 4]);
    }

    #[test]
    fn error_names_offset_and_path() {
        let mut bad = bx(b"stbl", &bx(b"stsd", &[0; 8]));
        bad[8 + 3] = 200; // stsd claims more than stbl holds
        let moov = bx(b"moov", &bx(b"trak", &bx(b"mdia", &bx(b"minf", &bad))));
        let root = boxes(&moov).next().unwrap().unwrap();
        let stbl = root.find("trak/mdia/minf/stbl").unwrap().unwrap();
        let err = stbl.children().next().unwrap().unwrap_err();
        assert_eq!(err.path, "moov/trak[0]/mdia/minf/stbl/stsd");
        assert_eq!(err.offset, 40);
        assert!(err
            .to_string()
            .starts_with("moov/trak[0]/mdia/minf/stbl/stsd at 0x28: box size 200"));
    }

    #[test]
    fn refuses_runaway_nesting() {
        let mut b = bx(b"free", &[]);
        for _ in 0..40 {
            b = bx(b"moov", &b);
        }
        let mut cur = boxes(&b).next().unwrap().unwrap();
        let err = loop {
            match cur.children().next() {
                Some(Ok(c)) => cur = c,
                Some(Err(e)) => break e,
                None => panic!("expected a depth error"),
            }
        };
        assert_eq!(err.kind, ErrorKind::TooDeep(MAX_DEPTH));
    }
}
