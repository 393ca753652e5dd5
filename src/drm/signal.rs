//! What a manifest and an init segment say about an encrypted adaptation
//! set, per DRM system and location (dash-live §5.2): the
//! `ContentProtection` elements and the `pssh` boxes for `moov`. Made once
//! per (keys, options) and shared: a PlayReady header costs an AES block and
//! a few kB of UTF-16, which a live manifest polled every two seconds should
//! not pay again.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::keys::{KeyPair, KeyRing, Kid};
use super::playready::{self, HeaderVersion};
use super::pssh::{self, system, Pssh};
use crate::options::{Drm, DrmChoice, DrmLocations, Options};

/// A stream's DRM data, from its catalog file: keys and licence URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamDrm {
    #[serde(default)]
    pub keys: KeyRing,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playready_la_url: Option<String>,
}

/// The KID of the site's test key, which encrypts on the fly the streams
/// that list no key of their own; its key is PlayReady's test-seed key, so
/// PlayReady's test server can serve it too.
pub const TEST_KID: Kid = Kid([
    0xd5, 0xa1, 0x1c, 0xe5, 0x7e, 0x57, 0x4b, 0xe7, 0x8a, 0x5e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
]);

fn test_pair() -> KeyPair {
    KeyPair {
        kid: TEST_KID,
        key: super::keys::ContentKey::playready_test(&TEST_KID),
        computed: true,
    }
}

impl StreamDrm {
    /// The key that encrypts this stream on the fly (`enc=`): its first
    /// listed key, else the site's test key.
    pub fn encryption_key(&self) -> KeyPair {
        self.keys.0.first().copied().unwrap_or_else(test_pair)
    }

    /// A key by KID: the stream's, or the site's test key.
    pub fn key(&self, kid: &Kid) -> Option<KeyPair> {
        self.keys
            .get(kid)
            .copied()
            .or_else(|| (*kid == TEST_KID).then(test_pair))
    }
}

/// The DRM part of a request's options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrmOptions {
    pub choices: Vec<DrmChoice>,
    /// `playready__version` as given (`1.0` … `4.0`).
    pub playready_version: Option<String>,
    pub playready_la_url: Option<String>,
    /// `enc=`: `cenc` or `cbcs` to encrypt clear representations on the fly.
    pub encryption: Option<String>,
    /// `playready__piff` (only with PlayReady selected) and `bugs=saio`.
    pub piff: bool,
    pub stale_saio: bool,
}

impl DrmOptions {
    pub fn from_options(o: &Options) -> DrmOptions {
        DrmOptions {
            choices: o.drm_selection().to_vec(),
            playready_version: o.text("playready.version").map(String::from),
            playready_la_url: o.license_url(Drm::Playready).map(String::from),
            encryption: o.text("encryption").map(String::from),
            // PIFF boxes are PlayReady's: asked of, or forced by 1.0.
            piff: o.drm_selection().iter().any(|c| c.drm == Drm::Playready)
                && (o.flag("playready.piff") || o.text("playready.version") == Some("1.0")),
            stale_saio: o.has_bug("saio"),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.choices.is_empty()
    }

    fn locations(&self, drm: Drm) -> Option<DrmLocations> {
        self.choices
            .iter()
            .find(|c| c.drm == drm)
            .map(|c| c.locations)
    }

    fn playready_1_0(&self) -> bool {
        self.playready_version.as_deref() == Some("1.0")
    }

    /// Where `pssh` boxes go into the init segment.
    pub fn wants_moov(&self) -> bool {
        self.choices
            .iter()
            .any(|c| c.locations.contains(DrmLocations::MOOV) && c.drm != Drm::Marlin)
    }
}

/// What one encrypted adaptation set carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protection {
    /// `ContentProtection` elements, one per line, unindented.
    pub xml: String,
    /// `pssh` boxes for the init segment (`moov` location), in order.
    pub moov_pssh: Vec<Vec<u8>>,
}

/// The inputs of one set's protection.
pub struct Signal<'a> {
    /// The set's KIDs, the default KID first.
    pub kids: &'a [Kid],
    pub keys: &'a StreamDrm,
    pub opts: &'a DrmOptions,
    /// `http://host/clearkey`, or `/clearkey` for a relative manifest.
    pub clearkey_url: &'a str,
    /// The set is `cbcs` (PlayReady then writes AESCBC).
    pub cbc: bool,
}

static CACHE: LazyLock<Mutex<HashMap<String, Arc<Protection>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
/// A full cache starts again empty: that many option sets are a crawler.
const CACHE_LIMIT: usize = 1024;

impl Signal<'_> {
    /// The protection, from the cache when these inputs were seen before.
    pub fn protection(&self) -> Arc<Protection> {
        let key = self.cache_key();
        if let Some(p) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return p.clone();
        }
        let p = Arc::new(self.build());
        let mut map = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CACHE_LIMIT {
            map.clear();
        }
        map.insert(key, p.clone());
        p
    }

    /// Everything the output depends on; the keys by hash, so the cache's
    /// keys hold no content key.
    fn cache_key(&self) -> String {
        let mut h = blake3::Hasher::new();
        for k in self.pairs() {
            h.update(&k.kid.0);
            h.update(k.key.expose());
            h.update(&[u8::from(k.computed)]);
        }
        format!(
            "{:?}|{:?}|{:?}|{}|{}|{}",
            self.opts,
            self.keys.playready_la_url,
            self.kids,
            self.clearkey_url,
            self.cbc,
            h.finalize().to_hex()
        )
    }

    /// The set's keys the catalog has (`catalog check` makes that all).
    fn pairs(&self) -> Vec<KeyPair> {
        self.kids.iter().filter_map(|k| self.keys.key(k)).collect()
    }

    fn build(&self) -> Protection {
        let mut lines: Vec<String> = Vec::new();
        let mut moov = Vec::new();
        let Some(default_kid) = self.kids.first() else {
            return Protection::default();
        };
        let default_kid = default_kid.uuid_upper();
        lines.push(format!(
            "<ContentProtection schemeIdUri=\"urn:mpeg:dash:mp4protection:2011\" value=\"{}\" cenc:default_KID=\"{default_kid}\"/>",
            if self.cbc { "cbcs" } else { "cenc" }
        ));
        if self.opts.locations(Drm::Marlin).is_some() {
            lines.push(format!(
                "<ContentProtection xmlns:mas=\"urn:marlin:mas:1-0:services:schemas:mpd\" schemeIdUri=\"urn:uuid:{}\">",
                system::text(&system::MARLIN)
            ));
            lines.push("  <mas:MarlinContentIds>".into());
            for k in self.kids {
                lines.push(format!(
                    "    <mas:MarlinContentId>urn:marlin:kid:{}</mas:MarlinContentId>",
                    k.hex()
                ));
            }
            lines.push("  </mas:MarlinContentIds>".into());
            lines.push("</ContentProtection>".into());
        }
        if let Some(locs) = self.opts.locations(Drm::Playready) {
            self.playready(locs, &default_kid, &mut lines, &mut moov);
        }
        if let Some(locs) = self.opts.locations(Drm::Clearkey) {
            lines.push(format!(
                "<ContentProtection xmlns:clearkey=\"http://dashif.org/guidelines/clearKey\" value=\"ClearKey1.0\" schemeIdUri=\"urn:uuid:{}\">",
                system::text(&system::CLEARKEY_DASHIF)
            ));
            lines.push(format!(
                "  <clearkey:Laurl Lic_type=\"EME-1.0\">{}</clearkey:Laurl>",
                escape(self.clearkey_url)
            ));
            lines.push("</ContentProtection>".into());
            let w3c = Pssh {
                system_id: system::W3C_COMMON,
                kids: Some(self.kids.to_vec()),
                data: Vec::new(),
            }
            .to_box();
            self.pssh_element(locs, &system::W3C_COMMON, None, &w3c, &mut lines);
            if locs.contains(DrmLocations::MOOV) {
                moov.push(w3c);
            }
        }
        if let Some(locs) = self.opts.locations(Drm::Widevine) {
            let wv = Pssh {
                system_id: system::WIDEVINE,
                kids: None,
                data: pssh::widevine_data(self.kids),
            }
            .to_box();
            self.pssh_element(locs, &system::WIDEVINE, Some("Widevine"), &wv, &mut lines);
            if locs.contains(DrmLocations::MOOV) {
                moov.push(wv);
            }
        }
        Protection {
            xml: lines.join("\n"),
            moov_pssh: moov,
        }
    }

    /// A system's `ContentProtection` with its `cenc:pssh` when the
    /// location asks (always present: a player learns the system from it).
    fn pssh_element(
        &self,
        locs: DrmLocations,
        id: &[u8; 16],
        value: Option<&str>,
        pssh_box: &[u8],
        lines: &mut Vec<String>,
    ) {
        let value = value.map_or(String::new(), |v| format!(" value=\"{v}\""));
        let head = format!(
            "<ContentProtection schemeIdUri=\"urn:uuid:{}\"{value}",
            system::text(id)
        );
        if locs.contains(DrmLocations::CENC) {
            lines.push(format!("{head}>"));
            lines.push(format!("  <cenc:pssh>{}</cenc:pssh>", B64.encode(pssh_box)));
            lines.push("</ContentProtection>".into());
        } else {
            lines.push(format!("{head}/>"));
        }
    }

    fn playready(
        &self,
        locs: DrmLocations,
        default_kid: &str,
        lines: &mut Vec<String>,
        moov: &mut Vec<Vec<u8>>,
    ) {
        let pairs = self.pairs();
        let version = self
            .opts
            .playready_version
            .as_deref()
            .and_then(|v| v.parse::<f64>().ok());
        let template = self
            .opts
            .playready_la_url
            .as_deref()
            .or(self.keys.playready_la_url.as_deref())
            .unwrap_or(playready::TEST_LA_URL);
        let header = playready::Header {
            keys: &pairs,
            cbc: self.cbc,
            version: HeaderVersion::choose(pairs.len(), self.cbc, version),
            la_url: playready::la_url(template, &pairs),
        };
        let v1 = self.opts.playready_1_0();
        let id = if v1 {
            system::PLAYREADY_V1
        } else {
            system::PLAYREADY
        };
        let pssh_box = header.pssh(v1).to_box();
        lines.push(format!(
            "<ContentProtection xmlns:mspr=\"urn:microsoft:playready\" schemeIdUri=\"urn:uuid:{}\" value=\"2.0\" cenc:default_KID=\"{default_kid}\">",
            system::text(&id)
        ));
        // PlayReady 1.0 reads no cenc:pssh (dash-live §1.1).
        if locs.contains(DrmLocations::CENC) && !v1 {
            lines.push(format!(
                "  <cenc:pssh>{}</cenc:pssh>",
                B64.encode(&pssh_box)
            ));
        }
        if locs.contains(DrmLocations::PRO) {
            lines.push(format!(
                "  <mspr:pro>{}</mspr:pro>",
                B64.encode(header.pro())
            ));
        }
        lines.push("</ContentProtection>".into());
        if locs.contains(DrmLocations::MOOV) {
            moov.push(pssh_box);
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drm::keys::ContentKey;
    use crate::options::Mode;

    fn stream() -> StreamDrm {
        let kid = Kid::parse("1ab45440532c439994dc5c5ad9584bac").unwrap();
        StreamDrm {
            keys: KeyRing(vec![KeyPair {
                kid,
                key: ContentKey::playready_test(&kid),
                computed: true,
            }]),
            playready_la_url: None,
        }
    }

    fn protection(drm: &str) -> Arc<Protection> {
        let s = stream();
        let kids = [s.keys.0[0].kid];
        let mut o = Options::new(Mode::Vod);
        o.apply_query(&format!("drm={drm}")).unwrap();
        let opts = DrmOptions::from_options(&o);
        Signal {
            kids: &kids,
            keys: &s,
            opts: &opts,
            clearkey_url: "http://unit.test/clearkey",
            cbc: false,
        }
        .protection()
    }

    #[test]
    fn drm_all_signals_as_dash_lives_golden_manifest() {
        let golden =
            include_str!("../../tests/fixtures/drm/hand_made_vod_enc_video_protection.xml");
        let p = protection("all");
        let got: Vec<&str> = p.xml.lines().map(str::trim).collect();
        let want: Vec<&str> = golden.lines().map(str::trim).collect();
        assert_eq!(got, want);
        // All three DRMs in moov: PlayReady then the W3C box (Marlin has none).
        assert_eq!(p.moov_pssh.len(), 2);
    }

    #[test]
    fn locations_decide_what_goes_where() {
        let pro_only = protection("playready-pro");
        assert!(pro_only.xml.contains("<mspr:pro>") && !pro_only.xml.contains("cenc:pssh"));
        assert!(pro_only.moov_pssh.is_empty());
        let moov = protection("clearkey-moov,widevine-moov");
        assert!(!moov.xml.contains("cenc:pssh"), "{}", moov.xml);
        let systems: Vec<[u8; 16]> = moov
            .moov_pssh
            .iter()
            .map(|b| Pssh::parse(b).unwrap().system_id)
            .collect();
        assert_eq!(systems, [system::W3C_COMMON, system::WIDEVINE]);
        let wv = protection("widevine-cenc");
        assert!(wv
            .xml
            .contains("edef8ba9-79d6-4ace-a3c8-27dcd51d21ed\" value=\"Widevine\">"));
        assert!(wv.xml.contains("<cenc:pssh>"));
    }

    #[test]
    fn the_same_inputs_share_one_protection() {
        assert!(Arc::ptr_eq(
            &protection("playready"),
            &protection("playready")
        ));
    }
}
