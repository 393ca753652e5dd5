//! The catalog as the admin pages edit it. DESIGN's rule: `config/` is the
//! catalog, so a change is a stream file written atomically (a temporary
//! file checked by the catalog's own loader, then renamed over the old
//! one), an incremental build, and the new tree swapped in. A build that
//! fails puts the old file back, so `config/` never holds a change the
//! origin does not serve.
//!
//! A stream without media cannot be built (its timing reference names a
//! file): until its first upload it is a draft, `config/drafts/`, which
//! the build does not read (and whose media paths, `../media/…`, mean
//! the same as in `config/streams/`). Uploads go to `config/media/<directory>/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dashlive::catalog::stream::{self, StreamFile};
use dashlive::catalog::CatalogError;

use crate::trees::Trees;

/// Drafts live in `config/<DRAFTS>/`.
const DRAFTS: &str = "drafts";

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("there is no stream {0:?}")]
    NoStream(String),
    #[error("there is no programme {0:?}")]
    NoProgramme(String),
    #[error("there is already a stream {0:?}")]
    Exists(String),
    #[error("{0}")]
    Invalid(String),
    #[error("stream {0:?} was changed by another request meanwhile: load it again")]
    Changed(String),
    #[error("the upload is over this origin's limit of {0} bytes: nothing was stored")]
    TooLarge(u64),
    #[error("the catalog did not build, so the change was undone: {0}")]
    Build(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl EditError {
    pub fn status(&self) -> hyper::StatusCode {
        use hyper::StatusCode as S;
        match self {
            EditError::NoStream(_) | EditError::NoProgramme(_) => S::NOT_FOUND,
            EditError::Exists(_) | EditError::Changed(_) => S::CONFLICT,
            EditError::Invalid(_) => S::BAD_REQUEST,
            EditError::TooLarge(_) => S::PAYLOAD_TOO_LARGE,
            EditError::Build(_) => S::UNPROCESSABLE_ENTITY,
            EditError::Io { .. } => S::INTERNAL_SERVER_ERROR,
        }
    }
}

pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EditError + '_ {
    move |source| EditError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A stream file of the catalog.
#[derive(Debug, Clone)]
pub struct Entry {
    pub file: PathBuf,
    pub draft: bool,
    pub stream: StreamFile,
    /// The file as read: a change is refused if it is no longer so.
    text: String,
}

/// The catalog folder and where it builds to. Cloned into the blocking
/// build, so it is shared.
#[derive(Clone)]
pub struct Catalog {
    inner: Arc<Inner>,
}

struct Inner {
    config: PathBuf,
    out: Option<PathBuf>,
    /// One change at a time: write, build and swap are one step.
    lock: tokio::sync::Mutex<()>,
    /// The origin's cap on one upload request (bytes).
    pub upload_limit: u64,
}

impl Catalog {
    /// `out`: the output folder when it is not the catalog's own.
    pub fn new(config: &Path, out: Option<&Path>, upload_limit: u64) -> Catalog {
        Catalog {
            inner: Arc::new(Inner {
                config: config.to_path_buf(),
                out: out.map(Path::to_path_buf),
                lock: tokio::sync::Mutex::new(()),
                upload_limit,
            }),
        }
    }

    pub fn upload_limit(&self) -> u64 {
        self.inner.upload_limit
    }

    fn streams_dir(&self) -> PathBuf {
        self.inner.config.join("streams")
    }

    /// Where a stream's uploads go.
    pub fn media_dir(&self, directory: &str) -> PathBuf {
        self.inner.config.join("media").join(directory)
    }

    /// Every stream file, built ones then drafts, each sorted by name; a
    /// file that does not parse is left out (the build reports it).
    pub fn list(&self) -> Result<Vec<Entry>, EditError> {
        let mut all = Vec::new();
        for (dir, draft) in [
            (self.streams_dir(), false),
            (self.inner.config.join(DRAFTS), true),
        ] {
            let Ok(read) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut files: Vec<PathBuf> = read
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml"))
                .collect();
            files.sort();
            for file in files {
                if let Ok((text, stream)) = stream::read_yaml::<StreamFile>(&file) {
                    all.push(Entry {
                        file,
                        draft,
                        stream,
                        text,
                    });
                }
            }
        }
        Ok(all)
    }

    pub fn find(&self, directory: &str) -> Result<Entry, EditError> {
        self.list()?
            .into_iter()
            .find(|e| e.stream.directory == directory)
            .ok_or_else(|| EditError::NoStream(shown(directory)))
    }

    /// Writes `new` in place of `old` (a new stream when `None`), builds and
    /// swaps. A stream with media is built; one without is a draft.
    pub async fn save(
        &self,
        trees: &Trees,
        old: Option<&Entry>,
        new: StreamFile,
    ) -> Result<(), EditError> {
        let _one = self.inner.lock.lock().await;
        if let Some(o) = old {
            unchanged(o)?;
        }
        if !stream::valid_directory(&new.directory) {
            return Err(EditError::Invalid(format!(
                "directory {:?}: one URL path segment of letters, digits, '-', '_', '.'",
                shown(&new.directory)
            )));
        }
        let taken = self
            .list()?
            .into_iter()
            .any(|e| e.stream.directory == new.directory && old.is_none_or(|o| o.file != e.file));
        if taken {
            return Err(EditError::Exists(new.directory));
        }
        let draft = new.media.is_empty();
        let name = match old {
            Some(o) => o.file.file_name().map(PathBuf::from),
            None => None,
        }
        .unwrap_or_else(|| PathBuf::from(format!("{}.yaml", new.directory)));
        let dir = if draft {
            self.inner.config.join(DRAFTS)
        } else {
            self.streams_dir()
        };
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let target = dir.join(&name);
        if old.is_none_or(|o| o.file != target) && target.exists() {
            return Err(EditError::Exists(format!("{} (file)", target.display())));
        }
        let text = serde_yaml::to_string(&new)
            .map_err(|e| EditError::Invalid(format!("the stream as YAML: {e}")))?;
        let tmp = stage(&dir, &text, old.map(|o| o.text.as_str()))?;
        if let Err(errors) = stream::load(tmp.path()) {
            let shown_as = tmp.path().display().to_string();
            let errors: Vec<String> = errors
                .iter()
                .filter(|e| !(draft && draft_only(e)))
                .map(|e| e.to_string().replace(&shown_as, "stream"))
                .collect();
            if !errors.is_empty() {
                return Err(EditError::Invalid(errors.join("; ")));
            }
        }
        let undo = put(tmp, &target, old.map(|o| o.file.as_path()))?;
        let built = old.is_some_and(|o| !o.draft) || !draft;
        if !built {
            return Ok(());
        }
        if let Err(why) = self.build(trees).await {
            // The catalog goes back to what the origin serves.
            undo.run();
            return Err(EditError::Build(why));
        }
        Ok(())
    }

    /// Removes a stream's file, builds and swaps (its uploaded media stay,
    /// in `config/media/<directory>/`).
    pub async fn delete(&self, trees: &Trees, entry: &Entry) -> Result<(), EditError> {
        let _one = self.inner.lock.lock().await;
        unchanged(entry)?;
        let undo = remove(&entry.file)?;
        if entry.draft {
            return Ok(());
        }
        if let Err(why) = self.build(trees).await {
            undo.run();
            return Err(EditError::Build(why));
        }
        Ok(())
    }

    /// The incremental build, off the async threads, then the swap.
    async fn build(&self, trees: &Trees) -> Result<(), String> {
        self.build_checked(trees).await.map_err(|f| f.report)
    }

    /// [`Self::build`], keeping the catalog's errors whole (file, line and
    /// field of each) for a page that shows them beside its fields.
    pub(super) async fn build_checked(&self, trees: &Trees) -> Result<(), BuildFailed> {
        let me = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            dashlive::build::build(&me.inner.config, me.inner.out.as_deref())
                .map(|_| ())
                .map_err(|e| BuildFailed {
                    report: dashlive::error::report(&e),
                    catalog: match e {
                        dashlive::build::BuildError::Catalog(c) => c.0,
                        _ => Vec::new(),
                    },
                })
        })
        .await
        .unwrap_or_else(|e| {
            Err(BuildFailed {
                report: format!("the build stopped: {e}"),
                catalog: Vec::new(),
            })
        });
        if result.is_ok() {
            trees.set_build_problem(None);
            if let Err(e) = trees.reload_if_changed() {
                return Err(BuildFailed {
                    report: dashlive::error::report(&e),
                    catalog: Vec::new(),
                });
            }
        }
        result
    }

    /// The config folder.
    pub(super) fn config(&self) -> &Path {
        &self.inner.config
    }

    /// Held for a change's write, build and swap: one change at a time,
    /// whatever it edits.
    pub(super) async fn one_change(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.lock.lock().await
    }
}

/// Why a build failed: the report, and the catalog's errors when those
/// were why.
pub(super) struct BuildFailed {
    pub report: String,
    pub catalog: Vec<CatalogError>,
}

/// Refuses a change made from a read of the file that another change has
/// overtaken (two edits at once: the second is not silently lost).
fn unchanged(e: &Entry) -> Result<(), EditError> {
    match std::fs::read_to_string(&e.file) {
        Ok(now) if now == e.text => Ok(()),
        _ => Err(EditError::Changed(e.stream.directory.clone())),
    }
}

/// Errors a stream without media has by nature.
fn draft_only(e: &CatalogError) -> bool {
    match e {
        CatalogError::TimingRef { .. } => true,
        CatalogError::Invalid { field, .. } => field == "media",
        _ => false,
    }
}

/// A catalog file's new `text`, staged where the build does not read it
/// ([`dashlive::fsutil::staging_file`]) and flushed, for the loader to check before
/// [`put`] gives it its place. The header comment of the file it replaces
/// (`old`: that file's text) carries over, since the YAML writer keeps no
/// comments and a header is where people explain a file.
pub(super) fn stage(
    dir: &Path,
    text: &str,
    old: Option<&str>,
) -> Result<tempfile::NamedTempFile, EditError> {
    use std::io::Write;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut tmp = dashlive::fsutil::staging_file(dir).map_err(io(dir))?;
    let header = old.map_or("", header_comment);
    tmp.write_all(header.as_bytes())
        .and_then(|()| tmp.write_all(text.as_bytes()))
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(io(dir))?;
    Ok(tmp)
}

/// The comment lines (and blank lines among them) a YAML file opens with.
fn header_comment(text: &str) -> &str {
    let mut end = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if !(t.is_empty() || t.starts_with('#')) {
            break;
        }
        end += line.len();
    }
    &text[..end]
}

/// How to put the catalog's files back as they were before a change.
#[must_use = "a change the build refuses is undone"]
pub(super) struct Undo {
    /// The file the change wrote.
    added: Option<PathBuf>,
    /// The file it replaced or removed, and its bytes.
    restore: Option<(PathBuf, Vec<u8>)>,
}

impl Undo {
    /// The added file removed, the replaced or removed one written back
    /// (atomically). Failures are logged: the change has failed already,
    /// and the log names the file that needs a hand.
    pub(super) fn run(self) {
        if let Some(f) = &self.added {
            if let Err(e) = std::fs::remove_file(f) {
                tracing::error!("undoing a catalog change: {}: {e}", f.display());
            }
        }
        if let Some((f, bytes)) = &self.restore {
            if let Err(e) = dashlive::fsutil::write_atomic(f, bytes) {
                tracing::error!("undoing a catalog change: {}: {e}", f.display());
            }
        }
    }
}

/// Renames staged `tmp` to `target`, in place of `old` (the same file, or
/// another that goes).
pub(super) fn put(
    tmp: tempfile::NamedTempFile,
    target: &Path,
    old: Option<&Path>,
) -> Result<Undo, EditError> {
    let restore = match old {
        Some(o) => Some((o.to_path_buf(), std::fs::read(o).map_err(io(o))?)),
        None => None,
    };
    tmp.persist(target).map_err(|e| EditError::Io {
        path: target.to_path_buf(),
        source: e.error,
    })?;
    if let Some(o) = old.filter(|o| *o != target) {
        if let Err(e) = std::fs::remove_file(o) {
            // The old file stays, so the catalog is as it was without the new.
            let _ = std::fs::remove_file(target);
            return Err(io(o)(e));
        }
    }
    Ok(Undo {
        added: Some(target.to_path_buf()),
        restore,
    })
}

/// Removes `file`.
pub(super) fn remove(file: &Path) -> Result<Undo, EditError> {
    let bytes = std::fs::read(file).map_err(io(file))?;
    std::fs::remove_file(file).map_err(io(file))?;
    Ok(Undo {
        added: None,
        restore: Some((file.to_path_buf(), bytes)),
    })
}

/// A user-given name as error messages show it: at most 64 characters.
pub fn shown(s: &str) -> String {
    s.chars().take(64).collect()
}
