//! The client's count of injected faults (`failures=N`), carried in a
//! cookie signed with the server secret (HMAC-SHA256), so the origin keeps
//! no state: any origin with the same secret reads the count, and several
//! origins behind one load balancer agree. The library decides what the
//! count is ([`dashlive::faults::counts`]); this module only signs, checks
//! and writes the header.

use std::fmt;

use hmac::{Hmac, Mac};
use hyper::header::{HeaderValue, COOKIE};
use hyper::HeaderMap;
use sha2::Sha256;

use dashlive::faults::counts::FaultCounts;

/// The cookie's name.
pub const NAME: &str = "dashlive_faults";

/// Separates what this MAC signs from anything else the secret might sign.
const CONTEXT: &[u8] = b"dashlive faults v1\0";

/// An hour: long enough for any player test, short enough that a
/// forgotten browser tab starts afresh.
const MAX_AGE_S: u32 = 3600;

/// Longer cookie values are ignored unread (32 entries fit in under 700 bytes).
const MAX_VALUE: usize = 1024;

/// The key counts are signed with. Never printed.
#[derive(Clone)]
pub struct FaultSecret(Vec<u8>);

impl fmt::Debug for FaultSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FaultSecret(..)")
    }
}

impl FaultSecret {
    pub fn new(key: &[u8]) -> FaultSecret {
        FaultSecret(key.to_vec())
    }

    /// A key of this process only (no secret configured): counts then hold
    /// for this origin alone, and not across a restart.
    pub fn random() -> FaultSecret {
        let mut key = [0u8; 32];
        // Without randomness the counts are still signed, by a key an
        // attacker could guess; they can then only skip injected errors.
        let _ = getrandom::fill(&mut key);
        FaultSecret(key.to_vec())
    }

    fn mac(&self, text: &str) -> Hmac<Sha256> {
        // HMAC takes a key of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(CONTEXT);
        mac.update(text.as_bytes());
        mac
    }

    /// `<counts>.<hex HMAC>`.
    pub fn sign(&self, counts: &FaultCounts) -> String {
        let text = counts.to_text();
        let tag = self.mac(&text).finalize().into_bytes();
        let mut out = text;
        out.push('.');
        for b in tag {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }

    /// The counts of a signed value, if its signature is this key's.
    pub fn verify(&self, value: &str) -> Option<FaultCounts> {
        if value.len() > MAX_VALUE {
            return None;
        }
        let (text, hex) = value.rsplit_once('.')?;
        let tag = decode_hex(hex)?;
        self.mac(text).verify_slice(&tag).ok()?;
        FaultCounts::parse(text)
    }

    /// The counts of the request's cookie; empty when it has none or its
    /// signature does not hold (a forged or stale cookie counts from 0).
    pub fn counts_in(&self, headers: &HeaderMap) -> FaultCounts {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == NAME)
            .and_then(|(_, value)| self.verify(value))
            .unwrap_or_default()
    }

    /// The `Set-Cookie` value carrying `counts`.
    pub fn set_cookie(&self, counts: &FaultCounts) -> Option<HeaderValue> {
        HeaderValue::from_str(&format!(
            "{NAME}={}; Path=/; Max-Age={MAX_AGE_S}; SameSite=Lax; HttpOnly",
            self.sign(counts)
        ))
        .ok()
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() != 64 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dashlive::faults::counts::FaultKey;

    fn counts() -> FaultCounts {
        FaultCounts::new().bumped(FaultKey {
            kind: 'v',
            position: 7,
        })
    }

    #[test]
    fn a_signed_count_verifies_with_the_same_secret_only() {
        let a = FaultSecret::new(b"secret one");
        let signed = a.sign(&counts());
        assert!(signed.starts_with("v7:1."), "{signed}");
        assert_eq!(a.verify(&signed), Some(counts()));
        assert_eq!(
            FaultSecret::new(b"secret one").verify(&signed),
            Some(counts())
        );
        assert_eq!(FaultSecret::new(b"secret two").verify(&signed), None);
        // Raising one's own count (to skip the error) breaks the signature.
        let forged = signed.replacen("v7:1", "v7:9", 1);
        assert_eq!(a.verify(&forged), None);
        assert_eq!(a.verify("v7:1"), None);
        assert_eq!(a.verify("v7:1.zz"), None);
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let a = FaultSecret::new(b"k");
        let mut headers = HeaderMap::new();
        let value = format!("other=1; {NAME}={}; last=2", a.sign(&counts()));
        headers.insert(COOKIE, HeaderValue::from_str(&value).unwrap());
        assert_eq!(a.counts_in(&headers), counts());
        assert_eq!(
            FaultSecret::new(b"j").counts_in(&headers),
            FaultCounts::new()
        );
        assert!(format!("{a:?}").contains(".."));
    }
}
