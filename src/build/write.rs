//! Every file a build puts into its staging tree goes through a [`Writer`]:
//! written new, or linked from the previous tree when it would be the same
//! bytes, and counted. Paths are relative to the tree root.

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

    /// Writes a new file `rel` into a folder that exists.
    pub fn write(&self, rel: &str, data: &[u8]) -> Result<(), BuildError> {
        let p = self.path(rel);
        std::fs::write(&p, data).map_err(io(&p))?;
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

/// A second name `to` for `from`: a hard link where the file system allows,
/// else a copy.
pub fn link(from: &Path, to: &Path) -> Result<(), BuildError> {
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).map_err(io(to))?;
    }
    Ok(())
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
