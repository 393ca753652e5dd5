//! What indexing one fragmented MP4 file yields: a DASH Representation.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentType {
    #[default]
    Video,
    Audio,
    Text,
}

impl ContentType {
    pub fn as_str(&self) -> &'static str {
        match self {
            ContentType::Video => "video",
            ContentType::Audio => "audio",
            ContentType::Text => "text",
        }
    }
}

/// One segment of the file. Segment 0 is the init segment (duration 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Byte offset in the file.
    pub offset: u64,
    pub size: u64,
    /// In the track's timescale.
    pub duration: u64,
    /// Decode time of the first sample (tfdt), in the track's timescale.
    pub decode_time: u64,
}

/// A frame rate as an exact fraction, the form DASH's `@frameRate` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameRate {
    pub num: u64,
    pub den: u64,
}

impl FrameRate {
    pub fn new(num: u64, den: u64) -> Option<FrameRate> {
        if num == 0 || den == 0 {
            return None;
        }
        let g = gcd(num, den);
        Some(FrameRate {
            num: num / g,
            den: den / g,
        })
    }

    pub fn as_f64(&self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

impl std::fmt::Display for FrameRate {
    /// `24` or `30000/1001`, as `@frameRate` is written.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

pub fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// Encryption as signalled by the track (`sinf`/`tenc`) and its `pssh` boxes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    /// `cenc`, `cbcs`, … from `schm`.
    pub scheme: String,
    /// Lower-case hex, 32 digits.
    pub default_kid: String,
    /// 0 when a constant IV is used (cbcs).
    pub iv_size: u8,
    /// Every KID the file names: the default KID first, then those in `pssh` boxes.
    pub kids: Vec<String>,
    /// System IDs of the `pssh` boxes present, as UUID strings.
    pub pssh_systems: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Representation {
    /// The file stem, lower-cased: the Representation@id and the URL name.
    pub id: String,
    pub filename: String,
    pub content_type: ContentType,
    pub mime_type: String,
    /// RFC 6381 codecs string of the original (unencrypted) format.
    pub codecs: String,
    /// The sample entry type as stored (`encv` for encrypted video).
    pub sample_entry: String,
    pub timescale: u32,
    /// BCP-47 language tag from `elng`, else from `mdhd`.
    pub language: String,
    pub track_id: u32,
    /// `mfhd` sequence number of the first fragment.
    pub start_number: u32,
    /// `tfdt` of the first fragment.
    pub start_time: u64,
    /// How far past `start_time` the presentation starts, as the track's
    /// edit list says (`elst` media_time: B-frame delay, AAC priming); the
    /// manifest adds it to `presentationTimeOffset`, so the first frame
    /// presented is at period time 0 and tracks line up. 0 without an edit.
    #[serde(default)]
    pub edit_offset: u64,
    /// Segment 0 is the init segment.
    pub segments: Vec<Segment>,
    /// Sum of the media segment durations.
    pub media_duration: u64,
    /// The nominal segment duration: start of the last segment / (count − 1).
    pub segment_duration: u64,
    /// bits per second over the whole file.
    pub bitrate: u64,
    /// bits per second of the largest segment over the nominal duration.
    pub max_bitrate: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub frame_rate: Option<FrameRate>,
    /// Sample aspect ratio `h:v`.
    pub sar: Option<String>,
    pub nal_length_size: Option<u8>,
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
    /// Value for Dolby's AudioChannelConfiguration scheme (ac-3 / ec-3 only).
    pub dolby_channel_configuration: Option<String>,
    pub encryption: Option<Encryption>,
}

impl Representation {
    /// A copy with other `segments` (init first), without copying the
    /// stream's own: a multi-period manifest cuts every representation to
    /// each Period it shows, and an hour of segments per copy would be most
    /// of its cost. Every field is named so that a new one is not forgotten.
    pub fn with_segments(&self, segments: Vec<Segment>) -> Representation {
        Representation {
            id: self.id.clone(),
            filename: self.filename.clone(),
            content_type: self.content_type,
            mime_type: self.mime_type.clone(),
            codecs: self.codecs.clone(),
            sample_entry: self.sample_entry.clone(),
            timescale: self.timescale,
            language: self.language.clone(),
            track_id: self.track_id,
            start_number: self.start_number,
            start_time: self.start_time,
            edit_offset: self.edit_offset,
            segments,
            media_duration: self.media_duration,
            segment_duration: self.segment_duration,
            bitrate: self.bitrate,
            max_bitrate: self.max_bitrate,
            width: self.width,
            height: self.height,
            frame_rate: self.frame_rate,
            sar: self.sar.clone(),
            nal_length_size: self.nal_length_size,
            sample_rate: self.sample_rate,
            channels: self.channels,
            dolby_channel_configuration: self.dolby_channel_configuration.clone(),
            encryption: self.encryption.clone(),
        }
    }

    pub fn encrypted(&self) -> bool {
        self.encryption.is_some()
    }

    /// The media segments (without the init segment).
    pub fn media_segments(&self) -> &[Segment] {
        self.segments.get(1..).unwrap_or(&[])
    }

    pub fn init_segment(&self) -> Option<&Segment> {
        self.segments.first()
    }
}
