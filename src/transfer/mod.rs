//! The upload and download CLIs (`dashlive upload`, `dashlive download`):
//! HTTP clients of a running origin's admin API (and, for download, of a
//! dash-live server's public routes). They never touch the origin's store
//! or `config/` directly: everything goes through the routes and their one
//! guard, as a browser's changes do.
//!
//! - [`upload_file`]: dash-live's upload JSON (v1 and v2), typed.
//! - [`client`]: an admin API session (API token, or a login as a browser
//!   makes it: the login form's CSRF token and cookie, then the session's).
//! - [`multipart`]: a `multipart/form-data` body read from disk as it is
//!   sent, with its length known beforehand.
//! - [`upload`], [`download`]: the two commands.

pub mod client;
pub mod download;
pub mod multipart;
pub mod upload;
pub mod upload_file;

use std::path::PathBuf;

/// Why an upload or a download stopped.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// An upload JSON file that does not read: the file and the field.
    #[error("{file}: {message}")]
    UploadFile { file: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The server could not be reached or stopped answering.
    #[error("{url}: {message}")]
    Http { url: String, message: String },
    /// The server refused: its status and its reason.
    #[error("{what}: the server answered {status}: {reason}")]
    Refused {
        what: String,
        status: u16,
        reason: String,
    },
    /// The server's answer is not what its API says.
    #[error("{url}: unexpected answer: {message}")]
    Unexpected { url: String, message: String },
}

/// Where progress lines go (stderr in the CLI; tests collect them).
pub trait Progress {
    fn line(&self, text: &str);
}

/// Progress to stderr.
pub struct Stderr;

impl Progress for Stderr {
    fn line(&self, text: &str) {
        eprintln!("{text}");
    }
}

/// No progress lines.
pub struct Silent;

impl Progress for Silent {
    fn line(&self, _: &str) {}
}
