//! Writes the DRM signalling of every encrypted adaptation set of a
//! manifest context: the step between the context and the template that
//! needs the stream's keys (see [`crate::drm::signal`]).

use crate::drm::signal::{DrmOptions, Signal, StreamDrm};
use crate::drm::Kid;
use crate::mpd::context::{MpdContext, PeriodContext};

/// Where players are told to ask for ClearKey licences: this server's
/// `/clearkey` (root-relative when the manifest has no site URL).
pub fn clearkey_url(site_url: Option<&str>) -> String {
    match site_url {
        Some(s) => format!("{}/clearkey", s.trim_end_matches('/')),
        None => "/clearkey".into(),
    }
}

/// Fills in `content_protection` of each encrypted set when `drm` selects
/// a system; a clear manifest is left as it is.
pub fn protect(ctx: &mut MpdContext, drm: &StreamDrm, opts: &DrmOptions, site_url: Option<&str>) {
    let mode = ctx.mode;
    for period in &mut ctx.periods {
        if protect_period(period, mode, drm, opts, site_url) {
            ctx.encrypted = true;
        }
    }
}

/// [`protect`] for one Period (a multi-period programme protects only its
/// encrypted periods, each with its own stream's keys); whether any set of
/// it is protected.
pub fn protect_period(
    period: &mut PeriodContext,
    mode: &str,
    drm: &StreamDrm,
    opts: &DrmOptions,
    site_url: Option<&str>,
) -> bool {
    if opts.is_empty() {
        return false;
    }
    let clearkey = clearkey_url(site_url);
    let mut protected = false;
    for set in &mut period.adaptation_sets {
        let (kids, cbc): (Vec<Kid>, bool) = match (set.encryption, &opts.encryption) {
            (Some(enc), _) => (
                enc.kids.iter().filter_map(|k| Kid::parse(k).ok()).collect(),
                enc.scheme == "cbcs",
            ),
            // Encrypted per request (text stays clear); not on demand,
            // whose byte ranges of one file no transform can encrypt.
            (None, Some(scheme)) if set.content_type != "text" && mode != "odvod" => {
                (vec![drm.encryption_key().kid], scheme == "cbcs")
            }
            (None, _) => continue,
        };
        let p = Signal {
            kids: &kids,
            keys: drm,
            opts,
            clearkey_url: &clearkey,
            cbc,
        }
        .protection();
        set.content_protection = Some(p.xml.clone());
        protected = true;
    }
    protected
}
