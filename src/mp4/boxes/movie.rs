//! Movie-level boxes: file type, movie/track/media headers, handler, edit list,
//! fragment defaults.

use serde::Serialize;

use crate::mp4::fourcc::FourCC;
use crate::mp4::reader::{FieldResult, Reader};

/// `ftyp` and `styp` share a layout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileType {
    pub major_brand: FourCC,
    pub minor_version: u32,
    pub compatible_brands: Vec<FourCC>,
}

impl FileType {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let major_brand = FourCC(r.array()?);
        let minor_version = r.u32()?;
        let mut compatible_brands = Vec::with_capacity(r.remaining() / 4);
        while r.remaining() >= 4 {
            compatible_brands.push(FourCC(r.array()?));
        }
        Ok(FileType {
            major_brand,
            minor_version,
            compatible_brands,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mvhd {
    pub version: u8,
    pub creation_time: u64,
    pub modification_time: u64,
    pub timescale: u32,
    pub duration: u64,
    pub rate: f64,
    pub volume: f64,
    pub matrix: [i32; 9],
    pub next_track_id: u32,
}

impl Mvhd {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (version, _) = r.full_header()?;
        let (creation_time, modification_time, timescale, duration) = r.media_times(version)?;
        let rate = f64::from(r.i32()?) / 65536.0;
        let volume = f64::from(r.i16()?) / 256.0;
        r.skip(10)?;
        let matrix = matrix(&mut r)?;
        r.skip(24)?;
        let next_track_id = r.u32()?;
        Ok(Mvhd {
            version,
            creation_time,
            modification_time,
            timescale,
            duration,
            rate,
            volume,
            matrix,
            next_track_id,
        })
    }
}

fn matrix(r: &mut Reader) -> FieldResult<[i32; 9]> {
    let mut m = [0i32; 9];
    for v in &mut m {
        *v = r.i32()?;
    }
    Ok(m)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mehd {
    pub version: u8,
    pub fragment_duration: u64,
}

impl Mehd {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (version, _) = r.full_header()?;
        Ok(Mehd {
            version,
            fragment_duration: r.u32_or_u64(version)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trex {
    pub track_id: u32,
    pub default_sample_description_index: u32,
    pub default_sample_duration: u32,
    pub default_sample_size: u32,
    pub default_sample_flags: u32,
}

impl Trex {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        r.full_header()?;
        Ok(Trex {
            track_id: r.u32()?,
            default_sample_description_index: r.u32()?,
            default_sample_duration: r.u32()?,
            default_sample_size: r.u32()?,
            default_sample_flags: r.u32()?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tkhd {
    pub version: u8,
    pub flags: u32,
    pub creation_time: u64,
    pub modification_time: u64,
    pub track_id: u32,
    pub duration: u64,
    pub layer: i16,
    pub alternate_group: i16,
    pub volume: f64,
    pub matrix: [i32; 9],
    /// Presentation size in pixels (the 16.16 fixed-point value).
    pub width: f64,
    pub height: f64,
}

impl Tkhd {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (version, flags) = r.full_header()?;
        let creation_time = r.u32_or_u64(version)?;
        let modification_time = r.u32_or_u64(version)?;
        let track_id = r.u32()?;
        r.skip(4)?;
        let duration = r.u32_or_u64(version)?;
        r.skip(8)?;
        let layer = r.i16()?;
        let alternate_group = r.i16()?;
        let volume = f64::from(r.i16()?) / 256.0;
        r.skip(2)?;
        let matrix = matrix(&mut r)?;
        let width = f64::from(r.u32()?) / 65536.0;
        let height = f64::from(r.u32()?) / 65536.0;
        Ok(Tkhd {
            version,
            flags,
            creation_time,
            modification_time,
            track_id,
            duration,
            layer,
            alternate_group,
            volume,
            matrix,
            width,
            height,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mdhd {
    pub version: u8,
    pub creation_time: u64,
    pub modification_time: u64,
    pub timescale: u32,
    pub duration: u64,
    /// ISO 639-2/T code, three letters packed in 15 bits; `und` when all
    /// three are 0.
    pub language: String,
}

impl Mdhd {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (version, _) = r.full_header()?;
        let (creation_time, modification_time, timescale, duration) = r.media_times(version)?;
        let lang = r.u16()?;
        // Some packagers leave the field 0 (three zero codes, "```" if
        // unpacked) for "no language": that is ISO 639-2's `und`, not a
        // broken file. Other invalid codes stay as they are, for the indexer
        // to refuse by name.
        let language = if lang & 0x7fff == 0 {
            "und".to_string()
        } else {
            [10u16, 5, 0]
                .iter()
                .map(|shift| char::from((((lang >> shift) & 0x1f) as u8).wrapping_add(0x60)))
                .collect()
        };
        Ok(Mdhd {
            version,
            creation_time,
            modification_time,
            timescale,
            duration,
            language,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hdlr {
    pub handler_type: FourCC,
    pub name: String,
}

impl Hdlr {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        r.full_header()?;
        r.skip(4)?;
        let handler_type = FourCC(r.array()?);
        r.skip(12)?;
        Ok(Hdlr {
            handler_type,
            name: r.cstring()?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElstEntry {
    pub segment_duration: u64,
    pub media_time: i64,
    pub media_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Elst {
    pub version: u8,
    pub entries: Vec<ElstEntry>,
}

impl Elst {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        let (version, _) = r.full_header()?;
        let count = r.u32()?;
        let size = if version == 1 { 20 } else { 12 };
        let n = r.check_count("elst entry", count.into(), size)?;
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            let segment_duration = r.u32_or_u64(version)?;
            let media_time = if version == 1 {
                r.i64()?
            } else {
                i64::from(r.i32()?)
            };
            let media_rate = f64::from(r.i32()?) / 65536.0;
            entries.push(ElstEntry {
                segment_duration,
                media_time,
                media_rate,
            });
        }
        Ok(Elst { version, entries })
    }
}

/// `stsd` (and `dref`): a full box with an entry count; the entries are child boxes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryCount {
    pub entry_count: u32,
}

impl EntryCount {
    pub fn parse(p: &[u8]) -> FieldResult<Self> {
        let mut r = Reader::new(p);
        r.full_header()?;
        Ok(EntryCount {
            entry_count: r.u32()?,
        })
    }
}
