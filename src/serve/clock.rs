//! The request clock as the resolver takes it: the `now` override of a URL
//! (livesim2's `nowMS`), the range of instants this server can write, and
//! the bodies of `/time/{method}` (dash-live §4.7). Pure: the origin reads
//! the clock and passes it in.

use chrono::DateTime;

use crate::mpd::live::parse_datetime_ms;
use crate::mpd::time::iso_datetime_ms;
use crate::options::shown;

/// The earliest instant a request may name: the Unix epoch.
pub const MIN_MS: i64 = 0;
/// The latest: 9999-12-31T23:59:59.999Z (xs:dateTime and HTTP dates have
/// four-digit years).
pub const MAX_MS: i64 = 253_402_300_799_999;

/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET_S: u64 = 2_208_988_800;

/// An instant moved into the range this server writes.
pub fn clamp(ms: i64) -> i64 {
    ms.clamp(MIN_MS, MAX_MS)
}

/// `now=`: Unix milliseconds or an ISO 8601 date and time with a zone.
fn parse_now(value: &str) -> Result<i64, String> {
    // A zone's `+` often arrives unencoded, and so as a space.
    let decoded = crate::options::decode_plus(value).replace(' ', "+");
    let ms = decoded
        .parse::<i64>()
        .ok()
        .or_else(|| parse_datetime_ms(&decoded))
        .ok_or_else(|| {
            "expected Unix milliseconds or an ISO 8601 date and time with a zone".to_string()
        })?;
    if !(MIN_MS..=MAX_MS).contains(&ms) {
        return Err(format!(
            "expected an instant from {} to {}",
            iso_datetime_ms(MIN_MS),
            iso_datetime_ms(MAX_MS - 999)
        ));
    }
    Ok(ms)
}

/// Splits the `now` override out of a query: (the rest, the instant).
pub fn split_now(query: &str) -> Result<(String, Option<i64>), String> {
    let mut now = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("now", v)) => {
                let ms = parse_now(v).map_err(|e| format!("now={}: {e}", shown(v)))?;
                now.get_or_insert(ms);
            }
            _ => rest.push(pair),
        }
    }
    Ok((rest.join("&"), now))
}

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
            _ => crate::policy::TEXT_PLAIN,
        }
    }

    /// The body telling `now_ms` (Unix ms; clamped to the range this server writes).
    pub fn body(self, now_ms: i64) -> Vec<u8> {
        let now_ms = clamp(now_ms);
        let t = DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
        match self {
            TimeMethod::Xsd => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().into_bytes(),
            TimeMethod::Iso => t.format("%G-W%V-%uT%H:%M:%SZ").to_string().into_bytes(),
            TimeMethod::HttpNtp => ntp_timestamp(now_ms).to_vec(),
            TimeMethod::Head => Vec::new(),
        }
    }
}

/// An NTP timestamp: seconds since 1900 (era 0 wraps in 2036, as NTP's
/// own 32-bit seconds do) and a binary fraction, big-endian.
pub fn ntp_timestamp(now_ms: i64) -> [u8; 8] {
    let ms = clamp(now_ms) as u64;
    let secs = ((ms / 1000 + NTP_UNIX_OFFSET_S) & 0xffff_ffff) as u32;
    let frac = (((ms % 1000) << 32) / 1000) as u32;
    let mut out = [0; 8];
    out[..4].copy_from_slice(&secs.to_be_bytes());
    out[4..].copy_from_slice(&frac.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_662_477_000_250; // 2022-09-06T15:10:00.250Z, a Tuesday

    #[test]
    fn every_form_of_the_clock() {
        assert_eq!(TimeMethod::Xsd.body(NOW), b"2022-09-06T15:10:00.250Z");
        assert_eq!(TimeMethod::Iso.body(NOW), b"2022-W36-2T15:10:00Z");
        assert!(TimeMethod::Head.body(NOW).is_empty());
        assert_eq!(TimeMethod::from_name("ntp"), None, "NTP itself is not HTTP");
        // The edges of the range, and past them, write a date (clamped).
        assert_eq!(TimeMethod::Xsd.body(i64::MAX), b"9999-12-31T23:59:59.999Z");
        assert_eq!(TimeMethod::Xsd.body(i64::MIN), b"1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn ntp_timestamps() {
        let b = ntp_timestamp(NOW);
        let secs = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let frac = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
        assert_eq!(u64::from(secs), 1_662_477_000 + NTP_UNIX_OFFSET_S);
        assert_eq!(frac, 1 << 30, "a quarter second");
        assert_eq!(TimeMethod::HttpNtp.body(NOW), b);
        let _ = ntp_timestamp(MAX_MS);
    }

    #[test]
    fn the_now_override() {
        assert_eq!(
            split_now("a=1&now=1000&b=2").unwrap(),
            ("a=1&b=2".into(), Some(1000))
        );
        assert_eq!(
            split_now("now=2022-09-06T15:10:00Z").unwrap().1,
            Some(1_662_477_000_000)
        );
        assert_eq!(
            split_now("now=2022-09-06T15%3A10%3A00%2B01%3A00")
                .unwrap()
                .1,
            Some(1_662_477_000_000 - 3_600_000)
        );
        assert_eq!(
            split_now("start=today").unwrap(),
            ("start=today".into(), None)
        );
        let e = split_now("now=yesterday").unwrap_err();
        assert!(e.starts_with("now=yesterday: expected Unix"), "{e}");
        // Past what a date can carry: the error names now=, not start=.
        let e = split_now("now=99999999999999999").unwrap_err();
        assert_eq!(
            e,
            "now=99999999999999999: expected an instant from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
        );
        assert!(split_now("now=-1").is_err());
        assert!(split_now("now=%01").unwrap_err().starts_with("now=%01: "));
    }
}
