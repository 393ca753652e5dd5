//! The ClearKey licence (W3C EME, "Clear Key"): a JSON list of base64url
//! KIDs in, a JWK set of the keys the catalog has out (dash-live §5.4).
//! The one response that carries content keys, by design: it is a test
//! licence server.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::keys::{ContentKey, Kid};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LicenceError {
    #[error("the request is not JSON: {0}")]
    NotJson(String),
    #[error("kids property missing")]
    NoKids,
    #[error("kids[{index}] is not a base64url KID of 16 bytes")]
    BadKid { index: usize },
}

#[derive(Deserialize)]
struct LicenceRequest {
    kids: Option<Vec<String>>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Serialize)]
struct Jwk {
    kty: &'static str,
    kid: String,
    k: String,
}

#[derive(Serialize)]
struct LicenceResponse {
    keys: Vec<Jwk>,
    #[serde(rename = "type")]
    kind: String,
}

/// At most this many KIDs per request: a licence request names the few
/// keys of one presentation, so more is an abuse, not a player.
pub const MAX_KIDS: usize = 64;

/// The JSON answer to a licence request; `lookup` finds a KID's key. KIDs
/// the catalog lacks are left out, as EME expects.
pub fn licence(
    body: &[u8],
    lookup: impl Fn(&Kid) -> Option<ContentKey>,
) -> Result<String, LicenceError> {
    let req: LicenceRequest =
        serde_json::from_slice(body).map_err(|e| LicenceError::NotJson(e.to_string()))?;
    let kids = req.kids.ok_or(LicenceError::NoKids)?;
    let mut keys = Vec::new();
    for (index, text) in kids.iter().take(MAX_KIDS).enumerate() {
        // Some players pad base64url; EME does not.
        let bytes = B64URL
            .decode(text.trim_end_matches('='))
            .map_err(|_| LicenceError::BadKid { index })?;
        let kid = Kid(bytes
            .try_into()
            .map_err(|_| LicenceError::BadKid { index })?);
        if let Some(key) = lookup(&kid) {
            keys.push(Jwk {
                kty: "oct",
                kid: B64URL.encode(kid.0),
                k: B64URL.encode(key.expose()),
            });
        }
    }
    let resp = LicenceResponse {
        keys,
        kind: req.kind.unwrap_or_else(|| "temporary".into()),
    };
    serde_json::to_string(&resp).map_err(|e| LicenceError::NotJson(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KID: [u8; 16] = [0x1a; 16];

    fn lookup(kid: &Kid) -> Option<ContentKey> {
        (kid.0 == KID).then(|| ContentKey::new([0x53; 16]))
    }

    #[test]
    fn known_kids_get_their_keys_and_unknown_ones_are_left_out() {
        let body = format!(
            r#"{{"kids":["{}","{}"],"type":"temporary"}}"#,
            B64URL.encode(KID),
            B64URL.encode([0x2b; 16])
        );
        let out: serde_json::Value =
            serde_json::from_str(&licence(body.as_bytes(), lookup).unwrap()).unwrap();
        assert_eq!(out["type"], "temporary");
        let keys = out["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0]["kty"], "oct");
        assert_eq!(keys[0]["kid"], B64URL.encode(KID));
        assert_eq!(keys[0]["k"], B64URL.encode([0x53; 16]));
    }

    #[test]
    fn bad_requests_say_why() {
        assert_eq!(licence(b"{}", lookup), Err(LicenceError::NoKids));
        assert!(matches!(
            licence(b"{kids", lookup),
            Err(LicenceError::NotJson(_))
        ));
        assert_eq!(
            licence(br#"{"kids":["AAAA"]}"#, lookup),
            Err(LicenceError::BadKid { index: 0 })
        );
        assert!(matches!(
            licence(br#"{"kids":"x"}"#, lookup),
            Err(LicenceError::NotJson(_))
        ));
    }
}
