//! Typed views of the boxes dashlive reads. Each type parses a payload (the
//! bytes after the box header); [`parse_typed`] picks the type for a box.

pub mod entry;
pub mod fragment;
pub mod hex;
pub mod movie;
pub mod protection;

use serde::Serialize;

use crate::codec;
use crate::mp4::error::{ErrorKind, FieldError, Result};
use crate::mp4::tree::{children_offset, BoxRef, AUDIO_ENTRIES, VISUAL_ENTRIES};

pub use entry::*;
pub use fragment::*;
pub use movie::*;
pub use protection::*;

/// A box's parsed fields. Serialises to a flat JSON object of those fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Parsed {
    FileType(FileType),
    Mvhd(Mvhd),
    Mehd(Mehd),
    Trex(Trex),
    Tkhd(Tkhd),
    Mdhd(Mdhd),
    Hdlr(Hdlr),
    Elst(Elst),
    EntryCount(EntryCount),
    Visual(VisualSampleEntry),
    Audio(AudioSampleEntry),
    XmlSubtitle(XmlSubtitleEntry),
    PlainEntry(PlainSampleEntry),
    Tx3g(Tx3gEntry),
    Ftab(Ftab),
    AvcC(AvcC),
    HvcC(HvcC),
    Av1C(Av1C),
    Esds(codec::EsdsInfo),
    Dac3(codec::Ac3Info),
    Dec3(codec::Ec3Info),
    Btrt(Btrt),
    Pasp(Pasp),
    Colr(Colr),
    Mime(Mime),
    Text(TextPayload),
    Frma(Frma),
    Schm(Schm),
    Tenc(Tenc),
    Pssh(Pssh),
    Senc(Senc),
    Piff(PiffSampleEncryption),
    Saiz(Saiz),
    Saio(Saio),
    Mfhd(Mfhd),
    Tfhd(Tfhd),
    Tfdt(Tfdt),
    Trun(Trun),
    Sidx(Sidx),
    Emsg(Emsg),
}

/// What earlier boxes tell about later ones: `senc` cannot be parsed without
/// the IV size from `tenc`.
#[derive(Debug, Default, Clone)]
pub struct ParseContext {
    pub iv_size: Option<u8>,
}

fn codec_err(e: codec::CodecError) -> FieldError {
    FieldError::invalid(0, e.to_string())
}

/// Parses the fields of `b` if its type is one dashlive knows; `Ok(None)` for
/// opaque boxes (mdat, free, unknown types), which are kept as bytes.
pub fn parse_typed(b: &BoxRef, ctx: &mut ParseContext) -> Result<Option<Parsed>> {
    if (b.data.len() as u64) < b.header.size {
        // Header-only view of a box whose body was skipped (mdat of a large file).
        return Ok(None);
    }
    let p = b.payload();
    let t = &b.typ().0;
    let parsed = match t {
        b"ftyp" | b"styp" => FileType::parse(p).map(Parsed::FileType),
        b"mvhd" => Mvhd::parse(p).map(Parsed::Mvhd),
        b"mehd" => Mehd::parse(p).map(Parsed::Mehd),
        b"trex" => Trex::parse(p).map(Parsed::Trex),
        b"tkhd" => Tkhd::parse(p).map(Parsed::Tkhd),
        b"mdhd" => Mdhd::parse(p).map(Parsed::Mdhd),
        b"hdlr" => Hdlr::parse(p).map(Parsed::Hdlr),
        b"elst" => Elst::parse(p).map(Parsed::Elst),
        b"stsd" | b"dref" => EntryCount::parse(p).map(Parsed::EntryCount),
        _ if VISUAL_ENTRIES.contains(&t) => VisualSampleEntry::parse(p).map(Parsed::Visual),
        _ if AUDIO_ENTRIES.contains(&t) => AudioSampleEntry::parse(p).map(Parsed::Audio),
        b"stpp" | b"metx" => {
            let start = children_offset(b.typ(), p).unwrap_or(p.len());
            XmlSubtitleEntry::parse(p, start).map(Parsed::XmlSubtitle)
        }
        b"wvtt" => PlainSampleEntry::parse(p).map(Parsed::PlainEntry),
        b"tx3g" => Tx3gEntry::parse(p).map(Parsed::Tx3g),
        b"ftab" => Ftab::parse(p).map(Parsed::Ftab),
        b"avcC" => AvcC::parse(p).map(Parsed::AvcC),
        b"hvcC" => HvcC::parse(p).map(Parsed::HvcC),
        b"av1C" => Av1C::parse(p).map(Parsed::Av1C),
        b"esds" => codec::parse_esds(p).map(Parsed::Esds).map_err(codec_err),
        b"dac3" => codec::parse_dac3(p).map(Parsed::Dac3).map_err(codec_err),
        b"dec3" => codec::parse_dec3(p).map(Parsed::Dec3).map_err(codec_err),
        b"btrt" => Btrt::parse(p).map(Parsed::Btrt),
        b"pasp" => Pasp::parse(p).map(Parsed::Pasp),
        b"colr" => Colr::parse(p).map(Parsed::Colr),
        b"mime" => Mime::parse(p).map(Parsed::Mime),
        b"vttC" | b"vlab" => TextPayload::parse(p).map(Parsed::Text),
        b"frma" => Frma::parse(p).map(Parsed::Frma),
        b"schm" => Schm::parse(p).map(Parsed::Schm),
        b"tenc" => Tenc::parse(p).map(|t| {
            ctx.iv_size = Some(t.default_per_sample_iv_size);
            Parsed::Tenc(t)
        }),
        b"pssh" => Pssh::parse(p).map(Parsed::Pssh),
        b"senc" => match ctx.iv_size {
            Some(n) => Senc::parse(p, n),
            None => Senc::parse_guessing(p),
        }
        .map(Parsed::Senc),
        b"uuid" if b.header.uuid == Some(PIFF_SAMPLE_ENCRYPTION) => match ctx.iv_size {
            Some(n) => PiffSampleEncryption::parse(p, n),
            None => PiffSampleEncryption::parse_guessing(p),
        }
        .map(Parsed::Piff),
        b"saiz" => Saiz::parse(p).map(Parsed::Saiz),
        b"saio" => Saio::parse(p).map(Parsed::Saio),
        b"mfhd" => Mfhd::parse(p).map(Parsed::Mfhd),
        b"tfhd" => Tfhd::parse(p).map(Parsed::Tfhd),
        b"tfdt" => Tfdt::parse(p).map(Parsed::Tfdt),
        b"trun" => Trun::parse(p).map(Parsed::Trun),
        b"sidx" => Sidx::parse(p).map(Parsed::Sidx),
        b"emsg" => Emsg::parse(p).map(Parsed::Emsg),
        _ => return Ok(None),
    };
    parsed.map(Some).map_err(|e| b.locate(e))
}

/// Parses a box that must be of a known type, for callers that need one field
/// of it; an unknown type here is a programming error reported as invalid data.
pub fn expect<T>(b: &BoxRef, parse: impl FnOnce(&[u8]) -> Result<T, FieldError>) -> Result<T> {
    if (b.data.len() as u64) < b.header.size {
        return Err(b.error(ErrorKind::Truncated {
            need: b.header.size,
            have: b.data.len() as u64,
        }));
    }
    parse(b.payload()).map_err(|e| b.locate(e))
}

#[cfg(test)]
mod tests;
