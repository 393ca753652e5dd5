//! Planning injected faults (dash-live's `merr`, `verr`, `aerr`, `terr`,
//! `failures`, `vcorrupt`): whether this request is answered with a
//! synthetic status, whether its answer may be cached, which corruption its
//! bytes get. The pieces (positions, counts, corruption) are in
//! [`crate::faults`]; this module decides with them, for the resolver.

use crate::faults::corrupt::{Corruption, NalFormat};
use crate::faults::counts::{FaultCounts, FaultKey};
use crate::faults::periodic::status_at;
use crate::faults::positions::{self, NumberClock};
use crate::faults::{failures, first_timed, ManifestFaults};
use crate::media::{ContentType, Representation};
use crate::mpd::live::{LiveTiming, LoopMap, NumberTiming};
use crate::options::{ErrorPos, HttpError, OptionError, Options};
use crate::serve::plan::{Fault, Plan, Refusal, Transform};
use crate::serve::transform::SegmentAt;

/// Frames corrupted per segment when `frames` is unset (dash-live's 4).
pub const DEFAULT_FRAMES: u32 = 4;

/// What the fault options make of a request that may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No fault names it: cache as usual.
    Clean,
    /// A fault names it but does not refuse it (its `failures` are spent,
    /// or its bytes are corrupted): never cached, since the same URL
    /// answers differently by client, and a cached copy would hide the fault
    /// from the next.
    Faulty,
}

/// The synthetic answer to an injected error, and the client's counts to
/// sign when `failures` limits it.
/// `cause` is the option as the client would write it (`verr=404=7`).
fn inject(
    e: &HttpError,
    cause: &str,
    key: FaultKey,
    failures: Option<u32>,
    counts: Option<&FaultCounts>,
) -> Result<Verdict, Fault> {
    let empty = FaultCounts::new();
    let counts = counts.unwrap_or(&empty);
    if failures.is_some_and(|n| counts.get(key) >= n) {
        return Ok(Verdict::Faulty);
    }
    let refused = counts.get(key).saturating_add(1);
    let message = match failures {
        Some(n) => format!(
            "Synthetic {} injected by {cause} (failure {refused} of {n} for this client)",
            e.code
        ),
        None => format!("Synthetic {} injected by {cause}", e.code),
    };
    Err(Fault {
        refusal: Refusal {
            status: e.code,
            message,
            ready_at_ms: None,
        },
        counts: failures.map(|_| counts.bumped(key)),
    })
}

/// The error option of a track type: its query name, its full name and
/// the letter its counts are kept under.
fn error_option(ct: ContentType) -> (&'static str, &'static str, char) {
    match ct {
        ContentType::Video => ("verr", "videoErrors", 'v'),
        ContentType::Audio => ("aerr", "audioErrors", 'a'),
        ContentType::Text => ("terr", "textErrors", 't'),
    }
}

/// `verr`/`aerr`/`terr` for one segment (`0` = the init segment), and
/// whether `vcorrupt` names it.
///
/// `numbers` is the `$Number$` timing the manifest gave the representation
/// (live: its loop map's), which places segments in `statuscode` cycles;
/// `None` takes the representation's own.
pub fn segment(
    opts: &Options,
    rep: &Representation,
    at: SegmentAt,
    counts: Option<&FaultCounts>,
    numbers: Option<NumberTiming>,
) -> Result<Verdict, Fault> {
    let number = match at {
        SegmentAt::Init => 0,
        SegmentAt::Media { number, .. } => number,
    };
    let (cgi, full, kind) = error_option(rep.content_type);
    let key = FaultKey {
        kind,
        position: number,
    };
    if let Some(e) = positions::error_at(opts.http_errors(full), number) {
        let cause = format!("{cgi}={}={}", e.code, e.pos);
        return inject(e, &cause, key, failures(opts), counts);
    }
    let periodic = !opts.list("segmentStatusCodes").is_empty();
    let numbers = numbers.filter(|_| periodic).or_else(|| {
        // Vod: the representation's own template (worked out only when asked).
        periodic.then(|| NumberTiming::new(rep, rep)).flatten()
    });
    if let (SegmentAt::Media { .. }, Some(t)) = (at, numbers) {
        let start_number = u64::from(rep.start_number);
        let periodic = status_at(opts, rep, number, start_number, t.duration, t.timescale);
        if let Some(p) = periodic {
            let e = HttpError {
                code: p.code,
                pos: ErrorPos::Segment(number),
            };
            let cause = format!("statuscode={}:{}:{}", p.code, p.cycle_s, p.rsq);
            return inject(&e, &cause, key, failures(opts), counts);
        }
    }
    Ok(match corrupted(opts, rep, at) {
        true => Verdict::Faulty,
        false => Verdict::Clean,
    })
}

/// Whether `vcorrupt` names this video media segment.
fn corrupted(opts: &Options, rep: &Representation, at: SegmentAt) -> bool {
    match at {
        SegmentAt::Media { number, .. } if rep.content_type == ContentType::Video => {
            positions::listed(&opts.positions("videoCorruption"), number)
        }
        _ => false,
    }
}

/// The corruption `vcorrupt` + `frames` ask of this segment, if any; a
/// representation whose samples are not NAL units cannot be corrupted
/// this way, which is the request's mistake (400).
pub fn corruption(
    opts: &Options,
    rep: &Representation,
    at: SegmentAt,
) -> Result<Option<Transform>, Refusal> {
    if !corrupted(opts, rep, at) {
        return Ok(None);
    }
    let frames = opts
        .int("videoCorruptionFrameCount")
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(DEFAULT_FRAMES);
    match (NalFormat::of_codecs(&rep.codecs), rep.nal_length_size) {
        (Some(format), Some(nal_length_size)) => Ok(Some(Transform::Corrupt(Corruption {
            format,
            nal_length_size,
            frames,
        }))),
        _ => Err(Refusal {
            status: 400,
            message: format!(
                "vcorrupt: {} is {}; corruption needs H.264 or HEVC video",
                rep.id, rep.codecs
            ),
            ready_at_ms: None,
        }),
    }
}

/// `merr` for one manifest request: a number matches the `update` count, a
/// time of day the update period (`mup`, else twice the segment duration)
/// that starts at it. `Ok(Faulty)` when merr is given at all: a manifest
/// that is an error for some requests is never cached.
pub fn manifest(
    faults: &ManifestFaults,
    timing: Option<&LiveTiming>,
    reference_segment_ms: u64,
    counts: Option<&FaultCounts>,
) -> Result<Verdict, Fault> {
    if faults.errors.is_empty() {
        return Ok(Verdict::Clean);
    }
    for e in &faults.errors {
        let hit = match (&e.pos, timing) {
            (ErrorPos::Segment(n), _) => *n == faults.update_count,
            (ErrorPos::Time(t), Some(timing)) => {
                let period_ms = timing
                    .min_update_period_s
                    .map(|s| s.saturating_mul(1000))
                    .unwrap_or_else(|| reference_segment_ms.saturating_mul(2) as i64)
                    .max(1);
                positions::time_ms(t, timing.now_ms)
                    .is_some_and(|at| (at..at.saturating_add(period_ms)).contains(&timing.now_ms))
            }
            (ErrorPos::Time(_), None) => false,
        };
        if hit {
            let position = match e.pos {
                ErrorPos::Segment(n) => n,
                // A time's key is its instant: distinct per error window.
                ErrorPos::Time(ref t) => timing
                    .and_then(|ti| positions::time_ms(t, ti.now_ms))
                    .and_then(|ms| u64::try_from(ms).ok())
                    .unwrap_or(0),
            };
            let key = FaultKey {
                kind: 'm',
                position,
            };
            let cause = format!("merr={}={}", e.code, e.pos);
            return inject(e, &cause, key, faults.failures, counts);
        }
    }
    Ok(Verdict::Faulty)
}

/// A live segment URL written by hand may give times: they become the
/// numbers of the segments that hold them, as a manifest would have
/// written them. `map` is the representation's (`None`: nothing to pin to).
pub fn pin_live_times(
    opts: &mut Options,
    map: Option<&LoopMap>,
    now_ms: i64,
    reference_segment_ms: u64,
) -> Result<(), Refusal> {
    if positions::has_times(opts).is_none() {
        return Ok(());
    }
    let bad = |message: String| Refusal {
        status: 400,
        message,
        ready_at_ms: None,
    };
    let timing = LiveTiming::new(opts, now_ms, false, reference_segment_ms)
        .map_err(|e| bad(e.to_string()))?;
    let Some(map) = map else {
        return Ok(());
    };
    let clock = NumberClock {
        availability_start_ms: timing.availability_start_ms,
        timescale: map.number.timescale,
        duration: map.number.duration,
        start_number: map.start_number,
    };
    positions::pin_times(opts, &clock, now_ms).map_err(|e| bad(e.to_string()))
}

/// Outside live there is no clock to place a time on: a 400 naming the
/// option.
pub fn refuse_times_outside_live(opts: &Options) -> Option<Plan> {
    first_timed(opts)
        .map(|param| Plan::bad_request(OptionError::TimesNeedLive { param }.to_string()))
}
