//! `dashlive upload`: the streams of dash-live upload files, onto a running
//! origin through its admin API. Per stream, in the order the origin needs:
//! the stream (added, or its title and licence URLs updated), its keys
//! (dash-live's keys are global: every key of the file goes to every stream
//! of it), its media (one multipart upload streamed from disk, so one
//! rebuild), then its timing reference, now that the file is there.

use std::io::Read;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use super::client::Client;
use super::upload_file::{self, Key, Stream, UploadFile};
use super::{Progress, TransferError};

/// What an upload did, per stream.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub directory: String,
    /// Added (else updated).
    pub added: bool,
    pub files: usize,
    pub bytes: u64,
    /// The player page the origin gives for it.
    pub play: Option<String>,
    /// Seconds from the media body's first byte read to its last.
    pub sent_s: f64,
    /// Seconds from the body's last byte read to the origin's answer: its
    /// indexing, rebuild and swap (the stream plays once answered).
    pub answered_s: f64,
}

/// A body that notes when its last byte was read (by count: a client
/// sending a known length stops reading at it, without seeing the end).
struct Timed<R> {
    inner: R,
    left: u64,
    done: Arc<OnceLock<Instant>>,
}

impl<R: Read> Read for Timed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.saturating_sub(n as u64);
        if self.left == 0 || (n == 0 && !buf.is_empty()) {
            let _ = self.done.set(Instant::now());
        }
        Ok(n)
    }
}

/// What sending the media gave.
struct Sent {
    files: usize,
    bytes: u64,
    play: Option<String>,
    sent_s: f64,
    answered_s: f64,
}

/// Uploads every stream of one upload file.
pub fn upload_file(
    client: &Client,
    path: &Path,
    progress: &dyn Progress,
) -> Result<Vec<Uploaded>, TransferError> {
    let file = upload_file::read(path)?;
    progress.line(&format!(
        "{}: upload format v{}, {} stream(s), {} key(s)",
        path.display(),
        file.version,
        file.streams.len(),
        file.keys.len()
    ));
    file.streams
        .iter()
        .map(|s| upload_stream(client, &file, s, progress))
        .collect()
}

/// A refusal of something done for a stream of an upload file.
fn refused(file: &UploadFile, what: &str) -> String {
    format!("{}: {what}", file.path.display())
}

fn upload_stream(
    client: &Client,
    file: &UploadFile,
    s: &Stream,
    progress: &dyn Progress,
) -> Result<Uploaded, TransferError> {
    let dir = &s.directory;
    let page = format!("/admin/streams/{dir}");
    let existing = client.get(&page)?;
    let mut fields: Vec<(&str, &str)> = vec![("title", &s.title)];
    fields.push((
        "playready_la_url",
        s.playready_la_url.as_deref().unwrap_or(""),
    ));
    fields.push(("marlin_la_url", s.marlin_la_url.as_deref().unwrap_or("")));
    let added = match existing.status {
        200 => {
            client
                .post_form(&page, &fields)?
                .expect(refused(file, &format!("updating stream {dir}")))?;
            progress.line(&format!(
                "  stream {dir}: exists, title and licence URLs updated"
            ));
            false
        }
        404 => {
            fields.push(("directory", dir));
            client
                .post_form("/admin/streams", &fields)?
                .expect(refused(file, &format!("adding stream {dir}")))?;
            progress.line(&format!("  stream {dir}: added"));
            true
        }
        status => {
            existing.expect(refused(file, &format!("reading stream {dir}")))?;
            // A 2xx other than 200 is no answer of this page.
            return Err(TransferError::Unexpected {
                url: client.url(&page),
                message: format!("status {status}"),
            });
        }
    };
    for k in &file.keys {
        set_key(client, file, dir, k)?;
        progress.line(&format!(
            "  stream {dir}: key {}{}",
            k.kid,
            if k.computed { " (computed)" } else { "" }
        ));
    }
    let sent = send_media(client, file, s, progress)?;
    if let Some(t) = &s.timing_ref {
        let now = client
            .get(&page)?
            .expect(refused(file, &format!("reading stream {dir}")))?;
        if now.json["stream"]["timingRef"].as_str() != Some(t.as_str()) {
            client
                .post_form(&page, &[("timing_ref", t)])?
                .expect(refused(
                    file,
                    &format!("setting the timing reference of {dir}"),
                ))?;
        }
        progress.line(&format!("  stream {dir}: timing reference {t}"));
    }
    if let Some(p) = &sent.play {
        progress.line(&format!("  stream {dir}: ready, {}", client.url(p)));
    }
    Ok(Uploaded {
        directory: dir.clone(),
        added,
        files: sent.files,
        bytes: sent.bytes,
        play: sent.play,
        sent_s: sent.sent_s,
        answered_s: sent.answered_s,
    })
}

fn set_key(client: &Client, file: &UploadFile, dir: &str, k: &Key) -> Result<(), TransferError> {
    let mut fields = vec![("action", "set"), ("kid", k.kid.as_str())];
    if k.computed {
        fields.push(("computed", "1"));
    } else if let Some(key) = &k.key {
        fields.push(("key", key));
    }
    client
        .post_form(&format!("/admin/streams/{dir}/keys"), &fields)?
        .expect(refused(file, &format!("setting key {} of {dir}", k.kid)))?;
    Ok(())
}

/// One multipart upload of the stream's files; a file the origin could
/// not index is an error naming it and the origin's reason.
fn send_media(
    client: &Client,
    file: &UploadFile,
    s: &Stream,
    progress: &dyn Progress,
) -> Result<Sent, TransferError> {
    let dir = &s.directory;
    let started = Instant::now();
    let names: Vec<String> = s
        .files
        .iter()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let (ctype, len, body) = super::multipart::files("file", &s.files)?;
    progress.line(&format!(
        "  stream {dir}: sending {} file(s), {:.1} MB: {}",
        s.files.len(),
        len as f64 / 1e6,
        names.join(", ")
    ));
    let done = Arc::new(OnceLock::new());
    let body = Timed {
        inner: body,
        left: len,
        done: done.clone(),
    };
    let answer = client.post_stream(&format!("/admin/streams/{dir}/media"), &ctype, len, body)?;
    let answered = Instant::now();
    let last_byte = done.get().copied().unwrap_or(answered);
    let sent_s = last_byte.duration_since(started).as_secs_f64();
    let answered_s = answered.duration_since(last_byte).as_secs_f64();
    // A 422 lists the files the origin refused: name them, not just the status.
    let errors: Vec<String> = answer.json["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let e = f.get("error")?.as_str()?;
            Some(format!("{}: {e}", f["file"].as_str().unwrap_or("?")))
        })
        .collect();
    if !errors.is_empty() {
        return Err(TransferError::Refused {
            what: refused(file, &format!("uploading the media of {dir}")),
            status: answer.status,
            reason: errors.join("; "),
        });
    }
    let answer = answer.expect(refused(file, &format!("uploading the media of {dir}")))?;
    progress.line(&format!(
        "  stream {dir}: {} file(s) sent in {sent_s:.2} s ({:.0} MB/s), indexed and live {:.0} ms after the last byte",
        s.files.len(),
        len as f64 / 1e6 / sent_s.max(1e-6),
        answered_s * 1e3
    ));
    Ok(Sent {
        files: s.files.len(),
        bytes: len,
        play: answer.json["play"].as_str().map(String::from),
        sent_s,
        answered_s,
    })
}
