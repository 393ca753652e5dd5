//! Video corruption (`vcorrupt` + `frames`): damage the slice data of the
//! first N non-IDR frames of a segment so that a decoder shows broken
//! pictures, while the file stays valid. Only bytes inside `mdat` change,
//! never a size: boxes, sample tables and NAL lengths are untouched, and the
//! first bytes of every VCL NAL (its header and the start of the slice
//! header) are kept, so a decoder finds each slice and fails inside it.

use crate::mp4::boxes::{Tfhd, Trun};
use crate::mp4::{boxes, BoxRef, Mp4Error};

/// How samples hold their NAL units (from the representation's `avcC` or
/// `hvcC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NalFormat {
    Avc,
    Hevc,
}

impl NalFormat {
    /// The format of a codecs string's first entry, if it is H.264 or HEVC.
    pub fn of_codecs(codecs: &str) -> Option<NalFormat> {
        match codecs.get(..4)? {
            "avc1" | "avc3" => Some(NalFormat::Avc),
            "hvc1" | "hev1" => Some(NalFormat::Hevc),
            _ => None,
        }
    }

    /// `(is a slice, is an IDR/IRAP slice)` of a NAL by its first byte.
    fn classify(self, first: u8) -> (bool, bool) {
        match self {
            NalFormat::Avc => {
                let t = first & 0x1f;
                ((1..=5).contains(&t), t == 5)
            }
            NalFormat::Hevc => {
                let t = (first >> 1) & 0x3f;
                (t <= 31, (16..=23).contains(&t))
            }
        }
    }
}

/// What to corrupt: the first `frames` non-IDR frames of each segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Corruption {
    pub format: NalFormat,
    /// 1 to 4 bytes (`lengthSizeMinusOne + 1`).
    pub nal_length_size: u8,
    pub frames: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum CorruptError {
    #[error(transparent)]
    Mp4(#[from] Mp4Error),
    #[error("{path}: sample data at {offset}+{size} is outside the {len} bytes of the segment")]
    OutOfRange {
        path: String,
        offset: u64,
        size: u64,
        len: usize,
    },
    #[error("{path}: a sample has no size (no per-sample size and no tfhd default)")]
    NoSampleSize { path: String },
    #[error("NAL length size {0}: must be 1, 2 or 4")]
    NalLengthSize(u8),
}

/// Bytes of a slice NAL kept as they are: the NAL header and the start of
/// the slice header (slice type, frame number …), so that a decoder finds
/// the slice and its picture and fails inside its macroblocks. Damaging
/// from here on, rather than only a NAL's tail, leaves no picture whose
/// coded macroblocks all come before the damage (a decoder would then
/// never notice it).
const KEPT: usize = 8;

/// Corrupts `segment` (one or more `moof` + `mdat`); returns the bytes and
/// how many frames were damaged (fewer than asked when the segment has
/// fewer non-IDR frames, or frames whose slices are too short to damage).
pub fn corrupt(mut segment: Vec<u8>, c: &Corruption) -> Result<(Vec<u8>, usize), CorruptError> {
    if !matches!(c.nal_length_size, 1 | 2 | 4) {
        return Err(CorruptError::NalLengthSize(c.nal_length_size));
    }
    let samples = sample_ranges(&segment)?;
    let mut damaged = 0usize;
    let mut junk = Junk(0x9e37_79b9);
    for (start, end) in samples {
        if damaged >= c.frames as usize {
            break;
        }
        let sample = &mut segment[start..end];
        let nals = nal_ranges(sample, c.nal_length_size);
        let idr = nals.iter().any(|&(s, _)| c.format.classify(sample[s]).1);
        if idr {
            continue;
        }
        let mut hit = false;
        for (s, e) in nals {
            if !c.format.classify(sample[s]).0 {
                continue;
            }
            if e - s > KEPT {
                junk.fill(&mut sample[s + KEPT..e]);
                hit = true;
            }
        }
        damaged += usize::from(hit);
    }
    Ok((segment, damaged))
}

/// The NAL units of one sample, as (start, end) of each NAL's bytes after
/// its length field; stops at a length that runs past the sample (the rest
/// is left alone, not guessed at).
fn nal_ranges(sample: &[u8], length_size: u8) -> Vec<(usize, usize)> {
    let n = usize::from(length_size);
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(field) = sample.get(at..at + n) {
        let len = field
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let start = at + n;
        let Some(end) = start.checked_add(len).filter(|&e| e <= sample.len()) else {
            break;
        };
        if len > 0 {
            out.push((start, end));
        }
        at = end;
    }
    out
}

/// Every sample's byte range in the segment, in decode order.
fn sample_ranges(segment: &[u8]) -> Result<Vec<(usize, usize)>, CorruptError> {
    let mut out = Vec::new();
    for b in boxes(segment) {
        let moof = b?;
        if moof.typ() != b"moof" {
            continue;
        }
        for traf in moof.children_of(b"traf")? {
            traf_samples(&moof, &traf, segment.len(), &mut out)?;
        }
    }
    Ok(out)
}

fn traf_samples(
    moof: &BoxRef,
    traf: &BoxRef,
    len: usize,
    out: &mut Vec<(usize, usize)>,
) -> Result<(), CorruptError> {
    let Some(tfhd_box) = traf.child(b"tfhd")? else {
        return Ok(());
    };
    let tfhd = Tfhd::parse(tfhd_box.payload()).map_err(|e| tfhd_box.locate(e))?;
    // Cut and muxed segments are default-base-is-moof; a base offset in the
    // tfhd counts from the segment's first byte.
    let base = tfhd.base_data_offset.unwrap_or(moof.offset);
    let mut next = base;
    for trun_box in traf.children_of(b"trun")? {
        let trun = Trun::parse(trun_box.payload()).map_err(|e| trun_box.locate(e))?;
        let mut at = match trun.data_offset {
            Some(d) => base.checked_add_signed(i64::from(d)),
            None => Some(next),
        };
        let sizes: Vec<Option<u32>> = if trun.samples.is_empty() {
            vec![tfhd.default_sample_size; trun.sample_count as usize]
        } else {
            trun.samples
                .iter()
                .map(|s| s.size.or(tfhd.default_sample_size))
                .collect()
        };
        for size in sizes {
            let size = size.ok_or_else(|| CorruptError::NoSampleSize {
                path: trun_box.path.clone(),
            })?;
            let start = at.unwrap_or(u64::MAX);
            let end = start.checked_add(u64::from(size));
            match end.filter(|&e| e <= len as u64) {
                Some(end) => {
                    out.push((start as usize, end as usize));
                    at = Some(end);
                }
                None => {
                    return Err(CorruptError::OutOfRange {
                        path: trun_box.path.clone(),
                        offset: start,
                        size: u64::from(size),
                        len,
                    })
                }
            }
        }
        next = at.unwrap_or(next);
    }
    Ok(())
}

/// What replaces slice data: [`PATTERN_BYTES`] bytes of `0xAA`, then
/// pseudo-random bytes (xorshift32). Alternating bits read as CAVLC codes
/// reach an invalid syntax element within a few macroblocks, and random
/// bytes desynchronise CABAC, so a decoder reports an error in every
/// damaged picture of either entropy coder (measured with ffmpeg on the
/// openh264 test card, CAVLC, and x264's BBB, CABAC: `tests/faults_corrupt.rs`);
/// random bytes alone let a CAVLC picture decode "cleanly" now and then.
/// No byte is below 4, so the junk never forms a start code or an
/// emulation-prevention pattern: the NAL keeps its length and its end.
struct Junk(u32);

/// See [`Junk`].
const PATTERN_BYTES: usize = 32;

impl Junk {
    fn fill(&mut self, out: &mut [u8]) {
        let split = PATTERN_BYTES.min(out.len());
        let (pattern, random) = out.split_at_mut(split);
        pattern.fill(0xaa);
        // Four bytes a step: the junk of a whole segment's frames costs
        // about what copying it does.
        for chunk in random.chunks_mut(4) {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            self.0 = x;
            for (b, v) in chunk.iter_mut().zip(x.to_le_bytes()) {
                *b = if v < 4 { v | 0x80 } else { v };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nal(first: u8, len: usize) -> Vec<u8> {
        let mut v = (len as u32).to_be_bytes().to_vec();
        v.push(first);
        v.extend((1..len).map(|i| i as u8));
        v
    }

    #[test]
    fn nal_lengths_are_followed_and_a_bad_one_stops_the_walk() {
        let mut s = nal(0x65, 20);
        s.extend(nal(0x41, 30));
        assert_eq!(nal_ranges(&s, 4), vec![(4, 24), (28, 58)]);
        s.extend([0, 0, 0, 99, 1]);
        assert_eq!(nal_ranges(&s, 4).len(), 2);
        assert_eq!(nal_ranges(&[0, 3, 1, 2, 3], 2), vec![(2, 5)]);
    }

    #[test]
    fn slices_are_classified_per_codec() {
        assert_eq!(NalFormat::Avc.classify(0x65), (true, true));
        assert_eq!(NalFormat::Avc.classify(0x41), (true, false));
        assert_eq!(NalFormat::Avc.classify(0x06), (false, false)); // SEI
        assert_eq!(NalFormat::Hevc.classify(19 << 1), (true, true)); // IDR_W_RADL
        assert_eq!(NalFormat::Hevc.classify(1 << 1), (true, false)); // TRAIL_R
        assert_eq!(NalFormat::Hevc.classify(39 << 1), (false, false)); // prefix SEI
        assert_eq!(NalFormat::of_codecs("avc1.64001f"), Some(NalFormat::Avc));
        assert_eq!(
            NalFormat::of_codecs("hev1.1.6.L93.B0"),
            Some(NalFormat::Hevc)
        );
        assert_eq!(NalFormat::of_codecs("mp4a.40.2"), None);
    }

    #[test]
    fn junk_never_makes_a_start_code() {
        for len in [1, 2, 3, 4, 5, 7, 100, 4096] {
            let mut out = vec![0u8; len];
            Junk(1).fill(&mut out);
            // After two zero bytes only the emulation prevention byte 03.
            let mut with_kept = vec![0u8, 0];
            with_kept.extend(&out);
            for w in with_kept.windows(3) {
                assert!(!(w[0] == 0 && w[1] == 0 && w[2] < 3), "{len}: {w:?}");
            }
            assert_ne!(out.last(), Some(&0), "{len}");
        }
    }
}
