//! Multi-period programme files, `config/mps/<name>.yaml`: read and checked
//! with the streams (names, ids, roles, languages, the streams they use);
//! once the streams are indexed, each period's span is snapped to segment
//! boundaries of its stream's timing reference ([`Catalog::programmes`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{CatalogError, CatalogErrors};
use super::stream::{check_defaults, invalid_field, read_yaml};
use super::{locate, Catalog, IndexedStream};
use crate::mpd::mps::{self, Programme, ProgrammePeriod, Track};
use crate::options::Defaults;

/// The file as written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MpsFile {
    /// The URL name: `/mps/<mode>/<name>/<manifest>.mpd`.
    pub name: String,
    pub title: String,
    /// Option values applied before a request's, as a stream's `defaults`.
    #[serde(default, skip_serializing_if = "Defaults::is_empty")]
    pub options: Defaults,
    pub periods: Vec<PeriodFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodFile {
    /// Unique in the programme; live Period ids are `<id>_<loop>`.
    pub id: String,
    /// A stream's `directory`.
    pub stream: String,
    /// `content` (the default) or `ad`: an ad break's start is signalled
    /// with SCTE-35.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Encrypted for requests with `drm=` (its stream's encrypted copies,
    /// or its clear ones with `enc=`); other periods stay clear.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub encrypted: bool,
    /// Seconds into the stream's media, snapped to a segment boundary.
    pub start: f64,
    /// Seconds, snapped likewise.
    pub duration: f64,
    /// Representations to keep, each with its AdaptationSet's role and
    /// language; none listed: every representation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracks: Vec<Track>,
}

/// A programme file that reads and names known streams.
#[derive(Debug, Clone)]
pub struct MpsSource {
    pub file: MpsFile,
    pub source: PathBuf,
}

/// The programme files of a config folder, sorted.
pub fn mps_files(config: &Path) -> Result<Vec<PathBuf>, CatalogError> {
    let dir = config.join("mps");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    let entries = std::fs::read_dir(&dir).map_err(|source| CatalogError::Io {
        file: dir.clone(),
        source,
    })?;
    for entry in entries {
        let p = entry
            .map_err(|source| CatalogError::Io {
                file: dir.clone(),
                source,
            })?
            .path();
        if p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}

/// A name that is one safe URL path segment.
fn url_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Reads and checks one programme file against the catalog's streams.
pub fn load(
    file: &Path,
    streams: Option<&[super::Stream]>,
) -> Result<MpsSource, Vec<CatalogError>> {
    let (text, raw): (String, MpsFile) = read_yaml(file)?;
    let mut errors = Vec::new();
    let invalid = |field: &str, message: String| invalid_field(file, &text, field, message);
    if !url_segment(&raw.name) {
        errors.push(invalid(
            "name",
            format!(
                "{:?} must be one URL path segment of at most 64 letters, digits, '-', '_', '.'",
                raw.name
            ),
        ));
    }
    if raw.periods.is_empty() {
        errors.push(invalid("periods", "lists no periods".into()));
    }
    for (i, p) in raw.periods.iter().enumerate() {
        let (line, column) = locate::item(&text, "periods", i);
        let mut bad = |what: &str, message: String| {
            errors.push(CatalogError::Invalid {
                file: file.to_path_buf(),
                line,
                column,
                field: format!("periods[{i}].{what}"),
                message,
            })
        };
        if !url_segment(&p.id) {
            bad(
                "id",
                format!(
                    "{:?} must be one URL path segment (letters, digits, '-', '_', '.')",
                    p.id
                ),
            );
        }
        if raw.periods[..i].iter().any(|q| q.id == p.id) {
            bad("id", format!("{:?} is the id of an earlier period", p.id));
        }
        // Unless a stream file failed (its own error says why).
        if let Some(all) = streams.filter(|all| !all.iter().any(|s| s.directory == p.stream)) {
            let names: Vec<&str> = all.iter().map(|s| s.directory.as_str()).collect();
            bad(
                "stream",
                format!(
                    "{:?} is no stream's directory (there are {})",
                    p.stream,
                    names.join(", ")
                ),
            );
        }
        if let Some(r) = p
            .role
            .as_deref()
            .filter(|r| !matches!(*r, "content" | "ad"))
        {
            bad("role", format!("{r:?}: allowed values are content, ad"));
        }
        if !(p.start.is_finite() && p.start >= 0.0) {
            bad("start", format!("{}: seconds, 0 or more", p.start));
        }
        if !(p.duration.is_finite() && p.duration > 0.0) {
            bad("duration", format!("{}: seconds, more than 0", p.duration));
        }
        for (j, t) in p.tracks.iter().enumerate() {
            if let Some(r) = t.role.as_deref().filter(|r| mps::role(r).is_none()) {
                bad(
                    &format!("tracks[{j}].role"),
                    format!("{r:?}: allowed values are {}", mps::ROLES.join(", ")),
                );
            }
            if let Some(l) = t
                .lang
                .as_deref()
                .filter(|l| oxilangtag::LanguageTag::parse(*l).is_err())
            {
                bad(
                    &format!("tracks[{j}].lang"),
                    format!("{l:?} is not a BCP-47 language tag"),
                );
            }
            if p.tracks[..j].iter().any(|u| u.rep == t.rep) {
                bad(
                    &format!("tracks[{j}].rep"),
                    format!("{:?} is listed twice", t.rep),
                );
            }
        }
    }
    errors.extend(
        check_defaults(file, &text, &raw.options)
            .into_iter()
            .map(|e| match e {
                CatalogError::Invalid {
                    file,
                    line,
                    column,
                    message,
                    ..
                } => CatalogError::Invalid {
                    file,
                    line,
                    column,
                    field: "options".into(),
                    message,
                },
                other => other,
            }),
    );
    if errors.is_empty() {
        Ok(MpsSource {
            file: raw,
            source: file.to_path_buf(),
        })
    } else {
        Err(errors)
    }
}

impl Catalog {
    /// Every programme, its periods snapped to segment boundaries of their
    /// streams' timing references, and a note for each end that moved
    /// (`catalog check` prints them). Errors name the file and period: a
    /// track the stream lacks, a span past the end of the media.
    pub fn programmes(
        &self,
        indexed: &[IndexedStream],
    ) -> Result<(Vec<Programme>, Vec<String>), CatalogErrors> {
        let mut programmes = Vec::new();
        let mut notes = Vec::new();
        let mut errors = Vec::new();
        for m in &self.mps {
            let text = std::fs::read_to_string(&m.source).unwrap_or_default();
            let mut periods = Vec::new();
            for (i, p) in m.file.periods.iter().enumerate() {
                let (line, column) = locate::item(&text, "periods", i);
                let err = |field: String, message: String| CatalogError::Invalid {
                    file: m.source.clone(),
                    line,
                    column,
                    field,
                    message,
                };
                let Some(s) = indexed.iter().find(|s| s.stream.directory == p.stream) else {
                    errors.push(err(format!("periods[{i}].stream"), "no such stream".into()));
                    continue;
                };
                for (j, t) in p.tracks.iter().enumerate() {
                    if !s.representations.iter().any(|r| r.id == t.rep) {
                        errors.push(err(
                            format!("periods[{i}].tracks[{j}].rep"),
                            format!(
                                "{:?} is no representation of {} (it has {})",
                                t.rep,
                                p.stream,
                                s.representations
                                    .iter()
                                    .map(|r| r.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                    }
                }
                let Some(reference) = s
                    .representations
                    .iter()
                    .find(|r| r.id == s.stream.timing_ref)
                else {
                    errors.push(err(
                        format!("periods[{i}].stream"),
                        "no timing reference".into(),
                    ));
                    continue;
                };
                match mps::snap(reference, p.start, p.duration) {
                    Ok(snapped) => {
                        let ts = f64::from(snapped.timescale.max(1));
                        for (what, moved, at) in [
                            ("start", snapped.start_moved, snapped.start),
                            ("end", snapped.end_moved, snapped.start + snapped.duration),
                        ] {
                            if moved != 0 {
                                notes.push(format!(
                                    "{}: period {}: {what} snapped to {:.3} s ({:+.3} s), a segment \
                                     boundary of {}",
                                    m.source.display(),
                                    p.id,
                                    at as f64 / ts,
                                    moved as f64 / ts,
                                    reference.id
                                ));
                            }
                        }
                        periods.push(ProgrammePeriod {
                            id: p.id.clone(),
                            stream: p.stream.clone(),
                            ad: p.role.as_deref() == Some("ad"),
                            encrypted: p.encrypted,
                            start: snapped.start,
                            duration: snapped.duration,
                            timescale: snapped.timescale,
                            tracks: p.tracks.clone(),
                        });
                    }
                    Err(message) => errors.push(err(format!("periods[{i}].start"), message)),
                }
            }
            let programme = Programme {
                name: m.file.name.clone(),
                title: m.file.title.clone(),
                defaults: m.file.options.clone(),
                periods,
            };
            if errors.is_empty() && programme.clock().is_none() {
                errors.push(invalid_field(
                    &m.source,
                    &text,
                    "periods",
                    "the periods' timescales have no common multiple this server can count in"
                        .into(),
                ));
            }
            programmes.push(programme);
        }
        if errors.is_empty() {
            Ok((programmes, notes))
        } else {
            Err(CatalogErrors(errors))
        }
    }
}
