//! What the resolver decides, for the origin to carry out: which bytes, which
//! fields to rewrite, which transforms to run, the status and the cache
//! policy. A plan holds no I/O; the origin reads the bytes it names.

use crate::faults::corrupt::Corruption;
use crate::faults::counts::FaultCounts;
use crate::policy::Cache;

/// A change to a segment's bytes on the way out, beyond the live rewrite of
/// its sequence number and decode time: each variant carries everything it
/// needs (keys, payloads, positions), so running it
/// ([`crate::serve::transform::apply`]) is a pure function of the bytes.
/// The resolver lists them in the order they run
/// ([`crate::serve::transform::plan`]). The list is empty today: encryption
/// (DRM), `emsg` insertion (events) and corruption (faults) are added here
/// by the issues that bring them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transform {
    /// DRM: `pssh` in init segments, PIFF/stale `saio`, encryption on the fly.
    Drm(crate::serve::drm::DrmTransform),
    /// Put these serialised `emsg` boxes at the head of the segment
    /// ([`crate::mp4::insert::insert_at_head`]): in-band events.
    InsertEmsg { boxes: Vec<u8> },
    /// `vcorrupt`: damage the slice data of the first frames that are not
    /// IDR ([`crate::faults::corrupt`]).
    Corrupt(Corruption),
}

/// Which stored bytes a segment is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The representation's live init segment (no `mehd`, durations 0).
    LiveInit,
    /// The representation's vod init segment, as built.
    Init,
    /// Cut media segment `index` (0-based) as built (vod).
    Stored { index: usize },
    /// Cut media segment `index` (0-based) of the representation, with its
    /// `mfhd` sequence number set, every `tfdt` moved by `time_shift`, and
    /// `trim` ticks taken off its last samples' durations (a loop's last
    /// segment of a track longer than the loop, so that it ends where the
    /// next loop starts; 0 for every other).
    Media {
        index: usize,
        sequence_number: u32,
        time_shift: u64,
        trim: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentPlan {
    pub stream: String,
    pub rep: String,
    pub source: Source,
    pub content_type: &'static str,
    pub cache: Cache,
    pub transforms: Vec<Transform>,
}

/// A request the resolver will not answer with content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 400, 404 …
    pub status: u16,
    /// What was wrong, naming the parameter or path part.
    pub message: String,
    /// A live segment still in progress: it exists from this Unix ms, and
    /// the origin may hold the request until then rather than refuse it.
    pub ready_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// A manifest rendered for this request.
    Manifest {
        xml: String,
        cache: Cache,
        /// What the query asked that was ignored (unknown names …), for logs.
        warnings: Vec<String>,
    },
    /// An MPD patch rendered for this request (`/patch/…`).
    Patch {
        xml: String,
        cache: Cache,
    },
    Segment(SegmentPlan),
    /// `/time/…`: the body, and the instant the `Date` header must carry.
    Time {
        body: Vec<u8>,
        content_type: &'static str,
        date_ms: i64,
    },
    /// 302 to an absolute path with its query (dash-live's older URLs).
    Redirect {
        location: String,
    },
    /// The pre-built file of the static tree at the request's path answers.
    Static,
    Refuse(Refusal),
    Fault(Fault),
}

/// A synthetic error the query injected (`merr`, `verr` …): answered with
/// `refusal` and never cached. When `failures` limits it, `counts` is what
/// the client has been refused now, for the origin to sign into the
/// client's cookie (the origin keeps no count of its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub refusal: Refusal,
    pub counts: Option<FaultCounts>,
}

impl Plan {
    pub fn refuse(status: u16, message: impl Into<String>) -> Plan {
        Plan::Refuse(Refusal {
            status,
            message: message.into(),
            ready_at_ms: None,
        })
    }

    pub fn bad_request(message: impl Into<String>) -> Plan {
        Plan::refuse(400, message)
    }

    pub fn not_found(message: impl Into<String>) -> Plan {
        Plan::refuse(404, message)
    }
}
