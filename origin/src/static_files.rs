//! Serves the static tree written by `dashlive build` (`out/`): GET and HEAD,
//! conditional requests and single byte ranges (RFC 9110), with every file
//! in memory or memory-mapped so a range is a slice rather than a copy.
//!
//! Anything that could reach outside the root, or into a hidden entry such as
//! `.dashlive/`, is answered 404 as if it did not exist.
//!
//! A request path is resolved against the tree (every symlink followed and
//! checked) and its file opened once: what it resolved to — the bytes, the
//! validators, the content type and caching — is kept in a bounded cache
//! keyed by the decoded path, and later requests for it make no system
//! call. That is sound because a tree is never changed in place: a new build
//! is a new tree, served by a new [`StaticFiles`] (see `trees.rs`), so the
//! cache lives and dies with the tree it describes. Misses (404s) are not
//! kept: any path can be asked for, and a cache of them would only grow.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Response, StatusCode};
use memmap2::Mmap;
use percent_encoding::percent_decode_str;

use crate::body::Body;

/// The largest time `httpdate` can format (23:59:59 on 31 Dec 9999); it
/// panics past it, and before the epoch, so modification times are clamped.
const MAX_HTTP_DATE_SECS: u64 = 253_402_300_799;

/// Bytes of files a tree's cache holds at most (its entries' weights). The
/// least used are dropped past it, so serving all of a large tree (BBB's is
/// several hundred MB) keeps only what is asked for often.
const CACHE_BYTES: u64 = 256 << 20;
/// Larger files are served without being kept (resolved and mapped on each
/// request, as a small file's first request is): one on-demand file could
/// otherwise push out everything else, and the cost of a request for a file
/// that size is its transfer, not its resolution. (The cache is split into
/// shards that each refuse an entry near their share of [`CACHE_BYTES`], so
/// this also says plainly what would otherwise depend on the core count.)
const CACHE_MAX_FILE: u64 = CACHE_BYTES / 16;
/// A guess at how many entries fill the cache, for sizing it up front.
const CACHE_ENTRIES: usize = 4096;
/// What an entry costs beyond its file's bytes (key, headers, the entry).
const ENTRY_OVERHEAD: u64 = 512;
/// Files up to this size are read into memory; larger ones are mapped. A
/// map is a kernel mapping of its own (a process has at most ~65,000) and
/// takes whole pages, which costs more than it saves for a manifest.
const READ_MAX: u64 = 64 << 10;

pub use dashlive::policy::content_type;
use dashlive::policy::{Cache, TEXT_PLAIN};

/// Cache-Control for a path inside `out/` (with or without a leading `/`).
pub fn cache_control(path: &str) -> &'static str {
    match Cache::of_static(path) {
        Cache::Immutable => dashlive::policy::IMMUTABLE,
        _ => dashlive::policy::SHORT,
    }
}

pub struct StaticFiles {
    /// Canonical, so a resolved file can be checked with `starts_with`.
    root: PathBuf,
    /// Files served, by decoded request path.
    cache: quick_cache::sync::Cache<String, Arc<Entry>, EntryWeight>,
}

/// A file of the tree as it is served: everything a response needs that
/// does not depend on the request.
struct Entry {
    bytes: Bytes,
    validators: Validators,
    content_type: &'static str,
    cache_control: &'static str,
}

/// An entry's weight in the cache: its bytes, whether read or mapped (a
/// mapped file's pages count in the origin's memory once touched).
#[derive(Clone)]
struct EntryWeight;

impl quick_cache::Weighter<String, Arc<Entry>> for EntryWeight {
    fn weight(&self, key: &String, entry: &Arc<Entry>) -> u64 {
        entry.bytes.len() as u64 + key.len() as u64 + ENTRY_OVERHEAD
    }
}

/// A request path that resolved to a regular file inside the root.
struct Target {
    /// Canonical path of the file.
    file: PathBuf,
    /// The decoded request path (with `index.html` for a directory) that
    /// picks the content type and caching: the URL names the resource, even
    /// when a symlink inside the tree points elsewhere.
    name: String,
}

/// What the response is validated by.
struct Validators {
    /// Strong, with its quotes: `"<mtime-ns-hex>-<size-hex>"`.
    etag: String,
    /// Whole seconds since the epoch, clamped to what an HTTP-date can say.
    modified_secs: u64,
    /// What `last_modified_header` holds, as text (read by the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    last_modified: String,
    /// The two as header values, made once per file rather than per
    /// response. `None` cannot happen (both are ASCII) and is left out of
    /// the response rather than allowed to panic.
    etag_header: Option<HeaderValue>,
    last_modified_header: Option<HeaderValue>,
}

impl Validators {
    fn new(mtime: SystemTime, size: u64) -> Validators {
        let since_epoch = mtime.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        let modified_secs = since_epoch.as_secs().min(MAX_HTTP_DATE_SECS);
        let etag = format!("\"{:x}-{:x}\"", since_epoch.as_nanos(), size);
        let last_modified =
            httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(modified_secs));
        Validators {
            etag_header: HeaderValue::from_str(&etag).ok(),
            last_modified_header: HeaderValue::from_str(&last_modified).ok(),
            etag,
            modified_secs,
            last_modified,
        }
    }
}

/// The outcome of RFC 9110 §13.2.2 steps 1–4.
#[derive(Debug, PartialEq)]
enum Precondition {
    Proceed,
    NotModified,
    Failed,
}

/// The outcome of reading a Range header against a file size.
#[derive(Debug, PartialEq)]
pub enum ByteRange {
    /// No usable range: serve the whole file with 200.
    Whole,
    /// 416.
    Unsatisfiable,
    /// First and last byte, inclusive, both inside the file.
    Part(u64, u64),
}

impl StaticFiles {
    pub fn new(root: impl Into<PathBuf>) -> io::Result<StaticFiles> {
        let root = std::fs::canonicalize(root.into())?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", root.display()),
            ));
        }
        let cache =
            quick_cache::sync::Cache::with_weighter(CACHE_ENTRIES, CACHE_BYTES, EntryWeight);
        Ok(StaticFiles { root, cache })
    }

    /// The entry `path` (as received) resolves to: from the cache, or
    /// resolved, read and kept. The status is a 404 for anything that is
    /// not a servable file, a 500 for a file that cannot be read.
    fn entry(&self, path: &str) -> Result<Arc<Entry>, StatusCode> {
        // Decoded, so every spelling of a name shares one entry; without a
        // `%` this borrows `path` and allocates nothing.
        let decoded = percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| StatusCode::NOT_FOUND)?;
        if let Some(entry) = self.cache.get(decoded.as_ref()) {
            return Ok(entry);
        }
        let target = self.resolve(&decoded).ok_or(StatusCode::NOT_FOUND)?;
        let (bytes, mtime) = match load_file(&target.file) {
            Ok(Some(loaded)) => loaded,
            // Replaced by something other than a file since it was resolved.
            Ok(None) => return Err(StatusCode::NOT_FOUND),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(StatusCode::NOT_FOUND),
            Err(_) => return Err(StatusCode::INTERNAL_SERVER_ERROR),
        };
        let entry = Arc::new(Entry {
            validators: Validators::new(mtime, bytes.len() as u64),
            content_type: content_type(&target.name),
            cache_control: cache_control(&target.name),
            bytes,
        });
        if entry.bytes.len() as u64 <= CACHE_MAX_FILE {
            // Two first requests may both get here; the second insert
            // replaces an identical entry, which costs less than making one
            // wait for the other's file system calls.
            self.cache.insert(decoded.into_owned(), entry.clone());
        }
        Ok(entry)
    }

    /// `path` is the request URI path exactly as received (percent-encoded, starting with '/').
    pub fn serve(&self, method: &Method, path: &str, headers: &HeaderMap) -> Response<Body> {
        let head = *method == Method::HEAD;
        if !head && *method != Method::GET {
            let mut response = error(StatusCode::METHOD_NOT_ALLOWED, method.as_str(), false);
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let entry = match self.entry(path) {
            Ok(entry) => entry,
            Err(status) => return error(status, path, head),
        };
        let size = entry.bytes.len() as u64;
        let validators = &entry.validators;
        let content_type = entry.content_type;
        let cache = entry.cache_control;

        match preconditions(headers, validators) {
            Precondition::Proceed => {}
            Precondition::Failed => return error(StatusCode::PRECONDITION_FAILED, path, head),
            Precondition::NotModified => {
                let mut response = Response::new(Body::empty());
                *response.status_mut() = StatusCode::NOT_MODIFIED;
                set_validators(response.headers_mut(), validators, cache);
                return response;
            }
        }

        // RFC 9110 §14.2: range handling is defined for GET only, so HEAD
        // ignores Range and describes the whole file.
        let range = if head || !if_range_allows(headers, validators) {
            ByteRange::Whole
        } else {
            match single_value(headers, &header::RANGE) {
                Some(value) => byte_range(value, size),
                None => ByteRange::Whole,
            }
        };

        let (status, body, content_range) = match range {
            ByteRange::Whole => (StatusCode::OK, entry.bytes.clone(), None),
            ByteRange::Unsatisfiable => {
                let mut response = error(StatusCode::RANGE_NOT_SATISFIABLE, path, head);
                let headers = response.headers_mut();
                insert(headers, header::CONTENT_RANGE, format!("bytes */{size}"));
                headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
                return response;
            }
            ByteRange::Part(first, last) => {
                // Both ends are below `size`, which came from a usize length.
                let slice = entry.bytes.slice(first as usize..=last as usize);
                (
                    StatusCode::PARTIAL_CONTENT,
                    slice,
                    Some(format!("bytes {first}-{last}/{size}")),
                )
            }
        };

        let length = body.len() as u64;
        let mut response = Response::new(if head {
            Body::empty()
        } else {
            Body::from(body)
        });
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        if let Some(content_range) = content_range {
            insert(headers, header::CONTENT_RANGE, content_range);
        }
        set_validators(headers, validators, cache);
        response
    }

    /// Maps a decoded request path to a regular file inside the root, or
    /// `None` for anything that is missing, hidden or tries to leave the root.
    fn resolve(&self, decoded: &str) -> Option<Target> {
        let rel = decoded.strip_prefix('/')?;
        // A second slash would make the rest absolute (`//etc/passwd`);
        // backslashes and NUL have no business in a name here.
        if rel.starts_with('/') || rel.contains(['\\', '\0']) {
            return None;
        }
        let (rel, wants_dir) = match rel.strip_suffix('/') {
            Some(rel) => (rel, true),
            None => (rel, false),
        };
        let mut path = self.root.clone();
        if !rel.is_empty() {
            for segment in rel.split('/') {
                // A leading dot covers `.`, `..`, `.dashlive` and dotfiles;
                // an empty segment (`a//b`) is refused rather than guessed at.
                if segment.is_empty() || segment.starts_with('.') {
                    return None;
                }
                path.push(segment);
            }
        }
        let mut file = self.inside(&path)?;
        let mut name = rel.to_owned();
        if file.is_dir() {
            file = self.inside(&file.join("index.html"))?;
            name = if rel.is_empty() {
                "index.html".to_owned()
            } else {
                format!("{rel}/index.html")
            };
        } else if wants_dir {
            // `/index.html/` names a directory that is not there.
            return None;
        }
        // Not a FIFO or device: opening those could block or worse.
        if !file.is_file() {
            return None;
        }
        Some(Target { file, name })
    }

    /// Canonicalises `path` (following every symlink) and keeps it only if it
    /// is still inside the root and not inside a hidden entry.
    fn inside(&self, path: &Path) -> Option<PathBuf> {
        let real = std::fs::canonicalize(path).ok()?;
        let rel = real.strip_prefix(&self.root).ok()?;
        let hidden = rel.components().any(|c| match c {
            Component::Normal(name) => name.as_encoded_bytes().first() == Some(&b'.'),
            // A canonical path has only normal components below the root.
            _ => true,
        });
        if hidden {
            None
        } else {
            Some(real)
        }
    }
}

/// The file's bytes (read if small, else memory-mapped, see [`READ_MAX`])
/// and modification time, or `None` if it is not a regular file.
fn load_file(path: &Path) -> io::Result<Option<(Bytes, SystemTime)>> {
    let file = File::open(path)?;
    // Size and time from the open file, so they describe exactly what is read.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.len() > READ_MAX {
        return map_open_file(file);
    }
    let mtime = meta.modified().unwrap_or(UNIX_EPOCH);
    // At most READ_MAX + 1 bytes, so a file that grew since (which a build
    // never does) cannot make this read unbounded; the bytes read are what
    // is served and what the ETag's size describes.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(READ_MAX + 1).read_to_end(&mut bytes)?;
    Ok(Some((Bytes::from(bytes), mtime)))
}

/// [`map_file`] of a file already open.
pub fn map_open_file(file: File) -> io::Result<Option<(Bytes, SystemTime)>> {
    // Size and time from the open file, so they describe exactly what is mapped.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(None);
    }
    let mtime = meta.modified().unwrap_or(UNIX_EPOCH);
    if meta.len() == 0 {
        // An empty file cannot be mapped.
        return Ok(Some((Bytes::new(), mtime)));
    }
    // SAFETY: files in out/ are only ever replaced by atomic rename, never
    // truncated or rewritten in place, so the mapped pages stay valid and
    // unchanged for as long as the map (and every Bytes slice of it) lives.
    let map = unsafe { Mmap::map(&file)? };
    Ok(Some((Bytes::from_owner(map), mtime)))
}

/// RFC 9110 §13.2.2: If-Match, else If-Unmodified-Since (412 when false);
/// then If-None-Match, else If-Modified-Since (304 when false). Only GET and
/// HEAD reach here, so a false If-None-Match is always a 304.
fn preconditions(headers: &HeaderMap, v: &Validators) -> Precondition {
    if let Some(list) = joined(headers, &header::IF_MATCH) {
        if !list_matches(list.as_deref(), &v.etag, false) {
            return Precondition::Failed;
        }
    } else if let Some(date) = single_date(headers, &header::IF_UNMODIFIED_SINCE) {
        if v.modified_secs > date {
            return Precondition::Failed;
        }
    }
    if let Some(list) = joined(headers, &header::IF_NONE_MATCH) {
        if list_matches(list.as_deref(), &v.etag, true) {
            return Precondition::NotModified;
        }
    } else if let Some(date) = single_date(headers, &header::IF_MODIFIED_SINCE) {
        if v.modified_secs <= date {
            return Precondition::NotModified;
        }
    }
    Precondition::Proceed
}

/// RFC 9110 §13.1.5: whether a Range may apply. An entity tag must match
/// strongly (a weak one never does); a date must equal Last-Modified
/// exactly; anything else means "send the whole file".
fn if_range_allows(headers: &HeaderMap, v: &Validators) -> bool {
    let Some(value) = headers.get(header::IF_RANGE) else {
        return true;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let value = value.trim();
    if value.starts_with('"') || value.starts_with("W/") {
        return value == v.etag;
    }
    match httpdate::parse_http_date(value) {
        Ok(date) => epoch_secs(date) == Some(v.modified_secs),
        Err(_) => false,
    }
}

/// RFC 9110 §14.1: a single `bytes=a-b`, `bytes=a-` or `bytes=-n`.
///
/// Several ranges are answered with the whole file (200): the RFC lets a
/// server ignore Range, and that is simpler and safer than multipart bodies.
/// Serving just the first satisfiable range instead would be wrong, since a
/// 206 must answer every range asked for. A header that does not parse is
/// ignored, as the RFC requires.
pub fn byte_range(value: &str, size: u64) -> ByteRange {
    let Some((unit, set)) = value.split_once('=') else {
        return ByteRange::Whole;
    };
    if !unit.eq_ignore_ascii_case("bytes") {
        return ByteRange::Whole;
    }
    // A list may hold empty elements, which recipients skip.
    let mut specs = set
        .split(',')
        .map(|s| s.trim_matches([' ', '\t']))
        .filter(|s| !s.is_empty());
    let (Some(spec), None) = (specs.next(), specs.next()) else {
        return ByteRange::Whole;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return ByteRange::Whole;
    };
    if first.is_empty() {
        let Some(suffix) = digits(last) else {
            return ByteRange::Whole;
        };
        if suffix == 0 {
            return ByteRange::Unsatisfiable;
        }
        if size == 0 {
            // Satisfiable in principle, but an empty part has no
            // Content-Range; the whole (empty) file is the same thing.
            return ByteRange::Whole;
        }
        return ByteRange::Part(size.saturating_sub(suffix), size - 1);
    }
    let Some(first) = digits(first) else {
        return ByteRange::Whole;
    };
    let last = if last.is_empty() {
        u64::MAX
    } else {
        match digits(last) {
            Some(last) if last >= first => last,
            _ => return ByteRange::Whole,
        }
    };
    if first >= size {
        return ByteRange::Unsatisfiable;
    }
    ByteRange::Part(first, last.min(size - 1))
}

/// A decimal number; too many digits saturate, which still means "past the
/// end" for a position and "the whole file" for a suffix length.
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |n, b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

/// Whether an If-Match / If-None-Match list matches `etag`. `None` is a field
/// that is not visible ASCII, which matches nothing.
fn list_matches(list: Option<&str>, etag: &str, weak: bool) -> bool {
    let Some(list) = list else {
        return false;
    };
    if list.trim() == "*" {
        return true;
    }
    let Some(tags) = entity_tags(list) else {
        return false;
    };
    // Our own tag is strong, so only the candidate's weakness matters.
    tags.iter()
        .any(|&(is_weak, tag)| tag == etag && (weak || !is_weak))
}

/// Parses `1#entity-tag` into (weak, `"opaque"` with quotes); `None` if it
/// does not parse. Commas may appear inside the quotes.
fn entity_tags(list: &str) -> Option<Vec<(bool, &str)>> {
    let mut tags = Vec::new();
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Some(tags);
        }
        let (weak, tag) = match rest.strip_prefix("W/") {
            Some(tag) => (true, tag),
            None => (false, rest),
        };
        let inner = tag.strip_prefix('"')?;
        let end = inner.find('"')?;
        // `end` indexes `inner`; the tag runs from its opening quote to its closing one.
        tags.push((weak, &tag[..end + 2]));
        rest = inner[end + 1..].trim_start_matches([' ', '\t']);
        if !(rest.is_empty() || rest.starts_with(',')) {
            return None;
        }
    }
}

/// All lines of a list-valued field joined with commas: `None` if absent,
/// `Some(None)` if some line is not visible ASCII.
fn joined(headers: &HeaderMap, name: &HeaderName) -> Option<Option<String>> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let mut out = String::new();
    for value in values {
        let Ok(value) = value.to_str() else {
            return Some(None);
        };
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(value);
    }
    Some(Some(out))
}

/// The value of a field sent exactly once, as text.
fn single_value<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => value.to_str().ok(),
        _ => None,
    }
}

/// A date field sent once and valid, in seconds since the epoch; otherwise
/// the field is ignored (RFC 9110 §13.1.3, §13.1.4).
fn single_date(headers: &HeaderMap, name: &HeaderName) -> Option<u64> {
    let value = single_value(headers, name)?;
    epoch_secs(httpdate::parse_http_date(value.trim()).ok()?)
}

fn epoch_secs(time: SystemTime) -> Option<u64> {
    time.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

fn set_validators(headers: &mut HeaderMap, v: &Validators, cache: &'static str) {
    if let Some(etag) = &v.etag_header {
        headers.insert(header::ETAG, etag.clone());
    }
    if let Some(date) = &v.last_modified_header {
        headers.insert(header::LAST_MODIFIED, date.clone());
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
}

/// Inserts a generated value; they are all ASCII, but a bad one is dropped
/// rather than allowed to panic.
fn insert(headers: &mut HeaderMap, name: HeaderName, value: String) {
    if let Ok(value) = HeaderValue::try_from(value) {
        headers.insert(name, value);
    }
}

/// A one-line plain-text error naming the status and what was asked for.
fn error(status: StatusCode, what: &str, head: bool) -> Response<Body> {
    let text = format!(
        "{} {}: {}\n",
        status.as_str(),
        status.canonical_reason().unwrap_or(""),
        crate::respond::shown_path(what)
    );
    let length = text.len() as u64;
    let mut response = Response::new(if head {
        Body::empty()
    } else {
        Body::from(text)
    });
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(dashlive::policy::ERROR),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    /// 1_700_000_000.123456789 s: Tue, 14 Nov 2023 22:13:20 GMT.
    const MTIME_NS: u64 = 1_700_000_000_123_456_789;
    /// `"<MTIME_NS hex>-<256 hex>"`, written out so the format is pinned.
    const SEGMENT_ETAG: &str = "\"17979cfe3d85cd15-100\"";
    const LAST_MODIFIED: &str = "Tue, 14 Nov 2023 22:13:20 GMT";
    const SEGMENT: &str = "/dash/vod/s/v1/init.m4v";

    struct Tree {
        _dir: tempfile::TempDir,
        files: StaticFiles,
    }

    fn write(path: &Path, content: &[u8]) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
        let file = File::options().write(true).open(path).unwrap();
        file.set_modified(UNIX_EPOCH + Duration::from_nanos(MTIME_NS))
            .unwrap();
    }

    /// out/ with media, pages, hidden entries and symlinks in and out of it;
    /// outside/ holds what must never be reachable.
    fn tree() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let outside = dir.path().join("outside");
        let segment: Vec<u8> = (0..=255u8).collect();
        write(&out.join("index.html"), b"<h1>home</h1>");
        write(&out.join("dash/vod/s/v1/init.m4v"), &segment);
        write(&out.join("dash/vod/s/v1/1.m4s"), b"seg");
        write(&out.join("dash/vod/s/a1/1.m4a"), b"aud");
        write(&out.join("dash/vod/s/manifest.mpd"), b"<MPD/>");
        write(&out.join("dash/odvod/s/v1.mp4"), b"ondemand");
        write(&out.join("_headers"), b"/*\n");
        write(&out.join("nginx.conf"), b"server {}\n");
        write(&out.join("a b.txt"), b"space");
        write(&out.join("empty.txt"), b"");
        write(&out.join(".dashlive/index.json"), b"{}");
        write(&out.join(".hidden"), b"hidden");
        write(&out.join("sub2/index.html"), b"<h1>sub2</h1>");
        fs::create_dir_all(out.join("sub")).unwrap();
        write(&outside.join("secret.txt"), b"secret");
        symlink("../outside/secret.txt", out.join("link.txt")).unwrap();
        symlink(&outside, out.join("linkdir")).unwrap();
        symlink("dash/vod/s/v1/init.m4v", out.join("inlink.m4v")).unwrap();
        symlink(".dashlive/index.json", out.join("tohidden.json")).unwrap();
        symlink(".dashlive", out.join("tohiddendir")).unwrap();
        let files = StaticFiles::new(&out).unwrap();
        Tree { _dir: dir, files }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn get(t: &Tree, path: &str, pairs: &[(&str, &str)]) -> Response<Body> {
        t.files.serve(&Method::GET, path, &headers(pairs))
    }

    fn head(t: &Tree, path: &str, pairs: &[(&str, &str)]) -> Response<Body> {
        t.files.serve(&Method::HEAD, path, &headers(pairs))
    }

    fn header<'a>(r: &'a Response<Body>, name: &str) -> Option<&'a str> {
        r.headers().get(name).map(|v| v.to_str().unwrap())
    }

    /// The body's bytes; `Body` is always ready, so no runtime is needed.
    fn body(r: Response<Body>) -> Vec<u8> {
        let mut body = r.into_body();
        let mut out = Vec::new();
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            match hyper::body::Body::poll_frame(Pin::new(&mut body), &mut cx) {
                Poll::Ready(Some(Ok(frame))) => out.extend_from_slice(&frame.into_data().unwrap()),
                Poll::Ready(Some(Err(never))) => match never {},
                Poll::Ready(None) => return out,
                Poll::Pending => panic!("Body is never pending"),
            }
        }
    }

    fn segment_bytes(range: std::ops::RangeInclusive<u8>) -> Vec<u8> {
        range.collect()
    }

    #[test]
    fn get_serves_the_file_with_its_headers() {
        let t = tree();
        let r = get(&t, SEGMENT, &[]);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "content-type"), Some("video/mp4"));
        assert_eq!(
            header(&r, "cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(header(&r, "accept-ranges"), Some("bytes"));
        assert_eq!(header(&r, "content-length"), Some("256"));
        assert_eq!(header(&r, "etag"), Some(SEGMENT_ETAG));
        assert_eq!(header(&r, "last-modified"), Some(LAST_MODIFIED));
        assert_eq!(header(&r, "content-range"), None);
        assert_eq!(r.headers().len(), 6);
        assert_eq!(body(r), segment_bytes(0..=255));
    }

    #[test]
    fn each_kind_of_file_gets_its_type_and_caching() {
        let t = tree();
        let cases = [
            (
                "/dash/vod/s/manifest.mpd",
                "application/dash+xml",
                "public, max-age=60",
                &b"<MPD/>"[..],
            ),
            (
                "/dash/vod/s/v1/1.m4s",
                "application/mp4",
                "public, max-age=31536000, immutable",
                b"seg",
            ),
            (
                "/dash/vod/s/a1/1.m4a",
                "audio/mp4",
                "public, max-age=31536000, immutable",
                b"aud",
            ),
            (
                "/dash/odvod/s/v1.mp4",
                "video/mp4",
                "public, max-age=31536000, immutable",
                b"ondemand",
            ),
            (
                "/_headers",
                "text/plain; charset=utf-8",
                "public, max-age=60",
                b"/*\n",
            ),
            (
                "/nginx.conf",
                "text/plain; charset=utf-8",
                "public, max-age=60",
                b"server {}\n",
            ),
            (
                "/index.html",
                "text/html; charset=utf-8",
                "public, max-age=60",
                b"<h1>home</h1>",
            ),
            // Percent-encoded names decode to the file.
            (
                "/a%20b.txt",
                "text/plain; charset=utf-8",
                "public, max-age=60",
                b"space",
            ),
            (
                "/dash/vod/s/manifest%2Empd",
                "application/dash+xml",
                "public, max-age=60",
                b"<MPD/>",
            ),
            // A symlink that stays inside the root is followed.
            (
                "/inlink.m4v",
                "video/mp4",
                "public, max-age=60",
                &segment_bytes(0..=255),
            ),
        ];
        for (path, ty, cache, content) in cases {
            let r = get(&t, path, &[]);
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(header(&r, "content-type"), Some(ty), "{path}");
            assert_eq!(header(&r, "cache-control"), Some(cache), "{path}");
            assert_eq!(
                header(&r, "content-length"),
                Some(content.len().to_string().as_str()),
                "{path}"
            );
            assert_eq!(body(r), content, "{path}");
        }
    }

    #[test]
    fn head_has_the_get_headers_and_no_body() {
        let t = tree();
        for path in [SEGMENT, "/", "/dash/vod/s/manifest.mpd"] {
            let g = get(&t, path, &[]);
            let h = head(&t, path, &[]);
            assert_eq!(h.status(), StatusCode::OK);
            assert_eq!(h.headers(), g.headers(), "{path}");
            assert_eq!(h.body().len(), 0);
            assert_eq!(body(h), b"");
        }
    }

    #[test]
    fn a_directory_serves_its_index() {
        let t = tree();
        {
            let r = get(&t, "/", &[]);
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"));
            assert_eq!(header(&r, "cache-control"), Some("public, max-age=60"));
            assert_eq!(body(r), b"<h1>home</h1>");
        }
        for path in ["/sub2/", "/sub2"] {
            let r = get(&t, path, &[]);
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"));
            assert_eq!(body(r), b"<h1>sub2</h1>");
        }
        // No index.html: nothing to serve.
        for path in ["/sub/", "/sub", "/dash/", "/dash"] {
            let r = get(&t, path, &[]);
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        }
    }

    #[test]
    fn each_range_form_is_served_exactly() {
        let t = tree();
        let cases = [
            ("bytes=10-19", 10u8, 19u8),
            ("bytes=0-0", 0, 0),
            ("bytes=250-", 250, 255),
            ("bytes=-6", 250, 255),
            // The end is clamped, a long suffix is the whole file.
            ("bytes=250-999", 250, 255),
            ("bytes=0-99999999999999999999999", 0, 255),
            ("bytes=-1000", 0, 255),
            ("bytes=255-255", 255, 255),
            // Unit case and list whitespace are tolerated.
            ("Bytes= 3-4 ", 3, 4),
            ("bytes=,7-8,", 7, 8),
        ];
        for (range, first, last) in cases {
            let r = get(&t, SEGMENT, &[("range", range)]);
            assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{range}");
            let expected_range = format!("bytes {first}-{last}/256");
            assert_eq!(
                header(&r, "content-range"),
                Some(expected_range.as_str()),
                "{range}"
            );
            let len = (last - first) as usize + 1;
            assert_eq!(
                header(&r, "content-length"),
                Some(len.to_string().as_str()),
                "{range}"
            );
            assert_eq!(header(&r, "content-type"), Some("video/mp4"));
            assert_eq!(header(&r, "etag"), Some(SEGMENT_ETAG));
            assert_eq!(header(&r, "last-modified"), Some(LAST_MODIFIED));
            assert_eq!(header(&r, "accept-ranges"), Some("bytes"));
            assert_eq!(body(r), segment_bytes(first..=last), "{range}");
        }
    }

    #[test]
    fn a_range_past_the_end_is_416() {
        let t = tree();
        for range in [
            "bytes=256-",
            "bytes=256-300",
            "bytes=1000-2000",
            "bytes=-0",
            "bytes=99999999999999999999999-",
        ] {
            let r = get(&t, SEGMENT, &[("range", range)]);
            assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
            assert_eq!(header(&r, "content-range"), Some("bytes */256"), "{range}");
            assert_eq!(
                header(&r, "content-type"),
                Some("text/plain; charset=utf-8")
            );
            assert_eq!(
                body(r),
                format!("416 Range Not Satisfiable: {SEGMENT}\n").as_bytes()
            );
        }
    }

    #[test]
    fn an_unusable_range_header_gets_the_whole_file() {
        let t = tree();
        for range in [
            "bytes=5-2",
            "bytes=abc",
            "bytes=1-x",
            "bytes=",
            "bytes=-",
            "bytes 0-1",
            "bytes=--1",
            "bytes=1-2-3",
            "bytes=+1-2",
            "items=0-1",
            "=0-1",
            // Several ranges: deliberately the whole file (see `byte_range`).
            "bytes=0-1,5-6",
            "bytes=0-1, 300-400",
            "bytes=300-400,500-",
        ] {
            let r = get(&t, SEGMENT, &[("range", range)]);
            assert_eq!(r.status(), StatusCode::OK, "{range}");
            assert_eq!(header(&r, "content-range"), None);
            assert_eq!(header(&r, "content-length"), Some("256"));
            assert_eq!(body(r), segment_bytes(0..=255), "{range}");
        }
        // Two Range lines are not a single range either.
        let r = get(
            &t,
            SEGMENT,
            &[("range", "bytes=0-1"), ("range", "bytes=2-3")],
        );
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[test]
    fn head_ignores_range() {
        let t = tree();
        let r = head(&t, SEGMENT, &[("range", "bytes=0-9")]);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "content-length"), Some("256"));
        assert_eq!(header(&r, "content-range"), None);
        assert_eq!(body(r), b"");
    }

    #[test]
    fn if_range_decides_whether_the_range_applies() {
        let t = tree();
        let partial = [
            SEGMENT_ETAG,
            LAST_MODIFIED,
            // The same instant in the obsolete formats.
            "Tuesday, 14-Nov-23 22:13:20 GMT",
            "Tue Nov 14 22:13:20 2023",
        ];
        for validator in partial {
            let r = get(
                &t,
                SEGMENT,
                &[("range", "bytes=0-1"), ("if-range", validator)],
            );
            assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{validator}");
            assert_eq!(body(r), [0, 1], "{validator}");
        }
        let whole = [
            "\"other\"",
            // Weak tags never match If-Range.
            "W/\"17979cfe3d85cd15-100\"",
            "Tue, 14 Nov 2023 22:13:21 GMT",
            "Tue, 14 Nov 2023 22:13:19 GMT",
            "garbage",
            "",
        ];
        for validator in whole {
            let r = get(
                &t,
                SEGMENT,
                &[("range", "bytes=0-1"), ("if-range", validator)],
            );
            assert_eq!(r.status(), StatusCode::OK, "{validator}");
            assert_eq!(header(&r, "content-length"), Some("256"));
            assert_eq!(body(r), segment_bytes(0..=255), "{validator}");
        }
        // If-Range without Range is ignored.
        let r = get(&t, SEGMENT, &[("if-range", "\"other\"")]);
        assert_eq!(r.status(), StatusCode::OK);
        // A failed If-Range also sidesteps what would be a 416.
        let r = get(
            &t,
            SEGMENT,
            &[("range", "bytes=900-"), ("if-range", "\"other\"")],
        );
        assert_eq!(r.status(), StatusCode::OK);
    }

    fn assert_not_modified(r: Response<Body>, what: &str) {
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{what}");
        assert_eq!(header(&r, "etag"), Some(SEGMENT_ETAG));
        assert_eq!(header(&r, "last-modified"), Some(LAST_MODIFIED));
        assert_eq!(
            header(&r, "cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(r.headers().len(), 3, "{what}");
        assert_eq!(body(r), b"", "{what}");
    }

    #[test]
    fn if_none_match_gives_304() {
        let t = tree();
        let matching = [
            SEGMENT_ETAG.to_owned(),
            "*".to_owned(),
            // Weak comparison: a weak tag with the same opaque value matches.
            format!("W/{SEGMENT_ETAG}"),
            format!("\"a\", {SEGMENT_ETAG}"),
            format!("\"a,b\",{SEGMENT_ETAG} , \"c\""),
        ];
        for value in &matching {
            assert_not_modified(get(&t, SEGMENT, &[("if-none-match", value)]), value);
            assert_not_modified(head(&t, SEGMENT, &[("if-none-match", value)]), value);
        }
        // Split over two lines.
        let r = get(
            &t,
            SEGMENT,
            &[("if-none-match", "\"a\""), ("if-none-match", SEGMENT_ETAG)],
        );
        assert_not_modified(r, "two lines");
        // It is checked before Range.
        let r = get(
            &t,
            SEGMENT,
            &[("if-none-match", SEGMENT_ETAG), ("range", "bytes=0-1")],
        );
        assert_not_modified(r, "with range");

        let other = [
            "\"17979cfe3d85cd15-101\"",
            "\"a\", \"b\"",
            "17979cfe3d85cd15-100",
            // Malformed lists match nothing.
            "\"17979cfe3d85cd15-100\" x",
            "\"unterminated",
            "",
        ];
        for value in other {
            let r = get(&t, SEGMENT, &[("if-none-match", value)]);
            assert_eq!(r.status(), StatusCode::OK, "{value}");
            assert_eq!(body(r), segment_bytes(0..=255));
        }
    }

    #[test]
    fn if_modified_since_gives_304() {
        let t = tree();
        for date in [
            LAST_MODIFIED,
            "Tue, 14 Nov 2023 22:13:21 GMT",
            "Sun, 01 Jan 2040 00:00:00 GMT",
        ] {
            assert_not_modified(get(&t, SEGMENT, &[("if-modified-since", date)]), date);
            assert_not_modified(head(&t, SEGMENT, &[("if-modified-since", date)]), date);
        }
        for date in ["Tue, 14 Nov 2023 22:13:19 GMT", "not a date", ""] {
            let r = get(&t, SEGMENT, &[("if-modified-since", date)]);
            assert_eq!(r.status(), StatusCode::OK, "{date}");
            assert_eq!(body(r), segment_bytes(0..=255));
        }
        // If-None-Match takes precedence: a non-matching tag means 200 even
        // though the date alone would say 304.
        let r = get(
            &t,
            SEGMENT,
            &[
                ("if-none-match", "\"other\""),
                ("if-modified-since", LAST_MODIFIED),
            ],
        );
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[test]
    fn if_match_and_if_unmodified_since_give_412() {
        let t = tree();
        for (name, value) in [
            ("if-match", "\"other\""),
            // If-Match compares strongly.
            ("if-match", "W/\"17979cfe3d85cd15-100\""),
            ("if-unmodified-since", "Tue, 14 Nov 2023 22:13:19 GMT"),
        ] {
            let r = get(&t, SEGMENT, &[(name, value)]);
            assert_eq!(
                r.status(),
                StatusCode::PRECONDITION_FAILED,
                "{name}: {value}"
            );
            assert_eq!(
                body(r),
                format!("412 Precondition Failed: {SEGMENT}\n").as_bytes()
            );
        }
        for (name, value) in [
            ("if-match", SEGMENT_ETAG),
            ("if-match", "*"),
            ("if-unmodified-since", LAST_MODIFIED),
            ("if-unmodified-since", "garbage"),
        ] {
            let r = get(&t, SEGMENT, &[(name, value)]);
            assert_eq!(r.status(), StatusCode::OK, "{name}: {value}");
        }
        // A matching If-Match overrides If-Unmodified-Since.
        let r = get(
            &t,
            SEGMENT,
            &[
                ("if-match", SEGMENT_ETAG),
                ("if-unmodified-since", "Tue, 14 Nov 2023 22:13:19 GMT"),
            ],
        );
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[test]
    fn nothing_outside_the_root_or_hidden_is_served() {
        let t = tree();
        for path in [
            "/../outside/secret.txt",
            "/dash/../../outside/secret.txt",
            "/dash/vod/../../index.html",
            "/%2e%2e/outside/secret.txt",
            "/%2E%2e/outside/secret.txt",
            "/%2e%2E/outside/secret.txt",
            "/..%2foutside/secret.txt",
            "/..%2Foutside%2fsecret.txt",
            "/dash/%2e%2e/%2e%2e/outside/secret.txt",
            "/.%2e/outside/secret.txt",
            "/..",
            "/dash\\..\\..\\outside\\secret.txt",
            "/%5c..%5coutside%5csecret.txt",
            "/index.html%00",
            "/index.html%00.txt",
            "//etc/passwd",
            "/%2fetc/passwd",
            "/%2Fetc%2Fpasswd",
            "//",
            "/./index.html",
            "/dash/./vod/s/manifest.mpd",
            "/dash//vod/s/manifest.mpd",
            "/.dashlive/index.json",
            "/.dashlive/",
            "/%2edashlive/index.json",
            "/.hidden",
            // Symlinks out of the root, to a file and to a directory.
            "/link.txt",
            "/linkdir/secret.txt",
            "/linkdir/",
            "/linkdir",
            // Symlinks inside the root that land on hidden entries.
            "/tohidden.json",
            "/tohiddendir/index.json",
            // Not UTF-8 once decoded; not a path; a file asked for as a directory.
            "/%ff",
            "dash/vod/s/manifest.mpd",
            "",
            "/index.html/",
            "/missing.mpd",
            "/dash/vod/x/y.mpd",
        ] {
            let r = get(&t, path, &[]);
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(
                header(&r, "content-type"),
                Some("text/plain; charset=utf-8")
            );
            assert_eq!(header(&r, "cache-control"), Some("public, max-age=2"));
            let text = format!("404 Not Found: {path}\n");
            assert_eq!(
                header(&r, "content-length"),
                Some(text.len().to_string().as_str())
            );
            assert_eq!(body(r), text.as_bytes(), "{path}");
            // HEAD: the same status and headers, no body.
            let r = head(&t, path, &[]);
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(body(r), b"");
        }
    }

    #[test]
    fn an_error_body_repeats_at_most_a_bounded_path() {
        let t = tree();
        let long = format!("/{}", "é".repeat(300));
        let r = get(&t, &long, &[]);
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let text = String::from_utf8(body(r)).unwrap();
        // 255 bytes: '/' and 127 two-byte characters, cut on a character boundary.
        assert_eq!(text, format!("404 Not Found: /{}\n", "é".repeat(127)));
    }

    #[test]
    fn other_methods_are_405() {
        let t = tree();
        for method in [
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            Method::PATCH,
        ] {
            let r = t.files.serve(&method, SEGMENT, &HeaderMap::new());
            assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
            assert_eq!(header(&r, "allow"), Some("GET, HEAD"));
            assert_eq!(
                body(r),
                format!("405 Method Not Allowed: {method}\n").as_bytes()
            );
        }
    }

    #[test]
    fn an_empty_file_is_served_empty() {
        let t = tree();
        let r = get(&t, "/empty.txt", &[]);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "content-length"), Some("0"));
        assert_eq!(header(&r, "etag"), Some("\"17979cfe3d85cd15-0\""));
        assert_eq!(body(r), b"");
        // No byte position exists in an empty file.
        let r = get(&t, "/empty.txt", &[("range", "bytes=0-")]);
        assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(header(&r, "content-range"), Some("bytes */0"));
        // A suffix of an empty file is the whole (empty) file.
        let r = get(&t, "/empty.txt", &[("range", "bytes=-5")]);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(body(r), b"");
    }

    #[test]
    fn new_wants_an_existing_directory() {
        let t = tree();
        let dir = tempfile::tempdir().unwrap();
        assert!(StaticFiles::new(dir.path().join("missing")).is_err());
        let file = dir.path().join("file");
        fs::write(&file, b"x").unwrap();
        assert!(StaticFiles::new(&file).is_err());
        // The root is canonical even when given through a symlink.
        let via = dir.path().join("via");
        symlink(&t.files.root, &via).unwrap();
        let files = StaticFiles::new(&via).unwrap();
        assert_eq!(files.root, t.files.root);
        assert_eq!(
            files
                .serve(&Method::GET, SEGMENT, &HeaderMap::new())
                .status(),
            StatusCode::OK
        );
    }

    #[test]
    fn out_of_range_modification_times_do_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("old.txt");
        fs::write(&file, b"x").unwrap();
        let f = File::options().write(true).open(&file).unwrap();
        // Before the epoch: clamped to it.
        f.set_modified(UNIX_EPOCH - Duration::from_secs(10))
            .unwrap();
        let files = StaticFiles::new(dir.path()).unwrap();
        let r = files.serve(&Method::GET, "/old.txt", &HeaderMap::new());
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            header(&r, "last-modified"),
            Some("Thu, 01 Jan 1970 00:00:00 GMT")
        );
        assert_eq!(header(&r, "etag"), Some("\"0-1\""));
        // After year 9999 (ext4 cannot store that, so the clamp is checked
        // on the validators directly): clamped to its last second.
        let far = Validators::new(UNIX_EPOCH + Duration::from_secs(300_000_000_000), 1);
        assert_eq!(far.last_modified, "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(far.modified_secs, MAX_HTTP_DATE_SECS);
    }

    #[test]
    fn a_path_is_resolved_and_read_once_per_tree() {
        let t = tree();
        let r = get(&t, SEGMENT, &[]);
        assert_eq!(body(r), segment_bytes(0..=255));
        // A tree is never changed in place (a build makes a new one); this
        // one is, to show that what was served is kept: the file is gone,
        // yet served as it was, under any spelling of its name, with its
        // headers, ranges and conditions.
        fs::remove_file(t.files.root.join(SEGMENT.trim_start_matches('/'))).unwrap();
        for path in [
            SEGMENT,
            "/dash/vod/s/v1/init%2Em4v",
            "/dash/vod/s/v1/%69nit.m4v",
        ] {
            let r = get(&t, path, &[]);
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(header(&r, "content-type"), Some("video/mp4"));
            assert_eq!(header(&r, "etag"), Some(SEGMENT_ETAG));
            assert_eq!(header(&r, "last-modified"), Some(LAST_MODIFIED));
            assert_eq!(body(r), segment_bytes(0..=255), "{path}");
        }
        let r = get(&t, SEGMENT, &[("range", "bytes=1-2")]);
        assert_eq!(body(r), [1, 2]);
        assert_not_modified(get(&t, SEGMENT, &[("if-none-match", SEGMENT_ETAG)]), "kept");
        // The next tree (a new StaticFiles) looks at the disk again.
        let next = StaticFiles::new(&t.files.root).unwrap();
        let r = next.serve(&Method::GET, SEGMENT, &HeaderMap::new());
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn a_miss_is_not_kept() {
        let t = tree();
        assert_eq!(get(&t, "/later.txt", &[]).status(), StatusCode::NOT_FOUND);
        assert_eq!(get(&t, "/later/", &[]).status(), StatusCode::NOT_FOUND);
        write(&t.files.root.join("later.txt"), b"now");
        write(&t.files.root.join("later/index.html"), b"<h1>now</h1>");
        assert_eq!(body(get(&t, "/later.txt", &[])), b"now");
        assert_eq!(body(get(&t, "/later/", &[])), b"<h1>now</h1>");
    }

    #[test]
    fn small_files_are_read_and_larger_ones_mapped_alike() {
        let t = tree();
        let pattern = |n: u64| (0..n).map(|i| (i % 251) as u8).collect::<Vec<u8>>();
        for size in [READ_MAX - 1, READ_MAX, READ_MAX + 1, 3 * READ_MAX + 17] {
            let name = format!("/sized/{size}.m4s");
            let content = pattern(size);
            write(&t.files.root.join(&name[1..]), &content);
            for _ in 0..2 {
                let r = get(&t, &name, &[]);
                assert_eq!(r.status(), StatusCode::OK, "{size}");
                let etag = format!("\"17979cfe3d85cd15-{size:x}\"");
                assert_eq!(header(&r, "etag"), Some(etag.as_str()), "{size}");
                assert_eq!(body(r), content, "{size}");
                let r = get(&t, &name, &[("range", "bytes=-3")]);
                assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{size}");
                assert_eq!(body(r), content[content.len() - 3..], "{size}");
            }
        }
    }

    #[test]
    fn a_file_too_large_to_keep_is_served_from_the_disk_each_time() {
        let t = tree();
        let path = t.files.root.join("large.mp4");
        write(&path, b"");
        // Sparse: nothing is written, and only one byte is ever read.
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(CACHE_MAX_FILE + 1)
            .unwrap();
        let r = get(&t, "/large.mp4", &[("range", "bytes=-1")]);
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        let range = format!("bytes {0}-{0}/{1}", CACHE_MAX_FILE, CACHE_MAX_FILE + 1);
        assert_eq!(header(&r, "content-range"), Some(range.as_str()));
        assert_eq!(body(r), [0]);
        // Not kept: once removed, it is not served.
        fs::remove_file(&path).unwrap();
        assert_eq!(get(&t, "/large.mp4", &[]).status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn the_content_type_table() {
        for (path, ty) in [
            ("dash/vod/s/m.mpd", "application/dash+xml"),
            ("/x.m4v", "video/mp4"),
            ("x.m4a", "audio/mp4"),
            ("x.m4s", "application/mp4"),
            ("dash/odvod/s/a1.mp4", "video/mp4"),
            ("index.html", "text/html; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("site.css", "text/css; charset=utf-8"),
            ("x.json", "application/json"),
            ("readme.txt", "text/plain; charset=utf-8"),
            ("_headers", "text/plain; charset=utf-8"),
            ("/_headers", "text/plain; charset=utf-8"),
            ("nginx.conf", "text/plain; charset=utf-8"),
            ("a.png", "image/png"),
            ("a.jpg", "image/jpeg"),
            ("a.svg", "image/svg+xml"),
            ("favicon.ico", "image/x-icon"),
            ("a.xml", "application/xml"),
            ("A.MPD", "application/dash+xml"),
            ("x.bin", "application/octet-stream"),
            ("noextension", "application/octet-stream"),
            ("dir.mpd/file", "application/octet-stream"),
            ("", "application/octet-stream"),
        ] {
            assert_eq!(content_type(path), ty, "{path}");
        }
    }

    #[test]
    fn the_cache_control_table() {
        for (path, cache) in [
            ("dash/vod/s/m.mpd", "public, max-age=60"),
            ("/dash/odvod/s/m.mpd", "public, max-age=60"),
            (
                "dash/vod/s/v1/init.m4v",
                "public, max-age=31536000, immutable",
            ),
            (
                "/dash/vod/s/v1/time/0.m4v",
                "public, max-age=31536000, immutable",
            ),
            ("dash/vod/s/a1/1.m4a", "public, max-age=31536000, immutable"),
            ("dash/vod/s/v1/1.m4s", "public, max-age=31536000, immutable"),
            (
                "/dash/odvod/s/v1.mp4",
                "public, max-age=31536000, immutable",
            ),
            // Media outside dash/ is not known to be immutable.
            ("x.m4v", "public, max-age=60"),
            ("index.html", "public, max-age=60"),
            ("_headers", "public, max-age=60"),
            ("dash/vod/s/notes.txt", "public, max-age=60"),
        ] {
            assert_eq!(cache_control(path), cache, "{path}");
        }
    }
}
