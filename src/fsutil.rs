//! File-system helpers shared by everything that writes.

use std::io::Write;
use std::path::Path;

/// Writes `data` to `path` atomically: a temporary file beside it, flushed,
/// then renamed over the target, so a reader (or a crash) never sees half a file.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_data()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
