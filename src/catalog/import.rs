//! `dashlive catalog import FILE`: turns a dash-live upload file (format v2,
//! as `../shared/media/bbb/upload_v2.json`) into stream files.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::CatalogError;
use super::keys::KeyEntry;
use super::stream::StreamFile;

/// An upload file of format v2 (also read by `dashlive upload`).
#[derive(Debug, Deserialize)]
pub struct UploadFile {
    #[serde(default)]
    pub keys: Vec<UploadKey>,
    pub streams: Vec<UploadStream>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UploadKey {
    pub kid: String,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub computed: bool,
}

#[derive(Debug, Deserialize)]
pub struct UploadStream {
    pub directory: String,
    pub title: String,
    #[serde(default)]
    pub marlin_la_url: Option<String>,
    #[serde(default)]
    pub playready_la_url: Option<String>,
    pub files: Vec<PathBuf>,
    pub timing_ref: String,
}

/// Writes `config/streams/<directory>.yaml` for each stream of the upload
/// file, with media paths relative to the new file, and every key of the
/// upload file in every stream (dash-live's keys are global). Refuses to
/// replace an existing stream file unless `force`.
pub fn import(upload: &Path, config: &Path, force: bool) -> Result<Vec<PathBuf>, CatalogError> {
    let text = std::fs::read_to_string(upload).map_err(|source| CatalogError::Io {
        file: upload.to_path_buf(),
        source,
    })?;
    let parsed: UploadFile = serde_json::from_str(&text).map_err(|e| {
        let hint = if text.contains("\"prefix\"") {
            " (this looks like the v1 upload format; only v2 is read)"
        } else {
            ""
        };
        CatalogError::Syntax {
            file: upload.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: format!("{e}{hint}"),
        }
    })?;
    let streams_dir = config.join("streams");
    std::fs::create_dir_all(&streams_dir).map_err(|source| CatalogError::Io {
        file: streams_dir.clone(),
        source,
    })?;
    let upload_dir = upload.parent().unwrap_or(Path::new("."));
    let keys: Vec<KeyEntry> = parsed
        .keys
        .iter()
        .map(|k| KeyEntry {
            kid: k.kid.clone(),
            // A computed key needs no value; dash-live files sometimes carry one anyway.
            key: if k.computed { None } else { k.key.clone() },
            computed: k.computed,
        })
        .collect();
    let mut written = Vec::new();
    for s in parsed.streams {
        let target = streams_dir.join(format!("{}.yaml", s.directory));
        if target.exists() && !force {
            return Err(CatalogError::Invalid {
                file: target,
                line: 1,
                column: 1,
                field: "directory".into(),
                message: format!(
                    "stream {:?} exists already (use --force to replace it)",
                    s.directory
                ),
            });
        }
        let media = s
            .files
            .iter()
            .map(|f| {
                // Canonical paths give a clean relative path; a file that
                // does not exist stays as given, for `catalog check` to report.
                let given = upload_dir.join(f);
                match (given.canonicalize(), streams_dir.canonicalize()) {
                    (Ok(abs), Ok(from)) => pathdiff::diff_paths(&abs, &from).unwrap_or(abs),
                    _ => given,
                }
            })
            .collect();
        let file = StreamFile {
            directory: s.directory.clone(),
            title: s.title,
            media,
            timing_ref: super::stream::rep_id(Path::new(&s.timing_ref)),
            keys: keys.clone(),
            playready_la_url: s.playready_la_url,
            marlin_la_url: s.marlin_la_url,
            defaults: Default::default(),
        };
        let yaml = serde_yaml::to_string(&file).map_err(|e| CatalogError::Invalid {
            file: target.clone(),
            line: 1,
            column: 1,
            field: "directory".into(),
            message: e.to_string(),
        })?;
        let body = format!(
            "# Imported from {} by dashlive catalog import.\n{yaml}",
            upload.display()
        );
        crate::fsutil::write_atomic(&target, body.as_bytes()).map_err(|source| {
            CatalogError::Io {
                file: target.clone(),
                source,
            }
        })?;
        written.push(target);
    }
    Ok(written)
}
