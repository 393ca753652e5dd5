//! In-place rewrites of the fields that live serving changes per request: the
//! `mfhd` sequence number and the `tfdt` decode time. The build stores every
//! segment with 64-bit `tfdt`s, so these writes never change a box size and a
//! live segment costs a copy plus a few stores.

use super::boxes::{Mfhd, Tfdt};
use super::error::{ErrorKind, Result};
use super::tree::boxes;

/// Byte positions, from the start of a media segment, of the fields to rewrite.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PatchPoints {
    /// Position of each `mfhd.sequence_number` (u32).
    pub sequence_number: Vec<u64>,
    /// Position of each `tfdt.base_media_decode_time`, with the decode time the
    /// segment was cut with (u64; only version 1 tfdts are accepted).
    pub decode_time: Vec<(u64, u64)>,
}

/// Finds the patch points of a segment (styp/sidx/emsg/moof/mdat …): those
/// of every `moof`, so that every chunk of a chunked (low-latency CMAF)
/// segment is numbered and shifted alike.
pub fn find_patch_points(segment: &[u8]) -> Result<PatchPoints> {
    let mut points = PatchPoints::default();
    for b in boxes(segment) {
        let b = b?;
        if b.typ() != b"moof" {
            continue;
        }
        for c in b.children() {
            let c = c?;
            if c.typ() == b"mfhd" {
                points
                    .sequence_number
                    .push(c.offset + Mfhd::SEQUENCE_OFFSET as u64);
            } else if c.typ() == b"traf" {
                if let Some(t) = c.child(b"tfdt")? {
                    let tfdt = super::boxes::expect(&t, Tfdt::parse)?;
                    if tfdt.version != 1 {
                        return Err(t.error(ErrorKind::Invalid(
                            "tfdt is version 0; live segments need a 64-bit tfdt".into(),
                        )));
                    }
                    points.decode_time.push((
                        t.offset + Tfdt::TIME_OFFSET as u64,
                        tfdt.base_media_decode_time,
                    ));
                }
            }
        }
    }
    Ok(points)
}

impl PatchPoints {
    /// How many bytes from the start of the segment hold every patch point:
    /// what a server copies and patches (the rest it sends as it is). For a
    /// chunked segment (a moof per chunk) it reaches into the last chunk.
    pub fn extent(&self) -> usize {
        let end = self
            .sequence_number
            .iter()
            .map(|p| p.saturating_add(4))
            .chain(self.decode_time.iter().map(|(p, _)| p.saturating_add(8)))
            .max()
            .unwrap_or(0);
        usize::try_from(end).unwrap_or(usize::MAX)
    }

    /// Adds the points of a later piece of the same segment, which starts
    /// `offset` bytes into it: a cut finds them piece by piece, since it never
    /// holds a chunked segment's first `mdat` in memory.
    pub fn append_at(&mut self, more: PatchPoints, offset: u64) {
        self.sequence_number
            .extend(more.sequence_number.iter().map(|p| p + offset));
        self.decode_time
            .extend(more.decode_time.iter().map(|&(p, t)| (p + offset, t)));
    }

    /// Sets the sequence number of every `moof` and moves every decode time
    /// by `time_shift` (the live loop offset in the track's timescale). A
    /// chunked segment's moofs all take the segment's number: the live
    /// segment keeps `mfhd` = `$Number$` as dash-live serves it, and
    /// numbering the chunks apart would collide with the next segment's. `segment` must be the
    /// bytes the points were found in (or a copy of them).
    pub fn apply(&self, segment: &mut [u8], sequence_number: u32, time_shift: u64) {
        for &pos in &self.sequence_number {
            if let Some(dst) = segment.get_mut(pos as usize..pos as usize + 4) {
                dst.copy_from_slice(&sequence_number.to_be_bytes());
            }
        }
        for &(pos, original) in &self.decode_time {
            if let Some(dst) = segment.get_mut(pos as usize..pos as usize + 8) {
                dst.copy_from_slice(&original.wrapping_add(time_shift).to_be_bytes());
            }
        }
    }
}
