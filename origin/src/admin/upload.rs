//! Media uploads and the inspection of a stream's media.
//!
//! An upload is a multipart body of files. Each file is streamed to a
//! staging folder beside the stream's media (same filesystem, so moving it
//! in is a rename), under the origin's size cap: over it, 413 and the
//! staging folder is removed. Names are checked before a byte is written
//! (one plain file name: no folder, no `..`, no leading dot). Once the
//! body is whole, each file is indexed; a file that does not index (not
//! an MP4, cut short) is removed and its reason given, the others move in,
//! join the stream's media, and the stream is rebuilt and swapped.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use dashlive::catalog::rep_id;
use dashlive::media::representation::{ContentType, Representation};
use dashlive::mp4::inspect;

use super::catalog::{shown, EditError};
use super::streams::{media_of, play_url, Call};
use super::{html, json};
use crate::body::Body;
use crate::body::{BodyError, RequestBody};

type Answer = Result<Response<Body>, EditError>;

/// The file extensions an upload may have.
const EXTENSIONS: [&str; 6] = ["mp4", "m4v", "m4a", "m4s", "cmfv", "cmfa"];

/// The most files one upload holds: a stream's media are a few dozen at
/// most, and each file costs a staged file and an index.
pub const MAX_FILES: usize = 64;

/// Whether an uploaded file's name may be used as is: one file name of
/// letters, digits, `-`, `_`, `.`, not starting with a dot, with a media
/// extension. Anything else (`../x`, `/etc/x`, `a\b`) is refused.
pub fn check_name(name: &str) -> Result<(), EditError> {
    let plain = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    let ext_ok = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    if plain && ext_ok {
        return Ok(());
    }
    Err(EditError::Invalid(format!(
        "file name {:?}: one plain file name (letters, digits, '-', '_', '.'; no folder, no leading dot) ending in .{}",
        shown(name),
        EXTENSIONS.join(", .")
    )))
}

/// A staging folder, removed with what it holds when dropped.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EditError + '_ {
    move |source| EditError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Why an upload stopped before its end.
fn body_error(e: multer::Error, limit: u64) -> EditError {
    match e {
        multer::Error::StreamReadFailed(inner) => match inner.downcast::<BodyError>() {
            Ok(b) if matches!(*b, BodyError::TooLarge { .. }) => EditError::TooLarge(limit),
            Ok(b) => EditError::Invalid(b.to_string()),
            Err(other) => EditError::Invalid(format!("the upload: {other}")),
        },
        other => EditError::Invalid(format!("the upload: {other}")),
    }
}

/// A request body as the stream multer reads, cut at `limit` bytes.
fn stream_of(
    body: RequestBody,
) -> impl futures_util::Stream<Item = Result<Bytes, BodyError>> + Send + 'static {
    futures_util::stream::unfold(body, |mut body| async move {
        body.chunk().await.map(|c| (c, body))
    })
}

/// One file of an upload and what became of it.
struct Received {
    name: String,
    staged: PathBuf,
    bytes: u64,
}

/// Streams the files of a multipart body into `dir`, under the origin's
/// cap, checking each name before its first byte.
async fn stage(call: &Call<'_>, body: RequestBody, dir: &Path) -> Result<Vec<Received>, EditError> {
    let ctype = call
        .req
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(ctype).map_err(|_| {
        EditError::Invalid("an upload is a multipart/form-data body of files".into())
    })?;
    let limit = call.catalog.upload_limit();
    let body = body.with_limit(limit);
    let mut multipart = multer::Multipart::new(stream_of(body), boundary);
    let mut files: Vec<Received> = Vec::new();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| body_error(e, limit))?
    {
        let Some(name) = field.file_name().map(String::from) else {
            continue; // a plain form field: nothing of an upload
        };
        check_name(&name)?;
        if files.len() >= MAX_FILES {
            return Err(EditError::Invalid(format!(
                "an upload holds at most {MAX_FILES} files"
            )));
        }
        if files.iter().any(|f| f.name == name) {
            return Err(EditError::Invalid(format!("{name}: sent twice")));
        }
        let staged = dir.join(&name);
        let mut out = tokio::fs::File::create(&staged)
            .await
            .map_err(io(&staged))?;
        let mut bytes = 0u64;
        while let Some(chunk) = field.chunk().await.map_err(|e| body_error(e, limit))? {
            bytes = bytes.saturating_add(chunk.len() as u64);
            out.write_all(&chunk).await.map_err(io(&staged))?;
        }
        out.flush().await.map_err(io(&staged))?;
        files.push(Received {
            name,
            staged,
            bytes,
        });
    }
    if files.is_empty() {
        return Err(EditError::Invalid("the upload holds no file".into()));
    }
    Ok(files)
}

pub async fn receive(call: &Call<'_>, directory: &str, body: RequestBody) -> Answer {
    let entry = call.catalog.find(directory)?;
    let media_dir = call.catalog.media_dir(&entry.stream.directory);
    std::fs::create_dir_all(&media_dir).map_err(io(&media_dir))?;
    let secret = super::store::random_secret()
        .map_err(|e| EditError::Invalid(format!("no staging name: {e}")))?;
    let staging = Staging(media_dir.join(format!(".upload-{}", &secret[..12.min(secret.len())])));
    std::fs::create_dir(&staging.0).map_err(io(&staging.0))?;
    let files = stage(call, body, &staging.0).await?;
    // Index every file off the async threads.
    let paths: Vec<PathBuf> = files.iter().map(|f| f.staged.clone()).collect();
    let indexed = tokio::task::spawn_blocking(move || {
        paths
            .iter()
            .map(|p| dashlive::media::index::index_file(p).map_err(|e| e.to_string()))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| EditError::Invalid(format!("indexing stopped: {e}")))?;
    let mut stream = entry.stream.clone();
    let mut report = Vec::new();
    let mut moved: Vec<PathBuf> = Vec::new();
    // (the file replaced, where it was): put back if the build fails.
    let mut kept: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut first_video = None;
    for (f, result) in files.iter().zip(indexed) {
        match result {
            Err(why) => {
                report.push(json!({ "file": f.name, "bytes": f.bytes, "error": why }));
            }
            Ok(rep) => {
                let id = rep_id(Path::new(&f.name));
                let clash = stream
                    .media
                    .iter()
                    .any(|p| rep_id(p) == id && p.file_name() != Some(f.name.as_ref()));
                if clash {
                    let why =
                        format!("another file of the stream gives the representation id {id:?}");
                    report.push(json!({ "file": f.name, "bytes": f.bytes, "error": why }));
                    continue;
                }
                let target = media_dir.join(&f.name);
                if target.exists() {
                    // Kept in the staging folder until the build succeeds.
                    let previous = staging.0.join(format!("{}.previous", f.name));
                    std::fs::rename(&target, &previous).map_err(io(&target))?;
                    kept.push((previous, target.clone()));
                }
                std::fs::rename(&f.staged, &target).map_err(io(&target))?;
                moved.push(target);
                let rel = PathBuf::from("../media")
                    .join(&stream.directory)
                    .join(&f.name);
                if !stream.media.iter().any(|p| rep_id(p) == id) {
                    stream.media.push(rel);
                }
                if rep.content_type == ContentType::Video && first_video.is_none() {
                    first_video = Some(id.clone());
                }
                report.push(json!({
                    "file": f.name, "bytes": f.bytes, "rep": id,
                    "contentType": rep.content_type.as_str(), "codecs": rep.codecs,
                    "segments": rep.media_segments().len(),
                }));
            }
        }
    }
    let stored = !moved.is_empty();
    if stored {
        let timing_ok = stream
            .media
            .iter()
            .any(|p| rep_id(p) == rep_id(Path::new(&stream.timing_ref)));
        if !timing_ok {
            stream.timing_ref = first_video
                .or_else(|| stream.media.first().map(|p| rep_id(p)))
                .unwrap_or_default();
        }
        if let Err(e) = call.catalog.save(call.trees, Some(&entry), stream).await {
            for m in &moved {
                let _ = std::fs::remove_file(m);
            }
            for (previous, target) in &kept {
                let _ = std::fs::rename(previous, target);
            }
            return Err(e);
        }
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        call.audit("media.upload", &format!("{directory} {}", names.join(" ")));
    }
    let status = if stored {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = json!({
        "stream": directory,
        "files": report,
        "play": stored.then(|| play_url(directory)),
    });
    if call.req.json {
        return Ok(json(status, &body));
    }
    let text = serde_json::to_string_pretty(&body).unwrap_or_default();
    let f = call_frame(call, "Upload");
    Ok(html(status, dashlive::pages::admin::report(f, &text)))
}

fn call_frame<'a>(call: &'a Call, title: &'a str) -> dashlive::pages::admin::Frame<'a> {
    dashlive::pages::admin::Frame {
        title,
        nav: Some(dashlive::pages::admin::Nav {
            username: &call.me.user.username,
            is_admin: call.me.user.has(super::store::Group::Admin),
            csrf: call.me.csrf(),
        }),
        error: None,
        notice: None,
    }
}

/// Inspects uploaded files without adding them: each one's Representation
/// (or why it does not index) and its top-level boxes; nothing is kept.
pub async fn inspect_upload(call: &Call<'_>, body: RequestBody) -> Answer {
    let dir = tempfile::tempdir().map_err(io(Path::new("the temporary folder")))?;
    let files = stage(call, body, dir.path()).await?;
    let paths: Vec<(String, PathBuf)> = files
        .iter()
        .map(|f| (f.name.clone(), f.staged.clone()))
        .collect();
    let reports = tokio::task::spawn_blocking(move || {
        paths
            .iter()
            .map(|(name, p)| {
                let rep = dashlive::media::index::index_file(p);
                let tree = std::fs::File::open(p).and_then(|f| {
                    let len = f.metadata()?.len();
                    Ok(inspect::inspect(std::io::BufReader::new(f), len))
                });
                let boxes: Vec<_> = tree
                    .map(|t| {
                        t.boxes
                            .iter()
                            .take(MAX_SHOWN_BOXES)
                            .map(|b| json!({ "type": b.typ, "offset": b.offset, "size": b.size }))
                            .collect()
                    })
                    .unwrap_or_default();
                match rep {
                    Ok(r) => json!({ "file": name, "representation": r, "boxes": boxes }),
                    Err(e) => json!({ "file": name, "error": e.to_string(), "boxes": boxes }),
                }
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| EditError::Invalid(format!("inspecting stopped: {e}")))?;
    let body = json!({ "files": reports });
    if call.req.json {
        return Ok(json(StatusCode::OK, &body));
    }
    let text = serde_json::to_string_pretty(&body).unwrap_or_default();
    Ok(html(
        StatusCode::OK,
        dashlive::pages::admin::report(call_frame(call, "Inspect"), &text),
    ))
}

/// How many top-level boxes an inspection lists (a file has two a segment).
const MAX_SHOWN_BOXES: usize = 64;

fn index(path: &Path) -> Result<Representation, EditError> {
    dashlive::media::index::index_file(path).map_err(|e| EditError::Invalid(e.to_string()))
}

/// A Representation and its segment list.
pub fn info(call: &Call, directory: &str, rep: &str) -> Answer {
    let entry = call.catalog.find(directory)?;
    let path = media_of(&entry, rep)?;
    let r = index(&path)?;
    let value = serde_json::to_value(&r).unwrap_or_default();
    if call.req.json {
        return Ok(json(StatusCode::OK, &json!({ "representation": value })));
    }
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let title = format!("{directory} / {}", r.id);
    Ok(html(
        StatusCode::OK,
        dashlive::pages::admin::media(
            call_frame(call, &title),
            directory,
            &r.id,
            r.segments.len(),
            &text,
        ),
    ))
}

/// The box tree of one segment: `init`, or a media segment's index in the
/// file (1 is the first).
pub fn segment(call: &Call, directory: &str, rep: &str, which: &str) -> Answer {
    let entry = call.catalog.find(directory)?;
    let path = media_of(&entry, rep)?;
    let r = index(&path)?;
    let seg = match which {
        "init" => r.init_segment(),
        n => n
            .parse::<usize>()
            .ok()
            .and_then(|n| r.segments.get(n).filter(|_| n > 0)),
    }
    .ok_or_else(|| {
        EditError::NoStream(format!(
            "{directory}/{rep} segment {:?} (init, or 1 to {})",
            shown(which),
            r.media_segments().len()
        ))
    })?;
    let size = usize::try_from(seg.size)
        .ok()
        .filter(|s| *s <= 64 << 20)
        .ok_or_else(|| EditError::Invalid("the segment is over 64 MB: not shown".into()))?;
    let mut bytes = vec![0u8; size];
    {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = std::fs::File::open(&path).map_err(io(&path))?;
        f.seek(SeekFrom::Start(seg.offset)).map_err(io(&path))?;
        f.read_exact(&mut bytes).map_err(io(&path))?;
    }
    let report = inspect::inspect(Cursor::new(&bytes), seg.size);
    if call.req.json {
        let value = serde_json::to_value(&report).unwrap_or_default();
        return Ok(json(
            StatusCode::OK,
            &json!({ "segment": which, "offset": seg.offset, "tree": value }),
        ));
    }
    let all: Vec<&inspect::BoxNode> = report.boxes.iter().collect();
    let mut text = inspect::render_text(&all, inspect::TextOptions { max_entries: 20 });
    for e in &report.errors {
        text.push_str(&format!("error: {e}\n"));
    }
    let title = format!("{directory} / {rep} / {which}");
    Ok(html(
        StatusCode::OK,
        dashlive::pages::admin::report(call_frame(call, &title), &text),
    ))
}
