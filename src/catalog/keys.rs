//! Content keys: a KID with its key, or a KID whose key is computed from the
//! PlayReady test key seed (dash-live's `computed: true`).

use serde::{Deserialize, Serialize};

/// One key entry as written in a stream file. Its `Debug` leaves the key out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// 32 hex digits (dashes allowed, as in UUID form).
    pub kid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub computed: bool,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("kid", &self.kid)
            .field("key", &self.key.as_ref().map(|_| "…"))
            .field("computed", &self.computed)
            .finish()
    }
}

pub use crate::drm::keys::parse_hex16;
use crate::drm::{ContentKey, Kid};

/// A checked key: the KID with its key, derived when `computed: true`.
pub type Key = crate::drm::KeyPair;

impl KeyEntry {
    pub fn resolve(&self) -> Result<Key, String> {
        let kid = Kid::parse(&self.kid).map_err(|e| format!("kid {e}"))?;
        let (key, computed) = match (&self.key, self.computed) {
            // The message names no digits: a key must not reach a log.
            (Some(k), false) => (
                ContentKey::new(
                    parse_hex16(k)
                        .map_err(|_| format!("key of kid {} is not 32 hex digits", self.kid))?,
                ),
                false,
            ),
            (None, true) => (ContentKey::playready_test(&kid), true),
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
        Ok(Key { kid, key, computed })
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
        assert_eq!(k.resolve().unwrap().kid.0[0], 0xc0);
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
            ..k.clone()
        };
        assert!(short.resolve().unwrap_err().contains("32 hex digits"));
        let bad_key = KeyEntry {
            key: Some("533a583a843436a536fbe2a5821c4bzz".into()),
            ..k.clone()
        };
        let err = bad_key.resolve().unwrap_err();
        assert!(
            err.contains("is not 32 hex digits") && !err.contains("533a"),
            "{err}"
        );
    }
}
