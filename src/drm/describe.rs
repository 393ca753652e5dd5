//! `dashlive inspect` of DRM data: a `pssh` box or a PlayReady Object,
//! given as bytes or base64 (as copied from a manifest), decoded for a
//! person to read.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::keys::hex;
use super::playready::decode_pro;
use super::pssh::{system, Pssh};

/// The name of a DRM system ID, when it is one we know.
fn system_name(id: &[u8; 16]) -> &'static str {
    match *id {
        system::PLAYREADY => "PlayReady",
        system::PLAYREADY_V1 => "PlayReady 1.0 (PIFF)",
        system::W3C_COMMON => "W3C Common PSSH (ClearKey)",
        system::CLEARKEY_DASHIF => "ClearKey (DASH-IF)",
        system::MARLIN => "Marlin",
        system::WIDEVINE => "Widevine",
        _ => "unknown system",
    }
}

/// Base64 text (whitespace ignored) or the raw bytes themselves.
pub fn bytes_of(input: &[u8]) -> Vec<u8> {
    let text: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    B64.decode(&text).unwrap_or_else(|_| input.to_vec())
}

/// A readable account of a `pssh` box or PlayReady Object; `None` when the
/// bytes are neither (then they are an MP4 file to inspect as such).
pub fn describe(bytes: &[u8]) -> Option<String> {
    if bytes.get(4..8) == Some(b"pssh") {
        let p = Pssh::parse(bytes).ok()?;
        let mut out = format!(
            "pssh version {}\n  system {} ({})\n",
            u8::from(p.kids.is_some()),
            system::text(&p.system_id),
            system_name(&p.system_id)
        );
        for k in p.kids.iter().flatten() {
            out.push_str(&format!("  kid {}\n", k.hex()));
        }
        out.push_str(&format!("  data {} bytes\n", p.data.len()));
        if matches!(p.system_id, system::PLAYREADY | system::PLAYREADY_V1) {
            out.push_str(&describe_pro(&p.data));
        } else if !p.data.is_empty() {
            out.push_str(&format!("  data hex {}\n", hex(&p.data)));
        }
        return Some(out);
    }
    decode_pro(bytes).ok().map(|_| describe_pro(bytes))
}

fn describe_pro(pro: &[u8]) -> String {
    match decode_pro(pro) {
        Ok(headers) => headers
            .iter()
            .map(|h| format!("  WRMHEADER {h}\n"))
            .collect(),
        Err(e) => format!("  {e}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drm::keys::{ContentKey, KeyPair, Kid};
    use crate::drm::playready::{Header, HeaderVersion};

    #[test]
    fn playready_pssh_and_pro_show_their_wrmheader() {
        let kid = Kid::parse("1ab45440532c439994dc5c5ad9584bac").unwrap();
        let keys = [KeyPair {
            kid,
            key: ContentKey::playready_test(&kid),
            computed: true,
        }];
        let h = Header {
            keys: &keys,
            cbc: false,
            version: HeaderVersion::V4_0,
            la_url: "https://la.test/".into(),
        };
        let b64 = B64.encode(h.pssh(false).to_box());
        let text = describe(&bytes_of(format!("{b64}\n").as_bytes())).unwrap();
        assert!(text.contains("(PlayReady)"), "{text}");
        assert!(text.contains("<LA_URL>https://la.test/</LA_URL>"), "{text}");
        let pro = describe(&h.pro()).unwrap();
        assert!(pro.contains("version=\"4.0.0.0\""), "{pro}");
        assert_eq!(describe(b"\0\0\0\x10ftypisom\0\0\0\0"), None);
    }
}
