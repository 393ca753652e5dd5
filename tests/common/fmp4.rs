//! Builds small synthetic fragmented MP4 files for tests and benches: one
//! AVC or AAC track, N fragments of fixed duration, with knobs to break each
//! thing the indexer checks.
#![allow(dead_code)]

pub fn bx(typ: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(typ);
    v.extend_from_slice(payload);
    v
}

pub fn full(typ: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut p = ((u32::from(version) << 24) | flags).to_be_bytes().to_vec();
    p.extend_from_slice(body);
    bx(typ, &p)
}

#[derive(Clone)]
pub struct Spec {
    pub fragments: usize,
    pub tracks: usize,
    /// Sample entry type: avc1 (with a valid avcC), mp4a (AAC-LC esds) or anything else.
    pub entry: [u8; 4],
    /// Packed mdhd language, e.g. "eng".
    pub language: [u8; 3],
    pub timescale: u32,
    pub samples_per_fragment: u32,
    pub sample_duration: u32,
    pub sample_size: u32,
    /// Emit a styp before each moof.
    pub styp: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            fragments: 4,
            tracks: 1,
            entry: *b"avc1",
            language: *b"und",
            timescale: 25_000,
            samples_per_fragment: 50,
            sample_duration: 1000,
            sample_size: 100,
            styp: false,
        }
    }
}

/// avcC of a High profile level 4.0 stream with tiny parameter sets.
pub const AVCC: &[u8] = &[
    1, 0x64, 0, 0x28, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x28, 1, 0, 2, 0x68, 0xee,
];

fn sample_entry(spec: &Spec) -> Vec<u8> {
    match &spec.entry {
        b"mp4a" => {
            let mut p = vec![0u8; 6];
            p.extend_from_slice(&1u16.to_be_bytes());
            p.extend_from_slice(&[0; 8]);
            p.extend_from_slice(&2u16.to_be_bytes());
            p.extend_from_slice(&16u16.to_be_bytes());
            p.extend_from_slice(&[0; 4]);
            p.extend_from_slice(&(48_000u32 << 16).to_be_bytes());
            // ES_Descriptor > DecoderConfigDescriptor (AAC, 0x40) > DSI 11 90 (AAC-LC 48 kHz stereo)
            let dsi = [0x05, 0x02, 0x11, 0x90];
            let mut dcd = vec![0x04, 13 + dsi.len() as u8, 0x40, 0x15, 0, 0, 0];
            dcd.extend_from_slice(&128_000u32.to_be_bytes());
            dcd.extend_from_slice(&128_000u32.to_be_bytes());
            dcd.extend_from_slice(&dsi);
            let mut es = vec![0x03, (3 + dcd.len() + 3) as u8, 0, 1, 0];
            es.extend_from_slice(&dcd);
            es.extend_from_slice(&[0x06, 1, 2]);
            p.extend_from_slice(&full(b"esds", 0, 0, &es));
            bx(b"mp4a", &p)
        }
        t => {
            let mut p = vec![0u8; 6];
            p.extend_from_slice(&1u16.to_be_bytes());
            p.extend_from_slice(&[0; 16]);
            p.extend_from_slice(&320u16.to_be_bytes());
            p.extend_from_slice(&180u16.to_be_bytes());
            p.extend_from_slice(&(72u32 << 16).to_be_bytes());
            p.extend_from_slice(&(72u32 << 16).to_be_bytes());
            p.extend_from_slice(&[0; 4]);
            p.extend_from_slice(&1u16.to_be_bytes());
            p.extend_from_slice(&[0; 32]);
            p.extend_from_slice(&24u16.to_be_bytes());
            p.extend_from_slice(&0xffffu16.to_be_bytes());
            p.extend_from_slice(&bx(b"avcC", AVCC));
            bx(t, &p)
        }
    }
}

fn trak(spec: &Spec, track_id: u32) -> Vec<u8> {
    let mut tkhd = vec![0u8; 8];
    tkhd.extend_from_slice(&track_id.to_be_bytes());
    tkhd.extend_from_slice(&[0; 4 + 4 + 8 + 8]);
    for m in [0x10000u32, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000] {
        tkhd.extend_from_slice(&m.to_be_bytes());
    }
    let (w, h) = if spec.entry == *b"mp4a" {
        (0, 0)
    } else {
        (320u32 << 16, 180u32 << 16)
    };
    tkhd.extend_from_slice(&w.to_be_bytes());
    tkhd.extend_from_slice(&h.to_be_bytes());
    let mut mdhd = vec![0u8; 8];
    mdhd.extend_from_slice(&spec.timescale.to_be_bytes());
    mdhd.extend_from_slice(&[0; 4]);
    let l = spec
        .language
        .map(|c| u16::from(c.wrapping_sub(0x60)) & 0x1f);
    mdhd.extend_from_slice(&((l[0] << 10) | (l[1] << 5) | l[2]).to_be_bytes());
    mdhd.extend_from_slice(&[0; 2]);
    let handler = if spec.entry == *b"mp4a" {
        b"soun"
    } else {
        b"vide"
    };
    let mut hdlr = vec![0u8; 4];
    hdlr.extend_from_slice(handler);
    hdlr.extend_from_slice(&[0; 12]);
    hdlr.extend_from_slice(b"test\0");
    let mut stsd = 1u32.to_be_bytes().to_vec();
    stsd.extend_from_slice(&sample_entry(spec));
    let stbl = bx(b"stbl", &full(b"stsd", 0, 0, &stsd));
    let minf = bx(b"minf", &stbl);
    let mdia = bx(
        b"mdia",
        &[full(b"mdhd", 0, 0, &mdhd), full(b"hdlr", 0, 0, &hdlr), minf].concat(),
    );
    bx(b"trak", &[full(b"tkhd", 0, 3, &tkhd), mdia].concat())
}

pub fn init_segment(spec: &Spec) -> Vec<u8> {
    let ftyp = bx(b"ftyp", b"iso6\0\0\0\x01iso6dash");
    let mut mvhd = vec![0u8; 8];
    mvhd.extend_from_slice(&1000u32.to_be_bytes());
    mvhd.extend_from_slice(&[0; 4]);
    mvhd.extend_from_slice(&0x10000u32.to_be_bytes());
    mvhd.extend_from_slice(&0x0100u16.to_be_bytes());
    mvhd.extend_from_slice(&[0; 10]);
    for m in [0x10000u32, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000] {
        mvhd.extend_from_slice(&m.to_be_bytes());
    }
    mvhd.extend_from_slice(&[0; 24]);
    mvhd.extend_from_slice(&(spec.tracks as u32 + 1).to_be_bytes());
    let mut moov = full(b"mvhd", 0, 0, &mvhd);
    let mut mvex = Vec::new();
    for t in 1..=spec.tracks as u32 {
        moov.extend_from_slice(&trak(spec, t));
        let mut trex = t.to_be_bytes().to_vec();
        trex.extend_from_slice(&1u32.to_be_bytes());
        trex.extend_from_slice(&spec.sample_duration.to_be_bytes());
        trex.extend_from_slice(&spec.sample_size.to_be_bytes());
        trex.extend_from_slice(&0u32.to_be_bytes());
        mvex.extend_from_slice(&full(b"trex", 0, 0, &trex));
    }
    moov.extend_from_slice(&bx(b"mvex", &mvex));
    [ftyp, bx(b"moov", &moov)].concat()
}

/// The `moof` of fragment `index`, its `trun` data offset pointing just past
/// the header of the `mdat` that follows it.
pub fn moof(spec: &Spec, index: usize) -> Vec<u8> {
    let n = spec.samples_per_fragment;
    let mfhd = full(b"mfhd", 0, 0, &(index as u32 + 1).to_be_bytes());
    let mut tfhd = 1u32.to_be_bytes().to_vec();
    tfhd.extend_from_slice(&spec.sample_duration.to_be_bytes());
    let tfhd = full(b"tfhd", 0, 0x02_0008, &tfhd);
    let time = index as u64 * u64::from(n) * u64::from(spec.sample_duration);
    let tfdt = full(b"tfdt", 1, 0, &time.to_be_bytes());
    let trun_len = 8 + 4 + 4 + 4 + 4 * n as usize;
    let moof_len = 8 + mfhd.len() + 8 + tfhd.len() + tfdt.len() + trun_len;
    let mut trun = n.to_be_bytes().to_vec();
    trun.extend_from_slice(&((moof_len + 8) as i32).to_be_bytes());
    for _ in 0..n {
        trun.extend_from_slice(&spec.sample_size.to_be_bytes());
    }
    let trun = full(b"trun", 0, 0x201, &trun);
    let traf = bx(b"traf", &[tfhd, tfdt, trun].concat());
    let moof = bx(b"moof", &[mfhd, traf].concat());
    assert_eq!(moof.len(), moof_len);
    moof
}

/// One media segment: [styp] moof mdat.
pub fn fragment(spec: &Spec, index: usize) -> Vec<u8> {
    let n = spec.samples_per_fragment;
    let moof = moof(spec, index);
    let mdat_payload: Vec<u8> = (0..n * spec.sample_size).map(|i| (i % 251) as u8).collect();
    let mut out = Vec::new();
    if spec.styp {
        out.extend_from_slice(&bx(b"styp", b"msdh\0\0\0\0msdhmsix"));
    }
    out.extend_from_slice(&moof);
    out.extend_from_slice(&bx(b"mdat", &mdat_payload));
    out
}

pub fn file(spec: &Spec) -> Vec<u8> {
    let mut out = init_segment(spec);
    for i in 0..spec.fragments {
        out.extend_from_slice(&fragment(spec, i));
    }
    out
}
