//! dash-live's upload JSON, both versions, read into one form.
//!
//! - v2: `{"keys": [{"kid", "key"?, "computed"}], "streams": [{"directory",
//!   "title", "marlin_la_url"?, "playready_la_url"?, "files": […],
//!   "timing_ref"}]}`.
//! - v1: `{"keys": […], "files": […], "streams": [{"prefix", "title", …}]}`:
//!   a stream's files are those whose name starts with its prefix, and the
//!   prefix is its directory; it names no timing reference (the origin
//!   takes the first video).
//!
//! Media file names are relative to the JSON file's folder.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::TransferError;
use crate::catalog::rep_id;
use crate::catalog::stream::valid_directory;

use crate::catalog::import::UploadFile as FileV2;
/// A key of the file; v2's model is the catalog import's.
pub use crate::catalog::import::UploadKey as Key;

#[derive(Debug, Deserialize)]
struct StreamV1 {
    prefix: String,
    title: String,
    #[serde(default)]
    marlin_la_url: Option<String>,
    #[serde(default)]
    playready_la_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FileV1 {
    #[serde(default)]
    keys: Vec<Key>,
    files: Vec<PathBuf>,
    streams: Vec<StreamV1>,
}

/// One stream to create or update.
#[derive(Debug, Clone)]
pub struct Stream {
    pub directory: String,
    pub title: String,
    pub marlin_la_url: Option<String>,
    pub playready_la_url: Option<String>,
    /// Absolute or relative to the working folder (resolved from the JSON's).
    pub files: Vec<PathBuf>,
    /// A representation id (a file's stem).
    pub timing_ref: Option<String>,
}

/// An upload file, whichever its version.
#[derive(Debug, Clone)]
pub struct UploadFile {
    pub path: PathBuf,
    pub version: u8,
    pub keys: Vec<Key>,
    pub streams: Vec<Stream>,
}

fn invalid(file: &Path, field: &str, why: impl std::fmt::Display) -> TransferError {
    TransferError::UploadFile {
        file: file.to_path_buf(),
        message: format!("{field}: {why}"),
    }
}

/// Reads and checks an upload file: JSON syntax and fields (with line and
/// column), then what the server would refuse later, named by field
/// (`streams[0].files[2]`), so nothing is sent for a file that is wrong.
pub fn read(path: &Path) -> Result<UploadFile, TransferError> {
    let text = std::fs::read_to_string(path).map_err(|source| TransferError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| TransferError::UploadFile {
            file: path.to_path_buf(),
            message: format!("not JSON: {e}"),
        })?;
    let syntax = |e: serde_json::Error, version: u8| TransferError::UploadFile {
        file: path.to_path_buf(),
        message: format!("upload format v{version}: {e}"),
    };
    let base = path.parent().unwrap_or(Path::new("."));
    // v1 lists files at the top and names streams by prefix.
    let v1 = value.get("files").is_some()
        || value["streams"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s.get("prefix").is_some()));
    let (version, keys, streams) = if v1 {
        let f: FileV1 = serde_json::from_str(&text).map_err(|e| syntax(e, 1))?;
        let streams = f
            .streams
            .into_iter()
            .map(|s| Stream {
                files: f
                    .files
                    .iter()
                    .filter(|name| name.to_string_lossy().starts_with(&s.prefix))
                    .map(|name| base.join(name))
                    .collect(),
                directory: s.prefix,
                title: s.title,
                marlin_la_url: s.marlin_la_url,
                playready_la_url: s.playready_la_url,
                timing_ref: None,
            })
            .collect();
        (1, f.keys, streams)
    } else {
        let f: FileV2 = serde_json::from_str(&text).map_err(|e| syntax(e, 2))?;
        let streams = f
            .streams
            .into_iter()
            .map(|s| Stream {
                files: s.files.iter().map(|name| base.join(name)).collect(),
                directory: s.directory,
                title: s.title,
                marlin_la_url: s.marlin_la_url,
                playready_la_url: s.playready_la_url,
                timing_ref: Some(rep_id(Path::new(&s.timing_ref))),
            })
            .collect();
        (2, f.keys, streams)
    };
    let file = UploadFile {
        path: path.to_path_buf(),
        version,
        keys,
        streams,
    };
    check(&file)?;
    Ok(file)
}

fn check(f: &UploadFile) -> Result<(), TransferError> {
    let path = &f.path;
    for (i, k) in f.keys.iter().enumerate() {
        crate::drm::Kid::parse(&k.kid).map_err(|e| invalid(path, &format!("keys[{i}].kid"), e))?;
        if !k.computed && k.key.as_deref().is_none_or(str::is_empty) {
            return Err(invalid(
                path,
                &format!("keys[{i}].key"),
                "required unless \"computed\": true",
            ));
        }
    }
    if f.streams.is_empty() {
        return Err(invalid(path, "streams", "no stream to upload"));
    }
    let name = if f.version == 1 {
        "prefix"
    } else {
        "directory"
    };
    for (i, s) in f.streams.iter().enumerate() {
        if !valid_directory(&s.directory) {
            return Err(invalid(
                path,
                &format!("streams[{i}].{name}"),
                format_args!(
                    "{:?} is not one URL path segment (letters, digits, '-', '_', '.')",
                    s.directory
                ),
            ));
        }
        if s.files.is_empty() {
            return Err(invalid(
                path,
                &format!("streams[{i}].files"),
                "no media file",
            ));
        }
        for (j, file) in s.files.iter().enumerate() {
            if !file.is_file() {
                return Err(invalid(
                    path,
                    &format!("streams[{i}].files[{j}]"),
                    format_args!("{} is not a file", file.display()),
                ));
            }
        }
        if let Some(t) = &s.timing_ref {
            if !s.files.iter().any(|p| rep_id(p) == *t) {
                return Err(invalid(
                    path,
                    &format!("streams[{i}].timing_ref"),
                    format_args!("{t:?} is none of the stream's files"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn v1_and_v2_read_into_the_same_form() {
        let d = tempfile::tempdir().unwrap();
        for f in ["a_v1.mp4", "a_a1.mp4", "b_v1.mp4"] {
            write(d.path(), f, "x");
        }
        let v2 = write(
            d.path(),
            "v2.json",
            r#"{"keys":[{"kid":"c001de8e567b5fcfbc22c565ed5bda24","key":"533a583a843436a536fbe2a5821c4b6c"},
                {"kid":"1ab45440532c439994dc5c5ad9584bac","computed":true}],
               "streams":[{"directory":"a","title":"A","files":["a_v1.mp4","a_a1.mp4"],"timing_ref":"a_v1.mp4"}]}"#,
        );
        let f = read(&v2).unwrap();
        assert_eq!(f.version, 2);
        assert_eq!(f.keys.len(), 2);
        assert_eq!(f.streams[0].timing_ref.as_deref(), Some("a_v1"));
        assert_eq!(f.streams[0].files[1], d.path().join("a_a1.mp4"));
        let v1 = write(
            d.path(),
            "v1.json",
            r#"{"keys":[],"files":["a_v1.mp4","a_a1.mp4","b_v1.mp4"],
               "streams":[{"prefix":"a","title":"A"},{"prefix":"b","title":"B"}]}"#,
        );
        let f = read(&v1).unwrap();
        assert_eq!(f.version, 1);
        assert_eq!(f.streams[0].directory, "a");
        assert_eq!(f.streams[0].files.len(), 2);
        assert_eq!(f.streams[1].files, vec![d.path().join("b_v1.mp4")]);
        assert_eq!(f.streams[1].timing_ref, None);
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.mp4", "x");
        let cases = [
            (
                r#"{"streams":[{"title":"A","files":["a.mp4"]}]}"#,
                "missing field `directory`",
            ),
            (
                r#"{"streams":[{"directory":"../x","title":"A","files":["a.mp4"],"timing_ref":"a"}]}"#,
                "streams[0].directory",
            ),
            (
                r#"{"streams":[{"directory":"a","title":"A","files":["a.mp4","gone.mp4"],"timing_ref":"a"}]}"#,
                "streams[0].files[1]",
            ),
            (
                r#"{"streams":[{"directory":"a","title":"A","files":["a.mp4"],"timing_ref":"b.mp4"}]}"#,
                "streams[0].timing_ref",
            ),
            (r#"{"keys":[{"kid":"zz"}],"streams":[]}"#, "keys[0].kid"),
            (
                r#"{"keys":[{"kid":"1ab45440532c439994dc5c5ad9584bac"}],"streams":[]}"#,
                "keys[0].key",
            ),
            (r#"{"streams": [}"#, "not JSON"),
        ];
        for (text, field) in cases {
            let p = write(d.path(), "u.json", text);
            let e = read(&p).unwrap_err().to_string();
            assert!(e.contains("u.json") && e.contains(field), "{text}: {e}");
        }
    }
}
