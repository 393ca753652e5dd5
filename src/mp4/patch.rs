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
    /// Position of each of the last sample durations (u32, in a `trun` that
    /// carries them per sample), in decode order, with the value the segment
    /// was cut with: enough of them to take [`PatchPoints::trim`]'s largest
    /// trim. Empty for every segment but the last of a track that runs past
    /// its loop.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample_durations: Vec<(u64, u32)>,
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

/// The position and value of every sample duration in the `trun`s of every
/// `moof` of `segment`, in decode order. Every `trun` must carry its
/// durations per sample (the build writes them so where it needs them):
/// one that leaves them to defaults is an error, since the durations found
/// would then not be the segment's last.
pub fn find_sample_durations(segment: &[u8]) -> Result<Vec<(u64, u32)>> {
    use super::boxes::trun_flags::{DATA_OFFSET, FIRST_SAMPLE_FLAGS, SAMPLE_CTO, SAMPLE_DURATION};
    use super::boxes::trun_flags::{SAMPLE_FLAGS, SAMPLE_SIZE};
    let mut out = Vec::new();
    for b in boxes(segment) {
        let b = b?;
        if b.typ() != b"moof" {
            continue;
        }
        for traf in b.children_of(b"traf")? {
            for trun in traf.children_of(b"trun")? {
                let t = super::boxes::expect(&trun, super::boxes::Trun::parse)?;
                if t.flags & SAMPLE_DURATION == 0 {
                    return Err(trun.error(ErrorKind::Invalid(
                        "trun without per-sample durations where they are needed".into(),
                    )));
                }
                let per_sample = [SAMPLE_DURATION, SAMPLE_SIZE, SAMPLE_FLAGS, SAMPLE_CTO]
                    .iter()
                    .filter(|&&f| t.flags & f != 0)
                    .count() as u64
                    * 4;
                let mut pos = trun.payload_offset() + 8;
                for f in [DATA_OFFSET, FIRST_SAMPLE_FLAGS] {
                    if t.flags & f != 0 {
                        pos += 4;
                    }
                }
                // Trun::parse checked that every sample's fields are in the box.
                for s in &t.samples {
                    out.push((pos, s.duration.unwrap_or(0)));
                    pos += per_sample;
                }
            }
        }
    }
    Ok(out)
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
            .chain(
                self.sample_durations
                    .iter()
                    .map(|(p, _)| p.saturating_add(4)),
            )
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
        self.sample_durations
            .extend(more.sample_durations.iter().map(|&(p, d)| (p + offset, d)));
    }

    /// The ticks the recorded sample durations add up to: the most
    /// [`PatchPoints::trim`] can take off.
    pub fn trimmable(&self) -> u64 {
        self.sample_durations
            .iter()
            .map(|&(_, d)| u64::from(d))
            .sum()
    }

    /// Keeps only the last sample durations that add up to at least `ticks`
    /// (all of them when they add up to less).
    pub fn keep_trimmable(&mut self, ticks: u64) {
        let mut sum = 0u64;
        let mut from = self.sample_durations.len();
        while from > 0 && sum < ticks {
            from -= 1;
            sum = sum.saturating_add(u64::from(self.sample_durations[from].1));
        }
        self.sample_durations.drain(..from);
    }

    /// Shortens the segment by `ticks` from its end: the last sample's
    /// duration first, then the one before it when the trim is longer, and
    /// so on, none below 0. Live, this ends a loop's last segment where the
    /// next loop starts (ISO/IEC 23009-1 lets a segment's media end before
    /// its nominal end; it must not overlap the next one). What the recorded
    /// durations cannot take is left: the build records enough for the
    /// largest trim. `segment` must be the bytes the points were found in.
    pub fn trim(&self, segment: &mut [u8], ticks: u64) {
        let mut left = ticks;
        for &(pos, original) in self.sample_durations.iter().rev() {
            if left == 0 {
                break;
            }
            let take = left.min(u64::from(original));
            left -= take;
            // `take` <= `original`, a u32: the difference is one too.
            let trimmed = original - take as u32;
            if let Some(dst) = segment.get_mut(pos as usize..pos as usize + 4) {
                dst.copy_from_slice(&trimmed.to_be_bytes());
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mp4::mux::{media_segment, Sample, TrackConfig};

    fn track() -> TrackConfig {
        crate::mp4::mux::test_aac_track()
    }

    fn durations(segment: &[u8]) -> Vec<u32> {
        find_sample_durations(segment)
            .unwrap()
            .iter()
            .map(|&(pos, _)| {
                let p = pos as usize;
                u32::from_be_bytes(segment[p..p + 4].try_into().unwrap())
            })
            .collect()
    }

    #[test]
    fn a_trim_takes_the_last_samples_first_and_none_below_zero() {
        let data = [1u8; 10];
        let lengths = [1024, 1024, 1000, 1024];
        let samples: Vec<Sample> = lengths
            .iter()
            .map(|&duration| Sample {
                data: &data,
                duration,
                sync: true,
            })
            .collect();
        let seg = media_segment(&track(), 1, 0, &samples);
        let mut points = find_patch_points(&seg).unwrap();
        points.sample_durations = find_sample_durations(&seg).unwrap();
        assert_eq!(durations(&seg), lengths);
        points.keep_trimmable(1536);
        assert_eq!(points.sample_durations.len(), 2, "1000 + 1024 cover 1536");
        assert_eq!(points.trimmable(), 2024);
        assert!(points.extent() <= seg.len());
        let trimmed = |ticks| {
            let mut s = seg.clone();
            points.trim(&mut s, ticks);
            durations(&s)
        };
        assert_eq!(trimmed(0), lengths);
        assert_eq!(trimmed(1024), [1024, 1024, 1000, 0]);
        assert_eq!(trimmed(1536), [1024, 1024, 488, 0]);
        assert_eq!(
            trimmed(99_999),
            [1024, 1024, 0, 0],
            "what is recorded, to 0"
        );
    }

    #[test]
    fn durations_left_to_defaults_are_not_trim_points() {
        let data = [1u8; 10];
        let samples: Vec<Sample> = (0..3)
            .map(|_| Sample {
                data: &data,
                duration: 1024,
                sync: true,
            })
            .collect();
        let seg = media_segment(&track(), 1, 0, &samples);
        assert!(find_sample_durations(&seg).is_err());
    }
}
