//! The option table: every query option of dash-live (reference §1.1) as
//! data. Parsing, error messages, documentation and URL generation all read
//! this one table, so adding an option is adding a row.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// Where an option matters (dash-live's `OptionUsage`): decides which options
/// are copied onto the segment, init and /time URLs written into a manifest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Usage(u8);

impl Usage {
    pub const NONE: Usage = Usage(0);
    pub const MANIFEST: Usage = Usage(1);
    pub const VIDEO: Usage = Usage(1 << 1);
    pub const AUDIO: Usage = Usage(1 << 2);
    pub const TEXT: Usage = Usage(1 << 3);
    /// The `/time/*` endpoints.
    pub const TIME: Usage = Usage(1 << 4);
    /// The HTML player page only.
    pub const HTML: Usage = Usage(1 << 5);
    pub const ALL: Usage = Usage(0b11_1111);
    /// Manifest and every media segment: the most common row of the table.
    pub const MVAT: Usage = Usage(0b1111);
    /// Manifest, video and audio segments (DRM and event sub-options).
    pub const MVA: Usage = Usage(0b0111);

    /// Letters in the order of the reference's "Use" column.
    const LETTERS: [(Usage, &'static str); 6] = [
        (Usage::MANIFEST, "M"),
        (Usage::VIDEO, "V"),
        (Usage::AUDIO, "A"),
        (Usage::TEXT, "T"),
        (Usage::TIME, "Ti"),
        (Usage::HTML, "H"),
    ];

    pub const fn bits(self) -> u8 {
        self.0
    }

    pub const fn union(self, other: Usage) -> Usage {
        Usage(self.0 | other.0)
    }

    pub const fn intersects(self, other: Usage) -> bool {
        self.0 & other.0 != 0
    }

    pub const fn contains(self, other: Usage) -> bool {
        self.0 & other.0 == other.0
    }

    /// The "Use" column letters, space separated ("M V A T", "M Ti").
    pub fn letters(self) -> String {
        Usage::LETTERS
            .iter()
            .filter(|(u, _)| self.contains(*u))
            .map(|(_, l)| *l)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl BitOr for Usage {
    type Output = Usage;
    fn bitor(self, rhs: Usage) -> Usage {
        self.union(rhs)
    }
}

impl BitOrAssign for Usage {
    fn bitor_assign(&mut self, rhs: Usage) {
        *self = self.union(rhs);
    }
}

impl fmt::Debug for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Usage({})", self.letters())
    }
}

/// How an option's value is written and parsed (reference §1.2). A closed set
/// of values is not a kind of its own: it is `choices` on the row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `1|true|on` or `0|false|off`, written `1`/`0`.
    Bool,
    /// An integer whose default is a number; `''`/`none` give the default.
    Int,
    /// An integer whose default is "unset"; `''`/`none` give the default.
    IntOrNone,
    /// A string whose default is a value; `''`/`none` give the default.
    Str,
    /// A string whose default is "unset"; `''`/`none` give the default.
    StrOrNone,
    /// Comma list; empty items and `none` are dropped.
    StrList,
    /// Comma list of segment numbers or times of day (`vcorrupt`).
    PositionList,
    /// A URL, itself percent-encoded inside the query value (dash-live's
    /// `unquote_plus`/`quote_plus`).
    Url,
    /// `code=pos,..`: synthetic HTTP errors at a segment number or a time.
    HttpErrors,
    /// `year|today|month|epoch|now` or an ISO 8601 date-time.
    AvailabilityStart,
    /// The `drm` grammar: `none`, `all[-loc..]`, `<drm>[-loc..],..`.
    DrmSelection,
}

impl Kind {
    /// A short name for listings.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Bool => "bool",
            Kind::Int => "int",
            Kind::IntOrNone => "int|none",
            Kind::Str => "string",
            Kind::StrOrNone => "string|none",
            Kind::StrList => "list",
            Kind::PositionList => "position-list",
            Kind::Url => "url",
            Kind::HttpErrors => "http-errors",
            Kind::AvailabilityStart => "start",
            Kind::DrmSelection => "drm",
        }
    }

    /// The syntax a tester must write; error messages quote it.
    pub fn syntax(self) -> &'static str {
        match self {
            Kind::Bool => "1 or 0 (also true/false, on/off)",
            Kind::Int => "an integer",
            Kind::IntOrNone => "an integer or none",
            Kind::Str => "a string",
            Kind::StrOrNone => "a string or none",
            Kind::StrList => "a comma separated list",
            Kind::PositionList => {
                "a comma separated list of segment numbers or times of day (HH:MM:SSZ)"
            }
            Kind::Url => "a percent-encoded URL",
            Kind::HttpErrors => {
                "a comma separated list of <code>=<position>: code 100-599, position a \
                 segment number, a time of day HH:MM:SSZ or an ISO date-time \
                 YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM)"
            }
            Kind::AvailabilityStart => {
                "year, today, month, epoch, now or an ISO date-time \
                 YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)"
            }
            Kind::DrmSelection => {
                "none, all, all-<loc>[-<loc>..], or a comma separated list of \
                 <drm>[-<loc>[-<loc>..]] with drm clearkey, marlin, playready or widevine and \
                 loc pro, cenc or moov (no loc = all three)"
            }
        }
    }
}

/// A default value that fits in a static table. Lists (string lists, HTTP
/// errors, DRM selections) default to `List`, always empty today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultValue {
    Bool(bool),
    Int(Option<i64>),
    Str(Option<&'static str>),
    List(&'static [&'static str]),
}

/// One option: its three names, how it is written, its default, where it
/// applies and what it does.
#[derive(Clone, Copy, Debug)]
pub struct OptionDef {
    /// The query (CGI) name.
    pub cgi: &'static str,
    /// The short name (stream defaults, SPA).
    pub short: &'static str,
    /// The full name, dotted for groups (`playready.licenseUrl`).
    pub full: &'static str,
    pub kind: Kind,
    pub default: DefaultValue,
    /// The closed set of allowed values (per item for lists); empty = open.
    pub choices: &'static [&'static str],
    /// Values worth offering or testing for an open option (dash-live's
    /// `cgi_choices` of integer options); not enforced.
    pub examples: &'static [&'static str],
    /// The smallest and largest value an integer option takes: every number
    /// a request can give is bounded, so no request can ask for unbounded
    /// work (a day-long window, a sub-second update period of years).
    pub range: Option<(i64, i64)>,
    pub usage: Usage,
    /// One sentence: what a tester gets.
    pub help: &'static str,
}

impl OptionDef {
    /// A row with no choices or examples; the builders below add them. Keeps
    /// the table one call per option.
    const fn new(
        cgi: &'static str,
        short: &'static str,
        full: &'static str,
        kind: Kind,
        default: DefaultValue,
        usage: Usage,
        help: &'static str,
    ) -> OptionDef {
        OptionDef {
            cgi,
            short,
            full,
            kind,
            default,
            choices: &[],
            examples: &[],
            range: None,
            usage,
            help,
        }
    }

    const fn range(self, min: i64, max: i64) -> OptionDef {
        OptionDef {
            range: Some((min, max)),
            ..self
        }
    }

    const fn choices(self, choices: &'static [&'static str]) -> OptionDef {
        OptionDef { choices, ..self }
    }

    const fn examples(self, examples: &'static [&'static str]) -> OptionDef {
        OptionDef { examples, ..self }
    }
}

use DefaultValue as D;
use Kind as K;

const M: Usage = Usage::MANIFEST;
const MVAT: Usage = Usage::MVAT;
const MVA: Usage = Usage::MVA;
const H: Usage = Usage::HTML;
const NO_LIST: DefaultValue = D::List(&[]);

/// Every option, in the order of the reference table.
// Kept as written: one compact call per option reads as a table.
#[rustfmt::skip]
pub static OPTIONS: &[OptionDef] = &[
    // Manifest options (manifest_options.py).
    OptionDef::new(
        "abr", "ab", "abr", K::Bool, D::Bool(true), M,
        "Offer every video bitrate; 0 keeps only the lowest-bitrate video Representation.",
    ),
    OptionDef::new(
        "start", "ast", "availabilityStartTime", K::AvailabilityStart, D::Str(Some("year")), MVAT,
        "Live availabilityStartTime: start of this year, today, this month, the epoch, now, or an explicit date-time.",
    ),
    OptionDef::new(
        "bugs", "bug", "bugCompatibility", K::StrList, NO_LIST, MVAT,
        "Reproduce known packager bugs: saio leaves stale saio offsets after segments are rewritten.",
    )
    .choices(&["saio"]),
    OptionDef::new(
        "failures", "hfc", "failureCount", K::IntOrNone, D::Int(None), MVAT,
        "Return each injected 5xx error only this many times, then serve the request normally.",
    )
    .range(0, 1_000_000),
    OptionDef::new(
        "periodDur", "fpd", "forcePeriodDurations", K::Bool, D::Bool(false), M,
        "Write Period@duration even in live manifests.",
    ),
    OptionDef::new(
        "leeway", "lee", "leeway", K::Int, D::Int(Some(16)), MVAT,
        "Seconds a live segment stays fetchable after it leaves the timeshift window.",
    )
    .range(0, 3600)
    .examples(&["16", "60", "0"]),
    OptionDef::new(
        "merr", "mhe", "manifestErrors", K::HttpErrors, NO_LIST, M,
        "Answer the manifest with a synthetic HTTP error at the given update count or time.",
    ),
    OptionDef::new(
        "mup", "mup", "minimumUpdatePeriod", K::IntOrNone, D::Int(None), M,
        "Live MPD@minimumUpdatePeriod in seconds; unset means twice the segment duration, 0 or less omits it.",
    )
    .range(-3600, 3600)
    .examples(&["-1", "4", "30"]),
    OptionDef::new(
        "mode", "md", "mode", K::Str, D::Str(Some("vod")), M,
        "Presentation mode; it comes from the URL path and is never copied into generated URLs.",
    )
    .choices(&["vod", "live", "odvod"]),
    OptionDef::new(
        "timeline", "st", "segmentTimeline", K::Bool, D::Bool(false), M,
        "Address segments with a SegmentTimeline and $Time$ instead of $Number$.",
    ),
    OptionDef::new(
        "depth", "tbd", "timeShiftBufferDepth", K::Int, D::Int(Some(1800)), MVAT,
        "Live timeShiftBufferDepth in seconds: how far back a player may seek.",
    )
    .range(0, 86_400)
    .examples(&["1800", "30"]),
    OptionDef::new(
        "update", "uc", "updateCount", K::IntOrNone, D::Int(None), M,
        "Manifest update counter that merr=<code>=<n> matches; Location URLs carry the next count.",
    )
    .range(0, 4_294_967_295),
    OptionDef::new(
        "base", "base", "useBaseUrls", K::Bool, D::Bool(true), M,
        "Put an absolute BaseURL in each Period; 0 writes the full path into the segment templates.",
    ),
    OptionDef::new(
        "patch", "patch", "patch", K::Bool, D::Bool(false), M,
        "Live only: add an MPD PatchLocation (forces a SegmentTimeline).",
    ),
    // Audio options.
    OptionDef::new(
        "acodec", "ac", "audioCodec", K::Str, D::Str(Some("mp4a")), M.union(Usage::AUDIO),
        "Keep only audio Representations of this codec (ec-3 also keeps ac-3), or any.",
    )
    .choices(&["mp4a", "ec-3", "any"]),
    OptionDef::new(
        "ad_audio", "ad", "audioDescription", K::StrOrNone, D::Str(None), M,
        "Mark the audio AdaptationSet holding this Representation id as audio description.",
    ),
    OptionDef::new(
        "aerr", "ahe", "audioErrors", K::HttpErrors, NO_LIST, Usage::AUDIO,
        "Answer the audio segment with this number (0 = init) with a synthetic HTTP error.",
    ),
    OptionDef::new(
        "main_audio", "ma", "mainAudio", K::StrOrNone, D::Str(None), M,
        "Give the audio AdaptationSet holding this Representation id Role main, the others alternate.",
    ),
    // Video options.
    OptionDef::new(
        "thumbnails", "vt", "videoThumbnails", K::Bool, D::Bool(false), M,
        "Add an image/jpeg thumbnails AdaptationSet.",
    ),
    OptionDef::new(
        "vcorrupt", "vcor", "videoCorruption", K::PositionList, NO_LIST, M.union(Usage::VIDEO),
        "Corrupt the video frames of the listed segments (times of day in the manifest URL, numbers in segment URLs).",
    ),
    OptionDef::new(
        "frames", "vcfc", "videoCorruptionFrameCount", K::IntOrNone, D::Int(None), M.union(Usage::VIDEO),
        "Number of frames to corrupt in each corrupted video segment (unset = 4).",
    )
    .range(0, 1000),
    OptionDef::new(
        "verr", "vhe", "videoErrors", K::HttpErrors, NO_LIST, Usage::VIDEO,
        "Answer the video segment with this number (0 = init) with a synthetic HTTP error.",
    ),
    // livesim2's fault options.
    OptionDef::new(
        "statuscode", "sco", "segmentStatusCodes", K::StrList, NO_LIST, MVAT,
        "livesim2 statuscode: <code>:<cycle s>:<rsq>[:<rep>] makes the segment at position rsq of every cycle answer code, on reps whose id holds rep (or video, audio, text).",
    )
    .examples(&["404:30:0:video", "503:60:2"]),
    OptionDef::new(
        "segtimelineloss", "stl", "segmentTimelineLoss", K::IntOrNone, D::Int(None), M,
        "livesim2 segtimelineloss: leave every N-th segment (number a multiple of N) out of a live SegmentTimeline, a hole players must step over.",
    )
    .range(2, 1000)
    .examples(&["5", "10"]),
    // Text options.
    OptionDef::new(
        "tcodec", "tc", "textCodec", K::StrOrNone, D::Str(None), M,
        "Keep only text Representations of this codec.",
    )
    .choices(&["im1t", "etd1"]),
    OptionDef::new(
        "terr", "the", "textErrors", K::HttpErrors, NO_LIST, Usage::TEXT,
        "Answer the text segment with this number (0 = init) with a synthetic HTTP error.",
    ),
    OptionDef::new(
        "tlang", "tl", "textLanguage", K::StrOrNone, D::Str(None), M,
        "Preferred text language; accepted for compatibility, it changes nothing on the server.",
    ),
    OptionDef::new(
        "main_text", "mt", "mainText", K::StrOrNone, D::Str(None), M,
        "Give the text AdaptationSet holding this Representation id Role main.",
    ),
    // DRM options.
    OptionDef::new(
        "drm", "drm", "drmSelection", K::DrmSelection, NO_LIST, MVAT,
        "Serve the encrypted Representations with these DRMs signalled where asked (pro, cenc, moov).",
    ),
    OptionDef::new(
        "playready__la_url", "plu", "playready.licenseUrl", K::Url, D::Str(None), MVA,
        "Override the PlayReady license acquisition URL.",
    ),
    OptionDef::new(
        "playready__piff", "pff", "playready.piff", K::Bool, D::Bool(true), MVA,
        "Add PIFF sample-encryption boxes to PlayReady-encrypted segments.",
    ),
    OptionDef::new(
        "playready__version", "pvn", "playready.version", K::StrOrNone, D::Str(None), MVA,
        "PlayReady compatibility version; 1.0 uses the v1 system id and no cenc:pssh.",
    )
    .choices(&["1.0", "2.0", "3.0", "4.0"]),
    OptionDef::new(
        "marlin__la_url", "mlu", "marlin.licenseUrl", K::Url, D::Str(None), MVA,
        "Override the Marlin license (S-URL) address.",
    ),
    OptionDef::new(
        "clearkey__la_url", "clu", "clearkey.licenseUrl", K::Url, D::Str(None), MVA,
        "Override the ClearKey license URL given to players.",
    ),
    OptionDef::new(
        "enc", "enc", "encryption", K::StrOrNone, D::Str(None), MVA,
        "With drm: encrypt clear Representations per request (cenc: AES-CTR, cbcs: AES-CBC 1:9) with the stream's first key, or the site test key. Not in dash-live.",
    )
    .choices(&["cenc", "cbcs"]),
    // Events.
    OptionDef::new(
        "events", "evs", "eventTypes", K::StrList, NO_LIST, MVA,
        "Generate DASH events: ping (ping/pong messages) and scte35 (ad-break splice_insert).",
    )
    .choices(&["ping", "scte35"]),
    OptionDef::new(
        "ping__count", "pinCoun", "ping.count", K::Int, D::Int(Some(0)), MVA,
        "Number of ping events (0 = unlimited in-band, none in the MPD).",
    )
    .range(0, 1_000_000),
    OptionDef::new(
        "ping__duration", "pinDura", "ping.duration", K::Int, D::Int(Some(200)), MVA,
        "Duration of each ping event, in event timescale units.",
    )
    .range(0, 4_294_967_295),
    OptionDef::new(
        "ping__inband", "pinInba", "ping.inband", K::Bool, D::Bool(true), MVA,
        "Carry ping events as emsg boxes in video segments; 0 puts them in an MPD EventStream.",
    ),
    OptionDef::new(
        "ping__interval", "pinInte", "ping.interval", K::Int, D::Int(Some(1000)), MVA,
        "Time between ping events, in event timescale units.",
    )
    .range(1, 4_294_967_295),
    OptionDef::new(
        "ping__start", "pinStar", "ping.start", K::Int, D::Int(Some(0)), MVA,
        "Time of the first ping event, in event timescale units.",
    )
    .range(0, 4_294_967_295),
    OptionDef::new(
        "ping__timescale", "pinTime", "ping.timescale", K::Int, D::Int(Some(100)), MVA,
        "Timescale of the ping event stream (units per second).",
    )
    .range(1, 4_294_967_295),
    OptionDef::new(
        "ping__value", "pinValu", "ping.value", K::Str, D::Str(Some("0")), MVA,
        "The @value of the ping event stream.",
    ),
    OptionDef::new(
        "ping__version", "pinVers", "ping.version", K::Int, D::Int(Some(0)), MVA,
        "emsg box version used for in-band ping events.",
    )
    .choices(&["0", "1"]),
    OptionDef::new(
        "scte35__count", "sctCoun", "scte35.count", K::Int, D::Int(Some(0)), MVA,
        "Number of SCTE-35 events (0 = unlimited in-band, none in the MPD).",
    )
    .range(0, 1_000_000),
    OptionDef::new(
        "scte35__duration", "sctDura", "scte35.duration", K::Int, D::Int(Some(200)), MVA,
        "Duration of each SCTE-35 ad break, in event timescale units.",
    )
    .range(0, 4_294_967_295),
    OptionDef::new(
        "scte35__inband", "sctInba", "scte35.inband", K::Bool, D::Bool(true), MVA,
        "Carry SCTE-35 events as emsg boxes (version 1) in video segments; 0 puts them in an MPD EventStream.",
    ),
    OptionDef::new(
        "scte35__interval", "sctInte", "scte35.interval", K::Int, D::Int(Some(1000)), MVA,
        "Time between SCTE-35 events, in event timescale units.",
    )
    .range(1, 4_294_967_295),
    OptionDef::new(
        "scte35__start", "sctStar", "scte35.start", K::Int, D::Int(Some(0)), MVA,
        "Time of the first SCTE-35 event, in event timescale units.",
    )
    .range(0, 4_294_967_295),
    OptionDef::new(
        "scte35__timescale", "sctTime", "scte35.timescale", K::Int, D::Int(Some(100)), MVA,
        "Timescale of the SCTE-35 event stream (units per second).",
    )
    .range(1, 4_294_967_295),
    OptionDef::new(
        "scte35__value", "sctValu", "scte35.value", K::StrOrNone, D::Str(None), MVA,
        "The @value of the SCTE-35 event stream.",
    ),
    OptionDef::new(
        "scte35__version", "sctVers", "scte35.version", K::Int, D::Int(Some(0)), MVA,
        "emsg box version for SCTE-35 events (in-band events always use 1).",
    )
    .choices(&["0", "1"]),
    OptionDef::new(
        "scte35__program_id", "sctProg", "scte35.program_id", K::Int, D::Int(Some(1620)), MVA,
        "unique_program_id written in each SCTE-35 splice_insert.",
    )
    .range(0, 65_535),
    // Clock and UTC timing.
    OptionDef::new(
        "drift", "dft", "clockDrift", K::IntOrNone, D::Int(None), M.union(Usage::TIME),
        "Run the manifest and /time clocks this many seconds behind real time (segments keep real time).",
    )
    .range(-86_400, 86_400)
    .examples(&["10"]),
    OptionDef::new(
        "time", "utc", "utcMethod", K::StrOrNone, D::Str(None), M,
        "Add a live UTCTiming element using this method.",
    )
    .choices(&["direct", "head", "http-ntp", "iso", "ntp", "sntp", "xsd"]),
    OptionDef::new(
        "time_value", "utv", "utcValue", K::StrOrNone, D::Str(None), M.union(Usage::TIME),
        "UTCTiming value; accepted for compatibility, it changes nothing on the server.",
    ),
    OptionDef::new(
        "ntp_servers", "ntps", "ntpSources", K::StrList, NO_LIST, M,
        "NTP servers for time=ntp or sntp: a pool name (europe-ntp, google) or host names (default google).",
    )
    .examples(&["europe-ntp", "google"]),
    // Player page.
    OptionDef::new(
        "dashjs", "djVer", "dashjsVersion", K::StrOrNone, D::Str(None), H,
        "dash.js version the player page loads (default: the one installed for the origin, else its pinned release).",
    )
    // Any release: the pinned one comes from node_modules, others from dash.js's CDN.
    .examples(&["5.2.1", "4.7.4", "4.7.1"]),
    OptionDef::new(
        "player", "vp", "videoPlayer", K::Str, D::Str(Some("dashjs")), H,
        "Player used by the player page: dash.js, Shaka Player or the browser's own video element.",
    )
    .choices(&["dashjs", "shaka", "native"]),
    OptionDef::new(
        "shaka", "skVer", "shakaVersion", K::StrOrNone, D::Str(None), H,
        "Shaka Player version the player page loads (default: the one installed for the origin, else its pinned release).",
    )
    .examples(&["5.2.12", "4.11.2", "4.3.8"]),
    OptionDef::new(
        "text_pref", "ptxLang", "textPreference", K::StrOrNone, D::Str(None), H,
        "Text language the player page asks the player to prefer.",
    )
    .choices(&["eng", "cym", "deu", "fra", "gla", "gle", "gre", "pol", "spa"]),
];

/// Query names of older dash-live versions, mapped onto full names. They are
/// read like the cgi names, so old test setups keep working.
pub const LEGACY_CGI: &[(&str, &str)] = &[
    ("playready_la_url", "playready.licenseUrl"),
    ("marlin_la_url", "marlin.licenseUrl"),
    ("clearkey_la_url", "clearkey.licenseUrl"),
];

/// Query parameters that are not options but are read by the HTTP layer
/// (`ajax=1` JSON answers, `es5` legacy pages): no "unknown" warning.
pub const NON_OPTION_PARAMS: &[&str] = &["ajax", "es5"];

/// Options a manifest template must list in its features to use; the others
/// are reset to their default (reference §1.3 step 5).
pub const FEATURE_GATED: &[&str] = &[
    "abr",
    "audioCodec",
    "useBaseUrls",
    "drmSelection",
    "eventTypes",
    "minimumUpdatePeriod",
    "segmentTimeline",
    "utcMethod",
    "patch",
];

/// Options that only mean something live; reset in vod and odvod (§1.3 step 7).
pub const LIVE_ONLY: &[&str] = &[
    "availabilityStartTime",
    "minimumUpdatePeriod",
    "ntpSources",
    "timeShiftBufferDepth",
    "utcMethod",
    "utcValue",
    "patch",
];

/// Position of the option with this full name in [`OPTIONS`].
pub fn index_of_full(full: &str) -> Option<usize> {
    OPTIONS.iter().position(|d| d.full == full)
}

/// Position of the option with this query name (or a legacy one).
pub fn index_of_cgi(cgi: &str) -> Option<usize> {
    if let Some(i) = OPTIONS.iter().position(|d| d.cgi == cgi) {
        return Some(i);
    }
    LEGACY_CGI
        .iter()
        .find(|(legacy, _)| *legacy == cgi)
        .and_then(|(_, full)| index_of_full(full))
}

/// Position of the option with this cgi, short or full name (the names
/// stream and site defaults may use).
pub fn index_of_any(name: &str) -> Option<usize> {
    index_of_cgi(name)
        .or_else(|| index_of_full(name))
        .or_else(|| OPTIONS.iter().position(|d| d.short == name))
}

/// The option with this full name.
pub fn by_full(full: &str) -> Option<&'static OptionDef> {
    index_of_full(full).map(|i| &OPTIONS[i])
}

/// The option with this query name (or a legacy one).
pub fn by_cgi(cgi: &str) -> Option<&'static OptionDef> {
    index_of_cgi(cgi).map(|i| &OPTIONS[i])
}

/// The option with this cgi, short or full name.
pub fn by_any_name(name: &str) -> Option<&'static OptionDef> {
    index_of_any(name).map(|i| &OPTIONS[i])
}
