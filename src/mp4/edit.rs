//! An owned, editable box tree, and the rewriting of a movie fragment after
//! boxes in it were added, removed or resized: box sizes, `trun` data offsets
//! and `saio` offsets are made right again.

use super::boxes::{expect, PiffSampleEncryption, Saio, Senc, Tfdt, Tfhd, PIFF_SAMPLE_ENCRYPTION};
use super::error::{ErrorKind, Mp4Error, Result};
use super::fourcc::FourCC;
use super::header::write_header;
use super::tree::{boxes, children_offset, BoxRef};
use super::write::WriteBox;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// The payload, kept as read (or as written by a [`WriteBox`]).
    Leaf(Vec<u8>),
    /// Bytes before the first child (full-box header, sample-entry fields), then the children.
    Container {
        prefix: Vec<u8>,
        children: Vec<Node>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub typ: FourCC,
    pub uuid: Option<[u8; 16]>,
    pub content: Content,
    /// Written back with a 64-bit size because it was read that way.
    pub large: bool,
}

impl Node {
    /// Copies a box and, for containers, its descendants into an editable tree.
    pub fn from_box(b: &BoxRef) -> Result<Node> {
        if (b.data.len() as u64) < b.header.size {
            return Err(b.error(ErrorKind::Truncated {
                need: b.header.size,
                have: b.data.len() as u64,
            }));
        }
        let payload = b.payload();
        let content = match children_offset(b.typ(), payload) {
            Some(start) if start <= payload.len() => {
                let mut children = Vec::new();
                for c in b.children() {
                    children.push(Node::from_box(&c?)?);
                }
                Content::Container {
                    prefix: payload[..start].to_vec(),
                    children,
                }
            }
            _ => Content::Leaf(payload.to_vec()),
        };
        Ok(Node {
            typ: b.typ(),
            uuid: b.header.uuid,
            content,
            large: b.header.is_large(),
        })
    }

    /// Parses one whole box from `data`.
    pub fn parse(data: &[u8]) -> Result<Node> {
        match boxes(data).next() {
            Some(b) => Node::from_box(&b?),
            None => Err(Mp4Error::new(
                0,
                "",
                ErrorKind::Truncated { need: 8, have: 0 },
            )),
        }
    }

    /// A leaf holding a box we create.
    pub fn new_leaf(b: &impl WriteBox) -> Node {
        let mut payload = Vec::new();
        b.write_payload(&mut payload);
        Node {
            typ: b.box_type(),
            uuid: b.uuid(),
            content: Content::Leaf(payload),
            large: false,
        }
    }

    fn header_len(&self, payload_len: u64) -> u64 {
        let uuid = if self.uuid.is_some() { 16 } else { 0 };
        if self.large || 8 + uuid + payload_len > u64::from(u32::MAX) {
            16 + uuid
        } else {
            8 + uuid
        }
    }

    fn payload_len(&self) -> u64 {
        match &self.content {
            Content::Leaf(p) => p.len() as u64,
            Content::Container { prefix, children } => {
                prefix.len() as u64 + children.iter().map(Node::size).sum::<u64>()
            }
        }
    }

    pub fn size(&self) -> u64 {
        let p = self.payload_len();
        self.header_len(p) + p
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        let p = self.payload_len();
        if self.large {
            out.extend_from_slice(&1u32.to_be_bytes());
            out.extend_from_slice(&self.typ.0);
            out.extend_from_slice(&self.size().to_be_bytes());
            if let Some(u) = &self.uuid {
                out.extend_from_slice(u);
            }
        } else {
            write_header(out, self.typ, self.uuid.as_ref(), p);
        }
        match &self.content {
            Content::Leaf(payload) => out.extend_from_slice(payload),
            Content::Container { prefix, children } => {
                out.extend_from_slice(prefix);
                for c in children {
                    c.write(out);
                }
            }
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size() as usize);
        self.write(&mut out);
        out
    }

    pub fn children(&self) -> &[Node] {
        match &self.content {
            Content::Container { children, .. } => children,
            Content::Leaf(_) => &[],
        }
    }

    /// The children of a container; `None` for a leaf.
    pub fn children_mut(&mut self) -> Option<&mut Vec<Node>> {
        match &mut self.content {
            Content::Container { children, .. } => Some(children),
            Content::Leaf(_) => None,
        }
    }

    pub fn child(&self, typ: &[u8; 4]) -> Option<&Node> {
        self.children().iter().find(|c| c.typ == typ)
    }

    pub fn child_mut(&mut self, typ: &[u8; 4]) -> Option<&mut Node> {
        self.children_mut()?.iter_mut().find(|c| c.typ == typ)
    }

    pub fn leaf_payload(&self) -> Option<&[u8]> {
        match &self.content {
            Content::Leaf(p) => Some(p),
            Content::Container { .. } => None,
        }
    }
}

/// An init segment with its `moov` edited by `edit` (sizes recomputed) and
/// every other box copied as it is.
pub fn rewrite_moov<E: From<Mp4Error>>(
    init: &[u8],
    edit: impl FnOnce(&mut Node, u64) -> std::result::Result<(), E>,
) -> std::result::Result<Vec<u8>, E> {
    let mut out = Vec::with_capacity(init.len() + 256);
    let mut edit = Some(edit);
    for b in boxes(init) {
        let b = b?;
        match (b.typ() == b"moov", edit.take()) {
            (true, Some(f)) => {
                let mut moov = Node::from_box(&b)?;
                f(&mut moov, b.offset)?;
                moov.write(&mut out);
            }
            (_, f) => {
                edit = f;
                out.extend_from_slice(b.data);
            }
        }
    }
    Ok(out)
}

/// Rewrites every `tfdt` of a `moof` as version 1, so that later rewrites of
/// the decode time never change a box size. Returns whether anything changed.
pub fn tfdt_to_v1(moof: &mut Node) -> Result<bool> {
    let mut changed = false;
    for traf in moof.children_mut().into_iter().flatten() {
        if traf.typ != b"traf" {
            continue;
        }
        if let Some(tfdt) = traf.child_mut(b"tfdt") {
            let payload = tfdt.leaf_payload().unwrap_or(&[]);
            let t = Tfdt::parse(payload).map_err(|e| e.locate(0, "moof/traf/tfdt"))?;
            if t.version != 1 {
                *tfdt = Node::new_leaf(&Tfdt::v1(t.base_media_decode_time));
                changed = true;
            }
        }
    }
    Ok(changed)
}

/// Writes every sample's duration in each `trun` of `moof` that leaves them
/// to the `tfhd` default (or, without one, `trex_default`, the `trex`'s),
/// so that a server can change one sample's duration in place: the timing
/// is the same, only its form changes. Run inside [`rewrite_moof`], which
/// moves the `trun` data offsets by the moof's growth. Returns whether
/// anything changed.
pub fn durations_explicit(moof: &mut Node, trex_default: u32) -> Result<bool> {
    use super::boxes::trun_flags::{DATA_OFFSET, FIRST_SAMPLE_FLAGS, SAMPLE_CTO, SAMPLE_DURATION};
    use super::boxes::trun_flags::{SAMPLE_FLAGS, SAMPLE_SIZE};
    /// A trun that would grow past this is refused rather than allocated:
    /// 16 M samples is far beyond any real segment.
    const MAX_SAMPLES: u64 = 1 << 24;
    let invalid = |what: &str| Mp4Error::new(0, "moof/traf/trun", ErrorKind::Invalid(what.into()));
    let mut changed = false;
    for traf in moof.children_mut().into_iter().flatten() {
        if traf.typ != b"traf" {
            continue;
        }
        let default = match traf.child(b"tfhd").and_then(Node::leaf_payload) {
            Some(p) => Tfhd::parse(p)
                .map_err(|e| e.locate(0, "moof/traf/tfhd"))?
                .default_sample_duration
                .unwrap_or(trex_default),
            None => trex_default,
        };
        for trun in traf.children_mut().into_iter().flatten() {
            if trun.typ != b"trun" {
                continue;
            }
            let Content::Leaf(p) = &mut trun.content else {
                continue;
            };
            let header: [u8; 4] = p
                .get(..4)
                .and_then(|h| h.try_into().ok())
                .ok_or_else(|| invalid("trun shorter than its header"))?;
            let flags = u32::from_be_bytes([0, header[1], header[2], header[3]]);
            if flags & SAMPLE_DURATION != 0 {
                continue;
            }
            let count = p
                .get(4..8)
                .and_then(|c| <[u8; 4]>::try_from(c).ok())
                .map(u32::from_be_bytes)
                .ok_or_else(|| invalid("trun shorter than its sample count"))?;
            if u64::from(count) > MAX_SAMPLES {
                return Err(invalid("trun sample count too large"));
            }
            let optional = [DATA_OFFSET, FIRST_SAMPLE_FLAGS]
                .iter()
                .filter(|&&f| flags & f != 0)
                .count()
                * 4;
            let per_sample = [SAMPLE_SIZE, SAMPLE_FLAGS, SAMPLE_CTO]
                .iter()
                .filter(|&&f| flags & f != 0)
                .count()
                * 4;
            let start = 8 + optional;
            let end = start + count as usize * per_sample;
            if p.len() < end {
                return Err(invalid("trun shorter than its samples"));
            }
            let mut new = Vec::with_capacity(end + count as usize * 4);
            new.push(header[0]);
            new.extend_from_slice(&(flags | SAMPLE_DURATION).to_be_bytes()[1..]);
            new.extend_from_slice(&p[4..start]);
            // The duration is the first field of each sample's record.
            for i in 0..count as usize {
                new.extend_from_slice(&default.to_be_bytes());
                new.extend_from_slice(&p[start + i * per_sample..start + (i + 1) * per_sample]);
            }
            new.extend_from_slice(&p[end..]);
            *p = new;
            changed = true;
        }
    }
    Ok(changed)
}

/// Makes every traf of `moof` that carries an absolute `tfhd`
/// base_data_offset moof-relative instead (default-base-is-moof, the
/// offset removed), each `trun` data offset moved by what the base was
/// past the moof's own start, `moof_offset` in the source file. ffmpeg's
/// `-movflags frag_keyframe+empty_moov` writes such offsets, which point
/// into the file: a segment cut from it needs them relative to its moof.
/// Run inside [`rewrite_moof`], which then moves the trun offsets by the
/// change in the moof's size. A `trun` without a data offset (its data at
/// the base itself) is refused: the base is then all there is to move.
pub fn base_data_offset_to_moof(moof: &mut Node, moof_offset: u64) -> Result<bool> {
    use super::boxes::tfhd_flags::{BASE_DATA_OFFSET, DEFAULT_BASE_IS_MOOF};
    let mut changed = false;
    for traf in moof.children_mut().into_iter().flatten() {
        if traf.typ != b"traf" {
            continue;
        }
        let Some(tfhd) = traf.child_mut(b"tfhd") else {
            continue;
        };
        let payload = tfhd.leaf_payload().unwrap_or(&[]).to_vec();
        let parsed = Tfhd::parse(&payload).map_err(|e| e.locate(0, "moof/traf/tfhd"))?;
        let Some(base) = parsed.base_data_offset else {
            continue;
        };
        let shift = i64::try_from(base)
            .ok()
            .and_then(|b| b.checked_sub(i64::try_from(moof_offset).ok()?))
            .ok_or_else(|| {
                Mp4Error::new(
                    moof_offset,
                    "moof/traf/tfhd",
                    ErrorKind::Invalid("base_data_offset out of range".into()),
                )
            })?;
        let flags = (parsed.flags & !BASE_DATA_OFFSET) | DEFAULT_BASE_IS_MOOF;
        let mut new = Vec::with_capacity(payload.len() - 8);
        new.push(payload[0]);
        new.extend_from_slice(&flags.to_be_bytes()[1..]);
        new.extend_from_slice(&payload[4..8]); // track_ID
        new.extend_from_slice(&payload[16..]); // the fields after the base
        tfhd.content = Content::Leaf(new);
        for trun in traf.children_mut().into_iter().flatten() {
            if trun.typ != b"trun" {
                continue;
            }
            let Content::Leaf(p) = &mut trun.content else {
                continue;
            };
            let has_offset = p.get(3).is_some_and(|f| f & 1 != 0) && p.len() >= 12;
            if !has_offset {
                return Err(Mp4Error::new(
                    moof_offset,
                    "moof/traf/trun",
                    ErrorKind::Invalid(
                        "trun without a data offset beside an absolute tfhd base_data_offset; \
                         re-package with default-base-is-moof to serve this file as segments"
                            .into(),
                    ),
                ));
            }
            // data_offset: after the full-box header and sample_count.
            let old = i32::from_be_bytes([p[8], p[9], p[10], p[11]]);
            let moved = i32::try_from(i64::from(old) + shift).map_err(|_| {
                Mp4Error::new(
                    moof_offset,
                    "moof/traf/trun",
                    ErrorKind::Invalid("trun data offset overflows".into()),
                )
            })?;
            p[8..12].copy_from_slice(&moved.to_be_bytes());
        }
        changed = true;
    }
    Ok(changed)
}

/// Edits a movie fragment and returns it re-serialised with correct offsets.
///
/// `moof` is the original box as it sits in its file at `moof_offset`. After
/// `edit`, the sizes are recomputed, every `trun` data offset (and an explicit
/// `tfhd` base data offset) moves by the change in the moof's size, so the
/// samples in the following `mdat` are still found, and each `saio` is pointed
/// at the first sample of its traf's `senc` (or PIFF box).
pub fn rewrite_moof(
    moof: &[u8],
    moof_offset: u64,
    edit: impl FnOnce(&mut Node) -> Result<()>,
) -> Result<Vec<u8>> {
    let mut node = Node::parse(moof)?;
    if node.typ != b"moof" {
        return Err(Mp4Error::new(
            moof_offset,
            node.typ.to_string(),
            ErrorKind::Invalid("expected a moof box".into()),
        ));
    }
    let old_size = node.size();
    edit(&mut node)?;
    let mut out = node.to_bytes();
    let delta = out.len() as i64 - old_size as i64;
    fix_offsets(&mut out, moof_offset, delta)?;
    Ok(out)
}

fn patch_field(out: &mut [u8], pos: usize, bytes: &[u8]) -> Result<()> {
    match out.get_mut(pos..pos + bytes.len()) {
        Some(dst) => {
            dst.copy_from_slice(bytes);
            Ok(())
        }
        None => Err(Mp4Error::new(
            pos as u64,
            "moof",
            ErrorKind::Truncated {
                need: bytes.len() as u64,
                have: 0,
            },
        )),
    }
}

fn fix_offsets(out: &mut [u8], moof_offset: u64, delta: i64) -> Result<()> {
    // Find what to patch on a read-only view first, then patch.
    let mut patches: Vec<(usize, Vec<u8>)> = Vec::new();
    {
        let view = out.to_vec();
        let moof = match boxes(&view).next() {
            Some(b) => b?,
            None => return Ok(()),
        };
        for traf in moof.children_of(b"traf")? {
            let tfhd = match traf.child(b"tfhd")? {
                Some(b) => expect(&b, Tfhd::parse)?,
                None => continue,
            };
            let mut senc_start = None;
            for c in traf.children() {
                let c = c?;
                let at = c.offset as usize;
                if c.typ() == b"trun" {
                    let flags = u32::from_be_bytes(
                        c.data
                            .get(8..12)
                            .and_then(|s| s.try_into().ok())
                            .unwrap_or([0; 4]),
                    ) & 0xff_ffff;
                    if flags & 1 != 0 && delta != 0 && tfhd.base_data_offset.is_none() {
                        let pos = at + super::boxes::Trun::DATA_OFFSET_OFFSET;
                        let old = view
                            .get(pos..pos + 4)
                            .and_then(|s| <[u8; 4]>::try_from(s).ok())
                            .map(i32::from_be_bytes)
                            .unwrap_or(0);
                        let new = i32::try_from(i64::from(old) + delta).map_err(|_| {
                            c.error(ErrorKind::Invalid("trun data offset overflows".into()))
                        })?;
                        patches.push((pos, new.to_be_bytes().to_vec()));
                    }
                } else if c.typ() == b"senc" {
                    senc_start = Some(at + Senc::FIRST_SAMPLE_OFFSET);
                } else if c.typ() == b"uuid"
                    && c.header.uuid == Some(PIFF_SAMPLE_ENCRYPTION)
                    && senc_start.is_none()
                {
                    let piff = expect(&c, PiffSampleEncryption::parse_guessing)?;
                    senc_start = Some(at + piff.first_sample_offset());
                }
            }
            if let (Some(base), true) = (tfhd.base_data_offset, delta != 0) {
                let pos = traf
                    .child(b"tfhd")?
                    .map(|b| b.offset as usize + 16)
                    .unwrap_or(0);
                let new = (base as i64 + delta) as u64;
                patches.push((pos, new.to_be_bytes().to_vec()));
            }
            if let (Some(saio_box), Some(start)) = (traf.child(b"saio")?, senc_start) {
                let saio = expect(&saio_box, Saio::parse)?;
                if saio.offsets.len() == 1 {
                    let target = match tfhd.base_data_offset {
                        Some(_) => moof_offset + start as u64,
                        None => start as u64,
                    };
                    let pos = saio_box.offset as usize + saio.first_offset_position();
                    let bytes = if saio.version == 1 {
                        target.to_be_bytes().to_vec()
                    } else {
                        u32::try_from(target)
                            .map_err(|_| {
                                saio_box.error(ErrorKind::Invalid("saio offset overflows".into()))
                            })?
                            .to_be_bytes()
                            .to_vec()
                    };
                    patches.push((pos, bytes));
                }
            }
        }
    }
    for (pos, bytes) in patches {
        patch_field(out, pos, &bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mp4::boxes::{Tfdt, Trun};
    use crate::mp4::mux::{media_segment, test_aac_track, Sample};

    #[test]
    fn durations_made_explicit_keep_the_timing_and_the_samples() {
        let t = test_aac_track();
        let data: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 7 + usize::from(i)]).collect();
        let samples: Vec<Sample> = data
            .iter()
            .map(|d| Sample {
                data: d,
                duration: 1024,
                sync: true,
            })
            .collect();
        // media_segment: a 24-byte styp, then the moof (defaults in tfhd).
        let seg = media_segment(&t, 1, 4096, &samples);
        let moof_len = u32::from_be_bytes(seg[24..28].try_into().unwrap()) as usize;
        let moof = rewrite_moof(&seg[24..24 + moof_len], 0, |m| {
            durations_explicit(m, 0).map(|_| ())
        })
        .unwrap();
        assert_eq!(moof.len(), moof_len + 5 * 4);
        let out = [&seg[..24], &moof[..], &seg[24 + moof_len..]].concat();
        let moof = boxes(&out).nth(1).unwrap().unwrap();
        let traf = moof.child(b"traf").unwrap().unwrap();
        let trun = expect(&traf.child(b"trun").unwrap().unwrap(), Trun::parse).unwrap();
        let tfdt = expect(&traf.child(b"tfdt").unwrap().unwrap(), Tfdt::parse).unwrap();
        assert_eq!(tfdt.base_media_decode_time, 4096);
        assert!(trun.samples.iter().all(|s| s.duration == Some(1024)));
        // The data offset still points at the first sample's bytes.
        let at = 24 + trun.data_offset.unwrap() as usize;
        assert_eq!(&out[at..at + 7], &data[0][..]);
        // Made explicit once, a second pass changes nothing.
        let again = rewrite_moof(moof.data, 0, |m| {
            assert!(!durations_explicit(m, 0)?);
            Ok(())
        })
        .unwrap();
        assert_eq!(again, moof.data);
    }
}
