//! Catalog errors: each names the file, the line and column, and the field.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{}: {source}", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    /// YAML that does not parse or does not fit the format: unknown or
    /// missing fields, wrong types.
    #[error("{}:{line}:{column}: {message}", file.display())]
    Syntax {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}:{line}:{column}: media: {}: no such file", file.display(), path.display())]
    MissingMedia {
        file: PathBuf,
        line: usize,
        column: usize,
        path: PathBuf,
    },
    #[error(
        "{}:{line}:{column}: timing_ref: {name:?} names no representation of this stream (it has {available})",
        file.display()
    )]
    TimingRef {
        file: PathBuf,
        line: usize,
        column: usize,
        name: String,
        available: String,
    },
    #[error(
        "{}:{line}:{column}: directory: {directory:?} is already the directory of {}",
        file.display(),
        other.display()
    )]
    DuplicateDirectory {
        file: PathBuf,
        line: usize,
        column: usize,
        directory: String,
        other: PathBuf,
    },
    #[error("{}:{line}:{column}: {field}: {message}", file.display())]
    Invalid {
        file: PathBuf,
        line: usize,
        column: usize,
        field: String,
        message: String,
    },
    #[error("{}: {source}", file.display())]
    Media {
        file: PathBuf,
        source: crate::media::IndexError,
    },
}

impl CatalogError {
    /// The file the error is in.
    pub fn file(&self) -> &std::path::Path {
        match self {
            CatalogError::Io { file, .. }
            | CatalogError::Syntax { file, .. }
            | CatalogError::MissingMedia { file, .. }
            | CatalogError::TimingRef { file, .. }
            | CatalogError::DuplicateDirectory { file, .. }
            | CatalogError::Invalid { file, .. }
            | CatalogError::Media { file, .. } => file,
        }
    }
}

/// Every error found, one a line: a catalog is checked whole, not stopped at
/// its first mistake.
#[derive(Debug)]
pub struct CatalogErrors(pub Vec<CatalogError>);

impl fmt::Display for CatalogErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CatalogErrors {}

impl From<CatalogError> for CatalogErrors {
    fn from(e: CatalogError) -> Self {
        CatalogErrors(vec![e])
    }
}
