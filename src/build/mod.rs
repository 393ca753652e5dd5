//! `dashlive build`: everything that does not depend on the clock, done once
//! and in parallel into `out/`, a tree any static host or CDN serves as is:
//! VOD and on-demand manifests, every segment cut by number and by time, the
//! on-demand files, and the index the origin serves live streams from.

pub mod cut;
mod fingerprint;
pub mod lock;
mod mps;
mod representation;
pub mod site_files;
pub mod swap;
mod write;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::catalog::{Catalog, CatalogErrors, IndexedStream};
use crate::index::{self, RepresentationIndex, StreamIndex, TreeIndex, INDEX_VERSION};
use crate::mpd::live::LoopMap;
use crate::mpd::manifest::StreamView;
use crate::mpd::registry::{self, Mode};
use crate::mpd::render::Renderer;
use crate::serve::plan::Plan;
use crate::serve::resolve::{Resolver, TreeView};
use write::Writer;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    // Transparent: the catalog's errors, each once, are the whole message.
    #[error(transparent)]
    Catalog(#[from] CatalogErrors),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: segment {number}: {source}", file.display())]
    Cut {
        file: PathBuf,
        number: u64,
        source: crate::mp4::Mp4Error,
    },
    #[error("stream {stream}, {manifest}: {message}")]
    Manifest {
        stream: String,
        manifest: String,
        message: String,
    },
    #[error(transparent)]
    Page(#[from] crate::pages::PageError),
    #[cfg(feature = "synth")]
    #[error("demo content: {0}")]
    Demo(#[from] crate::media::synth::SynthError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
    move |source| BuildError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    pub out: PathBuf,
    /// Nothing had changed: no file was written.
    pub unchanged: bool,
    pub streams: usize,
    pub files: u64,
    pub bytes: u64,
    pub seconds: f64,
}

fn read_index(out: &Path) -> Option<TreeIndex> {
    let text = std::fs::read_to_string(out.join(".dashlive/index.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Told how a build advances, for progress bars; the library draws nothing.
pub trait Progress: Sync {
    /// The number of segments this build will cut.
    fn start(&self, _segments: u64) {}
    fn segment_done(&self) {}
    /// Another build holds the output's lock (the file `lock`): this one
    /// waits for it to finish before it starts.
    fn waiting(&self, _lock: &Path) {}
}

/// Reports nothing.
pub struct Quiet;
impl Progress for Quiet {}

/// Manifest paths: those written, and those left to the origin.
struct Manifests {
    written: Vec<String>,
    origin_only: Vec<String>,
}

/// The resolver's view of one stream of the catalog being built.
struct CatalogView<'a> {
    catalog: &'a Catalog,
    stream: &'a IndexedStream,
    /// As built: an on-demand file made of cut segments has byte ranges of
    /// its own (see `representation::on_demand_from_cuts`).
    representations: &'a [crate::media::Representation],
}

impl TreeView for CatalogView<'_> {
    fn site_defaults(&self) -> &crate::options::Defaults {
        &self.catalog.site.defaults
    }

    fn stream(&self, directory: &str) -> Option<StreamView<'_>> {
        let s = self.stream;
        (directory == s.stream.directory).then(|| StreamView {
            directory: &s.stream.directory,
            title: &s.stream.title,
            timing_ref: &s.stream.timing_ref,
            representations: self.representations,
            defaults: &s.stream.defaults,
            drm: &s.drm,
        })
    }

    fn loop_map(&self, _: &str, _: &str) -> Option<&crate::mpd::live::LoopMap> {
        None
    }

    fn stream_names(&self) -> Vec<&str> {
        vec![&self.stream.stream.directory]
    }

    fn content_key(&self, kid: &crate::drm::Kid) -> Option<crate::drm::ContentKey> {
        self.stream.drm.key(kid).map(|k| k.key)
    }
}

/// Renders every (manifest, mode) the site asks for and the stream supports,
/// through the resolver the origin answers with; those that depend on the
/// clock are left to the origin.
fn render_manifests(
    w: &Writer,
    catalog: &Catalog,
    s: &IndexedStream,
    built: &[RepresentationIndex],
    renderer: &Renderer,
) -> Result<Manifests, BuildError> {
    let now_ms = fingerprint::newest_input(&s.stream, &catalog.site);
    let representations: Vec<_> = built.iter().map(|r| r.representation.clone()).collect();
    let resolver = Resolver {
        tree: &CatalogView {
            catalog,
            stream: s,
            representations: &representations,
        },
        renderer,
        cache: None,
    };
    let dir = &s.stream.directory;
    let mut written = Vec::new();
    let mut origin_only = Vec::new();
    for name in &catalog.site.manifests {
        let Some(def) = registry::find(name).filter(|d| renderer.has_template(d.name)) else {
            continue;
        };
        for mode in [Mode::Vod, Mode::Odvod]
            .into_iter()
            .filter(|m| def.supports(*m))
        {
            let path = crate::layout::manifest_path(mode, dir, def.name);
            let base = catalog.site.base_url.as_deref();
            match resolver.prerender(mode, dir, def.name, base, now_ms) {
                None => origin_only.push(path),
                Some(Plan::Manifest { xml, .. }) => {
                    w.write_or_link(&path, xml.as_bytes())?;
                    written.push(path);
                }
                Some(other) => {
                    return Err(BuildError::Manifest {
                        stream: dir.clone(),
                        manifest: format!("{}/{}", mode.as_str(), def.name),
                        message: match other {
                            Plan::Refuse(r) => r.message,
                            other => format!("not a manifest: {other:?}"),
                        },
                    })
                }
            }
        }
    }
    Ok(Manifests {
        written,
        origin_only,
    })
}

/// Where the next tree is assembled: beside `out`, on the same file system.
fn staging_dir(out: &Path) -> PathBuf {
    lock::sibling(out, "staging")
}

/// Removes a staging tree, if there is one.
fn remove_staging(staging: &Path) -> Result<(), BuildError> {
    match std::fs::remove_dir_all(staging) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(staging)(e)),
        _ => Ok(()),
    }
}

/// Removes the staging tree when dropped: a build that fails (or panics in
/// a worker) leaves no half-made tree to fill the disk.
struct StagingGuard<'a>(&'a Path);

impl Drop for StagingGuard<'_> {
    fn drop(&mut self) {
        // Best effort: the build's own error is the one worth reporting,
        // and the next build removes what is left before it starts.
        let _ = std::fs::remove_dir_all(self.0);
    }
}

/// Builds the catalog in `config` into its site's output folder (or `out`).
pub fn build(config: &Path, out: Option<&Path>) -> Result<BuildReport, BuildError> {
    build_with(config, out, &Quiet)
}

/// [`build`], telling `progress` how it advances.
pub fn build_with(
    config: &Path,
    out: Option<&Path>,
    progress: &dyn Progress,
) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    #[cfg(feature = "synth")]
    {
        let demo = config.join("demo.yaml");
        if demo.is_file() {
            crate::media::synth::demo::ensure(&demo)?;
        }
    }
    let catalog = Catalog::load(config)?;
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| catalog.site.out.clone());
    // Everything from reading the previous tree to publishing the next runs
    // under the output's lock: see `lock`.
    let held = lock::OutputLock::acquire(&out, progress).map_err(io(&lock::lock_path(&out)))?;
    // A staging tree here now is what a killed build left; only the lock's
    // holder may remove it (another build might be filling it).
    let staging = staging_dir(&out);
    remove_staging(&staging)?;
    let built = build_locked(&catalog, &out, &staging, progress, started);
    drop(held);
    built
}

/// The build proper, under the output's lock; `staging` does not exist.
fn build_locked(
    catalog: &Catalog,
    out: &Path,
    staging: &Path,
    progress: &dyn Progress,
    started: Instant,
) -> Result<BuildReport, BuildError> {
    // Stream by stream, media file by media file, as the catalog lists them.
    let rep_fps = catalog
        .streams
        .iter()
        .map(|s| {
            s.media
                .iter()
                .map(|m| fingerprint::representation(s, m))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let fp = fingerprint::build(catalog, rep_fps.iter().flatten())?;
    let previous = read_index(out).filter(|i| i.version == INDEX_VERSION);
    if previous.as_ref().is_some_and(|i| i.fingerprint == fp) {
        return Ok(BuildReport {
            out: out.to_path_buf(),
            unchanged: true,
            streams: catalog.streams.len(),
            seconds: started.elapsed().as_secs_f64(),
            ..BuildReport::default()
        });
    }
    let indexed = catalog.index()?;
    let (programmes, _) = catalog.programmes(&indexed)?;
    // Each representation's entry in the previous tree, if it was cut from
    // the same media: its files are linked instead of cut again.
    let reusable: Vec<Vec<Option<&index::RepresentationIndex>>> = indexed
        .iter()
        .zip(&rep_fps)
        .map(|(s, fps)| {
            let old = previous
                .as_ref()
                .and_then(|p| p.streams.iter().find(|o| o.directory == s.stream.directory));
            s.representations
                .iter()
                .zip(fps)
                .map(|(rep, fp)| {
                    old?.representations
                        .iter()
                        .find(|o| o.representation.id == rep.id && o.media_fingerprint == *fp)
                })
                .collect()
        })
        .collect();
    progress.start(
        indexed
            .iter()
            .zip(&reusable)
            .flat_map(|(s, old)| s.representations.iter().zip(old))
            .filter(|(_, old)| old.is_none())
            .map(|(r, _)| r.media_segments().len() as u64)
            .sum(),
    );
    std::fs::create_dir_all(staging).map_err(io(staging))?;
    let _cleanup = StagingGuard(staging);
    let renderer = Renderer::new().map_err(|e| BuildError::Manifest {
        stream: String::new(),
        manifest: String::new(),
        message: e.to_string(),
    })?;
    let w = Writer::new(staging, Some(out).filter(|o| o.is_dir()));
    for d in crate::layout::TREE_DIRS {
        w.dir(d)?;
    }

    // `index` keeps the catalog's order, so stream i's representations have
    // rep_fps[i] and reusable[i].
    let streams = indexed
        .par_iter()
        .zip(rep_fps.par_iter().zip(reusable.par_iter()))
        .map(|(s, (fps, old))| {
            let dir = &s.stream.directory;
            for area in crate::layout::STREAM_AREAS {
                w.dir(&format!("{area}/{dir}"))?;
            }
            let reps = s
                .stream
                .media
                .par_iter()
                .zip(s.representations.par_iter())
                .zip(fps.par_iter().zip(old.par_iter()))
                .map(|((src, rep), (fp, old))| {
                    // How far this track runs past its loop: live
                    // trims that off each loop's last segment.
                    let trim = s
                        .representations
                        .iter()
                        .find(|r| r.id == s.stream.timing_ref)
                        .and_then(|reference| LoopMap::new(rep, reference))
                        .map_or(0, |m| m.overrun());
                    representation::build(&w, dir, src, rep, fp, trim, *old, progress)
                })
                .collect::<Result<Vec<_>, _>>()?;
            // After the cut: on-demand byte ranges are the built file's.
            let rendered = render_manifests(&w, catalog, s, &reps, &renderer);
            let manifests = rendered?;
            Ok(StreamIndex {
                directory: dir.clone(),
                title: s.stream.title.clone(),
                timing_ref: s.stream.timing_ref.clone(),
                representations: reps,
                manifests: manifests.written,
                origin_manifests: manifests.origin_only,
                defaults: s.stream.defaults.clone(),
                drm: s.drm.clone(),
            })
        })
        .collect::<Result<Vec<_>, BuildError>>()?;

    let index = TreeIndex {
        version: INDEX_VERSION,
        fingerprint: fp,
        site_defaults: catalog.site.defaults.clone(),
        streams,
        mps: programmes,
    };
    mps::render_vod(&w, catalog, &index, &renderer)?;
    w.write_or_link("_headers", site_files::headers_file().as_bytes())?;
    w.write_or_link("nginx.conf", site_files::nginx_conf().as_bytes())?;
    w.write_or_link(
        "index.html",
        crate::pages::home::home_page(&index)?.as_bytes(),
    )?;
    let json = serde_json::to_vec(&index).map_err(|e| BuildError::Io {
        path: w.path(".dashlive/index.json"),
        source: e.into(),
    })?;
    // The index goes last: a tree without it is not a finished tree.
    w.write(".dashlive/index.json", &json)?;

    swap::publish(staging, out).map_err(io(out))?;
    // `staging` now holds the previous tree.
    remove_staging(staging)?;
    let (files, bytes) = w.totals();
    Ok(BuildReport {
        out: out.to_path_buf(),
        unchanged: false,
        streams: index.streams.len(),
        files,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
    })
}
