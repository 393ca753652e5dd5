//! Site settings, `config/site.yaml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::CatalogError;
use super::locate;
use super::stream::{invalid_field, read_yaml};
use crate::mpd::registry;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteFile {
    /// Absolute base URL for manifests (`https://cdn.example/`); absent, URLs are relative.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Build output, relative to the config folder.
    #[serde(default = "default_out")]
    pub out: PathBuf,
    /// Templates to build; absent, all of them.
    #[serde(default)]
    pub manifests: Option<Vec<String>>,
    /// Option values for every stream, applied before the stream's own defaults.
    #[serde(default)]
    pub defaults: BTreeMap<String, serde_yaml::Value>,
}

fn default_out() -> PathBuf {
    PathBuf::from("../out")
}

#[derive(Debug, Clone)]
pub struct Site {
    pub base_url: Option<String>,
    pub out: PathBuf,
    pub manifests: Vec<String>,
    pub defaults: BTreeMap<String, serde_yaml::Value>,
    /// The file it came from; `None` when the config has no site.yaml.
    pub source: Option<PathBuf>,
}

impl Site {
    /// The settings of a config folder without site.yaml.
    pub fn default_for(config: &Path) -> Site {
        Site {
            base_url: None,
            out: config.join(default_out()),
            manifests: registry::names().map(String::from).collect(),
            defaults: BTreeMap::new(),
            source: None,
        }
    }
}

pub fn load(file: &Path) -> Result<Site, Vec<CatalogError>> {
    let (text, raw): (String, SiteFile) = read_yaml(file)?;
    let mut errors = Vec::new();
    let invalid = |field: &str, message: String| invalid_field(file, &text, field, message);
    if let Some(u) = &raw.base_url {
        if !(u.starts_with("http://") || u.starts_with("https://")) || !u.ends_with('/') {
            errors.push(invalid(
                "base_url",
                format!("{u:?} must be an http(s) URL ending in '/'"),
            ));
        }
    }
    let manifests = raw
        .manifests
        .unwrap_or_else(|| registry::names().map(String::from).collect());
    for (i, m) in manifests.iter().enumerate() {
        if registry::find(m).is_none() {
            let (line, column) = locate::item(&text, "manifests", i);
            errors.push(CatalogError::Invalid {
                file: file.to_path_buf(),
                line,
                column,
                field: "manifests".into(),
                message: format!(
                    "unknown template {m:?}; known: {}",
                    registry::names().collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
    errors.extend(super::stream::check_defaults(file, &text, &raw.defaults));
    if !errors.is_empty() {
        return Err(errors);
    }
    let base = file.parent().unwrap_or(Path::new("."));
    Ok(Site {
        base_url: raw.base_url,
        out: if raw.out.is_absolute() {
            raw.out
        } else {
            base.join(raw.out)
        },
        manifests,
        defaults: raw.defaults,
        source: Some(file.to_path_buf()),
    })
}
