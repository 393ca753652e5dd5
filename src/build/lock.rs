//! One build at a time per output: a build holds an exclusive `flock` on a
//! lock file beside its output (`.out.lock` for `out/`) from before it reads
//! the previous tree until it has published and cleaned up. Two builds into
//! one output would share a staging folder, remove each other's files and
//! publish a tree half made by each; a second build therefore waits.
//!
//! The lock is on a file of its own, not on `out/`: `out/` changes inode at
//! every publish (see [`super::swap`]), so a lock on it would guard the tree
//! being replaced. The file is never removed: removing it would let a build
//! that opened the old name and one that made a new one each hold "the"
//! lock. The kernel drops the lock when its holder exits, however it exits,
//! so a killed build never leaves a stale lock behind.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use rustix::fs::{flock, FlockOperation};
use rustix::io::Errno;

use super::Progress;

/// The lock file of the output folder `out`: `.<name>.lock` beside it.
pub fn lock_path(out: &Path) -> PathBuf {
    sibling(out, "lock")
}

/// `.<name>.<what>` beside `out`, on the same file system.
pub(crate) fn sibling(out: &Path, what: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    out.with_file_name(format!(".{name}.{what}"))
}

/// An exclusive lock on an output folder, held until dropped.
#[derive(Debug)]
pub struct OutputLock {
    // Held open for the lock's sake: closing it releases the lock.
    _file: File,
    path: PathBuf,
}

impl OutputLock {
    /// Takes the lock on `out`, making its parent folder if need be. When
    /// another build holds it, tells `progress` (once) and waits for it.
    pub fn acquire(out: &Path, progress: &dyn Progress) -> io::Result<OutputLock> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = lock_path(out);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        // Write access only because `create` needs it; the file stays empty.
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .open(&path)?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(e) if e == Errno::WOULDBLOCK => {
                progress.waiting(&path);
                loop {
                    match flock(&file, FlockOperation::LockExclusive) {
                        Ok(()) => break,
                        // A signal that did not end the process: keep waiting.
                        Err(Errno::INTR) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Err(e) => return Err(e.into()),
        }
        Ok(OutputLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Told(AtomicBool);
    impl Progress for Told {
        fn waiting(&self, _lock: &Path) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn the_lock_file_sits_beside_the_output() {
        assert_eq!(
            lock_path(Path::new("/srv/out")),
            Path::new("/srv/.out.lock")
        );
        assert_eq!(lock_path(Path::new("dash")), Path::new(".dash.lock"));
    }

    #[test]
    fn a_second_taker_is_told_and_waits_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nested/out");
        let first = OutputLock::acquire(&out, &super::super::Quiet).unwrap();
        assert!(first.path().is_file());
        // Another open file description, as another process has: flock
        // conflicts between them even within one process.
        let told = Told(AtomicBool::new(false));
        std::thread::scope(|s| {
            let second = s.spawn(|| OutputLock::acquire(&out, &told).map(|_| ()));
            // Released only once the second taker has said it waits: the
            // order is fixed without any clock.
            while !told.0.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            drop(first);
            second.join().unwrap().unwrap();
        });
        assert!(told.0.load(Ordering::SeqCst));
    }
}
