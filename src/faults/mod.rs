//! Injected faults (dash-live's `merr`/`verr`/`aerr`/`terr`, `failures`,
//! `vcorrupt`/`frames`; livesim2's periodic status codes and timeline loss):
//! the pieces that need no knowledge of the resolver. Which positions a
//! request names ([`positions`]), what a client has already been refused
//! ([`counts`], carried by the client so the origin stays stateless), and the
//! corruption of video slice data ([`corrupt`]). `serve::faults` plans them.

pub mod corrupt;
pub mod counts;
pub mod periodic;
pub mod positions;

use crate::options::{ErrorPos, HttpError, Options};

/// What a manifest request's fault options say, taken out of its resolved
/// options (cheap: empty lists do not allocate).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestFaults {
    /// `merr`: a number matches the `update` count, a time the update
    /// period that starts at it.
    pub errors: Vec<HttpError>,
    /// `failures`: how many times each error is answered per client.
    pub failures: Option<u32>,
    /// `update`: which manifest request of a session this is (0 when unset).
    pub update_count: u64,
}

impl ManifestFaults {
    pub fn from_options(o: &Options) -> ManifestFaults {
        ManifestFaults {
            errors: o.http_errors("manifestErrors").to_vec(),
            failures: failures(o),
            update_count: o
                .update_count()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
        }
    }
}

/// `failures=N`, if given (the table bounds it to 0..=1,000,000).
pub fn failures(o: &Options) -> Option<u32> {
    o.int("failureCount").and_then(|n| u32::try_from(n).ok())
}

/// The query name of the first fault option of `o` holding a time: only a
/// live presentation has a clock to place a time on.
pub fn first_timed(o: &Options) -> Option<&'static str> {
    let timed = |p: &ErrorPos| matches!(p, ErrorPos::Time(_));
    if o.http_errors("manifestErrors")
        .iter()
        .any(|e| timed(&e.pos))
    {
        return Some("merr");
    }
    positions::has_times(o).and_then(|full| crate::options::by_full(full).map(|d| d.cgi))
}
