//! Content keys: a KID and its 16-byte key, explicit or derived from the
//! PlayReady test key seed. A key prints as `ContentKey(…)` in any `Debug`
//! output so that no log line or error message ever carries one.

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// A key ID, as it appears in `tenc` and `pssh` (big-endian UUID bytes).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kid(pub [u8; 16]);

/// A content key. Its `Debug` is redacted; reach the bytes with
/// [`ContentKey::expose`] only where a response is meant to carry them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ContentKey([u8; 16]);

/// PlayReady's public test key seed (the first 30 bytes are used).
const TEST_KEY_SEED_B64: &str = "XVBovsmzhP9gRIZxWfFta3VVRPzVEWmJsazEJ46I";

impl Kid {
    /// 32 lower-case hex digits.
    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    /// `1AB45440-532C-4399-94DC-5C5AD9584BAC`, as `cenc:default_KID` writes it.
    pub fn uuid_upper(&self) -> String {
        self.uuid().to_uppercase()
    }

    /// `1ab45440-532c-4399-94dc-5c5ad9584bac`
    pub fn uuid(&self) -> String {
        let h = self.hex();
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// The bytes in Microsoft's GUID order (first three fields little-endian),
    /// as PlayReady headers and the key seed derivation take them.
    pub fn le_guid(&self) -> [u8; 16] {
        let mut g = self.0;
        g[0..4].reverse();
        g[4..6].reverse();
        g[6..8].reverse();
        g
    }

    /// 32 hex digits, dashes and a `0x` prefix allowed.
    pub fn parse(s: &str) -> Result<Kid, String> {
        parse_hex16(s).map(Kid)
    }
}

impl fmt::Debug for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kid({})", self.hex())
    }
}

impl fmt::Display for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl ContentKey {
    pub fn new(bytes: [u8; 16]) -> ContentKey {
        ContentKey(bytes)
    }

    /// The key bytes: only for encryption, checksums and the ClearKey licence.
    pub fn expose(&self) -> &[u8; 16] {
        &self.0
    }

    /// The key PlayReady's test server derives for `kid` from its public
    /// seed: SHA-256 of seed+kid, seed+kid+seed and seed+kid+seed+kid, each
    /// folded in half, XORed together.
    pub fn playready_test(kid: &Kid) -> ContentKey {
        let seed_all = base64::engine::general_purpose::STANDARD
            .decode(TEST_KEY_SEED_B64)
            .unwrap_or_default();
        let seed = &seed_all[..seed_all.len().min(30)];
        let kid = kid.le_guid();
        let digest = |parts: &[&[u8]]| {
            let mut h = Sha256::new();
            for p in parts {
                h.update(p);
            }
            h.finalize()
        };
        let a = digest(&[seed, &kid]);
        let b = digest(&[seed, &kid, seed]);
        let c = digest(&[seed, &kid, seed, &kid]);
        let mut key = [0u8; 16];
        for (i, k) in key.iter_mut().enumerate() {
            *k = a[i] ^ a[i + 16] ^ b[i] ^ b[i + 16] ^ c[i] ^ c[i + 16];
        }
        ContentKey(key)
    }
}

impl fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContentKey(…)")
    }
}

/// One KID with its key; `computed` when the key came from the test seed
/// (PlayReady's LA_URL then leaves the key out of `cfg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPair {
    #[serde(with = "hex_kid")]
    pub kid: Kid,
    #[serde(with = "hex_key")]
    pub key: ContentKey,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub computed: bool,
}

/// A stream's keys, looked up by KID.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyRing(pub Vec<KeyPair>);

impl KeyRing {
    pub fn get(&self, kid: &Kid) -> Option<&KeyPair> {
        self.0.iter().find(|k| k.kid == *kid)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A random KID and key (for `dashlive keys new`).
pub fn random_pair() -> Result<KeyPair, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let mut kid = [0u8; 16];
    let mut key = [0u8; 16];
    kid.copy_from_slice(&bytes[..16]);
    key.copy_from_slice(&bytes[16..]);
    // A version-4 UUID, so tools that check the form accept the KID.
    kid[6] = (kid[6] & 0x0f) | 0x40;
    kid[8] = (kid[8] & 0x3f) | 0x80;
    Ok(KeyPair {
        kid: Kid(kid),
        key: ContentKey(key),
        computed: false,
    })
}

/// Lower-case hex of any bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// 16 bytes from 32 hex digits; dashes and a `0x` prefix are ignored.
pub fn parse_hex16(s: &str) -> Result<[u8; 16], String> {
    let t = s.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let digits: Vec<u8> = t.bytes().filter(|b| *b != b'-').collect();
    if digits.len() != 32 {
        return Err(format!("{s:?} is not 32 hex digits"));
    }
    let mut out = [0u8; 16];
    for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let text = std::str::from_utf8(pair).map_err(|_| format!("{s:?} is not hex"))?;
        *o = u8::from_str_radix(text, 16).map_err(|_| format!("{s:?} is not hex"))?;
    }
    Ok(out)
}

mod hex_kid {
    use super::*;
    pub fn serialize<S: Serializer>(k: &Kid, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&k.hex())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Kid, D::Error> {
        let text = String::deserialize(d)?;
        Kid::parse(&text).map_err(serde::de::Error::custom)
    }
}

mod hex_key {
    use super::*;
    pub fn serialize<S: Serializer>(k: &ContentKey, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex(k.expose()))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ContentKey, D::Error> {
        let text = String::deserialize(d)?;
        // The message names no digits: a key must not reach a log even when malformed.
        parse_hex16(&text)
            .map(ContentKey)
            .map_err(|_| serde::de::Error::custom("a key is not 32 hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn playready_test_keys_match_the_known_answers() {
        let kid = Kid::parse("01020304-0506-0708-090A-AABBCCDDEEFF").unwrap();
        assert_eq!(
            b64(ContentKey::playready_test(&kid).expose()),
            "GUf166PQbx+sgBADjyBMvw=="
        );
        let kid = Kid::parse("a2c786d0f9ef4cb3b333cd323a4284a5").unwrap();
        assert_eq!(
            hex(ContentKey::playready_test(&kid).expose()),
            "4edb7704cdbf03617f4800bd878a6df2"
        );
    }

    #[test]
    fn keys_never_show_in_debug_output() {
        let pair = KeyPair {
            kid: Kid([0xab; 16]),
            key: ContentKey([0x5c; 16]),
            computed: false,
        };
        let text = format!("{:?} {:?}", pair, KeyRing(vec![pair]));
        assert!(!text.contains("5c5c"), "{text}");
        assert!(text.contains("abab"), "{text}");
    }

    #[test]
    fn kids_print_as_dash_live_does() {
        let kid = Kid::parse("0x1ab45440532c439994dc5c5ad9584bac").unwrap();
        assert_eq!(kid.uuid_upper(), "1AB45440-532C-4399-94DC-5C5AD9584BAC");
        assert_eq!(kid.le_guid()[..4], [0x40, 0x54, 0xb4, 0x1a]);
        assert!(Kid::parse("1ab4").unwrap_err().contains("32 hex digits"));
    }

    #[test]
    fn key_rings_round_trip_through_json_and_bad_keys_are_not_echoed() {
        let ring = KeyRing(vec![random_pair().unwrap()]);
        let json = serde_json::to_string(&ring).unwrap();
        assert_eq!(serde_json::from_str::<KeyRing>(&json).unwrap(), ring);
        let bad = r#"[{"kid":"00000000000000000000000000000000","key":"5ec7e7zz"}]"#;
        let err = serde_json::from_str::<KeyRing>(bad)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("5ec7"), "{err}");
    }
}
