//! `pssh` boxes (ISO/IEC 23001-7 §8.1): what a DRM system reads from the
//! manifest's `cenc:pssh` or from the init segment.

use super::keys::Kid;

/// The DRM systems' IDs, as written in `pssh` and `urn:uuid:` scheme URIs.
pub mod system {
    pub const PLAYREADY: [u8; 16] = uuid(0x9a04f079_9840_4286_ab92_e65be0885f95);
    /// PlayReady 1.0 (PIFF): the same ID in GUID byte order.
    pub const PLAYREADY_V1: [u8; 16] = uuid(0x79f0049a_4098_8642_ab92_e65be0885f95);
    /// W3C Common PSSH, which EME's ClearKey reads.
    pub const W3C_COMMON: [u8; 16] = uuid(0x1077efec_c0b2_4d02_ace3_3c1e52e2fb4b);
    pub const CLEARKEY_DASHIF: [u8; 16] = uuid(0xe2719d58_a985_b3c9_781a_b030af78d30e);
    pub const MARLIN: [u8; 16] = uuid(0x5e629af5_38da_4063_8977_97ffbd9902d4);
    pub const WIDEVINE: [u8; 16] = uuid(0xedef8ba9_79d6_4ace_a3c8_27dcd51d21ed);

    const fn uuid(v: u128) -> [u8; 16] {
        v.to_be_bytes()
    }

    /// `9a04f079-9840-4286-ab92-e65be0885f95`
    pub fn text(id: &[u8; 16]) -> String {
        super::Kid(*id).uuid()
    }
}

/// A `pssh` box: version 0 without KIDs, version 1 with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pssh {
    pub system_id: [u8; 16],
    /// `Some` (even empty) makes a version 1 box.
    pub kids: Option<Vec<Kid>>,
    pub data: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PsshError {
    #[error("pssh: {0}")]
    Malformed(&'static str),
}

impl Pssh {
    /// The whole box, header included.
    pub fn to_box(&self) -> Vec<u8> {
        let kid_bytes = self.kids.as_ref().map_or(0, |k| 4 + 16 * k.len());
        let size = 8 + 4 + 16 + kid_bytes + 4 + self.data.len();
        let mut out = Vec::with_capacity(size);
        // Sizes are of data we made (a few KIDs, a header of a few kB).
        out.extend_from_slice(&u32::try_from(size).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(b"pssh");
        out.push(u8::from(self.kids.is_some()));
        out.extend_from_slice(&[0, 0, 0]);
        out.extend_from_slice(&self.system_id);
        if let Some(kids) = &self.kids {
            out.extend_from_slice(&u32::try_from(kids.len()).unwrap_or(0).to_be_bytes());
            for k in kids {
                out.extend_from_slice(&k.0);
            }
        }
        out.extend_from_slice(
            &u32::try_from(self.data.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&self.data);
        out
    }

    /// Reads one box (as `to_box` writes it, or any valid `pssh`).
    pub fn parse(bytes: &[u8]) -> Result<Pssh, PsshError> {
        let mut r = Reader(bytes);
        let size = r.u32()? as usize;
        if r.take(4)? != b"pssh" {
            return Err(PsshError::Malformed("not a pssh box"));
        }
        if size != bytes.len() {
            return Err(PsshError::Malformed("box size is not the input's length"));
        }
        let version = r.take(4)?[0];
        let mut system_id = [0u8; 16];
        system_id.copy_from_slice(r.take(16)?);
        let kids = if version > 0 {
            let count = r.u32()? as usize;
            if count > r.0.len() / 16 {
                return Err(PsshError::Malformed("KID count beyond the box"));
            }
            let mut kids = Vec::with_capacity(count);
            for _ in 0..count {
                let mut k = [0u8; 16];
                k.copy_from_slice(r.take(16)?);
                kids.push(Kid(k));
            }
            Some(kids)
        } else {
            None
        };
        let len = r.u32()? as usize;
        let data = r.take(len)?.to_vec();
        Ok(Pssh {
            system_id,
            kids,
            data,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PsshError> {
        if n > self.0.len() {
            return Err(PsshError::Malformed("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, PsshError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Widevine's `pssh` data: the protobuf `WidevinePsshData` with only its
/// `key_id` fields (2), enough for a licence proxy to name the keys.
pub fn widevine_data(kids: &[Kid]) -> Vec<u8> {
    let mut out = Vec::with_capacity(kids.len() * 18);
    for k in kids {
        out.extend_from_slice(&[0x12, 16]);
        out.extend_from_slice(&k.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_round_trip_in_both_versions() {
        let kids = vec![Kid([1; 16]), Kid([2; 16])];
        for pssh in [
            Pssh {
                system_id: system::W3C_COMMON,
                kids: Some(kids.clone()),
                data: Vec::new(),
            },
            Pssh {
                system_id: system::WIDEVINE,
                kids: None,
                data: widevine_data(&kids),
            },
        ] {
            let b = pssh.to_box();
            assert_eq!(Pssh::parse(&b).unwrap(), pssh);
        }
    }

    #[test]
    fn the_clearkey_box_is_dash_lives() {
        // The golden manifest's W3C pssh for KID 1ab45440….
        let kid = Kid::parse("1ab45440532c439994dc5c5ad9584bac").unwrap();
        let b = Pssh {
            system_id: system::W3C_COMMON,
            kids: Some(vec![kid]),
            data: Vec::new(),
        }
        .to_box();
        use base64::Engine as _;
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(b),
            "AAAANHBzc2gBAAAAEHfv7MCyTQKs4zweUuL7SwAAAAEatFRAUyxDmZTcXFrZWEusAAAAAA=="
        );
        assert_eq!(
            system::text(&system::WIDEVINE),
            "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
        );
    }

    #[test]
    fn malformed_boxes_are_refused_not_panicked_on() {
        let good = Pssh {
            system_id: system::W3C_COMMON,
            kids: Some(vec![Kid([1; 16])]),
            data: vec![1, 2, 3],
        }
        .to_box();
        for n in 0..good.len() {
            assert!(Pssh::parse(&good[..n]).is_err());
        }
        let mut huge = good.clone();
        huge[28..32].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(Pssh::parse(&huge).is_err());
    }
}
