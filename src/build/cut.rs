//! Cuts one media segment out of its source file into the form the tree
//! stores: `styp` and any `emsg`/`prft` kept, `sidx` dropped (it describes a
//! file, and a lone segment needs none), every `tfdt` made 64-bit so live
//! rewrites never change a size, and `trun`/`saio` offsets made right again.

use crate::mp4::boxes::{expect, Tfhd};
use crate::mp4::edit::{base_data_offset_to_moof, durations_explicit, rewrite_moof, tfdt_to_v1};
use crate::mp4::{boxes, ErrorKind, Mp4Error};

/// Bumped whenever what a cut writes changes (segments, init or live init
/// segments), so that trees built before cut their representations again.
/// 3: the index records the patch points of every chunk's moof.
/// 4: a moof that does not start with a sync sample (in a file without
/// `styp`) is a chunk of the segment before it, not a segment; absolute
/// `tfhd` base data offsets are made moof-relative.
/// 5: the last segment of a track longer than its loop carries per-sample
/// durations, and the index their positions, for live to trim.
/// 6: a file with absolute base data offsets gets an on-demand file made of
/// its cut segments (the source's offsets hold only in the source).
pub const CUT_REVISION: u32 = 6;

pub fn cut_segment(data: &[u8]) -> Result<Vec<u8>, Mp4Error> {
    cut_boxes(data, None)
}

/// [`cut_segment`] of boxes found at `source_offset` in their file: a moof
/// with an absolute `tfhd` base_data_offset (ffmpeg's `frag_keyframe
/// +empty_moov` without `default_base_moof`) is made moof-relative; without
/// the offset such a moof is refused.
pub fn cut_boxes(data: &[u8], source_offset: Option<u64>) -> Result<Vec<u8>, Mp4Error> {
    cut_boxes_with(data, source_offset, None)
}

/// [`cut_boxes`], and with `explicit_durations` (the `trex` default sample
/// duration) every `trun` made to carry its sample durations, for the
/// segment whose end live serving trims (see [`crate::mp4::patch::PatchPoints::trim`]).
pub fn cut_boxes_with(
    data: &[u8],
    source_offset: Option<u64>,
    explicit_durations: Option<u32>,
) -> Result<Vec<u8>, Mp4Error> {
    cut_and_report(data, source_offset, explicit_durations).map(|(out, _)| out)
}

/// [`cut_boxes_with`], and whether a `tfhd` base data offset was made
/// moof-relative (the source's layout then holds only in the source).
fn cut_and_report(
    data: &[u8],
    source_offset: Option<u64>,
    explicit_durations: Option<u32>,
) -> Result<(Vec<u8>, bool), Mp4Error> {
    let mut relocated = false;
    let mut out = Vec::with_capacity(data.len() + 16);
    for b in boxes(data) {
        let b = b?;
        match &b.typ().0 {
            b"sidx" => {}
            // `msix` promises a sidx, which cut segments no longer carry.
            b"styp" => out.extend(without_brand(&b, b"msix")?),
            b"moof" => {
                // Absolute data offsets would point into the source file.
                if source_offset.is_none() {
                    for traf in b.children_of(b"traf")? {
                        if let Some(t) = traf.child(b"tfhd")? {
                            if expect(&t, Tfhd::parse)?.base_data_offset.is_some() {
                                return Err(t.error(ErrorKind::Invalid(
                                    "tfhd carries an absolute base_data_offset; re-package with \
                                     default-base-is-moof to serve this file as segments"
                                        .into(),
                                )));
                            }
                        }
                    }
                }
                let at = source_offset.map(|s| s + b.offset);
                out.extend(rewrite_moof(b.data, b.offset, |m| {
                    if let Some(at) = at {
                        relocated |= base_data_offset_to_moof(m, at)?;
                    }
                    if let Some(d) = explicit_durations {
                        durations_explicit(m, d)?;
                    }
                    tfdt_to_v1(m).map(|_| ())
                })?);
            }
            _ => out.extend_from_slice(b.data),
        }
    }
    Ok((out, relocated))
}

/// A `styp` (or `ftyp`) with `brand` taken out of its compatible brands
/// (and replaced as major brand by `msdh`); the box as is when absent.
fn without_brand(b: &crate::mp4::BoxRef, brand: &[u8; 4]) -> Result<Vec<u8>, Mp4Error> {
    use crate::mp4::boxes::FileType;
    use crate::mp4::mux::bx;
    let t = expect(b, FileType::parse)?;
    if t.major_brand != brand && !t.compatible_brands.iter().any(|c| c.0 == *brand) {
        return Ok(b.data.to_vec());
    }
    let major = if t.major_brand == brand {
        *b"msdh"
    } else {
        t.major_brand.0
    };
    let mut p = major.to_vec();
    p.extend_from_slice(&t.minor_version.to_be_bytes());
    for c in t.compatible_brands.iter().filter(|c| c.0 != *brand) {
        p.extend_from_slice(&c.0);
    }
    Ok(bx(&b.typ().0, &p))
}

/// The live variant of an init segment: no `mehd` (a live presentation has
/// no fragment duration) and a zero (unknown) duration in `mvhd`, `tkhd` and
/// `mdhd`, so players do not take the loop's length as the stream's end.
/// Every box keeps its size and version; everything else, byte for byte.
pub fn live_init(init: &[u8]) -> Result<Vec<u8>, Mp4Error> {
    crate::mp4::edit::rewrite_moov(init, |moov, _| {
        if let Some(mvex) = moov.child_mut(b"mvex") {
            if let Some(children) = mvex.children_mut() {
                children.retain(|c| c.typ != b"mehd");
            }
        }
        zero_durations(moov)
    })
}

/// Where each header box keeps its duration: the offset in its payload (from
/// the version byte) for version 0 (32 bits) and for version 1 (64 bits).
const DURATION_AT: [(&[u8; 4], usize, usize); 3] =
    [(b"mvhd", 16, 24), (b"tkhd", 20, 28), (b"mdhd", 16, 24)];

/// Zeroes the duration of every `mvhd`, `tkhd` and `mdhd` in `node`, which
/// live under `moov`, `trak` and `mdia` only.
fn zero_durations(node: &mut crate::mp4::edit::Node) -> Result<(), Mp4Error> {
    use crate::mp4::edit::Content;
    let typ = node.typ;
    match &mut node.content {
        Content::Leaf(payload) => {
            let Some(&(_, v0, v1)) = DURATION_AT.iter().find(|(t, ..)| typ == *t) else {
                return Ok(());
            };
            let (at, len) = if payload.first() == Some(&1) {
                (v1, 8)
            } else {
                (v0, 4)
            };
            let have = payload.len() as u64;
            let field = payload.get_mut(at..at + len).ok_or_else(|| {
                Mp4Error::new(
                    0,
                    typ.to_string(),
                    ErrorKind::Truncated {
                        need: (at + len) as u64,
                        have,
                    },
                )
            })?;
            field.fill(0);
        }
        Content::Container { children, .. } => {
            if [b"moov", b"trak", b"mdia"].iter().any(|t| typ == *t) {
                for c in children {
                    zero_durations(c)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mp4::mux::{init_segment, TrackConfig};

    #[test]
    fn cut_segments_drop_sidx_and_the_msix_brand() {
        use crate::mp4::boxes::FileType;
        use crate::mp4::mux::bx;
        let styp = bx(b"styp", b"msdh\0\0\0\0msdhmsix");
        let sidx = bx(b"sidx", &[0; 24]);
        let free = bx(b"free", b"x");
        let seg = [styp, sidx, free.clone()].concat();
        let cut = cut_segment(&seg).unwrap();
        let types: Vec<String> = boxes(&cut).map(|b| b.unwrap().typ().to_string()).collect();
        assert_eq!(types, ["styp", "free"]);
        let s = boxes(&cut).next().unwrap().unwrap();
        let t = FileType::parse(s.payload()).unwrap();
        assert_eq!(t.major_brand, b"msdh");
        assert!(t.compatible_brands.iter().all(|c| &c.0 != b"msix"));
    }

    /// A stereo AAC track at 48 kHz.
    fn audio_track() -> TrackConfig {
        TrackConfig {
            duration: 480_000,
            ..crate::mp4::mux::test_aac_track()
        }
    }

    /// An audio init segment whose `mvhd` and `tkhd` (version 0) and `mdhd`
    /// (version 1) carry a duration, as some packagers write them.
    fn init_with_durations() -> Vec<u8> {
        use crate::mp4::edit::{Content, Node};
        use crate::mp4::mux::full_box;
        let t = audio_track();
        let init = init_segment(&t);
        let mut moov = boxes(&init)
            .map(|b| Node::from_box(&b.unwrap()).unwrap())
            .find(|n| n.typ == b"moov")
            .unwrap();
        let set = |n: &mut Node, at: usize, v: u32| {
            if let Content::Leaf(p) = &mut n.content {
                p[at..at + 4].copy_from_slice(&v.to_be_bytes());
            }
        };
        set(moov.child_mut(b"mvhd").unwrap(), 16, 10_000);
        let trak = moov.child_mut(b"trak").unwrap();
        set(trak.child_mut(b"tkhd").unwrap(), 20, 10_000);
        // mdhd version 1: times and duration 64-bit, then language and pre_defined.
        let mut mdhd = Vec::new();
        for v in [0u64, 0] {
            mdhd.extend_from_slice(&v.to_be_bytes());
        }
        mdhd.extend_from_slice(&48_000u32.to_be_bytes());
        mdhd.extend_from_slice(&480_000u64.to_be_bytes());
        mdhd.extend_from_slice(&[0x55, 0xc4, 0, 0]);
        let mdia = trak.child_mut(b"mdia").unwrap();
        *mdia.child_mut(b"mdhd").unwrap() = Node::parse(&full_box(b"mdhd", 1, 0, &mdhd)).unwrap();
        let ftyp = boxes(&init).next().unwrap().unwrap().data.to_vec();
        [ftyp, moov.to_bytes()].concat()
    }

    #[test]
    fn the_live_init_has_no_mehd_and_no_duration_and_nothing_else_changes() {
        use crate::mp4::boxes::{Mdhd, Mvhd, Tkhd};
        let vod = init_with_durations();
        let live = live_init(&vod).unwrap();
        let find = |d: &[u8], t: &str| -> Option<Vec<u8>> {
            let moov = boxes(d)
                .find(|b| b.as_ref().unwrap().typ() == b"moov")
                .unwrap()
                .unwrap();
            moov.find(t).unwrap().map(|b| b.payload().to_vec())
        };
        assert!(find(&vod, "mvex/mehd").is_some() && find(&live, "mvex/mehd").is_none());
        assert!(find(&live, "mvex/trex").is_some());
        let header = |d: &[u8]| {
            let mvhd = Mvhd::parse(&find(d, "mvhd").unwrap()).unwrap();
            let tkhd = Tkhd::parse(&find(d, "trak/tkhd").unwrap()).unwrap();
            let mdhd = Mdhd::parse(&find(d, "trak/mdia/mdhd").unwrap()).unwrap();
            (mvhd, tkhd, mdhd)
        };
        let (vm, vt, vd) = header(&vod);
        assert_eq!(
            (vm.duration, vt.duration, vd.duration),
            (10_000, 10_000, 480_000)
        );
        let (lm, lt, ld) = header(&live);
        assert_eq!((lm.duration, lt.duration, ld.duration), (0, 0, 0));
        assert_eq!(
            (lm.version, lt.version, ld.version),
            (0, 0, 1),
            "versions kept"
        );
        assert_eq!(
            (lm.timescale, lt.track_id, ld.timescale),
            (48_000, 1, 48_000)
        );
        assert_eq!(ld.language, "und");
        assert_eq!(
            find(&live, "trak/mdia/minf/stbl/stsd"),
            find(&vod, "trak/mdia/minf/stbl/stsd")
        );
        assert_eq!(live.len(), vod.len() - 20, "only the 20-byte mehd went");
    }

    #[test]
    fn absolute_base_data_offsets_are_made_moof_relative() {
        // ffmpeg -movflags frag_keyframe+empty_moov: tfhd base_data_offset
        // set to the moof's place in the file, trun offsets from there.
        use crate::mp4::boxes::tfhd_flags::{BASE_DATA_OFFSET, DEFAULT_BASE_IS_MOOF};
        use crate::mp4::mux::{bx, media_segment, Sample};
        use std::io::Write;
        let t = audio_track();
        let data: Vec<u8> = (0..=255).collect();
        let samples: Vec<Sample> = (0..10)
            .map(|_| Sample {
                data: &data,
                duration: 1024,
                sync: true,
            })
            .collect();
        let relative = media_segment(&t, 2, 10_240, &samples);
        let lead = bx(b"free", &[0; 40]); // the segment is not at the file's start
        let at_in_file = 100 + lead.len() as u64;
        let moof_at = 24; // after media_segment's styp
        let mut absolute = relative[..moof_at].to_vec();
        let moof = &relative[moof_at..];
        let moof_len = u32::from_be_bytes(moof[..4].try_into().unwrap()) as usize;
        absolute.extend(
            rewrite_moof(&moof[..moof_len], 0, |m| {
                let traf = m.child_mut(b"traf").unwrap();
                let tfhd = traf.child_mut(b"tfhd").unwrap();
                let mut p = tfhd.leaf_payload().unwrap().to_vec();
                let flags = u32::from_be_bytes([0, p[1], p[2], p[3]]);
                let flags = (flags | BASE_DATA_OFFSET) & !DEFAULT_BASE_IS_MOOF;
                p[1..4].copy_from_slice(&flags.to_be_bytes()[1..]);
                let base = at_in_file + moof_at as u64;
                p.splice(8..8, base.to_be_bytes());
                tfhd.content = crate::mp4::edit::Content::Leaf(p);
                Ok(())
            })
            .unwrap(),
        );
        absolute.extend_from_slice(&moof[moof_len..]);
        assert_ne!(absolute, relative);
        // Without the segment's place, refused; with it, the cut is the one
        // of the same segment written moof-relative.
        assert!(cut_segment(&absolute).is_err());
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&[9; 100]).unwrap();
        file.write_all(&lead).unwrap();
        file.write_all(&absolute).unwrap();
        let plan = plan_segment(&file, at_in_file, absolute.len() as u64, None).unwrap();
        let (at, len) = plan.payload.unwrap();
        let mut payload = vec![0; len as usize];
        std::os::unix::fs::FileExt::read_exact_at(&file, &mut payload, at).unwrap();
        let pieces = [plan.head.as_slice(), &payload, &plan.tail].concat();
        assert_eq!(pieces, cut_segment(&relative).unwrap());
    }

    #[test]
    fn a_planned_cut_is_the_whole_cut_in_pieces() {
        use crate::mp4::mux::{bx, media_segment, Sample};
        use std::io::Write;
        let t = audio_track();
        let data = vec![7u8; 300];
        let samples: Vec<Sample> = (0..20)
            .map(|_| Sample {
                data: &data,
                duration: 1024,
                sync: true,
            })
            .collect();
        // Boxes before the moof larger than one read, and one after the mdat.
        let segment = [
            bx(b"styp", b"msdh\0\0\0\0msdhmsix"),
            bx(b"sidx", &[0; 24]),
            bx(b"free", &[1; 6000]),
            media_segment(&t, 3, 40_960, &samples),
            bx(b"free", b"tail"),
        ]
        .concat();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&[9; 100]).unwrap();
        file.write_all(&segment).unwrap();
        let plan = plan_segment(&file, 100, segment.len() as u64, None).unwrap();
        let (at, len) = plan.payload.unwrap();
        let payload = &[[9u8; 100].as_slice(), &segment].concat()[at as usize..(at + len) as usize];
        let pieces = [plan.head.as_slice(), payload, &plan.tail].concat();
        assert_eq!(pieces, cut_segment(&segment).unwrap());
        assert_eq!(plan.len(), pieces.len() as u64);
        assert_eq!(len, 20 * 300, "the payload is copied, not read");
    }

    #[test]
    fn a_truncated_header_box_is_an_error_not_a_panic() {
        use crate::mp4::mux::{bx, full_box};
        let moov = bx(b"moov", &full_box(b"mvhd", 1, 0, &[0; 20]));
        assert!(live_init(&moov).is_err());
    }
}

/// A segment ready to write: its rewritten head, then the media payload to
/// copy straight from the source file (in the kernel, never through memory),
/// then anything after it.
pub struct CutPlan {
    pub head: Vec<u8>,
    /// How much of `head` comes before the `mdat` header: whole boxes only.
    pub boxes_len: usize,
    /// (absolute offset in the source, length) of the first `mdat`'s payload.
    pub payload: Option<(u64, u64)>,
    pub tail: Vec<u8>,
    /// An absolute `tfhd` base data offset was made moof-relative: the
    /// source's bytes are right only at their place in the source file.
    pub relocated: bool,
}

impl CutPlan {
    pub fn len(&self) -> u64 {
        self.head.len() as u64 + self.payload.map_or(0, |p| p.1) + self.tail.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Plans the cut of the segment at `offset`..`offset + size` of `file`,
/// reading only box headers and the boxes that are not media data.
/// `explicit_durations`: as for [`cut_boxes_with`].
pub fn plan_segment(
    file: &std::fs::File,
    offset: u64,
    size: u64,
    explicit_durations: Option<u32>,
) -> Result<CutPlan, CutError> {
    use crate::mp4::header::parse_header;
    let mut window = Window {
        file,
        offset,
        size,
        start: 0,
        data: Vec::new(),
    };
    let mut plan = CutPlan {
        head: Vec::new(),
        boxes_len: 0,
        payload: None,
        tail: Vec::new(),
        relocated: false,
    };
    let mut pos = 0u64;
    while pos < size {
        let head = window.get(pos, (size - pos).min(32))?;
        let h = parse_header(head, size - pos)
            .map_err(|e| CutError::Mp4(e.locate(offset + pos, "")))?;
        if h.typ == b"mdat" && plan.payload.is_none() {
            plan.boxes_len = plan.head.len();
            plan.head.extend_from_slice(&head[..h.header_len as usize]);
            plan.payload = Some((offset + pos + h.header_len, h.size - h.header_len));
        } else {
            let (piece, relocated) = cut_and_report(
                window.get(pos, h.size)?,
                Some(offset + pos),
                explicit_durations,
            )
            .map_err(CutError::Mp4)?;
            plan.relocated |= relocated;
            if plan.payload.is_none() {
                plan.head.extend(piece);
            } else {
                plan.tail.extend(piece);
            }
        }
        pos += h.size;
    }
    if plan.payload.is_none() {
        plan.boxes_len = plan.head.len();
    }
    Ok(plan)
}

/// The bytes of a segment that a cut reads, through one buffer: the boxes
/// before `mdat` (a few hundred bytes) come in one read, not one per box.
struct Window<'a> {
    file: &'a std::fs::File,
    /// The segment's place in the file.
    offset: u64,
    size: u64,
    /// Where `data` starts in the segment.
    start: u64,
    data: Vec<u8>,
}

impl Window<'_> {
    /// What one read fetches at least: more than the boxes before `mdat`
    /// take, little of the media data a cut never reads.
    const READ: u64 = 4096;

    /// `len` bytes at `at` in the segment (`at + len` within it).
    fn get(&mut self, at: u64, len: u64) -> Result<&[u8], CutError> {
        use std::os::unix::fs::FileExt;
        let end = self.start + self.data.len() as u64;
        if at < self.start || at + len > end {
            let want = len.max(Self::READ.min(self.size - at));
            self.data.resize(want as usize, 0);
            self.file
                .read_exact_at(&mut self.data, self.offset + at)
                .map_err(CutError::Io)?;
            self.start = at;
        }
        let from = (at - self.start) as usize;
        Ok(&self.data[from..from + len as usize])
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CutError {
    #[error("{0}")]
    Mp4(Mp4Error),
    #[error("read failed: {0}")]
    Io(std::io::Error),
}

/// Copies `len` bytes at `offset` of `from` to the end of `to`, in the kernel
/// where it can (`copy_file_range`), through a buffer where it cannot.
pub fn copy_range(
    from: &std::fs::File,
    offset: u64,
    len: u64,
    to: &mut std::fs::File,
) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::FileExt;
    let mut off = offset;
    let mut left = len;
    while left > 0 {
        match rustix::fs::copy_file_range(
            from,
            Some(&mut off),
            &*to,
            None,
            left.min(1 << 30) as usize,
        ) {
            Ok(0) => break,
            Ok(n) => left -= n as u64,
            Err(_) => break,
        }
    }
    let mut buf = vec![0u8; (left.min(1 << 20)) as usize];
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        from.read_exact_at(&mut buf[..n], off)?;
        to.write_all(&buf[..n])?;
        off += n as u64;
        left -= n as u64;
    }
    Ok(())
}
