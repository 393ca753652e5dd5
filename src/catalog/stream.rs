//! One stream file, `config/streams/<name>.yaml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::CatalogError;
use super::keys::{Key, KeyEntry};
use super::locate;

/// The file as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamFile {
    /// The stream's URL name: `/dash/<mode>/<directory>/…`.
    pub directory: String,
    pub title: String,
    /// Media files, relative to this file or absolute.
    pub media: Vec<PathBuf>,
    /// The representation (file stem, or file name) whose length defines the live loop.
    pub timing_ref: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playready_la_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marlin_la_url: Option<String>,
    /// Option values applied before the request's, by cgi, short or full name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub defaults: BTreeMap<String, serde_yaml::Value>,
}

/// A checked stream: paths resolved, keys parsed, timing reference named by
/// representation id.
#[derive(Debug, Clone)]
pub struct Stream {
    pub directory: String,
    pub title: String,
    pub media: Vec<PathBuf>,
    pub timing_ref: String,
    pub keys: Vec<Key>,
    pub playready_la_url: Option<String>,
    pub marlin_la_url: Option<String>,
    pub defaults: BTreeMap<String, serde_yaml::Value>,
    /// The YAML file it came from.
    pub source: PathBuf,
}

/// The representation id a media file gives: its stem, lower-cased.
pub fn rep_id(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

/// A directory name that is one safe URL path segment.
pub fn valid_directory(d: &str) -> bool {
    !d.is_empty()
        && d != "."
        && d != ".."
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Parses a YAML error into a located syntax error.
pub fn syntax(file: &Path, e: &serde_yaml::Error) -> CatalogError {
    let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
    // serde_yaml appends "at line L column C" to its message; we put the
    // position in front instead.
    let message = e.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    CatalogError::Syntax {
        file: file.to_path_buf(),
        line,
        column,
        message,
    }
}

/// Reads a catalog YAML file into `T`: its text (for locating later
/// errors) and its value, or the located syntax error.
pub fn read_yaml<T: serde::de::DeserializeOwned>(
    file: &Path,
) -> Result<(String, T), Vec<CatalogError>> {
    let text = std::fs::read_to_string(file).map_err(|source| {
        vec![CatalogError::Io {
            file: file.to_path_buf(),
            source,
        }]
    })?;
    let value = serde_yaml::from_str(&text).map_err(|e| vec![syntax(file, &e)])?;
    Ok((text, value))
}

/// An invalid value of top-level `field`, located in `text`.
pub fn invalid_field(file: &Path, text: &str, field: &str, message: String) -> CatalogError {
    let (line, column) = locate::key(text, field);
    CatalogError::Invalid {
        file: file.to_path_buf(),
        line,
        column,
        field: field.to_string(),
        message,
    }
}

/// Checks a file's `defaults` (a stream's or the site's). They are option
/// values, checked by the option table now, not at request time; and an
/// option this server cannot serve yet (DRM, events, ...: see
/// [`Options::not_supported_yet`](crate::options::Options::not_supported_yet))
/// is refused at its line, where it would otherwise be silently ignored.
pub fn check_defaults(
    file: &Path,
    text: &str,
    defaults: &BTreeMap<String, serde_yaml::Value>,
) -> Vec<CatalogError> {
    use crate::options::{Mode, Options};
    if let Err(e) = Options::new(Mode::Vod).apply_defaults(defaults) {
        return vec![invalid_field(file, text, "defaults", e.to_string())];
    }
    let mut errors = Vec::new();
    for (name, value) in defaults {
        // One at a time, to name the entry that turns an option on.
        let mut alone = Options::new(Mode::Vod);
        let one = BTreeMap::from([(name.clone(), value.clone())]);
        if alone.apply_defaults(&one).is_err() {
            continue; // cannot happen: the whole map applied
        }
        // An error at this default's line.
        let (line, column) = locate::nested_key(text, "defaults", name);
        let mut refuse = |message: String| {
            errors.push(CatalogError::Invalid {
                file: file.to_path_buf(),
                line,
                column,
                field: "defaults".into(),
                message,
            })
        };
        if let Some(query_name) = crate::faults::first_timed(&alone) {
            refuse(format!(
                "{query_name}: a time of day places a fault on a live stream only, and a \
                 default applies to the VOD manifests too; use segment numbers, or give it \
                 in the live URL"
            ));
        }
        for query_name in alone.not_supported_yet() {
            let shown = if name == query_name {
                name.clone()
            } else {
                format!("{name} ({query_name})")
            };
            refuse(format!(
                "{shown}: not supported yet by this server, so it cannot be a default"
            ));
        }
    }
    errors
}

/// Reads and checks one stream file; every problem found is returned.
pub fn load(file: &Path) -> Result<Stream, Vec<CatalogError>> {
    let (text, raw): (String, StreamFile) = read_yaml(file)?;
    let mut errors = Vec::new();
    let invalid = |field: &str, message: String| invalid_field(file, &text, field, message);
    if !valid_directory(&raw.directory) {
        errors.push(invalid(
            "directory",
            format!(
                "{:?} must be one URL path segment: letters, digits, '-', '_', '.'",
                raw.directory
            ),
        ));
    }
    if raw.media.is_empty() {
        errors.push(invalid("media", "lists no files".into()));
    }
    let base = file.parent().unwrap_or(Path::new("."));
    let mut media = Vec::with_capacity(raw.media.len());
    let mut ids: Vec<String> = Vec::new();
    for (i, m) in raw.media.iter().enumerate() {
        let path = if m.is_absolute() {
            m.clone()
        } else {
            base.join(m)
        };
        let (line, column) = locate::item(&text, "media", i);
        if !path.is_file() {
            errors.push(CatalogError::MissingMedia {
                file: file.to_path_buf(),
                line,
                column,
                path: path.clone(),
            });
        }
        let id = rep_id(&path);
        if ids.contains(&id) {
            errors.push(CatalogError::Invalid {
                file: file.to_path_buf(),
                line,
                column,
                field: "media".into(),
                message: format!("two files give the representation id {id:?}"),
            });
        }
        ids.push(id);
        media.push(path);
    }
    let timing_ref = rep_id(Path::new(&raw.timing_ref));
    if !ids.contains(&timing_ref) {
        let (line, column) = locate::key(&text, "timing_ref");
        errors.push(CatalogError::TimingRef {
            file: file.to_path_buf(),
            line,
            column,
            name: raw.timing_ref.clone(),
            available: ids.join(", "),
        });
    }
    let mut keys = Vec::with_capacity(raw.keys.len());
    for (i, k) in raw.keys.iter().enumerate() {
        match k.resolve() {
            Ok(key) => {
                if keys.iter().any(|x: &Key| x.kid == key.kid) {
                    errors.push(invalid("keys", format!("kid {} is listed twice", k.kid)));
                }
                keys.push(key);
            }
            Err(message) => {
                let (line, column) = locate::item(&text, "keys", i);
                errors.push(CatalogError::Invalid {
                    file: file.to_path_buf(),
                    line,
                    column,
                    field: "keys".into(),
                    message,
                });
            }
        }
    }
    for (field, url) in [
        ("playready_la_url", &raw.playready_la_url),
        ("marlin_la_url", &raw.marlin_la_url),
    ] {
        if let Some(u) = url {
            if !u.contains("://") || u.chars().any(char::is_whitespace) {
                errors.push(invalid(field, format!("{u:?} is not a URL")));
            }
        }
    }
    errors.extend(check_defaults(file, &text, &raw.defaults));
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Stream {
        directory: raw.directory,
        title: raw.title,
        media,
        timing_ref,
        keys,
        playready_la_url: raw.playready_la_url,
        marlin_la_url: raw.marlin_la_url,
        defaults: raw.defaults,
        source: file.to_path_buf(),
    })
}
