//! The cryptography of one sample: which bytes stay clear (the subsample
//! map of AVC/HEVC samples), the IV each sample gets, and AES-CTR (`cenc`) or
//! pattern AES-CBC (`cbcs`) over the protected bytes.

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockEncrypt, BlockEncryptMut, InnerIvInit, KeyInit, StreamCipher};
use aes::Aes128;

use super::{EncryptError, Protection, Scheme, TrackKind};
use crate::mp4::boxes::Subsample;

type Ctr = ctr::Ctr128BE<Aes128>;

const BLOCK: usize = 16;

/// Most samples one segment may hold: the sample index takes 22 bits of an
/// 8-byte IV (see [`sample_iv`]).
pub const MAX_SAMPLES: u32 = 1 << 22;

/// The constant IV of a `cbcs` track: the KID encrypted with the key, so the
/// init segment and every media segment agree on it without being told, and
/// tracks with different keys get different IVs.
pub fn cbcs_constant_iv(p: &Protection) -> [u8; 16] {
    let aes = Aes128::new(GenericArray::from_slice(&p.key));
    let mut block = GenericArray::clone_from_slice(&p.kid);
    aes.encrypt_block(&mut block);
    block.into()
}

/// Two bits of the IV that keep the tracks of a stream apart when they share
/// a key: audio and video samples of one segment have the same index.
fn kind_tag(kind: TrackKind) -> u64 {
    match kind {
        TrackKind::Avc { .. } | TrackKind::Hevc { .. } => 1,
        TrackKind::Audio => 2,
        TrackKind::Other => 3,
    }
}

/// The 16-byte IV (the initial counter block for `cenc`) of sample `index`
/// of the segment encrypted with `iv_seed`; `senc` carries its first
/// `iv_size` bytes. `cenc` IVs are a counter, not random: an 8-byte IV is
/// seed (40 bits) ‖ track kind (2) ‖ sample index (22), a 16-byte one seed
/// (64) ‖ kind (8) ‖ index (24) ‖ 32 zero bits for the block counter, so no
/// two samples of a stream share an IV while seeds stay below 2^40 (segment
/// numbers do, by far). `cbcs` uses the constant IV.
pub fn sample_iv(p: &Protection, kind: TrackKind, iv_seed: u64, index: u32) -> [u8; 16] {
    let mut iv = [0u8; 16];
    match (p.scheme, p.iv_size) {
        (Scheme::Cbcs, _) => return cbcs_constant_iv(p),
        (Scheme::Cenc, 16) => {
            iv[..8].copy_from_slice(&iv_seed.to_be_bytes());
            let low = (kind_tag(kind) << 24) | u64::from(index & 0x00ff_ffff);
            iv[8..12].copy_from_slice(&(low as u32).to_be_bytes());
        }
        _ => {
            let v = (iv_seed << 24) | (kind_tag(kind) << 22) | u64::from(index & (MAX_SAMPLES - 1));
            iv[..8].copy_from_slice(&v.to_be_bytes());
        }
    }
    iv
}

/// The `cbcs` pattern of a track: 1 encrypted block in 10 for video, every
/// block (0:0) for audio and whatever else is encrypted whole.
pub fn pattern(kind: TrackKind) -> (u8, u8) {
    match kind {
        TrackKind::Avc { .. } | TrackKind::Hevc { .. } => (1, 9),
        TrackKind::Audio | TrackKind::Other => (0, 0),
    }
}

/// Encrypts the samples of one track.
pub(super) struct SampleCipher {
    aes: Aes128,
    scheme: Scheme,
    pattern: (u8, u8),
}

impl SampleCipher {
    pub fn new(p: &Protection, kind: TrackKind) -> Self {
        SampleCipher {
            aes: Aes128::new(GenericArray::from_slice(&p.key)),
            scheme: p.scheme,
            pattern: pattern(kind),
        }
    }

    /// Encrypts `sample` in place: the protected bytes of each subsample, or
    /// the whole sample when `subsamples` is empty. The map must cover the
    /// sample exactly (it comes from [`nal_subsamples`]).
    pub fn encrypt(&self, sample: &mut [u8], iv: &[u8; 16], subsamples: &[Subsample]) {
        match self.scheme {
            // One keystream runs through all the protected bytes of a sample.
            Scheme::Cenc => {
                let core = ctr::CtrCore::inner_iv_init(self.aes.clone(), iv.into());
                let mut ctr = Ctr::from_core(core);
                for_protected(sample, subsamples, |range| ctr.apply_keystream(range));
            }
            // CBC restarts from the constant IV at each subsample.
            Scheme::Cbcs => for_protected(sample, subsamples, |range| {
                let mut cbc = cbc::Encryptor::<Aes128>::inner_iv_init(self.aes.clone(), iv.into());
                for_pattern_blocks(range, self.pattern, |b| {
                    cbc.encrypt_block_mut(GenericArray::from_mut_slice(b))
                });
            }),
        }
    }
}

/// Calls `f` on each protected range of `sample`, in order. Ranges past the
/// sample's end are cut at it (the maps made here never have any).
pub(super) fn for_protected(
    sample: &mut [u8],
    subsamples: &[Subsample],
    mut f: impl FnMut(&mut [u8]),
) {
    if subsamples.is_empty() {
        f(sample);
        return;
    }
    let mut pos = 0usize;
    for s in subsamples {
        let start = pos
            .saturating_add(usize::from(s.clear_bytes))
            .min(sample.len());
        let end = start
            .saturating_add(s.protected_bytes as usize)
            .min(sample.len());
        f(&mut sample[start..end]);
        pos = end;
    }
}

/// Calls `f` on each 16-byte block of `range` the pattern encrypts: `crypt`
/// blocks, then `skip` left clear, over and over; 0:0 means every block. A
/// partial block at the end stays clear.
pub(super) fn for_pattern_blocks(
    range: &mut [u8],
    (crypt, skip): (u8, u8),
    mut f: impl FnMut(&mut [u8]),
) {
    let (crypt, skip) = match (crypt, skip) {
        (0, 0) => (1, 0),
        (c, s) => (usize::from(c), usize::from(s)),
    };
    for (i, block) in range.chunks_exact_mut(BLOCK).enumerate() {
        if i % (crypt + skip) < crypt {
            f(block);
        }
    }
}

/// The subsample map of an AVC or HEVC sample (NAL units each behind a
/// big-endian length of `length_size` bytes): each VCL NAL unit's length and
/// header stay clear, with as many bytes more as keep the protected part a
/// whole number of AES blocks; other NAL units (parameter sets, SEI, AUD)
/// stay clear whole. Clear runs longer than a subsample can say are split.
pub(super) fn nal_subsamples(sample: &[u8], kind: TrackKind) -> Result<Vec<Subsample>, String> {
    let (length_size, header_len, is_vcl): (u8, usize, fn(u8) -> bool) = match kind {
        TrackKind::Avc { nal_length_size } => (nal_length_size, 1, |b| matches!(b & 0x1f, 1..=5)),
        TrackKind::Hevc { nal_length_size } => (nal_length_size, 2, |b| (b >> 1) & 0x3f < 32),
        TrackKind::Audio | TrackKind::Other => return Ok(Vec::new()),
    };
    if !(1..=4).contains(&length_size) {
        return Err(format!("NAL length size {length_size} is not 1 to 4"));
    }
    let ls = usize::from(length_size);
    let mut out = Vec::new();
    let mut clear = 0usize;
    let mut pos = 0usize;
    while pos < sample.len() {
        let len_bytes = sample
            .get(pos..pos + ls)
            .ok_or_else(|| format!("NAL length at byte {pos} runs past the sample"))?;
        let len = len_bytes
            .iter()
            .fold(0usize, |a, &b| (a << 8) | usize::from(b));
        let end = pos
            .checked_add(ls + len)
            .filter(|&e| e <= sample.len())
            .ok_or_else(|| {
                format!(
                    "NAL unit of {len} bytes at byte {pos} runs past the {}-byte sample",
                    sample.len()
                )
            })?;
        let vcl = len > header_len && sample.get(pos + ls).is_some_and(|&b| is_vcl(b));
        let protected = if vcl {
            (len - header_len) / BLOCK * BLOCK
        } else {
            0
        };
        clear += ls + len - protected;
        if protected > 0 {
            push_subsample(&mut out, clear, protected);
            clear = 0;
        }
        pos = end;
    }
    if clear > 0 {
        push_subsample(&mut out, clear, 0);
    }
    Ok(out)
}

fn push_subsample(out: &mut Vec<Subsample>, mut clear: usize, protected: usize) {
    while clear > usize::from(u16::MAX) {
        out.push(Subsample {
            clear_bytes: u16::MAX,
            protected_bytes: 0,
        });
        clear -= usize::from(u16::MAX);
    }
    out.push(Subsample {
        clear_bytes: clear as u16,
        // A NAL unit is inside a sample, whose size is a u32.
        protected_bytes: u32::try_from(protected).unwrap_or(u32::MAX),
    });
}

/// Fails unless `p` can be applied (a cenc IV size of 8 or 16).
pub(super) fn check(p: &Protection) -> Result<(), EncryptError> {
    p.per_sample_iv_size().map(|_| ())
}
