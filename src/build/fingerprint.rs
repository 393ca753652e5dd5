//! What decides how much a build redoes: one hash of every input (equal to
//! the previous tree's: nothing to do) and one per representation (equal: its
//! files are linked from the previous tree instead of cut again).

use std::path::Path;
use std::time::UNIX_EPOCH;

use super::{io, BuildError};
use crate::catalog::{Catalog, Site, Stream};

/// The hash of every input: the binary's version and templates, the config
/// files' contents, and each representation's fingerprint.
pub fn build<'a>(
    catalog: &Catalog,
    representations: impl IntoIterator<Item = &'a String>,
) -> Result<String, BuildError> {
    let mut h = blake3::Hasher::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(crate::mpd::render::templates_fingerprint().as_bytes());
    let sources = catalog
        .site
        .source
        .iter()
        .chain(catalog.streams.iter().map(|s| &s.source))
        .chain(catalog.mps.iter().map(|m| &m.source));
    for p in sources {
        h.update(p.to_string_lossy().as_bytes());
        h.update(&std::fs::read(p).map_err(io(p))?);
    }
    for fp in representations {
        h.update(fp.as_bytes());
    }
    Ok(h.finalize().to_hex().to_string())
}

/// The hash of what one representation's cut files depend on: its media
/// file (path, size, modification time), the stream's URL name, and the
/// binary's version and cut revision.
pub fn representation(stream: &Stream, media: &Path) -> Result<String, BuildError> {
    let meta = std::fs::metadata(media).map_err(io(media))?;
    let mut h = blake3::Hasher::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(&super::cut::CUT_REVISION.to_le_bytes());
    h.update(stream.directory.as_bytes());
    h.update(media.to_string_lossy().as_bytes());
    h.update(&meta.len().to_le_bytes());
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok());
    h.update(&mtime.map_or(0, |d| d.as_nanos()).to_le_bytes());
    Ok(h.finalize().to_hex().to_string())
}

/// The newest modification time of a stream's inputs, in Unix ms: its
/// manifests' publish time, which so moves only when one of them does.
pub fn newest_input(s: &Stream, site: &Site) -> i64 {
    s.media
        .iter()
        .chain(std::iter::once(&s.source))
        .chain(site.source.iter())
        .filter_map(|p| std::fs::metadata(p).ok()?.modified().ok())
        .filter_map(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64)
        .max()
        .unwrap_or(0)
}
