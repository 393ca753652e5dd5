//! The attribute value syntaxes the rules read (XML Schema and DASH ones).

/// `xs:duration` in seconds (`PT1M2.5S`, `P1DT2H`). Years and months count
/// as 365 and 30 days: a manifest never means calendar arithmetic here.
pub fn duration_s(s: &str) -> Option<f64> {
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let rest = rest.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut total = 0.0;
    let mut any = false;
    for (part, units) in [
        (
            date,
            &[
                ('Y', 365.0 * 86400.0),
                ('M', 30.0 * 86400.0),
                ('D', 86400.0),
            ][..],
        ),
        (
            time.unwrap_or(""),
            &[('H', 3600.0), ('M', 60.0), ('S', 1.0)][..],
        ),
    ] {
        let mut num = String::new();
        let mut next_unit = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                num.push(c);
                continue;
            }
            let at = units.iter().skip(next_unit).position(|(u, _)| *u == c)? + next_unit;
            let v: f64 = num.parse().ok()?;
            if num.contains('.') && c != 'S' {
                return None;
            }
            total += v * units[at].1;
            next_unit = at + 1;
            num.clear();
            any = true;
        }
        if !num.is_empty() {
            return None;
        }
    }
    any.then_some(if neg { -total } else { total })
}

/// `xs:dateTime` as ms since 1970; no zone means UTC.
pub fn datetime_ms(s: &str) -> Option<i64> {
    let has_zone = s.ends_with('Z')
        || s.get(s.len().saturating_sub(6)..)
            .is_some_and(|t| t.starts_with('+') || t.starts_with('-'));
    let full = if has_zone {
        s.to_string()
    } else {
        format!("{s}Z")
    };
    chrono::DateTime::parse_from_rfc3339(&full)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// `n:m` with both whole numbers (`@par`, `@sar`).
pub fn ratio(s: &str) -> Option<(u64, u64)> {
    let (a, b) = s.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// `@frameRate`: `25` or `30000/1001`.
pub fn frame_rate(s: &str) -> Option<f64> {
    match s.split_once('/') {
        Some((n, d)) => {
            let n: u64 = n.parse().ok()?;
            let d: u64 = d.parse().ok()?;
            (d > 0).then(|| n as f64 / d as f64)
        }
        None => s.parse::<u64>().ok().map(|v| v as f64),
    }
}

/// A UUID in its 8-4-4-4-12 text form, as bytes.
pub fn uuid(s: &str) -> Option<[u8; 16]> {
    let groups: Vec<&str> = s.split('-').collect();
    if groups.iter().map(|g| g.len()).collect::<Vec<_>>() != [8, 4, 4, 4, 12] {
        return None;
    }
    let hex: String = groups.concat();
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// `first-last` byte range, first ≤ last.
pub fn byte_range(s: &str) -> Option<(u64, u64)> {
    let (a, b) = s.split_once('-')?;
    let (a, b): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
    (a <= b).then_some((a, b))
}

pub fn language(s: &str) -> bool {
    oxilangtag::LanguageTag::parse(s).is_ok()
}

/// A positive whole number.
pub fn positive(s: &str) -> Option<u64> {
    s.parse::<u64>().ok().filter(|&v| v > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_s("PT1M2.5S"), Some(62.5));
        assert_eq!(duration_s("P1DT1H"), Some(90000.0));
        assert_eq!(duration_s("PT0S"), Some(0.0));
        assert_eq!(duration_s("PT"), None);
        assert_eq!(duration_s("P"), None);
        assert_eq!(duration_s("PT1S2M"), None);
        assert_eq!(duration_s("1S"), None);
        assert_eq!(duration_s("PT1.5M"), None);
    }

    #[test]
    fn datetimes_uuids_ranges() {
        assert_eq!(datetime_ms("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(datetime_ms("1970-01-01T00:00:01"), Some(1000));
        assert_eq!(datetime_ms("1970-01-01T01:00:01+01:00"), Some(1000));
        assert_eq!(datetime_ms("yesterday"), None);
        assert!(uuid("9a04f079-9840-4286-ab92-e65be0885f95").is_some());
        assert!(uuid("9a04f07998404286ab92e65be0885f95").is_none());
        assert_eq!(byte_range("0-99"), Some((0, 99)));
        assert_eq!(byte_range("9-1"), None);
        assert_eq!(
            frame_rate("30000/1001").map(|f| (f * 100.0).round()),
            Some(2997.0)
        );
    }
}
