//! Movie fragment boxes: mfhd, tfhd, tfdt, trun, plus the segment-level sidx
//! and emsg.

use serde::Serialize;

use crate::mp4::error::FieldError;
use crate::mp4::fourcc::FourCC;
use crate::mp4::reader::{FieldResult, Reader};
use crate::mp4::write::{put_cstring, put_full_header, put_u16, put_u32, put_u64, WriteBox};

use super::hex;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mfhd {
    pub sequence_number: u32,
}

impl Mfhd {
    /// Offset of `sequence_number` inside the box, header included.
    pub const SEQUENCE_OFFSET: usize = 12;

    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        r.full_header()?;
        Ok(Mfhd {
            sequence_number: r.u32()?,
        })
    }
}

impl WriteBox for Mfhd {
    fn box_type(&self) -> FourCC {
        FourCC::new(b"mfhd")
    }
    fn write_payload(&self, out: &mut Vec<u8>) {
        put_full_header(out, 0, 0);
        put_u32(out, self.sequence_number);
    }
}

pub mod tfhd_flags {
    pub const BASE_DATA_OFFSET: u32 = 0x01;
    pub const SAMPLE_DESCRIPTION_INDEX: u32 = 0x02;
    pub const DEFAULT_SAMPLE_DURATION: u32 = 0x08;
    pub const DEFAULT_SAMPLE_SIZE: u32 = 0x10;
    pub const DEFAULT_SAMPLE_FLAGS: u32 = 0x20;
    pub const DURATION_IS_EMPTY: u32 = 0x01_0000;
    pub const DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tfhd {
    pub flags: u32,
    pub track_id: u32,
    pub base_data_offset: Option<u64>,
    pub sample_description_index: Option<u32>,
    pub default_sample_duration: Option<u32>,
    pub default_sample_size: Option<u32>,
    pub default_sample_flags: Option<u32>,
}

impl Tfhd {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        use tfhd_flags::*;
        let mut r = Reader::new(p);
        let (_, flags) = r.full_header()?;
        let track_id = r.u32()?;
        let base_data_offset = if flags & BASE_DATA_OFFSET != 0 {
            Some(r.u64()?)
        } else {
            None
        };
        Ok(Tfhd {
            flags,
            track_id,
            base_data_offset,
            sample_description_index: r.u32_if(flags, SAMPLE_DESCRIPTION_INDEX)?,
            default_sample_duration: r.u32_if(flags, DEFAULT_SAMPLE_DURATION)?,
            default_sample_size: r.u32_if(flags, DEFAULT_SAMPLE_SIZE)?,
            default_sample_flags: r.u32_if(flags, DEFAULT_SAMPLE_FLAGS)?,
        })
    }

    pub fn default_base_is_moof(&self) -> bool {
        self.flags & tfhd_flags::DEFAULT_BASE_IS_MOOF != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tfdt {
    pub version: u8,
    pub base_media_decode_time: u64,
}

impl Tfdt {
    /// Offset of the decode time inside the box, header included.
    pub const TIME_OFFSET: usize = 12;

    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (version, _) = r.full_header()?;
        Ok(Tfdt {
            version,
            base_media_decode_time: r.u32_or_u64(version)?,
        })
    }

    /// A version 1 (64-bit) tfdt: the form live serving rewrites in place.
    pub fn v1(base_media_decode_time: u64) -> Self {
        Tfdt {
            version: 1,
            base_media_decode_time,
        }
    }
}

impl WriteBox for Tfdt {
    fn box_type(&self) -> FourCC {
        FourCC::new(b"tfdt")
    }
    fn write_payload(&self, out: &mut Vec<u8>) {
        put_full_header(out, self.version, 0);
        if self.version == 1 {
            put_u64(out, self.base_media_decode_time);
        } else {
            // A v0 writer is only asked for values that fit; saturate otherwise
            // rather than wrap to a wrong time.
            put_u32(
                out,
                u32::try_from(self.base_media_decode_time).unwrap_or(u32::MAX),
            );
        }
    }
}

pub mod trun_flags {
    pub const DATA_OFFSET: u32 = 0x001;
    pub const FIRST_SAMPLE_FLAGS: u32 = 0x004;
    pub const SAMPLE_DURATION: u32 = 0x100;
    pub const SAMPLE_SIZE: u32 = 0x200;
    pub const SAMPLE_FLAGS: u32 = 0x400;
    pub const SAMPLE_CTO: u32 = 0x800;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrunSample {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<u32>,
    /// Signed in version 1, unsigned in version 0; both fit in i64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub composition_time_offset: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trun {
    pub version: u8,
    pub flags: u32,
    pub sample_count: u32,
    pub data_offset: Option<i32>,
    pub first_sample_flags: Option<u32>,
    pub samples: Vec<TrunSample>,
}

impl Trun {
    /// Offset of `data_offset` inside the box, header included, when present.
    pub const DATA_OFFSET_OFFSET: usize = 16;

    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        use trun_flags::*;
        let mut r = Reader::new(p);
        let (version, flags) = r.full_header()?;
        let sample_count = r.u32()?;
        let data_offset = r.u32_if(flags, DATA_OFFSET)?.map(|v| v as i32);
        let first_sample_flags = r.u32_if(flags, FIRST_SAMPLE_FLAGS)?;
        let per_sample = [SAMPLE_DURATION, SAMPLE_SIZE, SAMPLE_FLAGS, SAMPLE_CTO]
            .iter()
            .filter(|&&f| flags & f != 0)
            .count()
            * 4;
        // Samples without per-sample fields are all defaults: keep only their
        // count, so a huge count in a tiny box allocates nothing.
        let n = if per_sample == 0 {
            0
        } else {
            r.check_count("trun sample", sample_count.into(), per_sample)?
        };
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            let duration = r.u32_if(flags, SAMPLE_DURATION)?;
            let size = r.u32_if(flags, SAMPLE_SIZE)?;
            let sflags = r.u32_if(flags, SAMPLE_FLAGS)?;
            let cto = r.u32_if(flags, SAMPLE_CTO)?.map(|v| {
                if version == 0 {
                    i64::from(v)
                } else {
                    i64::from(v as i32)
                }
            });
            samples.push(TrunSample {
                duration,
                size,
                flags: sflags,
                composition_time_offset: cto,
            });
        }
        Ok(Trun {
            version,
            flags,
            sample_count,
            data_offset,
            first_sample_flags,
            samples,
        })
    }

    /// Sum of sample durations, each falling back to `default_duration` when the
    /// run does not carry its own.
    pub fn duration(&self, default_duration: u32) -> u64 {
        if self.samples.is_empty() {
            return u64::from(self.sample_count) * u64::from(default_duration);
        }
        self.samples
            .iter()
            .map(|s| u64::from(s.duration.unwrap_or(default_duration)))
            .sum()
    }

    /// Sum of sample sizes, with the same fallback.
    pub fn data_size(&self, default_size: u32) -> u64 {
        if self.samples.is_empty() {
            return u64::from(self.sample_count) * u64::from(default_size);
        }
        self.samples
            .iter()
            .map(|s| u64::from(s.size.unwrap_or(default_size)))
            .sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SidxReference {
    pub reference_type: u8,
    pub referenced_size: u32,
    pub subsegment_duration: u32,
    pub starts_with_sap: bool,
    pub sap_type: u8,
    pub sap_delta_time: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sidx {
    pub version: u8,
    pub reference_id: u32,
    pub timescale: u32,
    pub earliest_presentation_time: u64,
    pub first_offset: u64,
    pub references: Vec<SidxReference>,
}

impl Sidx {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (version, _) = r.full_header()?;
        let reference_id = r.u32()?;
        let timescale = r.u32()?;
        let earliest_presentation_time = r.u32_or_u64(version)?;
        let first_offset = r.u32_or_u64(version)?;
        r.skip(2)?;
        let count = r.u16()?;
        let n = r.check_count("sidx reference", count.into(), 12)?;
        let mut references = Vec::with_capacity(n);
        for _ in 0..n {
            let a = r.u32()?;
            let subsegment_duration = r.u32()?;
            let c = r.u32()?;
            references.push(SidxReference {
                reference_type: (a >> 31) as u8,
                referenced_size: a & 0x7fff_ffff,
                subsegment_duration,
                starts_with_sap: c >> 31 != 0,
                sap_type: ((c >> 28) & 7) as u8,
                sap_delta_time: c & 0x0fff_ffff,
            });
        }
        Ok(Sidx {
            version,
            reference_id,
            timescale,
            earliest_presentation_time,
            first_offset,
            references,
        })
    }
}

impl WriteBox for Sidx {
    fn box_type(&self) -> FourCC {
        FourCC::new(b"sidx")
    }
    fn write_payload(&self, out: &mut Vec<u8>) {
        // Version 0 is chosen by the caller; fall back to 1 if a time would not fit.
        let wide = self.version == 1
            || self.earliest_presentation_time > u64::from(u32::MAX)
            || self.first_offset > u64::from(u32::MAX);
        put_full_header(out, u8::from(wide), 0);
        put_u32(out, self.reference_id);
        put_u32(out, self.timescale);
        if wide {
            put_u64(out, self.earliest_presentation_time);
            put_u64(out, self.first_offset);
        } else {
            put_u32(out, self.earliest_presentation_time as u32);
            put_u32(out, self.first_offset as u32);
        }
        put_u16(out, 0);
        put_u16(out, self.references.len().min(usize::from(u16::MAX)) as u16);
        for x in self.references.iter().take(usize::from(u16::MAX)) {
            put_u32(
                out,
                (u32::from(x.reference_type & 1) << 31) | (x.referenced_size & 0x7fff_ffff),
            );
            put_u32(out, x.subsegment_duration);
            put_u32(
                out,
                (u32::from(x.starts_with_sap) << 31)
                    | (u32::from(x.sap_type & 7) << 28)
                    | (x.sap_delta_time & 0x0fff_ffff),
            );
        }
    }
}

/// `emsg`, version 0 (delta to the segment's earliest time) or 1 (absolute time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Emsg {
    pub version: u8,
    pub scheme_id_uri: String,
    pub value: String,
    pub timescale: u32,
    /// `presentation_time` in version 1, `presentation_time_delta` in version 0.
    pub presentation_time: u64,
    pub event_duration: u32,
    pub id: u32,
    #[serde(serialize_with = "hex::serialize")]
    pub message_data: Vec<u8>,
}

impl Emsg {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (version, _) = r.full_header()?;
        match version {
            0 => {
                let scheme_id_uri = r.cstring()?;
                let value = r.cstring()?;
                let timescale = r.u32()?;
                let presentation_time = r.u32()?.into();
                let event_duration = r.u32()?;
                let id = r.u32()?;
                Ok(Emsg {
                    version,
                    scheme_id_uri,
                    value,
                    timescale,
                    presentation_time,
                    event_duration,
                    id,
                    message_data: r.rest().to_vec(),
                })
            }
            1 => {
                let timescale = r.u32()?;
                let presentation_time = r.u64()?;
                let event_duration = r.u32()?;
                let id = r.u32()?;
                let scheme_id_uri = r.cstring()?;
                let value = r.cstring()?;
                Ok(Emsg {
                    version,
                    scheme_id_uri,
                    value,
                    timescale,
                    presentation_time,
                    event_duration,
                    id,
                    message_data: r.rest().to_vec(),
                })
            }
            v => Err(FieldError::invalid(
                0,
                format!("emsg version {v} is not 0 or 1"),
            )),
        }
    }
}

impl WriteBox for Emsg {
    fn box_type(&self) -> FourCC {
        FourCC::new(b"emsg")
    }
    fn write_payload(&self, out: &mut Vec<u8>) {
        if self.version == 0 {
            put_full_header(out, 0, 0);
            put_cstring(out, &self.scheme_id_uri);
            put_cstring(out, &self.value);
            put_u32(out, self.timescale);
            put_u32(
                out,
                u32::try_from(self.presentation_time).unwrap_or(u32::MAX),
            );
            put_u32(out, self.event_duration);
            put_u32(out, self.id);
        } else {
            put_full_header(out, 1, 0);
            put_u32(out, self.timescale);
            put_u64(out, self.presentation_time);
            put_u32(out, self.event_duration);
            put_u32(out, self.id);
            put_cstring(out, &self.scheme_id_uri);
            put_cstring(out, &self.value);
        }
        out.extend_from_slice(&self.message_data);
    }
}
