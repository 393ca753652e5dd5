//! The catalog: `config/site.yaml` (site settings) and `config/streams/*.yaml`
//! (one file per stream). It is the one home of what dashlive serves; the
//! build reads it, the admin pages will edit it.

pub mod error;
pub mod import;
pub mod keys;
mod locate;
pub mod mps;
pub mod site;
pub mod stream;

use std::path::{Path, PathBuf};

pub use error::{CatalogError, CatalogErrors};
pub use keys::Key;
pub use site::Site;
pub use stream::{rep_id, Stream, StreamFile};

#[derive(Debug, Clone)]
pub struct Catalog {
    /// The config folder.
    pub root: PathBuf,
    pub site: Site,
    /// Sorted by file name.
    pub streams: Vec<Stream>,
    /// Multi-period programmes (`mps/*.yaml`), sorted by file name.
    pub mps: Vec<mps::MpsSource>,
}

/// The stream files of a config folder, sorted.
pub fn stream_files(config: &Path) -> Result<Vec<PathBuf>, CatalogError> {
    let dir = config.join("streams");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&dir)
        .min_depth(1)
        .max_depth(1)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| CatalogError::Io {
            file: dir.clone(),
            source: e.into(),
        })?;
        let p = entry.path();
        if p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            files.push(p.to_path_buf());
        }
    }
    Ok(files)
}

impl Catalog {
    /// Loads and checks a config folder. Every error in every file is
    /// reported, each with its file, line and column.
    pub fn load(config: &Path) -> Result<Catalog, CatalogErrors> {
        let mut errors = Vec::new();
        let site_file = config.join("site.yaml");
        let site = if site_file.is_file() {
            match site::load(&site_file) {
                Ok(s) => Some(s),
                Err(e) => {
                    errors.extend(e);
                    None
                }
            }
        } else {
            Some(Site::default_for(config))
        };
        let mut streams: Vec<Stream> = Vec::new();
        for file in stream_files(config)? {
            match stream::load(&file) {
                Ok(s) => {
                    if let Some(other) = streams.iter().find(|o| o.directory == s.directory) {
                        let text = std::fs::read_to_string(&file).unwrap_or_default();
                        let (line, column) = locate::key(&text, "directory");
                        errors.push(CatalogError::DuplicateDirectory {
                            file: file.clone(),
                            line,
                            column,
                            directory: s.directory.clone(),
                            other: other.source.clone(),
                        });
                    } else {
                        streams.push(s);
                    }
                }
                Err(e) => errors.extend(e),
            }
        }
        let mut programmes: Vec<mps::MpsSource> = Vec::new();
        for file in mps::mps_files(config)? {
            match mps::load(&file, errors.is_empty().then_some(&streams[..])) {
                Ok(m) if programmes.iter().any(|o| o.file.name == m.file.name) => {
                    errors.push(stream::invalid_field(
                        &file,
                        &std::fs::read_to_string(&file).unwrap_or_default(),
                        "name",
                        format!("{:?} is already the name of another programme", m.file.name),
                    ));
                }
                Ok(m) => programmes.push(m),
                Err(e) => errors.extend(e),
            }
        }
        match site {
            Some(site) if errors.is_empty() => Ok(Catalog {
                root: config.to_path_buf(),
                site,
                streams,
                mps: programmes,
            }),
            _ => Err(CatalogErrors(errors)),
        }
    }

    pub fn stream(&self, directory: &str) -> Option<&Stream> {
        self.streams.iter().find(|s| s.directory == directory)
    }
}

/// A stream with the representation of each of its media files.
#[derive(Debug, Clone)]
pub struct IndexedStream {
    pub stream: Stream,
    pub representations: Vec<crate::media::Representation>,
    /// The stream's keys and licence URL, as manifests and licences read them.
    pub drm: crate::drm::signal::StreamDrm,
}

impl IndexedStream {
    /// What `catalog check` warns of without failing.
    pub fn warnings(&self) -> Vec<String> {
        let reps = &self.representations;
        let Some(reference) = reps.iter().find(|r| r.id == self.stream.timing_ref) else {
            return Vec::new();
        };
        reps.iter()
            .filter_map(|r| {
                let map = crate::mpd::live::LoopMap::new(r, reference)?;
                let over = map.overrun();
                // The loop is the reference's length: a track longer than it
                // (audio a frame or two past the video, as many encoders
                // leave it) would overlap itself at every loop boundary
                // live; the origin trims it, but what is trimmed is not
                // played, which the user may want to know.
                (over > 0).then(|| {
                    format!(
                        "{}: {} runs {:.3} ms ({over} ticks at {} Hz) past the end of the timing \
                         reference {}: live, the last segment of each loop is trimmed by that \
                         much so as not to overlap the next loop's first",
                        self.stream.directory,
                        r.id,
                        over as f64 * 1000.0 / f64::from(r.timescale.max(1)),
                        r.timescale,
                        reference.id,
                    )
                })
            })
            .collect()
    }
}

impl Catalog {
    /// Indexes every media file of every stream, in parallel; reports every
    /// file that does not index.
    pub fn index(&self) -> Result<Vec<IndexedStream>, CatalogErrors> {
        use rayon::prelude::*;
        let results: Vec<(usize, Result<crate::media::Representation, CatalogError>)> = self
            .streams
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.media.iter().map(move |m| (i, m)))
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|(i, m)| {
                let r = crate::media::index_file(m).map_err(|source| CatalogError::Media {
                    file: self.streams[i].source.clone(),
                    source,
                });
                (i, r)
            })
            .collect();
        let mut out: Vec<IndexedStream> = self
            .streams
            .iter()
            .map(|s| IndexedStream {
                stream: s.clone(),
                representations: Vec::new(),
                drm: crate::drm::signal::StreamDrm {
                    keys: crate::drm::KeyRing(s.keys.clone()),
                    playready_la_url: s.playready_la_url.clone(),
                },
            })
            .collect();
        let mut errors = Vec::new();
        for (i, r) in results {
            match r {
                Ok(rep) => out[i].representations.push(rep),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            errors.extend(out.iter().filter_map(only_encrypted));
            errors.extend(out.iter().flat_map(missing_keys));
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(CatalogErrors(errors))
        }
    }
}

/// Every KID an encrypted file names needs a key in the stream's `keys`
/// (explicit or `computed: true`): without it no licence, PlayReady checksum
/// or on-the-fly encryption can be made. Refused at `keys`, naming the KID.
fn missing_keys(s: &IndexedStream) -> Vec<CatalogError> {
    let mut missing: Vec<(&str, &str)> = Vec::new();
    for r in &s.representations {
        for kid in r.encryption.iter().flat_map(|e| &e.kids) {
            let known = crate::drm::Kid::parse(kid)
                .is_ok_and(|k| s.stream.keys.iter().any(|key| key.kid == k));
            if !known && !missing.iter().any(|(k, _)| k == kid) {
                missing.push((kid, &r.id));
            }
        }
    }
    if missing.is_empty() {
        return Vec::new();
    }
    let text = std::fs::read_to_string(&s.stream.source).unwrap_or_default();
    missing
        .into_iter()
        .map(|(kid, rep)| {
            stream::invalid_field(
                &s.stream.source,
                &text,
                "keys",
                format!(
                    "no key for kid {kid} (used by {rep}): add `- {{kid: {kid}, key: <32 hex digits>}}` \
                     or `computed: true` for a PlayReady test key"
                ),
            )
        })
        .collect()
}

/// A stream every file of which is encrypted cannot be served: encrypted
/// representations are for requests with `drm`, so its query-less
/// manifests would list nothing (and the build would fail on them).
/// Refused at the stream's `media`, naming the files.
fn only_encrypted(s: &IndexedStream) -> Option<CatalogError> {
    let reps = &s.representations;
    if reps.is_empty() || !reps.iter().all(|r| r.encrypted()) {
        return None;
    }
    let text = std::fs::read_to_string(&s.stream.source).unwrap_or_default();
    let files: Vec<String> = s
        .stream
        .media
        .iter()
        .map(|m| {
            m.file_name().map_or_else(
                || m.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect();
    Some(stream::invalid_field(
        &s.stream.source,
        &text,
        "media",
        format!(
            "every file is encrypted ({}): encrypted representations are served only with \
             `drm`, and a manifest without it needs clear ones; add the clear files",
            files.join(", ")
        ),
    ))
}
