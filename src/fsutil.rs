//! File-system helpers shared by everything that writes.

use std::io::Write;
use std::path::Path;

/// Writes `data` to `path` atomically: a temporary file beside it, flushed,
/// then renamed over the target, so a reader (or a crash) never sees half a file.
/// The file is readable by all (0644, less the umask), like any file a tool
/// writes: a static web server running as another user must serve it.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = staging_file(dir)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_data()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A new empty file in `dir` for bytes that a rename (`persist`) will
/// give their name: hidden (`.tmp…`, which no catalog or tree reader
/// takes), readable by all like [`write_atomic`]'s, and created anew, so
/// that no write goes through an inode another name shares. Removed when
/// dropped unpersisted.
pub fn staging_file(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .permissions(std::fs::Permissions::from_mode(0o644))
        .tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn written_files_are_readable_by_others() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        write_atomic(&p, b"hello").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"hello");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o044, 0o044, "group and others may read: {mode:o}");
    }
}
