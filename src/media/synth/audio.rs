//! The test card's sound: silence with a short 1 kHz beep at every whole
//! second, aligned with the video flash, encoded to AAC-LC stereo 48 kHz by
//! the Fraunhofer FDK AAC encoder (built from its bundled source by the
//! `fdk-aac` crate).

use fdk_aac::enc::{AudioObjectType, BitRate, ChannelMode, Encoder, EncoderParams, Transport};

use super::SynthError;

pub const SAMPLE_RATE: u32 = 48_000;
pub const CHANNELS: u16 = 2;
/// Samples per AAC-LC frame.
pub const FRAME_SAMPLES: u64 = 1024;
pub const BEEP_HZ: u64 = 1000;
/// Beep length: a tenth of a second.
pub const BEEP_SAMPLES: u64 = SAMPLE_RATE as u64 / 10;
/// Frames encoded before the first kept one (see [`encode`]).
const PREROLL_FRAMES: u64 = 4;
const RAMP: u64 = 240; // 5 ms fade in and out: no clicks
const AMPLITUDE: f64 = 8000.0; // about -12 dBFS

/// The PCM sample at `n` (per channel): the signal is periodic in 1 s, so a
/// loop of whole seconds plays on without a seam.
pub fn pcm(n: u64) -> i16 {
    let in_second = n % u64::from(SAMPLE_RATE);
    if in_second >= BEEP_SAMPLES {
        return 0;
    }
    let gain = if in_second < RAMP {
        in_second as f64 / RAMP as f64
    } else if in_second >= BEEP_SAMPLES - RAMP {
        (BEEP_SAMPLES - in_second) as f64 / RAMP as f64
    } else {
        1.0
    };
    let phase = (in_second * BEEP_HZ % u64::from(SAMPLE_RATE)) as f64 / f64::from(SAMPLE_RATE);
    (AMPLITUDE * gain * (std::f64::consts::TAU * phase).sin()).round() as i16
}

pub struct EncodedAudio {
    /// AudioSpecificConfig.
    pub asc: Vec<u8>,
    /// One raw AAC access unit per 1024-sample frame.
    pub frames: Vec<Vec<u8>>,
}

/// Encodes `total_samples` (a whole number of frames) of the signal so that
/// decoding the frames from the first one reproduces `pcm(0..)` exactly in
/// time: the encoder's delay is absorbed by feeding the signal ahead by it.
pub fn encode(total_samples: u64, bitrate: u32) -> Result<EncodedAudio, SynthError> {
    let err = |what: &str, e: fdk_aac::enc::EncoderError| {
        SynthError::Encoder(format!("AAC: {what}: {e:?}"))
    };
    let encoder = Encoder::new(EncoderParams {
        bit_rate: BitRate::Cbr(bitrate),
        sample_rate: SAMPLE_RATE,
        transport: Transport::Raw,
        channels: ChannelMode::Stereo,
        audio_object_type: AudioObjectType::Mpeg4LowComplexity,
    })
    .map_err(|e| err("init", e))?;
    let info = encoder.info().map_err(|e| err("info", e))?;
    let asc = info.confBuf[..(info.confSize as usize).min(info.confBuf.len())].to_vec();
    let delay = u64::from(info.nDelay);
    let wanted = (total_samples / FRAME_SAMPLES) as usize;

    let mut frames = Vec::with_capacity(wanted);
    let mut out = vec![0u8; 8192];
    let mut input: Vec<i16> = Vec::with_capacity(FRAME_SAMPLES as usize * 2);
    // Start a few frames early, with the end of the loop (the signal is
    // periodic), and drop what those frames produce: every kept frame is then
    // encoded in full context, so the loop's last frame runs into its first
    // without a seam, and only a decoder's own start-up is ever silent.
    let preroll = PREROLL_FRAMES * FRAME_SAMPLES;
    let period = total_samples.max(1);
    let mut next = (period * (preroll / period + 1) + delay - preroll) % period;
    let mut dropped = 0;
    // Feed whole frames until enough access units came out; the encoder may
    // hold a few frames back as lookahead.
    let mut guard = 0;
    while frames.len() < wanted {
        input.clear();
        for _ in 0..FRAME_SAMPLES {
            let s = pcm(next);
            input.push(s);
            input.push(s);
            next = (next + 1) % period;
        }
        let mut consumed = 0;
        while consumed < input.len() {
            let r = encoder
                .encode(&input[consumed..], &mut out)
                .map_err(|e| err("encode", e))?;
            consumed += r.input_consumed;
            if r.output_size > 0 && frames.len() < wanted {
                if dropped < PREROLL_FRAMES {
                    dropped += 1;
                } else {
                    frames.push(out[..r.output_size].to_vec());
                }
            }
            if r.input_consumed == 0 && r.output_size == 0 {
                break;
            }
        }
        guard += 1;
        if guard > wanted + PREROLL_FRAMES as usize + 64 {
            return Err(SynthError::Encoder(
                "AAC: encoder stopped producing frames".into(),
            ));
        }
    }
    Ok(EncodedAudio { asc, frames })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beeps_on_whole_seconds_and_is_silent_between() {
        let loud = |from: u64, to: u64| (from..to).map(|n| i32::from(pcm(n)).abs()).max().unwrap();
        assert!(loud(0, BEEP_SAMPLES) > 7000);
        assert!(loud(48_000, 48_000 + BEEP_SAMPLES) > 7000);
        assert_eq!(loud(BEEP_SAMPLES, 48_000), 0);
        assert_eq!(pcm(0), 0, "fades in from silence");
        assert_eq!(pcm(12), pcm(48_012), "periodic in one second");
    }
}
