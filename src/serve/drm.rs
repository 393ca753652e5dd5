//! The DRM part of a segment's plan: `pssh` boxes appended to init segments
//! (`moov` location), PIFF boxes and the stale `saio` of `bugs=saio` on
//! pre-encrypted media, and encryption on the fly (`enc=cenc|cbcs`) of
//! clear representations with the stream's key. Planning reads the keys;
//! running is a pure function of the bytes (the engine, `mp4::encrypt`).

use std::fmt;

use crate::drm::signal::{DrmOptions, Signal, StreamDrm};
use crate::drm::Kid;
use crate::media::{ContentType, Representation};
use crate::mp4::encrypt::{
    add_pssh, adjust_encrypted_media, protect_init, protect_media, EncryptError, MediaOptions,
    Protection, Scheme, TrackKind,
};
use crate::options::Options;
use crate::serve::transform::SegmentAt;

/// One DRM change to a segment. Its `Debug` leaves keys out.
#[derive(Clone, PartialEq, Eq)]
pub enum DrmTransform {
    /// Append these `pssh` boxes to the init segment's `moov`.
    AddPssh(Vec<Vec<u8>>),
    /// PIFF box and/or stale `saio` on an already encrypted segment.
    Adjust(MediaOptions),
    /// Make a clear init segment protected, then append `pssh` boxes.
    ProtectInit {
        protection: Protection,
        pssh: Vec<Vec<u8>>,
    },
    /// Encrypt a clear media segment; `iv_seed` is its `$Number$`.
    ProtectMedia {
        protection: Protection,
        kind: TrackKind,
        iv_seed: u64,
        options: MediaOptions,
    },
}

impl fmt::Debug for DrmTransform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kid = |p: &Protection| Kid(p.kid);
        match self {
            DrmTransform::AddPssh(b) => write!(f, "AddPssh({} boxes)", b.len()),
            DrmTransform::Adjust(o) => write!(f, "Adjust({o:?})"),
            DrmTransform::ProtectInit { protection, pssh } => write!(
                f,
                "ProtectInit({:?} {:?}, {} pssh)",
                protection.scheme,
                kid(protection),
                pssh.len()
            ),
            DrmTransform::ProtectMedia {
                protection,
                kind,
                iv_seed,
                options,
            } => write!(
                f,
                "ProtectMedia({:?} {:?}, {kind:?}, iv_seed {iv_seed}, {options:?})",
                protection.scheme,
                kid(protection)
            ),
        }
    }
}

/// What DRM does to this segment of `rep` for these options.
pub fn plan(
    opts: &Options,
    rep: &Representation,
    at: SegmentAt,
    drm: &StreamDrm,
) -> Vec<DrmTransform> {
    let d = DrmOptions::from_options(opts);
    if d.is_empty() {
        return Vec::new();
    }
    let media_options = MediaOptions {
        piff: d.piff,
        stale_saio: d.stale_saio,
    };
    if let Some(enc) = &rep.encryption {
        let kids: Vec<Kid> = enc.kids.iter().filter_map(|k| Kid::parse(k).ok()).collect();
        return match at {
            SegmentAt::Init => moov_pssh(&d, &kids, drm, enc.scheme == "cbcs")
                .map(DrmTransform::AddPssh)
                .into_iter()
                .collect(),
            SegmentAt::Media { .. } if media_options != MediaOptions::default() => {
                vec![DrmTransform::Adjust(media_options)]
            }
            SegmentAt::Media { .. } => Vec::new(),
        };
    }
    let scheme = match d.encryption.as_deref() {
        Some("cenc") => Scheme::Cenc,
        Some("cbcs") => Scheme::Cbcs,
        _ => return Vec::new(),
    };
    let Some(kind) = track_kind(rep) else {
        return Vec::new();
    };
    let pair = drm.encryption_key();
    let protection = Protection {
        scheme,
        kid: pair.kid.0,
        key: *pair.key.expose(),
        iv_size: 8,
    };
    match at {
        SegmentAt::Init => vec![DrmTransform::ProtectInit {
            protection,
            pssh: moov_pssh(&d, &[pair.kid], drm, scheme == Scheme::Cbcs).unwrap_or_default(),
        }],
        SegmentAt::Media { number, .. } => vec![DrmTransform::ProtectMedia {
            protection,
            kind,
            iv_seed: number,
            options: media_options,
        }],
    }
}

/// What stays clear in a sample, from the codec; text is never encrypted.
fn track_kind(rep: &Representation) -> Option<TrackKind> {
    let nal_length_size = rep.nal_length_size.unwrap_or(4);
    match rep.content_type {
        ContentType::Video if rep.codecs.starts_with("avc") => {
            Some(TrackKind::Avc { nal_length_size })
        }
        ContentType::Video if rep.codecs.starts_with("hvc") || rep.codecs.starts_with("hev") => {
            Some(TrackKind::Hevc { nal_length_size })
        }
        ContentType::Video => Some(TrackKind::Other),
        ContentType::Audio => Some(TrackKind::Audio),
        _ => None,
    }
}

/// The `pssh` boxes of the `moov` location, when asked.
fn moov_pssh(d: &DrmOptions, kids: &[Kid], drm: &StreamDrm, cbc: bool) -> Option<Vec<Vec<u8>>> {
    if !d.wants_moov() {
        return None;
    }
    let p = Signal {
        kids,
        keys: drm,
        opts: d,
        clearkey_url: "",
        cbc,
    }
    .protection();
    (!p.moov_pssh.is_empty()).then(|| p.moov_pssh.clone())
}

/// Runs one DRM transform over a whole segment.
pub fn run(t: &DrmTransform, bytes: Vec<u8>) -> Result<Vec<u8>, EncryptError> {
    match t {
        DrmTransform::AddPssh(boxes) => add_pssh(&bytes, boxes),
        DrmTransform::Adjust(o) => adjust_encrypted_media(&bytes, *o),
        DrmTransform::ProtectInit { protection, pssh } => {
            let protected = protect_init(&bytes, protection)?;
            if pssh.is_empty() {
                Ok(protected)
            } else {
                add_pssh(&protected, pssh)
            }
        }
        DrmTransform::ProtectMedia {
            protection,
            kind,
            iv_seed,
            options,
        } => protect_media(&bytes, protection, *kind, *iv_seed, *options),
    }
}
