//! A `multipart/form-data` body of files, read from disk as it is sent:
//! memory stays one buffer whatever the files' sizes, and the length is
//! known before the first byte (so the origin can refuse an upload over
//! its cap at once, with 413, rather than after reading it).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};

use super::TransferError;

enum Piece {
    Text(Cursor<Vec<u8>>),
    /// A file still to open.
    Path(PathBuf),
    Open(File),
}

/// The body: [`Read`] it to send it.
pub struct Multipart {
    pieces: VecDeque<Piece>,
}

/// The body's content type, its length and the body itself; `name` is the
/// form field of every file, each file is sent under its own file name.
pub fn files(name: &str, paths: &[PathBuf]) -> Result<(String, u64, Multipart), TransferError> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(|e| TransferError::Io {
        path: PathBuf::from("(random boundary)"),
        source: io::Error::other(e.to_string()),
    })?;
    let boundary: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let boundary = format!("dashlive{boundary}");
    let mut pieces = VecDeque::new();
    let mut len = 0u64;
    for path in paths {
        let size = std::fs::metadata(path)
            .map_err(|source| TransferError::Io {
                path: path.clone(),
                source,
            })?
            .len();
        let file_name = file_name(path)?;
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        );
        len += head.len() as u64 + size + 2;
        pieces.push_back(Piece::Text(Cursor::new(head.into_bytes())));
        pieces.push_back(Piece::Path(path.clone()));
        pieces.push_back(Piece::Text(Cursor::new(b"\r\n".to_vec())));
    }
    let tail = format!("--{boundary}--\r\n");
    len += tail.len() as u64;
    pieces.push_back(Piece::Text(Cursor::new(tail.into_bytes())));
    let ctype = format!("multipart/form-data; boundary={boundary}");
    Ok((ctype, len, Multipart { pieces }))
}

/// The name a file is sent under; one that a header cannot carry as is
/// (a quote, a line break) is refused here, the origin would refuse it anyway.
fn file_name(path: &Path) -> Result<String, TransferError> {
    path.file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.chars().any(|c| c == '"' || c == '\\' || c.is_control()))
        .map(String::from)
        .ok_or_else(|| TransferError::Io {
            path: path.to_path_buf(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "not a plain file name"),
        })
}

impl Read for Multipart {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(piece) = self.pieces.front_mut() {
            let n = match piece {
                Piece::Text(c) => c.read(buf)?,
                Piece::Open(f) => f.read(buf)?,
                Piece::Path(p) => {
                    *piece = Piece::Open(File::open(&*p)?);
                    continue;
                }
            };
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.pieces.pop_front();
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_the_announced_length_and_each_file_whole() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.mp4");
        let b = d.path().join("b.m4a");
        std::fs::write(&a, vec![7u8; 100_000]).unwrap();
        std::fs::write(&b, b"second").unwrap();
        let (ctype, len, mut body) = files("file", &[a, b]).unwrap();
        let mut out = Vec::new();
        body.read_to_end(&mut out).unwrap();
        assert_eq!(out.len() as u64, len);
        let boundary = ctype.split("boundary=").nth(1).unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains(
            "filename=\"b.m4a\"\r\nContent-Type: application/octet-stream\r\n\r\nsecond\r\n"
        ));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        assert_eq!(out.iter().filter(|&&x| x == 7).count(), 100_000);
    }
}
