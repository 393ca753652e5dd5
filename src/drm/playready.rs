//! PlayReady: the WRMHEADER (versions 4.0–4.3), the PlayReady Object (PRO)
//! that carries it, and the `pssh` around it (dash-live §5.3).

use aes::cipher::{BlockEncrypt, KeyInit};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::keys::{KeyPair, Kid};
use super::pssh::{system, Pssh};

/// Microsoft's test licence server; `{cfgs}` becomes the keys' configuration.
pub const TEST_LA_URL: &str =
    "https://test.playready.microsoft.com/service/rightsmanager.asmx?cfg={cfgs}";

const NAMESPACE: &str = "http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader";

/// The WRMHEADER versions PlayReady defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HeaderVersion {
    V4_0,
    V4_1,
    V4_2,
    V4_3,
}

impl HeaderVersion {
    fn text(self) -> &'static str {
        match self {
            HeaderVersion::V4_0 => "4.0.0.0",
            HeaderVersion::V4_1 => "4.1.0.0",
            HeaderVersion::V4_2 => "4.2.0.0",
            HeaderVersion::V4_3 => "4.3.0.0",
        }
    }

    /// As dash-live picks it: AES-CBC keys need 4.3; one key 4.0 (4.1 when
    /// `playready__version` is 2.0 or later); several keys 4.2.
    pub fn choose(key_count: usize, cbc: bool, playready_version: Option<f64>) -> HeaderVersion {
        if cbc {
            HeaderVersion::V4_3
        } else if key_count > 1 {
            HeaderVersion::V4_2
        } else if playready_version.is_some_and(|v| v >= 2.0) {
            HeaderVersion::V4_1
        } else {
            HeaderVersion::V4_0
        }
    }
}

/// What one header says.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    pub keys: &'a [KeyPair],
    /// `AESCBC` (cbcs) instead of `AESCTR`.
    pub cbc: bool,
    pub version: HeaderVersion,
    /// Already formatted (`{cfgs}` replaced).
    pub la_url: String,
}

/// First 8 bytes of AES-ECB(key, KID in GUID order): PlayReady's key checksum.
pub fn checksum(pair: &KeyPair) -> [u8; 8] {
    let cipher = aes::Aes128::new(pair.key.expose().into());
    let mut block = aes::Block::from(pair.kid.le_guid());
    cipher.encrypt_block(&mut block);
    let mut out = [0u8; 8];
    out.copy_from_slice(&block[..8]);
    out
}

fn b64_guid(kid: &Kid) -> String {
    B64.encode(kid.le_guid())
}

/// The test server's `cfg`: one `(kid:…,persist:false,sl:150)` per key,
/// with the key itself when it is not derivable from the test seed (the test
/// server can only serve a key it can compute or is told).
pub fn test_server_cfgs(keys: &[KeyPair]) -> String {
    keys.iter()
        .map(|k| {
            let mut s = format!("(kid:{},persist:false,sl:150", b64_guid(&k.kid));
            if !k.computed {
                s.push_str(",contentkey:");
                s.push_str(&B64.encode(k.key.expose()));
            }
            s.push(')');
            s
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The LA_URL with its `{cfgs}`, `{default_kid}` and `{kids}` filled in.
pub fn la_url(template: &str, keys: &[KeyPair]) -> String {
    let kids: Vec<String> = keys.iter().map(|k| k.kid.hex()).collect();
    template
        .replace("{cfgs}", &test_server_cfgs(keys))
        .replace("{default_kid}", kids.first().map_or("", String::as_str))
        .replace("{kids}", &kids.join(","))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Header<'_> {
    /// The WRMHEADER XML, without whitespace between tags.
    pub fn xml(&self) -> String {
        let alg = if self.cbc { "AESCBC" } else { "AESCTR" };
        let mut x = format!(
            "<WRMHEADER xmlns=\"{NAMESPACE}\" version=\"{}\"><DATA>",
            self.version.text()
        );
        let kid_attrs = |k: &KeyPair, with_alg: bool| {
            let mut a = String::new();
            if with_alg {
                a.push_str(&format!(" ALGID=\"{alg}\""));
            }
            // CBC keys have no checksum of this kind.
            if !self.cbc {
                a.push_str(&format!(" CHECKSUM=\"{}\"", B64.encode(checksum(k))));
            }
            a.push_str(&format!(" VALUE=\"{}\"", b64_guid(&k.kid)));
            a
        };
        match self.version {
            HeaderVersion::V4_0 => {
                if let Some(k) = self.keys.first() {
                    x.push_str(&format!(
                        "<PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>{alg}</ALGID></PROTECTINFO>\
                         <KID>{}</KID><CHECKSUM>{}</CHECKSUM>",
                        b64_guid(&k.kid),
                        B64.encode(checksum(k))
                    ));
                }
            }
            HeaderVersion::V4_1 => {
                x.push_str("<PROTECTINFO>");
                if let Some(k) = self.keys.first() {
                    x.push_str(&format!("<KID{}></KID>", kid_attrs(k, true)));
                }
                x.push_str("</PROTECTINFO>");
            }
            HeaderVersion::V4_2 | HeaderVersion::V4_3 => {
                x.push_str("<PROTECTINFO><KIDS>");
                for k in self.keys {
                    x.push_str(&format!("<KID{}></KID>", kid_attrs(k, true)));
                }
                x.push_str("</KIDS></PROTECTINFO>");
            }
        }
        x.push_str(&format!(
            "<LA_URL>{}</LA_URL></DATA></WRMHEADER>",
            escape(&self.la_url)
        ));
        x
    }

    /// The PlayReady Object: length, one record of type 1 holding the
    /// WRMHEADER in UTF-16LE.
    pub fn pro(&self) -> Vec<u8> {
        let utf16: Vec<u8> = self
            .xml()
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let record_len = u16::try_from(utf16.len()).unwrap_or(u16::MAX);
        let total = u32::from(record_len) + 10;
        let mut out = Vec::with_capacity(total as usize);
        out.extend_from_slice(&total.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&record_len.to_le_bytes());
        out.extend_from_slice(&utf16[..usize::from(record_len)]);
        out
    }

    /// The PlayReady `pssh`: version 0 for one key, version 1 naming the
    /// KIDs for several; PlayReady 1.0 takes the PIFF system ID.
    pub fn pssh(&self, playready_1_0: bool) -> Pssh {
        Pssh {
            system_id: if playready_1_0 {
                system::PLAYREADY_V1
            } else {
                system::PLAYREADY
            },
            kids: (self.keys.len() > 1).then(|| self.keys.iter().map(|k| k.kid).collect()),
            data: self.pro(),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProError {
    #[error("PlayReady Object: {0}")]
    Malformed(&'static str),
}

/// The WRMHEADER of each type-1 record of a PlayReady Object.
pub fn decode_pro(pro: &[u8]) -> Result<Vec<String>, ProError> {
    let le16 = |b: &[u8], at: usize| -> Result<u16, ProError> {
        b.get(at..at + 2)
            .map(|s| u16::from_le_bytes([s[0], s[1]]))
            .ok_or(ProError::Malformed("truncated"))
    };
    let total = pro
        .get(..4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
        .ok_or(ProError::Malformed("truncated"))?;
    if total != pro.len() {
        return Err(ProError::Malformed(
            "length field is not the object's length",
        ));
    }
    let count = le16(pro, 4)?;
    let mut at = 6usize;
    let mut out = Vec::new();
    for _ in 0..count {
        let kind = le16(pro, at)?;
        let len = usize::from(le16(pro, at + 2)?);
        let body = pro
            .get(at + 4..at + 4 + len)
            .ok_or(ProError::Malformed("record beyond the object"))?;
        if kind == 1 {
            if len % 2 != 0 {
                return Err(ProError::Malformed("odd-length UTF-16 record"));
            }
            let units: Vec<u16> = body
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            let text = String::from_utf16(&units)
                .map_err(|_| ProError::Malformed("record is not UTF-16"))?;
            out.push(text.trim_start_matches('\u{feff}').to_string());
        }
        at += 4 + len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drm::keys::ContentKey;

    fn computed(kid: &str) -> KeyPair {
        let kid = Kid::parse(kid).unwrap();
        KeyPair {
            kid,
            key: ContentKey::playready_test(&kid),
            computed: true,
        }
    }

    /// The PRO of dash-live's golden manifest for BBB (one computed key).
    const GOLDEN_PRO: &str = "FgMAAAEAAQAMAzwAVwBSAE0ASABFAEEARABFAFIAIAB4AG0AbABuAHMAPQAiAGgAdAB0AHAAOgAvAC8AcwBjAGgAZQBtAGEAcwAuAG0AaQBjAHIAbwBzAG8AZgB0AC4AYwBvAG0ALwBEAFIATQAvADIAMAAwADcALwAwADMALwBQAGwAYQB5AFIAZQBhAGQAeQBIAGUAYQBkAGUAcgAiACAAdgBlAHIAcwBpAG8AbgA9ACIANAAuADAALgAwAC4AMAAiAD4APABEAEEAVABBAD4APABQAFIATwBUAEUAQwBUAEkATgBGAE8APgA8AEsARQBZAEwARQBOAD4AMQA2ADwALwBLAEUAWQBMAEUATgA+ADwAQQBMAEcASQBEAD4AQQBFAFMAQwBUAFIAPAAvAEEATABHAEkARAA+ADwALwBQAFIATwBUAEUAQwBUAEkATgBGAE8APgA8AEsASQBEAD4AUQBGAFMAMABHAGkAeABUAG0AVQBPAFUAMwBGAHgAYQAyAFYAaABMAHIAQQA9AD0APAAvAEsASQBEAD4APABDAEgARQBDAEsAUwBVAE0APgBSAEwAbABPAEsATwBXADUASQBJAG8APQA8AC8AQwBIAEUAQwBLAFMAVQBNAD4APABMAEEAXwBVAFIATAA+AGgAdAB0AHAAcwA6AC8ALwB0AGUAcwB0AC4AcABsAGEAeQByAGUAYQBkAHkALgBtAGkAYwByAG8AcwBvAGYAdAAuAGMAbwBtAC8AcwBlAHIAdgBpAGMAZQAvAHIAaQBnAGgAdABzAG0AYQBuAGEAZwBlAHIALgBhAHMAbQB4AD8AYwBmAGcAPQAoAGsAaQBkADoAUQBGAFMAMABHAGkAeABUAG0AVQBPAFUAMwBGAHgAYQAyAFYAaABMAHIAQQA9AD0ALABwAGUAcgBzAGkAcwB0ADoAZgBhAGwAcwBlACwAcwBsADoAMQA1ADAAKQA8AC8ATABBAF8AVQBSAEwAPgA8AC8ARABBAFQAQQA+ADwALwBXAFIATQBIAEUAQQBEAEUAUgA+AA==";

    #[test]
    fn one_computed_key_gives_dash_lives_pro_byte_for_byte() {
        let keys = [computed("1ab45440532c439994dc5c5ad9584bac")];
        let h = Header {
            keys: &keys,
            cbc: false,
            version: HeaderVersion::choose(1, false, None),
            la_url: la_url(TEST_LA_URL, &keys),
        };
        assert_eq!(B64.encode(h.pro()), GOLDEN_PRO);
        assert_eq!(B64.encode(checksum(&keys[0])), "RLlOKOW5IIo=");
    }

    #[test]
    fn every_header_version_decodes_back_to_what_was_written() {
        let keys = [
            computed("1ab45440532c439994dc5c5ad9584bac"),
            KeyPair {
                kid: Kid::parse("c001de8e567b5fcfbc22c565ed5bda24").unwrap(),
                key: ContentKey::new([0x53; 16]),
                computed: false,
            },
        ];
        for (n, cbc, ver, want) in [
            (1, false, None, "4.0.0.0"),
            (1, false, Some(2.0), "4.1.0.0"),
            (2, false, None, "4.2.0.0"),
            (2, true, None, "4.3.0.0"),
        ] {
            let h = Header {
                keys: &keys[..n],
                cbc,
                version: HeaderVersion::choose(n, cbc, ver),
                la_url: la_url("https://x.test/?a=1&cfg={cfgs}", &keys[..n]),
            };
            let decoded = decode_pro(&h.pro()).unwrap();
            assert_eq!(decoded, vec![h.xml()]);
            assert!(
                decoded[0].contains(&format!("version=\"{want}\"")),
                "{}",
                decoded[0]
            );
            assert!(decoded[0].contains("?a=1&amp;cfg=(kid:"), "{}", decoded[0]);
            assert_eq!(decoded[0].contains("AESCBC"), cbc);
            let pssh = Pssh::parse(&h.pssh(false).to_box()).unwrap();
            assert_eq!(pssh.data, h.pro());
            assert_eq!(pssh.kids.map(|k| k.len()), (n > 1).then_some(n));
        }
        // The test server is told a key it cannot derive, and only that one.
        let cfgs = test_server_cfgs(&keys);
        assert_eq!(cfgs.matches("contentkey:").count(), 1, "{cfgs}");
    }

    #[test]
    fn malformed_objects_are_refused() {
        let pro = B64.decode(GOLDEN_PRO).unwrap();
        for n in [0, 3, 8, 100] {
            assert!(decode_pro(&pro[..n]).is_err());
        }
    }
}
