//! Errors of the MP4 layer. Every error names the byte offset in the file and
//! the path of the box it happened in, so a broken file can be diagnosed from
//! the message alone.

use std::fmt;

/// What went wrong, without the location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error("truncated: needs {need} bytes, {have} available")]
    Truncated { need: u64, have: u64 },
    #[error("box size {size} is smaller than its {header}-byte header")]
    SizeTooSmall { size: u64, header: u64 },
    #[error("box size {size} runs past its parent ({available} bytes left)")]
    PastParent { size: u64, available: u64 },
    #[error("{what} count {count} exceeds the limit {limit}")]
    TooMany {
        what: &'static str,
        count: u64,
        limit: u64,
    },
    #[error("boxes nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("{0}")]
    Invalid(String),
    #[error("read failed: {0}")]
    Io(String),
}

/// An error located in a file: `moov/trak[0]/mdia/minf/stbl/stsd/avc1/avcC at 0x1f4: truncated`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mp4Error {
    pub offset: u64,
    pub path: String,
    pub kind: ErrorKind,
}

impl Mp4Error {
    pub fn new(offset: u64, path: impl Into<String>, kind: ErrorKind) -> Self {
        Mp4Error {
            offset,
            path: path.into(),
            kind,
        }
    }
}

impl fmt::Display for Mp4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "at {:#x}: {}", self.offset, self.kind)
        } else {
            write!(f, "{} at {:#x}: {}", self.path, self.offset, self.kind)
        }
    }
}

impl std::error::Error for Mp4Error {}

pub type Result<T, E = Mp4Error> = std::result::Result<T, E>;

/// A field-level error: where inside a box payload a read failed. The box
/// parser turns it into an [`Mp4Error`] once it knows the box's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub at: usize,
    pub kind: ErrorKind,
}

impl FieldError {
    pub fn invalid(at: usize, msg: impl Into<String>) -> Self {
        FieldError {
            at,
            kind: ErrorKind::Invalid(msg.into()),
        }
    }

    pub fn locate(self, payload_offset: u64, path: &str) -> Mp4Error {
        Mp4Error::new(payload_offset + self.at as u64, path, self.kind)
    }
}
