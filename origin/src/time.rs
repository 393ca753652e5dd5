//! The clock at the HTTP edge: the one place the origin turns the system
//! clock into Unix ms, and HTTP dates (the `/time` bodies are the core's,
//! `dashlive::serve::clock`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An HTTP `Date` header value (`Tue, 06 Sep 2022 15:10:00 GMT`).
pub fn http_date(now_ms: i64) -> String {
    httpdate::fmt_http_date(system_time(now_ms))
}

pub fn system_time(now_ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(dashlive::serve::clock::clamp(now_ms) as u64)
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

    #[test]
    fn http_dates_at_the_edges() {
        assert_eq!(
            http_date(1_662_477_000_250),
            "Tue, 06 Sep 2022 15:10:00 GMT"
        );
        // httpdate panics past year 9999: the clock is clamped first.
        assert_eq!(http_date(i64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(http_date(-5), "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}
