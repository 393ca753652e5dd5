//! The DASH validator: checks a manifest against ISO/IEC 23009-1, DASH-IF
//! IOP and (where the MPD claims its profile) DVB-DASH, then the segments it
//! names. Each rule is a small named function registered with its clause in
//! [`rules::RULES`]; `docs/validator.md` is that table.
//!
//! A [`Validator`] holds one parsed MPD: [`Validator::check_manifest`] runs
//! the manifest rules, [`Validator::check_segments`] fetches and checks the
//! segments through a [`fetch::Fetch`]; [`live::watch`] refreshes a live MPD
//! (patches applied by [`patch`]) and compares each refresh with the one before.

pub mod doc;
pub mod fetch;
pub mod live;
pub mod patch;
pub mod report;
pub mod rules;
pub mod run;
pub mod save;
pub mod schema;
pub mod segments;
pub mod value;

use serde::Serialize;

pub use doc::Doc;
pub use fetch::Fetch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One thing wrong, where it is, which rule says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub clause: &'static str,
    /// `/MPD/Period[1]/AdaptationSet[2]/Representation[@id='v1']`.
    pub path: String,
    /// The line in the manifest the element starts on (0: the whole file).
    pub line: u32,
    /// The segment's URL, with the box path, for a segment finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    pub expected: String,
    pub seen: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev} [{}] line {} {}", self.rule, self.line, self.path)?;
        if let Some(s) = &self.segment {
            write!(f, " {s}")?;
        }
        write!(
            f,
            ": expected {}, seen {} ({})",
            self.expected, self.seen, self.clause
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The stream is meant to be encrypted: video must be signalled so.
    pub encrypted: bool,
    /// Media segments checked per Representation: `None` every one; `Some(n)`
    /// the first, the last and spread between.
    pub segments: Option<usize>,
    /// The folder holding DASH-MPD.xsd; `None` skips the schema.
    pub schema: Option<std::path::PathBuf>,
    /// The wall clock, for which live segments are available (ms since 1970).
    pub now_ms: Option<i64>,
    /// Connections at once when fetching segments.
    pub connections: usize,
}

/// The manifest could not be checked at all (exit 2 in the CLI).
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error("fetching {url}: {message}")]
    Fetch { url: String, message: String },
}

pub struct Validator {
    pub url: String,
    pub text: Vec<u8>,
    /// `None` when the manifest is not well-formed (a finding says where).
    pub doc: Option<Doc>,
    pub options: Options,
}

impl Validator {
    pub fn new(text: Vec<u8>, url: &str, options: Options) -> Validator {
        let doc = Doc::parse(&text).ok();
        Validator {
            url: url.to_string(),
            text,
            doc,
            options,
        }
    }

    /// Fetches the manifest at `url` (through `fetch`) and parses it.
    pub fn load(
        fetch: &dyn Fetch,
        url: &str,
        options: Options,
    ) -> Result<Validator, ValidateError> {
        let got = fetch
            .get(url, None)
            .map_err(|message| ValidateError::Fetch {
                url: url.to_string(),
                message,
            })?;
        if got.status != 200 {
            return Err(ValidateError::Fetch {
                url: url.to_string(),
                message: format!("HTTP {}", got.status),
            });
        }
        Ok(Validator::new(got.body, url, options))
    }

    /// Every manifest rule (and the schema, when asked).
    pub fn check_manifest(&self) -> Vec<Finding> {
        let mut out = match &self.doc {
            Some(doc) => rules::run(doc, &self.options, &self.url),
            None => {
                let e = Doc::parse(&self.text).err();
                vec![rules::not_well_formed(e)]
            }
        };
        if let Some(dir) = &self.options.schema {
            let mut found = schema::check(&self.text, dir);
            if let Some(doc) = &self.doc {
                // xmllint names the line; the path of the element there is ours.
                for f in found.iter_mut().filter(|f| f.line > 0) {
                    if let Some(i) = doc.nodes.iter().rposition(|n| n.line == f.line) {
                        f.path = doc.path(i);
                    }
                }
            }
            out.extend(found);
        }
        out
    }

    /// Fetches and checks the segments of every Representation.
    pub fn check_segments(
        &self,
        fetch: &dyn Fetch,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Vec<Finding> {
        match &self.doc {
            Some(doc) => segments::check(doc, &self.url, &self.options, fetch, progress),
            None => Vec::new(),
        }
    }
}

/// Whether any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}
