//! Sample entries (`stsd` children) and the codec configuration boxes inside them.

use serde::Serialize;

use crate::mp4::error::FieldError;
use crate::mp4::fourcc::FourCC;
use crate::mp4::reader::{FieldResult, Reader};

use super::hex;

/// The fields of every visual sample entry (avc1, avc3, hev1, hvc1, av01, encv …);
/// codec configuration follows as child boxes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisualSampleEntry {
    pub data_reference_index: u16,
    pub width: u16,
    pub height: u16,
    pub horizresolution: f64,
    pub vertresolution: f64,
    pub frame_count: u16,
    pub compressorname: String,
    pub depth: u16,
}

impl VisualSampleEntry {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        r.skip(6)?;
        let data_reference_index = r.u16()?;
        r.skip(16)?;
        let width = r.u16()?;
        let height = r.u16()?;
        let horizresolution = f64::from(r.u32()?) / 65536.0;
        let vertresolution = f64::from(r.u32()?) / 65536.0;
        r.skip(4)?;
        let frame_count = r.u16()?;
        let name = r.bytes(32)?;
        let len = usize::from(name[0]).min(31);
        let compressorname = String::from_utf8_lossy(&name[1..1 + len]).into_owned();
        let depth = r.u16()?;
        r.skip(2)?;
        Ok(VisualSampleEntry {
            data_reference_index,
            width,
            height,
            horizresolution,
            vertresolution,
            frame_count,
            compressorname,
            depth,
        })
    }
}

/// The fields of every audio sample entry (mp4a, ac-3, ec-3, enca …).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AudioSampleEntry {
    pub data_reference_index: u16,
    /// 0 for ISO entries; 1 or 2 for QuickTime sound descriptions.
    pub version: u16,
    pub channel_count: u16,
    pub sample_size: u16,
    /// Integer part of the 16.16 rate; 0 where the rate does not fit 16 bits.
    pub sample_rate: u32,
}

impl AudioSampleEntry {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        r.skip(6)?;
        let data_reference_index = r.u16()?;
        let version = r.u16()?;
        r.skip(6)?;
        let channel_count = r.u16()?;
        let sample_size = r.u16()?;
        r.skip(4)?;
        let sample_rate = r.u32()? >> 16;
        Ok(AudioSampleEntry {
            data_reference_index,
            version,
            channel_count,
            sample_size,
            sample_rate,
        })
    }
}

/// `stpp` (and `metx`): XML subtitle sample entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct XmlSubtitleEntry {
    pub data_reference_index: u16,
    pub namespace: String,
    pub schema_location: String,
    pub auxiliary_mime_types: String,
}

impl XmlSubtitleEntry {
    /// `children_start` is where child boxes begin, as found by the tree walker.
    pub fn parse(p: &[u8], children_start: usize) -> FieldResult<Self> {
        let mut r = Reader::new(p.get(..children_start).unwrap_or(p));
        r.skip(6)?;
        let data_reference_index = r.u16()?;
        Ok(XmlSubtitleEntry {
            data_reference_index,
            namespace: r.cstring()?,
            schema_location: r.cstring()?,
            auxiliary_mime_types: r.cstring()?,
        })
    }
}

/// Entries that hold only the data reference index before their children (`wvtt`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlainSampleEntry {
    pub data_reference_index: u16,
}

impl PlainSampleEntry {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        r.skip(6)?;
        Ok(PlainSampleEntry {
            data_reference_index: r.u16()?,
        })
    }
}

/// `tx3g`: 3GPP timed text sample entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tx3gEntry {
    pub data_reference_index: u16,
    pub display_flags: u32,
    pub horizontal_justification: i8,
    pub vertical_justification: i8,
    #[serde(serialize_with = "hex::serialize")]
    pub background_color_rgba: Vec<u8>,
    pub box_record: [i16; 4],
    pub font_id: u16,
    pub font_size: u8,
    #[serde(serialize_with = "hex::serialize")]
    pub text_color_rgba: Vec<u8>,
}

impl Tx3gEntry {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        r.skip(6)?;
        let data_reference_index = r.u16()?;
        let display_flags = r.u32()?;
        let horizontal_justification = r.u8()? as i8;
        let vertical_justification = r.u8()? as i8;
        let background_color_rgba = r.bytes(4)?.to_vec();
        let box_record = [r.i16()?, r.i16()?, r.i16()?, r.i16()?];
        r.skip(4)?; // startChar, endChar
        let font_id = r.u16()?;
        r.skip(1)?; // face style flags
        let font_size = r.u8()?;
        let text_color_rgba = r.bytes(4)?.to_vec();
        Ok(Tx3gEntry {
            data_reference_index,
            display_flags,
            horizontal_justification,
            vertical_justification,
            background_color_rgba,
            box_record,
            font_id,
            font_size,
            text_color_rgba,
        })
    }
}

/// `ftab`: the fonts a `tx3g` entry's text refers to by id (3GPP TS 26.245 5.16).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ftab {
    pub fonts: Vec<FontRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FontRecord {
    pub font_id: u16,
    pub name: String,
}

impl Ftab {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let count = r.u16()?;
        // Each record holds at least its id and name length.
        let n = r.check_count("font", count.into(), 3)?;
        let mut fonts = Vec::with_capacity(n);
        for _ in 0..n {
            let font_id = r.u16()?;
            let len = r.u8()?;
            let name = String::from_utf8_lossy(r.bytes(len.into())?).into_owned();
            fonts.push(FontRecord { font_id, name });
        }
        Ok(Ftab { fonts })
    }
}

/// `avcC`: AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AvcC {
    pub configuration_version: u8,
    pub profile_indication: u8,
    pub profile_compatibility: u8,
    pub level_indication: u8,
    pub nal_length_size: u8,
    #[serde(serialize_with = "hex::serialize_list")]
    pub sps: Vec<Vec<u8>>,
    #[serde(serialize_with = "hex::serialize_list")]
    pub pps: Vec<Vec<u8>>,
    /// High-profile extension (chroma format, bit depths, SPS extensions), kept raw.
    #[serde(serialize_with = "hex::serialize")]
    pub extension: Vec<u8>,
}

impl AvcC {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let configuration_version = r.u8()?;
        let profile_indication = r.u8()?;
        let profile_compatibility = r.u8()?;
        let level_indication = r.u8()?;
        let nal_length_size = (r.u8()? & 3) + 1;
        let n_sps = r.u8()? & 0x1f;
        let sps = nal_list(&mut r, n_sps.into())?;
        let n_pps = r.u8()?;
        let pps = nal_list(&mut r, n_pps.into())?;
        Ok(AvcC {
            configuration_version,
            profile_indication,
            profile_compatibility,
            level_indication,
            nal_length_size,
            sps,
            pps,
            extension: r.rest().to_vec(),
        })
    }
}

fn nal_list(r: &mut Reader, count: usize) -> FieldResult<Vec<Vec<u8>>> {
    let n = r.check_count("parameter set", count as u64, 2)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let len = r.u16()?;
        out.push(r.bytes(len.into())?.to_vec());
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HvcCArray {
    pub array_completeness: bool,
    pub nal_unit_type: u8,
    #[serde(serialize_with = "hex::serialize_list")]
    pub nal_units: Vec<Vec<u8>>,
}

/// `hvcC`: HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HvcC {
    pub configuration_version: u8,
    pub general_profile_space: u8,
    pub general_tier_flag: bool,
    pub general_profile_idc: u8,
    pub general_profile_compatibility_flags: u32,
    #[serde(serialize_with = "hex::serialize")]
    pub general_constraint_indicator_flags: Vec<u8>,
    pub general_level_idc: u8,
    pub min_spatial_segmentation_idc: u16,
    pub parallelism_type: u8,
    pub chroma_format_idc: u8,
    pub bit_depth_luma: u8,
    pub bit_depth_chroma: u8,
    pub avg_frame_rate: u16,
    pub constant_frame_rate: u8,
    pub num_temporal_layers: u8,
    pub temporal_id_nested: bool,
    pub nal_length_size: u8,
    pub arrays: Vec<HvcCArray>,
}

impl HvcC {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let configuration_version = r.u8()?;
        let b = r.u8()?;
        let general_profile_compatibility_flags = r.u32()?;
        let general_constraint_indicator_flags = r.bytes(6)?.to_vec();
        let general_level_idc = r.u8()?;
        let min_spatial_segmentation_idc = r.u16()? & 0x0fff;
        let parallelism_type = r.u8()? & 3;
        let chroma_format_idc = r.u8()? & 3;
        let bit_depth_luma = (r.u8()? & 7) + 8;
        let bit_depth_chroma = (r.u8()? & 7) + 8;
        let avg_frame_rate = r.u16()?;
        let t = r.u8()?;
        let n_arrays = r.u8()?;
        let n = r.check_count("hvcC array", n_arrays.into(), 3)?;
        let mut arrays = Vec::with_capacity(n);
        for _ in 0..n {
            let a = r.u8()?;
            let count = r.u16()?;
            arrays.push(HvcCArray {
                array_completeness: a & 0x80 != 0,
                nal_unit_type: a & 0x3f,
                nal_units: nal_list(&mut r, count.into())?,
            });
        }
        Ok(HvcC {
            configuration_version,
            general_profile_space: b >> 6,
            general_tier_flag: b & 0x20 != 0,
            general_profile_idc: b & 0x1f,
            general_profile_compatibility_flags,
            general_constraint_indicator_flags,
            general_level_idc,
            min_spatial_segmentation_idc,
            parallelism_type,
            chroma_format_idc,
            bit_depth_luma,
            bit_depth_chroma,
            avg_frame_rate,
            constant_frame_rate: t >> 6,
            num_temporal_layers: (t >> 3) & 7,
            temporal_id_nested: t & 4 != 0,
            nal_length_size: (t & 3) + 1,
            arrays,
        })
    }
}

/// `av1C`: AV1CodecConfigurationRecord.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Av1C {
    pub version: u8,
    pub seq_profile: u8,
    pub seq_level_idx_0: u8,
    pub seq_tier_0: u8,
    pub high_bitdepth: bool,
    pub twelve_bit: bool,
    pub monochrome: bool,
    pub chroma_subsampling_x: bool,
    pub chroma_subsampling_y: bool,
    pub chroma_sample_position: u8,
    pub initial_presentation_delay_minus_one: Option<u8>,
    #[serde(serialize_with = "hex::serialize")]
    pub config_obus: Vec<u8>,
}

impl Av1C {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let b0 = r.u8()?;
        if b0 & 0x80 == 0 {
            return Err(FieldError::invalid(0, "av1C marker bit is not set"));
        }
        let b1 = r.u8()?;
        let b2 = r.u8()?;
        let b3 = r.u8()?;
        Ok(Av1C {
            version: b0 & 0x7f,
            seq_profile: b1 >> 5,
            seq_level_idx_0: b1 & 0x1f,
            seq_tier_0: b2 >> 7,
            high_bitdepth: b2 & 0x40 != 0,
            twelve_bit: b2 & 0x20 != 0,
            monochrome: b2 & 0x10 != 0,
            chroma_subsampling_x: b2 & 0x08 != 0,
            chroma_subsampling_y: b2 & 0x04 != 0,
            chroma_sample_position: b2 & 3,
            initial_presentation_delay_minus_one: (b3 & 0x10 != 0).then_some(b3 & 0x0f),
            config_obus: r.rest().to_vec(),
        })
    }
}

/// `btrt`: bit rate box.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Btrt {
    pub buffer_size_db: u32,
    pub max_bitrate: u32,
    pub avg_bitrate: u32,
}

impl Btrt {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        Ok(Btrt {
            buffer_size_db: r.u32()?,
            max_bitrate: r.u32()?,
            avg_bitrate: r.u32()?,
        })
    }
}

/// `pasp`: pixel aspect ratio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pasp {
    pub h_spacing: u32,
    pub v_spacing: u32,
}

impl Pasp {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        Ok(Pasp {
            h_spacing: r.u32()?,
            v_spacing: r.u32()?,
        })
    }
}

/// `colr`: colour information; nclx fields parsed, ICC profiles kept raw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Colr {
    pub colour_type: FourCC,
    pub colour_primaries: Option<u16>,
    pub transfer_characteristics: Option<u16>,
    pub matrix_coefficients: Option<u16>,
    pub full_range: Option<bool>,
    #[serde(serialize_with = "hex::serialize")]
    pub profile: Vec<u8>,
}

impl Colr {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let colour_type = FourCC(r.array()?);
        if &colour_type.0 == b"nclx" || &colour_type.0 == b"nclc" {
            let cp = r.u16()?;
            let tc = r.u16()?;
            let mc = r.u16()?;
            let full_range = if &colour_type.0 == b"nclx" {
                Some(r.u8()? & 0x80 != 0)
            } else {
                None
            };
            return Ok(Colr {
                colour_type,
                colour_primaries: Some(cp),
                transfer_characteristics: Some(tc),
                matrix_coefficients: Some(mc),
                full_range,
                profile: Vec::new(),
            });
        }
        Ok(Colr {
            colour_type,
            colour_primaries: None,
            transfer_characteristics: None,
            matrix_coefficients: None,
            full_range: None,
            profile: r.rest().to_vec(),
        })
    }
}

/// `mime`: the MIME type of the samples (used by stpp tracks for TTML profiles).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mime {
    pub content_type: String,
}

impl Mime {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        r.full_header()?;
        Ok(Mime {
            content_type: r.cstring()?,
        })
    }
}

/// Boxes whose whole payload is one UTF-8 string: `vttC`, `vlab`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextPayload {
    pub text: String,
}

impl TextPayload {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        Ok(TextPayload {
            text: String::from_utf8_lossy(p).into_owned(),
        })
    }
}
