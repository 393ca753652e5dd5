//! H.264 encoding of the test card: one closed GOP per segment, an IDR at
//! every segment start, High profile with CABAC, one thread per encoder so
//! the output is deterministic (rungs run in parallel instead).

use super::h264::H264Encoder;
use super::raster::{draw, Card, Frame};
use super::SynthError;

/// One rung of the ladder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rung {
    pub width: u16,
    pub height: u16,
    /// Target bitrate in bits per second.
    pub bitrate: u32,
}

impl Rung {
    /// `1280x720@3000k` (k = 1000 bit/s, m = 1000 kbit/s; a bare number is bit/s).
    pub fn parse(s: &str) -> Result<Rung, String> {
        let err = || format!("rung {s:?}: expected WIDTHxHEIGHT@BITRATE such as 1280x720@3000k");
        let (size, rate) = s.trim().split_once('@').ok_or_else(err)?;
        let (w, h) = size.split_once(['x', 'X']).ok_or_else(err)?;
        let width: u16 = w.parse().map_err(|_| err())?;
        let height: u16 = h.parse().map_err(|_| err())?;
        let rate = rate.to_ascii_lowercase();
        let (digits, mult) = match rate.strip_suffix('k') {
            Some(d) => (d, 1000),
            None => match rate.strip_suffix('m') {
                Some(d) => (d, 1_000_000),
                None => (rate.as_str(), 1),
            },
        };
        let bitrate = digits
            .parse::<u32>()
            .ok()
            .and_then(|b| b.checked_mul(mult))
            .ok_or_else(err)?;
        if width < 16 || height < 16 || width % 2 == 1 || height % 2 == 1 {
            return Err(format!(
                "rung {s:?}: width and height must be even and at least 16"
            ));
        }
        if width > 3840 || height > 2160 {
            return Err(format!(
                "rung {s:?}: larger than 3840x2160, which OpenH264 cannot encode"
            ));
        }
        if bitrate < 10_000 {
            return Err(format!("rung {s:?}: bitrate below 10 kbit/s"));
        }
        Ok(Rung {
            width,
            height,
            bitrate,
        })
    }

    /// Text burnt into the picture: `1280X720 3000KBPS`.
    pub fn label(&self) -> String {
        format!("{}X{} {}KBPS", self.width, self.height, self.bitrate / 1000)
    }
}

impl std::fmt::Display for Rung {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}@{}k", self.width, self.height, self.bitrate / 1000)
    }
}

/// An encoded rung: the decoder configuration record and one access unit
/// per frame, NAL units length-prefixed (4 bytes) as `avc1` samples are.
pub struct EncodedVideo {
    pub avcc: Vec<u8>,
    pub samples: Vec<Vec<u8>>,
    pub sync: Vec<bool>,
}

/// Splits an Annex B byte stream into NAL units (without start codes).
fn annexb_nals(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map_or(data.len(), |&n| n - 3);
        // A four-byte start code leaves one zero byte behind the previous NAL.
        while end > s && data[end - 1] == 0 && k + 1 < starts.len() {
            end -= 1;
        }
        out.push(&data[s..end]);
    }
    out
}

/// AVCDecoderConfigurationRecord from one SPS and one PPS.
pub fn avcc_record(sps: &[u8], pps: &[u8]) -> Vec<u8> {
    let mut r = vec![
        1,
        sps.get(1).copied().unwrap_or(0),
        sps.get(2).copied().unwrap_or(0),
        sps.get(3).copied().unwrap_or(0),
        0xff,
        0xe1,
    ];
    r.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    r.extend_from_slice(sps);
    r.push(1);
    r.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    r.extend_from_slice(pps);
    if matches!(sps.get(1), Some(100 | 110 | 122 | 144)) {
        // High profiles: 4:2:0, 8-bit, no SPS extensions.
        r.extend_from_slice(&[0xfd, 0xf8, 0xf8, 0x00]);
    }
    r
}

/// Renders and encodes `frames` frames of the test card for one rung.
pub fn encode(
    rung: &Rung,
    fps: u32,
    frames: u64,
    frames_per_segment: u64,
) -> Result<EncodedVideo, SynthError> {
    let enc_err = |e: String| SynthError::Encoder(format!("H.264 {rung}: {e}"));
    let mut encoder = H264Encoder::new(
        rung.width,
        rung.height,
        fps,
        rung.bitrate,
        frames_per_segment as u32,
    )
    .map_err(enc_err)?;
    let label = rung.label();
    let mut frame = Frame::new(rung.width.into(), rung.height.into());
    let mut sps_pps: Option<(Vec<u8>, Vec<u8>)> = None;
    let mut samples = Vec::with_capacity(frames as usize);
    let mut sync = Vec::with_capacity(frames as usize);
    for n in 0..frames {
        draw(
            &mut frame,
            &Card {
                frame_number: n,
                fps,
                frames_per_segment,
                label: &label,
            },
        );
        let ms = (n * 1000 / u64::from(fps)) as i64;
        let annexb = encoder
            .encode(&frame, n % frames_per_segment == 0, ms)
            .map_err(enc_err)?;
        let mut sample = Vec::with_capacity(annexb.len() + 16);
        let mut idr = false;
        for nal in annexb_nals(&annexb) {
            match nal.first().map(|b| b & 0x1f) {
                Some(7) => {
                    let pps = sps_pps.take().map(|(_, p)| p).unwrap_or_default();
                    sps_pps = Some((nal.to_vec(), pps));
                }
                Some(8) => {
                    if let Some((_, p)) = sps_pps.as_mut() {
                        *p = nal.to_vec();
                    }
                }
                Some(t) => {
                    idr |= t == 5;
                    sample.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                    sample.extend_from_slice(nal);
                }
                None => {}
            }
        }
        if sample.is_empty() {
            return Err(SynthError::Encoder(format!(
                "H.264 {rung}: frame {n} produced no picture"
            )));
        }
        if n % frames_per_segment == 0 && !idr {
            return Err(SynthError::Encoder(format!(
                "H.264 {rung}: frame {n} starts a segment but is not an IDR picture"
            )));
        }
        samples.push(sample);
        sync.push(idr);
    }
    let (sps, pps) = sps_pps
        .filter(|(s, p)| !s.is_empty() && !p.is_empty())
        .ok_or_else(|| SynthError::Encoder(format!("H.264 {rung}: no SPS/PPS produced")))?;
    Ok(EncodedVideo {
        avcc: avcc_record(&sps, &pps),
        samples,
        sync,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs_parse_and_refuse_nonsense() {
        assert_eq!(
            Rung::parse("1280x720@3000k").unwrap(),
            Rung {
                width: 1280,
                height: 720,
                bitrate: 3_000_000
            }
        );
        assert_eq!(Rung::parse("640X360@1m").unwrap().bitrate, 1_000_000);
        for bad in [
            "1280x720",
            "x720@1k",
            "1281x720@1k",
            "8x8@100k",
            "5000x3000@1m",
            "640x360@1",
        ] {
            assert!(Rung::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_encoders_sps_reads_back_its_cropped_size() {
        // 180 is not a whole number of macroblocks: the SPS crops 192 to 180.
        let rung = Rung::parse("320x180@200k").unwrap();
        let v = encode(&rung, 25, 2, 2).unwrap();
        let p = crate::codec::avc_picture(&v.avcc).unwrap().unwrap();
        assert_eq!((p.width, p.height), (320, 180));
        assert!(matches!(p.sar, None | Some((1, 1))), "{:?}", p.sar);
    }

    #[test]
    fn annexb_split_handles_three_and_four_byte_start_codes() {
        let data = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4,
        ];
        let nals = annexb_nals(&data);
        assert_eq!(
            nals,
            vec![&[0x67, 1, 2][..], &[0x68, 3][..], &[0x65, 4][..]]
        );
    }
}
