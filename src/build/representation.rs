//! One representation's files in the tree: cut from its media file, or
//! linked from the previous tree when the media file is unchanged.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::write::Writer;
use super::{cut, io, BuildError, Progress};
use crate::index::{RepresentationIndex, SegmentFile};
use crate::layout::{self, suffix};
use crate::media::Representation;
use crate::options::Mode;

/// Where a representation's files go, relative to the tree root.
pub struct RepPaths {
    dir: String,
    /// The live init segment: a file in the stream's live folder (a folder
    /// per representation would cost an inode each for one file).
    live_init: String,
    on_demand: String,
    ext: &'static str,
}

impl RepPaths {
    pub fn new(stream: &str, rep: &Representation) -> RepPaths {
        RepPaths {
            dir: layout::segment_dir(Mode::Vod, stream, &rep.id),
            live_init: layout::live_init_path(stream, &rep.id, suffix(rep.content_type)),
            on_demand: layout::on_demand_path(stream, &rep.id),
            ext: suffix(rep.content_type),
        }
    }

    /// The folders, parents first; the stream's own folders exist already.
    fn dirs(&self) -> [String; 2] {
        [self.dir.clone(), layout::time_dir(&self.dir)]
    }

    fn init(&self) -> String {
        layout::init_file(&self.dir, self.ext)
    }

    fn live_init(&self) -> String {
        self.live_init.clone()
    }

    /// By `$Number$`.
    fn segment(&self, number: u64) -> String {
        layout::number_file(&self.dir, number, self.ext)
    }

    /// By `$Time$`: the same bytes as by number.
    fn timed(&self, decode_time: u64) -> String {
        layout::time_file(&self.dir, decode_time, self.ext)
    }
}

/// A representation's files: linked from the previous tree when `old`, its
/// entry there, was cut from the same media (the same fingerprint), else cut.
/// `trim`: how far the media runs past its loop (the timing reference's
/// length), the most live serving must take off its last segment's end.
#[allow(clippy::too_many_arguments)]
pub fn build(
    w: &Writer,
    stream: &str,
    source: &Path,
    rep: &Representation,
    fingerprint: &str,
    trim: u64,
    old: Option<&RepresentationIndex>,
    progress: &dyn Progress,
) -> Result<RepresentationIndex, BuildError> {
    // The same media beside another timing reference may need a longer
    // trim than the previous tree recorded: then it is cut again.
    let trimmable = |o: &RepresentationIndex| {
        trim == 0
            || o.segments
                .last()
                .is_some_and(|s| s.patch.trimmable() >= trim.min(s.duration))
    };
    if let Some(old) = old.filter(|o| o.media_fingerprint == fingerprint && trimmable(o)) {
        match link(w, stream, source, old) {
            Ok(linked) => return Ok(linked),
            // The previous tree lost a file: cutting again mends it.
            Err(_) => clear(w, &RepPaths::new(stream, rep)),
        }
    }
    cut(w, stream, source, rep, fingerprint, trim, progress)
}

/// Removes what a failed link left of a representation in the staging tree.
fn clear(w: &Writer, paths: &RepPaths) {
    let _ = std::fs::remove_dir_all(w.path(&paths.dir));
    let _ = std::fs::remove_file(w.path(&paths.live_init));
    let _ = std::fs::remove_file(w.path(&paths.on_demand));
}

/// Links a representation's files from the previous tree, as `old` lists them.
fn link(
    w: &Writer,
    stream: &str,
    source: &Path,
    old: &RepresentationIndex,
) -> Result<RepresentationIndex, BuildError> {
    let paths = RepPaths::new(stream, &old.representation);
    for d in paths.dirs() {
        w.dir(&d)?;
    }
    for f in [&old.init, &old.live_init] {
        w.link_previous(f, f)?;
    }
    // Earlier builds made the on-demand file a hard link to the source;
    // linking it on would keep the source's inode in the tree.
    if w.previous_is(&old.on_demand, source) {
        let file = File::open(source).map_err(io(source))?;
        copy_on_demand(w, &file, &old.on_demand)?;
    } else {
        w.link_previous(&old.on_demand, &old.on_demand)?;
    }
    for s in &old.segments {
        w.link_previous(&s.path, &s.path)?;
        w.link_previous(&s.path, &paths.timed(s.decode_time))?;
    }
    Ok(old.clone())
}

/// Cuts a representation into `dash/vod/<stream>/<rep>/`, writes its live
/// init segment, gives it its on-demand file, and returns what the index
/// records of it.
fn cut(
    w: &Writer,
    stream: &str,
    source: &Path,
    rep: &Representation,
    fingerprint: &str,
    trim: u64,
    progress: &dyn Progress,
) -> Result<RepresentationIndex, BuildError> {
    let paths = RepPaths::new(stream, rep);
    for d in paths.dirs() {
        w.dir(&d)?;
    }
    let file = File::open(source).map_err(io(source))?;
    let cut_error = |number: u64| {
        move |source| BuildError::Cut {
            file: PathBuf::from(&rep.filename),
            number,
            source,
        }
    };
    let init_seg = rep.init_segment().copied().unwrap_or_default();
    let mut init = vec![0u8; init_seg.size as usize];
    file.read_exact_at(&mut init, init_seg.offset)
        .map_err(io(source))?;
    w.write(&paths.init(), &init)?;
    let live = cut::live_init(&init).map_err(cut_error(0))?;
    w.write(&paths.live_init(), &live)?;

    // The last segment of a track that runs past its loop is trimmed live:
    // its durations are written per sample, so the origin can change them
    // in place (the trex default stands in where the tfhd gives none).
    let last = rep.media_segments().len().saturating_sub(1);
    let explicit = if trim > 0 {
        Some(trex_default_duration(&init, rep.track_id).map_err(cut_error(0))?)
    } else {
        None
    };

    let mut segments = Vec::with_capacity(rep.media_segments().len());
    let mut relocated = false;
    for (i, s) in rep.media_segments().iter().enumerate() {
        let number = u64::from(rep.start_number) + i as u64;
        let explicit = explicit.filter(|_| i == last);
        let plan = cut::plan_segment(&file, s.offset, s.size, explicit).map_err(|e| match e {
            cut::CutError::Mp4(e) => cut_error(number)(e),
            cut::CutError::Io(e) => io(source)(e),
        })?;
        relocated |= plan.relocated;
        // The boxes before the first mdat, then those after its payload:
        // a chunked segment has a moof per chunk, and each needs patching.
        let mut patch = crate::mp4::patch::find_patch_points(&plan.head[..plan.boxes_len])
            .map_err(cut_error(number))?;
        let tail_at = plan.head.len() as u64 + plan.payload.map_or(0, |p| p.1);
        patch.append_at(
            crate::mp4::patch::find_patch_points(&plan.tail).map_err(cut_error(number))?,
            tail_at,
        );
        if explicit.is_some() {
            use crate::mp4::patch::find_sample_durations;
            patch.sample_durations =
                find_sample_durations(&plan.head[..plan.boxes_len]).map_err(cut_error(number))?;
            patch.append_at(
                crate::mp4::patch::PatchPoints {
                    sample_durations: find_sample_durations(&plan.tail)
                        .map_err(cut_error(number))?,
                    ..Default::default()
                },
                tail_at,
            );
            // Only as many as the longest trim takes: the origin copies the
            // segment up to the last point it patches.
            patch.keep_trimmable(trim);
        }
        let rel = paths.segment(number);
        let path = w.path(&rel);
        {
            use std::io::Write;
            let mut f = super::write::create_new(&path).map_err(io(&path))?;
            f.write_all(&plan.head).map_err(io(&path))?;
            if let Some((at, len)) = plan.payload {
                cut::copy_range(&file, at, len, &mut f).map_err(io(&path))?;
            }
            f.write_all(&plan.tail).map_err(io(&path))?;
            w.count(plan.len());
        }
        super::write::link(&path, &w.path(&paths.timed(s.decode_time)))?;
        progress.segment_done();
        segments.push(SegmentFile {
            number,
            decode_time: s.decode_time,
            duration: s.duration,
            path: rel,
            size: plan.len(),
            patch,
        });
    }

    let mut rep = rep.clone();
    if relocated {
        let init = without_sidx(&init).map_err(cut_error(0))?;
        on_demand_from_cuts(w, &mut rep, &init, &segments, &paths.on_demand)?;
    } else {
        copy_on_demand(w, &file, &paths.on_demand)?;
    }
    Ok(RepresentationIndex {
        media_fingerprint: fingerprint.to_string(),
        representation: rep,
        init: paths.init(),
        live_init: paths.live_init(),
        on_demand: paths.on_demand,
        segments,
    })
}

/// The `trex` default sample duration of track `track_id` (or of the only
/// `trex`) in an init segment; 0 without one, as ISO/IEC 14496-12 reads it.
fn trex_default_duration(init: &[u8], track_id: u32) -> Result<u32, crate::mp4::Mp4Error> {
    use crate::mp4::boxes::{expect, Trex};
    for b in crate::mp4::boxes(init) {
        let b = b?;
        if b.typ() != b"moov" {
            continue;
        }
        let Some(mvex) = b.child(b"mvex")? else {
            return Ok(0);
        };
        let trexes = mvex
            .children_of(b"trex")?
            .iter()
            .map(|t| expect(t, Trex::parse))
            .collect::<Result<Vec<_>, _>>()?;
        let found = trexes
            .iter()
            .find(|t| t.track_id == track_id)
            .or(trexes.first());
        return Ok(found.map_or(0, |t| t.default_sample_duration));
    }
    Ok(0)
}

/// The on-demand file of a source whose `tfhd` base data offsets are
/// absolute: those point into the source and mean nothing in a byte range a
/// player fetches on its own (MSE refuses them), so the file is the init
/// segment (without a `sidx`, which described the source) and the cut
/// segments after it, and `rep`'s byte ranges (the on-demand manifest's
/// SegmentList) are made theirs.
fn on_demand_from_cuts(
    w: &Writer,
    rep: &mut Representation,
    init: &[u8],
    cuts: &[SegmentFile],
    rel: &str,
) -> Result<(), BuildError> {
    let mut out = init.to_vec();
    let mut ranges = Vec::with_capacity(cuts.len());
    for c in cuts {
        let path = w.path(&c.path);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        ranges.push((out.len() as u64, bytes.len() as u64));
        out.extend_from_slice(&bytes);
    }
    if let Some(first) = rep.segments.first_mut() {
        first.offset = 0;
        first.size = init.len() as u64;
    }
    for (s, (offset, size)) in rep.segments.iter_mut().skip(1).zip(ranges) {
        s.offset = offset;
        s.size = size;
    }
    w.write(rel, &out)
}

/// `init` without its top-level `sidx` boxes.
fn without_sidx(init: &[u8]) -> Result<Vec<u8>, crate::mp4::Mp4Error> {
    let mut out = Vec::with_capacity(init.len());
    for b in crate::mp4::boxes(init) {
        let b = b?;
        if b.typ() != b"sidx" {
            out.extend_from_slice(b.data);
        }
    }
    Ok(out)
}

/// The on-demand file is the source, byte for byte, but never the source's
/// inode: a hard link would let an edit of the source in place change bytes
/// a CDN was told are immutable (and a build that truncated its staging copy
/// would empty the source, as two builds at once once did). A copy, then, or
/// a reflink where the file system has them (see [`super::write::copy_new`]).
/// `file` is the source, open.
fn copy_on_demand(w: &Writer, file: &File, rel: &str) -> Result<(), BuildError> {
    let od = w.path(rel);
    let n = super::write::copy_new(file, &od).map_err(io(&od))?;
    w.count(n);
    Ok(())
}
