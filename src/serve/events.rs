//! Planning in-band events for a segment: the `emsg` boxes of every
//! in-band generator whose events start in it, serialised once here, so
//! that serving them ([`Transform::InsertEmsg`]) only copies bytes.

use crate::events::{self, Span};
use crate::media::{ContentType, Representation};
use crate::mp4::WriteBox;
use crate::options::Options;
use crate::serve::plan::{Refusal, Transform};
use crate::serve::transform::SegmentAt;

/// The `emsg` insertion a video media segment needs, if any of its
/// events is in-band and starts in it (reference §6: video only).
pub fn plan(
    opts: &Options,
    rep: &Representation,
    at: SegmentAt,
) -> Result<Option<Transform>, Refusal> {
    let SegmentAt::Media {
        decode_time,
        duration,
        ..
    } = at
    else {
        return Ok(None);
    };
    if rep.content_type != ContentType::Video || opts.event_types().is_empty() {
        return Ok(None);
    }
    // Event times are presentation times of the Period: decode times less
    // the media's first (its presentationTimeOffset).
    let offset = rep.media_segments().first().map_or(0, |s| s.decode_time);
    let start = decode_time.saturating_sub(offset);
    let span = Span {
        start,
        end: start.saturating_add(duration),
        timescale: rep.timescale,
        offset,
    };
    let mut boxes = Vec::new();
    for g in events::generators(opts) {
        let emsgs = g.emsgs(span).map_err(|e| Refusal {
            status: 400,
            message: e.to_string(),
            ready_at_ms: None,
        })?;
        for e in emsgs {
            e.write_to(&mut boxes);
        }
    }
    Ok((!boxes.is_empty()).then_some(Transform::InsertEmsg { boxes }))
}
