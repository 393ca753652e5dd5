//! What DRM cannot do on demand (`odvod`), refused rather than dropped.
//!
//! An on-demand manifest points players at the built on-demand files by
//! byte range (`Initialization@range`, `SegmentURL@mediaRange`), which the
//! static tree (nginx, a CDN) serves as they are. A `pssh` added to the init
//! range would shift every byte after it, so every range in the manifest
//! and the file itself would have to be served by the origin; encrypting on
//! the fly would change every range's bytes. Neither is worth it for a mode
//! that exists to test byte-range players: like dash-live (which writes no
//! `pssh` into on-demand files either), odvod signals in the manifest only.
//!
//! So on odvod a `drm` choice that names `moov` among fewer than all three
//! locations (`clearkey-moov`, `playready-pro-moov`: asked for on purpose)
//! is a 400, as is `enc=`; the default (no location, or all three) keeps
//! `pro` and `cenc`, which the manifest carries, and leaves the init as built.

use crate::options::{DrmLocations, OptionError, Options};

/// Why these options cannot make an on-demand manifest, if they cannot.
pub fn refuse(o: &Options) -> Result<(), OptionError> {
    if let Some(c) = o
        .drm_selection()
        .iter()
        .find(|c| c.locations.contains(DrmLocations::MOOV) && c.locations != DrmLocations::ALL)
    {
        let locs: Vec<&str> = c.locations.names().collect();
        return Err(OptionError::Invalid {
            param: "drm".into(),
            value: format!("{}-{}", c.drm.name(), locs.join("-")),
            expected: "odvod serves the built on-demand files by byte range, whose init has \
                       no pssh: use the cenc or pro location here, or vod or live for a pssh \
                       in the init segment (moov)"
                .into(),
        });
    }
    if let Some(enc) = o.text("encryption") {
        return Err(OptionError::Invalid {
            param: "enc".into(),
            value: enc.into(),
            expected: "odvod serves the built on-demand files by byte range as they are: \
                       encryption on the fly is for vod and live (pre-encrypted streams play \
                       on demand with drm= alone)"
                .into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Mode;

    fn check(query: &str) -> Result<(), String> {
        let (o, _) = Options::parse_query(query, Mode::Odvod).map_err(|e| e.to_string())?;
        refuse(&o).map_err(|e| e.to_string())
    }

    #[test]
    fn moov_asked_for_on_purpose_is_refused_on_demand() {
        for q in [
            "drm=clearkey-moov",
            "drm=playready-pro-moov",
            "drm=all-cenc-moov",
        ] {
            let e = check(q).unwrap_err();
            assert!(e.starts_with("drm=") && e.contains("moov"), "{q}: {e}");
            assert!(e.contains("use the cenc or pro location"), "{q}: {e}");
        }
    }

    #[test]
    fn the_default_locations_and_the_manifest_ones_are_served() {
        for q in [
            "drm=clearkey",
            "drm=all",
            "drm=playready-pro",
            "drm=clearkey-cenc,playready-pro-cenc",
            "drm=marlin-cenc-moov-pro",
            "",
        ] {
            assert_eq!(check(q), Ok(()), "{q}");
        }
    }

    #[test]
    fn encryption_on_the_fly_is_refused_on_demand() {
        let e = check("drm=clearkey&enc=cbcs").unwrap_err();
        assert!(e.starts_with("enc=cbcs: "), "{e}");
    }
}
