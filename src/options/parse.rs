//! Value grammars of reference §1.2, and the small percent-encoding helpers
//! the query string needs. Every parser returns the problem as text; the
//! caller adds the parameter name and value.

use super::table::{DefaultValue, Kind, OptionDef};
use super::{Drm, DrmChoice, DrmLocations, ErrorPos, HttpError, Value};

/// `''` and `none` mean "the default" for every kind but Bool.
pub(crate) fn is_unset(raw: &str) -> bool {
    raw.is_empty() || raw.eq_ignore_ascii_case("none")
}

/// The value a default stands for, in the shape of its kind.
pub(crate) fn default_value(def: &OptionDef) -> Value {
    match (def.kind, def.default) {
        (_, DefaultValue::Bool(b)) => Value::Bool(b),
        (_, DefaultValue::Int(i)) => Value::Int(i),
        (_, DefaultValue::Str(s)) => Value::Str(s.map(str::to_string)),
        // Only empty list defaults exist; the typed lists start empty.
        (Kind::HttpErrors, DefaultValue::List(_)) => Value::HttpErrors(Vec::new()),
        (Kind::DrmSelection, DefaultValue::List(_)) => Value::Drm(Vec::new()),
        (_, DefaultValue::List(items)) => {
            Value::List(items.iter().map(|s| s.to_string()).collect())
        }
    }
}

/// Parses one value of `def` from its (already query-decoded) text.
pub(crate) fn parse_value(def: &OptionDef, raw: &str) -> Result<Value, String> {
    // Values reach manifests (as XML) and logs: a control character is never
    // meant, and XML 1.0 cannot even carry most of them.
    if raw.chars().any(char::is_control) {
        return Err("control characters are not allowed".into());
    }
    if def.kind != Kind::Bool && is_unset(raw) {
        return Ok(default_value(def));
    }
    let value = match def.kind {
        Kind::Bool => {
            Value::Bool(parse_bool(raw).ok_or_else(|| format!("expected {}", def.kind.syntax()))?)
        }
        Kind::Int | Kind::IntOrNone => {
            let expected = || match def.range {
                Some((min, max)) => format!("expected an integer from {min} to {max}"),
                None => format!("expected {}", def.kind.syntax()),
            };
            let n = raw.parse::<i64>().map_err(|_| expected())?;
            if def
                .range
                .is_some_and(|(min, max)| !(min..=max).contains(&n))
            {
                return Err(expected());
            }
            Value::Int(Some(n))
        }
        Kind::Str | Kind::StrOrNone => Value::Str(Some(raw.to_string())),
        Kind::StrList => Value::List(split_list(raw)),
        Kind::PositionList => {
            let items = split_list(raw);
            for item in &items {
                parse_position(item).ok_or_else(|| {
                    format!("{item:?} is not a position: expected {}", def.kind.syntax())
                })?;
            }
            Value::List(items.into_iter().map(normalise_position).collect())
        }
        Kind::Url => Value::Str(Some(decode_plus(raw))),
        Kind::HttpErrors => Value::HttpErrors(parse_http_errors(raw)?),
        Kind::AvailabilityStart => Value::Str(Some(
            parse_start(raw).ok_or_else(|| format!("expected {}", def.kind.syntax()))?,
        )),
        Kind::DrmSelection => Value::Drm(parse_drm(raw)?),
    };
    check_choices(def, &value)?;
    Ok(value)
}

/// Enforces a closed set of values, per item for lists.
fn check_choices(def: &OptionDef, value: &Value) -> Result<(), String> {
    if def.choices.is_empty() {
        return Ok(());
    }
    let bad = match value {
        Value::Int(Some(n)) => {
            let s = n.to_string();
            (!def.choices.contains(&s.as_str())).then_some(s)
        }
        Value::Str(Some(s)) => (!def.choices.contains(&s.as_str())).then(|| s.clone()),
        Value::List(items) => items
            .iter()
            .find(|i| !def.choices.contains(&i.as_str()))
            .cloned(),
        _ => None,
    };
    match bad {
        None => Ok(()),
        Some(b) if matches!(value, Value::List(_)) => Err(format!(
            "{b:?} is not allowed: allowed values are {} (comma separated)",
            def.choices.join(", ")
        )),
        Some(_) => Err(format!("allowed values are {}", def.choices.join(", "))),
    }
}

/// Stricter than dash-live on purpose: dash-live reads anything outside
/// {true,1,on} as false, so a typo like `abr=flase` silently flips the
/// option; here it is a 400 naming the parameter.
pub(crate) fn parse_bool(raw: &str) -> Option<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "on" => Some(true),
        "false" | "0" | "off" => Some(false),
        _ => None,
    }
}

/// Comma split, dropping empty items and `none`.
fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .filter(|s| !is_unset(s))
        .map(str::to_string)
        .collect()
}

/// dash-live's availabilityStartTime: a keyword (any case) or a date-time.
fn parse_start(raw: &str) -> Option<String> {
    let lower = raw.to_ascii_lowercase();
    if matches!(lower.as_str(), "year" | "today" | "month" | "epoch" | "now") {
        return Some(lower);
    }
    iso_datetime(raw)
}

/// A segment number or a time (of day or full date-time), as used by the
/// HTTP error and corruption lists.
pub(crate) fn parse_position(raw: &str) -> Option<ErrorPos> {
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw.parse::<u64>().ok().map(ErrorPos::Segment);
    }
    time_of_day(raw)
        .or_else(|| iso_datetime(raw))
        .map(ErrorPos::Time)
}

/// Canonical text of a position already known to parse.
fn normalise_position(raw: String) -> String {
    match parse_position(&raw) {
        Some(ErrorPos::Time(t)) => t,
        _ => raw,
    }
}

fn parse_http_errors(raw: &str) -> Result<Vec<HttpError>, String> {
    let mut out = Vec::new();
    for item in raw.split(',').filter(|s| !is_unset(s)) {
        let syntax = Kind::HttpErrors.syntax();
        let (code, pos) = item
            .split_once('=')
            .ok_or_else(|| format!("{item:?} has no '=': expected {syntax}"))?;
        let code = code
            .parse::<u16>()
            .ok()
            .filter(|c| (100..=599).contains(c))
            .ok_or_else(|| format!("{code:?} is not an HTTP status code: expected {syntax}"))?;
        let pos = parse_position(pos)
            .ok_or_else(|| format!("{pos:?} is not a position: expected {syntax}"))?;
        out.push(HttpError { code, pos });
    }
    Ok(out)
}

/// The `drm` grammar. dash-live is looser (`none,playready` means none,
/// `all,x` means all, unknown names pass through); here anything outside the
/// grammar is an error so a typo does not silently serve clear content.
pub(crate) fn parse_drm(raw: &str) -> Result<Vec<DrmChoice>, String> {
    let syntax = || format!("expected {}", Kind::DrmSelection.syntax());
    let lower = raw.to_ascii_lowercase();
    let items: Vec<&str> = lower.split(',').filter(|s| !s.is_empty()).collect();
    let mut out: Vec<DrmChoice> = Vec::new();
    for item in &items {
        let mut parts = item.split('-');
        let name = parts.next().unwrap_or_default();
        let mut locations = DrmLocations::NONE;
        for loc in parts {
            let l = DrmLocations::from_name(loc)
                .ok_or_else(|| format!("{loc:?} is not a DRM location: {}", syntax()))?;
            locations = locations.union(l);
        }
        if locations == DrmLocations::NONE {
            locations = DrmLocations::ALL;
        }
        match name {
            "none" | "all" if items.len() > 1 => {
                return Err(format!(
                    "{name} cannot be combined with other DRMs: {}",
                    syntax()
                ));
            }
            "none" if item.contains('-') => {
                return Err(format!("none takes no locations: {}", syntax()));
            }
            "none" => return Ok(Vec::new()),
            "all" => {
                return Ok(Drm::ALL
                    .iter()
                    .map(|&drm| DrmChoice { drm, locations })
                    .collect());
            }
            _ => {}
        }
        let drm =
            Drm::from_name(name).ok_or_else(|| format!("{name:?} is not a DRM: {}", syntax()))?;
        if out.iter().any(|c| c.drm == drm) {
            return Err(format!("{name} is listed twice: {}", syntax()));
        }
        out.push(DrmChoice { drm, locations });
    }
    Ok(out)
}

/// Canonical `drm` text: dash-live's `_drm_selection_to_string` (locations
/// sorted, all locations = bare name), plus `all[-loc..]` when every DRM is
/// selected in table order with the same locations.
pub(crate) fn format_drm(choices: &[DrmChoice]) -> String {
    if choices.is_empty() {
        return "none".to_string();
    }
    let with_locs = |name: &str, locs: DrmLocations| {
        if locs == DrmLocations::ALL {
            name.to_string()
        } else {
            let mut s = name.to_string();
            for l in locs.names() {
                s.push('-');
                s.push_str(l);
            }
            s
        }
    };
    let first = choices[0].locations;
    let is_all = choices.len() == Drm::ALL.len()
        && choices
            .iter()
            .zip(Drm::ALL)
            .all(|(c, d)| c.drm == d && c.locations == first);
    if is_all {
        return with_locs("all", first);
    }
    choices
        .iter()
        .map(|c| with_locs(c.drm.name(), c.locations))
        .collect::<Vec<_>>()
        .join(",")
}

/// `HH:MM:SS[.fff][Z]`, returned with a `Z`.
fn time_of_day(raw: &str) -> Option<String> {
    let body = raw.strip_suffix('Z').unwrap_or(raw);
    let b = body.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let h = two_digits(&b[0..2])?;
    let m = two_digits(&b[3..5])?;
    let s = two_digits(&b[6..8])?;
    fraction_ok(&b[8..])?;
    (h < 24 && m < 60 && s < 60).then(|| format!("{body}Z"))
}

/// Validates `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` and returns it with a
/// space before the offset turned back into `+` (an unescaped `+` in a URL
/// arrives as a space).
pub(crate) fn iso_datetime(raw: &str) -> Option<String> {
    let b = raw.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let year = b[0..4].iter().try_fold(0u32, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })?;
    let month = two_digits(&b[5..7])?;
    let day = two_digits(&b[8..10])?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    // The time part shares the time-of-day grammar, then the zone follows.
    let rest = &raw[11..];
    let zone_at = rest.find(['Z', '+', '-', ' '])?;
    let (time, zone) = rest.split_at(zone_at);
    time_of_day(time)?;
    let zone = match zone {
        "Z" => "Z".to_string(),
        _ => {
            let z = zone.as_bytes();
            if z.len() != 6 || z[3] != b':' {
                return None;
            }
            let zh = two_digits(&z[1..3])?;
            let zm = two_digits(&z[4..6])?;
            if zh > 23 || zm > 59 {
                return None;
            }
            let sign = if z[0] == b'-' { '-' } else { '+' };
            format!("{sign}{}", &zone[1..])
        }
    };
    Some(format!("{}T{time}{zone}", &raw[..10]))
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
        }
        _ => None,
    }
}

/// Empty, or `.` and at least one digit.
fn fraction_ok(b: &[u8]) -> Option<()> {
    match b {
        [] => Some(()),
        [b'.', digits @ ..] if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
            Some(())
        }
        _ => None,
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `application/x-www-form-urlencoded` decoding (Python's `unquote_plus`):
/// `+` is a space, `%XX` a byte; a `%` not followed by two hex digits is
/// kept as is and bytes that are not UTF-8 become U+FFFD, as browsers do.
pub fn decode_plus(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3).and_then(|h| {
                    let hi = (h[0] as char).to_digit(16)?;
                    let lo = (h[1] as char).to_digit(16)?;
                    u8::try_from(hi * 16 + lo).ok()
                });
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Python's `quote_plus`: everything but `A-Za-z0-9_.-~` escaped, space as
/// `+`. Used for Url values, which dash-live encodes inside the query value.
pub fn encode_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &byte in s.as_bytes() {
        match byte {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(byte as char)
            }
            _ => push_escaped(&mut out, byte),
        }
    }
    out
}

/// Escapes only what would break a query string (or a header carrying it):
/// space, `&`, `#`, `%`, `+`, controls and non-ASCII; and `=` when `name`,
/// since a value may hold `=` unharmed (`merr=503=2`, as dash-live writes it).
/// Appends to `out`.
pub fn push_query_part(out: &mut String, s: &str, name: bool) {
    let escape = |byte: u8| {
        matches!(byte, b' ' | b'&' | b'#' | b'%' | b'+' | 0..=0x1f | 0x7f..)
            || (name && byte == b'=')
    };
    // Most names and values need nothing escaped: one copy.
    if !s.bytes().any(escape) {
        out.push_str(s);
        return;
    }
    for &byte in s.as_bytes() {
        if escape(byte) {
            push_escaped(out, byte);
        } else {
            out.push(byte as char);
        }
    }
}

fn push_escaped(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[usize::from(byte >> 4)] as char);
    out.push(HEX[usize::from(byte & 0xf)] as char);
}

/// The canonical text of a value, as written into URLs and listings. It
/// parses back to the same value (the round-trip tests check it).
pub(crate) fn format_value(def: &OptionDef, value: &Value) -> String {
    match value {
        Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        Value::Int(Some(n)) => n.to_string(),
        Value::Str(Some(s)) if def.kind == Kind::Url => encode_plus(s),
        Value::Str(Some(s)) => s.clone(),
        Value::Int(None) | Value::Str(None) => "none".to_string(),
        Value::List(items) if items.is_empty() => "none".to_string(),
        Value::List(items) => items.join(","),
        Value::HttpErrors(errors) if errors.is_empty() => "none".to_string(),
        Value::HttpErrors(errors) => errors
            .iter()
            .map(|e| format!("{}={}", e.code, e.pos))
            .collect::<Vec<_>>()
            .join(","),
        Value::Drm(choices) => format_drm(choices),
    }
}
