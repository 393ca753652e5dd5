//! What the origin holds in memory: the tree's index (`out/.dashlive/index.json`),
//! each representation's loop map, and the bytes of the segments it has served,
//! memory-mapped on first use.
//!
//! A tree's files are opened through a descriptor of the directory it was
//! loaded from, not by their path under `out/`: `dashlive build` publishes a
//! new tree by exchanging directories, after which `out/…` names the new
//! tree's files while this index describes the old one's. Through the
//! descriptor the old tree's files stay the ones its index describes until
//! the build removes them ([`SegmentError::Gone`]).

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bytes::Bytes;
use dashlive::index::{RepresentationIndex, SegmentFile, StreamIndex, TreeIndex};
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
    #[error("{dir}: cannot open the tree")]
    Open {
        dir: PathBuf,
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
    vod_init: OnceLock<Bytes>,
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
            drm: &self.index.drm,
        }
    }
}

/// Which index file a tree was loaded from: a rebuild writes a new file
/// (a new inode, in a new directory), an unchanged build touches nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexId {
    dev: u64,
    ino: u64,
    mtime_ns: i128,
    size: u64,
}

impl IndexId {
    fn of(meta: &std::fs::Metadata) -> IndexId {
        IndexId {
            dev: meta.dev(),
            ino: meta.ino(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            size: meta.len(),
        }
    }

    /// The index `out/` holds now.
    pub fn current(out: &Path) -> std::io::Result<IndexId> {
        std::fs::metadata(out.join(INDEX)).map(|m| IndexId::of(&m))
    }
}

const INDEX: &str = ".dashlive/index.json";

/// The directory a tree was loaded from, held open.
pub struct TreeRoot {
    dir: rustix::fd::OwnedFd,
}

impl TreeRoot {
    fn open(path: &Path) -> std::io::Result<TreeRoot> {
        use rustix::fs::{Mode, OFlags};
        let dir = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(TreeRoot { dir })
    }

    /// Opens a file of this tree (`rel` comes from its index, not from a request).
    pub fn open_file(&self, rel: &str) -> std::io::Result<File> {
        use rustix::fs::{Mode, OFlags};
        let fd = rustix::fs::openat(
            &self.dir,
            rel,
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(File::from(fd))
    }
}

pub struct Tree {
    pub root: TreeRoot,
    /// The index file it was loaded from.
    pub id: IndexId,
    pub site_defaults: Defaults,
    pub streams: HashMap<String, LiveStream>,
    /// Multi-period programmes.
    pub mps: Vec<dashlive::mpd::mps::Programme>,
}

#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The tree was replaced by a newer build and removed: the request is
    /// asked again of the newer tree (see `App::handle`).
    #[error("{path}: the tree it belonged to was replaced by a newer build")]
    Gone { path: String },
    /// The file on disk is not the one the index describes: something
    /// rewrote a file of `out/` in place, which `dashlive build` never does.
    #[error(
        "{path}: {found} bytes on disk, the index says {wanted}: the file was changed in place"
    )]
    Changed {
        path: String,
        found: u64,
        wanted: u64,
    },
}

/// Maps a file of the tree, as the static file server does.
fn map_file(root: &TreeRoot, rel: &str) -> Result<Bytes, SegmentError> {
    let io = |source| SegmentError::Io {
        path: rel.to_string(),
        source,
    };
    let file = match root.open_file(rel) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SegmentError::Gone {
                path: rel.to_string(),
            })
        }
        Err(e) => return Err(io(e)),
    };
    crate::static_files::map_open_file(file)
        .map_err(io)?
        .map(|(bytes, _)| bytes)
        .ok_or_else(|| io(std::io::ErrorKind::InvalidInput.into()))
}

impl LiveRep {
    /// The cut bytes of media segment `i` (0-based).
    pub fn segment(
        &self,
        root: &TreeRoot,
        i: usize,
    ) -> Result<(&SegmentFile, Bytes), SegmentError> {
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
    pub fn init(&self, root: &TreeRoot) -> Result<Bytes, SegmentError> {
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

    /// The vod init segment, as built.
    pub fn vod_init(&self, root: &TreeRoot) -> Result<Bytes, SegmentError> {
        if let Some(b) = self.vod_init.get() {
            return Ok(b.clone());
        }
        let bytes = map_file(root, &self.index.init)?;
        Ok(self.vod_init.get_or_init(|| bytes).clone())
    }
}

impl Tree {
    /// Loads `root/.dashlive/index.json`, through a descriptor of `root`
    /// kept for reading the tree's files, so index and files are of one tree
    /// even if a build swaps `root` meanwhile.
    pub fn load(root: &Path) -> Result<Tree, LoadError> {
        let file = root.join(INDEX);
        let dir = TreeRoot::open(root).map_err(|source| LoadError::Open {
            dir: root.to_path_buf(),
            source,
        })?;
        let read = |source| LoadError::Read {
            file: file.clone(),
            source,
        };
        let mut index_file = dir.open_file(INDEX).map_err(read)?;
        let id = IndexId::of(&index_file.metadata().map_err(read)?);
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut index_file, &mut text).map_err(read)?;
        let index: TreeIndex =
            serde_json::from_slice(&text).map_err(|source| LoadError::Parse {
                file: file.clone(),
                source,
            })?;
        if index.version != dashlive::index::INDEX_VERSION {
            return Err(LoadError::Version {
                file,
                found: index.version,
                wanted: dashlive::index::INDEX_VERSION,
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
                        vod_init: OnceLock::new(),
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
            root: dir,
            id,
            site_defaults: index.site_defaults,
            streams,
            mps: index.mps,
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

    fn programme(&self, name: &str) -> Option<&dashlive::mpd::mps::Programme> {
        self.mps.iter().find(|p| p.name == name)
    }

    fn content_key(&self, kid: &dashlive::drm::Kid) -> Option<dashlive::drm::ContentKey> {
        self.streams
            .values()
            .find_map(|s| s.index.drm.key(kid).map(|k| k.key))
    }
}
