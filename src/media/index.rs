//! Indexes one fragmented MP4 file with exactly one track into a
//! [`Representation`]: codecs, timing, segments and protection. Only box
//! headers and metadata are read; media data is skipped with seeks.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use crate::codec;
use crate::media::representation::{ContentType, Encryption, FrameRate, Representation, Segment};
use crate::mp4::boxes::{
    expect, hex, AudioSampleEntry, Colr, Elst, Frma, Hdlr, Mdhd, Mfhd, Pasp, Pssh, Schm, Sidx,
    Tenc, Tfdt, Tfhd, Tkhd, Trex, Trun, VisualSampleEntry,
};
use crate::mp4::scan::{Scanner, TopBox};
use crate::mp4::{BoxRef, ErrorKind, Mp4Error};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: {source}")]
    Mp4 { file: String, source: Mp4Error },
    #[error("{file}: no movie fragments (moof): not a fragmented MP4")]
    NoFragments { file: String },
    #[error("{file}: {count} media segment(s); a representation needs at least 2")]
    TooFewSegments { file: String, count: usize },
    #[error("{file}: {count} tracks; dashlive needs one track per file")]
    MultipleTracks { file: String, count: usize },
    #[error("{file}: no track (moov has no trak)")]
    NoTrack { file: String },
    #[error("{file}: missing {what}")]
    Missing { file: String, what: &'static str },
    #[error("{file}: unknown codec: sample entry {entry}")]
    UnknownCodec { file: String, entry: String },
    #[error("{file}: codec configuration of {entry}: {source}")]
    Codec {
        file: String,
        entry: String,
        source: codec::CodecError,
    },
    #[error(
        "{file}: unsupported track handler {handler} (expected vide, soun, text, subt or sbtl)"
    )]
    UnsupportedHandler { file: String, handler: String },
    #[error("{file}: language {lang:?} is not a valid BCP-47 tag")]
    InvalidLanguage { file: String, lang: String },
    #[error("{file}: no bitrate computable (media duration or timescale is 0)")]
    NoBitrate { file: String },
}

/// Indexes a file on disk. The Representation's id is the file stem, lower-cased.
pub fn index_file(path: &Path) -> Result<Representation, IndexError> {
    let io = |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let filename = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    index_reader(f, len, &filename)
}

/// Indexes `len` bytes read through `src`; `filename` names the file in
/// errors and gives the Representation its id.
pub fn index_reader<R: Read + Seek>(
    src: R,
    len: u64,
    filename: &str,
) -> Result<Representation, IndexError> {
    let file = filename.to_string();
    let mp4 = |source| IndexError::Mp4 {
        file: file.clone(),
        source,
    };
    let mut moov: Option<TopBox> = None;
    let mut init_end: Option<u64> = None;
    // Where a `sidx` before the first moof ends the init segment.
    let mut init_limit: Option<u64> = None;
    let mut fragments = Fragments::default();
    let mut moof_psshs: Vec<Pssh> = Vec::new();
    let mut track = None;

    for b in Scanner::new(src, len) {
        let b = b.map_err(mp4)?;
        let t = b.typ();
        if t == b"moov" {
            track = Some(TrackInfo::from_moov(&b.as_box_ref(), &file)?);
            moov = Some(b);
            continue;
        }
        if moov.is_none() {
            continue;
        }
        if t == b"moof" {
            let info = track.as_ref().ok_or_else(|| IndexError::Missing {
                file: file.clone(),
                what: "moov",
            })?;
            let parsed = parse_moof(&b.as_box_ref(), info, len).map_err(mp4)?;
            moof_psshs.extend(parsed.psshs.iter().cloned());
            let start = fragments.start_for_moof(b.offset);
            if init_end.is_none() {
                init_end = Some(init_limit.map_or(start, |l| l.min(start)));
            }
            fragments.push_moof(start, parsed);
        } else if t == b"sidx" && init_end.is_none() && !fragments.pending() {
            // A sidx before the first moof (and no styp before it) is not
            // part of the init segment: one of a single subsegment is the
            // first segment's own (`styp`-less `sidx moof mdat` segments);
            // one of several is the file's index (ffmpeg's global_sidx, an
            // on-demand file), between the init segment and the first.
            init_limit.get_or_insert(b.offset);
            let references = b
                .loaded
                .then(|| Sidx::parse(b.as_box_ref().payload()).ok())
                .flatten()
                .map(|s| s.references.len());
            if references == Some(1) {
                fragments.mark_segment_start(b.offset, false);
            }
        } else if matches!(&t.0, b"styp" | b"emsg" | b"prft")
            || (t == b"sidx" && init_end.is_some())
        {
            fragments.mark_segment_start(b.offset, t == b"styp");
        }
    }
    let Some(moov) = moov else {
        return Err(IndexError::Missing {
            file,
            what: "moov (not an MP4 movie)",
        });
    };
    let track = track.ok_or_else(|| IndexError::Missing {
        file: file.clone(),
        what: "moov",
    })?;
    let Some(init_end) = init_end else {
        return Err(IndexError::NoFragments { file });
    };
    let _ = moov;
    let first_moof = fragments.first_moof;
    let media = fragments.finish(len);
    if media.len() < 2 {
        return Err(IndexError::TooFewSegments {
            file,
            count: media.len(),
        });
    }
    build_representation(file, track, init_end, media, moof_psshs, len, first_moof)
}

/// Groups moofs into segments: a segment starts at a `styp` (or `emsg`,
/// `prft`, `sidx`) run before its moof, or at the moof itself. Once a file
/// is seen to mark segments with `styp`, further moofs without one are
/// chunks of the current segment (CMAF low-latency files). In a file
/// without `styp`, a moof whose first sample is not a sync sample is a
/// chunk of the current segment too (`ffmpeg -movflags empty_moov
/// -frag_duration`, which cuts fragments without regard to key frames), so
/// every segment starts with a sync sample, as `startWithSAP` says.
#[derive(Default)]
struct Fragments {
    pending_start: Option<u64>,
    uses_styp: bool,
    segments: Vec<PendingSegment>,
    /// (sample count, duration) of the first moof, for the frame rate of
    /// files without a default sample duration.
    first_moof: Option<(u64, u64)>,
}

struct PendingSegment {
    start: u64,
    duration: u64,
    decode_time: Option<u64>,
    sequence_number: Option<u32>,
}

impl Fragments {
    fn mark_segment_start(&mut self, offset: u64, is_styp: bool) {
        if self.segments.is_empty() && is_styp {
            self.uses_styp = true;
        }
        if self.pending_start.is_none() && (!self.uses_styp || is_styp) {
            self.pending_start = Some(offset);
        }
    }

    /// Whether a box was seen that starts the next segment.
    fn pending(&self) -> bool {
        self.pending_start.is_some()
    }

    fn start_for_moof(&mut self, moof_offset: u64) -> u64 {
        self.pending_start.unwrap_or(moof_offset)
    }

    fn push_moof(&mut self, start: u64, moof: ParsedMoof) {
        if self.first_moof.is_none() {
            self.first_moof = Some((moof.samples, moof.duration));
        }
        let marked = self.pending_start.take().is_some();
        let new_segment = self.segments.is_empty()
            || if self.uses_styp {
                marked
            } else {
                moof.starts_with_sync
            };
        match self.segments.last_mut() {
            Some(seg) if !new_segment => {
                seg.duration += moof.duration;
            }
            _ => self.segments.push(PendingSegment {
                start,
                duration: moof.duration,
                decode_time: moof.decode_time,
                sequence_number: Some(moof.sequence_number),
            }),
        }
    }

    fn finish(self, file_len: u64) -> Vec<(Segment, Option<u32>)> {
        let mut out = Vec::with_capacity(self.segments.len());
        let mut running = None;
        for (i, s) in self.segments.iter().enumerate() {
            let end = self
                .segments
                .get(i + 1)
                .map(|n| n.start)
                .unwrap_or(file_len);
            // Without a tfdt, a segment starts where the previous one ended.
            let decode_time = s.decode_time.or(running).unwrap_or(0);
            running = Some(decode_time + s.duration);
            out.push((
                Segment {
                    offset: s.start,
                    size: end - s.start,
                    duration: s.duration,
                    decode_time,
                },
                s.sequence_number,
            ));
        }
        out
    }
}

struct ParsedMoof {
    sequence_number: u32,
    /// Whether the first sample of the first traf is a sync sample (no
    /// `sample_is_non_sync_sample` flag); true when the moof has no samples.
    starts_with_sync: bool,
    /// Samples of the track's first traf.
    samples: u64,
    decode_time: Option<u64>,
    duration: u64,
    psshs: Vec<Pssh>,
}

/// `sample_is_non_sync_sample` in ISO/IEC 14496-12 8.8.3.1's sample flags.
const SAMPLE_IS_NON_SYNC: u32 = 0x0001_0000;

fn parse_moof(moof: &BoxRef, track: &TrackInfo, file_len: u64) -> Result<ParsedMoof, Mp4Error> {
    let mut sequence_number = 0;
    let mut decode_time = None;
    let mut duration = 0;
    let mut samples = None;
    let mut first_flags = None;
    let mut psshs = Vec::new();
    for c in moof.children() {
        let c = c?;
        match &c.typ().0 {
            b"mfhd" => sequence_number = expect(&c, Mfhd::parse)?.sequence_number,
            b"pssh" => psshs.push(expect(&c, Pssh::parse)?),
            b"traf" => {
                let mut default_duration = track.default_sample_duration;
                let mut default_size = track.default_sample_size;
                let mut default_flags = track.default_sample_flags;
                let mut base = moof.offset;
                let mut traf_time = None;
                let mut traf_duration = 0;
                let mut traf_samples = 0u64;
                for t in c.children() {
                    let t = t?;
                    match &t.typ().0 {
                        b"tfhd" => {
                            let tfhd = expect(&t, Tfhd::parse)?;
                            if let Some(d) = tfhd.default_sample_duration {
                                default_duration = d;
                            }
                            if let Some(d) = tfhd.default_sample_size {
                                default_size = d;
                            }
                            if let Some(f) = tfhd.default_sample_flags {
                                default_flags = f;
                            }
                            if let Some(b) = tfhd.base_data_offset {
                                base = b;
                            }
                        }
                        b"tfdt" => {
                            traf_time = Some(expect(&t, Tfdt::parse)?.base_media_decode_time)
                        }
                        b"trun" => {
                            let trun = expect(&t, Trun::parse)?;
                            if samples.is_none() && traf_samples == 0 && trun.sample_count > 0 {
                                first_flags = Some(
                                    trun.first_sample_flags
                                        .or_else(|| trun.samples.first().and_then(|s| s.flags))
                                        .unwrap_or(default_flags),
                                );
                            }
                            traf_duration += trun.duration(default_duration);
                            traf_samples += u64::from(trun.sample_count);
                            // A fragment whose samples lie past the end of the file is
                            // a cut file, even when the cut fell on a box boundary.
                            let start =
                                i128::from(base) + i128::from(trun.data_offset.unwrap_or(0));
                            let end = start + i128::from(trun.data_size(default_size));
                            if end > i128::from(file_len) {
                                return Err(t.error(ErrorKind::Invalid(format!(
                                    "sample data ends at {end:#x}, past the end of the file ({file_len:#x})"
                                ))));
                            }
                        }
                        _ => {}
                    }
                }
                if decode_time.is_none() {
                    decode_time = traf_time;
                }
                duration = duration.max(traf_duration);
                samples.get_or_insert(traf_samples);
            }
            _ => {}
        }
    }
    Ok(ParsedMoof {
        sequence_number,
        starts_with_sync: first_flags.is_none_or(|f| f & SAMPLE_IS_NON_SYNC == 0),
        decode_time,
        duration,
        psshs,
        samples: samples.unwrap_or(0),
    })
}

/// A ratio `h:v` in lowest terms; `None` when either side is 0.
fn ratio(h: u64, v: u64) -> Option<String> {
    if h == 0 || v == 0 {
        return None;
    }
    let g = crate::media::representation::gcd(h, v);
    Some(format!("{}:{}", h / g, v / g))
}

/// What the `moov` tells about the one track.
struct TrackInfo {
    track_id: u32,
    timescale: u32,
    language: String,
    handler: String,
    default_sample_duration: u32,
    default_sample_size: u32,
    /// `trex`'s default sample flags, for fragments that give none.
    default_sample_flags: u32,
    sample_entry: String,
    /// The format before encryption (`frma`), or the sample entry itself.
    format: String,
    codecs: String,
    /// The display size (`tkhd`): already scaled by the pixel aspect, so
    /// only a last resort for the coded size.
    tkhd_size: (u32, u32),
    /// The coded size the visual sample entry gives.
    entry_size: Option<(u16, u16)>,
    /// The cropped picture size of the H.264 SPS.
    sps_size: Option<(u32, u32)>,
    /// Sample aspect ratio `h:v`, from `pasp`, else the SPS's VUI.
    sar: Option<String>,
    nal_length_size: Option<u8>,
    sample_rate: Option<u32>,
    channels: Option<u16>,
    dolby_channel_configuration: Option<String>,
    mime_box: Option<String>,
    protection: Option<(String, Tenc)>,
    psshs: Vec<Pssh>,
    /// The media time the track's edit list starts the presentation at
    /// (its first edit that is not empty), if it has one.
    edit_media_time: Option<u64>,
}

impl TrackInfo {
    fn from_moov(moov: &BoxRef, file: &str) -> Result<TrackInfo, IndexError> {
        let mp4 = |source| IndexError::Mp4 {
            file: file.to_string(),
            source,
        };
        let missing = |what| IndexError::Missing {
            file: file.to_string(),
            what,
        };
        let traks = moov.children_of(b"trak").map_err(mp4)?;
        match traks.len() {
            0 => return Err(IndexError::NoTrack { file: file.into() }),
            1 => {}
            n => {
                return Err(IndexError::MultipleTracks {
                    file: file.into(),
                    count: n,
                })
            }
        }
        let trak = &traks[0];
        let find = |path: &'static str| -> Result<BoxRef, IndexError> {
            trak.find(path).map_err(mp4)?.ok_or_else(|| missing(path))
        };
        let tkhd = expect(&find("tkhd")?, Tkhd::parse).map_err(mp4)?;
        let mdhd = expect(&find("mdia/mdhd")?, Mdhd::parse).map_err(mp4)?;
        let hdlr = expect(&find("mdia/hdlr")?, Hdlr::parse).map_err(mp4)?;
        let elng = trak.find("mdia/elng").map_err(mp4)?;
        let language = match elng {
            Some(b) => expect(&b, |p| {
                let mut r = crate::mp4::reader::Reader::new(p);
                r.full_header()?;
                r.cstring()
            })
            .map_err(mp4)?,
            None => mdhd.language.clone(),
        };
        let stsd = find("mdia/minf/stbl/stsd")?;
        let entry = stsd
            .children()
            .next()
            .ok_or_else(|| missing("sample entry in stsd"))?
            .map_err(mp4)?;
        let sample_entry = entry.typ().to_string();
        let mut protection = None;
        let mut format = sample_entry.clone();
        if let Some(sinf) = entry.child(b"sinf").map_err(mp4)? {
            if let Some(frma) = sinf.child(b"frma").map_err(mp4)? {
                format = expect(&frma, Frma::parse)
                    .map_err(mp4)?
                    .data_format
                    .to_string();
            }
            let scheme = match sinf.child(b"schm").map_err(mp4)? {
                Some(s) => expect(&s, Schm::parse)
                    .map_err(mp4)?
                    .scheme_type
                    .to_string(),
                None => "cenc".to_string(),
            };
            if let Some(tenc) = sinf.find("schi/tenc").map_err(mp4)? {
                protection = Some((scheme, expect(&tenc, Tenc::parse).map_err(mp4)?));
            }
        }
        let (default_sample_duration, default_sample_size, default_sample_flags) =
            match moov.find("mvex/trex").map_err(mp4)? {
                Some(t) => {
                    let trex = expect(&t, Trex::parse).map_err(mp4)?;
                    (
                        trex.default_sample_duration,
                        trex.default_sample_size,
                        trex.default_sample_flags,
                    )
                }
                None => (0, 0, 0),
            };
        let edit_media_time = match trak.find("edts/elst").map_err(mp4)? {
            Some(b) => expect(&b, Elst::parse)
                .map_err(mp4)?
                .entries
                .iter()
                // An empty edit (-1) delays the presentation; ignored.
                .find_map(|e| u64::try_from(e.media_time).ok()),
            None => None,
        };
        let psshs = moov
            .children_of(b"pssh")
            .map_err(mp4)?
            .iter()
            .map(|b| expect(b, Pssh::parse))
            .collect::<Result<Vec<_>, _>>()
            .map_err(mp4)?;

        let mut info = TrackInfo {
            track_id: tkhd.track_id,
            timescale: mdhd.timescale,
            language,
            handler: hdlr.handler_type.to_string(),
            default_sample_duration,
            default_sample_size,
            default_sample_flags,
            sample_entry: sample_entry.clone(),
            format: format.clone(),
            codecs: String::new(),
            tkhd_size: (tkhd.width as u32, tkhd.height as u32),
            entry_size: None,
            sps_size: None,
            sar: None,
            nal_length_size: None,
            sample_rate: None,
            channels: None,
            dolby_channel_configuration: None,
            mime_box: None,
            protection,
            psshs,
            edit_media_time,
        };
        info.read_codec(&entry, file)?;
        Ok(info)
    }

    /// Reads the codec configuration under the sample entry.
    fn read_codec(&mut self, entry: &BoxRef, file: &str) -> Result<(), IndexError> {
        let mp4 = |source| IndexError::Mp4 {
            file: file.to_string(),
            source,
        };
        let codec_err = |source| IndexError::Codec {
            file: file.to_string(),
            entry: self.format.clone(),
            source,
        };
        let config = |typ: &[u8; 4], what: &'static str| -> Result<Vec<u8>, IndexError> {
            match entry.child(typ).map_err(mp4)? {
                Some(b) => Ok(b.payload().to_vec()),
                None => Err(IndexError::Missing {
                    file: file.to_string(),
                    what,
                }),
            }
        };
        let f = self.format.clone();
        match f.as_str() {
            "avc1" | "avc2" | "avc3" | "avc4" | "hev1" | "hvc1" | "av01" => {
                let v = expect(entry, VisualSampleEntry::parse).map_err(mp4)?;
                self.entry_size = Some((v.width, v.height));
                if let Some(p) = entry.child(b"pasp").map_err(mp4)? {
                    let p = expect(&p, Pasp::parse).map_err(mp4)?;
                    self.sar = ratio(p.h_spacing.into(), p.v_spacing.into());
                }
                match f.as_str() {
                    "hev1" | "hvc1" => {
                        let c = config(b"hvcC", "hvcC")?;
                        self.codecs = codec::hevc_codec_string(&f, &c).map_err(codec_err)?;
                        self.nal_length_size =
                            Some(codec::hevc_nal_length_size(&c).map_err(codec_err)?);
                    }
                    "av01" => {
                        let c = config(b"av1C", "av1C")?;
                        let colr = match entry.child(b"colr").map_err(mp4)? {
                            Some(b) => {
                                let c = expect(&b, Colr::parse).map_err(mp4)?;
                                match (
                                    c.colour_primaries,
                                    c.transfer_characteristics,
                                    c.matrix_coefficients,
                                    c.full_range,
                                ) {
                                    (Some(p), Some(t), Some(m), Some(fr)) => Some((p, t, m, fr)),
                                    _ => None,
                                }
                            }
                            None => None,
                        };
                        self.codecs = codec::av1_codec_string(&c, colr).map_err(codec_err)?;
                    }
                    _ => {
                        let c = config(b"avcC", "avcC")?;
                        self.codecs = codec::avc_codec_string(&f, &c).map_err(codec_err)?;
                        self.nal_length_size =
                            Some(codec::avc_nal_length_size(&c).map_err(codec_err)?);
                        // The SPS only refines size and aspect: one this
                        // reader cannot follow leaves them to the sample
                        // entry and `pasp` rather than refusing a file whose
                        // codecs string is sound.
                        if let Ok(Some(p)) = codec::avc_picture(&c) {
                            self.sps_size = Some((p.width, p.height));
                            if self.sar.is_none() {
                                self.sar = p.sar.and_then(|(h, v)| ratio(h.into(), v.into()));
                            }
                        }
                    }
                }
            }
            "mp4a" => {
                let a = expect(entry, AudioSampleEntry::parse).map_err(mp4)?;
                let esds = config(b"esds", "esds")?;
                self.codecs = codec::mp4a_codec_string(&esds).map_err(codec_err)?;
                let info = codec::parse_esds(&esds).map_err(codec_err)?;
                match codec::parse_audio_specific_config(&info.decoder_specific_info) {
                    Ok(asc) => {
                        self.sample_rate = Some(asc.output_sample_rate());
                        self.channels = asc.channels().or(Some(a.channel_count));
                    }
                    // MP3 and other non-AAC payloads have no AudioSpecificConfig.
                    Err(_) => {
                        self.sample_rate = Some(a.sample_rate);
                        self.channels = Some(a.channel_count);
                    }
                }
            }
            "ac-3" => {
                let a = expect(entry, AudioSampleEntry::parse).map_err(mp4)?;
                let d = codec::parse_dac3(&config(b"dac3", "dac3")?).map_err(codec_err)?;
                self.codecs = "ac-3".into();
                self.sample_rate = d.sample_rate().or(Some(a.sample_rate));
                self.channels = Some(d.channels());
                self.dolby_channel_configuration = Some(d.dolby_channel_configuration());
            }
            "ec-3" => {
                let a = expect(entry, AudioSampleEntry::parse).map_err(mp4)?;
                let d = codec::parse_dec3(&config(b"dec3", "dec3")?).map_err(codec_err)?;
                self.codecs = "ec-3".into();
                self.sample_rate = d.sample_rate().or(Some(a.sample_rate));
                self.channels = Some(d.channels());
                self.dolby_channel_configuration = Some(d.dolby_channel_configuration());
            }
            "stpp" => {
                self.codecs = "stpp".into();
                if let Some(m) = entry.child(b"mime").map_err(mp4)? {
                    self.mime_box = Some(
                        expect(&m, crate::mp4::boxes::Mime::parse)
                            .map_err(mp4)?
                            .content_type,
                    );
                }
            }
            "wvtt" | "tx3g" => self.codecs = f.clone(),
            _ => {
                return Err(IndexError::UnknownCodec {
                    file: file.to_string(),
                    entry: f,
                })
            }
        }
        Ok(())
    }
}

fn build_representation(
    file: String,
    track: TrackInfo,
    init_end: u64,
    media: Vec<(Segment, Option<u32>)>,
    moof_psshs: Vec<Pssh>,
    file_len: u64,
    first_moof: Option<(u64, u64)>,
) -> Result<Representation, IndexError> {
    let content_type = match track.handler.as_str() {
        "vide" => ContentType::Video,
        "soun" => ContentType::Audio,
        "text" | "subt" | "sbtl" => ContentType::Text,
        h => {
            return Err(IndexError::UnsupportedHandler {
                file,
                handler: h.to_string(),
            })
        }
    };
    if oxilangtag::LanguageTag::parse(track.language.as_str()).is_err() {
        return Err(IndexError::InvalidLanguage {
            file,
            lang: track.language,
        });
    }
    let timescale = track.timescale;
    let media_duration: u64 = media.iter().map(|(s, _)| s.duration).sum();
    let n = media.len() as u64;
    let last_start: u64 = media_duration - media.last().map(|(s, _)| s.duration).unwrap_or(0);
    let segment_duration = last_start / (n - 1);
    if media_duration == 0 || timescale == 0 || segment_duration == 0 {
        return Err(IndexError::NoBitrate { file });
    }
    let ts = u128::from(timescale);
    let bitrate = (8 * ts * u128::from(file_len) / u128::from(media_duration)) as u64;
    let max_size = media.iter().map(|(s, _)| s.size).max().unwrap_or(0);
    let max_bitrate = (8 * ts * u128::from(max_size) / u128::from(segment_duration)) as u64;
    let start_number = media.first().and_then(|(_, n)| *n).unwrap_or(1);
    let start_time = media.first().map(|(s, _)| s.decode_time).unwrap_or(0);
    let edit_offset = track
        .edit_media_time
        .map_or(0, |t| t.saturating_sub(start_time));

    let mut segments = Vec::with_capacity(media.len() + 1);
    segments.push(Segment {
        offset: 0,
        size: init_end,
        duration: 0,
        decode_time: 0,
    });
    segments.extend(media.iter().map(|(s, _)| *s));

    let (width, height, frame_rate, sar) = if content_type == ContentType::Video {
        // The coded size, which @sar scales to the display size (ISO
        // 23009-1 5.3.7): the sample entry's, else the SPS's. `tkhd` holds
        // the display size (ffmpeg writes 384 * 9/16 = 216 for a 384x90
        // picture with pasp 9:16), which with @sar would scale it twice.
        let (w, h) = match (track.entry_size, track.sps_size, track.tkhd_size) {
            (Some((w, h)), _, _) if w > 0 && h > 0 => (u32::from(w), u32::from(h)),
            (_, Some((w, h)), _) if w > 0 && h > 0 => (w, h),
            (_, _, (w, h)) if w > 0 && h > 0 => (w, h),
            _ => (0, 0),
        };
        // The default sample duration gives the exact rate; without one, the
        // first fragment's average does (30000/1001 from 1001-tick samples).
        let frame_rate = if track.default_sample_duration > 0 {
            FrameRate::new(timescale.into(), track.default_sample_duration.into())
        } else {
            first_moof.and_then(|(n, d)| FrameRate::new(u64::from(timescale) * n, d))
        };
        (
            (w > 0).then_some(w),
            (h > 0).then_some(h),
            frame_rate,
            Some(track.sar.clone().unwrap_or_else(|| "1:1".to_string())),
        )
    } else {
        (None, None, None, None)
    };

    let mime_type = match content_type {
        ContentType::Video => "video/mp4",
        ContentType::Audio => "audio/mp4",
        ContentType::Text => "application/mp4",
    }
    .to_string();

    let encryption = track.protection.as_ref().map(|(scheme, tenc)| {
        let mut kids = vec![hex::encode(&tenc.default_kid)];
        let mut systems = Vec::new();
        for p in track.psshs.iter().chain(moof_psshs.iter()) {
            for k in &p.kids {
                let k = hex::encode(k);
                if !kids.contains(&k) {
                    kids.push(k);
                }
            }
            let s = hex::uuid_string(&p.system_id);
            if !systems.contains(&s) {
                systems.push(s);
            }
        }
        Encryption {
            scheme: scheme.clone(),
            default_kid: hex::encode(&tenc.default_kid),
            iv_size: tenc.default_per_sample_iv_size,
            kids,
            pssh_systems: systems,
        }
    });

    let stem = Path::new(&file)
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut codecs = track.codecs.clone();
    if track.format == "stpp" {
        // A TTML profile in the mime box refines the codecs string (DASH-IF IOP).
        // ISO 14496-30 puts bare profile codes there (`codecs=im1t|etd1`),
        // but some packagers write the whole codecs string
        // (`codecs=stpp.ttml.im1i`), which must not be prefixed again.
        if let Some(profile) = track
            .mime_box
            .as_deref()
            .and_then(|m| m.split("codecs=").nth(1))
            .map(|c| c.trim_start_matches('"'))
            .and_then(|c| c.split(['|', ';', ',', '"']).next())
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            codecs = if profile.starts_with("stpp.") {
                profile.to_string()
            } else if profile.starts_with("ttml.") {
                format!("stpp.{profile}")
            } else {
                format!("stpp.ttml.{profile}")
            };
        }
    }
    Ok(Representation {
        id: stem,
        filename: file,
        content_type,
        mime_type,
        codecs,
        sample_entry: track.sample_entry,
        timescale,
        language: track.language,
        track_id: track.track_id,
        start_number,
        start_time,
        edit_offset,
        segments,
        media_duration,
        segment_duration,
        bitrate,
        max_bitrate,
        width,
        height,
        frame_rate,
        sar,
        nal_length_size: track.nal_length_size,
        sample_rate: track.sample_rate,
        channels: track.channels,
        dolby_channel_configuration: track.dolby_channel_configuration,
        encryption,
    })
}
