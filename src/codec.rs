//! Codec parameters from MP4 sample-entry configuration boxes.
//!
//! Every function takes the payload of one configuration box (the bytes
//! after its 8-byte box header) and is a pure function of it. Inputs come
//! from untrusted media files, so every read is bounds-checked: a short or
//! malformed record yields a [`CodecError`] and nothing here can panic.
//!
//! Sources: ISO/IEC 14496-15 (avcC, hvcC, codecs parameter Annex E),
//! ISO/IEC 14496-1 (esds descriptors), ISO/IEC 14496-3 (AudioSpecificConfig),
//! RFC 6381, ETSI TS 102 366 Annex F (dac3/dec3), ETSI TS 103 420 (JOC
//! extension of dec3) and the AV1 ISOBMFF binding (av1C, codecs parameter).

use serde::Serialize;
use std::fmt::Write as _;

/// Why a configuration record could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum CodecError {
    /// The record ended before a mandatory field (sizes in bytes).
    #[error("{record} truncated: need {need} bytes, have {have}")]
    Truncated {
        record: &'static str,
        need: usize,
        have: usize,
    },
    /// The record's version field is one this module does not understand.
    #[error("{record}: unsupported version {version}")]
    BadVersion { record: &'static str, version: u8 },
    /// A field holds a value the specification forbids or reserves.
    #[error("{record}: invalid {field} value {value}")]
    Invalid {
        record: &'static str,
        field: &'static str,
        value: u32,
    },
    /// A mandatory sub-structure is absent.
    #[error("{record}: missing {what}")]
    Missing {
        record: &'static str,
        what: &'static str,
    },
    /// Well-formed input that this module deliberately does not handle.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

// ---------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------

/// Byte-granular cursor; every read checks the remaining length first.
struct ByteReader<'a> {
    data: &'a [u8],
    pos: usize,
    record: &'static str,
}

impl<'a> ByteReader<'a> {
    fn new(record: &'static str, data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            record,
        }
    }

    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn truncated(&self, n: usize) -> CodecError {
        CodecError::Truncated {
            record: self.record,
            need: self.pos.saturating_add(n),
            have: self.data.len(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let slice = self
            .pos
            .checked_add(n)
            .and_then(|end| self.data.get(self.pos..end))
            .ok_or_else(|| self.truncated(n))?;
        self.pos += n;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let slice = self.take(N)?;
        // take() returned exactly N bytes; the conversion cannot fail, but
        // mapping the error keeps this path panic-free regardless.
        <[u8; N]>::try_from(slice).map_err(|_| self.truncated(N))
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
}

/// MSB-first bit cursor for the bit-packed audio and AV1 records.
struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pos: usize,
    record: &'static str,
}

impl<'a> BitReader<'a> {
    fn new(record: &'static str, data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            record,
        }
    }

    fn remaining(&self) -> usize {
        self.data.len().saturating_mul(8).saturating_sub(self.pos)
    }

    /// Reads `n` (at most 32) bits as an unsigned big-endian value.
    fn bits(&mut self, n: u32) -> Result<u32, CodecError> {
        let n_bits = n as usize;
        let truncated = CodecError::Truncated {
            record: self.record,
            need: self.pos.saturating_add(n_bits).div_ceil(8),
            have: self.data.len(),
        };
        if self.remaining() < n_bits {
            return Err(truncated);
        }
        let mut value = 0u32;
        for _ in 0..n {
            let byte = self
                .data
                .get(self.pos / 8)
                .copied()
                .ok_or_else(|| truncated.clone())?;
            let bit = (byte >> (7 - self.pos % 8)) & 1;
            value = (value << 1) | u32::from(bit);
            self.pos += 1;
        }
        Ok(value)
    }

    /// Reads a field of at most 8 bits.
    fn bits_u8(&mut self, n: u32) -> Result<u8, CodecError> {
        // Callers pass n <= 8, so the value always fits.
        Ok(self.bits(n.min(8))? as u8)
    }

    fn flag(&mut self) -> Result<bool, CodecError> {
        Ok(self.bits(1)? == 1)
    }
}

// ---------------------------------------------------------------------------
// AVC (ISO/IEC 14496-15 5.3.3.1) and HEVC (8.3.3.1)
// ---------------------------------------------------------------------------

/// The fields of avcC needed for the codecs parameter.
struct AvcConfig {
    profile_idc: u8,
    constraint_flags: u8,
    level_idc: u8,
    nal_length_size: u8,
}

/// NAL unit length fields may be 1, 2 or 4 bytes; 3 is not allowed.
fn nal_length_size(record: &'static str, minus_one: u8) -> Result<u8, CodecError> {
    match minus_one {
        0 | 1 | 3 => Ok(minus_one + 1),
        v => Err(CodecError::Invalid {
            record,
            field: "lengthSizeMinusOne",
            value: v.into(),
        }),
    }
}

/// Skips `count` entries of (16-bit length, NAL unit), so a record whose
/// parameter-set lists overrun the payload is rejected.
fn skip_nal_units(r: &mut ByteReader<'_>, count: usize) -> Result<(), CodecError> {
    for _ in 0..count {
        let len = r.u16()?;
        r.take(len.into())?;
    }
    Ok(())
}

/// Validates the whole avcC record, not just the header, so that a cut-off
/// box is reported instead of silently producing a codecs string.
fn parse_avcc(avcc: &[u8]) -> Result<AvcConfig, CodecError> {
    const REC: &str = "avcC";
    let mut r = ByteReader::new(REC, avcc);
    let version = r.u8()?;
    if version != 1 {
        return Err(CodecError::BadVersion {
            record: REC,
            version,
        });
    }
    let profile_idc = r.u8()?;
    let constraint_flags = r.u8()?;
    let level_idc = r.u8()?;
    let nal_length_size = nal_length_size(REC, r.u8()? & 0x03)?;
    let num_sps = r.u8()? & 0x1f;
    skip_nal_units(&mut r, num_sps.into())?;
    let num_pps = r.u8()?;
    skip_nal_units(&mut r, num_pps.into())?;
    // The spec requires this extension for the High profiles, but older
    // muxers omit it, so only a partially present extension is an error.
    if matches!(profile_idc, 100 | 110 | 122 | 144) && r.remaining() > 0 {
        // chroma_format, bit_depth_luma_minus8, bit_depth_chroma_minus8
        r.take(3)?;
        let num_sps_ext = r.u8()?;
        skip_nal_units(&mut r, num_sps_ext.into())?;
    }
    Ok(AvcConfig {
        profile_idc,
        constraint_flags,
        level_idc,
        nal_length_size,
    })
}

/// RFC 6381 codecs parameter for an AVC sample entry, e.g. "avc3.640028".
pub fn avc_codec_string(entry: &str, avcc: &[u8]) -> Result<String, CodecError> {
    if !matches!(entry, "avc1" | "avc2" | "avc3" | "avc4") {
        return Err(CodecError::Unsupported(format!(
            "AVC sample entry {entry:?}"
        )));
    }
    let c = parse_avcc(avcc)?;
    Ok(format!(
        "{entry}.{:02X}{:02X}{:02X}",
        c.profile_idc, c.constraint_flags, c.level_idc
    ))
}

/// Size in bytes of the NAL unit length prefix in AVC samples.
pub fn avc_nal_length_size(avcc: &[u8]) -> Result<u8, CodecError> {
    Ok(parse_avcc(avcc)?.nal_length_size)
}

/// What an H.264 sequence parameter set says of the picture: its size after
/// the frame cropping, and the sample aspect ratio its VUI signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvcPicture {
    pub width: u32,
    pub height: u32,
    /// `(h, v)` from `aspect_ratio_idc` (Table E-1) or its explicit
    /// `sar_width:sar_height`; `None` when unspecified.
    pub sar: Option<(u16, u16)>,
}

/// H.264 Table E-1: the sample aspect ratios of `aspect_ratio_idc` 1 to 16.
const AVC_SAR_TABLE: [(u16, u16); 16] = [
    (1, 1),
    (12, 11),
    (10, 11),
    (16, 11),
    (40, 33),
    (24, 11),
    (20, 11),
    (32, 11),
    (80, 33),
    (18, 11),
    (15, 11),
    (64, 33),
    (160, 99),
    (4, 3),
    (3, 2),
    (2, 1),
];

/// The first SPS of an avcC record, `None` when it carries none (avc3 may
/// send its parameter sets in band only).
fn first_avc_sps(avcc: &[u8]) -> Result<Option<&[u8]>, CodecError> {
    let mut r = ByteReader::new("avcC", avcc);
    r.take(5)?;
    if r.u8()? & 0x1f == 0 {
        return Ok(None);
    }
    let len = r.u16()?;
    Ok(Some(r.take(len.into())?))
}

/// The RBSP of a NAL unit: its payload after the header, without the
/// emulation prevention bytes (0x000003 → 0x0000).
fn rbsp(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0usize;
    for &b in nal.iter().skip(1) {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

impl BitReader<'_> {
    /// Unsigned Exp-Golomb code (H.264 9.1); longer than 32 bits is invalid.
    fn ue(&mut self, field: &'static str) -> Result<u32, CodecError> {
        let mut zeros = 0u32;
        while !self.flag()? {
            zeros += 1;
            if zeros > 31 {
                return Err(CodecError::Invalid {
                    record: self.record,
                    field,
                    value: zeros,
                });
            }
        }
        let rest = if zeros == 0 { 0 } else { self.bits(zeros)? };
        // (2^zeros − 1) + rest, at most 2^32 − 2 for zeros ≤ 31.
        Ok(((1u32 << zeros) - 1) + rest)
    }

    /// Signed Exp-Golomb code (H.264 9.1.1), read only to be skipped.
    fn se(&mut self, field: &'static str) -> Result<(), CodecError> {
        self.ue(field).map(|_| ())
    }
}

/// Skips a scaling_list() of `size` coefficients (H.264 7.3.2.1.1.1): the
/// deltas must be read to find where it ends.
fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Result<(), CodecError> {
    let (mut last, mut next) = (8i64, 8i64);
    for _ in 0..size {
        if next != 0 {
            let code = i64::from(r.ue("delta_scale")?);
            // se(v) from its ue(v) code: 1 → 1, 2 → −1, 3 → 2, ...
            let delta = if code % 2 == 1 {
                (code + 1) / 2
            } else {
                -(code / 2)
            };
            next = (last + delta).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Ok(())
}

/// Reads the picture size and VUI sample aspect ratio from the first SPS
/// of an avcC record (H.264 7.3.2.1.1 and E.1.1). `None` when the record
/// has no SPS.
pub fn avc_picture(avcc: &[u8]) -> Result<Option<AvcPicture>, CodecError> {
    const REC: &str = "SPS";
    let Some(nal) = first_avc_sps(avcc)? else {
        return Ok(None);
    };
    let data = rbsp(nal);
    let mut r = BitReader::new(REC, &data);
    let profile_idc = r.bits_u8(8)?;
    r.bits(16)?; // constraint flags, level_idc
    r.ue("seq_parameter_set_id")?;
    let mut chroma_format_idc = 1;
    let mut separate_colour_plane = false;
    if matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        chroma_format_idc = r.ue("chroma_format_idc")?;
        if chroma_format_idc == 3 {
            separate_colour_plane = r.flag()?;
        }
        r.ue("bit_depth_luma_minus8")?;
        r.ue("bit_depth_chroma_minus8")?;
        r.flag()?; // qpprime_y_zero_transform_bypass_flag
        if r.flag()? {
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.flag()? {
                    skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    r.ue("log2_max_frame_num_minus4")?;
    match r.ue("pic_order_cnt_type")? {
        0 => {
            r.ue("log2_max_pic_order_cnt_lsb_minus4")?;
        }
        1 => {
            r.flag()?; // delta_pic_order_always_zero_flag
            r.se("offset_for_non_ref_pic")?;
            r.se("offset_for_top_to_bottom_field")?;
            let cycle = r.ue("num_ref_frames_in_pic_order_cnt_cycle")?;
            if cycle > 255 {
                return Err(CodecError::Invalid {
                    record: REC,
                    field: "num_ref_frames_in_pic_order_cnt_cycle",
                    value: cycle,
                });
            }
            for _ in 0..cycle {
                r.se("offset_for_ref_frame")?;
            }
        }
        _ => {}
    }
    r.ue("max_num_ref_frames")?;
    r.flag()?; // gaps_in_frame_num_value_allowed_flag
    let width_mbs = u64::from(r.ue("pic_width_in_mbs_minus1")?) + 1;
    let height_units = u64::from(r.ue("pic_height_in_map_units_minus1")?) + 1;
    let frame_mbs_only = r.flag()?;
    if !frame_mbs_only {
        r.flag()?; // mb_adaptive_frame_field_flag
    }
    r.flag()?; // direct_8x8_inference_flag
    let mut crop = [0u64; 4];
    if r.flag()? {
        for c in &mut crop {
            *c = r.ue("frame_crop_offset")?.into();
        }
    }
    // Crop units (7-19 to 7-22): chroma subsampling, and fields count twice.
    let field_factor: u64 = if frame_mbs_only { 1 } else { 2 };
    let (unit_x, unit_y) = match (separate_colour_plane, chroma_format_idc) {
        (true, _) | (_, 0) => (1, field_factor),
        (_, 1) => (2, 2 * field_factor),
        (_, 2) => (2, field_factor),
        _ => (1, field_factor),
    };
    let too_big = |field| CodecError::Invalid {
        record: REC,
        field,
        value: u32::MAX,
    };
    let width = (width_mbs * 16)
        .checked_sub((crop[0] + crop[1]) * unit_x)
        .and_then(|w| u32::try_from(w).ok())
        .ok_or_else(|| too_big("frame_crop_left/right_offset"))?;
    let height = (height_units * 16 * field_factor)
        .checked_sub((crop[2] + crop[3]) * unit_y)
        .and_then(|h| u32::try_from(h).ok())
        .ok_or_else(|| too_big("frame_crop_top/bottom_offset"))?;
    let mut sar = None;
    if r.flag()? && r.flag()? {
        // vui_parameters_present_flag, then aspect_ratio_info_present_flag
        sar = match r.bits_u8(8)? {
            255 => {
                let (w, h) = (r.bits(16)? as u16, r.bits(16)? as u16);
                (w > 0 && h > 0).then_some((w, h))
            }
            idc => AVC_SAR_TABLE.get(usize::from(idc).wrapping_sub(1)).copied(),
        };
    }
    Ok(Some(AvcPicture { width, height, sar }))
}

/// The fields of hvcC needed for the codecs parameter.
struct HevcConfig {
    profile_space: u8,
    tier: bool,
    profile_idc: u8,
    compatibility_flags: u32,
    constraint_flags: [u8; 6],
    level_idc: u8,
    nal_length_size: u8,
}

/// Validates the whole hvcC record including its NAL unit arrays.
fn parse_hvcc(hvcc: &[u8]) -> Result<HevcConfig, CodecError> {
    const REC: &str = "hvcC";
    let mut r = ByteReader::new(REC, hvcc);
    let version = r.u8()?;
    if version != 1 {
        return Err(CodecError::BadVersion {
            record: REC,
            version,
        });
    }
    let b = r.u8()?;
    let compatibility_flags = r.u32()?;
    let constraint_flags = r.array::<6>()?;
    let level_idc = r.u8()?;
    // min_spatial_segmentation_idc (2), parallelismType, chromaFormat,
    // bitDepthLumaMinus8, bitDepthChromaMinus8, avgFrameRate (2): not
    // needed for the codecs string.
    r.take(8)?;
    let nal_length_size = nal_length_size(REC, r.u8()? & 0x03)?;
    let num_arrays = r.u8()?;
    for _ in 0..num_arrays {
        // array_completeness, reserved, NAL_unit_type
        r.u8()?;
        let num_nalus = r.u16()?;
        skip_nal_units(&mut r, num_nalus.into())?;
    }
    Ok(HevcConfig {
        profile_space: b >> 6,
        tier: b & 0x20 != 0,
        profile_idc: b & 0x1f,
        compatibility_flags,
        constraint_flags,
        level_idc,
        nal_length_size,
    })
}

/// ISO/IEC 14496-15 Annex E codecs parameter for an HEVC sample entry,
/// e.g. "hev1.1.6.L93.B0".
pub fn hevc_codec_string(entry: &str, hvcc: &[u8]) -> Result<String, CodecError> {
    if !matches!(entry, "hvc1" | "hev1" | "hvc2" | "hev2") {
        return Err(CodecError::Unsupported(format!(
            "HEVC sample entry {entry:?}"
        )));
    }
    let c = parse_hvcc(hvcc)?;
    let space = match c.profile_space {
        0 => "",
        1 => "A",
        2 => "B",
        _ => "C",
    };
    let tier = if c.tier { 'H' } else { 'L' };
    // Annex E: compatibility flags are written with their bit order
    // reversed (flag 0 is the MSB of the field), without leading zeros.
    let mut s = format!(
        "{entry}.{space}{}.{:X}.{tier}{}",
        c.profile_idc,
        c.compatibility_flags.reverse_bits(),
        c.level_idc
    );
    // Trailing zero constraint bytes may be omitted; omitting them matches
    // the common form ("…L93.B0").
    let used = c
        .constraint_flags
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i + 1);
    for b in c.constraint_flags.iter().take(used) {
        let _ = write!(s, ".{b:X}");
    }
    Ok(s)
}

/// Size in bytes of the NAL unit length prefix in HEVC samples.
pub fn hevc_nal_length_size(hvcc: &[u8]) -> Result<u8, CodecError> {
    Ok(parse_hvcc(hvcc)?.nal_length_size)
}

// ---------------------------------------------------------------------------
// esds (ISO/IEC 14496-1 7.2.6)
// ---------------------------------------------------------------------------

const ES_DESCR_TAG: u8 = 0x03;
const DECODER_CONFIG_DESCR_TAG: u8 = 0x04;
const DEC_SPECIFIC_INFO_TAG: u8 = 0x05;

/// What the esds box says about an MPEG-4 elementary stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EsdsInfo {
    pub object_type_indication: u8,
    pub max_bitrate: u32,
    pub avg_bitrate: u32,
    /// Empty when the stream has no DecoderSpecificInfo (e.g. MP3).
    pub decoder_specific_info: Vec<u8>,
}

fn descriptor_name(tag: u8) -> &'static str {
    match tag {
        ES_DESCR_TAG => "ES_Descriptor",
        DECODER_CONFIG_DESCR_TAG => "DecoderConfigDescriptor",
        DEC_SPECIFIC_INFO_TAG => "DecoderSpecificInfo",
        0x06 => "SLConfigDescriptor",
        _ => "descriptor",
    }
}

/// Reads one descriptor: tag, expandable size (1-4 bytes of 7 bits, high
/// bit = another byte follows), and returns the tag and its body.
fn read_descriptor<'a>(r: &mut ByteReader<'a>) -> Result<(u8, &'a [u8]), CodecError> {
    let tag = r.u8()?;
    let name = descriptor_name(tag);
    let mut size = 0usize;
    for _ in 0..4 {
        let b = r.u8()?;
        size = (size << 7) | usize::from(b & 0x7f);
        if b & 0x80 == 0 {
            if r.remaining() < size {
                return Err(CodecError::Truncated {
                    record: name,
                    need: size,
                    have: r.remaining(),
                });
            }
            return Ok((tag, r.take(size)?));
        }
    }
    Err(CodecError::Invalid {
        record: name,
        field: "size (more than 4 bytes)",
        value: u32::try_from(size).unwrap_or(u32::MAX),
    })
}

/// Returns the body of the first descriptor with `tag` among the
/// descriptors that fill the rest of `r`, skipping others.
fn find_descriptor<'a>(r: &mut ByteReader<'a>, tag: u8) -> Result<Option<&'a [u8]>, CodecError> {
    while r.remaining() > 0 {
        let (t, body) = read_descriptor(r)?;
        if t == tag {
            return Ok(Some(body));
        }
    }
    Ok(None)
}

/// Parses an esds payload (including its version/flags word) down to the
/// DecoderSpecificInfo.
pub fn parse_esds(esds: &[u8]) -> Result<EsdsInfo, CodecError> {
    let mut r = ByteReader::new("esds", esds);
    let [version, _, _, _] = r.array::<4>()?;
    if version != 0 {
        return Err(CodecError::BadVersion {
            record: "esds",
            version,
        });
    }
    let es = find_descriptor(&mut r, ES_DESCR_TAG)?.ok_or(CodecError::Missing {
        record: "esds",
        what: "ES_Descriptor",
    })?;

    let mut r = ByteReader::new("ES_Descriptor", es);
    r.u16()?; // ES_ID
    let flags = r.u8()?;
    if flags & 0x80 != 0 {
        r.u16()?; // dependsOn_ES_ID
    }
    if flags & 0x40 != 0 {
        let url_len = r.u8()?;
        r.take(url_len.into())?;
    }
    if flags & 0x20 != 0 {
        r.u16()?; // OCR_ES_Id
    }
    let dcd = find_descriptor(&mut r, DECODER_CONFIG_DESCR_TAG)?.ok_or(CodecError::Missing {
        record: "ES_Descriptor",
        what: "DecoderConfigDescriptor",
    })?;

    let mut r = ByteReader::new("DecoderConfigDescriptor", dcd);
    let object_type_indication = r.u8()?;
    r.u8()?; // streamType, upStream, reserved
    r.take(3)?; // bufferSizeDB
    let max_bitrate = r.u32()?;
    let avg_bitrate = r.u32()?;
    let decoder_specific_info = find_descriptor(&mut r, DEC_SPECIFIC_INFO_TAG)?
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    Ok(EsdsInfo {
        object_type_indication,
        max_bitrate,
        avg_bitrate,
        decoder_specific_info,
    })
}

// ---------------------------------------------------------------------------
// AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1)
// ---------------------------------------------------------------------------

/// Sampling frequencies for samplingFrequencyIndex 0..=12 (13, 14 reserved).
const AAC_SAMPLING_FREQUENCIES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// The parts of an AudioSpecificConfig that drive codecs strings and
/// manifest attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AudioSpecificConfig {
    /// The core audio object type (e.g. 2 for AAC-LC under HE-AAC).
    pub object_type: u8,
    pub sbr: bool,
    pub ps: bool,
    /// Core sampling rate.
    pub sampling_frequency: u32,
    /// SBR output rate when SBR is signalled.
    pub extension_sampling_frequency: Option<u32>,
    pub channel_configuration: u8,
}

fn read_audio_object_type(r: &mut BitReader<'_>) -> Result<u8, CodecError> {
    let aot = r.bits_u8(5)?;
    if aot == 31 {
        // Escape: types 32..=95 follow in 6 bits.
        Ok(32 + r.bits_u8(6)?)
    } else {
        Ok(aot)
    }
}

fn read_sampling_frequency(r: &mut BitReader<'_>, field: &'static str) -> Result<u32, CodecError> {
    let index = r.bits(4)?;
    if index == 0xf {
        return r.bits(24);
    }
    AAC_SAMPLING_FREQUENCIES
        .get(index as usize)
        .copied()
        .ok_or(CodecError::Invalid {
            record: "AudioSpecificConfig",
            field,
            value: index,
        })
}

/// Skips GASpecificConfig. Returns false when it ends in a
/// program_config_element, which is not parsed, so the position of any
/// following data is unknown.
fn skip_ga_specific_config(
    r: &mut BitReader<'_>,
    aot: u8,
    channel_configuration: u8,
) -> Result<bool, CodecError> {
    r.bits(1)?; // frameLengthFlag
    if r.flag()? {
        r.bits(14)?; // coreCoderDelay
    }
    let extension_flag = r.flag()?;
    if channel_configuration == 0 {
        return Ok(false);
    }
    if matches!(aot, 6 | 20) {
        r.bits(3)?; // layerNr
    }
    if extension_flag {
        if aot == 22 {
            r.bits(16)?; // numOfSubFrame (5), layer_length (11)
        }
        if matches!(aot, 17 | 19 | 20 | 23) {
            r.bits(3)?; // section/scalefactor/spectral data resilience flags
        }
        r.bits(1)?; // extensionFlag3
    }
    Ok(true)
}

/// Parses an AudioSpecificConfig, including explicit hierarchical
/// (AOT 5/29) and backward-compatible (sync extension) SBR/PS signalling.
pub fn parse_audio_specific_config(dsi: &[u8]) -> Result<AudioSpecificConfig, CodecError> {
    const REC: &str = "AudioSpecificConfig";
    let mut r = BitReader::new(REC, dsi);
    let mut object_type = read_audio_object_type(&mut r)?;
    let sampling_frequency = read_sampling_frequency(&mut r, "samplingFrequencyIndex")?;
    let channel_configuration = r.bits_u8(4)?;
    let mut asc = AudioSpecificConfig {
        object_type,
        sbr: false,
        ps: false,
        sampling_frequency,
        extension_sampling_frequency: None,
        channel_configuration,
    };

    // Hierarchical signalling: the SBR rate and then the core type follow.
    let hierarchical = matches!(object_type, 5 | 29);
    if hierarchical {
        asc.sbr = true;
        asc.ps = object_type == 29;
        asc.extension_sampling_frequency = Some(read_sampling_frequency(
            &mut r,
            "extensionSamplingFrequencyIndex",
        )?);
        object_type = read_audio_object_type(&mut r)?;
        if object_type == 22 {
            r.bits(4)?; // extensionChannelConfiguration
        }
        asc.object_type = object_type;
    }
    if object_type == 0 {
        return Err(CodecError::Invalid {
            record: REC,
            field: "audioObjectType",
            value: 0,
        });
    }

    // Only GASpecificConfig is walked; for any other type the position of
    // the sync extension is unknown, so report what is known.
    if !matches!(object_type, 1..=4 | 6 | 7 | 17 | 19..=23) {
        return Ok(asc);
    }
    if !skip_ga_specific_config(&mut r, object_type, channel_configuration)? {
        return Ok(asc);
    }
    if matches!(object_type, 17 | 19..=23) {
        let ep_config = r.bits(2)?;
        if ep_config >= 2 {
            // ErrorProtectionSpecificConfig follows; not parsed.
            return Ok(asc);
        }
    }

    // Backward-compatible signalling, appended after the core config so
    // that legacy decoders ignore it.
    if hierarchical || r.remaining() < 16 {
        return Ok(asc);
    }
    if r.bits(11)? != 0x2b7 || read_audio_object_type(&mut r)? != 5 {
        return Ok(asc);
    }
    if !r.flag()? {
        // sbrPresentFlag = 0: SBR explicitly absent.
        return Ok(asc);
    }
    asc.sbr = true;
    asc.extension_sampling_frequency = Some(read_sampling_frequency(
        &mut r,
        "extensionSamplingFrequencyIndex",
    )?);
    if r.remaining() >= 12 && r.bits(11)? == 0x548 {
        asc.ps = r.flag()?;
    }
    Ok(asc)
}

impl AudioSpecificConfig {
    /// RFC 6381 audio object type for the codecs string: 29 for PS,
    /// 5 for SBR, else the core type.
    pub fn codec_object_type(&self) -> u8 {
        if self.ps {
            29
        } else if self.sbr {
            5
        } else {
            self.object_type
        }
    }

    /// Output channel count, or None when a program_config_element (or a
    /// reserved configuration) defines it.
    pub fn channels(&self) -> Option<u16> {
        let n = match self.channel_configuration {
            c @ 1..=6 => u16::from(c),
            7 => 8,
            11 => 7,
            12 => 8,
            13 => 24,
            14 => 8,
            _ => return None,
        };
        // PS turns a mono core into stereo output.
        Some(if self.ps && n == 1 { 2 } else { n })
    }

    /// Output sample rate: the SBR rate when SBR is used, else the core rate.
    pub fn output_sample_rate(&self) -> u32 {
        match (self.sbr, self.extension_sampling_frequency) {
            (true, Some(rate)) => rate,
            _ => self.sampling_frequency,
        }
    }
}

/// RFC 6381 codecs parameter for an "mp4a" sample entry from its esds
/// payload, e.g. "mp4a.40.2" or "mp4a.6B".
pub fn mp4a_codec_string(esds: &[u8]) -> Result<String, CodecError> {
    let info = parse_esds(esds)?;
    let oti = info.object_type_indication;
    let mut s = format!("mp4a.{oti:02X}");
    match oti {
        0x40 => {
            // MPEG-4 Audio: the audio object type is mandatory here.
            if info.decoder_specific_info.is_empty() {
                return Err(CodecError::Missing {
                    record: "DecoderConfigDescriptor",
                    what: "DecoderSpecificInfo",
                });
            }
            let asc = parse_audio_specific_config(&info.decoder_specific_info)?;
            let _ = write!(s, ".{}", asc.codec_object_type());
        }
        0x66 | 0x67 => {
            // MPEG-2 AAC: append the type only when the DSI says it.
            if let Ok(asc) = parse_audio_specific_config(&info.decoder_specific_info) {
                let _ = write!(s, ".{}", asc.codec_object_type());
            }
        }
        _ => {}
    }
    Ok(s)
}

// ---------------------------------------------------------------------------
// AC-3 / E-AC-3 (ETSI TS 102 366 Annex F)
// ---------------------------------------------------------------------------

/// Full-bandwidth channels per acmod (Table 4.3); acmod 0 is 1+1 dual mono.
const ACMOD_CHANNELS: [u16; 8] = [2, 1, 2, 3, 3, 4, 4, 5];

/// AudioChannelConfiguration bits per acmod (bit 15 = L, 14 = C, 13 = R,
/// 12 = Ls, 11 = Rs, 8 = Cs); dual mono is signalled as L/R.
const ACMOD_CHANNEL_CONFIG: [u16; 8] = [
    0xA000, // 1+1: L, R
    0x4000, // 1/0: C
    0xA000, // 2/0: L, R
    0xE000, // 3/0: L, C, R
    0xA100, // 2/1: L, R, Cs
    0xE100, // 3/1: L, C, R, Cs
    0xB800, // 2/2: L, R, Ls, Rs
    0xF800, // 3/2: L, C, R, Ls, Rs
];

/// AC-3 bit rates in kbit/s for bit_rate_code 0..=18 (Table F.4.1).
const AC3_BITRATES_KBPS: [u32; 19] = [
    32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640,
];

/// Channels added by each chan_loc bit (Table F.6.1), MSB (bit 8) first:
/// Lc/Rc, Lrs/Rrs, Cs, Ts, Lsd/Rsd, Lw/Rw, Lvh/Rvh, Cvh, LFE2.
const CHAN_LOC_CHANNELS: [u16; 9] = [2, 2, 1, 1, 2, 2, 2, 1, 1];

fn fscod_sample_rate(fscod: u8) -> Option<u32> {
    match fscod {
        0 => Some(48000),
        1 => Some(44100),
        2 => Some(32000),
        _ => None,
    }
}

fn acmod_channels(acmod: u8, lfe: bool) -> u16 {
    ACMOD_CHANNELS.get(usize::from(acmod)).copied().unwrap_or(0) + u16::from(lfe)
}

fn acmod_channel_config(acmod: u8, lfe: bool) -> u16 {
    ACMOD_CHANNEL_CONFIG
        .get(usize::from(acmod))
        .copied()
        .unwrap_or(0)
        | u16::from(lfe)
}

/// Contents of a dac3 box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ac3Info {
    pub fscod: u8,
    pub bsid: u8,
    pub bsmod: u8,
    pub acmod: u8,
    pub lfe: bool,
    pub bit_rate_code: u8,
}

/// Parses the 3-byte dac3 payload.
pub fn parse_dac3(dac3: &[u8]) -> Result<Ac3Info, CodecError> {
    let mut r = BitReader::new("dac3", dac3);
    let info = Ac3Info {
        fscod: r.bits_u8(2)?,
        bsid: r.bits_u8(5)?,
        bsmod: r.bits_u8(3)?,
        acmod: r.bits_u8(3)?,
        lfe: r.flag()?,
        bit_rate_code: r.bits_u8(5)?,
    };
    r.bits(5)?; // reserved: part of the fixed 3-byte record
    Ok(info)
}

impl Ac3Info {
    pub fn channels(&self) -> u16 {
        acmod_channels(self.acmod, self.lfe)
    }

    pub fn sample_rate(&self) -> Option<u32> {
        fscod_sample_rate(self.fscod)
    }

    pub fn bitrate_kbps(&self) -> Option<u32> {
        AC3_BITRATES_KBPS
            .get(usize::from(self.bit_rate_code))
            .copied()
    }

    /// Value for scheme tag:dolby.com,2014:dash:audio_channel_configuration:2011.
    pub fn dolby_channel_configuration(&self) -> String {
        format!("{:04X}", acmod_channel_config(self.acmod, self.lfe))
    }
}

/// One independent substream described in a dec3 box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ec3Substream {
    pub fscod: u8,
    pub bsid: u8,
    pub asvc: bool,
    pub bsmod: u8,
    pub acmod: u8,
    pub lfe: bool,
    pub num_dep_sub: u8,
    /// Channel locations added by dependent substreams (0 when none).
    pub chan_loc: u16,
}

/// Contents of a dec3 box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ec3Info {
    pub data_rate_kbps: u16,
    pub substreams: Vec<Ec3Substream>,
    /// Dolby Atmos JOC complexity index, when signalled.
    pub joc_complexity: Option<u8>,
}

/// Parses a dec3 payload, including the optional JOC extension.
pub fn parse_dec3(dec3: &[u8]) -> Result<Ec3Info, CodecError> {
    let mut r = BitReader::new("dec3", dec3);
    // 13 bits always fit in u16.
    let data_rate_kbps = r.bits(13)? as u16;
    let num_ind_sub = r.bits(3)? + 1;
    let mut substreams = Vec::new();
    for _ in 0..num_ind_sub {
        let fscod = r.bits_u8(2)?;
        let bsid = r.bits_u8(5)?;
        r.bits(1)?; // reserved
        let asvc = r.flag()?;
        let bsmod = r.bits_u8(3)?;
        let acmod = r.bits_u8(3)?;
        let lfe = r.flag()?;
        r.bits(3)?; // reserved
        let num_dep_sub = r.bits_u8(4)?;
        let chan_loc = if num_dep_sub > 0 {
            // 9 bits always fit in u16.
            r.bits(9)? as u16
        } else {
            r.bits(1)?; // reserved
            0
        };
        substreams.push(Ec3Substream {
            fscod,
            bsid,
            asvc,
            bsmod,
            acmod,
            lfe,
            num_dep_sub,
            chan_loc,
        });
    }
    // ETSI TS 103 420 appends reserved (7), flag_ec3_extension_type_a (1)
    // and complexity_index_type_a (8) for object audio; older boxes end here.
    let joc_complexity = if r.remaining() >= 8 {
        r.bits(7)?;
        if r.flag()? {
            Some(r.bits_u8(8)?)
        } else {
            None
        }
    } else {
        None
    };
    Ok(Ec3Info {
        data_rate_kbps,
        substreams,
        joc_complexity,
    })
}

/// Channel-location bits (MSB = bit 8) that are set in `chan_loc`.
fn chan_loc_channels(chan_loc: u16) -> u16 {
    CHAN_LOC_CHANNELS
        .iter()
        .enumerate()
        .filter(|(i, _)| chan_loc & (0x100 >> i) != 0)
        .map(|(_, n)| n)
        .sum()
}

impl Ec3Info {
    /// Channels of the first independent substream including those its
    /// dependent substreams add.
    pub fn channels(&self) -> u16 {
        self.substreams.first().map_or(0, |s| {
            let added = if s.num_dep_sub > 0 {
                chan_loc_channels(s.chan_loc)
            } else {
                0
            };
            acmod_channels(s.acmod, s.lfe) + added
        })
    }

    /// Value for scheme tag:dolby.com,2014:dash:audio_channel_configuration:2011
    /// describing the first independent substream.
    pub fn dolby_channel_configuration(&self) -> String {
        let value = self.substreams.first().map_or(0, |s| {
            let mut v = acmod_channel_config(s.acmod, s.lfe);
            if s.num_dep_sub > 0 {
                // chan_loc Lc/Rc..Cvh (bits 8..1) line up with config bits
                // 10..3; LFE2 (bit 0) is config bit 1, after Lts/Rts.
                v |= ((s.chan_loc & 0x1fe) << 2) | ((s.chan_loc & 0x001) << 1);
            }
            v
        });
        format!("{value:04X}")
    }

    pub fn sample_rate(&self) -> Option<u32> {
        self.substreams
            .first()
            .and_then(|s| fscod_sample_rate(s.fscod))
    }
}

// ---------------------------------------------------------------------------
// AV1 (AV1 Codec ISO Media File Format Binding, av1C and codecs parameter)
// ---------------------------------------------------------------------------

/// Codecs parameter for an av01 sample entry, in the long form when the
/// nclx colour information is supplied.
pub fn av1_codec_string(
    av1c: &[u8],
    colr: Option<(u16, u16, u16, bool)>,
) -> Result<String, CodecError> {
    const REC: &str = "av1C";
    let mut r = BitReader::new(REC, av1c);
    let marker = r.bits(1)?;
    let version = r.bits_u8(7)?;
    if marker != 1 {
        return Err(CodecError::Invalid {
            record: REC,
            field: "marker",
            value: marker,
        });
    }
    if version != 1 {
        return Err(CodecError::BadVersion {
            record: REC,
            version,
        });
    }
    let profile = r.bits_u8(3)?;
    let level = r.bits_u8(5)?;
    let high_tier = r.flag()?;
    let high_bitdepth = r.flag()?;
    let twelve_bit = r.flag()?;
    let monochrome = r.flag()?;
    let subsampling_x = r.bits_u8(1)?;
    let subsampling_y = r.bits_u8(1)?;
    let sample_position = r.bits_u8(2)?;
    // reserved (3), initial_presentation_delay (1 + 4): completes the
    // fixed 4-byte header.
    r.bits(8)?;

    // AV1 spec color_config: twelve_bit only exists for profile 2.
    let bit_depth = match (profile, high_bitdepth, twelve_bit) {
        (2, true, true) => 12,
        (_, true, _) => 10,
        _ => 8,
    };
    let tier = if high_tier { 'H' } else { 'M' };
    let mut s = format!("av01.{profile}.{level:02}{tier}.{bit_depth:02}");
    if let Some((cp, tc, mc, full_range)) = colr {
        // The long form has exactly two digits per colour field.
        for (field, value) in [
            ("colour_primaries", cp),
            ("transfer_characteristics", tc),
            ("matrix_coefficients", mc),
        ] {
            if value > 99 {
                return Err(CodecError::Invalid {
                    record: "colr",
                    field,
                    value: value.into(),
                });
            }
        }
        let _ = write!(
            s,
            ".{}.{subsampling_x}{subsampling_y}{sample_position}.{cp:02}.{tc:02}.{mc:02}.{}",
            u8::from(monochrome),
            u8::from(full_range)
        );
    }
    Ok(s)
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// Every strict prefix of `full` must be rejected, except the lengths
    /// listed in `ok_at` (records with legitimately optional tails).
    fn assert_prefixes_err<T: std::fmt::Debug>(
        full: &[u8],
        ok_at: &[usize],
        f: impl Fn(&[u8]) -> Result<T, CodecError>,
    ) {
        for len in 0..full.len() {
            let res = f(&full[..len]);
            if ok_at.contains(&len) {
                assert!(res.is_ok(), "prefix {len} should parse: {res:?}");
            } else {
                assert!(res.is_err(), "prefix {len} should fail: {res:?}");
            }
        }
        assert!(f(full).is_ok(), "full record should parse");
    }

    // --- AVC -------------------------------------------------------------

    /// SPS of an x264 High@4.0 1920x1080 stream (nal type 7, 64 00 28).
    const AVC_SPS: [u8; 27] = [
        0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02, 0x27, 0xe5, 0xc0, 0x44, 0x00, 0x00,
        0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x60, 0xc6, 0x58,
    ];
    /// Matching PPS (nal type 8).
    const AVC_PPS: [u8; 6] = [0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0];

    fn avcc_high_40() -> Vec<u8> {
        [
            // version 1, profile 0x64 (100, High), compat 0x00, level 0x28 (40);
            // 0xff = 111111 + lengthSizeMinusOne 11 -> 4-byte lengths;
            // 0xe1 = 111 + numOfSequenceParameterSets 00001; SPS length 27.
            &[0x01, 0x64, 0x00, 0x28, 0xff, 0xe1, 0x00, 0x1b][..],
            &AVC_SPS,
            // numOfPictureParameterSets 1, PPS length 6.
            &[0x01, 0x00, 0x06],
            &AVC_PPS,
            // High extension: 0xfd = 111111 + chroma_format 01 (4:2:0);
            // 0xf8 = 11111 + bit_depth_luma_minus8 000; same for chroma;
            // numOfSequenceParameterSetExt 0.
            &[0xfd, 0xf8, 0xf8, 0x00],
        ]
        .concat()
    }

    #[test]
    fn avc_high_level_40() {
        let avcc = avcc_high_40();
        assert_eq!(avcc.len(), 48);
        assert_eq!(avc_codec_string("avc3", &avcc).unwrap(), "avc3.640028");
        assert_eq!(avc_codec_string("avc1", &avcc).unwrap(), "avc1.640028");
        assert_eq!(avc_nal_length_size(&avcc).unwrap(), 4);
    }

    #[test]
    fn avc_truncated_prefixes() {
        let avcc = avcc_high_40();
        // 44 = everything up to the PPS: a High-profile avcC without the
        // extension, as older muxers write it.
        assert_prefixes_err(&avcc, &[44], |b| avc_codec_string("avc3", b));
        assert_prefixes_err(&avcc, &[44], avc_nal_length_size);
    }

    #[test]
    fn avc_rejects_bad_records() {
        let mut avcc = avcc_high_40();
        avcc[0] = 0;
        assert_eq!(
            avc_codec_string("avc1", &avcc),
            Err(CodecError::BadVersion {
                record: "avcC",
                version: 0
            })
        );
        let mut avcc = avcc_high_40();
        avcc[4] = 0xfe; // lengthSizeMinusOne 2: 3-byte lengths are not allowed
        assert!(matches!(
            avc_nal_length_size(&avcc),
            Err(CodecError::Invalid { value: 2, .. })
        ));
        assert!(matches!(
            avc_codec_string("hvc1", &avcc_high_40()),
            Err(CodecError::Unsupported(_))
        ));
        // Trailing partial extension (1 of 4 bytes) is an error.
        let avcc = avcc_high_40();
        assert!(avc_codec_string("avc1", &avcc[..45]).is_err());
    }

    // --- HEVC ------------------------------------------------------------

    /// x265-style parameter sets for Main, level 3.1 (93 = 0x5d).
    const HEVC_VPS: [u8; 24] = [
        0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0xb0, 0x00, 0x00,
        0x03, 0x00, 0x00, 0x03, 0x00, 0x5d, 0x95, 0x98, 0x09,
    ];
    const HEVC_SPS: [u8; 41] = [
        0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0xb0, 0x00, 0x00, 0x03, 0x00, 0x00,
        0x03, 0x00, 0x5d, 0xa0, 0x02, 0x80, 0x80, 0x2d, 0x16, 0x59, 0x59, 0xa4, 0x93, 0x2b, 0xc0,
        0x40, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x06, 0x42,
    ];
    const HEVC_PPS: [u8; 7] = [0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40];

    fn hvcc_main_l31() -> Vec<u8> {
        [
            // version 1; 0x01 = profile_space 00, tier 0, profile_idc 00001 (Main);
            // compat 0x60000000 = flags [1] and [2] (flag j is bit 31-j).
            &[0x01, 0x01, 0x60, 0x00, 0x00, 0x00][..],
            // constraints: 0xb0 = progressive 1, interlaced 0, non_packed 1,
            // frame_only 1; then five zero bytes; level_idc 0x5d = 93 (3.1 * 30).
            &[0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d],
            // 0xf000 min_spatial_segmentation 0; 0xfc parallelism 0;
            // 0xfd chroma 4:2:0; 0xf8 0xf8 8-bit; avgFrameRate 0;
            // 0x0f = constFR 00, temporal layers 001, nested 1, lengthSizeMinusOne 11;
            // numOfArrays 3.
            &[0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 0x03],
            // 0xa0 = complete 1, reserved 0, type 100000 (32, VPS); 1 NALU, 24 bytes.
            &[0xa0, 0x00, 0x01, 0x00, 0x18],
            &HEVC_VPS,
            // 0xa1: type 33 (SPS); 1 NALU, 41 bytes.
            &[0xa1, 0x00, 0x01, 0x00, 0x29],
            &HEVC_SPS,
            // 0xa2: type 34 (PPS); 1 NALU, 7 bytes.
            &[0xa2, 0x00, 0x01, 0x00, 0x07],
            &HEVC_PPS,
        ]
        .concat()
    }

    /// Main10 (profile_idc 2, compat 0x20000000 = flag [2]), level 93,
    /// constraint 0x90 = progressive 1 + frame_only 1; 0xfa = 11111 + depth-8 = 2;
    /// numOfArrays 0 (parameter sets in band, hev1).
    const HVCC_MAIN10_L93: [u8; 23] = [
        0x01, 0x02, 0x20, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0xf0, 0x00,
        0xfc, 0xfd, 0xfa, 0xfa, 0x00, 0x00, 0x0f, 0x00,
    ];

    #[test]
    fn hevc_main_l31() {
        let hvcc = hvcc_main_l31();
        assert_eq!(hvcc.len(), 110);
        assert_eq!(hevc_codec_string("hev1", &hvcc).unwrap(), "hev1.1.6.L93.B0");
        assert_eq!(hevc_nal_length_size(&hvcc).unwrap(), 4);
    }

    #[test]
    fn hevc_main10() {
        // compat 0x20000000 reversed = 0x00000004.
        assert_eq!(
            hevc_codec_string("hev1", &HVCC_MAIN10_L93).unwrap(),
            "hev1.2.4.L93.90"
        );
        // Same with level 0x78 = 120 (4.0) and constraint 0xb0.
        let mut hvcc = HVCC_MAIN10_L93;
        hvcc[6] = 0xb0;
        hvcc[12] = 0x78;
        assert_eq!(
            hevc_codec_string("hvc1", &hvcc).unwrap(),
            "hvc1.2.4.L120.B0"
        );
    }

    #[test]
    fn hevc_space_tier_and_constraints() {
        let mut hvcc = HVCC_MAIN10_L93;
        // 0x61 = profile_space 01 ('A'), tier 1 ('H'), profile_idc 00001.
        hvcc[1] = 0x61;
        // compat 0x60000000 -> 6
        hvcc[2] = 0x60;
        // constraint bytes 90 00 04 00 00 00 -> ".90.0.4" (trailing zeros dropped)
        hvcc[6..12].copy_from_slice(&[0x90, 0x00, 0x04, 0x00, 0x00, 0x00]);
        assert_eq!(
            hevc_codec_string("hvc1", &hvcc).unwrap(),
            "hvc1.A1.6.H93.90.0.4"
        );
        // All-zero constraints leave no trailing element.
        hvcc[6..12].fill(0);
        assert_eq!(hevc_codec_string("hvc1", &hvcc).unwrap(), "hvc1.A1.6.H93");
    }

    #[test]
    fn hevc_truncated_prefixes() {
        let hvcc = hvcc_main_l31();
        assert_prefixes_err(&hvcc, &[], |b| hevc_codec_string("hev1", b));
        assert_prefixes_err(&hvcc, &[], hevc_nal_length_size);
        assert_prefixes_err(&HVCC_MAIN10_L93, &[], |b| hevc_codec_string("hev1", b));
    }

    // --- esds / AudioSpecificConfig -----------------------------------------

    /// AAC-LC 44.1 kHz stereo.
    /// DSI 0x12 0x10 = 00010 (AOT 2) 0100 (index 4 = 44100) 0010 (stereo)
    /// 0 0 0 (GASpecificConfig) 000 (pad).
    /// Sizes: DSI 2 -> 4 with header; DecoderConfig 13 + 4 = 17 (0x11);
    /// ES_Descriptor 3 + (2 + 17) + SLConfig 3 = 25 (0x19).
    const ESDS_AAC_LC: [u8; 31] = [
        0x00, 0x00, 0x00, 0x00, // version 0, flags 0
        0x03, 0x19, 0x00, 0x01, 0x00, // ES_Descriptor, ES_ID 1, no flags
        0x04, 0x11, 0x40, 0x15, // DecoderConfig, OTI 0x40, audio stream (5 << 2 | 1)
        0x00, 0x00, 0x00, // bufferSizeDB
        0x00, 0x01, 0xf4, 0x00, // maxBitrate 128000
        0x00, 0x01, 0xf4, 0x00, // avgBitrate 128000
        0x05, 0x02, 0x12, 0x10, // DecoderSpecificInfo
        0x06, 0x01, 0x02, // SLConfigDescriptor, predefined 2
    ];

    /// HE-AAC with explicit hierarchical signalling, 4-byte sizes as
    /// written by ffmpeg. DSI 2B 11 88 00 =
    /// 00101 (AOT 5) 0110 (24000 core) 0010 (stereo) 0011 (48000 SBR)
    /// 00010 (AOT 2) 000 (GASpecificConfig) + 7 pad bits.
    /// Sizes: DSI 5 + 4 = 9; DecoderConfig body 13 + 9 = 22 (0x16), 27 total;
    /// SLConfig 5 + 1 = 6; ES body 3 + 27 + 6 = 36 (0x24).
    const ESDS_HE_AAC: [u8; 45] = [
        0x00, 0x00, 0x00, 0x00, //
        0x03, 0x80, 0x80, 0x80, 0x24, 0x00, 0x02, 0x00, //
        0x04, 0x80, 0x80, 0x80, 0x16, 0x40, 0x15, //
        0x00, 0x18, 0x00, // bufferSizeDB 6144
        0x00, 0x01, 0x00, 0x00, // maxBitrate 65536
        0x00, 0x00, 0xc3, 0x50, // avgBitrate 50000
        0x05, 0x80, 0x80, 0x80, 0x04, 0x2b, 0x11, 0x88, 0x00, //
        0x06, 0x80, 0x80, 0x80, 0x01, 0x02,
    ];

    /// HE-AACv2 with backward-compatible signalling. DSI 13 08 56 E5 9D 48 80 =
    /// 00010 (AOT 2) 0110 (24000) 0001 (mono) 000 (GA)            = 0x13 0x08
    /// 01010110111 (sync 0x2b7) 00101 (ext AOT 5)                 = 0x56 0xE5
    /// 1 (sbrPresent) 0011 (48000) 10101001000 (sync 0x548)       = 0x9D 0x48
    /// 1 (psPresent) 0000000 (pad)                                = 0x80
    const DSI_HE_AAC_V2: [u8; 7] = [0x13, 0x08, 0x56, 0xe5, 0x9d, 0x48, 0x80];

    /// The DSI above in an esds. DecoderConfig body 13 + 9 = 22 (0x16);
    /// ES body 3 + 24 + 3 = 30 (0x1e).
    const ESDS_HE_AAC_V2: [u8; 36] = [
        0x00, 0x00, 0x00, 0x00, //
        0x03, 0x1e, 0x00, 0x01, 0x00, //
        0x04, 0x16, 0x40, 0x15, 0x00, 0x03, 0x00, // bufferSizeDB 768
        0x00, 0x00, 0xbb, 0x80, 0x00, 0x00, 0xbb, 0x80, // 48000 / 48000
        0x05, 0x07, 0x13, 0x08, 0x56, 0xe5, 0x9d, 0x48, 0x80, //
        0x06, 0x01, 0x02,
    ];

    /// MP3 with every optional ES_Descriptor field: flags 0xe0 =
    /// streamDependence, URL, OCRstream; dependsOn 2, URL "abc", OCR ES 3.
    /// ES body 2 + 1 + 2 + 4 + 2 + 15 + 3 = 29 (0x1d); DecoderConfig 13 (0x0d), no DSI.
    const ESDS_MP3_FLAGS: [u8; 35] = [
        0x00, 0x00, 0x00, 0x00, //
        0x03, 0x1d, 0x00, 0x01, 0xe0, 0x00, 0x02, 0x03, b'a', b'b', b'c', 0x00, 0x03, //
        0x04, 0x0d, 0x6b, 0x15, 0x00, 0x00, 0x00, 0x00, 0x01, 0xf4, 0x00, 0x00, 0x01, 0xf4,
        0x00, //
        0x06, 0x01, 0x02,
    ];

    #[test]
    fn aac_lc() {
        let info = parse_esds(&ESDS_AAC_LC).unwrap();
        assert_eq!(
            info,
            EsdsInfo {
                object_type_indication: 0x40,
                max_bitrate: 128_000,
                avg_bitrate: 128_000,
                decoder_specific_info: vec![0x12, 0x10],
            }
        );
        assert_eq!(mp4a_codec_string(&ESDS_AAC_LC).unwrap(), "mp4a.40.2");
        let asc = parse_audio_specific_config(&info.decoder_specific_info).unwrap();
        assert_eq!(
            asc,
            AudioSpecificConfig {
                object_type: 2,
                sbr: false,
                ps: false,
                sampling_frequency: 44100,
                extension_sampling_frequency: None,
                channel_configuration: 2,
            }
        );
        assert_eq!(asc.channels(), Some(2));
        assert_eq!(asc.output_sample_rate(), 44100);
        assert_eq!(asc.codec_object_type(), 2);
    }

    #[test]
    fn he_aac_hierarchical() {
        let info = parse_esds(&ESDS_HE_AAC).unwrap();
        assert_eq!(info.max_bitrate, 65536);
        assert_eq!(info.avg_bitrate, 50000);
        assert_eq!(info.decoder_specific_info, [0x2b, 0x11, 0x88, 0x00]);
        assert_eq!(mp4a_codec_string(&ESDS_HE_AAC).unwrap(), "mp4a.40.5");
        let asc = parse_audio_specific_config(&info.decoder_specific_info).unwrap();
        assert_eq!(asc.object_type, 2);
        assert!(asc.sbr && !asc.ps);
        assert_eq!(asc.sampling_frequency, 24000);
        assert_eq!(asc.output_sample_rate(), 48000);
        assert_eq!(asc.channels(), Some(2));
    }

    #[test]
    fn he_aac_v2_sync_extension() {
        assert_eq!(mp4a_codec_string(&ESDS_HE_AAC_V2).unwrap(), "mp4a.40.29");
        let asc = parse_audio_specific_config(&DSI_HE_AAC_V2).unwrap();
        assert_eq!(
            asc,
            AudioSpecificConfig {
                object_type: 2,
                sbr: true,
                ps: true,
                sampling_frequency: 24000,
                extension_sampling_frequency: Some(48000),
                channel_configuration: 1,
            }
        );
        assert_eq!(asc.channels(), Some(2)); // PS on a mono core
        assert_eq!(asc.output_sample_rate(), 48000);
    }

    #[test]
    fn mp3_with_es_descriptor_flags() {
        let info = parse_esds(&ESDS_MP3_FLAGS).unwrap();
        assert_eq!(info.object_type_indication, 0x6b);
        assert_eq!(info.max_bitrate, 128_000);
        assert!(info.decoder_specific_info.is_empty());
        assert_eq!(mp4a_codec_string(&ESDS_MP3_FLAGS).unwrap(), "mp4a.6B");
    }

    #[test]
    fn mp4a_needs_dsi_for_mpeg4_audio() {
        // The MP3 record with OTI changed to 0x40 has no DSI.
        let mut esds = ESDS_MP3_FLAGS;
        esds[19] = 0x40;
        assert!(matches!(
            mp4a_codec_string(&esds),
            Err(CodecError::Missing { .. })
        ));
        // MPEG-2 AAC LC (0x67) with the LC DSI appends the AOT.
        let mut esds = ESDS_AAC_LC;
        esds[11] = 0x67;
        assert_eq!(mp4a_codec_string(&esds).unwrap(), "mp4a.67.2");
    }

    #[test]
    fn esds_truncated_prefixes() {
        for esds in [
            &ESDS_AAC_LC[..],
            &ESDS_HE_AAC,
            &ESDS_HE_AAC_V2,
            &ESDS_MP3_FLAGS,
        ] {
            assert_prefixes_err(esds, &[], parse_esds);
            assert_prefixes_err(esds, &[], mp4a_codec_string);
        }
    }

    #[test]
    fn esds_rejects_bad_sizes() {
        // A fifth size byte is not allowed.
        let esds = [0, 0, 0, 0, 0x03, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00];
        assert!(matches!(parse_esds(&esds), Err(CodecError::Invalid { .. })));
        // ES_Descriptor claiming more than is present.
        let mut esds = ESDS_AAC_LC;
        esds[5] = 0x7f;
        assert!(matches!(
            parse_esds(&esds),
            Err(CodecError::Truncated {
                record: "ES_Descriptor",
                ..
            })
        ));
        let mut esds = ESDS_AAC_LC;
        esds[0] = 1;
        assert!(matches!(
            parse_esds(&esds),
            Err(CodecError::BadVersion { .. })
        ));
    }

    #[test]
    fn asc_prefixes() {
        // A cut-off AudioSpecificConfig can still be a valid, shorter one:
        // the SBR/PS extension is optional trailing data. Check exactly how
        // each prefix of the HE-AACv2 DSI reads.
        let p = |n: usize| parse_audio_specific_config(&DSI_HE_AAC_V2[..n]);
        assert!(p(0).is_err());
        assert!(p(1).is_err());
        // 2-3 bytes: plain AAC-LC mono (fewer than 16 bits left after GA).
        assert_eq!(p(2).unwrap().codec_object_type(), 2);
        assert_eq!(p(3).unwrap().codec_object_type(), 2);
        // 4 bytes: sync word and ext AOT 5 found, sbrPresentFlag missing.
        assert!(p(4).is_err());
        // 5-6 bytes: SBR read, fewer than 12 bits left for the PS sync word.
        assert_eq!(p(5).unwrap().codec_object_type(), 5);
        assert_eq!(p(6).unwrap().codec_object_type(), 5);
        assert_eq!(p(7).unwrap().codec_object_type(), 29);
        // Hierarchical and plain configs have no optional tail.
        assert_prefixes_err(&[0x2b, 0x11, 0x88, 0x00], &[], parse_audio_specific_config);
        assert_prefixes_err(&[0x12, 0x10], &[], parse_audio_specific_config);
    }

    #[test]
    fn asc_escapes_and_tables() {
        // 11111 (escape) 000010 (AOT 32 + 2 = 34) 0011 (48000) 0001 (mono) + pad:
        // 1111 1000 | 0100 0110 | 0010 0000 -> AOT 34 has no GA config, stop.
        let asc = parse_audio_specific_config(&[0xf8, 0x46, 0x20]).unwrap();
        assert_eq!(asc.object_type, 34);
        assert_eq!(asc.sampling_frequency, 48000);
        // 00010 (AOT 2) 1111 (explicit) 0x00ac44 (44100, 24 bits) 0010 (stereo) 000:
        // 00010111 1|0000000 0|1010110 0|0100010 0|0010000 -> 17 80 56 22 10
        let asc = parse_audio_specific_config(&[0x17, 0x80, 0x56, 0x22, 0x10]).unwrap();
        assert_eq!(asc.sampling_frequency, 44100);
        assert_eq!(asc.channel_configuration, 2);
        // Reserved sampling index 13: 00010 1101 -> 0001 0110 | 1...
        assert!(matches!(
            parse_audio_specific_config(&[0x16, 0x90]),
            Err(CodecError::Invalid { value: 13, .. })
        ));
        let mut asc = asc;
        for (cfg, ch) in [
            (0, None),
            (1, Some(1)),
            (6, Some(6)),
            (7, Some(8)),
            (8, None),
            (11, Some(7)),
            (12, Some(8)),
            (13, Some(24)),
            (14, Some(8)),
        ] {
            asc.channel_configuration = cfg;
            assert_eq!(asc.channels(), ch, "channelConfiguration {cfg}");
        }
    }

    #[test]
    fn asc_pce_stops() {
        // 00010 (AOT 2) 0011 (48000) 0000 (PCE) 000 (GA) then a PCE that is
        // not parsed: 0001 0001 | 1000 0000 | ...
        let asc = parse_audio_specific_config(&[0x11, 0x80, 0xff, 0xff]).unwrap();
        assert_eq!(asc.channel_configuration, 0);
        assert_eq!(asc.channels(), None);
        assert_eq!(asc.codec_object_type(), 2);
    }

    // --- AC-3 / E-AC-3 -------------------------------------------------

    /// 5.1 48 kHz 384 kbit/s: fscod 00, bsid 01000 (8), bsmod 000, acmod 111,
    /// lfeon 1, bit_rate_code 01110 (14 -> 384), reserved 00000:
    /// 0001 0000 | 0011 1101 | 1100 0000.
    const DAC3_51: [u8; 3] = [0x10, 0x3d, 0xc0];

    /// data_rate 192 (0000011000000) num_ind_sub 000 -> 0x06 0x00;
    /// fscod 01, bsid 10000, reserved 0 -> 0x60; asvc 0, bsmod 000, acmod 111,
    /// lfeon 1 -> 0x0f; reserved 000, num_dep_sub 0000, reserved 0 -> 0x00.
    const DEC3_51: [u8; 5] = [0x06, 0x00, 0x60, 0x0f, 0x00];

    /// 7.1 with Atmos JOC: data_rate 768 (0001100000000) num_ind_sub 000 -> 0x18 0x00;
    /// fscod 00 bsid 10000 reserved 0 -> 0x20; 0 000 111 1 -> 0x0f;
    /// reserved 000, num_dep_sub 0001, chan_loc 0 1000 0000 (Lrs/Rrs) -> 0x02 0x80;
    /// reserved 0000000 + flag_ec3_extension_type_a 1 -> 0x01; complexity 16 -> 0x10.
    const DEC3_71_JOC: [u8; 8] = [0x18, 0x00, 0x20, 0x0f, 0x02, 0x80, 0x01, 0x10];

    #[test]
    fn ac3_51() {
        let info = parse_dac3(&DAC3_51).unwrap();
        assert_eq!(
            info,
            Ac3Info {
                fscod: 0,
                bsid: 8,
                bsmod: 0,
                acmod: 7,
                lfe: true,
                bit_rate_code: 14,
            }
        );
        assert_eq!(info.channels(), 6);
        assert_eq!(info.sample_rate(), Some(48000));
        assert_eq!(info.bitrate_kbps(), Some(384));
        assert_eq!(info.dolby_channel_configuration(), "F801");
        let stereo = Ac3Info {
            acmod: 2,
            lfe: false,
            ..info
        };
        assert_eq!(stereo.dolby_channel_configuration(), "A000");
        assert_eq!(stereo.channels(), 2);
        assert_prefixes_err(&DAC3_51, &[], parse_dac3);
    }

    #[test]
    fn ec3_51() {
        let info = parse_dec3(&DEC3_51).unwrap();
        assert_eq!(
            info,
            Ec3Info {
                data_rate_kbps: 192,
                substreams: vec![Ec3Substream {
                    fscod: 1,
                    bsid: 16,
                    asvc: false,
                    bsmod: 0,
                    acmod: 7,
                    lfe: true,
                    num_dep_sub: 0,
                    chan_loc: 0,
                }],
                joc_complexity: None,
            }
        );
        assert_eq!(info.channels(), 6);
        assert_eq!(info.sample_rate(), Some(44100));
        assert_eq!(info.dolby_channel_configuration(), "F801");
        assert_prefixes_err(&DEC3_51, &[], parse_dec3);
    }

    #[test]
    fn ec3_71_joc() {
        let info = parse_dec3(&DEC3_71_JOC).unwrap();
        assert_eq!(info.data_rate_kbps, 768);
        assert_eq!(info.substreams.len(), 1);
        assert_eq!(info.substreams[0].num_dep_sub, 1);
        assert_eq!(info.substreams[0].chan_loc, 0x080);
        assert_eq!(info.joc_complexity, Some(16));
        assert_eq!(info.channels(), 8);
        assert_eq!(info.sample_rate(), Some(48000));
        // F801 | Lrs/Rrs (bit 9) = FA01
        assert_eq!(info.dolby_channel_configuration(), "FA01");
        // 6 bytes is a complete pre-Atmos dec3; 7 sets the flag without the index.
        assert_prefixes_err(&DEC3_71_JOC, &[6], parse_dec3);
    }

    #[test]
    fn ec3_chan_loc_all_bits() {
        let mut info = parse_dec3(&DEC3_71_JOC).unwrap();
        info.substreams[0].chan_loc = 0x1ff;
        // 5.1 + 2+2+1+1+2+2+2+1+1 = 6 + 14
        assert_eq!(info.channels(), 20);
        // F801 | 0x7f8 (bits 10..3) | 0x002 (LFE2) = FFFB; Lts/Rts stays clear.
        assert_eq!(info.dolby_channel_configuration(), "FFFB");
    }

    // --- AV1 -------------------------------------------------------------

    #[test]
    fn av1_strings() {
        // 0x81 = marker 1, version 1; 0x04 = profile 000, level 00100 (4);
        // 0x0c = tier 0, hbd 0, 12bit 0, mono 0, ss_x 1, ss_y 1, csp 00.
        let av1c = [0x81, 0x04, 0x0c, 0x00];
        assert_eq!(av1_codec_string(&av1c, None).unwrap(), "av01.0.04M.08");
        assert_eq!(
            av1_codec_string(&av1c, Some((1, 1, 1, false))).unwrap(),
            "av01.0.04M.08.0.110.01.01.01.0"
        );
        // 0x0d = level 13 (5.1); 0x4c = hbd 1, ss 1 1 -> 10-bit.
        let av1c = [0x81, 0x0d, 0x4c, 0x00, 0x0a, 0x0b, 0x00, 0x00];
        assert_eq!(av1_codec_string(&av1c, None).unwrap(), "av01.0.13M.10");
        assert_eq!(
            av1_codec_string(&av1c, Some((9, 16, 9, true))).unwrap(),
            "av01.0.13M.10.0.110.09.16.09.1"
        );
        // 0x48 = profile 010, level 01000; 0xe8 = tier 1, hbd 1, 12bit 1,
        // mono 0, ss_x 1, ss_y 0, csp 00.
        let av1c = [0x81, 0x48, 0xe8, 0x00];
        assert_eq!(
            av1_codec_string(&av1c, Some((1, 13, 0, true))).unwrap(),
            "av01.2.08H.12.0.100.01.13.00.1"
        );
    }

    #[test]
    fn av1_rejects_bad_records() {
        assert_eq!(
            av1_codec_string(&[0x82, 0x04, 0x0c, 0x00], None),
            Err(CodecError::BadVersion {
                record: "av1C",
                version: 2
            })
        );
        assert!(matches!(
            av1_codec_string(&[0x01, 0x04, 0x0c, 0x00], None),
            Err(CodecError::Invalid {
                field: "marker",
                ..
            })
        ));
        assert!(av1_codec_string(&[0x81, 0x04, 0x0c, 0x00], Some((100, 1, 1, false))).is_err());
        assert_prefixes_err(&[0x81, 0x04, 0x0c, 0x00], &[], |b| {
            av1_codec_string(b, None)
        });
    }

    // --- robustness ------------------------------------------------------

    /// Runs every parser; the point is only that none of them panics.
    fn run_all(b: &[u8]) {
        let _ = avc_codec_string("avc1", b);
        let _ = avc_nal_length_size(b);
        let _ = hevc_codec_string("hvc1", b);
        let _ = hevc_nal_length_size(b);
        let _ = parse_esds(b);
        let _ = mp4a_codec_string(b);
        if let Ok(asc) = parse_audio_specific_config(b) {
            let _ = (asc.channels(), asc.output_sample_rate());
        }
        if let Ok(ac3) = parse_dac3(b) {
            let _ = (ac3.channels(), ac3.bitrate_kbps(), ac3.sample_rate());
            let _ = ac3.dolby_channel_configuration();
        }
        if let Ok(ec3) = parse_dec3(b) {
            let _ = (ec3.channels(), ec3.sample_rate());
            let _ = ec3.dolby_channel_configuration();
        }
        let _ = av1_codec_string(b, Some((1, 1, 1, true)));
    }

    #[test]
    fn no_panics_on_mutated_and_random_input() {
        let samples: Vec<Vec<u8>> = vec![
            avcc_high_40(),
            hvcc_main_l31(),
            HVCC_MAIN10_L93.to_vec(),
            ESDS_AAC_LC.to_vec(),
            ESDS_HE_AAC.to_vec(),
            ESDS_HE_AAC_V2.to_vec(),
            ESDS_MP3_FLAGS.to_vec(),
            DSI_HE_AAC_V2.to_vec(),
            DAC3_51.to_vec(),
            DEC3_71_JOC.to_vec(),
        ];
        for sample in &samples {
            for i in 0..sample.len() {
                for v in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                    let mut m = sample.clone();
                    m[i] = v;
                    run_all(&m);
                }
            }
        }
        // Deterministic pseudo-random bytes (64-bit LCG).
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for len in 0..64 {
            for _ in 0..50 {
                let buf: Vec<u8> = (0..len)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        (state >> 56) as u8
                    })
                    .collect();
                run_all(&buf);
            }
        }
    }
}
