//! Walks the top-level boxes of a file of any size through `Read + Seek`,
//! loading the boxes that hold metadata and seeking past media data, so that
//! indexing a file costs time in proportion to its fragments, not its bytes.

use std::io::{self, Read, Seek, SeekFrom};

use super::error::{ErrorKind, Mp4Error, Result};
use super::fourcc::FourCC;
use super::header::{parse_header, BoxHeader};
use super::tree::{BoxRef, SiblingNames};

/// Boxes larger than this are not loaded into memory, whatever their type;
/// metadata boxes of real fragmented files are kilobytes.
pub const MAX_LOADED_BOX: u64 = 64 << 20;

/// Types never loaded: their bodies are media or padding.
const SKIPPED: &[&[u8; 4]] = &[b"mdat", b"free", b"skip", b"wide"];

/// A top-level box. `data` holds the whole box when `loaded`, else only its header.
#[derive(Debug, Clone)]
pub struct TopBox {
    pub header: BoxHeader,
    pub offset: u64,
    pub path: String,
    pub data: Vec<u8>,
    pub loaded: bool,
}

impl TopBox {
    pub fn typ(&self) -> FourCC {
        self.header.typ
    }

    pub fn end(&self) -> u64 {
        self.offset + self.header.size
    }

    /// A zero-copy view for the tree and typed parsers.
    pub fn as_box_ref(&self) -> BoxRef<'_> {
        BoxRef {
            header: self.header,
            offset: self.offset,
            data: &self.data,
            path: self.path.clone(),
            depth: 0,
        }
    }
}

/// How much a scanner reads at a time around the boxes it parses.
const WINDOW: usize = 16 << 10;

/// Reads through a window of `WINDOW` bytes, so that the box headers and
/// metadata boxes that sit together (`styp`, `sidx`, `moof`, the `mdat`
/// header) cost one system call, not three each; seeks only move a position.
/// Reads as large as the window go straight to the source.
struct Window<R> {
    inner: R,
    buf: Vec<u8>,
    /// The file offset of `buf[0]`.
    start: u64,
    pos: u64,
}

impl<R: Read + Seek> Window<R> {
    fn new(inner: R) -> Self {
        Window {
            inner,
            buf: Vec::new(),
            start: 0,
            pos: 0,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        self.inner.seek(SeekFrom::Start(self.pos))?;
        self.buf.resize(WINDOW, 0);
        let n = loop {
            match self.inner.read(&mut self.buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r,
            }
        };
        // A failed read leaves no window rather than a stale one.
        self.buf.truncate(*n.as_ref().unwrap_or(&0));
        self.start = self.pos;
        n.map(|_| ())
    }
}

impl<R: Read + Seek> Read for Window<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let end = self.start + self.buf.len() as u64;
        if !(self.start..end).contains(&self.pos) {
            if out.len() >= WINDOW {
                self.inner.seek(SeekFrom::Start(self.pos))?;
                let n = self.inner.read(out)?;
                self.pos += n as u64;
                return Ok(n);
            }
            self.fill()?;
        }
        let at = (self.pos - self.start) as usize;
        let n = out.len().min(self.buf.len().saturating_sub(at));
        out[..n].copy_from_slice(&self.buf[at..at + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Window<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::Current(d) => self.pos.checked_add_signed(d).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "seek before the start")
            })?,
            SeekFrom::End(_) => self.inner.seek(to)?,
        };
        Ok(self.pos)
    }
}

pub struct Scanner<R> {
    src: Window<R>,
    pos: u64,
    len: u64,
    names: SiblingNames,
    done: bool,
}

impl<R: Read + Seek> Scanner<R> {
    /// `len` is the file's length (size-0 boxes extend to it).
    pub fn new(src: R, len: u64) -> Self {
        Scanner {
            src: Window::new(src),
            pos: 0,
            len,
            names: SiblingNames::default(),
            done: false,
        }
    }

    fn io_err(&self, e: io::Error, path: &str) -> Mp4Error {
        Mp4Error::new(self.pos, path, ErrorKind::Io(e.to_string()))
    }

    /// What the file holds of a box it cuts short: the bytes from `offset` to
    /// its end, or `None` for a box that would not be loaded whole anyway
    /// (media data, padding, or larger than [`MAX_LOADED_BOX`]).
    pub fn read_cut_box(&mut self, offset: u64) -> Result<Option<Vec<u8>>> {
        let available = self.len.saturating_sub(offset);
        if !(8..=MAX_LOADED_BOX).contains(&available) {
            return Ok(None);
        }
        let mut data = vec![0u8; available as usize];
        self.src
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.src.read_exact(&mut data))
            .map_err(|e| Mp4Error::new(offset, "", ErrorKind::Io(e.to_string())))?;
        let typ = [data[4], data[5], data[6], data[7]];
        Ok((!SKIPPED.contains(&&typ)).then_some(data))
    }

    fn read_box(&mut self) -> Result<TopBox> {
        let available = self.len - self.pos;
        let mut head = [0u8; 32];
        let want = available.min(32) as usize;
        self.src
            .seek(SeekFrom::Start(self.pos))
            .map_err(|e| self.io_err(e, ""))?;
        self.src
            .read_exact(&mut head[..want])
            .map_err(|e| self.io_err(e, ""))?;
        let typ_path = |names: &mut SiblingNames| {
            if want >= 8 {
                names.path_of("", FourCC([head[4], head[5], head[6], head[7]]))
            } else {
                String::new()
            }
        };
        let header = match parse_header(&head[..want], available) {
            Ok(h) => h,
            Err(e) => {
                let path = typ_path(&mut self.names);
                return Err(e.locate(self.pos, &path));
            }
        };
        let path = typ_path(&mut self.names);
        let load = !SKIPPED.contains(&&header.typ.0) && header.size <= MAX_LOADED_BOX;
        let data = if load {
            let mut data = vec![0u8; header.size as usize];
            let have = want.min(data.len());
            data[..have].copy_from_slice(&head[..have]);
            self.src
                .read_exact(&mut data[have..])
                .map_err(|e| self.io_err(e, &path))?;
            data
        } else {
            head[..header.header_len as usize].to_vec()
        };
        Ok(TopBox {
            header,
            offset: self.pos,
            path,
            data,
            loaded: load,
        })
    }
}

impl<R: Read + Seek> Iterator for Scanner<R> {
    type Item = Result<TopBox>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.len {
            return None;
        }
        match self.read_box() {
            Ok(b) => {
                self.pos = b.end();
                Some(Ok(b))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Scans a file on disk.
pub fn scan_file(path: &std::path::Path) -> io::Result<Scanner<std::fs::File>> {
    let f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    Ok(Scanner::new(f, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn loads_metadata_and_skips_media() {
        let mut file = Vec::new();
        file.extend_from_slice(b"\0\0\0\x0cmoof\x01\x02\x03\x04");
        file.extend_from_slice(b"\0\0\0\x10mdat01234567");
        file.extend_from_slice(b"\0\0\0\x0cmoof\x05\x06\x07\x08");
        let len = file.len() as u64;
        let boxes: Vec<_> = Scanner::new(Cursor::new(file), len)
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(boxes.len(), 3);
        assert!(boxes[0].loaded && !boxes[1].loaded);
        assert_eq!(boxes[1].data.len(), 8);
        assert_eq!(boxes[2].path, "moof[1]");
        assert_eq!(boxes[2].offset, 28);
    }

    /// A source that counts the reads that reach it.
    struct Counted {
        inner: Cursor<Vec<u8>>,
        reads: usize,
    }

    impl Read for Counted {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.reads += 1;
            self.inner.read(out)
        }
    }

    impl Seek for Counted {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.inner.seek(to)
        }
    }

    #[test]
    fn the_window_reads_neighbouring_boxes_at_once_and_big_ones_straight() {
        // A hundred fragments with small media, then one with media larger
        // than the window, then a metadata box larger than the window.
        let mut file = Vec::new();
        for i in 0..100u8 {
            file.extend_from_slice(b"\0\0\0\x0cmoof");
            file.extend_from_slice(&[i; 4]);
            file.extend_from_slice(b"\0\0\0\x10mdat01234567");
        }
        let big_mdat = WINDOW as u32 * 3;
        file.extend_from_slice(&big_mdat.to_be_bytes());
        file.extend_from_slice(b"mdat");
        file.resize(file.len() + big_mdat as usize - 8, 0xAB);
        let big_moov = WINDOW as u32 + 100;
        file.extend_from_slice(&big_moov.to_be_bytes());
        file.extend_from_slice(b"moov");
        file.resize(file.len() + big_moov as usize - 8, 0x5A);
        let len = file.len() as u64;
        let mut src = Counted {
            inner: Cursor::new(file.clone()),
            reads: 0,
        };
        let boxes: Vec<_> = Scanner::new(&mut src, len).collect::<Result<_>>().unwrap();
        assert_eq!(boxes.len(), 202);
        assert_eq!(boxes[198].data, &file[28 * 99..28 * 99 + 12]);
        let moov = &boxes[201];
        assert!(moov.loaded);
        assert_eq!(moov.data, &file[moov.offset as usize..]);
        // One window for the 200 small boxes, one past the big mdat, one
        // straight read for the rest of the moov: not three per box.
        assert!(src.reads <= 4, "{} reads", src.reads);
    }

    #[test]
    fn truncated_file_is_an_error_with_its_offset() {
        let file = b"\0\0\0\x0cmoof\x01\x02\x03\x04\0\0\0\x40mdat".to_vec();
        let len = file.len() as u64;
        let mut s = Scanner::new(Cursor::new(file), len);
        assert!(s.next().unwrap().is_ok());
        let e = s.next().unwrap().unwrap_err();
        assert_eq!((e.offset, e.path.as_str()), (12, "mdat[0]"));
        assert!(matches!(e.kind, ErrorKind::PastParent { size: 64, .. }));
        assert!(s.next().is_none());
    }
}
