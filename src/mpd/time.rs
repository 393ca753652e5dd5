//! xs:duration and xs:dateTime as manifests write them.

/// `PT40S`, `PT3.84S`, `PT1M1.44S`, `PT2H`, `PT0S` from milliseconds.
pub fn iso_duration_ms(ms: u64) -> String {
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    // Pushed piece by piece: a live manifest writes several per request.
    let mut num = itoa::Buffer::new();
    let mut out = String::with_capacity(16);
    out.push_str("PT");
    if h > 0 {
        out.push_str(num.format(h));
        out.push('H');
    }
    if m > 0 {
        out.push_str(num.format(m));
        out.push('M');
    }
    if rest > 0 || (h == 0 && m == 0) {
        out.push_str(num.format(rest / 1000));
        let (mut frac, mut width) = (rest % 1000, 3);
        if frac > 0 {
            while frac % 10 == 0 {
                frac /= 10;
                width -= 1;
            }
            out.push('.');
            let digits = num.format(frac);
            out.extend(std::iter::repeat_n('0', width - digits.len()));
            out.push_str(digits);
        }
        out.push('S');
    }
    out
}

/// Duration of `ticks` in a `timescale`, to the millisecond (rounded).
pub fn ticks_to_ms(ticks: u64, timescale: u32) -> u64 {
    let ts = u128::from(timescale.max(1));
    ((u128::from(ticks) * 1000 + ts / 2) / ts) as u64
}

/// `2022-09-06T15:10:02Z` (or with milliseconds when not whole) from Unix ms.
pub fn iso_datetime_ms(unix_ms: i64) -> String {
    use chrono::{Datelike, Timelike};
    let secs = unix_ms.div_euclid(1000);
    let ms = unix_ms.rem_euclid(1000) as u32;
    // Digit by digit: a live manifest writes several of these per request,
    // and format strings cost more than the digits.
    fn digits(out: &mut String, n: u32, width: u32) {
        for p in (0..width).rev() {
            out.push(char::from(b'0' + (n / 10u32.pow(p) % 10) as u8));
        }
    }
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(t) if (0..=9999).contains(&t.year()) => {
            let mut out = String::with_capacity(24);
            digits(&mut out, t.year() as u32, 4);
            for (sep, n) in [('-', t.month()), ('-', t.day()), ('T', t.hour())] {
                out.push(sep);
                digits(&mut out, n, 2);
            }
            for n in [t.minute(), t.second()] {
                out.push(':');
                digits(&mut out, n, 2);
            }
            if ms != 0 {
                out.push('.');
                digits(&mut out, ms, 3);
            }
            out.push('Z');
            out
        }
        _ => "1970-01-01T00:00:00Z".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(iso_duration_ms(40_000), "PT40S");
        assert_eq!(iso_duration_ms(3_840), "PT3.84S");
        assert_eq!(iso_duration_ms(61_440), "PT1M1.44S");
        assert_eq!(iso_duration_ms(7_200_000), "PT2H");
        assert_eq!(iso_duration_ms(0), "PT0S");
        assert_eq!(iso_duration_ms(1_500), "PT1.5S");
        assert_eq!(iso_duration_ms(1_040), "PT1.04S");
        assert_eq!(iso_duration_ms(3_600_007), "PT1H0.007S");
        assert_eq!(iso_duration_ms(60_000), "PT1M");
        assert_eq!(ticks_to_ms(1_763_328, 44_100), 39_985);
    }

    #[test]
    fn datetimes() {
        assert_eq!(iso_datetime_ms(1_662_477_002_000), "2022-09-06T15:10:02Z");
        assert_eq!(
            iso_datetime_ms(1_662_477_002_250),
            "2022-09-06T15:10:02.250Z"
        );
        assert_eq!(iso_datetime_ms(0), "1970-01-01T00:00:00Z");
    }
}
