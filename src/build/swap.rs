//! Publishes a finished tree in one step: the staging folder and the live
//! one exchange names atomically (Linux `renameat2(RENAME_EXCHANGE)`), so a
//! reader or a CDN origin never sees a half-built tree, and a build killed
//! at any point leaves the previous tree whole.

use std::io;
use std::path::Path;

/// Makes `staging` the tree at `out`; the previous tree ends up at `staging`
/// (for the caller to remove). Where `out` does not exist yet, a plain rename.
pub fn publish(staging: &Path, out: &Path) -> io::Result<()> {
    if !out.exists() {
        return std::fs::rename(staging, out);
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, staging, CWD, out, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            // Some file systems lack the flag: fall back below.
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    // Two renames: the only window is between them, and the old tree is kept.
    let old = staging.with_extension("old");
    let _ = std::fs::remove_dir_all(&old);
    std::fs::rename(out, &old)?;
    std::fs::rename(staging, out)?;
    std::fs::rename(&old, staging)
}
