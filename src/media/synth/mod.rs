//! `dashlive synth`: rights-free test-card content made in-process. Video
//! (H.264 ladder), audio (AAC-LC with a beep a second), and subtitles (stpp
//! and wvtt), each a fragmented MP4 of one track whose every duration loops
//! exactly, plus a catalog entry naming them.

pub mod audio;
pub mod demo;
pub mod font;
pub mod h264;
pub mod raster;
pub mod text;
pub mod video;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::mp4::mux::{
    aac_sample_entry, avc_sample_entry, init_segment, media_segment, stpp_sample_entry,
    wvtt_sample_entry, Handler, Sample, TrackConfig,
};
pub use video::Rung;

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{0}")]
    Timing(String),
    #[error("{0}")]
    Argument(String),
    #[error("encoder: {0}")]
    Encoder(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    pub out: PathBuf,
    /// Total length in milliseconds: a whole number of segments.
    pub duration_ms: u64,
    pub segment_ms: u64,
    pub ladder: Vec<Rung>,
    pub fps: u32,
    /// File name prefix and the catalog directory name.
    pub prefix: String,
    pub audio_bitrate: u32,
}

pub const DEFAULT_LADDER: &str = "1280x720@3000k,960x540@1500k,640x360@800k";
pub const DEFAULT_DURATION: &str = "61.44";
pub const DEFAULT_SEGMENT: &str = "3.84";

impl SynthOptions {
    pub fn new(out: PathBuf) -> SynthOptions {
        SynthOptions {
            out,
            duration_ms: 61_440,
            segment_ms: 3_840,
            ladder: parse_ladder(DEFAULT_LADDER).unwrap_or_default(),
            fps: 25,
            prefix: "testcard".into(),
            audio_bitrate: 128_000,
        }
    }
}

pub fn parse_ladder(s: &str) -> Result<Vec<Rung>, String> {
    let rungs = s
        .split(',')
        .filter(|r| !r.trim().is_empty())
        .map(Rung::parse)
        .collect::<Result<Vec<_>, _>>()?;
    if rungs.is_empty() {
        return Err("the ladder is empty".into());
    }
    Ok(rungs)
}

/// Seconds with at most millisecond precision ("3.84") to milliseconds.
pub fn parse_seconds(s: &str) -> Result<u64, String> {
    let err = || format!("{s:?} is not a duration in seconds such as 3.84");
    let (whole, frac) = s.trim().split_once('.').unwrap_or((s.trim(), ""));
    if whole.is_empty() && frac.is_empty() {
        return Err(err());
    }
    if frac.len() > 3 {
        return Err(format!("{s:?}: durations are taken to the millisecond"));
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| err())?
    };
    let frac_ms: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}").parse().map_err(|_| err())?
    };
    whole
        .checked_mul(1000)
        .and_then(|w| w.checked_add(frac_ms))
        .ok_or_else(err)
}

fn gcd(a: u64, b: u64) -> u64 {
    crate::media::representation::gcd(a, b)
}

fn secs(ms: u64) -> String {
    let s = format!("{}.{:03}", ms / 1000, ms % 1000);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The shortest length, in ms, that holds whole video frames and whole AAC
/// frames: every valid segment is a multiple of it.
pub fn loop_quantum_ms(fps: u32) -> u64 {
    let frame = 1000 / gcd(1000, u64::from(fps));
    // An AAC frame is 1024 samples at 48 kHz = 64/3 ms: a whole number of
    // milliseconds holds whole AAC frames exactly when it is a multiple of 64.
    let aac = 64;
    frame / gcd(frame, aac) * aac
}

/// Checks that the timing loops exactly; the error says what would.
pub fn check_timing(o: &SynthOptions) -> Result<(u64, u64), SynthError> {
    if o.fps == 0 || o.fps > 120 {
        return Err(SynthError::Argument(format!(
            "--fps {}: choose 1 to 120",
            o.fps
        )));
    }
    let q = loop_quantum_ms(o.fps);
    if o.segment_ms == 0 || o.segment_ms % q != 0 {
        let below = o.segment_ms / q * q;
        let above = below + q;
        let options = if below > 0 {
            format!("{} s or {} s", secs(below), secs(above))
        } else {
            format!("{} s", secs(above))
        };
        return Err(SynthError::Timing(format!(
            "segment {} s does not hold whole video frames at {} fps and whole AAC frames \
             (1024 samples at 48 kHz): segments must be multiples of {} s; try {options}",
            secs(o.segment_ms),
            o.fps,
            secs(q)
        )));
    }
    if o.duration_ms % o.segment_ms != 0 || o.duration_ms / o.segment_ms < 2 {
        let n = (o.duration_ms / o.segment_ms).max(2);
        let below = n * o.segment_ms;
        let above = below + o.segment_ms;
        return Err(SynthError::Timing(format!(
            "duration {} s is not a whole number (at least 2) of {} s segments: try {} s or {} s",
            secs(o.duration_ms),
            secs(o.segment_ms),
            secs(below),
            secs(above)
        )));
    }
    let frames_per_segment = o.segment_ms * u64::from(o.fps) / 1000;
    let segments = o.duration_ms / o.segment_ms;
    Ok((segments, frames_per_segment))
}

/// One generated file.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    pub file: PathBuf,
    pub bytes: u64,
    pub kind: &'static str,
}

/// The catalog entry written beside the media.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogEntry {
    pub directory: String,
    pub title: String,
    pub media: Vec<String>,
    pub timing_ref: String,
}

fn write_atomic(path: &Path, data: &[u8]) -> Result<(), SynthError> {
    crate::fsutil::write_atomic(path, data).map_err(|source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    })
}

enum Job<'a> {
    Video(&'a Rung),
    Audio,
    Ttml,
    Vtt,
}

/// Generates every file and the catalog entry; returns what was written.
pub fn synth(o: &SynthOptions) -> Result<Vec<Output>, SynthError> {
    let (segments, frames_per_segment) = check_timing(o)?;
    if o.prefix.is_empty()
        || !o
            .prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(SynthError::Argument(format!(
            "--prefix {:?}: use letters, digits, - and _",
            o.prefix
        )));
    }
    let mut heights: Vec<u16> = o.ladder.iter().map(|r| r.height).collect();
    heights.sort_unstable();
    if heights.windows(2).any(|w| w[0] == w[1]) {
        return Err(SynthError::Argument(
            "two rungs share a height; each rung is named by its height".into(),
        ));
    }
    std::fs::create_dir_all(&o.out).map_err(|source| SynthError::Io {
        path: o.out.clone(),
        source,
    })?;
    let mut jobs: Vec<Job> = o.ladder.iter().map(Job::Video).collect();
    jobs.extend([Job::Audio, Job::Ttml, Job::Vtt]);
    let outputs = jobs
        .par_iter()
        .map(|job| run_job(o, job, segments, frames_per_segment))
        .collect::<Result<Vec<_>, _>>()?;

    let entry = CatalogEntry {
        directory: o.prefix.clone(),
        title: format!(
            "dashlive test card, {} s loop of {} s segments",
            secs(o.duration_ms),
            secs(o.segment_ms)
        ),
        media: outputs
            .iter()
            .map(|x| {
                x.file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect(),
        timing_ref: outputs
            .first()
            .and_then(|x| x.file.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let yaml = serde_yaml::to_string(&entry).map_err(|e| SynthError::Argument(e.to_string()))?;
    let yaml_path = o.out.join(format!("{}.yaml", o.prefix));
    write_atomic(
        &yaml_path,
        format!("# Written by dashlive synth: the files of one stream.\n{yaml}").as_bytes(),
    )?;
    Ok(outputs)
}

fn run_job(
    o: &SynthOptions,
    job: &Job,
    segments: u64,
    frames_per_segment: u64,
) -> Result<Output, SynthError> {
    let total_ms = o.duration_ms;
    let (name, kind, track, segs): (String, &'static str, TrackConfig, Vec<Vec<u8>>) = match job {
        Job::Video(rung) => {
            let frames = segments * frames_per_segment;
            let v = video::encode(rung, o.fps, frames, frames_per_segment)?;
            let t = TrackConfig {
                track_id: 1,
                timescale: o.fps * 1000,
                handler: Handler::Video,
                language: "und".into(),
                sample_entry: avc_sample_entry(
                    b"avc1",
                    rung.width,
                    rung.height,
                    &v.avcc,
                    rung.bitrate,
                ),
                width: rung.width,
                height: rung.height,
                duration: frames * 1000,
                default_sample_duration: 1000,
            };
            let segs = (0..segments)
                .map(|s| {
                    let range =
                        (s * frames_per_segment) as usize..((s + 1) * frames_per_segment) as usize;
                    let samples: Vec<Sample> = range
                        .clone()
                        .map(|i| Sample {
                            data: &v.samples[i],
                            duration: 1000,
                            sync: v.sync[i],
                        })
                        .collect();
                    media_segment(&t, s as u32 + 1, range.start as u64 * 1000, &samples)
                })
                .collect();
            (format!("{}_{}p", o.prefix, rung.height), "video", t, segs)
        }
        Job::Audio => {
            let total = total_ms * u64::from(audio::SAMPLE_RATE) / 1000;
            let a = audio::encode(total, o.audio_bitrate)?;
            let per_seg = (o.segment_ms * u64::from(audio::SAMPLE_RATE)
                / 1000
                / audio::FRAME_SAMPLES) as usize;
            let t = TrackConfig {
                track_id: 2,
                timescale: audio::SAMPLE_RATE,
                handler: Handler::Audio,
                language: "und".into(),
                sample_entry: aac_sample_entry(
                    audio::CHANNELS,
                    audio::SAMPLE_RATE,
                    &a.asc,
                    o.audio_bitrate,
                ),
                width: 0,
                height: 0,
                duration: total,
                default_sample_duration: audio::FRAME_SAMPLES as u32,
            };
            let segs = a
                .frames
                .chunks(per_seg)
                .enumerate()
                .map(|(s, chunk)| {
                    let samples: Vec<Sample> = chunk
                        .iter()
                        .map(|f| Sample {
                            data: f,
                            duration: audio::FRAME_SAMPLES as u32,
                            sync: true,
                        })
                        .collect();
                    media_segment(
                        &t,
                        s as u32 + 1,
                        (s * per_seg) as u64 * audio::FRAME_SAMPLES,
                        &samples,
                    )
                })
                .collect();
            (format!("{}_aac", o.prefix), "audio", t, segs)
        }
        Job::Ttml | Job::Vtt => {
            let ttml = matches!(job, Job::Ttml);
            let t = TrackConfig {
                track_id: if ttml { 3 } else { 4 },
                timescale: text::TIMESCALE,
                handler: Handler::Subtitle,
                language: "eng".into(),
                sample_entry: if ttml {
                    stpp_sample_entry(text::TTML_MIME)
                } else {
                    wvtt_sample_entry()
                },
                width: 0,
                height: 0,
                duration: total_ms,
                default_sample_duration: if ttml { o.segment_ms as u32 } else { 1000 },
            };
            let segs = (0..segments)
                .map(|s| {
                    let (a, b) = (s * o.segment_ms, (s + 1) * o.segment_ms);
                    let owned: Vec<(Vec<u8>, u32)> = if ttml {
                        vec![(text::ttml_sample(a, b), o.segment_ms as u32)]
                    } else {
                        text::vtt_samples(a, b)
                    };
                    let samples: Vec<Sample> = owned
                        .iter()
                        .map(|(d, dur)| Sample {
                            data: d,
                            duration: *dur,
                            sync: true,
                        })
                        .collect();
                    media_segment(&t, s as u32 + 1, a, &samples)
                })
                .collect();
            let name = if ttml { "ttml" } else { "vtt" };
            (format!("{}_{name}", o.prefix), "text", t, segs)
        }
    };
    let mut data = init_segment(&track);
    for s in &segs {
        data.extend_from_slice(s);
    }
    let path = o.out.join(format!("{name}.mp4"));
    write_atomic(&path, &data)?;
    Ok(Output {
        file: path,
        bytes: data.len() as u64,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse_to_milliseconds() {
        assert_eq!(parse_seconds("3.84").unwrap(), 3840);
        assert_eq!(parse_seconds("61.44").unwrap(), 61_440);
        assert_eq!(parse_seconds("4").unwrap(), 4000);
        assert_eq!(parse_seconds(".5").unwrap(), 500);
        assert!(parse_seconds("1.2345").is_err());
        assert!(parse_seconds("abc").is_err());
        assert!(parse_seconds("").is_err());
    }

    #[test]
    fn loop_quantum_holds_whole_frames_of_both_kinds() {
        assert_eq!(loop_quantum_ms(25), 320);
        assert_eq!(loop_quantum_ms(50), 320);
        assert_eq!(loop_quantum_ms(30), 1600);
        for fps in [24, 25, 30, 48, 50, 60] {
            let q = loop_quantum_ms(fps);
            assert_eq!(q * u64::from(fps) % 1000, 0, "{fps}: whole video frames");
            assert_eq!(q * 48 % 1024, 0, "{fps}: whole AAC frames");
        }
    }

    #[test]
    fn timing_that_cannot_loop_is_refused_with_a_suggestion() {
        let mut o = SynthOptions::new("x".into());
        o.segment_ms = 4000;
        let e = check_timing(&o).unwrap_err().to_string();
        assert!(
            e.contains("multiples of 0.32 s") && e.contains("try 3.84 s or 4.16 s"),
            "{e}"
        );
        o.segment_ms = 3840;
        o.duration_ms = 60_000;
        let e = check_timing(&o).unwrap_err().to_string();
        assert!(e.contains("try 57.6 s or 61.44 s"), "{e}");
        o.duration_ms = 61_440;
        assert_eq!(check_timing(&o).unwrap(), (16, 96));
    }
}
