//! `dashlive synth`: small test cards generated on the fly are deterministic,
//! loop exactly, index as expected, and decode (with ffmpeg, where present)
//! with the burnt-in counter and the beeps where they should be.

mod common;

use std::path::Path;
use std::process::Command;

use dashlive::media::synth::raster::{draw, Card, Frame, Layout};
use dashlive::media::synth::{parse_ladder, synth, SynthOptions};
use dashlive::media::{index_file, Representation};

const FILES: [&str; 6] = [
    "tc_180p.mp4",
    "tc_90p.mp4",
    "tc_aac.mp4",
    "tc_ttml.mp4",
    "tc_vtt.mp4",
    "tc.yaml",
];

fn small(out: &Path) -> SynthOptions {
    let mut o = SynthOptions::new(out.to_path_buf());
    o.duration_ms = 2880; // 3 segments of 0.96 s: 24 frames and 45 AAC frames each
    o.segment_ms = 960;
    o.ladder = parse_ladder("320x180@300k,160x90@100k").unwrap();
    o.prefix = "tc".into();
    o
}

fn generate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    synth(&small(dir.path())).unwrap();
    dir
}

#[test]
fn the_same_arguments_give_byte_identical_files() {
    let (a, b) = (generate(), generate());
    for f in FILES {
        let x = std::fs::read(a.path().join(f)).unwrap();
        let y = std::fs::read(b.path().join(f)).unwrap();
        assert!(x == y, "{f} differs between two runs");
    }
}

#[test]
fn every_track_loops_exactly_and_indexes_as_expected() {
    let dir = generate();
    let reps: Vec<Representation> = FILES[..5]
        .iter()
        .map(|f| index_file(&dir.path().join(f)).unwrap())
        .collect();
    let codecs: Vec<&str> = reps.iter().map(|r| r.codecs.as_str()).collect();
    assert!(
        codecs[0].starts_with("avc1.64"),
        "High profile: {}",
        codecs[0]
    );
    assert_eq!(&codecs[2..], ["mp4a.40.2", "stpp.ttml.im1t", "wvtt"]);
    for r in &reps {
        assert_eq!(r.media_segments().len(), 3, "{}", r.id);
        // Every track lasts exactly 2.88 s and every segment exactly 0.96 s.
        assert_eq!(
            r.media_duration * 1000,
            2880 * u64::from(r.timescale),
            "{}",
            r.id
        );
        for s in r.media_segments() {
            assert_eq!(s.duration * 1000, 960 * u64::from(r.timescale), "{}", r.id);
        }
    }
    assert_eq!((reps[0].width, reps[0].height), (Some(320), Some(180)));
    assert_eq!(reps[0].frame_rate.unwrap().to_string(), "25");
    assert_eq!(
        (reps[2].sample_rate, reps[2].channels),
        (Some(48_000), Some(2))
    );
    assert_eq!(reps[3].language, "eng");
    let yaml = std::fs::read_to_string(dir.path().join("tc.yaml")).unwrap();
    assert!(
        yaml.contains("timing_ref: tc_180p") && yaml.contains("- tc_vtt.mp4"),
        "{yaml}"
    );
}

#[test]
fn timing_that_cannot_loop_is_refused_by_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dashlive"))
        .args(["synth", "--out"])
        .arg(dir.path())
        .args(["--segment", "4", "--duration", "8"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("try 3.84 s or 4.16 s"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

fn ffmpeg_raw(file: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "warning", "-i"])
        .arg(file)
        .args(args)
        .arg("-")
        .output()
        .unwrap();
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && warnings.trim().is_empty(),
        "{}: {warnings}",
        file.display()
    );
    out.stdout
}

#[test]
fn ffmpeg_decodes_the_counter_and_the_beeps_line_up_with_the_flashes() {
    if !common::have_ffmpeg("ffmpeg_decodes_the_counter") {
        return;
    }
    let dir = generate();
    let (w, h) = (320usize, 180usize);
    // yuv420p, not gray: gray would rescale limited-range luma to full range.
    let yuv = ffmpeg_raw(
        &dir.path().join("tc_180p.mp4"),
        &["-f", "rawvideo", "-pix_fmt", "yuv420p"],
    );
    let frame_len = w * h * 3 / 2;
    assert_eq!(yuv.len(), frame_len * 72, "72 frames decoded");
    let luma: Vec<u8> = yuv
        .chunks_exact(frame_len)
        .flat_map(|f| f[..w * h].to_vec())
        .collect();
    let l = Layout::for_size(w, h);
    let region = |y: &[u8], top: usize| -> Vec<u8> { y[top * w..(top + 7 * l.scale) * w].to_vec() };
    // The decoded counter line matches the raster of the same frame, and not
    // that of the next one: frame numbers survive encoding.
    for n in [0u64, 1, 30, 71] {
        let decoded = &luma[n as usize * w * h..(n as usize + 1) * w * h];
        let raster = |k: u64| {
            let mut f = Frame::new(w, h);
            draw(
                &mut f,
                &Card {
                    frame_number: k,
                    fps: 25,
                    frames_per_segment: 24,
                    label: "320X180 300KBPS",
                },
            );
            f.y
        };
        let diff = |k: u64| -> f64 {
            let (a, b) = (
                region(decoded, l.counter_y),
                region(&raster(k), l.counter_y),
            );
            a.iter()
                .zip(&b)
                .map(|(x, y)| f64::from(x.abs_diff(*y)))
                .sum::<f64>()
                / a.len() as f64
        };
        assert!(
            diff(n) < 6.0,
            "frame {n}: counter differs from its raster by {}",
            diff(n)
        );
        let best = (n.saturating_sub(3)..=n + 3)
            .min_by(|a, b| diff(*a).total_cmp(&diff(*b)))
            .unwrap();
        assert_eq!(
            best, n,
            "frame {n}: the decoded counter reads as frame {best}"
        );
    }
    // Flash frames: the first of each second.
    let mean = |n: usize| {
        luma[n * w * h..(n + 1) * w * h]
            .iter()
            .map(|&v| f64::from(v))
            .sum::<f64>()
            / (w * h) as f64
    };
    let flashes: Vec<usize> = (0..72).filter(|&n| mean(n) > 150.0).collect();
    assert_eq!(flashes, [0, 25, 50]);
    // Beep onsets from the decoded audio, in samples at 48 kHz.
    let pcm = ffmpeg_raw(&dir.path().join("tc_aac.mp4"), &["-f", "s16le", "-ac", "1"]);
    let samples: Vec<i16> = pcm
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(samples.len(), 2880 * 48, "2.88 s of audio");
    let mut onsets = Vec::new();
    let mut quiet = 0;
    for (i, s) in samples.iter().enumerate() {
        if s.unsigned_abs() > 1000 {
            if quiet > 4800 || onsets.is_empty() && i < 4800 {
                onsets.push(i);
            }
            quiet = 0;
        } else {
            quiet += 1;
        }
    }
    // A decoder starting at the first frame mutes its first 2048 samples
    // while it primes, so beep 0 is heard from there on; later beeps start
    // with their flash.
    assert!(onsets.len() == 3 && onsets[0] <= 2048, "{onsets:?}");
    for (k, &at) in onsets.iter().enumerate().skip(1) {
        let flash_at = flashes[k] * 48_000 / 25;
        // Within 2 ms: the 5 ms fade-in crosses the threshold a little late.
        assert!(
            at.abs_diff(flash_at) < 96,
            "beep {k} at sample {at}, flash at {flash_at}: {onsets:?}"
        );
    }
}

#[test]
fn audio_loops_without_a_seam() {
    if !common::have_ffmpeg("audio_loops_without_a_seam") {
        return;
    }
    // Play the loop twice, as the live origin will: the second pass is the
    // same segments with decode times moved by the loop length.
    let dir = generate();
    let path = dir.path().join("tc_aac.mp4");
    let rep = index_file(&path).unwrap();
    let data = std::fs::read(&path).unwrap();
    let init = &data[..rep.segments[0].size as usize];
    let mut twice = init.to_vec();
    for pass in 0..2u64 {
        for (i, s) in rep.media_segments().iter().enumerate() {
            let mut seg = data[s.offset as usize..(s.offset + s.size) as usize].to_vec();
            let points = dashlive::mp4::patch::find_patch_points(&seg).unwrap();
            let number = (pass as usize * rep.media_segments().len() + i + 1) as u32;
            points.apply(&mut seg, number, pass * rep.media_duration);
            twice.extend_from_slice(&seg);
        }
    }
    let looped = dir.path().join("twice.mp4");
    std::fs::write(&looped, &twice).unwrap();
    let pcm = ffmpeg_raw(&looped, &["-f", "s16le", "-ac", "1"]);
    let samples: Vec<i16> = pcm
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(samples.len(), 2 * 2880 * 48);
    // The beep at the start of the second pass is whole: silent just before
    // the loop point, at full level within 6 ms of it, and as loud as the
    // beep one second later.
    let at = 2880 * 48;
    let peak = |from: usize, to: usize| {
        samples[from..to]
            .iter()
            .map(|s| s.unsigned_abs())
            .max()
            .unwrap()
    };
    assert!(peak(at - 960, at - 10) < 300, "noise before the loop point");
    let wrapped = peak(at + 300, at + 4800);
    let next = peak(at + 48_000 + 300, at + 48_000 + 4800);
    assert!(
        wrapped > 7000 && wrapped.abs_diff(next) < 800,
        "{wrapped} vs {next}"
    );
}
