//! The tree being served, swapped for a newer build while the origin runs.
//!
//! A [`Snapshot`] is everything that belongs to one build of `out/`: its
//! index (with the directory it came from held open), the static file
//! server with the files it has resolved and keeps, and the options cache. A request takes one snapshot when it starts
//! and uses only it, so it sees the old tree or the new one, never a mix.
//! [`Trees::reload_if_changed`] loads a new snapshot when
//! `out/.dashlive/index.json` is another file than the one the current
//! snapshot came from; the HTTP layer calls it every
//! [`POLL`] and on SIGHUP, and [`crate::app::App`] calls it when a request
//! of an old snapshot finds its tree removed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use dashlive::mpd::render::Renderer;

use crate::state::{IndexId, LoadError, Tree};
use crate::static_files::StaticFiles;

/// How often `out/.dashlive/index.json` is looked at (one `stat`).
pub const POLL: Duration = Duration::from_millis(500);

pub struct Snapshot {
    pub tree: Tree,
    /// The manifest renderer (shared by every snapshot).
    pub renderer: Arc<Renderer>,
    /// The static files, with a cache of the paths it has resolved: a
    /// tree's own, since a build never changes a tree in place.
    pub files: StaticFiles,
    /// Resolved options of the manifest URLs players poll: cleared with
    /// each new tree, since the stream defaults may have changed.
    pub options_cache: dashlive::mpd::manifest::OptionsCache,
}

impl Snapshot {
    pub fn load(out: &Path, renderer: Arc<Renderer>) -> Result<Snapshot, LoadError> {
        let tree = Tree::load(out)?;
        let files = StaticFiles::new(out).map_err(|source| LoadError::Open {
            dir: out.to_path_buf(),
            source,
        })?;
        Ok(Snapshot {
            tree,
            renderer,
            files,
            options_cache: dashlive::mpd::manifest::OptionsCache::new(),
        })
    }
}

/// Why `/healthz` says `degraded`: a failed reload or a failed build. The
/// newest failure of each kind; a success of that kind clears it.
#[derive(Default)]
struct Problems {
    load: Option<String>,
    build: Option<String>,
}

pub struct Trees {
    out: PathBuf,
    renderer: Arc<Renderer>,
    current: ArcSwap<Snapshot>,
    /// One reload at a time: a request that finds its tree gone and the
    /// poller must not load the same index twice.
    reloading: Mutex<()>,
    problems: Mutex<Problems>,
}

impl Trees {
    pub fn load(out: &Path, renderer: Renderer) -> Result<Trees, LoadError> {
        let renderer = Arc::new(renderer);
        Ok(Trees {
            out: out.to_path_buf(),
            current: ArcSwap::from_pointee(Snapshot::load(out, renderer.clone())?),
            renderer,
            reloading: Mutex::new(()),
            problems: Mutex::new(Problems::default()),
        })
    }

    #[cfg_attr(not(test), allow(dead_code))]
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// The tree a request starting now uses.
    pub fn current(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Whether `out/` holds the index `snapshot` was loaded from (an index
    /// that cannot be read counts as unchanged: nothing newer to load).
    pub fn is_current(&self, snapshot: &Snapshot) -> bool {
        IndexId::current(&self.out).map_or(true, |id| id == snapshot.tree.id)
    }

    /// Loads `out/` again if its index is another file than the current
    /// snapshot's. `Ok(true)` when a new tree is now served. A tree that
    /// does not load leaves the current one served and is reported in
    /// `/healthz` until a load succeeds.
    pub fn reload_if_changed(&self) -> Result<bool, LoadError> {
        let _one = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.is_current(&self.current.load()) {
            return Ok(false);
        }
        match Snapshot::load(&self.out, self.renderer.clone()) {
            Ok(snapshot) => {
                let streams = snapshot.tree.streams.len();
                self.current.store(Arc::new(snapshot));
                self.problems().load = None;
                tracing::info!(
                    "serving a new tree of {}: {streams} streams",
                    self.out.display()
                );
                Ok(true)
            }
            Err(e) => {
                let reason = dashlive::error::report(&e);
                tracing::error!("keeping the previous tree: {reason}");
                self.problems().load = Some(reason);
                Err(e)
            }
        }
    }

    fn problems(&self) -> std::sync::MutexGuard<'_, Problems> {
        self.problems.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A build of the catalog failed (`Some`) or succeeded (`None`).
    pub fn set_build_problem(&self, reason: Option<String>) {
        self.problems().build = reason;
    }

    /// Why the origin serves an older tree than it should, if it does.
    pub fn degraded(&self) -> Option<String> {
        let p = self.problems();
        match (&p.build, &p.load) {
            (None, None) => None,
            (Some(b), None) => Some(b.clone()),
            (None, Some(l)) => Some(l.clone()),
            (Some(b), Some(l)) => Some(format!("{b}; {l}")),
        }
    }
}
