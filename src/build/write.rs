//! Every file a build puts into its staging tree goes through a [`Writer`]:
//! written new, or linked from the previous tree when it would be the same
//! bytes, and counted. Paths are relative to the tree root.
//!
//! No file is ever opened for writing unless this build just made it: files
//! are created with `O_EXCL` ([`create_new`]), so a name that exists is an
//! error, never a truncation. A name in the staging tree can be a hard link
//! to a file of a published tree (that is how unchanged files are kept), and
//! truncating it would empty the published file too; a published tree's
//! files are therefore never written after they are made, which is what
//! makes hard links between successive trees safe.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::{io, BuildError};

pub struct Writer<'a> {
    staging: &'a Path,
    /// The tree being replaced, when there is one to link unchanged files
    /// from; on a cold build nothing is looked up there.
    previous: Option<&'a Path>,
    files: AtomicU64,
    bytes: AtomicU64,
}

impl<'a> Writer<'a> {
    pub fn new(staging: &'a Path, previous: Option<&'a Path>) -> Self {
        Writer {
            staging,
            previous,
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.staging.join(rel)
    }

    /// Makes the folder `rel`, whose parent exists: one `mkdir`, where
    /// `create_dir_all` would first try every missing ancestor.
    pub fn dir(&self, rel: &str) -> Result<(), BuildError> {
        let p = self.path(rel);
        match std::fs::create_dir(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(io(&p)(e)),
            _ => Ok(()),
        }
    }

    /// Writes a new file `rel` into a folder that exists; an existing
    /// `rel` is an error (see the module's comment).
    pub fn write(&self, rel: &str, data: &[u8]) -> Result<(), BuildError> {
        use std::io::Write;
        let p = self.path(rel);
        create_new(&p)
            .and_then(|mut f| f.write_all(data))
            .map_err(io(&p))?;
        self.count(data.len() as u64);
        Ok(())
    }

    /// Writes `rel`, or links the previous tree's copy when its bytes are
    /// the same: an unchanged file is never rewritten.
    pub fn write_or_link(&self, rel: &str, data: &[u8]) -> Result<(), BuildError> {
        if let Some(previous) = self.previous.map(|p| p.join(rel)) {
            if same_bytes(&previous, data) {
                return link(&previous, &self.path(rel));
            }
        }
        self.write(rel, data)
    }

    /// Links the previous tree's `from` to `to` in the staging tree.
    pub fn link_previous(&self, from: &str, to: &str) -> Result<(), BuildError> {
        let previous = self.previous.map(|p| p.join(from)).ok_or_else(|| {
            io(Path::new(from))(std::io::Error::from(std::io::ErrorKind::NotFound))
        })?;
        std::fs::hard_link(&previous, self.path(to)).map_err(io(&previous))
    }

    /// Whether the previous tree's `rel` is the file `other` under another
    /// name (the same inode).
    pub fn previous_is(&self, rel: &str, other: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Some(previous) = self.previous.map(|p| p.join(rel)) else {
            return false;
        };
        match (std::fs::metadata(previous), std::fs::metadata(other)) {
            (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
            _ => false,
        }
    }

    pub fn count(&self, bytes: u64) {
        self.files.fetch_add(1, Relaxed);
        self.bytes.fetch_add(bytes, Relaxed);
    }

    /// (files, bytes) written so far.
    pub fn totals(&self) -> (u64, u64) {
        (self.files.load(Relaxed), self.bytes.load(Relaxed))
    }
}

/// Whether the file at `path` holds exactly `data`; the size is compared
/// first, so a file that changed length is never read.
fn same_bytes(path: &Path, data: &[u8]) -> bool {
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    if f.metadata().map(|m| m.len()).ok() != Some(data.len() as u64) {
        return false;
    }
    let mut old = Vec::with_capacity(data.len());
    f.read_to_end(&mut old).is_ok() && old == data
}

/// Creates `path`, which must not exist: `O_CREAT | O_EXCL`, so an existing
/// file (perhaps a link to a published or a source file) is never truncated.
pub fn create_new(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(path)
}

/// A second name `to` for `from`, both files of this build's trees: a hard
/// link where the file system allows, else a copy. Never for a source file
/// (see [`copy_new`]).
pub fn link(from: &Path, to: &Path) -> Result<(), BuildError> {
    match std::fs::hard_link(from, to) {
        // `to` exists: an error, as for a write; a copy would truncate it.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(io(to)(e)),
        Err(_) => std::fs::File::open(from)
            .and_then(|f| copy_new(&f, to))
            .map(|_| ())
            .map_err(io(to)),
        Ok(()) => Ok(()),
    }
}

/// Copies the open file `from` into a new file `to` (readable by all,
/// whatever `from`'s mode: a web server running as another user serves
/// it); returns its size. A reflink (`FICLONE`) where the file system shares
/// blocks copy-on-write (btrfs, XFS): instant, and an edit of `from` in
/// place still leaves `to` as it was, which a hard link would not.
/// Elsewhere an in-kernel copy (`copy_file_range`). From an open file, not a
/// path: the bytes are those of the file the caller read, even if another
/// file has been renamed over its name since.
pub fn copy_new(from: &std::fs::File, to: &Path) -> std::io::Result<u64> {
    use std::os::unix::fs::PermissionsExt;
    let mut dst = create_new(to)?;
    dst.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    let len = from.metadata()?.len();
    #[cfg(target_os = "linux")]
    if rustix::fs::ioctl_ficlone(&dst, from).is_ok() {
        return Ok(len);
    }
    super::cut::copy_range(from, 0, len, &mut dst)?;
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn the_same_bytes_are_linked_and_other_bytes_written() {
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (dir.path().join("old"), dir.path().join("new"));
        std::fs::create_dir_all(&old).unwrap();
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(old.join("same"), b"abc").unwrap();
        std::fs::write(old.join("longer"), b"abc").unwrap();
        std::fs::write(old.join("other"), b"abd").unwrap();
        let w = Writer::new(&new, Some(&old));
        for name in ["same", "longer", "other", "fresh"] {
            let data: &[u8] = if name == "longer" { b"abcd" } else { b"abc" };
            w.write_or_link(name, data).unwrap();
            assert_eq!(std::fs::read(new.join(name)).unwrap(), data);
        }
        let ino = |p: PathBuf| std::fs::metadata(p).unwrap().ino();
        assert_eq!(ino(new.join("same")), ino(old.join("same")));
        assert_ne!(ino(new.join("longer")), ino(old.join("longer")));
        assert_ne!(ino(new.join("other")), ino(old.join("other")));
        assert_eq!(w.totals(), (3, 10), "three files written, one linked");
    }

    #[test]
    fn an_existing_name_is_never_opened_for_writing() {
        let dir = tempfile::tempdir().unwrap();
        // A staging name that is a hard link to a published file.
        let published = dir.path().join("published");
        std::fs::write(&published, b"published bytes").unwrap();
        std::fs::hard_link(&published, dir.path().join("x")).unwrap();
        std::fs::hard_link(&published, dir.path().join("y")).unwrap();
        let w = Writer::new(dir.path(), None);
        assert!(w.write("x", b"new").is_err());
        assert!(link(&dir.path().join("x"), &dir.path().join("y")).is_err());
        let x = std::fs::File::open(dir.path().join("x")).unwrap();
        assert!(copy_new(&x, &dir.path().join("y")).is_err());
        assert_eq!(std::fs::read(&published).unwrap(), b"published bytes");
    }

    #[test]
    fn a_copy_is_a_new_file_readable_by_all() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("from"), dir.path().join("to"));
        std::fs::write(&from, b"source").unwrap();
        std::fs::set_permissions(&from, std::fs::Permissions::from_mode(0o600)).unwrap();
        let f = std::fs::File::open(&from).unwrap();
        assert_eq!(copy_new(&f, &to).unwrap(), 6);
        assert_eq!(std::fs::read(&to).unwrap(), b"source");
        let ino = |p: &PathBuf| std::fs::metadata(p).unwrap().ino();
        assert_ne!(ino(&from), ino(&to));
        let mode = std::fs::metadata(&to).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn without_a_previous_tree_everything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let w = Writer::new(dir.path(), None);
        w.dir("a").unwrap();
        w.dir("a").unwrap();
        w.write_or_link("a/x", b"x").unwrap();
        assert_eq!(w.totals(), (1, 1));
        assert!(w.link_previous("a/x", "a/y").is_err());
    }
}
