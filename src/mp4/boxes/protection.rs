//! Common Encryption boxes (ISO/IEC 23001-7) and the PIFF sample-encryption uuid box.

use serde::Serialize;

use crate::mp4::error::FieldError;
use crate::mp4::fourcc::FourCC;
use crate::mp4::reader::{FieldResult, Reader};
use crate::mp4::write::{put_full_header, put_u16, put_u32, WriteBox};

use super::hex;

/// The extended type of PIFF 1.1's SampleEncryptionBox.
pub const PIFF_SAMPLE_ENCRYPTION: [u8; 16] = [
    0xa2, 0x39, 0x4f, 0x52, 0x5a, 0x9b, 0x4f, 0x14, 0xa2, 0x44, 0x6c, 0x42, 0x7c, 0x64, 0x8d, 0xf4,
];

/// `frma`: the original sample entry type of an encrypted track.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frma {
    pub data_format: FourCC,
}

impl Frma {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        Ok(Frma {
            data_format: FourCC(Reader::new(p).array()?),
        })
    }
}

/// `schm`: protection scheme (cenc, cbcs …).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schm {
    pub scheme_type: FourCC,
    pub scheme_version: u32,
    pub scheme_uri: Option<String>,
}

impl Schm {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (_, flags) = r.full_header()?;
        let scheme_type = FourCC(r.array()?);
        let scheme_version = r.u32()?;
        let scheme_uri = if flags & 1 != 0 {
            Some(r.cstring()?)
        } else {
            None
        };
        Ok(Schm {
            scheme_type,
            scheme_version,
            scheme_uri,
        })
    }
}

/// `tenc`: default encryption parameters of a track.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tenc {
    pub version: u8,
    pub default_crypt_byte_block: u8,
    pub default_skip_byte_block: u8,
    pub default_is_protected: u8,
    pub default_per_sample_iv_size: u8,
    #[serde(serialize_with = "hex::serialize")]
    pub default_kid: [u8; 16],
    #[serde(serialize_with = "hex::serialize_opt")]
    pub default_constant_iv: Option<Vec<u8>>,
}

impl Tenc {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (version, _) = r.full_header()?;
        r.skip(1)?;
        let pattern = r.u8()?;
        let (crypt, skip) = if version == 0 {
            (0, 0)
        } else {
            (pattern >> 4, pattern & 0x0f)
        };
        let default_is_protected = r.u8()?;
        let default_per_sample_iv_size = r.u8()?;
        let default_kid = r.array()?;
        let default_constant_iv = if default_is_protected == 1 && default_per_sample_iv_size == 0 {
            let n = r.u8()?;
            Some(r.bytes(n.into())?.to_vec())
        } else {
            None
        };
        Ok(Tenc {
            version,
            default_crypt_byte_block: crypt,
            default_skip_byte_block: skip,
            default_is_protected,
            default_per_sample_iv_size,
            default_kid,
            default_constant_iv,
        })
    }
}

/// `pssh`: protection system specific header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pssh {
    pub version: u8,
    #[serde(serialize_with = "hex::serialize_uuid")]
    pub system_id: [u8; 16],
    #[serde(serialize_with = "hex::serialize_list")]
    pub kids: Vec<Vec<u8>>,
    #[serde(serialize_with = "hex::serialize")]
    pub data: Vec<u8>,
}

impl Pssh {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (version, _) = r.full_header()?;
        let system_id = r.array()?;
        let mut kids = Vec::new();
        if version > 0 {
            let count = r.u32()?;
            let n = r.check_count("pssh KID", count.into(), 16)?;
            kids.reserve(n);
            for _ in 0..n {
                kids.push(r.bytes(16)?.to_vec());
            }
        }
        let size = r.u32()?;
        let data = r.bytes(size as usize)?.to_vec();
        Ok(Pssh {
            version,
            system_id,
            kids,
            data,
        })
    }
}

impl WriteBox for Pssh {
    fn box_type(&self) -> FourCC {
        FourCC::new(b"pssh")
    }
    fn write_payload(&self, out: &mut Vec<u8>) {
        // Version 1 is needed to list KIDs; a v0 box cannot carry them.
        let version = if self.kids.is_empty() {
            self.version
        } else {
            1
        };
        put_full_header(out, version, 0);
        out.extend_from_slice(&self.system_id);
        if version > 0 {
            put_u32(out, self.kids.len() as u32);
            for k in &self.kids {
                out.extend_from_slice(k);
            }
        }
        put_u32(out, self.data.len() as u32);
        out.extend_from_slice(&self.data);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subsample {
    pub clear_bytes: u16,
    pub protected_bytes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SampleAuxInfo {
    #[serde(serialize_with = "hex::serialize")]
    pub iv: Vec<u8>,
    pub subsamples: Vec<Subsample>,
}

/// Flag of senc / PIFF: each sample carries a subsample map.
pub const USE_SUBSAMPLES: u32 = 0x2;
/// Flag of PIFF: algorithm, IV size and KID override the track's.
pub const PIFF_OVERRIDE_TRACK: u32 = 0x1;

fn parse_samples(r: &mut Reader, flags: u32, iv_size: u8) -> FieldResult<Vec<SampleAuxInfo>> {
    let count = r.u32()?;
    let min = usize::from(iv_size) + if flags & USE_SUBSAMPLES != 0 { 2 } else { 0 };
    let n = r.check_count("encrypted sample", count.into(), min)?;
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let iv = r.bytes(iv_size.into())?.to_vec();
        let mut subsamples = Vec::new();
        if flags & USE_SUBSAMPLES != 0 {
            let c = r.u16()?;
            let m = r.check_count("subsample", c.into(), 6)?;
            subsamples.reserve(m);
            for _ in 0..m {
                subsamples.push(Subsample {
                    clear_bytes: r.u16()?,
                    protected_bytes: r.u32()?,
                });
            }
        }
        samples.push(SampleAuxInfo { iv, subsamples });
    }
    if !r.is_empty() {
        return Err(FieldError::invalid(
            r.pos(),
            format!(
                "{} bytes left after the last sample (wrong IV size?)",
                r.remaining()
            ),
        ));
    }
    Ok(samples)
}

fn write_samples(out: &mut Vec<u8>, flags: u32, samples: &[SampleAuxInfo]) {
    put_u32(out, samples.len() as u32);
    for s in samples {
        out.extend_from_slice(&s.iv);
        if flags & USE_SUBSAMPLES != 0 {
            put_u16(out, s.subsamples.len() as u16);
            for x in &s.subsamples {
                put_u16(out, x.clear_bytes);
                put_u32(out, x.protected_bytes);
            }
        }
    }
}

/// The IV size that makes a sample-encryption payload parse exactly, for
/// when no `tenc` is at hand: the sizes CENC allows, largest first.
fn guess_iv_size(attempt: impl Fn(u8) -> bool) -> Option<u8> {
    [16u8, 8, 0].into_iter().find(|&n| attempt(n))
}

/// `senc`: per-sample IVs and subsample maps. Parsing needs the IV size from
/// `tenc`; [`Senc::parse_guessing`] infers it when that is not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Senc {
    pub version: u8,
    pub flags: u32,
    pub iv_size: u8,
    pub samples: Vec<SampleAuxInfo>,
}

impl Senc {
    /// Offset of the first sample's IV inside the box, header included: where
    /// `saio` points.
    pub const FIRST_SAMPLE_OFFSET: usize = 16;

    pub fn parse(p: &[u8], iv_size: u8) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (version, flags) = r.full_header()?;
        let samples = parse_samples(&mut r, flags, iv_size)?;
        Ok(Senc {
            version,
            flags,
            iv_size,
            samples,
        })
    }

    pub fn parse_guessing(p: &[u8]) -> FieldResult<Self> {
        match guess_iv_size(|n| Senc::parse(p, n).is_ok()) {
            Some(n) => Senc::parse(p, n),
            None => Senc::parse(p, 8),
        }
    }
}

impl WriteBox for Senc {
    fn box_type(&self) -> FourCC {
        FourCC::new(b"senc")
    }
    fn write_payload(&self, out: &mut Vec<u8>) {
        put_full_header(out, self.version, self.flags);
        write_samples(out, self.flags, &self.samples);
    }
}

/// PIFF 1.1 SampleEncryptionBox (`uuid` a2394f52-…), which PlayReady clients
/// of the Smooth era read instead of `senc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PiffSampleEncryption {
    pub version: u8,
    pub flags: u32,
    pub algorithm_id: Option<u32>,
    pub iv_size: u8,
    #[serde(serialize_with = "hex::serialize_opt")]
    pub kid: Option<Vec<u8>>,
    pub samples: Vec<SampleAuxInfo>,
}

impl PiffSampleEncryption {
    pub fn parse(p: &[u8], iv_size: u8) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (version, flags) = r.full_header()?;
        let (algorithm_id, iv_size, kid) = if flags & PIFF_OVERRIDE_TRACK != 0 {
            let alg = r.u24()?;
            let iv = r.u8()?;
            (Some(alg), iv, Some(r.bytes(16)?.to_vec()))
        } else {
            (None, iv_size, None)
        };
        let samples = parse_samples(&mut r, flags, iv_size)?;
        Ok(PiffSampleEncryption {
            version,
            flags,
            algorithm_id,
            iv_size,
            kid,
            samples,
        })
    }

    pub fn parse_guessing(p: &[u8]) -> FieldResult<Self> {
        match guess_iv_size(|n| Self::parse(p, n).is_ok()) {
            Some(n) => Self::parse(p, n),
            None => Self::parse(p, 8),
        }
    }

    /// Offset of the first sample's IV inside the box, header included.
    pub fn first_sample_offset(&self) -> usize {
        8 + 16
            + 4
            + if self.flags & PIFF_OVERRIDE_TRACK != 0 {
                20
            } else {
                0
            }
            + 4
    }
}

impl WriteBox for PiffSampleEncryption {
    fn box_type(&self) -> FourCC {
        FourCC::new(b"uuid")
    }
    fn uuid(&self) -> Option<[u8; 16]> {
        Some(PIFF_SAMPLE_ENCRYPTION)
    }
    fn write_payload(&self, out: &mut Vec<u8>) {
        let override_track = self.algorithm_id.is_some() && self.kid.is_some();
        let flags = if override_track {
            self.flags | PIFF_OVERRIDE_TRACK
        } else {
            self.flags & !PIFF_OVERRIDE_TRACK
        };
        put_full_header(out, self.version, flags);
        if let (Some(alg), Some(kid)) = (self.algorithm_id, &self.kid) {
            out.extend_from_slice(&alg.to_be_bytes()[1..]);
            out.push(self.iv_size);
            out.extend_from_slice(kid);
        }
        write_samples(out, flags, &self.samples);
    }
}

/// `saiz`: sample auxiliary information sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Saiz {
    pub flags: u32,
    pub aux_info_type: Option<FourCC>,
    pub aux_info_type_parameter: Option<u32>,
    pub default_sample_info_size: u8,
    pub sample_count: u32,
    pub sample_info_sizes: Vec<u8>,
}

impl Saiz {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (_, flags) = r.full_header()?;
        let (aux_info_type, aux_info_type_parameter) = if flags & 1 != 0 {
            (Some(FourCC(r.array()?)), Some(r.u32()?))
        } else {
            (None, None)
        };
        let default_sample_info_size = r.u8()?;
        let sample_count = r.u32()?;
        let sample_info_sizes = if default_sample_info_size == 0 {
            let n = r.check_count("saiz sample", sample_count.into(), 1)?;
            r.bytes(n)?.to_vec()
        } else {
            Vec::new()
        };
        Ok(Saiz {
            flags,
            aux_info_type,
            aux_info_type_parameter,
            default_sample_info_size,
            sample_count,
            sample_info_sizes,
        })
    }
}

/// `saio`: sample auxiliary information offsets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Saio {
    pub version: u8,
    pub flags: u32,
    pub aux_info_type: Option<FourCC>,
    pub aux_info_type_parameter: Option<u32>,
    pub offsets: Vec<u64>,
}

impl Saio {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (version, flags) = r.full_header()?;
        let (aux_info_type, aux_info_type_parameter) = if flags & 1 != 0 {
            (Some(FourCC(r.array()?)), Some(r.u32()?))
        } else {
            (None, None)
        };
        let count = r.u32()?;
        let width = if version == 1 { 8 } else { 4 };
        let n = r.check_count("saio offset", count.into(), width)?;
        let mut offsets = Vec::with_capacity(n);
        for _ in 0..n {
            offsets.push(r.u32_or_u64(version)?);
        }
        Ok(Saio {
            version,
            flags,
            aux_info_type,
            aux_info_type_parameter,
            offsets,
        })
    }

    /// Offset of the first entry inside the box, header included.
    pub fn first_offset_position(&self) -> usize {
        8 + 4 + if self.flags & 1 != 0 { 8 } else { 0 } + 4
    }
}
