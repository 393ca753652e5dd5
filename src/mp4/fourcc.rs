//! Four-character codes, the type field of every box.

use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FourCC(pub [u8; 4]);

impl FourCC {
    pub const fn new(code: &[u8; 4]) -> Self {
        FourCC(*code)
    }

    pub fn as_bytes(&self) -> &[u8; 4] {
        &self.0
    }
}

impl fmt::Display for FourCC {
    // Box types are nearly always printable ASCII; anything else is escaped so
    // a hostile file cannot put control characters on a terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let printable = |b: &u8| b.is_ascii_graphic() || *b == b' ';
        if let Some(text) = self
            .0
            .iter()
            .all(printable)
            .then(|| std::str::from_utf8(&self.0).ok())
            .flatten()
        {
            return f.write_str(text);
        }
        for &b in &self.0 {
            if printable(&b) {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for FourCC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCC({self})")
    }
}

impl Serialize for FourCC {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl From<&[u8; 4]> for FourCC {
    fn from(code: &[u8; 4]) -> Self {
        FourCC(*code)
    }
}

impl PartialEq<&[u8; 4]> for FourCC {
    fn eq(&self, other: &&[u8; 4]) -> bool {
        &self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_printable_and_escapes_the_rest() {
        assert_eq!(FourCC::new(b"moov").to_string(), "moov");
        assert_eq!(FourCC::new(b"ac-3").to_string(), "ac-3");
        assert_eq!(FourCC([b'a', 0, 0x1b, b'z']).to_string(), "a\\x00\\x1bz");
    }
}
