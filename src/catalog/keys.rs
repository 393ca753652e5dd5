//! Content keys: a KID with its key, or a KID whose key is computed from the
//! PlayReady test key seed (dash-live's `computed: true`).

use serde::{Deserialize, Serialize};

/// One key entry as written in a stream file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// 32 hex digits (dashes allowed, as in UUID form).
    pub kid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub computed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    Explicit([u8; 16]),
    /// Derived from the PlayReady test key seed when needed.
    Computed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub kid: [u8; 16],
    pub material: KeyMaterial,
}

/// 16 bytes from 32 hex digits, ignoring dashes.
pub fn parse_hex16(s: &str) -> Result<[u8; 16], String> {
    let digits: Vec<u8> = s.bytes().filter(|b| *b != b'-').collect();
    if digits.len() != 32 {
        return Err(format!("{s:?} is not 32 hex digits"));
    }
    let mut out = [0u8; 16];
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        let hex = std::str::from_utf8(pair).map_err(|_| format!("{s:?} is not hex"))?;
        out[i] = u8::from_str_radix(hex, 16).map_err(|_| format!("{s:?} is not hex"))?;
    }
    Ok(out)
}

impl KeyEntry {
    pub fn resolve(&self) -> Result<Key, String> {
        let kid = parse_hex16(&self.kid).map_err(|e| format!("kid {e}"))?;
        let material = match (&self.key, self.computed) {
            (Some(k), false) => {
                KeyMaterial::Explicit(parse_hex16(k).map_err(|e| format!("key {e}"))?)
            }
            (None, true) => KeyMaterial::Computed,
            (Some(_), true) => {
                return Err(format!(
                    "kid {}: give either key or computed: true, not both",
                    self.kid
                ))
            }
            (None, false) => {
                return Err(format!("kid {}: needs a key or computed: true", self.kid))
            }
        };
        Ok(Key { kid, material })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_resolve_or_say_why_not() {
        let k = KeyEntry {
            kid: "c001de8e-567b-5fcf-bc22-c565ed5bda24".into(),
            key: Some("533a583a843436a536fbe2a5821c4b6c".into()),
            computed: false,
        };
        assert_eq!(k.resolve().unwrap().kid[0], 0xc0);
        let both = KeyEntry {
            computed: true,
            ..k.clone()
        };
        assert!(both.resolve().unwrap_err().contains("not both"));
        let neither = KeyEntry {
            key: None,
            ..k.clone()
        };
        assert!(neither.resolve().unwrap_err().contains("needs a key"));
        let short = KeyEntry {
            kid: "c001".into(),
            ..k
        };
        assert!(short.resolve().unwrap_err().contains("32 hex digits"));
    }
}
