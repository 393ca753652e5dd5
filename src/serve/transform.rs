//! Segment transforms: which ones a request asks for ([`plan`], called by
//! the resolver for live and vod segments alike) and running them on the
//! bytes ([`apply`], called by the origin). Planning decides everything
//! (keys, payloads, positions); applying is a pure function of the bytes,
//! so a transform is tested without a server.

use crate::drm::signal::StreamDrm;
use crate::media::Representation;
use crate::options::Options;
use crate::serve::plan::{Refusal, Transform};

/// The segment a transform is planned for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentAt {
    /// An init segment.
    Init,
    /// A media segment as the client sees it: its `$Number$`, and its decode
    /// time and duration in the representation's timescale (after the live
    /// shift, so continuous across loops).
    Media {
        number: u64,
        decode_time: u64,
        duration: u64,
    },
}

/// What the request needs of this segment, in the order to run: an empty
/// list means the stored bytes answer as they are.
pub fn plan(
    opts: &Options,
    rep: &Representation,
    at: SegmentAt,
    drm: &StreamDrm,
) -> Result<Vec<Transform>, Refusal> {
    let mut out = Vec::new();
    // First: corruption damages the clear slice data, before anything
    // moves it or encrypts it.
    out.extend(crate::serve::faults::corruption(opts, rep, at)?);
    out.extend(crate::serve::events::plan(opts, rep, at)?);
    // Last: encryption works on the bytes every other transform made.
    out.extend(
        crate::serve::drm::plan(opts, rep, at, drm)
            .into_iter()
            .map(Transform::Drm),
    );
    Ok(out)
}

#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    #[error("DRM: {0}")]
    Drm(#[from] crate::mp4::encrypt::EncryptError),
    #[error("inserting emsg: {0}")]
    Emsg(crate::mp4::Mp4Error),
    #[error("corrupting the segment: {0}")]
    Corrupt(#[from] crate::faults::corrupt::CorruptError),
}

/// Runs `transforms` in order over a whole segment.
pub fn apply(transforms: &[Transform], segment: Vec<u8>) -> Result<Vec<u8>, TransformError> {
    let mut bytes = segment;
    for t in transforms {
        bytes = run(t, bytes)?;
    }
    Ok(bytes)
}

/// One transform. Each issue adds its variants' arms here.
fn run(t: &Transform, bytes: Vec<u8>) -> Result<Vec<u8>, TransformError> {
    match t {
        Transform::Drm(d) => Ok(crate::serve::drm::run(d, bytes)?),
        Transform::InsertEmsg { boxes } => {
            crate::mp4::insert::insert_at_head(&bytes, boxes).map_err(TransformError::Emsg)
        }
        Transform::Corrupt(c) => Ok(crate::faults::corrupt::corrupt(bytes, c)?.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_transforms_leave_the_bytes_alone() {
        let bytes = vec![1, 2, 3];
        assert_eq!(apply(&[], bytes.clone()).unwrap(), bytes);
    }
}
