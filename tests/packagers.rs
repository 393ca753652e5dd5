//! Content in the shapes other packagers write (issue 11), made here from
//! `mp4::mux` and hand-built boxes, each shape with the behaviour it needs.

mod common;

use std::io::Cursor;

use dashlive::media::{index_reader, Representation};
use dashlive::mp4::mux::{
    avc_sample_entry, init_segment, media_segment, Handler, Sample, TrackConfig,
};
use dashlive::mpd::context::{manifest_context, ManifestOptions, Request};
use dashlive::mpd::registry::{self, Mode};

// ---------------------------------------------------------------------------
// H.264 parameter sets, written bit by bit
// ---------------------------------------------------------------------------

/// MSB-first bit writer with Exp-Golomb codes, for SPS made to order.
#[derive(Default)]
struct Bits(Vec<bool>);

impl Bits {
    fn u(&mut self, n: u32, v: u32) -> &mut Self {
        for i in (0..n).rev() {
            self.0.push((v >> i) & 1 == 1);
        }
        self
    }
    fn ue(&mut self, v: u32) -> &mut Self {
        let x = v + 1;
        let len = 32 - x.leading_zeros();
        self.u(len - 1, 0);
        self.u(len, x)
    }
    /// rbsp trailing bits, then emulation prevention, after a NAL header.
    fn nal(&mut self, header: u8) -> Vec<u8> {
        self.0.push(true);
        while self.0.len() % 8 != 0 {
            self.0.push(false);
        }
        let rbsp: Vec<u8> = self
            .0
            .chunks(8)
            .map(|c| c.iter().fold(0u8, |a, &b| (a << 1) | u8::from(b)))
            .collect();
        let mut out = vec![header];
        let mut zeros = 0;
        for b in rbsp {
            if zeros >= 2 && b <= 3 {
                out.push(3);
                zeros = 0;
            }
            zeros = if b == 0 { zeros + 1 } else { 0 };
            out.push(b);
        }
        out
    }
}

/// A Main-profile SPS for `w`x`h` (cropped from whole macroblocks), with a
/// VUI aspect_ratio_idc and, for idc 255, the explicit `sar`.
fn sps(w: u32, h: u32, aspect: Option<(u32, (u32, u32))>) -> Vec<u8> {
    let (mbs_w, mbs_h) = (w.div_ceil(16), h.div_ceil(16));
    let mut b = Bits::default();
    b.u(8, 77).u(8, 0).u(8, 30); // profile_idc, constraints, level_idc
    b.ue(0); // seq_parameter_set_id
    b.ue(0); // log2_max_frame_num_minus4
    b.ue(0).ue(0); // pic_order_cnt_type 0, log2_max_pic_order_cnt_lsb_minus4
    b.ue(1).u(1, 0); // max_num_ref_frames, gaps_in_frame_num_value_allowed_flag
    b.ue(mbs_w - 1).ue(mbs_h - 1);
    b.u(1, 1).u(1, 1); // frame_mbs_only_flag, direct_8x8_inference_flag
    let (crop_r, crop_b) = ((mbs_w * 16 - w) / 2, (mbs_h * 16 - h) / 2);
    if crop_r + crop_b > 0 {
        b.u(1, 1).ue(0).ue(crop_r).ue(0).ue(crop_b);
    } else {
        b.u(1, 0);
    }
    match aspect {
        None => {
            b.u(1, 0);
        }
        Some((idc, (sw, sh))) => {
            b.u(1, 1).u(1, 1).u(8, idc);
            if idc == 255 {
                b.u(16, sw).u(16, sh);
            }
            b.u(8, 0); // no overscan, signal type, chroma loc, timing, hrd, pic_struct, restriction
        }
    }
    b.nal(0x67)
}

fn avcc(sps: &[u8]) -> Vec<u8> {
    let pps = [0x68, 0xce, 0x3c, 0x80];
    let mut c = vec![1, sps[1], sps[2], sps[3], 0xff, 0xe1];
    c.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    c.extend_from_slice(sps);
    c.push(1);
    c.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    c.extend_from_slice(&pps);
    c
}

/// An avc1 sample entry of `w`x`h` with `pasp` set to `pasp`, or without one.
fn avc_entry(w: u16, h: u16, avcc: &[u8], pasp: Option<(u32, u32)>) -> Vec<u8> {
    let mut e = avc_sample_entry(b"avc1", w, h, avcc, 500_000);
    let at = e
        .windows(4)
        .position(|x| x == b"pasp")
        .expect("mux writes a pasp")
        - 4;
    match pasp {
        Some((hs, vs)) => {
            e[at + 8..at + 12].copy_from_slice(&hs.to_be_bytes());
            e[at + 12..at + 16].copy_from_slice(&vs.to_be_bytes());
        }
        None => {
            e.drain(at..at + 16);
            let len = e.len() as u32;
            e[..4].copy_from_slice(&len.to_be_bytes());
        }
    }
    e
}

/// A video track of 4 one-second segments of 25 fps, with `tkhd` sized
/// `display` (what the packager computed) and the given sample entry.
fn video_file(entry: Vec<u8>, display: (u16, u16)) -> Vec<u8> {
    let t = TrackConfig {
        track_id: 1,
        timescale: 12_800,
        handler: Handler::Video,
        language: "und".into(),
        sample_entry: entry,
        width: display.0,
        height: display.1,
        duration: 4 * 12_800,
        default_sample_duration: 512,
    };
    let mut file = init_segment(&t);
    let payload = [0x65u8; 200];
    for seg in 0..4u32 {
        let samples: Vec<Sample> = (0..25)
            .map(|i| Sample {
                data: &payload,
                duration: 512,
                sync: i == 0,
            })
            .collect();
        file.extend(media_segment(
            &t,
            seg + 1,
            u64::from(seg) * 12_800,
            &samples,
        ));
    }
    file
}

fn index(data: Vec<u8>, name: &str) -> Representation {
    let len = data.len() as u64;
    index_reader(Cursor::new(data), len, name).unwrap()
}

/// The `(width, height, sar)` of the one video representation, and the
/// AdaptationSet's `par`, as a VOD manifest writes them.
fn signalled(rep: Representation) -> (u32, u32, String, String) {
    let reps = [rep];
    let req = Request {
        mode: Mode::Vod,
        site_url: None,
        manifest_url: None,
        now_ms: 0,
        timing: None,
    };
    let def = registry::find("hand_made").unwrap();
    let ctx = manifest_context(
        "s",
        "s",
        &reps[0].id,
        &reps,
        def,
        &req,
        &ManifestOptions::default(),
    )
    .unwrap();
    let a = &ctx.periods[0].adaptation_sets[0];
    let r = &a.representations[0];
    (
        r.width.unwrap(),
        r.height.unwrap(),
        r.sar.unwrap().to_string(),
        a.par.as_ref().unwrap().to_string(),
    )
}

#[test]
fn size_comes_from_the_sample_entry_and_sar_from_pasp() {
    // ffmpeg's mp4 muxer with setsar=9/16: tkhd holds the display size,
    // 384 * 9/16 = 216, the sample entry the coded 384x90.
    let sps = sps(384, 90, None);
    let rep = index(
        video_file(avc_entry(384, 90, &avcc(&sps), Some((9, 16))), (216, 90)),
        "pasp.mp4",
    );
    // par = (384 * 9):(90 * 16) = 12:5 (ISO 23009-1 5.3.7), which is 216:90.
    assert_eq!(signalled(rep), (384, 90, "9:16".into(), "12:5".into()));
}

#[test]
fn sar_comes_from_the_sps_vui_without_pasp() {
    let explicit = sps(384, 90, Some((255, (9, 16))));
    let rep = index(
        video_file(avc_entry(384, 90, &avcc(&explicit), None), (216, 90)),
        "vui.mp4",
    );
    assert_eq!(signalled(rep), (384, 90, "9:16".into(), "12:5".into()));
    // aspect_ratio_idc 14 is 4:3 (H.264 Table E-1): anamorphic 1440x1080 HD.
    let table = sps(1440, 1080, Some((14, (0, 0))));
    let rep = index(
        video_file(avc_entry(1440, 1080, &avcc(&table), None), (1920, 1080)),
        "hdv.mp4",
    );
    assert_eq!(signalled(rep), (1440, 1080, "4:3".into(), "16:9".into()));
    // pasp wins over the VUI when both are there.
    let rep = index(
        video_file(
            avc_entry(1440, 1080, &avcc(&table), Some((1, 1))),
            (1440, 1080),
        ),
        "both.mp4",
    );
    assert_eq!(signalled(rep), (1440, 1080, "1:1".into(), "4:3".into()));
}

// ---------------------------------------------------------------------------
// Chunked CMAF: one styp, then a moof + mdat per chunk
// ---------------------------------------------------------------------------

const AAC_FRAME: u32 = 1024;

fn aac_track(timescale: u32, segment_ticks: u64, segments: u64) -> TrackConfig {
    TrackConfig {
        track_id: 1,
        timescale,
        handler: Handler::Audio,
        language: "eng".into(),
        sample_entry: dashlive::mp4::mux::aac_sample_entry(2, timescale, &[0x11, 0x90], 128_000),
        width: 0,
        height: 0,
        duration: segment_ticks * segments,
        default_sample_duration: AAC_FRAME,
    }
}

/// `segments` segments of `chunks` chunks of `frames` AAC frames each, as
/// `ffmpeg -f dash -ldash 1 -streaming 1` lays them out: a styp per segment,
/// then one moof + mdat per chunk, sequence numbers counting chunks.
fn chunked_aac(segments: u64, chunks: u64, frames: u64) -> Vec<u8> {
    let seg_ticks = chunks * frames * u64::from(AAC_FRAME);
    let t = aac_track(48_000, seg_ticks, segments);
    let mut file = init_segment(&t);
    let payload = [0x21u8; 50];
    let samples: Vec<Sample> = (0..frames)
        .map(|_| Sample {
            data: &payload,
            duration: AAC_FRAME,
            sync: true,
        })
        .collect();
    let mut seq = 1;
    for s in 0..segments {
        for c in 0..chunks {
            let at = s * seg_ticks + c * frames * u64::from(AAC_FRAME);
            let chunk = media_segment(&t, seq, at, &samples);
            // media_segment writes a 24-byte styp first: only a segment's first chunk keeps it.
            assert_eq!(&chunk[4..8], b"styp");
            file.extend_from_slice(if c == 0 { &chunk } else { &chunk[24..] });
            seq += 1;
        }
    }
    file
}

/// A config folder whose one stream `s` is the given media files, timed by
/// the first; built into `<dir>/out`.
fn build_stream(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, dashlive::index::TreeIndex) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("media")).unwrap();
    std::fs::create_dir_all(dir.path().join("streams")).unwrap();
    let mut yaml = String::from("directory: s\ntitle: S\nmedia:\n");
    for (name, data) in files {
        std::fs::write(dir.path().join("media").join(name), data).unwrap();
        yaml.push_str(&format!("  - ../media/{name}\n"));
    }
    let stem = files[0].0.trim_end_matches(".mp4");
    yaml.push_str(&format!("timing_ref: {stem}\n"));
    std::fs::write(dir.path().join("streams/s.yaml"), yaml).unwrap();
    let out = dir.path().join("out");
    dashlive::build::build(dir.path(), Some(&out)).unwrap();
    let index =
        serde_json::from_slice(&std::fs::read(out.join(".dashlive/index.json")).unwrap()).unwrap();
    (dir, index)
}

/// Each moof of a segment: (mfhd sequence number, every traf's tfdt, the
/// duration of its samples).
fn moofs(segment: &[u8], default_duration: u32) -> Vec<(u32, Vec<u64>, u64)> {
    use dashlive::mp4::boxes::{expect, Mfhd, Tfdt, Tfhd, Trun};
    let mut out = Vec::new();
    for b in dashlive::mp4::boxes(segment) {
        let b = b.unwrap();
        if b.typ() != b"moof" {
            continue;
        }
        let mfhd = expect(&b.child(b"mfhd").unwrap().unwrap(), Mfhd::parse).unwrap();
        let mut times = Vec::new();
        let mut duration = 0;
        for traf in b.children_of(b"traf").unwrap() {
            let tfdt = traf.child(b"tfdt").unwrap().unwrap();
            times.push(expect(&tfdt, Tfdt::parse).unwrap().base_media_decode_time);
            let tfhd = expect(&traf.child(b"tfhd").unwrap().unwrap(), Tfhd::parse).unwrap();
            let d = tfhd.default_sample_duration.unwrap_or(default_duration);
            for trun in traf.children_of(b"trun").unwrap() {
                duration += expect(&trun, Trun::parse).unwrap().duration(d);
            }
        }
        out.push((mfhd.sequence_number, times, duration));
    }
    out
}

/// The bytes the origin serves for live segment `number` of `rep`: the cut
/// file with its patch points applied and its end trimmed, as
/// `origin/src/live.rs` does it (a copy of the head up to
/// [`PatchPoints::extent`], patched, then the rest).
fn live_segment(
    out: &std::path::Path,
    rep: &dashlive::index::RepresentationIndex,
    map: &dashlive::mpd::live::LoopMap,
    number: u64,
) -> Vec<u8> {
    let seg = map.by_number(number).unwrap();
    let file = &rep.segments[seg.index];
    let bytes = std::fs::read(out.join(&file.path)).unwrap();
    let head_len = file.patch.extent().min(bytes.len());
    let mut head = bytes[..head_len].to_vec();
    file.patch.apply(&mut head, number as u32, seg.time_shift);
    file.patch.trim(&mut head, seg.trim);
    head.extend_from_slice(&bytes[head_len..]);
    head
}

#[test]
fn every_chunk_of_a_chunked_segment_is_shifted_live() {
    let (dir, index) = build_stream(&[("chunked.mp4", chunked_aac(3, 4, 5))]);
    let out = dir.path().join("out");
    let rep = &index.streams[0].representations[0];
    assert_eq!(rep.segments.len(), 3, "a segment per styp, not per moof");
    // The cut keeps the chunk boundaries: four moofs a segment.
    let cut = std::fs::read(out.join(&rep.segments[1].path)).unwrap();
    assert_eq!(moofs(&cut, AAC_FRAME).len(), 4);
    // Every moof's mfhd and tfdt is a patch point.
    assert_eq!(rep.segments[1].patch.sequence_number.len(), 4);
    assert_eq!(rep.segments[1].patch.decode_time.len(), 4);

    let map = dashlive::mpd::live::LoopMap::new(&rep.representation, &rep.representation).unwrap();
    // Segments 1 to 7: across the boundaries of loops 0/1 (after 3) and 1/2 (after 6).
    let mut next = None;
    for number in 1..=7u64 {
        let seg = live_segment(&out, rep, &map, number);
        let chunks = moofs(&seg, AAC_FRAME);
        assert_eq!(chunks.len(), 4, "segment {number}");
        for (seq, times, duration) in chunks {
            assert_eq!(
                seq, number as u32,
                "segment {number}: every mfhd is the number"
            );
            let t = times[0];
            if let Some(expected) = next {
                assert_eq!(t, expected, "segment {number}: decode times continue");
            }
            next = Some(t + duration);
        }
    }
    assert_eq!(next, Some(7 * 4 * 5 * u64::from(AAC_FRAME)));
}

/// `segments` one-second video segments of 25 frames, each written as
/// `chunks` moofs of `25 / chunks` frames without a `styp`, as `ffmpeg -f
/// mp4 -movflags empty_moov+default_base_moof -frag_duration` writes them:
/// only a segment's first moof starts with a sync sample.
fn fragmented_by_duration(segments: u32, chunks: u32) -> Vec<u8> {
    let sar = avc_entry(320, 180, &avcc(&sps(320, 180, None)), None);
    let mut t = TrackConfig {
        track_id: 1,
        timescale: 12_800,
        handler: Handler::Video,
        language: "und".into(),
        sample_entry: sar,
        width: 320,
        height: 180,
        duration: u64::from(segments) * 12_800,
        default_sample_duration: 512,
    };
    let mut file = init_segment(&t);
    t.duration = 0;
    let payload = [0x65u8; 100];
    let per = 25 / chunks;
    let mut seq = 1;
    for seg in 0..segments {
        for c in 0..chunks {
            let samples: Vec<Sample> = (0..per)
                .map(|i| Sample {
                    data: &payload,
                    duration: 512,
                    sync: c == 0 && i == 0,
                })
                .collect();
            let at = u64::from(seg) * 12_800 + u64::from(c * per) * 512;
            let chunk = media_segment(&t, seq, at, &samples);
            assert_eq!(&chunk[4..8], b"styp");
            file.extend_from_slice(&chunk[24..]); // the mp4 muxer writes no styp
            seq += 1;
        }
    }
    file
}

#[test]
fn fragments_that_do_not_start_with_a_sync_sample_are_chunks_of_a_segment() {
    let rep = index(fragmented_by_duration(4, 5), "fd.mp4");
    // Four segments, each starting at a key frame: not 20, 16 of them
    // starting mid-GOP (what the indexer made before).
    assert_eq!(
        rep.segments.len(),
        1 + 4,
        "init and a segment per key frame"
    );
    for (i, s) in rep.segments[1..].iter().enumerate() {
        assert_eq!((s.decode_time, s.duration), (i as u64 * 12_800, 12_800));
    }
    assert_eq!(rep.media_duration, 4 * 12_800);

    // Built and served live, every moof of a segment is shifted alike.
    let (dir, index) = build_stream(&[("fd.mp4", fragmented_by_duration(4, 5))]);
    let out = dir.path().join("out");
    let rep = &index.streams[0].representations[0];
    assert_eq!(rep.segments.len(), 4);
    assert_eq!(rep.segments[0].patch.decode_time.len(), 5);
    let map = dashlive::mpd::live::LoopMap::new(&rep.representation, &rep.representation).unwrap();
    let mut next = None;
    for number in 1..=9u64 {
        let chunks = moofs(&live_segment(&out, rep, &map, number), 512);
        assert_eq!(chunks.len(), 5, "segment {number}");
        for (seq, times, duration) in chunks {
            assert_eq!(seq, number as u32);
            if let Some(expected) = next {
                assert_eq!(
                    times[0], expected,
                    "segment {number}: decode times continue"
                );
            }
            next = Some(times[0] + duration);
        }
    }
}

/// A version-0 `sidx` of `refs` references (sizes and durations left 0:
/// the indexer reads only how many there are).
fn sidx(refs: u16) -> Vec<u8> {
    let mut p = vec![0u8; 4]; // version 0, flags
    p.extend_from_slice(&1u32.to_be_bytes()); // reference_ID
    p.extend_from_slice(&12_800u32.to_be_bytes());
    p.extend_from_slice(&[0; 8]); // earliest_presentation_time, first_offset
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(&refs.to_be_bytes());
    for _ in 0..refs {
        p.extend_from_slice(&[0; 12]);
    }
    dashlive::mp4::mux::bx(b"sidx", &p)
}

/// `fragmented_by_duration(4, 1)`'s init segment and its moofs, with
/// `before(i)` inserted before moof `i`.
fn with_boxes_before_moofs(before: impl Fn(usize) -> Vec<u8>) -> (Vec<u8>, usize) {
    let file = fragmented_by_duration(4, 1);
    let rep = index(file.clone(), "plain.mp4");
    let init = rep.segments[0].size as usize;
    let mut out = file[..init].to_vec();
    for (i, s) in rep.segments[1..].iter().enumerate() {
        out.extend(before(i));
        out.extend_from_slice(&file[s.offset as usize..(s.offset + s.size) as usize]);
    }
    (out, init)
}

#[test]
fn a_global_sidx_is_neither_init_nor_segment_and_a_segment_sidx_starts_its_segment() {
    // ffmpeg -movflags ...+global_sidx: ftyp moov sidx(4 references) moof mdat ...
    let (file, init) = with_boxes_before_moofs(|i| if i == 0 { sidx(4) } else { vec![] });
    let rep = index(file, "global.mp4");
    assert_eq!(
        rep.segments[0].size as usize, init,
        "the init segment is ftyp + moov"
    );
    let first = rep.segments[1];
    assert_eq!(
        first.offset as usize,
        init + sidx(4).len(),
        "segment 1 starts at its moof"
    );
    assert_eq!(rep.segments.len(), 5);

    // ffmpeg -f dash -single_file 1 and -movflags +dash: sidx(1) moof mdat, per segment.
    let (file, init) = with_boxes_before_moofs(|_| sidx(1));
    let rep = index(file.clone(), "per-segment.mp4");
    assert_eq!(rep.segments[0].size as usize, init);
    for s in &rep.segments[1..] {
        assert_eq!(&file[s.offset as usize + 4..s.offset as usize + 8], b"sidx");
    }
    assert_eq!(rep.segments.len(), 5);
}

// ---------------------------------------------------------------------------
// Audio beside video: segments that start a few ms after $Number$'s boundary
// ---------------------------------------------------------------------------

/// An AAC track at `rate` whose segment `i` holds `frames[i]` frames.
fn aac_file(rate: u32, frames: &[u64]) -> Vec<u8> {
    let total: u64 = frames.iter().sum::<u64>() * u64::from(AAC_FRAME);
    let t = aac_track(rate, total / frames.len() as u64, frames.len() as u64);
    let mut file = init_segment(&t);
    let payload = [0x21u8; 20];
    let mut at = 0;
    for (i, &n) in frames.iter().enumerate() {
        let samples: Vec<Sample> = (0..n)
            .map(|_| Sample {
                data: &payload,
                duration: AAC_FRAME,
                sync: true,
            })
            .collect();
        file.extend(media_segment(&t, i as u32 + 1, at, &samples));
        at += n * u64::from(AAC_FRAME);
    }
    file
}

fn live_timing(now_ms: i64) -> dashlive::mpd::live::LiveTiming {
    let o = dashlive::options::Options::parse_query(
        "start=2024-01-01T00:00:00Z",
        dashlive::options::Mode::Live,
    )
    .unwrap()
    .0;
    dashlive::mpd::live::LiveTiming::new(&o, now_ms, false, 4000).unwrap()
}

#[test]
fn the_segment_the_manifest_says_is_in_progress_is_held_not_refused() {
    // 12 s of video in 4 s segments; AAC at 48 kHz in segments of 188, 188
    // and 187 frames: the second starts 512 ticks (10.7 ms) after the
    // $Number$ boundary at 4 s, and is the longest segment.
    let video = index(
        video_file(
            avc_entry(320, 180, &avcc(&sps(320, 180, None)), None),
            (320, 180),
        ),
        "v.mp4",
    );
    let video = Representation {
        segments: {
            // Three 4 s segments: re-time the four 1 s ones of video_file.
            let mut s = video.segments.clone();
            s.truncate(4);
            for (i, seg) in s.iter_mut().skip(1).enumerate() {
                seg.duration = 4 * 12_800;
                seg.decode_time = i as u64 * 4 * 12_800;
            }
            s
        },
        media_duration: 12 * 12_800,
        ..video
    };
    let audio = index(aac_file(48_000, &[188, 188, 187]), "a.mp4");
    let map = dashlive::mpd::live::LoopMap::new(&audio, &video).unwrap();
    assert_eq!(
        (map.number.timescale, map.number.duration),
        (48_000, 192_000),
        "the template says 4 s a segment"
    );
    let start_ms = dashlive::mpd::live::parse_datetime_ms("2024-01-01T00:00:00Z").unwrap();
    // For numbers across three loops, and clocks from just after the
    // template's start of that number to just before its end: the segment
    // the manifest says is being produced is either there or held until it is.
    for number in 1..=10u64 {
        let nominal_ms = (number as i64 - 1) * 4000;
        for into in [1, 5, 11, 2000, 3999] {
            let t = live_timing(start_ms + nominal_ms + into);
            let seg = map.by_number(number).unwrap();
            let available = map.available(&t, seg.start, seg.duration);
            let hold = map.ms_until_complete(&t, &seg);
            assert!(
                available || hold.is_some(),
                "number {number}, {into} ms after its template start: 404 at once"
            );
            if let Some(ms) = hold {
                // Held until its last sample, and no longer.
                let end = seg.start + seg.duration;
                let end_ms = (end * 1000).div_ceil(48_000) as i64;
                assert_eq!(
                    ms,
                    end_ms - (nominal_ms + into),
                    "number {number}, +{into} ms"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Tracks of different lengths: audio longer than the timing reference
// ---------------------------------------------------------------------------

#[test]
fn catalog_check_warns_of_audio_that_overlaps_the_next_loop() {
    // 4 s of video; 4 AAC segments of 47 frames at 48 kHz: 192,512 ticks,
    // 512 (10.7 ms) more than the loop.
    let video = video_file(
        avc_entry(320, 180, &avcc(&sps(320, 180, None)), None),
        (320, 180),
    );
    let audio = aac_file(48_000, &[47, 47, 47, 47]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("media")).unwrap();
    std::fs::create_dir_all(dir.path().join("streams")).unwrap();
    std::fs::write(dir.path().join("media/v.mp4"), video).unwrap();
    std::fs::write(dir.path().join("media/a.mp4"), audio).unwrap();
    std::fs::write(
        dir.path().join("streams/s.yaml"),
        "directory: s\ntitle: S\nmedia:\n  - ../media/v.mp4\n  - ../media/a.mp4\ntiming_ref: v\n",
    )
    .unwrap();
    let indexed = dashlive::catalog::Catalog::load(dir.path())
        .unwrap()
        .index()
        .unwrap();
    let warnings = indexed[0].warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    for figure in [
        "a",
        "10.667 ms",
        "512 ticks at 48000 Hz",
        "timing reference v",
    ] {
        assert!(warnings[0].contains(figure), "{figure}: {}", warnings[0]);
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dashlive"))
        .args(["catalog", "check", "--config"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "a warning, not an error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&warnings[0]), "{err}");
}

/// Every sample duration of a segment, moof by moof, in decode order.
fn sample_durations(segment: &[u8], default_duration: u32) -> Vec<u64> {
    use dashlive::mp4::boxes::{expect, Tfhd, Trun};
    let mut out = Vec::new();
    for b in dashlive::mp4::boxes(segment) {
        let b = b.unwrap();
        if b.typ() != b"moof" {
            continue;
        }
        for traf in b.children_of(b"traf").unwrap() {
            let tfhd = expect(&traf.child(b"tfhd").unwrap().unwrap(), Tfhd::parse).unwrap();
            let d = tfhd.default_sample_duration.unwrap_or(default_duration);
            for trun in traf.children_of(b"trun").unwrap() {
                let trun = expect(&trun, Trun::parse).unwrap();
                if trun.samples.is_empty() {
                    out.extend((0..trun.sample_count).map(|_| u64::from(d)));
                } else {
                    out.extend(
                        trun.samples
                            .iter()
                            .map(|s| u64::from(s.duration.unwrap_or(d))),
                    );
                }
            }
        }
    }
    out
}

#[test]
fn audio_longer_than_its_video_is_trimmed_at_each_loop_boundary_live() {
    // 4 s of video at 12.8 kHz; AAC at 48 kHz in 4 segments of 47, 47, 47
    // and 48 frames: 193,536 ticks, 1,536 (1.5 frames) more than the loop,
    // so the trim takes the last frame to 0 and the one before it by 512.
    trimmed_at_each_loop_boundary(aac_file(48_000, &[47, 47, 47, 48]));
}

#[test]
fn audio_with_an_edit_list_is_trimmed_at_each_loop_boundary_live() {
    // The edit list moves where the presentation starts, not the loop: the
    // media still runs 1,536 ticks past the video.
    trimmed_at_each_loop_boundary(with_edit_list(&aac_file(48_000, &[47, 47, 47, 48]), 1024));
}

fn trimmed_at_each_loop_boundary(audio_src: Vec<u8>) {
    let video = video_file(
        avc_entry(320, 180, &avcc(&sps(320, 180, None)), None),
        (320, 180),
    );
    let (dir, index) = build_stream(&[("v.mp4", video), ("a.mp4", audio_src.clone())]);
    let out = dir.path().join("out");
    let reps = &index.streams[0].representations;
    let (v, a) = (&reps[0], &reps[1]);
    assert_eq!(a.representation.id, "a");
    let map = dashlive::mpd::live::LoopMap::new(&a.representation, &v.representation).unwrap();
    assert_eq!(map.overrun(), 1_536);

    // Live, across the boundaries of loops 0/1 and 1/2: decode times never
    // go backwards and each segment ends where the next starts.
    let mut next: Option<u64> = None;
    for number in 1..=10u64 {
        let seg = live_segment(&out, a, &map, number);
        let chunks = moofs(&seg, AAC_FRAME);
        assert_eq!(chunks.len(), 1);
        let (seq, times, _) = &chunks[0];
        assert_eq!(*seq, number as u32);
        let durations = sample_durations(&seg, AAC_FRAME);
        if let Some(expected) = next {
            assert_eq!(
                times[0], expected,
                "segment {number}: decode times continue"
            );
        }
        next = Some(times[0] + durations.iter().sum::<u64>());
        let live = map.by_number(number).unwrap();
        assert_eq!(
            next,
            Some(live.start + live.duration + map.media_start),
            "segment {number} ends where the manifest says"
        );
        if live.index == 3 {
            let n = durations.len();
            assert_eq!(&durations[n - 2..], &[512, 0], "segment {number}");
        }
    }

    // VOD: the segments' timing is the source's, sample by sample.
    let src = index_reader(
        Cursor::new(audio_src.clone()),
        audio_src.len() as u64,
        "a.mp4",
    )
    .unwrap();
    for (file, s) in a.segments.iter().zip(src.media_segments()) {
        let vod = std::fs::read(out.join(&file.path)).unwrap();
        let original = &audio_src[s.offset as usize..(s.offset + s.size) as usize];
        assert_eq!(
            sample_durations(&vod, AAC_FRAME),
            sample_durations(original, AAC_FRAME)
        );
        assert_eq!(moofs(&vod, AAC_FRAME)[0].1, moofs(original, AAC_FRAME)[0].1);
    }
    // Only the last segment changes form (explicit durations); the others,
    // and every video segment, are cut exactly as before.
    for (rep, src) in [(a, audio_src.clone())] {
        let parsed = index_reader(Cursor::new(src.clone()), src.len() as u64, "x.mp4").unwrap();
        for (file, s) in rep.segments[..3].iter().zip(parsed.media_segments()) {
            let vod = std::fs::read(out.join(&file.path)).unwrap();
            let original = &src[s.offset as usize..(s.offset + s.size) as usize];
            assert_eq!(vod, dashlive::build::cut::cut_segment(original).unwrap());
        }
    }
}

// ---------------------------------------------------------------------------
// On-demand files of sources with absolute tfhd base data offsets
// ---------------------------------------------------------------------------

/// `file` as ffmpeg's `-movflags frag_keyframe+empty_moov` lays it out:
/// every tfhd with an absolute base data offset (the moof's place in the
/// file), not default-base-is-moof.
fn with_absolute_base_offsets(file: &[u8]) -> Vec<u8> {
    use dashlive::mp4::boxes::tfhd_flags::{BASE_DATA_OFFSET, DEFAULT_BASE_IS_MOOF};
    use dashlive::mp4::edit::{rewrite_moof, Content};
    let mut out = Vec::new();
    for b in dashlive::mp4::boxes(file) {
        let b = b.unwrap();
        if b.typ() != b"moof" {
            out.extend_from_slice(b.data);
            continue;
        }
        let base = out.len() as u64;
        out.extend(
            rewrite_moof(b.data, 0, |m| {
                let tfhd = m.child_mut(b"traf").unwrap().child_mut(b"tfhd").unwrap();
                let mut p = tfhd.leaf_payload().unwrap().to_vec();
                let flags = u32::from_be_bytes([0, p[1], p[2], p[3]]);
                let flags = (flags | BASE_DATA_OFFSET) & !DEFAULT_BASE_IS_MOOF;
                p[1..4].copy_from_slice(&flags.to_be_bytes()[1..]);
                p.splice(8..8, base.to_be_bytes());
                tfhd.content = Content::Leaf(p);
                Ok(())
            })
            .unwrap(),
        );
    }
    out
}

#[test]
fn on_demand_ranges_of_a_file_with_absolute_offsets_are_playable_segments() {
    use dashlive::mp4::boxes::{expect, Tfhd};
    let file = with_absolute_base_offsets(&aac_file(48_000, &[94, 94, 93, 94]));
    let (dir, index) = build_stream(&[("a.mp4", file)]);
    let out = dir.path().join("out");
    let rep = &index.streams[0].representations[0];
    let od = std::fs::read(out.join(&rep.on_demand)).unwrap();
    let ranges = &rep.representation.segments;
    let init = &ranges[0];
    assert_eq!(init.offset, 0);
    assert_eq!(
        od[..init.size as usize],
        std::fs::read(out.join(&rep.init)).unwrap()[..],
        "the initialization range is the init segment"
    );
    for (range, cut) in ranges[1..].iter().zip(&rep.segments) {
        let bytes = &od[range.offset as usize..(range.offset + range.size) as usize];
        // What a player fetching the range gets is the vod segment, whose
        // offsets are relative to its moof.
        assert_eq!(bytes, std::fs::read(out.join(&cut.path)).unwrap());
        let moof = dashlive::mp4::boxes(bytes)
            .map(|b| b.unwrap())
            .find(|b| b.typ() == b"moof")
            .unwrap();
        let tfhd = moof
            .child(b"traf")
            .unwrap()
            .unwrap()
            .child(b"tfhd")
            .unwrap()
            .unwrap();
        assert_eq!(expect(&tfhd, Tfhd::parse).unwrap().base_data_offset, None);
    }
    // The on-demand manifest the build wrote names those ranges.
    let mpd = std::fs::read_to_string(out.join("dash/odvod/s/hand_made.mpd")).unwrap();
    for range in &ranges[1..] {
        let want = format!(
            "mediaRange=\"{}-{}\"",
            range.offset,
            range.offset + range.size - 1
        );
        assert!(mpd.contains(&want), "{want} not in {mpd}");
    }
}

// ---------------------------------------------------------------------------
// Edit lists: the presentation starts where the elst says
// ---------------------------------------------------------------------------

/// `file` with an edit list on its track: one edit from `media_time`.
fn with_edit_list(file: &[u8], media_time: i32) -> Vec<u8> {
    use dashlive::mp4::edit::{Content, Node};
    let mut out = Vec::new();
    for b in dashlive::mp4::boxes(file) {
        let b = b.unwrap();
        if b.typ() != b"moov" {
            out.extend_from_slice(b.data);
            continue;
        }
        let mut moov = Node::from_box(&b).unwrap();
        let mut elst = vec![0u8; 4]; // version 0, flags 0
        elst.extend(1u32.to_be_bytes());
        elst.extend(0u32.to_be_bytes()); // segment_duration: the rest
        elst.extend(media_time.to_be_bytes());
        elst.extend(0x0001_0000u32.to_be_bytes()); // media_rate 1.0
        let leaf = |typ: &[u8; 4], content| Node {
            typ: dashlive::mp4::FourCC(*typ),
            uuid: None,
            content,
            large: false,
        };
        let edts = leaf(
            b"edts",
            Content::Container {
                prefix: Vec::new(),
                children: vec![leaf(b"elst", Content::Leaf(elst))],
            },
        );
        let trak = moov.child_mut(b"trak").unwrap();
        // After tkhd, where ISO/IEC 14496-12 puts it.
        trak.children_mut().unwrap().insert(1, edts);
        out.extend(moov.to_bytes());
    }
    out
}

#[test]
fn an_edit_list_moves_the_presentation_time_offset() {
    // ffmpeg's aac: 1024 priming samples, skipped by the dash muxer's elst
    // (as libx264's B-frame delay is on video).
    let plain = aac_file(48_000, &[94, 94, 93, 94]);
    assert_eq!(index(plain.clone(), "a.mp4").edit_offset, 0);
    let edited = index(with_edit_list(&plain, 1024), "a.mp4");
    assert_eq!(edited.edit_offset, 1024);
    // An empty edit first (a delay) is skipped; its media_time is -1.
    assert_eq!(index(with_edit_list(&plain, -1), "a.mp4").edit_offset, 0);

    let (dir, _) = build_stream(&[("a.mp4", with_edit_list(&plain, 1024))]);
    let mpd = std::fs::read_to_string(dir.path().join("out/dash/vod/s/hand_made.mpd")).unwrap();
    assert!(
        mpd.contains("presentationTimeOffset=\"1024\""),
        "the first presented sample is at period time 0: {mpd}"
    );
}
