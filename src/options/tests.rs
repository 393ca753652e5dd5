use std::collections::{BTreeMap, HashSet};

use super::parse::{default_value, format_value, iso_datetime, parse_drm, parse_value};
use super::table::{index_of_any, LEGACY_CGI};
use super::*;

fn opt(full: &str) -> &'static OptionDef {
    by_full(full).unwrap_or_else(|| panic!("no option {full}"))
}

fn query(q: &str) -> Options {
    let (o, w) = Options::parse_query(q, Mode::Live).unwrap();
    assert!(w.is_empty(), "{q}: {w:?}");
    o
}

fn err(q: &str) -> String {
    Options::parse_query(q, Mode::Live).unwrap_err().to_string()
}

/// A non-default value for every option, chosen to exercise escaping.
fn sample(def: &OptionDef) -> &'static str {
    let first_other = |choices: &'static [&'static str]| {
        let default = format_value(def, &default_value(def));
        choices.iter().copied().find(|c| *c != default).unwrap()
    };
    match def.kind {
        Kind::Bool if def.default == DefaultValue::Bool(true) => "0",
        Kind::Bool => "1",
        _ if !def.choices.is_empty() => first_other(def.choices),
        Kind::Int | Kind::IntOrNone => match def.range {
            // The bound furthest from the default: the edges must be allowed.
            Some((min, max)) => {
                let pick = if def.default == DefaultValue::Int(Some(min)) {
                    max
                } else {
                    min
                };
                Box::leak(pick.to_string().into_boxed_str())
            }
            None => "-7",
        },
        Kind::Str | Kind::StrOrNone => "a b#c+d%e=f&g\u{e9}",
        Kind::StrList => "time.example,ntp 2.example",
        Kind::PositionList => "10:00:00Z,5,12:30:00.5Z",
        Kind::Url => "https://lic.example/p?a=1&b=c d+e%2F\u{e9}",
        Kind::HttpErrors => "503=2,504=2024-01-01T10:00:00+01:00,404=10:30:00Z",
        Kind::AvailabilityStart => "2024-02-29T12:00:00.5-05:00",
        Kind::DrmSelection => "playready-pro-cenc,clearkey",
    }
}

/// A value each kind must refuse, or None where every string is valid.
fn bad_sample(def: &OptionDef) -> Option<&'static str> {
    match def.kind {
        Kind::Bool => Some("maybe"),
        Kind::Int | Kind::IntOrNone => Some("12x"),
        _ if !def.choices.is_empty() => Some("bogus"),
        Kind::Str | Kind::StrOrNone | Kind::StrList | Kind::Url => None,
        Kind::PositionList => Some("5,noon"),
        Kind::HttpErrors => Some("503"),
        Kind::AvailabilityStart => Some("yesterday"),
        Kind::DrmSelection => Some("fairplay"),
    }
}

#[test]
fn table_has_every_option_of_the_reference() {
    // dash-live's 58, enc (on-the-fly encryption, beyond dash-live), and
    // livesim2's statuscode and segtimelineloss.
    assert_eq!(OPTIONS.len(), 58 + 3);
    for full in FEATURE_GATED.iter().chain(LIVE_ONLY) {
        assert!(by_full(full).is_some(), "{full}");
    }
    for (legacy, full) in LEGACY_CGI {
        assert!(by_full(full).is_some(), "{full}");
        assert!(OPTIONS.iter().all(|d| d.cgi != *legacy));
    }
}

#[test]
fn names_are_unique() {
    for names in [
        OPTIONS.iter().map(|d| d.cgi).collect::<Vec<_>>(),
        OPTIONS.iter().map(|d| d.short).collect(),
        OPTIONS.iter().map(|d| d.full).collect(),
    ] {
        let set: HashSet<_> = names.iter().collect();
        assert_eq!(set.len(), names.len(), "{names:?}");
    }
    // Defaults may use any of the three names: none may name another option.
    for (i, d) in OPTIONS.iter().enumerate() {
        for name in [d.cgi, d.short, d.full] {
            assert_eq!(index_of_any(name), Some(i), "{name}");
        }
    }
}

#[test]
fn table_rows_are_consistent() {
    for d in OPTIONS {
        assert!(!d.help.is_empty() && d.help.ends_with('.'), "{}", d.full);
        assert!(d.usage != Usage::NONE, "{}", d.full);
        let ok = matches!(
            (d.kind, d.default),
            (Kind::Bool, DefaultValue::Bool(_))
                | (Kind::Int, DefaultValue::Int(Some(_)))
                | (Kind::IntOrNone, DefaultValue::Int(None))
                | (Kind::Str, DefaultValue::Str(Some(_)))
                | (Kind::StrOrNone | Kind::Url, DefaultValue::Str(None))
                | (Kind::AvailabilityStart, DefaultValue::Str(Some(_)))
                | (
                    Kind::StrList | Kind::PositionList | Kind::HttpErrors | Kind::DrmSelection,
                    DefaultValue::List(_)
                )
        );
        assert!(ok, "{}: {:?} with {:?}", d.full, d.kind, d.default);
        for e in d.examples {
            assert!(parse_value(d, e).is_ok(), "{}: example {e}", d.full);
        }
        for c in d.choices {
            assert!(parse_value(d, c).is_ok(), "{}: choice {c}", d.full);
        }
    }
}

#[test]
fn every_default_parses_back() {
    for d in OPTIONS {
        let default = default_value(d);
        let text = format_value(d, &default);
        assert_eq!(parse_value(d, &text), Ok(default), "{} = {text}", d.full);
    }
    let o = Options::new(Mode::Vod);
    for d in OPTIONS {
        assert!(o.is_default(d.full), "{}", d.full);
    }
    assert_eq!(o.to_query(Usage::ALL), "");
}

#[test]
fn bad_values_name_the_parameter() {
    let mut checked = 0;
    for d in OPTIONS {
        let Some(bad) = bad_sample(d) else { continue };
        let e = Options::parse_query(&format!("{}={bad}", d.cgi), Mode::Live).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with(&format!("{}={bad}: ", d.cgi)), "{msg}");
        match e {
            OptionError::Invalid { param, value, .. } => {
                assert_eq!(param, d.cgi);
                assert_eq!(value, bad);
            }
            other => panic!("{other:?}"),
        }
        checked += 1;
    }
    assert!(checked > 40, "{checked}");
    assert_eq!(
        err("acodec=opus"),
        "acodec=opus: allowed values are mp4a, ec-3, any"
    );
    assert_eq!(
        err("mode=ondemand"),
        "mode=ondemand: allowed values are vod, live, odvod"
    );
    assert!(err("abr=yes").contains("expected 1 or 0"));
    assert!(err("abr=").starts_with("abr=: "));
    assert!(err("mup=4.5").contains("integer"));
    assert!(err("events=ping,pong").contains("\"pong\" is not allowed"));
    assert!(err("verr=999=1").contains("\"999\" is not an HTTP status code"));
    assert!(err("verr=404=soon").contains("\"soon\" is not a position"));
    assert!(err("ping__version=2").contains("allowed values are 0, 1"));
    assert!(err("time=gps").contains("direct, head, http-ntp"));
    assert!(err("start=2024-02-30T00:00:00Z").starts_with("start="));
}

#[test]
fn bool_values() {
    for (raw, want) in [
        ("1", true),
        ("true", true),
        ("TRUE", true),
        ("on", true),
        ("0", false),
        ("False", false),
        ("off", false),
    ] {
        assert_eq!(
            query(&format!("timeline={raw}")).segment_timeline(),
            want,
            "{raw}"
        );
    }
    for raw in ["", "none", "2", "yes", "flase"] {
        assert!(
            Options::parse_query(&format!("abr={raw}"), Mode::Vod).is_err(),
            "{raw}"
        );
    }
}

#[test]
fn unset_values_mean_the_default() {
    let o = query("depth=none&mup=&acodec=none&events=none&drm=&start=none&tcodec=");
    assert_eq!(o, Options::new(Mode::Live));
    assert_eq!(o.time_shift_buffer_depth(), 1800);
    assert_eq!(o.min_update_period(), None);
    assert_eq!(o.audio_codec(), "mp4a");
    let o = query("events=ping,,none,scte35&ntp_servers=a,b");
    assert_eq!(o.event_types(), ["ping", "scte35"]);
    assert_eq!(o.ntp_sources(), ["a", "b"]);
}

#[test]
fn drm_grammar() {
    let all = DrmLocations::ALL;
    let pro = DrmLocations::PRO;
    let cenc = DrmLocations::CENC;
    let moov = DrmLocations::MOOV;
    let choice = |drm, locations| DrmChoice { drm, locations };
    for (raw, want) in [
        ("none", vec![]),
        ("NONE", vec![]),
        ("", vec![]),
        ("playready", vec![choice(Drm::Playready, all)]),
        (
            "all",
            vec![
                choice(Drm::Clearkey, all),
                choice(Drm::Marlin, all),
                choice(Drm::Playready, all),
            ],
        ),
        (
            "all-moov",
            vec![
                choice(Drm::Clearkey, moov),
                choice(Drm::Marlin, moov),
                choice(Drm::Playready, moov),
            ],
        ),
        (
            "playready-pro-cenc,clearkey-moov",
            vec![
                choice(Drm::Playready, pro.union(cenc)),
                choice(Drm::Clearkey, moov),
            ],
        ),
        (
            "marlin,playready,",
            vec![choice(Drm::Marlin, all), choice(Drm::Playready, all)],
        ),
        ("Playready-PRO", vec![choice(Drm::Playready, pro)]),
        ("playready-pro-cenc-moov", vec![choice(Drm::Playready, all)]),
        ("widevine-cenc", vec![choice(Drm::Widevine, cenc)]),
    ] {
        assert_eq!(parse_drm(raw), Ok(want), "{raw}");
    }
    for raw in [
        "fairplay",
        "playready-",
        "playready-pssh",
        "none,playready",
        "all,playready",
        "playready,playready-pro",
        "none-pro",
        "-pro",
        "playready;marlin",
        "playready marlin",
    ] {
        assert!(parse_drm(raw).is_err(), "{raw}");
    }
    // Canonical text: sorted locations, bare name for all, `all` folded.
    for (raw, text) in [
        ("playready-pro-cenc,clearkey", "playready-cenc-pro,clearkey"),
        ("clearkey,marlin,playready", "all"),
        ("all-pro-moov", "all-moov-pro"),
        ("playready,clearkey,marlin", "playready,clearkey,marlin"),
        // Widevine is not part of dash-live's `all`.
        (
            "clearkey,marlin,playready,widevine",
            "clearkey,marlin,playready,widevine",
        ),
    ] {
        assert_eq!(parse::format_drm(&parse_drm(raw).unwrap()), text);
    }
    let o = query("drm=playready-pro,marlin");
    let names: Vec<_> = o.drm_selection().iter().map(|c| c.drm.name()).collect();
    assert_eq!(names, ["playready", "marlin"]);
    assert_eq!(
        o.drm_selection()[0].locations.names().collect::<Vec<_>>(),
        ["pro"]
    );
}

#[test]
fn availability_start_and_times() {
    let o = query("start=today");
    assert_eq!(o.availability_start(), AvailabilityStart::Today);
    assert_eq!(
        Options::new(Mode::Live).availability_start(),
        AvailabilityStart::Year
    );
    let o = query("start=2024-01-02T03:04:05Z");
    assert_eq!(
        o.availability_start(),
        AvailabilityStart::DateTime("2024-01-02T03:04:05Z")
    );
    // A raw `+` in a URL arrives as a space: read it as the offset sign.
    let o = query("start=2024-01-02T03:04:05+01:00");
    assert_eq!(
        o.availability_start(),
        AvailabilityStart::DateTime("2024-01-02T03:04:05+01:00")
    );
    for good in [
        "2024-02-29T00:00:00Z",
        "2023-12-31T23:59:59.999Z",
        "2023-06-01T12:00:00-05:30",
        "2023-06-01T12:00:00+00:00",
    ] {
        assert_eq!(iso_datetime(good).as_deref(), Some(good));
    }
    for bad in [
        "2023-02-29T00:00:00Z",
        "2023-13-01T00:00:00Z",
        "2023-01-01 00:00:00Z",
        "2023-01-01T24:00:00Z",
        "2023-01-01T00:60:00Z",
        "2023-01-01T00:00:00",
        "2023-01-01T00:00:00.Z",
        "2023-01-01T00:00:00+1:00",
        "2023-01-01T00:00:00+01:00junk",
        "2023-01-01",
        "\u{e9}023-01-01T00:00:00Z",
        "2023-01-01T00:00:00\u{e9}Z",
    ] {
        assert_eq!(iso_datetime(bad), None, "{bad}");
    }
}

#[test]
fn http_errors() {
    let o = query("verr=404=0,503=5&merr=503=10:00:00Z&aerr=410=2024-01-01T10:00:00Z");
    assert_eq!(
        o.http_errors("videoErrors"),
        [
            HttpError {
                code: 404,
                pos: ErrorPos::Segment(0)
            },
            HttpError {
                code: 503,
                pos: ErrorPos::Segment(5)
            },
        ]
    );
    assert_eq!(
        o.http_errors("manifestErrors"),
        [HttpError {
            code: 503,
            pos: ErrorPos::Time("10:00:00Z".into())
        }]
    );
    assert_eq!(o.http_errors("audioErrors").len(), 1);
    // Times of day without Z are read as UTC.
    let o = query("vcorrupt=10:00:00,7");
    assert_eq!(o.list("videoCorruption"), ["10:00:00Z", "7"]);
    for bad in [
        "503",
        "=5",
        "abc=5",
        "99=5",
        "600=5",
        "503=-1",
        "503=25:00:00Z",
    ] {
        assert!(
            Options::parse_query(&format!("verr={bad}"), Mode::Live).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn urls_and_legacy_names() {
    let o = query("playready__la_url=https%3A%2F%2Flic.example%2Fx%3Fa%3D1%26b%3D2");
    assert_eq!(
        o.license_url(Drm::Playready),
        Some("https://lic.example/x?a=1&b=2")
    );
    // The value is itself encoded inside the query (dash-live unquote_plus).
    let o = query("marlin__la_url=https%253A%252F%252Fm.example%252Fa%252Bb");
    assert_eq!(o.license_url(Drm::Marlin), Some("https://m.example/a+b"));
    let o = query("playready_la_url=http%3A%2F%2Fa&marlin_la_url=m&clearkey_la_url=c");
    assert_eq!(o.license_url(Drm::Playready), Some("http://a"));
    assert_eq!(o.license_url(Drm::Marlin), Some("m"));
    assert_eq!(o.license_url(Drm::Clearkey), Some("c"));
}

#[test]
fn percent_decoding() {
    assert_eq!(decode_plus("a+b%20c"), "a b c");
    assert_eq!(decode_plus("%e9t%C3%A9"), "\u{fffd}t\u{e9}");
    assert_eq!(decode_plus("100%"), "100%");
    assert_eq!(decode_plus("%zz%4"), "%zz%4");
    assert_eq!(decode_plus("%2"), "%2");
    assert_eq!(encode_plus("a b/c~"), "a+b%2Fc~");
    assert_eq!(decode_plus(&encode_plus("x =&+%\u{e9}")), "x =&+%\u{e9}");
    let o = query("main%5Faudio=a+1&tlang=%65ng");
    assert_eq!(o.main_audio(), Some("a 1"));
    assert_eq!(o.text("textLanguage"), Some("eng"));
}

#[test]
fn unknown_params_are_warnings() {
    let (o, w) = Options::parse_query("?foo=1&abr=0&bar&&ajax=1&es5", Mode::Vod).unwrap();
    assert!(!o.abr());
    assert_eq!(
        w,
        [
            "unknown parameter \"foo\" ignored",
            "unknown parameter \"bar\" ignored"
        ]
    );
    // Only cgi names are query names.
    let (_, w) = Options::parse_query("audioCodec=any&ac=any", Mode::Vod).unwrap();
    assert_eq!(w.len(), 2);
    // A repeated name keeps the first value, as Flask's request.args.
    let (o, w) = Options::parse_query("acodec=ec-3&acodec=bogus", Mode::Vod).unwrap();
    assert_eq!(o.audio_codec(), "ec-3");
    assert_eq!(w.len(), 1);
    // The path decides the mode.
    let (o, w) = Options::parse_query("mode=live", Mode::Vod).unwrap();
    assert_eq!(o.mode(), Mode::Vod);
    assert_eq!(w, ["mode=live ignored: the URL path gives vod"]);
    let (_, w) = Options::parse_query("mode=vod", Mode::Vod).unwrap();
    assert!(w.is_empty());
    // Echoed names are cut short.
    let long = "x".repeat(500);
    let (_, w) = Options::parse_query(&long, Mode::Vod).unwrap();
    assert!(w[0].len() < 120, "{}", w[0]);
}

#[test]
fn nothing_panics_on_odd_queries() {
    for q in [
        "",
        "?",
        "&",
        "=",
        "==",
        "=1",
        "%",
        "%%",
        "%zz=%zz",
        "%ff%fe=%00",
        "abr=%ff",
        "start=2024-01-01T00:00:00\u{e9}",
        "start=\u{e9}\u{e9}\u{e9}\u{e9}-01-01T00:00:00Z",
        "start=2024-01-01T",
        "verr==",
        "verr=,,,",
        "verr=503=",
        "drm=-",
        "drm=,",
        "drm=all-",
        "vcorrupt=::",
        "mup=99999999999999999999",
        "depth=-",
        "time=\u{0}",
        "merr=503=00:00:00Z%",
    ] {
        let _ = Options::parse_query(q, Mode::Live);
        let _ = iso_datetime(q);
        let _ = parse_drm(q);
        let _ = decode_plus(q);
    }
}

fn yaml(pairs: &[(&str, &str)]) -> BTreeMap<String, serde_yaml::Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), serde_yaml::from_str(v).unwrap()))
        .collect()
}

#[test]
fn defaults_by_any_name() {
    let mut o = Options::new(Mode::Live);
    o.apply_defaults(&yaml(&[
        ("abr", "false"),                                       // cgi = full
        ("ac", "ec-3"),                                         // short
        ("timeShiftBufferDepth", "30"),                         // full
        ("events", "[ping, scte35]"),                           // cgi, YAML list
        ("ping.value", "5"), // full dotted, YAML number for a string
        ("playready.licenseUrl", "https://lic.example/a+b%20"), // taken as written
        ("drm", "playready-pro"),
        ("pvn", "2.0"), // YAML float
        ("start", "2024-01-01T00:00:00Z"),
    ]))
    .unwrap();
    assert!(!o.abr());
    assert_eq!(o.audio_codec(), "ec-3");
    assert_eq!(o.time_shift_buffer_depth(), 30);
    assert_eq!(o.event_types(), ["ping", "scte35"]);
    assert_eq!(o.text("ping.value"), Some("5"));
    assert_eq!(
        o.license_url(Drm::Playready),
        Some("https://lic.example/a+b%20")
    );
    assert_eq!(o.text("playready.version"), Some("2.0"));
    assert_eq!(o.drm_selection().len(), 1);

    // The query then overrides the defaults; null puts a default back.
    o.apply_query("acodec=any&drm=none").unwrap();
    assert_eq!(o.audio_codec(), "any");
    assert!(o.drm_selection().is_empty());
    o.apply_defaults(&yaml(&[("tbd", "~")])).unwrap();
    assert_eq!(o.time_shift_buffer_depth(), 1800);

    for (k, v, want) in [
        (
            "acodec",
            "opus",
            "acodec=opus: allowed values are mp4a, ec-3, any",
        ),
        ("nosuch", "1", "nosuch: no such option"),
        ("ab", "{a: 1}", "ab=Mapping"),
        ("events", "[[ping]]", "events=Sequence"),
        ("mode", "live", "mode=live: mode comes from the URL path"),
        ("abr", "maybe", "abr=maybe: expected 1 or 0"),
    ] {
        let e = Options::new(Mode::Vod)
            .apply_defaults(&yaml(&[(k, v)]))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(want), "{e}");
    }
}

#[test]
fn to_query_sorts_omits_defaults_and_filters_usage() {
    let o = query("verr=503=1&acodec=ec-3&abr=0&depth=1800&ping__count=3&player=shaka&drift=10");
    // depth equals its default: left out; mode never appears.
    assert_eq!(
        o.to_query(Usage::ALL),
        "abr=0&acodec=ec-3&drift=10&ping__count=3&player=shaka&verr=503=1"
    );
    assert_eq!(
        o.to_query(Usage::MANIFEST),
        "abr=0&acodec=ec-3&drift=10&ping__count=3"
    );
    assert_eq!(o.to_query(Usage::VIDEO), "ping__count=3&verr=503=1");
    assert_eq!(o.to_query(Usage::AUDIO), "acodec=ec-3&ping__count=3");
    assert_eq!(o.to_query(Usage::TEXT), "");
    assert_eq!(o.to_query(Usage::TIME), "drift=10");
    assert_eq!(o.to_query(Usage::HTML), "player=shaka");
    // Only query-breaking characters are escaped.
    let o = query("main_audio=a%26b%20c%23d%2Be%25f%3Dg%C3%A9/h:i");
    assert_eq!(
        o.to_query(Usage::MANIFEST),
        "main_audio=a%26b%20c%23d%2Be%25f=g%C3%A9/h:i"
    );
}

#[test]
fn to_query_against_stream_defaults() {
    let mut base = Options::new(Mode::Live);
    base.apply_defaults(&yaml(&[("drm", "playready"), ("abr", "0")]))
        .unwrap();
    let mut o = base.clone();
    o.apply_query("drm=none&timeline=1").unwrap();
    assert_eq!(o.to_query_against(&base, Usage::ALL), "drm=none&timeline=1");
    assert_eq!(o.to_query(Usage::ALL), "abr=0&timeline=1");
}

#[test]
fn every_option_round_trips() {
    let mut all = Options::new(Mode::Live);
    for d in OPTIONS.iter().filter(|d| d.full != "mode") {
        let mut o = Options::new(Mode::Live);
        o.set(d.full, sample(d)).unwrap();
        assert!(!o.is_default(d.full), "{}", d.full);
        let q = o.to_query(Usage::ALL);
        assert!(q.starts_with(&format!("{}=", d.cgi)), "{q}");
        let (back, w) = Options::parse_query(&q, Mode::Live).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(back, o, "{}: {q}", d.full);
        all.set(d.cgi, sample(d)).unwrap();
    }
    let q = all.to_query(Usage::ALL);
    let (back, _) = Options::parse_query(&q, Mode::Live).unwrap();
    assert_eq!(back, all, "{q}");
    let keys: Vec<&str> = q
        .split('&')
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(keys.len(), OPTIONS.len() - 1);
}

#[test]
fn feature_and_mode_resets() {
    let q = "abr=0&acodec=any&base=0&drm=playready&events=ping&mup=4&timeline=1\
             &time=iso&patch=1&leeway=3&start=now&depth=30&ntp_servers=x&time_value=v\
             &playready__piff=0&marlin__la_url=m&clearkey__la_url=c";
    let mut o = query(q);
    o.reset_unsupported(&["abr", "drmSelection", "mode"]);
    assert!(!o.abr());
    assert_eq!(o.drm_selection().len(), 1);
    for full in [
        "audioCodec",
        "useBaseUrls",
        "eventTypes",
        "minimumUpdatePeriod",
    ] {
        assert!(o.is_default(full), "{full}");
    }
    for full in ["segmentTimeline", "utcMethod", "patch"] {
        assert!(o.is_default(full), "{full}");
    }
    assert_eq!(o.leeway(), 3);

    // Live keeps live options; only the unselected DRMs' sub-options go.
    let mut o = query(q);
    o.reset_unused_for_mode();
    assert_eq!(o.availability_start(), AvailabilityStart::Now);
    assert!(o.patch());
    assert!(!o.flag("playready.piff"));
    assert_eq!(o.license_url(Drm::Marlin), None);
    assert_eq!(o.license_url(Drm::Clearkey), None);

    let (mut o, _) = Options::parse_query(q, Mode::Vod).unwrap();
    o.reset_unused_for_mode();
    for full in LIVE_ONLY {
        assert!(o.is_default(full), "{full}");
    }
    assert_eq!(o.utc_method(), None);
    assert_eq!(o.min_update_period(), None);
    assert_eq!(o.time_shift_buffer_depth(), 1800);
    assert!(o.segment_timeline());
}

#[test]
fn typed_getters() {
    let o = query(
        "abr=0&timeline=1&base=0&acodec=ec-3&tcodec=im1t&main_audio=a2&ad_audio=a3\
         &main_text=t1&mup=-1&depth=60&time=http-ntp&events=scte35&patch=1&bugs=saio\
         &update=4&drift=10",
    );
    assert!(!o.abr());
    assert_eq!(o.mode(), Mode::Live);
    assert!(o.segment_timeline());
    assert!(!o.use_base_urls());
    assert_eq!(o.audio_codec(), "ec-3");
    assert_eq!(o.text_codec(), Some("im1t"));
    assert_eq!(o.main_audio(), Some("a2"));
    assert_eq!(o.ad_audio(), Some("a3"));
    assert_eq!(o.main_text(), Some("t1"));
    assert_eq!(o.min_update_period(), Some(-1));
    assert_eq!(o.time_shift_buffer_depth(), 60);
    assert_eq!(o.utc_method(), Some(UtcMethod::HttpNtp));
    assert_eq!(o.event_types(), ["scte35"]);
    assert!(o.patch());
    assert!(o.has_bug("saio"));
    assert_eq!(o.update_count(), Some(4));
    assert_eq!(o.clock_drift(), Some(10));
    assert_eq!(o.get("abr"), Some(&Value::Bool(false)));
    assert_eq!(o.get("nosuch"), None);
    let d = Options::default();
    assert!(d.abr() && d.use_base_urls() && !d.segment_timeline());
    assert_eq!(
        (d.mode(), d.text_codec(), d.utc_method()),
        (Mode::Vod, None, None)
    );
    assert_eq!(d.leeway(), 16);
}

#[test]
fn describe_lists_every_option() {
    let docs = describe();
    assert_eq!(docs.len(), OPTIONS.len());
    let abr = &docs[0];
    assert_eq!(
        (abr.cgi, abr.default.as_str(), abr.usage.as_str()),
        ("abr", "1", "M")
    );
    let drift = docs.iter().find(|d| d.cgi == "drift").unwrap();
    assert_eq!(
        (drift.default.as_str(), drift.usage.as_str()),
        ("none", "M Ti")
    );
    let start = docs.iter().find(|d| d.cgi == "start").unwrap();
    assert_eq!(
        (start.default.as_str(), start.usage.as_str()),
        ("year", "M V A T")
    );
    let json = serde_json::to_value(&docs).unwrap();
    assert_eq!(json[0]["full"], "abr");
    assert_eq!(opt("audioCodec").choices, ["mp4a", "ec-3", "any"]);
}

#[test]
fn every_integer_is_bounded_and_out_of_range_names_the_range() {
    for def in OPTIONS
        .iter()
        .filter(|d| matches!(d.kind, Kind::Int | Kind::IntOrNone))
        // A closed set bounds these already.
        .filter(|d| d.choices.is_empty())
    {
        let (min, max) = def.range.unwrap_or_else(|| panic!("{}: no range", def.cgi));
        for n in [min, max] {
            assert!(parse_value(def, &n.to_string()).is_ok(), "{}={n}", def.cgi);
        }
        for n in [
            i128::from(min) - 1,
            i128::from(max) + 1,
            i128::from(i64::MAX) + 1,
        ] {
            let e = Options::parse_query(&format!("{}={n}", def.cgi), Mode::Live)
                .unwrap_err()
                .to_string();
            assert_eq!(
                e,
                format!("{}={n}: expected an integer from {min} to {max}", def.cgi)
            );
        }
    }
    // The figures of the issue that found them.
    assert!(err("mup=2305843009213693952").contains("from -3600 to 3600"));
    assert!(err("depth=999999999").contains("from 0 to 86400"));
}

#[test]
fn control_characters_are_refused_and_escaped_in_the_error() {
    let e = err("main_audio=a%01b");
    assert_eq!(e, "main_audio=a\\u{1}b: control characters are not allowed");
    assert!(err("tlang=%0A").contains("control characters"));
}

proptest::proptest! {
    /// Any value of any option: a value, or an error naming the parameter;
    /// never a panic.
    #[test]
    fn any_value_of_any_option_parses_or_names_the_parameter(
        i in 0..OPTIONS.len(),
        value in "\\PC{0,40}|[-0-9]{1,25}|[a-z,=:.+%0-9-]{0,30}",
    ) {
        let def = &OPTIONS[i];
        let q = format!("{}={}", def.cgi, encode_plus(&value));
        if let Err(e) = Options::parse_query(&q, Mode::Live) {
            let e = e.to_string();
            proptest::prop_assert!(e.starts_with(&format!("{}=", def.cgi)), "{}", e);
        }
    }
}
