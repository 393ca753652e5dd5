//! `dashlive download`: a server's catalog and media as a `config/` folder
//! `dashlive build` takes (`DEST/streams/<directory>.yaml`, the media in
//! `DEST/media/<directory>/`). From a dashlive origin: its admin API's
//! stream list (key values need the media group) and each media file over
//! its on-demand URL, which is the uploaded file byte for byte. From a
//! dash-live server: its stream list (`GET /streams` as JSON: `keys`,
//! `streams[].media_files`) and each file over the on-demand URL with
//! `Range: bytes=0-`, as dash-live's own downloader fetches them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::client::Client;
use super::{Progress, TransferError};
use crate::catalog::keys::KeyEntry;
use crate::catalog::stream::{valid_directory, StreamFile};
use crate::layout::on_demand_path;

/// Which kind of server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Dashlive,
    DashLive,
}

/// A stream as both servers' lists give it, once read.
#[derive(Debug, Clone)]
struct Listed {
    stream: StreamFile,
    /// (URL path of the file, the name it is saved under).
    files: Vec<(String, String)>,
}

/// Tells the two apart: dash-live answers `GET /streams` with its JSON
/// stream list; a dashlive origin has no such route.
pub fn detect(client: &Client) -> Result<Source, TransferError> {
    let a = client.get("/streams")?;
    Ok(if a.ok() && a.json["streams"].is_array() {
        Source::DashLive
    } else {
        Source::Dashlive
    })
}

fn unexpected(client: &Client, path: &str, message: impl Into<String>) -> TransferError {
    TransferError::Unexpected {
        url: client.url(path),
        message: message.into(),
    }
}

fn checked_directory(client: &Client, path: &str, d: &str) -> Result<String, TransferError> {
    // The name becomes a folder and a file here: one plain path segment only.
    if valid_directory(d) {
        Ok(d.to_string())
    } else {
        Err(unexpected(
            client,
            path,
            format!("stream directory {d:?} is not one plain name"),
        ))
    }
}

/// A media file name from the server, used as a file name here.
fn plain_file(name: &str) -> Option<&str> {
    (!name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)))
    .then_some(name)
}

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(String::from)
}

fn key_of(client: &Client, path: &str, k: &Value) -> Result<KeyEntry, TransferError> {
    let kid = text(&k["kid"]).ok_or_else(|| unexpected(client, path, "a key without kid"))?;
    let computed = k["computed"].as_bool().unwrap_or(false);
    let key = text(&k["key"]);
    if !computed && key.is_none() {
        return Err(unexpected(
            client,
            path,
            format!("key {kid}: its value is hidden (log in as a user of its media group: --username and --password)"),
        ));
    }
    Ok(KeyEntry {
        kid,
        key: if computed { None } else { key },
        computed,
    })
}

fn list_dashlive(client: &Client, progress: &dyn Progress) -> Result<Vec<Listed>, TransferError> {
    let path = "/admin/streams";
    let a = client.get(path)?.expect("listing the streams")?;
    let streams = a.json["streams"]
        .as_array()
        .ok_or_else(|| unexpected(client, path, "no streams list"))?;
    let mut out = Vec::new();
    for s in streams {
        let directory = checked_directory(client, path, s["directory"].as_str().unwrap_or(""))?;
        if s["draft"].as_bool() == Some(true) {
            progress.line(&format!(
                "  stream {directory}: a draft without media, left out"
            ));
            continue;
        }
        let mut files = Vec::new();
        for m in s["media"].as_array().into_iter().flatten() {
            let (Some(rep), Some(file)) =
                (m["rep"].as_str(), m["file"].as_str().and_then(plain_file))
            else {
                return Err(unexpected(
                    client,
                    path,
                    format!("stream {directory}: a media entry without rep or plain file name"),
                ));
            };
            files.push((
                format!("/{}", on_demand_path(&directory, rep)),
                file.to_string(),
            ));
        }
        let keys = s["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| key_of(client, path, k))
            .collect::<Result<Vec<_>, _>>()?;
        let defaults: BTreeMap<String, serde_yaml::Value> = s["defaults"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), serde_yaml::Value::String(v.as_str()?.into()))))
            .collect();
        out.push(Listed {
            stream: StreamFile {
                title: text(&s["title"]).unwrap_or_else(|| directory.clone()),
                media: media_paths(&directory, &files),
                timing_ref: text(&s["timingRef"]).unwrap_or_default(),
                keys,
                playready_la_url: text(&s["playreadyLaUrl"]),
                marlin_la_url: text(&s["marlinLaUrl"]),
                defaults,
                directory,
            },
            files,
        });
    }
    Ok(out)
}

/// dash-live's stream list, as much of it as the catalog needs.
#[derive(Debug, Deserialize)]
struct DashLiveList {
    #[serde(default)]
    keys: Vec<Value>,
    streams: Vec<DashLiveStream>,
}

#[derive(Debug, Deserialize)]
struct DashLiveStream {
    directory: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    marlin_la_url: Option<String>,
    #[serde(default)]
    playready_la_url: Option<String>,
    /// Either a file name, or dash-live's timing reference object with
    /// its `media_name`.
    #[serde(default)]
    timing_ref: Option<Value>,
    #[serde(default)]
    timing_reference: Option<Value>,
    #[serde(default)]
    media_files: Vec<DashLiveMedia>,
}

#[derive(Debug, Deserialize)]
struct DashLiveMedia {
    name: String,
}

fn list_dash_live(client: &Client, progress: &dyn Progress) -> Result<Vec<Listed>, TransferError> {
    // `ajax=1`: dash-live's own clients ask for the JSON form so.
    let path = "/streams?ajax=1";
    let a = client.get(path)?.expect("listing the streams")?;
    let list: DashLiveList = serde_json::from_value(a.json)
        .map_err(|e| unexpected(client, path, format!("the stream list: {e}")))?;
    // dash-live shows key values to its media group only: a key it hides
    // is left out (its streams will need it set again), and said.
    let mut keys = Vec::new();
    for k in &list.keys {
        match key_of(client, path, k) {
            Ok(k) => keys.push(k),
            Err(e) => progress.line(&format!("  left out: {e}")),
        }
    }
    let mut out = Vec::new();
    for s in list.streams {
        let directory = checked_directory(client, path, &s.directory)?;
        let mut files = Vec::new();
        for m in &s.media_files {
            // dash-live names a media file by its stem; its on-demand URL adds `.mp4`.
            let stem = Path::new(&m.name)
                .file_stem()
                .and_then(|n| n.to_str())
                .and_then(plain_file);
            let Some(stem) = stem else {
                return Err(unexpected(
                    client,
                    path,
                    format!(
                        "stream {directory}: media file {:?} is not a plain name",
                        m.name
                    ),
                ));
            };
            files.push((
                format!("/dash/odvod/{directory}/{stem}.mp4"),
                format!("{stem}.mp4"),
            ));
        }
        let timing = s.timing_ref.or(s.timing_reference).and_then(|t| match t {
            Value::String(name) => Some(name),
            other => text(&other["media_name"]),
        });
        let timing_ref = timing
            .map(|t| crate::catalog::rep_id(Path::new(&t)))
            .unwrap_or_default();
        out.push(Listed {
            stream: StreamFile {
                title: s.title.unwrap_or_else(|| directory.clone()),
                media: media_paths(&directory, &files),
                timing_ref,
                keys: keys.clone(),
                playready_la_url: s.playready_la_url.filter(|u| !u.is_empty()),
                marlin_la_url: s.marlin_la_url.filter(|u| !u.is_empty()),
                defaults: BTreeMap::new(),
                directory,
            },
            files,
        });
    }
    Ok(out)
}

/// The media paths as the stream file names them: relative to `streams/`.
fn media_paths(directory: &str, files: &[(String, String)]) -> Vec<PathBuf> {
    files
        .iter()
        .map(|(_, name)| Path::new("../media").join(directory).join(name))
        .collect()
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TransferError + '_ {
    move |source| TransferError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Downloads every stream into `dest` (a `config/` folder); the stream
/// files written.
pub fn download(
    client: &Client,
    source: Source,
    dest: &Path,
    progress: &dyn Progress,
) -> Result<Vec<PathBuf>, TransferError> {
    let listed = match source {
        Source::Dashlive => list_dashlive(client, progress)?,
        Source::DashLive => list_dash_live(client, progress)?,
    };
    progress.line(&format!(
        "{} stream(s) from {}",
        listed.len(),
        client.url("")
    ));
    let streams_dir = dest.join("streams");
    std::fs::create_dir_all(&streams_dir).map_err(io(&streams_dir))?;
    let mut written = Vec::new();
    for l in listed {
        let dir = &l.stream.directory;
        let media_dir = dest.join("media").join(dir);
        std::fs::create_dir_all(&media_dir).map_err(io(&media_dir))?;
        let mut total = 0u64;
        for (url, name) in &l.files {
            let target = media_dir.join(name);
            // Dropped (and so removed) unless the whole file came.
            let mut part = crate::fsutil::staging_file(&media_dir).map_err(io(&media_dir))?;
            let n = client.download(url, &mut part)?;
            part.as_file().sync_data().map_err(io(part.path()))?;
            part.persist(&target).map_err(|e| io(&target)(e.error))?;
            total += n;
        }
        let yaml = serde_yaml::to_string(&l.stream)
            .map_err(|e| unexpected(client, "", format!("stream {dir} as YAML: {e}")))?;
        let target = streams_dir.join(format!("{dir}.yaml"));
        let body = format!(
            "# Downloaded from {} by dashlive download.\n{yaml}",
            client.url("")
        );
        crate::fsutil::write_atomic(&target, body.as_bytes()).map_err(io(&target))?;
        progress.line(&format!(
            "  stream {dir}: {} file(s), {:.1} MB",
            l.files.len(),
            total as f64 / 1e6
        ));
        written.push(target);
    }
    Ok(written)
}
