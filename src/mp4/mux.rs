//! Writes fragmented MP4: an init segment (ftyp + moov) for one track, and
//! media segments (styp + moof + mdat) from encoded samples. Used by the
//! content generator; the layout is what DASH players expect of CMAF-style
//! tracks: 64-bit tfdt, default-base-is-moof, sizes per sample in trun.

use super::boxes::{Mfhd, Tfdt};
use super::fourcc::FourCC;
use super::header::write_header;
use super::write::{put_cstring, put_full_header, put_u16, put_u32, put_u64, WriteBox};

/// A box from its type and payload.
pub fn bx(typ: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    write_header(&mut out, FourCC(*typ), None, payload.len() as u64);
    out.extend_from_slice(payload);
    out
}

/// A full box from its type, version, flags and the rest of its payload.
pub fn full_box(typ: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(body.len() + 4);
    put_full_header(&mut p, version, flags);
    p.extend_from_slice(body);
    bx(typ, &p)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    Video,
    Audio,
    /// Subtitles (stpp, wvtt): handler `subt`, media header `sthd`.
    Subtitle,
}

#[derive(Debug, Clone)]
pub struct TrackConfig {
    pub track_id: u32,
    pub timescale: u32,
    pub handler: Handler,
    /// ISO 639-2/T, three lower-case letters ("und", "eng").
    pub language: String,
    /// The whole sample entry box (see the `*_sample_entry` functions).
    pub sample_entry: Vec<u8>,
    pub width: u16,
    pub height: u16,
    /// Duration of the whole track in its timescale, for `mehd`.
    pub duration: u64,
    /// `trex` default; samples of other durations carry their own.
    pub default_sample_duration: u32,
}

/// Sample flags: a sync sample (depends on no other), and a non-sync one.
pub const SYNC_SAMPLE_FLAGS: u32 = 0x0200_0000;
pub const NON_SYNC_SAMPLE_FLAGS: u32 = 0x0101_0000;

pub struct Sample<'a> {
    pub data: &'a [u8],
    pub duration: u32,
    pub sync: bool,
}

fn matrix(out: &mut Vec<u8>) {
    for m in [0x10000u32, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000] {
        put_u32(out, m);
    }
}

fn language_code(lang: &str) -> u16 {
    let b = lang.as_bytes();
    let c = |i: usize| u16::from(b.get(i).copied().unwrap_or(b'a').wrapping_sub(0x60) & 0x1f);
    (c(0) << 10) | (c(1) << 5) | c(2)
}

/// ftyp + moov for one track.
pub fn init_segment(t: &TrackConfig) -> Vec<u8> {
    let mut ftyp = Vec::new();
    for brand in [b"iso6", b"\0\0\0\0", b"iso6", b"cmfc", b"dash", b"mp41"] {
        ftyp.extend_from_slice(brand);
    }
    let mut mvhd = Vec::new();
    put_u32(&mut mvhd, 0);
    put_u32(&mut mvhd, 0);
    put_u32(&mut mvhd, t.timescale);
    put_u32(&mut mvhd, 0);
    put_u32(&mut mvhd, 0x0001_0000);
    put_u16(&mut mvhd, 0x0100);
    mvhd.extend_from_slice(&[0; 10]);
    matrix(&mut mvhd);
    mvhd.extend_from_slice(&[0; 24]);
    put_u32(&mut mvhd, t.track_id + 1);

    let mut mehd = Vec::new();
    put_u64(&mut mehd, t.duration);
    let mut trex = Vec::new();
    for v in [t.track_id, 1, t.default_sample_duration, 0, 0] {
        put_u32(&mut trex, v);
    }
    let mvex = bx(
        b"mvex",
        &[
            full_box(b"mehd", 1, 0, &mehd),
            full_box(b"trex", 0, 0, &trex),
        ]
        .concat(),
    );

    let moov = bx(
        b"moov",
        &[full_box(b"mvhd", 0, 0, &mvhd), trak(t), mvex].concat(),
    );
    [bx(b"ftyp", &ftyp), moov].concat()
}

fn trak(t: &TrackConfig) -> Vec<u8> {
    let mut tkhd = Vec::new();
    put_u32(&mut tkhd, 0);
    put_u32(&mut tkhd, 0);
    put_u32(&mut tkhd, t.track_id);
    put_u32(&mut tkhd, 0);
    put_u32(&mut tkhd, 0);
    tkhd.extend_from_slice(&[0; 8]);
    put_u16(&mut tkhd, 0);
    put_u16(&mut tkhd, 0);
    put_u16(
        &mut tkhd,
        if t.handler == Handler::Audio {
            0x0100
        } else {
            0
        },
    );
    put_u16(&mut tkhd, 0);
    matrix(&mut tkhd);
    put_u32(&mut tkhd, u32::from(t.width) << 16);
    put_u32(&mut tkhd, u32::from(t.height) << 16);

    let mut mdhd = Vec::new();
    put_u32(&mut mdhd, 0);
    put_u32(&mut mdhd, 0);
    put_u32(&mut mdhd, t.timescale);
    put_u32(&mut mdhd, 0);
    put_u16(&mut mdhd, language_code(&t.language));
    put_u16(&mut mdhd, 0);

    let (handler, name, media_header) = match t.handler {
        Handler::Video => (b"vide", "dashlive video", full_box(b"vmhd", 0, 1, &[0; 8])),
        Handler::Audio => (b"soun", "dashlive audio", full_box(b"smhd", 0, 0, &[0; 4])),
        Handler::Subtitle => (b"subt", "dashlive subtitles", full_box(b"sthd", 0, 0, &[])),
    };
    let mut hdlr = Vec::new();
    put_u32(&mut hdlr, 0);
    hdlr.extend_from_slice(handler);
    hdlr.extend_from_slice(&[0; 12]);
    put_cstring(&mut hdlr, name);

    let mut dref = Vec::new();
    put_u32(&mut dref, 1);
    dref.extend_from_slice(&full_box(b"url ", 0, 1, &[]));
    let dinf = bx(b"dinf", &full_box(b"dref", 0, 0, &dref));

    let mut stsd = Vec::new();
    put_u32(&mut stsd, 1);
    stsd.extend_from_slice(&t.sample_entry);
    let stbl = bx(
        b"stbl",
        &[
            full_box(b"stsd", 0, 0, &stsd),
            full_box(b"stts", 0, 0, &[0; 4]),
            full_box(b"stsc", 0, 0, &[0; 4]),
            full_box(b"stsz", 0, 0, &[0; 8]),
            full_box(b"stco", 0, 0, &[0; 4]),
        ]
        .concat(),
    );
    let minf = bx(b"minf", &[media_header, dinf, stbl].concat());
    let mdia = bx(
        b"mdia",
        &[
            full_box(b"mdhd", 0, 0, &mdhd),
            full_box(b"hdlr", 0, 0, &hdlr),
            minf,
        ]
        .concat(),
    );
    bx(b"trak", &[full_box(b"tkhd", 0, 3, &tkhd), mdia].concat())
}

fn btrt(max_bitrate: u32, avg_bitrate: u32) -> Vec<u8> {
    let mut p = Vec::new();
    put_u32(&mut p, 0);
    put_u32(&mut p, max_bitrate);
    put_u32(&mut p, avg_bitrate);
    bx(b"btrt", &p)
}

/// avc1 or avc3 sample entry around an AVCDecoderConfigurationRecord.
pub fn avc_sample_entry(
    fourcc: &[u8; 4],
    width: u16,
    height: u16,
    avcc: &[u8],
    bitrate: u32,
) -> Vec<u8> {
    let mut p = vec![0u8; 6];
    put_u16(&mut p, 1);
    p.extend_from_slice(&[0; 16]);
    put_u16(&mut p, width);
    put_u16(&mut p, height);
    put_u32(&mut p, 72 << 16);
    put_u32(&mut p, 72 << 16);
    put_u32(&mut p, 0);
    put_u16(&mut p, 1);
    let mut name = [0u8; 32];
    let label = b"dashlive AVC";
    name[0] = label.len() as u8;
    name[1..=label.len()].copy_from_slice(label);
    p.extend_from_slice(&name);
    put_u16(&mut p, 0x18);
    put_u16(&mut p, 0xffff);
    p.extend_from_slice(&bx(b"avcC", avcc));
    let mut pasp = Vec::new();
    put_u32(&mut pasp, 1);
    put_u32(&mut pasp, 1);
    p.extend_from_slice(&bx(b"pasp", &pasp));
    p.extend_from_slice(&btrt(bitrate, bitrate));
    bx(fourcc, &p)
}

/// The expandable size field of MPEG-4 descriptors, always 4 bytes long as
/// many muxers write it.
fn descriptor(tag: u8, body: &[u8]) -> Vec<u8> {
    let n = body.len() as u32;
    let mut out = vec![
        tag,
        0x80 | ((n >> 21) & 0x7f) as u8,
        0x80 | ((n >> 14) & 0x7f) as u8,
        0x80 | ((n >> 7) & 0x7f) as u8,
        (n & 0x7f) as u8,
    ];
    out.extend_from_slice(body);
    out
}

/// mp4a sample entry with an esds carrying the AudioSpecificConfig.
pub fn aac_sample_entry(channels: u16, sample_rate: u32, asc: &[u8], bitrate: u32) -> Vec<u8> {
    let mut p = vec![0u8; 6];
    put_u16(&mut p, 1);
    p.extend_from_slice(&[0; 8]);
    put_u16(&mut p, channels);
    put_u16(&mut p, 16);
    put_u32(&mut p, 0);
    put_u32(&mut p, sample_rate << 16);
    let mut dcd = vec![0x40, 0x15, 0, 0x18, 0];
    put_u32(&mut dcd, bitrate);
    put_u32(&mut dcd, bitrate);
    dcd.extend_from_slice(&descriptor(0x05, asc));
    let mut es = Vec::new();
    put_u16(&mut es, 1);
    es.push(0);
    es.extend_from_slice(&descriptor(0x04, &dcd));
    es.extend_from_slice(&descriptor(0x06, &[0x02]));
    p.extend_from_slice(&full_box(b"esds", 0, 0, &descriptor(0x03, &es)));
    p.extend_from_slice(&btrt(bitrate, bitrate));
    bx(b"mp4a", &p)
}

/// stpp sample entry for TTML, with a `mime` box naming the profile.
pub fn stpp_sample_entry(mime: &str) -> Vec<u8> {
    let mut p = vec![0u8; 6];
    put_u16(&mut p, 1);
    put_cstring(&mut p, "http://www.w3.org/ns/ttml");
    put_cstring(&mut p, "");
    put_cstring(&mut p, "");
    let mut m = Vec::new();
    put_cstring(&mut m, mime);
    p.extend_from_slice(&full_box(b"mime", 0, 0, &m));
    bx(b"stpp", &p)
}

/// wvtt sample entry with its WebVTT configuration (the file header).
pub fn wvtt_sample_entry() -> Vec<u8> {
    let mut p = vec![0u8; 6];
    put_u16(&mut p, 1);
    p.extend_from_slice(&bx(b"vttC", b"WEBVTT"));
    bx(b"wvtt", &p)
}

/// styp + moof + mdat holding `samples`, which start at `decode_time`.
pub fn media_segment(
    t: &TrackConfig,
    sequence_number: u32,
    decode_time: u64,
    samples: &[Sample],
) -> Vec<u8> {
    let uniform = samples
        .iter()
        .all(|s| s.duration == t.default_sample_duration);
    let all_sync = samples.iter().all(|s| s.sync);
    let first_differs = !all_sync && samples.first().is_some_and(|s| s.sync);

    let mut tfhd = Vec::new();
    put_u32(&mut tfhd, t.track_id);
    let mut tfhd_flags = 0x02_0000 | 0x20; // default-base-is-moof, default flags
    if uniform {
        tfhd_flags |= 0x08;
        put_u32(&mut tfhd, t.default_sample_duration);
    }
    put_u32(
        &mut tfhd,
        if all_sync {
            SYNC_SAMPLE_FLAGS
        } else {
            NON_SYNC_SAMPLE_FLAGS
        },
    );
    let tfhd = full_box(b"tfhd", 0, tfhd_flags, &tfhd);
    let tfdt = Tfdt::v1(decode_time).to_bytes();

    let mut trun_flags = 0x001 | 0x200; // data offset, sample sizes
    if first_differs {
        trun_flags |= 0x004;
    }
    if !uniform {
        trun_flags |= 0x100;
    }
    let per_sample = if uniform { 4 } else { 8 };
    let trun_len = 8 + 4 + 4 + 4 + if first_differs { 4 } else { 0 } + per_sample * samples.len();
    let mfhd = Mfhd { sequence_number }.to_bytes();
    let moof_len = 8 + mfhd.len() + 8 + tfhd.len() + tfdt.len() + trun_len;
    let mdat_len: usize = samples.iter().map(|s| s.data.len()).sum();

    let mut trun = Vec::new();
    put_u32(&mut trun, samples.len() as u32);
    put_u32(&mut trun, (moof_len + 8) as u32);
    if first_differs {
        put_u32(&mut trun, SYNC_SAMPLE_FLAGS);
    }
    for s in samples {
        if !uniform {
            put_u32(&mut trun, s.duration);
        }
        put_u32(&mut trun, s.data.len() as u32);
    }
    let trun = full_box(b"trun", 0, trun_flags, &trun);
    let traf = bx(b"traf", &[tfhd, tfdt, trun].concat());
    let moof = bx(b"moof", &[mfhd, traf].concat());
    debug_assert_eq!(moof.len(), moof_len);

    let mut styp = Vec::new();
    for brand in [b"msdh", b"\0\0\0\0", b"msdh", b"dash"] {
        styp.extend_from_slice(brand);
    }
    let mut out = Vec::with_capacity(moof_len + mdat_len + 40);
    out.extend_from_slice(&bx(b"styp", &styp));
    out.extend_from_slice(&moof);
    write_header(&mut out, FourCC(*b"mdat"), None, mdat_len as u64);
    for s in samples {
        out.extend_from_slice(s.data);
    }
    out
}

/// A stereo AAC-LC track at 48 kHz (1024-sample frames), for tests.
#[cfg(test)]
pub(crate) fn test_aac_track() -> TrackConfig {
    TrackConfig {
        track_id: 1,
        timescale: 48_000,
        handler: Handler::Audio,
        language: "und".into(),
        sample_entry: aac_sample_entry(2, 48_000, &[0x11, 0x90], 128_000),
        width: 0,
        height: 0,
        duration: 0,
        default_sample_duration: 1024,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::index_reader;

    #[test]
    fn muxed_aac_track_indexes_back() {
        let t = TrackConfig {
            language: "eng".into(),
            duration: 3 * 10 * 1024,
            ..test_aac_track()
        };
        let mut file = init_segment(&t);
        let payload = [0x21u8; 300];
        for seg in 0..3u32 {
            let samples: Vec<Sample> = (0..10)
                .map(|_| Sample {
                    data: &payload,
                    duration: 1024,
                    sync: true,
                })
                .collect();
            file.extend(media_segment(
                &t,
                seg + 1,
                u64::from(seg) * 10 * 1024,
                &samples,
            ));
        }
        let len = file.len() as u64;
        let rep = index_reader(std::io::Cursor::new(file), len, "a.mp4").unwrap();
        assert_eq!(rep.codecs, "mp4a.40.2");
        assert_eq!(rep.language, "eng");
        assert_eq!((rep.sample_rate, rep.channels), (Some(48_000), Some(2)));
        assert_eq!(rep.media_segments().len(), 3);
        assert_eq!(rep.segment_duration, 10 * 1024);
    }

    fn stpp_codecs(mime: &str) -> String {
        let t = TrackConfig {
            track_id: 1,
            timescale: 1000,
            handler: Handler::Subtitle,
            language: "eng".into(),
            sample_entry: stpp_sample_entry(mime),
            width: 0,
            height: 0,
            duration: 4000,
            default_sample_duration: 2000,
        };
        let mut file = init_segment(&t);
        let doc = b"<tt xmlns=\"http://www.w3.org/ns/ttml\"/>";
        for seg in 0..2u32 {
            let s = [Sample {
                data: doc,
                duration: 2000,
                sync: true,
            }];
            file.extend(media_segment(&t, seg + 1, u64::from(seg) * 2000, &s));
        }
        let len = file.len() as u64;
        index_reader(std::io::Cursor::new(file), len, "t.mp4")
            .unwrap()
            .codecs
    }

    #[test]
    fn stpp_codecs_come_from_the_mime_box_prefixed_once() {
        // A bare profile list (ISO 14496-30) is prefixed; a full codecs
        // string, as some packagers write it, is taken as it is.
        for (mime, codecs) in [
            ("application/ttml+xml;codecs=im1t|etd1", "stpp.ttml.im1t"),
            ("application/ttml+xml;codecs=\"im1t\"", "stpp.ttml.im1t"),
            (
                "application/ttml+xml;codecs=stpp.ttml.im1i",
                "stpp.ttml.im1i",
            ),
            (
                "application/ttml+xml;codecs=\"stpp.ttml.im1i\"",
                "stpp.ttml.im1i",
            ),
            ("application/ttml+xml;codecs=ttml.im1t", "stpp.ttml.im1t"),
            ("application/ttml+xml", "stpp"),
        ] {
            assert_eq!(stpp_codecs(mime), codecs, "{mime}");
        }
    }
}
