//! `--watch`: the origin runs the incremental build itself when the catalog
//! (`config/`) changes, and serves the new tree (the tree poller picks it
//! up). A build that fails leaves the previous tree served and says why in
//! `/healthz` and on stderr; the next change builds again.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use crate::app::App;

/// How often `config/` is looked at: a walk of a few small files.
pub const POLL: Duration = Duration::from_secs(1);

/// A hash of every path, size and modification time under `config`: any
/// edit, addition, removal or rename changes it.
pub fn fingerprint(config: &Path) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for entry in walkdir::WalkDir::new(config).sort_by_file_name() {
        match entry.and_then(|e| e.metadata().map(|m| (e, m))) {
            Ok((entry, meta)) => {
                entry.path().hash(&mut h);
                meta.len().hash(&mut h);
                meta.modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .hash(&mut h);
            }
            // Unreadable now: hashed as such, so it counts as a change
            // when it becomes readable.
            Err(e) => e.to_string().hash(&mut h),
        }
    }
    h.finish()
}

/// Builds `config` into `out` (the catalog's own output folder when
/// `None`) and records the outcome in the app's health.
pub fn build_once(app: &App, config: &Path, out: Option<&Path>) {
    match dashlive::build::build(config, out) {
        Ok(r) => {
            app.trees.set_build_problem(None);
            if !r.unchanged {
                tracing::info!(
                    "rebuilt {}: {} streams, {} files in {:.1} s",
                    r.out.display(),
                    r.streams,
                    r.files,
                    r.seconds
                );
            }
            // At once rather than at the next poll of the index.
            let _ = app.trees.reload_if_changed();
        }
        Err(e) => {
            let reason = format!(
                "build of {} failed: {}",
                config.display(),
                dashlive::error::report(&e)
            );
            eprintln!("dashlive-origin: {reason}; serving the previous tree");
            tracing::error!("{reason}");
            app.trees.set_build_problem(Some(reason));
        }
    }
}

/// Watches `config` on a thread of its own (a build is blocking, parallel
/// work of its own) for as long as the process runs.
pub fn spawn(app: Arc<App>, config: PathBuf, out: Option<PathBuf>) {
    let mut seen = fingerprint(&config);
    let name = config.display().to_string();
    let spawned = std::thread::Builder::new()
        .name("watch-config".into())
        .spawn(move || loop {
            std::thread::sleep(POLL);
            let now = fingerprint(&config);
            if now != seen {
                seen = now;
                tracing::info!("{} changed: building", config.display());
                build_once(&app, &config, out.as_deref());
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot watch {name}: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_changes_with_any_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("streams")).unwrap();
        std::fs::write(dir.path().join("site.yaml"), "a: 1\n").unwrap();
        let first = fingerprint(dir.path());
        assert_eq!(fingerprint(dir.path()), first);
        std::fs::write(dir.path().join("streams/x.yaml"), "b: 2\n").unwrap();
        let second = fingerprint(dir.path());
        assert_ne!(second, first);
        std::fs::write(dir.path().join("streams/x.yaml"), "b: 22\n").unwrap();
        assert_ne!(fingerprint(dir.path()), second);
    }
}
