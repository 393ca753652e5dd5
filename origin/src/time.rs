//! `/time/{method}`: the server clock in the forms DASH UTCTiming schemes read
//! (dash-live §4.7). Pure functions of the clock; the handler reads it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use chrono::DateTime;

/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET_S: u64 = 2_208_988_800;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeMethod {
    /// `urn:mpeg:dash:utc:http-xsdate:2014`: an xs:dateTime.
    Xsd,
    /// `urn:mpeg:dash:utc:http-iso:2014`: an ISO 8601 week date.
    Iso,
    /// `urn:mpeg:dash:utc:http-ntp:2014`: an 8-byte NTP timestamp.
    HttpNtp,
    /// `urn:mpeg:dash:utc:http-head:2014`: only the Date header.
    Head,
}

impl TimeMethod {
    pub fn from_name(name: &str) -> Option<TimeMethod> {
        match name {
            "xsd" => Some(TimeMethod::Xsd),
            "iso" => Some(TimeMethod::Iso),
            "http-ntp" => Some(TimeMethod::HttpNtp),
            "head" => Some(TimeMethod::Head),
            _ => None,
        }
    }

    pub const NAMES: &'static str = "xsd, iso, http-ntp, head";

    pub fn content_type(self) -> &'static str {
        match self {
            TimeMethod::HttpNtp => "application/octet-stream",
            _ => "text/plain; charset=utf-8",
        }
    }

    /// The body telling `now_ms` (Unix ms).
    pub fn body(self, now_ms: i64) -> Bytes {
        let t = DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
        match self {
            TimeMethod::Xsd => Bytes::from(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
            TimeMethod::Iso => Bytes::from(t.format("%G-W%V-%uT%H:%M:%SZ").to_string()),
            TimeMethod::HttpNtp => Bytes::copy_from_slice(&ntp_timestamp(now_ms)),
            TimeMethod::Head => Bytes::new(),
        }
    }
}

/// An NTP timestamp: seconds since 1900 and a binary fraction, big-endian.
pub fn ntp_timestamp(now_ms: i64) -> [u8; 8] {
    let ms = now_ms.max(0) as u64;
    let secs = (ms / 1000 + NTP_UNIX_OFFSET_S) as u32;
    let frac = (((ms % 1000) << 32) / 1000) as u32;
    let mut out = [0; 8];
    out[..4].copy_from_slice(&secs.to_be_bytes());
    out[4..].copy_from_slice(&frac.to_be_bytes());
    out
}

/// An HTTP `Date` header value (`Tue, 06 Sep 2022 15:10:00 GMT`).
pub fn http_date(now_ms: i64) -> String {
    httpdate::fmt_http_date(system_time(now_ms))
}

pub fn system_time(now_ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(now_ms.max(0) as u64)
}

/// Unix ms of a `SystemTime` (the one place the origin turns the clock into a number).
pub fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_662_477_000_250; // 2022-09-06T15:10:00.250Z, a Tuesday

    #[test]
    fn every_form_of_the_clock() {
        assert_eq!(&TimeMethod::Xsd.body(NOW)[..], b"2022-09-06T15:10:00.250Z");
        assert_eq!(&TimeMethod::Iso.body(NOW)[..], b"2022-W36-2T15:10:00Z");
        assert!(TimeMethod::Head.body(NOW).is_empty());
        assert_eq!(http_date(NOW), "Tue, 06 Sep 2022 15:10:00 GMT");
        assert_eq!(TimeMethod::from_name("ntp"), None, "NTP itself is not HTTP");
    }

    #[test]
    fn ntp_timestamps() {
        let b = ntp_timestamp(NOW);
        let secs = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let frac = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
        assert_eq!(u64::from(secs), 1_662_477_000 + NTP_UNIX_OFFSET_S);
        assert_eq!(frac, 1 << 30, "a quarter second");
        assert_eq!(&TimeMethod::HttpNtp.body(NOW)[..], &b);
    }
}
