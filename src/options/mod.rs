//! Request options: the values of every option of [`table::OPTIONS`] for one
//! request, read from stream/site defaults and the URL query (reference §1),
//! and written back into the URLs a manifest carries.
//!
//! Layering follows dash-live's pipeline (§1.3): [`Options::new`] with the
//! path's mode, then [`Options::apply_defaults`], then
//! [`Options::apply_query`]; each later layer overrides the earlier ones.

mod parse;
pub mod table;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

pub use parse::{decode_plus, encode_plus};
pub use table::{by_any_name, by_cgi, by_full, DefaultValue, Kind, OptionDef, Usage, OPTIONS};

use parse::{default_value, format_value, is_unset, parse_value};
use table::{
    index_of_any, index_of_cgi, index_of_full, FEATURE_GATED, LIVE_ONLY, NON_OPTION_PARAMS,
};

/// Option defaults as a site or stream gives them: names (cgi, short or
/// full) to YAML scalars or lists.
pub type Defaults = BTreeMap<String, serde_yaml::Value>;

/// A value that does not fit its option, or a default naming no option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// `param` as the user wrote it, the value, and what is allowed.
    #[error("{param}={value}: {expected}")]
    Invalid {
        param: String,
        value: String,
        expected: String,
    },
    /// Only stream/site defaults report this: a query ignores unknown names.
    #[error("{param}: no such option")]
    Unknown { param: String },
    /// An option whose feature has not landed yet ([`Options::not_supported_yet`]):
    /// refused rather than silently ignored.
    #[error("{param}: not supported yet by this server")]
    NotSupportedYet { param: &'static str },
    /// A fault position given as a time where there is no live clock.
    #[error("{param}: times of day name segments of a live stream only; use segment numbers")]
    TimesNeedLive { param: &'static str },
}

/// Presentation mode; normally from the URL path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Vod,
    Live,
    Odvod,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Vod => "vod",
            Mode::Live => "live",
            Mode::Odvod => "odvod",
        }
    }

    pub fn from_name(name: &str) -> Option<Mode> {
        match name {
            "vod" => Some(Mode::Vod),
            "live" => Some(Mode::Live),
            "odvod" => Some(Mode::Odvod),
            _ => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value of one option. Which variant an option holds follows its
/// [`Kind`]: Bool → `Bool`; Int, IntOrNone → `Int`; Str, StrOrNone, Url,
/// AvailabilityStart → `Str`; StrList, PositionList → `List`; HttpErrors →
/// `HttpErrors`; DrmSelection → `Drm`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Int(Option<i64>),
    Str(Option<String>),
    List(Vec<String>),
    HttpErrors(Vec<HttpError>),
    Drm(Vec<DrmChoice>),
}

/// One synthetic HTTP error: answer `code` at `pos`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpError {
    pub code: u16,
    pub pos: ErrorPos,
}

/// Where a synthetic error (or corruption) applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorPos {
    /// A segment number (0 = init segment) or manifest update count.
    Segment(u64),
    /// A time of day `HH:MM:SS[.f]Z` or an ISO date-time; kept as text until
    /// the timing model turns it into a segment.
    Time(String),
}

impl fmt::Display for ErrorPos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorPos::Segment(n) => write!(f, "{n}"),
            ErrorPos::Time(t) => f.write_str(t),
        }
    }
}

/// A DRM system the server can signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Drm {
    Clearkey,
    Marlin,
    Playready,
    /// Signalling only (no licence server); not part of `all`, which keeps
    /// dash-live's three.
    Widevine,
}

impl Drm {
    /// What `drm=all` selects, in this order.
    pub const ALL: [Drm; 3] = [Drm::Clearkey, Drm::Marlin, Drm::Playready];
    /// Every DRM a `drm` list may name.
    pub const NAMED: [Drm; 4] = [Drm::Clearkey, Drm::Marlin, Drm::Playready, Drm::Widevine];

    pub fn name(self) -> &'static str {
        match self {
            Drm::Clearkey => "clearkey",
            Drm::Marlin => "marlin",
            Drm::Playready => "playready",
            Drm::Widevine => "widevine",
        }
    }

    pub fn from_name(name: &str) -> Option<Drm> {
        Drm::NAMED.into_iter().find(|d| d.name() == name)
    }
}

/// Where DRM data goes: `pro` (mspr:pro in the MPD), `cenc` (cenc:pssh in
/// the MPD), `moov` (pssh box in the init segment). A small set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DrmLocations(u8);

impl DrmLocations {
    pub const NONE: DrmLocations = DrmLocations(0);
    pub const PRO: DrmLocations = DrmLocations(1);
    pub const CENC: DrmLocations = DrmLocations(2);
    pub const MOOV: DrmLocations = DrmLocations(4);
    pub const ALL: DrmLocations = DrmLocations(7);

    /// Alphabetical, as dash-live writes them.
    const NAMES: [(DrmLocations, &'static str); 3] = [
        (DrmLocations::CENC, "cenc"),
        (DrmLocations::MOOV, "moov"),
        (DrmLocations::PRO, "pro"),
    ];

    pub fn from_name(name: &str) -> Option<DrmLocations> {
        DrmLocations::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(l, _)| *l)
    }

    pub const fn union(self, other: DrmLocations) -> DrmLocations {
        DrmLocations(self.0 | other.0)
    }

    pub const fn contains(self, other: DrmLocations) -> bool {
        self.0 & other.0 == other.0
    }

    /// The location names in this set, alphabetical.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        DrmLocations::NAMES
            .into_iter()
            .filter(move |(l, _)| self.contains(*l))
            .map(|(_, n)| n)
    }
}

impl fmt::Debug for DrmLocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

/// One selected DRM and where its data goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrmChoice {
    pub drm: Drm,
    pub locations: DrmLocations,
}

/// `time=`: how the manifest's UTCTiming tells players the time (§4.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UtcMethod {
    Direct,
    Head,
    HttpNtp,
    Iso,
    Ntp,
    Sntp,
    Xsd,
}

impl UtcMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            UtcMethod::Direct => "direct",
            UtcMethod::Head => "head",
            UtcMethod::HttpNtp => "http-ntp",
            UtcMethod::Iso => "iso",
            UtcMethod::Ntp => "ntp",
            UtcMethod::Sntp => "sntp",
            UtcMethod::Xsd => "xsd",
        }
    }

    pub fn from_name(name: &str) -> Option<UtcMethod> {
        [
            UtcMethod::Direct,
            UtcMethod::Head,
            UtcMethod::HttpNtp,
            UtcMethod::Iso,
            UtcMethod::Ntp,
            UtcMethod::Sntp,
            UtcMethod::Xsd,
        ]
        .into_iter()
        .find(|m| m.as_str() == name)
    }
}

/// `start=`: the live availabilityStartTime, resolved against the clock by
/// the timing model (§4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AvailabilityStart<'a> {
    Year,
    Today,
    Month,
    Epoch,
    Now,
    /// A validated `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`.
    DateTime(&'a str),
}

/// One row of the option listing (CLI, /options page).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OptionDoc {
    pub cgi: &'static str,
    pub short: &'static str,
    pub full: &'static str,
    pub kind: &'static str,
    pub syntax: String,
    pub default: String,
    pub choices: Vec<&'static str>,
    pub examples: Vec<&'static str>,
    /// The smallest and largest value of an integer option.
    pub range: Option<(i64, i64)>,
    /// "Use" letters: M V A T Ti H.
    pub usage: String,
    pub help: &'static str,
}

/// The listing of every option, in table order.
pub fn describe() -> Vec<OptionDoc> {
    OPTIONS
        .iter()
        .map(|d| OptionDoc {
            cgi: d.cgi,
            short: d.short,
            full: d.full,
            kind: d.kind.name(),
            syntax: match d.range {
                Some((min, max)) => format!("an integer from {min} to {max}"),
                None => d.kind.syntax().to_string(),
            },
            default: format_value(d, &default_value(d)),
            choices: d.choices.to_vec(),
            examples: d.examples.to_vec(),
            range: d.range,
            usage: d.usage.letters(),
            help: d.help,
        })
        .collect()
}

/// The values of all options for one request, parallel to [`OPTIONS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    values: Vec<Value>,
}

impl Default for Options {
    fn default() -> Options {
        Options::new(Mode::Vod)
    }
}

/// `k=v&k=v`, each part percent-encoded as a query needs.
fn join_pairs<'p>(pairs: impl Iterator<Item = &'p (&'static OptionDef, String)> + Clone) -> String {
    let mut query =
        String::with_capacity(pairs.clone().map(|(d, v)| d.cgi.len() + v.len() + 2).sum());
    for (d, v) in pairs {
        if !query.is_empty() {
            query.push('&');
        }
        parse::push_query_part(&mut query, d.cgi, true);
        query.push('=');
        parse::push_query_part(&mut query, v, false);
    }
    query
}

/// Echoed user input is cut short: an error or a log line should not carry
/// a whole hostile query.
/// Control characters are escaped (`\u{1}`), so an echo cannot forge a
/// log line.
pub(crate) fn shown(s: &str) -> String {
    const MAX: usize = 80;
    let (head, more) = match s.char_indices().nth(MAX) {
        Some((at, _)) => (&s[..at], "..."),
        None => (s, ""),
    };
    let mut out = String::with_capacity(head.len() + more.len());
    for c in head.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push_str(more);
    out
}

fn invalid(param: &str, value: &str, expected: impl Into<String>) -> OptionError {
    OptionError::Invalid {
        param: shown(param),
        value: shown(value),
        expected: expected.into(),
    }
}

/// The text of a YAML default: scalars as written, lists comma-joined (the
/// query syntax), booleans as `1`/`0`. `None` for maps and nested lists.
fn yaml_text(v: &serde_yaml::Value) -> Option<String> {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Some(String::new()),
        Y::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
        Y::Number(n) => Some(n.to_string()),
        Y::String(s) => Some(s.clone()),
        Y::Sequence(items) => items
            .iter()
            .map(|i| match i {
                Y::Sequence(_) => None,
                other => yaml_text(other),
            })
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(",")),
        Y::Mapping(_) | Y::Tagged(_) => None,
    }
}

impl Options {
    /// Every option at its default, in `mode`.
    pub fn new(mode: Mode) -> Options {
        let mut values: Vec<Value> = OPTIONS.iter().map(default_value).collect();
        if let Some(i) = index_of_full("mode") {
            values[i] = Value::Str(Some(mode.as_str().to_string()));
        }
        Options { values }
    }

    /// Options from a URL query (`a=1&b=2`, a leading `?` allowed) on a
    /// path of `mode`. Returns warnings for what was ignored.
    pub fn parse_query(query: &str, mode: Mode) -> Result<(Options, Vec<String>), OptionError> {
        let mut options = Options::new(mode);
        let warnings = options.apply_query(query)?;
        Ok((options, warnings))
    }

    /// Applies a URL query over the current values. Unknown names are
    /// ignored with a warning (as dash-live); a bad value of a known option
    /// is an error. A repeated name keeps its first value (as Flask's
    /// `request.args`). `mode=` cannot change the path's mode (dash-live
    /// let it, §12 quirk 16): a differing one is ignored with a warning.
    pub fn apply_query(&mut self, query: &str) -> Result<Vec<String>, OptionError> {
        let mut warnings = Vec::new();
        let mut seen = vec![false; OPTIONS.len()];
        let query = query.strip_prefix('?').unwrap_or(query);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode_plus(name);
            let value = decode_plus(value);
            if NON_OPTION_PARAMS.contains(&name.as_str()) {
                continue;
            }
            let Some(i) = index_of_cgi(&name) else {
                warnings.push(format!("unknown parameter {:?} ignored", shown(&name)));
                continue;
            };
            if seen[i] {
                warnings.push(format!(
                    "{} given more than once: the first value is used",
                    shown(&name)
                ));
                continue;
            }
            seen[i] = true;
            let def = &OPTIONS[i];
            let parsed = parse_value(def, &value).map_err(|e| invalid(&name, &value, e))?;
            if def.full == "mode" {
                if parsed != self.values[i] {
                    warnings.push(format!(
                        "mode={} ignored: the URL path gives {}",
                        shown(&value),
                        self.mode()
                    ));
                }
                continue;
            }
            self.values[i] = parsed;
        }
        Ok(warnings)
    }

    /// Applies stream or site defaults, named by cgi, short or full name,
    /// each a YAML scalar or a list of scalars, checked like a query value.
    /// Two differences: a URL is taken as written (it is not inside a URL,
    /// so not percent-encoded), and an unknown name is an error (a typo in a
    /// config file should not pass silently). `mode` cannot be a default.
    pub fn apply_defaults(
        &mut self,
        defaults: &BTreeMap<String, serde_yaml::Value>,
    ) -> Result<(), OptionError> {
        for (name, yaml) in defaults {
            let i =
                index_of_any(name).ok_or_else(|| OptionError::Unknown { param: shown(name) })?;
            let def = &OPTIONS[i];
            let text = yaml_text(yaml).ok_or_else(|| {
                invalid(name, &format!("{yaml:?}"), "expected a scalar or a list")
            })?;
            if def.full == "mode" {
                return Err(invalid(
                    name,
                    &text,
                    "mode comes from the URL path and cannot be a default",
                ));
            }
            self.values[i] = if yaml.is_null() {
                default_value(def)
            } else if def.kind == Kind::Url && !is_unset(&text) {
                Value::Str(Some(text))
            } else {
                parse_value(def, &text).map_err(|e| invalid(name, &text, e))?
            };
        }
        Ok(())
    }

    /// Sets one option (by cgi, short or full name) from its query text.
    pub fn set(&mut self, name: &str, raw: &str) -> Result<(), OptionError> {
        let i = index_of_any(name).ok_or_else(|| OptionError::Unknown { param: shown(name) })?;
        self.values[i] = parse_value(&OPTIONS[i], raw).map_err(|e| invalid(name, raw, e))?;
        Ok(())
    }

    /// Sets the live clock the timing model resolved: an absolute start
    /// (already an xs:dateTime) and a depth in seconds. Values this code
    /// made, so they skip the parser a query's values go through.
    pub fn pin_clock(&mut self, start: String, depth_s: i64) {
        if let Some(i) = index_of_full("availabilityStartTime") {
            self.values[i] = Value::Str(Some(start));
        }
        if let Some(i) = index_of_full("timeShiftBufferDepth") {
            self.values[i] = Value::Int(Some(depth_s));
        }
    }

    /// Puts the option with this full name back to its table default.
    pub fn reset(&mut self, full: &str) {
        if let Some(i) = index_of_full(full) {
            self.values[i] = default_value(&OPTIONS[i]);
        }
    }

    /// The value of the option with this full name.
    pub fn get(&self, full: &str) -> Option<&Value> {
        index_of_full(full).and_then(|i| self.values.get(i))
    }

    /// True when the option holds its table default (or does not exist).
    pub fn is_default(&self, full: &str) -> bool {
        index_of_full(full).is_none_or(|i| self.values[i] == default_value(&OPTIONS[i]))
    }

    /// Every option with its value, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static OptionDef, &Value)> {
        OPTIONS.iter().zip(&self.values)
    }

    /// The query string for URLs of `usage` (dash-live's
    /// `generate_cgi_parameters`): options whose usage intersects, holding a
    /// non-default value, `mode` left out, sorted by name, `k=v&k=v`.
    pub fn to_query(&self, usage: Usage) -> String {
        self.query_where(usage, |i, v| *v != default_value(&OPTIONS[i]))
    }

    /// Like [`Options::to_query`] but leaving out what equals `base`: with
    /// stream defaults in `base`, a segment URL must still say `drm=none`
    /// when the query turned a defaulted DRM off.
    pub fn to_query_against(&self, base: &Options, usage: Usage) -> String {
        self.query_where(usage, |i, v| base.values.get(i) != Some(v))
    }

    /// [`Options::to_query_against`] for several usages at once: the
    /// options that differ from `base` are found and formatted once (a
    /// manifest writes a query for each track type and one for `/time`).
    pub fn to_queries_against<const N: usize>(
        &self,
        base: &Options,
        usages: [Usage; N],
    ) -> [String; N] {
        let all = usages.iter().fold(Usage::NONE, |a, u| a.union(*u));
        let pairs = self.pairs_where(all, |i, v| base.values.get(i) != Some(v));
        usages.map(|usage| join_pairs(pairs.iter().filter(|(d, _)| d.usage.intersects(usage))))
    }

    /// The (option, formatted value) pairs of `usage` that `keep` keeps,
    /// `mode` left out, sorted by query name.
    fn pairs_where(
        &self,
        usage: Usage,
        keep: impl Fn(usize, &Value) -> bool,
    ) -> Vec<(&'static OptionDef, String)> {
        let mut pairs: Vec<(&'static OptionDef, String)> = self
            .iter()
            .enumerate()
            .filter(|(i, (d, v))| d.full != "mode" && d.usage.intersects(usage) && keep(*i, v))
            .map(|(_, (d, v))| (d, format_value(d, v)))
            .collect();
        pairs.sort_by(|a, b| a.0.cgi.cmp(b.0.cgi));
        pairs
    }

    fn query_where(&self, usage: Usage, keep: impl Fn(usize, &Value) -> bool) -> String {
        join_pairs(self.pairs_where(usage, keep).iter())
    }

    /// §1.3 step 5: resets every feature-gated option (abr, audioCodec, ...)
    /// whose full name is not in the manifest's `features`.
    pub fn reset_unsupported(&mut self, features: &[&str]) {
        for full in FEATURE_GATED {
            if !features.contains(full) {
                self.reset(full);
            }
        }
    }

    /// §1.3 step 7: outside live, resets the live-only options; in every
    /// mode, resets the sub-options (`playready.*`, ...) of DRMs not selected.
    pub fn reset_unused_for_mode(&mut self) {
        if self.mode() != Mode::Live {
            for full in LIVE_ONLY {
                self.reset(full);
            }
        }
        // Which options belong to a DRM (`playready.licenseUrl` …), found once:
        // every live request passes here.
        static DRM_OPTIONS: std::sync::LazyLock<Vec<(usize, Drm)>> =
            std::sync::LazyLock::new(|| {
                OPTIONS
                    .iter()
                    .enumerate()
                    .filter_map(|(i, def)| {
                        let group = def.full.split_once('.').map(|(g, _)| g)?;
                        Some((i, Drm::from_name(group)?))
                    })
                    .collect()
            });
        let selected = self.drm_selection();
        let unused: Vec<usize> = DRM_OPTIONS
            .iter()
            .filter(|(_, drm)| !selected.iter().any(|c| c.drm == *drm))
            .map(|(i, _)| *i)
            .collect();
        for i in unused {
            self.values[i] = default_value(&OPTIONS[i]);
        }
    }

    // Generic typed access by full name. A name or kind mismatch is a
    // programming error caught by the tests; it reads as unset, not a panic.

    /// A Bool option.
    pub fn flag(&self, full: &str) -> bool {
        matches!(self.get(full), Some(Value::Bool(true)))
    }

    /// An Int or IntOrNone option.
    pub fn int(&self, full: &str) -> Option<i64> {
        match self.get(full) {
            Some(Value::Int(n)) => *n,
            _ => None,
        }
    }

    /// A string-valued option (Str, StrOrNone, Url, AvailabilityStart).
    pub fn text(&self, full: &str) -> Option<&str> {
        match self.get(full) {
            Some(Value::Str(s)) => s.as_deref(),
            _ => None,
        }
    }

    /// A StrList or PositionList option.
    pub fn list(&self, full: &str) -> &[String] {
        match self.get(full) {
            Some(Value::List(items)) => items,
            _ => &[],
        }
    }

    /// An HttpErrors option (`manifestErrors`, `videoErrors`, ...).
    pub fn http_errors(&self, full: &str) -> &[HttpError] {
        match self.get(full) {
            Some(Value::HttpErrors(e)) => e,
            _ => &[],
        }
    }

    /// A PositionList option (`videoCorruption`) as positions.
    pub fn positions(&self, full: &str) -> Vec<ErrorPos> {
        self.list(full)
            .iter()
            .filter_map(|p| parse::parse_position(p))
            .collect()
    }

    /// An Int option that always has a value: its table default backs it.
    pub fn int_or_default(&self, full: &str) -> i64 {
        self.int(full)
            .or_else(|| match by_full(full).map(|d| d.default) {
                Some(DefaultValue::Int(n)) => n,
                _ => None,
            })
            .unwrap_or(0)
    }

    pub fn abr(&self) -> bool {
        self.flag("abr")
    }

    pub fn mode(&self) -> Mode {
        self.text("mode")
            .and_then(Mode::from_name)
            .unwrap_or_default()
    }

    pub fn segment_timeline(&self) -> bool {
        self.flag("segmentTimeline")
    }

    pub fn use_base_urls(&self) -> bool {
        self.flag("useBaseUrls")
    }

    /// `mp4a`, `ec-3` or `any`.
    pub fn audio_codec(&self) -> &str {
        self.text("audioCodec").unwrap_or("mp4a")
    }

    pub fn text_codec(&self) -> Option<&str> {
        self.text("textCodec")
    }

    /// Representation id of the main audio track.
    pub fn main_audio(&self) -> Option<&str> {
        self.text("mainAudio")
    }

    /// Representation id of the audio description track.
    pub fn ad_audio(&self) -> Option<&str> {
        self.text("audioDescription")
    }

    /// Representation id of the main text track.
    pub fn main_text(&self) -> Option<&str> {
        self.text("mainText")
    }

    /// Seconds; `None` = twice the segment duration, ≤ 0 = omit.
    pub fn min_update_period(&self) -> Option<i64> {
        self.int("minimumUpdatePeriod")
    }

    /// Seconds (the timing model turns 0 into 60).
    pub fn time_shift_buffer_depth(&self) -> i64 {
        self.int_or_default("timeShiftBufferDepth")
    }

    pub fn leeway(&self) -> i64 {
        self.int_or_default("leeway")
    }

    /// Seconds the manifest and /time clocks run behind.
    pub fn clock_drift(&self) -> Option<i64> {
        self.int("clockDrift")
    }

    pub fn update_count(&self) -> Option<i64> {
        self.int("updateCount")
    }

    pub fn utc_method(&self) -> Option<UtcMethod> {
        self.text("utcMethod").and_then(UtcMethod::from_name)
    }

    pub fn ntp_sources(&self) -> &[String] {
        self.list("ntpSources")
    }

    pub fn availability_start(&self) -> AvailabilityStart<'_> {
        match self.text("availabilityStartTime") {
            None | Some("year") => AvailabilityStart::Year,
            Some("today") => AvailabilityStart::Today,
            Some("month") => AvailabilityStart::Month,
            Some("epoch") => AvailabilityStart::Epoch,
            Some("now") => AvailabilityStart::Now,
            Some(dt) => AvailabilityStart::DateTime(dt),
        }
    }

    /// The selected DRMs in the order given; empty = clear content.
    pub fn drm_selection(&self) -> &[DrmChoice] {
        match self.get("drmSelection") {
            Some(Value::Drm(d)) => d,
            _ => &[],
        }
    }

    /// The license URL override of a DRM (`<drm>.licenseUrl`).
    pub fn license_url(&self, drm: Drm) -> Option<&str> {
        let full = match drm {
            Drm::Clearkey => "clearkey.licenseUrl",
            Drm::Marlin => "marlin.licenseUrl",
            Drm::Playready => "playready.licenseUrl",
            Drm::Widevine => return None,
        };
        self.text(full)
    }

    /// `ping`, `scte35`.
    pub fn event_types(&self) -> &[String] {
        self.list("eventTypes")
    }

    pub fn patch(&self) -> bool {
        self.flag("patch")
    }

    /// `bugs=` holds this name (e.g. `saio`).
    pub fn has_bug(&self, name: &str) -> bool {
        self.list("bugCompatibility").iter().any(|b| b == name)
    }
}

impl Options {
    /// The options these values turn on that this server cannot serve yet
    /// (DRM, events, injected faults, thumbnails: later
    /// issues), by query name. Refused wherever they are
    /// given, a URL's query or a catalog default, rather than silently
    /// ignored; the one list the origin and `catalog check` both read.
    pub fn not_supported_yet(&self) -> Vec<&'static str> {
        [("thumbnails", self.flag("videoThumbnails"))]
            .into_iter()
            .filter_map(|(name, on)| on.then_some(name))
            .collect()
    }
}
