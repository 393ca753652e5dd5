//! Box headers: size, type, `largesize`, size 0 ("to the end") and the `uuid`
//! extended type.

use super::error::{ErrorKind, FieldError};
use super::fourcc::FourCC;

pub const UUID: FourCC = FourCC(*b"uuid");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxHeader {
    pub typ: FourCC,
    /// Total size of the box, header included, after resolving size 0 and 1.
    pub size: u64,
    /// Bytes taken by size, type, largesize and uuid.
    pub header_len: u64,
    pub uuid: Option<[u8; 16]>,
}

impl BoxHeader {
    pub fn payload_len(&self) -> u64 {
        self.size - self.header_len
    }

    /// The bytes a header takes when written back; the same shape as read.
    pub fn is_large(&self) -> bool {
        self.header_len == 16 || self.header_len == 32
    }
}

/// Parses the header at the start of `data`. `available` is how many bytes the
/// enclosing container (or file) has left from this position, which size 0
/// means and which no box may exceed. `data` may be shorter than `available`
/// (when only headers are read from a large file).
pub fn parse_header(data: &[u8], available: u64) -> Result<BoxHeader, FieldError> {
    let need = |n: usize| -> Result<(), FieldError> {
        if data.len() < n {
            Err(FieldError {
                at: 0,
                kind: ErrorKind::Truncated {
                    need: n as u64,
                    have: data.len() as u64,
                },
            })
        } else {
            Ok(())
        }
    };
    need(8)?;
    let size32 = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
    let typ = FourCC([data[4], data[5], data[6], data[7]]);
    let mut header_len = 8usize;
    let size = match size32 {
        0 => available,
        1 => {
            need(16)?;
            header_len = 16;
            let mut b = [0u8; 8];
            b.copy_from_slice(&data[8..16]);
            u64::from_be_bytes(b)
        }
        n => u64::from(n),
    };
    let uuid = if typ == UUID {
        need(header_len + 16)?;
        let mut u = [0u8; 16];
        u.copy_from_slice(&data[header_len..header_len + 16]);
        header_len += 16;
        Some(u)
    } else {
        None
    };
    if size < header_len as u64 {
        return Err(FieldError {
            at: 0,
            kind: ErrorKind::SizeTooSmall {
                size,
                header: header_len as u64,
            },
        });
    }
    if size > available {
        return Err(FieldError {
            at: 0,
            kind: ErrorKind::PastParent { size, available },
        });
    }
    Ok(BoxHeader {
        typ,
        size,
        header_len: header_len as u64,
        uuid,
    })
}

/// Writes a box header for a payload of `payload_len` bytes, choosing
/// `largesize` only when the size needs it.
pub fn write_header(out: &mut Vec<u8>, typ: FourCC, uuid: Option<&[u8; 16]>, payload_len: u64) {
    let uuid_len = if uuid.is_some() { 16 } else { 0 };
    let small = 8 + uuid_len + payload_len;
    if small <= u64::from(u32::MAX) {
        out.extend_from_slice(&(small as u32).to_be_bytes());
        out.extend_from_slice(&typ.0);
    } else {
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(&typ.0);
        out.extend_from_slice(&(small + 8).to_be_bytes());
    }
    if let Some(u) = uuid {
        out.extend_from_slice(u);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_large_zero_and_uuid_sizes() {
        let h = parse_header(b"\0\0\0\x10free________", 100).unwrap();
        assert_eq!((h.size, h.header_len), (16, 8));
        let mut large = b"\0\0\0\x01mdat".to_vec();
        large.extend_from_slice(&24u64.to_be_bytes());
        let h = parse_header(&large, 24).unwrap();
        assert_eq!((h.size, h.header_len), (24, 16));
        let h = parse_header(b"\0\0\0\0mdat", 1000).unwrap();
        assert_eq!(h.size, 1000);
        let mut u = b"\0\0\0\x18uuid".to_vec();
        u.extend_from_slice(&[7; 16]);
        let h = parse_header(&u, 24).unwrap();
        assert_eq!((h.header_len, h.uuid), (24, Some([7; 16])));
    }

    #[test]
    fn rejects_small_oversized_and_truncated_headers() {
        assert!(matches!(
            parse_header(b"\0\0\0\x04free", 100).unwrap_err().kind,
            ErrorKind::SizeTooSmall { size: 4, .. }
        ));
        assert!(matches!(
            parse_header(b"\0\0\0\x40free", 32).unwrap_err().kind,
            ErrorKind::PastParent { size: 64, .. }
        ));
        assert!(matches!(
            parse_header(b"\0\0\0", 32).unwrap_err().kind,
            ErrorKind::Truncated { .. }
        ));
    }

    #[test]
    fn header_writer_round_trips() {
        let mut out = Vec::new();
        write_header(&mut out, FourCC::new(b"uuid"), Some(&[1; 16]), 4);
        out.extend_from_slice(&[0; 4]);
        let h = parse_header(&out, out.len() as u64).unwrap();
        assert_eq!((h.size, h.header_len), (28, 24));
    }
}
