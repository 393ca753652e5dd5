//! A bounds-checked big-endian cursor over a box payload.

use super::error::{ErrorKind, FieldError};

/// Upper bound for counts of entries that take no bytes (senc samples with
/// neither IV nor subsamples): counts of sized entries are bounded by the
/// bytes that remain, these only by this. Real fragments hold a few thousand
/// samples at most.
pub const MAX_ENTRIES: u64 = 1 << 16;

#[derive(Clone, Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

pub type FieldResult<T> = Result<T, FieldError>;

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    fn truncated(&self, need: usize) -> FieldError {
        FieldError {
            at: self.pos,
            kind: ErrorKind::Truncated {
                need: need as u64,
                have: self.remaining() as u64,
            },
        }
    }

    pub fn bytes(&mut self, n: usize) -> FieldResult<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.truncated(n));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub fn array<const N: usize>(&mut self) -> FieldResult<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub fn skip(&mut self, n: usize) -> FieldResult<()> {
        self.bytes(n).map(|_| ())
    }

    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.data[self.pos..];
        self.pos = self.data.len();
        out
    }

    pub fn u8(&mut self) -> FieldResult<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub fn u16(&mut self) -> FieldResult<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub fn i16(&mut self) -> FieldResult<i16> {
        Ok(i16::from_be_bytes(self.array()?))
    }

    pub fn u24(&mut self) -> FieldResult<u32> {
        let b: [u8; 3] = self.array()?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    pub fn u32(&mut self) -> FieldResult<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub fn i32(&mut self) -> FieldResult<i32> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> FieldResult<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    pub fn i64(&mut self) -> FieldResult<i64> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    /// A 32-bit field in version 0 boxes, 64-bit in version 1.
    pub fn u32_or_u64(&mut self, version: u8) -> FieldResult<u64> {
        if version == 1 {
            self.u64()
        } else {
            self.u32().map(u64::from)
        }
    }

    /// A u32 present only when `bit` is set in `flags` (tfhd, trun).
    pub fn u32_if(&mut self, flags: u32, bit: u32) -> FieldResult<Option<u32>> {
        if flags & bit != 0 {
            self.u32().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Creation time, modification time, timescale and duration, the common
    /// head of mvhd and mdhd (32 or 64-bit by version).
    pub fn media_times(&mut self, version: u8) -> FieldResult<(u64, u64, u32, u64)> {
        Ok((
            self.u32_or_u64(version)?,
            self.u32_or_u64(version)?,
            self.u32()?,
            self.u32_or_u64(version)?,
        ))
    }

    /// Full-box header: (version, flags).
    pub fn full_header(&mut self) -> FieldResult<(u8, u32)> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0x00ff_ffff))
    }

    /// A NUL-terminated UTF-8 string; a missing terminator ends at the payload's end,
    /// as some writers omit it on the last field.
    pub fn cstring(&mut self) -> FieldResult<String> {
        let rest = &self.data[self.pos..];
        let (s, used) = match rest.iter().position(|&b| b == 0) {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        self.pos += used;
        Ok(String::from_utf8_lossy(s).into_owned())
    }

    /// Checks that `count` entries of at least `min_size` bytes each fit in what
    /// remains, before anything is allocated for them.
    pub fn check_count(
        &self,
        what: &'static str,
        count: u64,
        min_size: usize,
    ) -> FieldResult<usize> {
        let limit = self
            .remaining()
            .checked_div(min_size)
            .map_or(MAX_ENTRIES, |n| n as u64);
        if count > limit {
            return Err(FieldError {
                at: self.pos,
                kind: ErrorKind::TooMany { what, count, limit },
            });
        }
        Ok(count as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_and_reports_truncation_position() {
        let mut r = Reader::new(&[0, 1, 0, 0, 0, 2, 9]);
        assert_eq!(r.u16().unwrap(), 1);
        assert_eq!(r.u32().unwrap(), 2);
        let err = r.u32().unwrap_err();
        assert_eq!(err.at, 6);
        assert_eq!(err.kind, ErrorKind::Truncated { need: 4, have: 1 });
    }

    #[test]
    fn refuses_counts_that_cannot_fit() {
        let r = Reader::new(&[0; 16]);
        assert!(r.check_count("entry", 4, 4).is_ok());
        assert!(r.check_count("entry", 5, 4).is_err());
        assert!(r.check_count("entry", u64::MAX, 0).is_err());
    }
}
