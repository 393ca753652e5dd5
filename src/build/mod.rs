//! `dashlive build`: everything that does not depend on the clock, done once
//! and in parallel into `out/`, a tree any static host or CDN serves as is:
//! VOD and on-demand manifests, every segment cut by number and by time, the
//! on-demand files, and the index the origin serves live streams from.

pub mod cut;
pub mod index;
pub mod site_files;
pub mod swap;

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Instant, UNIX_EPOCH};

use rayon::prelude::*;

use crate::catalog::{Catalog, CatalogErrors, IndexedStream};
use crate::media::Representation;
use crate::mpd::context::suffix;
use crate::mpd::manifest::{render_manifest, ManifestQuery, StreamView};
use crate::mpd::registry::{self, Mode};
use crate::mpd::render::Renderer;
use index::{RepresentationIndex, SegmentFile, StreamIndex, TreeIndex, INDEX_VERSION};

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

/// The hash of every input: the binary's version and templates, the config
/// files' contents, and each stream's media fingerprint.
fn fingerprint(catalog: &Catalog, media_fps: &[String]) -> Result<String, BuildError> {
    let mut h = blake3::Hasher::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(crate::mpd::render::templates_fingerprint().as_bytes());
    let sources = catalog
        .site
        .source
        .iter()
        .chain(catalog.streams.iter().map(|s| &s.source));
    for p in sources {
        h.update(p.to_string_lossy().as_bytes());
        h.update(&std::fs::read(p).map_err(io(p))?);
    }
    for fp in media_fps {
        h.update(fp.as_bytes());
    }
    Ok(h.finalize().to_hex().to_string())
}

/// The hash of what a stream's cut segments depend on: the media files
/// (path, size, modification time), the stream's URL name and the binary.
fn media_fingerprint(s: &crate::catalog::Stream) -> Result<String, BuildError> {
    let mut h = blake3::Hasher::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(s.directory.as_bytes());
    for m in &s.media {
        let meta = std::fs::metadata(m).map_err(io(m))?;
        h.update(m.to_string_lossy().as_bytes());
        h.update(&meta.len().to_le_bytes());
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok());
        h.update(&mtime.map_or(0, |d| d.as_nanos()).to_le_bytes());
    }
    Ok(h.finalize().to_hex().to_string())
}

/// The newest modification time of a stream's inputs, in Unix ms: its
/// manifests' publish time, which so moves only when one of them does.
fn stream_newest(s: &crate::catalog::Stream, site: &crate::catalog::Site) -> i64 {
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

/// Links every file under `from` to the same place under `to`.
fn link_tree(from: &Path, to: &Path) -> Result<(), BuildError> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.map_err(|e| BuildError::Io {
            path: from.to_path_buf(),
            source: e.into(),
        })?;
        if entry.file_type().is_file() && entry.path().extension().is_none_or(|x| x != "mpd") {
            let rel = entry.path().strip_prefix(from).unwrap_or(entry.path());
            link_or_copy(entry.path(), &to.join(rel))?;
        }
    }
    Ok(())
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
}

/// Reports nothing.
pub struct Quiet;
impl Progress for Quiet {}

/// Counts what was written, across threads.
#[derive(Default)]
struct Tally {
    files: std::sync::atomic::AtomicU64,
    bytes: std::sync::atomic::AtomicU64,
}

impl Tally {
    fn write(&self, path: &Path, data: &[u8]) -> Result<(), BuildError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        self.write_new(path, data)
    }

    /// Writes a file whose folder exists already (segments: one mkdir a folder).
    fn write_new(&self, path: &Path, data: &[u8]) -> Result<(), BuildError> {
        std::fs::write(path, data).map_err(io(path))?;
        self.count(data.len() as u64);
        Ok(())
    }

    /// Writes `rel` into the staging tree, or links the previous tree's copy
    /// when its bytes are the same: an unchanged file is never rewritten.
    fn write_or_link(
        &self,
        staging: &Path,
        out: &Path,
        rel: &str,
        data: &[u8],
    ) -> Result<(), BuildError> {
        let previous = out.join(rel);
        if std::fs::read(&previous).is_ok_and(|old| old == data) {
            link_or_copy(&previous, &staging.join(rel))
        } else {
            self.write(&staging.join(rel), data)
        }
    }

    fn count(&self, bytes: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.files.fetch_add(1, Relaxed);
        self.bytes.fetch_add(bytes, Relaxed);
    }
}

/// A second name for `from` at `to`: a hard link where the file system
/// allows, else a copy.
fn link_or_copy(from: &Path, to: &Path) -> Result<(), BuildError> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).map_err(io(to))?;
    }
    Ok(())
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

/// Cuts one representation into `dash/vod/<stream>/<rep>/`, copies its
/// on-demand file, and returns what the index records of it.
fn cut_representation(
    staging: &Path,
    stream: &str,
    source_path: &Path,
    rep: &Representation,
    tally: &Tally,
    progress: &dyn Progress,
) -> Result<RepresentationIndex, BuildError> {
    let sfx = suffix(rep.content_type);
    let dir = staging.join("dash/vod").join(stream).join(&rep.id);
    let source = source_path;
    let file = File::open(source).map_err(io(source))?;
    let read = |offset: u64, size: u64| -> Result<Vec<u8>, BuildError> {
        let mut buf = vec![0u8; size as usize];
        file.read_exact_at(&mut buf, offset).map_err(io(source))?;
        Ok(buf)
    };
    let init_seg = rep.init_segment().copied().unwrap_or_default();
    let time_dir = dir.join("time");
    std::fs::create_dir_all(&time_dir).map_err(io(&time_dir))?;
    let init_path = dir.join(format!("init.{sfx}"));
    let init_bytes = read(init_seg.offset, init_seg.size)?;
    tally.write(&init_path, &init_bytes)?;
    let live = cut::live_init(&init_bytes).map_err(|source| BuildError::Cut {
        file: PathBuf::from(&rep.filename),
        number: 0,
        source,
    })?;
    let live_path = staging
        .join(".dashlive/live")
        .join(stream)
        .join(&rep.id)
        .join(format!("init.{sfx}"));
    tally.write(&live_path, &live)?;
    let mut segments = Vec::with_capacity(rep.media_segments().len());
    for (i, s) in rep.media_segments().iter().enumerate() {
        let number = u64::from(rep.start_number) + i as u64;
        let cut_err = |e: cut::CutError| match e {
            cut::CutError::Mp4(source) => BuildError::Cut {
                file: PathBuf::from(&rep.filename),
                number,
                source,
            },
            cut::CutError::Io(source) => BuildError::Io {
                path: source_path.to_path_buf(),
                source,
            },
        };
        let plan = cut::plan_segment(&file, s.offset, s.size).map_err(cut_err)?;
        let patch = crate::mp4::patch::find_patch_points(&plan.head[..plan.boxes_len]).map_err(
            |source| BuildError::Cut {
                file: PathBuf::from(&rep.filename),
                number,
                source,
            },
        )?;
        let path = dir.join(format!("{number}.{sfx}"));
        {
            use std::io::Write;
            let mut f = File::create(&path).map_err(io(&path))?;
            f.write_all(&plan.head).map_err(io(&path))?;
            if let Some((at, len)) = plan.payload {
                cut::copy_range(&file, at, len, &mut f).map_err(io(&path))?;
            }
            f.write_all(&plan.tail).map_err(io(&path))?;
            tally.count(plan.len());
        }
        // `$Time$` addressing shares the bytes of `$Number$` addressing.
        let time_path = time_dir.join(format!("{}.{sfx}", s.decode_time));
        if std::fs::hard_link(&path, &time_path).is_err() {
            std::fs::copy(&path, &time_path).map_err(io(&time_path))?;
        }
        progress.segment_done();
        segments.push(SegmentFile {
            number,
            decode_time: s.decode_time,
            duration: s.duration,
            path: rel(staging, &path),
            size: plan.len(),
            patch,
        });
    }
    let od = staging
        .join("dash/odvod")
        .join(stream)
        .join(format!("{}.mp4", rep.id));
    if let Some(d) = od.parent() {
        std::fs::create_dir_all(d).map_err(io(d))?;
    }
    // The on-demand file is the source, byte for byte: a hard link where the
    // file system allows (the fingerprint notices any later change to the
    // source and rebuilds), else a copy.
    // A link shares the source's permissions: only link a file others may
    // read, so a web server running as another user can serve the tree.
    use std::os::unix::fs::PermissionsExt;
    let world_readable = file
        .metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o004 != 0);
    if !world_readable || std::fs::hard_link(source, &od).is_err() {
        let n = std::fs::copy(source, &od).map_err(io(&od))?;
        std::fs::set_permissions(&od, std::fs::Permissions::from_mode(0o644)).map_err(io(&od))?;
        tally.count(n);
    }
    Ok(RepresentationIndex {
        representation: rep.clone(),
        init: rel(staging, &init_path),
        live_init: rel(staging, &live_path),
        on_demand: rel(staging, &od),
        segments,
    })
}

/// Renders every (manifest, mode) the site asks for and the stream supports.
fn render_manifests(
    staging: &Path,
    out: &Path,
    catalog: &Catalog,
    s: &IndexedStream,
    renderer: &Renderer,
    now_ms: i64,
    tally: &Tally,
) -> Result<Vec<String>, BuildError> {
    let mut written = Vec::new();
    for name in &catalog.site.manifests {
        let Some(def) = registry::find(name) else {
            continue;
        };
        if !renderer.has_template(def.name) {
            continue;
        }
        for mode in [Mode::Vod, Mode::Odvod] {
            if !def.supports(mode) {
                continue;
            }
            let err = |message: String| BuildError::Manifest {
                stream: s.stream.directory.clone(),
                manifest: format!("{}/{}", mode.as_str(), def.name),
                message,
            };
            let path = format!(
                "dash/{}/{}/{}.mpd",
                mode.as_str(),
                s.stream.directory,
                def.name
            );
            let stream = StreamView {
                directory: &s.stream.directory,
                title: &s.stream.title,
                timing_ref: &s.stream.timing_ref,
                representations: &s.representations,
                defaults: &s.stream.defaults,
            };
            let query = ManifestQuery {
                def,
                mode,
                site_defaults: &catalog.site.defaults,
                query: "",
                now_ms,
                now_override: false,
                site_url: catalog.site.base_url.clone(),
                manifest_url: catalog.site.base_url.as_ref().map(|b| format!("{b}{path}")),
            };
            let xml = render_manifest(renderer, &stream, &query)
                .map_err(|e| err(e.to_string()))?
                .xml;
            tally.write_or_link(staging, out, &path, xml.as_bytes())?;
            written.push(path);
        }
    }
    Ok(written)
}

/// Where the next tree is assembled: beside `out`, on the same file system.
fn staging_dir(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    out.with_file_name(format!(".{name}.staging"))
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
    let media_fps = catalog
        .streams
        .iter()
        .map(media_fingerprint)
        .collect::<Result<Vec<_>, _>>()?;
    let fp = fingerprint(&catalog, &media_fps)?;
    let previous = read_index(&out).filter(|i| i.version == INDEX_VERSION);
    if previous.as_ref().is_some_and(|i| i.fingerprint == fp) {
        return Ok(BuildReport {
            out,
            unchanged: true,
            streams: catalog.streams.len(),
            seconds: started.elapsed().as_secs_f64(),
            ..BuildReport::default()
        });
    }
    let indexed = catalog.index()?;
    progress.start(
        indexed
            .iter()
            .flat_map(|s| &s.representations)
            .map(|r| r.media_segments().len() as u64)
            .sum(),
    );
    let staging = staging_dir(&out);
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    let renderer = Renderer::new().map_err(|e| BuildError::Manifest {
        stream: String::new(),
        manifest: String::new(),
        message: e.to_string(),
    })?;
    let tally = Tally::default();

    // `index` keeps the catalog's stream order, so stream i has media_fps[i].
    let streams = indexed
        .par_iter()
        .zip(media_fps.par_iter())
        .map(|(s, media_fp)| {
            let media_fp = media_fp.clone();
            let reusable = previous.as_ref().and_then(|p| {
                p.streams
                    .iter()
                    .find(|o| o.directory == s.stream.directory && o.media_fingerprint == media_fp)
            });
            let reps = match reusable {
                // Same media: the segments are the same bytes; link them.
                Some(old) => {
                    for area in ["dash/vod", "dash/odvod", ".dashlive/live"] {
                        let from = out.join(area).join(&s.stream.directory);
                        if from.is_dir() {
                            link_tree(&from, &staging.join(area).join(&s.stream.directory))?;
                        }
                    }
                    old.representations.clone()
                }
                None => s
                    .stream
                    .media
                    .par_iter()
                    .zip(s.representations.par_iter())
                    .map(|(src, rep)| {
                        cut_representation(
                            &staging,
                            &s.stream.directory,
                            src,
                            rep,
                            &tally,
                            progress,
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            };
            let now_ms = stream_newest(&s.stream, &catalog.site);
            let manifests =
                render_manifests(&staging, &out, &catalog, s, &renderer, now_ms, &tally)?;
            Ok(StreamIndex {
                media_fingerprint: media_fp,
                directory: s.stream.directory.clone(),
                title: s.stream.title.clone(),
                timing_ref: s.stream.timing_ref.clone(),
                representations: reps,
                manifests,
                defaults: s.stream.defaults.clone(),
            })
        })
        .collect::<Result<Vec<_>, BuildError>>()?;

    let index = TreeIndex {
        version: INDEX_VERSION,
        fingerprint: fp,
        site_defaults: catalog.site.defaults.clone(),
        streams,
    };
    tally.write(
        &staging.join("_headers"),
        site_files::headers_file().as_bytes(),
    )?;
    tally.write(
        &staging.join("nginx.conf"),
        site_files::nginx_conf().as_bytes(),
    )?;
    tally.write(
        &staging.join("index.html"),
        crate::pages::home::home_page(&index)?.as_bytes(),
    )?;
    let json = serde_json::to_vec(&index).map_err(|e| BuildError::Io {
        path: staging.join(".dashlive/index.json"),
        source: e.into(),
    })?;
    // The index goes last: a tree without it is not a finished tree.
    tally.write(&staging.join(".dashlive/index.json"), &json)?;

    swap::publish(&staging, &out).map_err(io(&out))?;
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    use std::sync::atomic::Ordering::Relaxed;
    Ok(BuildReport {
        out,
        unchanged: false,
        streams: index.streams.len(),
        files: tally.files.load(Relaxed),
        bytes: tally.bytes.load(Relaxed),
        seconds: started.elapsed().as_secs_f64(),
    })
}
