//! Common Encryption (ISO/IEC 23001-7) on the fly: a clear init segment made
//! protected (`encv`/`enca` with `sinf`), PSSH boxes added to an init
//! segment, and clear media segments encrypted per request (`cenc` AES-CTR,
//! `cbcs` AES-CBC with the 1:9 pattern), with the `senc`/`saiz`/`saio` boxes
//! a player needs to decrypt them. Pre-encrypted segments can take dash-live's
//! PlayReady PIFF box and its `saio` bug.
//!
//! Everything here is a pure function of its arguments: the same segment,
//! key and `iv_seed` always give the same bytes, so a CDN may cache them.

mod cipher;
mod init;
mod media;
#[cfg(test)]
mod tests;

pub use cipher::{cbcs_constant_iv, sample_iv};
pub use init::{add_pssh, protect_init};
pub use media::{adjust_encrypted_media, protect_media};

use super::error::Mp4Error;

/// The protection scheme: `cenc` (AES-CTR, whole protected ranges) or
/// `cbcs` (AES-CBC, 1 block in 10 of video, a constant IV).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Cenc,
    Cbcs,
}

impl Scheme {
    /// The `schm` scheme type.
    pub fn fourcc(self) -> [u8; 4] {
        match self {
            Scheme::Cenc => *b"cenc",
            Scheme::Cbcs => *b"cbcs",
        }
    }
}

/// What the samples of a track are, which decides what stays clear: NAL
/// length fields, NAL headers and non-VCL NAL units of AVC/HEVC video; nothing
/// of audio and other tracks (whole-sample encryption).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKind {
    Avc { nal_length_size: u8 },
    Hevc { nal_length_size: u8 },
    Audio,
    Other,
}

/// A track's key and how it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protection {
    pub scheme: Scheme,
    pub kid: [u8; 16],
    pub key: [u8; 16],
    /// cenc: per-sample IV size, 8 or 16. cbcs: ignored (constant 16-byte IV in tenc, per-sample IV size 0).
    pub iv_size: u8,
}

impl Protection {
    /// The per-sample IV size written in `tenc` and `senc`.
    pub fn per_sample_iv_size(&self) -> Result<u8, EncryptError> {
        match (self.scheme, self.iv_size) {
            (Scheme::Cbcs, _) => Ok(0),
            (Scheme::Cenc, n @ (8 | 16)) => Ok(n),
            (Scheme::Cenc, n) => Err(EncryptError::IvSize(n)),
        }
    }
}

/// Options of a protected media segment beyond the key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaOptions {
    /// add a PIFF sample-encryption uuid box beside senc (dash-live's playready__piff)
    pub piff: bool,
    /// leave saio pointing at the wrong offset on purpose (dash-live's bugs=saio)
    pub stale_saio: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EncryptError {
    /// The input is not the MP4 it should be (truncated, a box past its parent …).
    #[error(transparent)]
    Mp4(#[from] Mp4Error),
    /// Valid MP4 that this engine cannot protect, located like [`Mp4Error`].
    #[error("{path} at {offset:#x}: {message}")]
    Unsupported {
        offset: u64,
        path: String,
        message: String,
    },
    #[error("cenc per-sample IV size {0} is not 8 or 16")]
    IvSize(u8),
}

impl EncryptError {
    fn unsupported(offset: u64, path: impl Into<String>, message: impl Into<String>) -> Self {
        EncryptError::Unsupported {
            offset,
            path: path.into(),
            message: message.into(),
        }
    }
}
