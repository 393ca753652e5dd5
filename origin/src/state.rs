//! What the origin holds in memory: the tree's index (`out/.dashlive/index.json`),
//! each representation's loop map, and the bytes of the segments it has served,
//! memory-mapped on first use.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bytes::Bytes;
use dashlive::build::index::{RepresentationIndex, SegmentFile, StreamIndex, TreeIndex};
use dashlive::mpd::live::LoopMap;
use dashlive::mpd::manifest::StreamView;
use dashlive::mpd::request::Defaults;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: cannot read the tree's index (has `dashlive build` run?)")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: not a dashlive index")]
    Parse {
        file: PathBuf,
        source: serde_json::Error,
    },
    #[error("{file}: index version {found}, this origin reads {wanted}: run `dashlive build`")]
    Version {
        file: PathBuf,
        found: u32,
        wanted: u32,
    },
}

/// One representation ready for live serving.
pub struct LiveRep {
    pub index: RepresentationIndex,
    /// `None` when the representation cannot loop (no media, no timescale).
    pub map: Option<LoopMap>,
    /// Bytes of each media segment, filled on first use.
    segments: Vec<OnceLock<Bytes>>,
    init: OnceLock<Bytes>,
}

pub struct LiveStream {
    pub index: StreamIndex,
    pub reps: HashMap<String, LiveRep>,
    /// Reps in index order, for `StreamView`.
    pub representations: Vec<dashlive::media::Representation>,
}

impl LiveStream {
    pub fn view(&self) -> StreamView<'_> {
        StreamView {
            directory: &self.index.directory,
            title: &self.index.title,
            timing_ref: &self.index.timing_ref,
            representations: &self.representations,
            defaults: &self.index.defaults,
        }
    }
}

pub struct Tree {
    pub root: PathBuf,
    pub site_defaults: Defaults,
    pub streams: HashMap<String, LiveStream>,
}

#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The file on disk is not the one the index describes: the tree was
    /// rebuilt under a running origin that has not reloaded yet.
    #[error("{path}: {found} bytes on disk, the index says {wanted}; restart the origin after a rebuild")]
    Changed {
        path: String,
        found: u64,
        wanted: u64,
    },
}

/// Maps a file of the tree, as the static file server does.
fn map_file(root: &Path, rel: &str) -> Result<Bytes, SegmentError> {
    let io = |source| SegmentError::Io {
        path: rel.to_string(),
        source,
    };
    crate::static_files::map_file(&root.join(rel))
        .map_err(io)?
        .map(|(bytes, _)| bytes)
        .ok_or_else(|| io(std::io::ErrorKind::InvalidInput.into()))
}

impl LiveRep {
    /// The cut bytes of media segment `i` (0-based).
    pub fn segment(&self, root: &Path, i: usize) -> Result<(&SegmentFile, Bytes), SegmentError> {
        let file = self.index.segments.get(i).ok_or_else(|| SegmentError::Io {
            path: format!("{}[{i}]", self.index.representation.id),
            source: std::io::ErrorKind::NotFound.into(),
        })?;
        let slot = &self.segments[i];
        if let Some(b) = slot.get() {
            return Ok((file, b.clone()));
        }
        let bytes = map_file(root, &file.path)?;
        if bytes.len() as u64 != file.size {
            return Err(SegmentError::Changed {
                path: file.path.clone(),
                found: bytes.len() as u64,
                wanted: file.size,
            });
        }
        Ok((file, slot.get_or_init(|| bytes).clone()))
    }

    /// The live init segment (no `mehd`, durations 0).
    pub fn init(&self, root: &Path) -> Result<Bytes, SegmentError> {
        if let Some(b) = self.init.get() {
            return Ok(b.clone());
        }
        let path = if self.index.live_init.is_empty() {
            &self.index.init
        } else {
            &self.index.live_init
        };
        let bytes = map_file(root, path)?;
        Ok(self.init.get_or_init(|| bytes).clone())
    }
}

impl Tree {
    /// Loads `root/.dashlive/index.json`.
    pub fn load(root: &Path) -> Result<Tree, LoadError> {
        let file = root.join(".dashlive/index.json");
        let text = std::fs::read(&file).map_err(|source| LoadError::Read {
            file: file.clone(),
            source,
        })?;
        let index: TreeIndex =
            serde_json::from_slice(&text).map_err(|source| LoadError::Parse {
                file: file.clone(),
                source,
            })?;
        if index.version != dashlive::build::index::INDEX_VERSION {
            return Err(LoadError::Version {
                file,
                found: index.version,
                wanted: dashlive::build::index::INDEX_VERSION,
            });
        }
        let mut streams = HashMap::new();
        for s in index.streams {
            let representations: Vec<_> = s
                .representations
                .iter()
                .map(|r| r.representation.clone())
                .collect();
            let reference = representations.iter().find(|r| r.id == s.timing_ref);
            let reps = s
                .representations
                .iter()
                .map(|r| {
                    let map =
                        reference.and_then(|reference| LoopMap::new(&r.representation, reference));
                    let live = LiveRep {
                        index: r.clone(),
                        map,
                        segments: (0..r.segments.len()).map(|_| OnceLock::new()).collect(),
                        init: OnceLock::new(),
                    };
                    (r.representation.id.clone(), live)
                })
                .collect();
            streams.insert(
                s.directory.clone(),
                LiveStream {
                    index: s,
                    reps,
                    representations,
                },
            );
        }
        Ok(Tree {
            root: root.to_path_buf(),
            site_defaults: index.site_defaults,
            streams,
        })
    }
}

impl dashlive::serve::resolve::TreeView for Tree {
    fn site_defaults(&self) -> &Defaults {
        &self.site_defaults
    }

    fn stream(&self, directory: &str) -> Option<StreamView<'_>> {
        self.streams.get(directory).map(LiveStream::view)
    }

    fn loop_map(&self, stream: &str, rep: &str) -> Option<&LoopMap> {
        self.streams.get(stream)?.reps.get(rep)?.map.as_ref()
    }

    fn stream_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.streams.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}
