//! `--save DIR`: what was validated, kept as a catalog stream `dashlive build`
//! takes: `DIR/manifest.mpd` as fetched, one fragmented MP4 per
//! Representation in `DIR/media/` (its init segment then every media segment
//! the manifest lists, in order), and `DIR/config/streams/<name>.yaml`
//! naming them. Build it with `dashlive build --config DIR/config`.

use std::path::{Path, PathBuf};

use super::segments::list;
use super::{Fetch, Validator};
use crate::catalog::stream::StreamFile;

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("fetching {0}: {1}")]
    Fetch(String, String),
    #[error("the manifest is not well-formed: nothing to save but the manifest")]
    NoDoc,
    #[error("no Representation with an init segment to save")]
    NoMedia,
    #[error("writing the stream file: {0}")]
    Yaml(#[from] serde_yaml::Error),
}

/// The stream file written.
pub fn save(v: &Validator, fetch: &dyn Fetch, dir: &Path) -> Result<PathBuf, SaveError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| SaveError::Io(p, e)
    };
    std::fs::create_dir_all(dir.join("media")).map_err(io(dir))?;
    std::fs::create_dir_all(dir.join("config/streams")).map_err(io(dir))?;
    let mpd = dir.join("manifest.mpd");
    crate::fsutil::write_atomic(&mpd, &v.text).map_err(io(&mpd))?;
    let doc = v.doc.as_ref().ok_or(SaveError::NoDoc)?;
    let mut media = Vec::new();
    let mut reps_saved = Vec::new();
    for r in doc.all("Representation") {
        let reps = list(doc, r, &v.url, v.options.now_ms);
        let Some(init) = reps.init else { continue };
        let id = safe(&reps.id);
        let file = dir.join("media").join(format!("{id}.mp4"));
        let mut bytes = get(fetch, &init.url, init.range)?;
        for s in &reps.media {
            bytes.extend(get(fetch, &s.url, s.range)?);
        }
        crate::fsutil::write_atomic(&file, &bytes).map_err(io(&file))?;
        reps_saved.push((id.clone(), reps.mime.starts_with("video")));
        media.push(PathBuf::from(format!("../../media/{id}.mp4")));
    }
    // The loop's length is the video's, as the catalog's own streams have it.
    let timing_ref = reps_saved
        .iter()
        .find(|r| r.1)
        .or(reps_saved.first())
        .map(|r| r.0.clone())
        .ok_or(SaveError::NoMedia)?;
    let name = dir
        .file_name()
        .map(|n| safe(&n.to_string_lossy()))
        .unwrap_or_else(|| "saved".into());
    let stream = StreamFile {
        directory: name.clone(),
        title: format!("Saved from {}", v.url),
        media,
        timing_ref,
        keys: Vec::new(),
        playready_la_url: None,
        marlin_la_url: None,
        defaults: Default::default(),
    };
    let yaml = dir.join(format!("config/streams/{name}.yaml"));
    crate::fsutil::write_atomic(&yaml, serde_yaml::to_string(&stream)?.as_bytes())
        .map_err(io(&yaml))?;
    Ok(yaml)
}

fn get(fetch: &dyn Fetch, url: &str, range: Option<(u64, u64)>) -> Result<Vec<u8>, SaveError> {
    let got = fetch
        .get(url, range)
        .map_err(|e| SaveError::Fetch(url.to_string(), e))?;
    if !matches!(got.status, 200 | 206) {
        return Err(SaveError::Fetch(
            url.to_string(),
            format!("HTTP {}", got.status),
        ));
    }
    Ok(got.body)
}

/// A name that is one safe path segment (and a catalog directory name).
fn safe(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "rep".into()
    } else {
        s
    }
}
