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
        video_file(avc_entry(1440, 1080, &avcc(&table), Some((1, 1))), (1440, 1080)),
        "both.mp4",
    );
    assert_eq!(signalled(rep), (1440, 1080, "1:1".into(), "4:3".into()));
}
