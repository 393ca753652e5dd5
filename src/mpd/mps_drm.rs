//! DRM on a multi-period programme (`drm=` on `/mps/...`): the periods the
//! catalog marks `encrypted: true` get their stream's ContentProtection and
//! encrypted segments, the same signalling and transforms a stream's
//! manifest and segments get; the other periods stay clear whatever the
//! request (the clear → encrypted → clear case of an ad break).

use crate::mpd::context::{ManifestOptions, PeriodContext};
use crate::mpd::manifest::{ManifestQuery, StreamView};
use crate::mpd::mps::ProgrammePeriod;
use crate::options::Options;

/// Signals DRM on `period` (period `def` of `p`) when it is encrypted,
/// with its stream's keys; sets `encrypted` (the MPD's) when it did.
pub fn protect<'s>(
    period: &mut PeriodContext,
    encrypted: &mut bool,
    def: &ProgrammePeriod,
    streams: &impl Fn(&str) -> Option<StreamView<'s>>,
    (opts, q): (&ManifestOptions, &ManifestQuery),
) {
    if !def.encrypted {
        return;
    }
    let Some(stream) = streams(&def.stream) else {
        return;
    };
    let mode = q.mode.as_str();
    if crate::mpd::protection::protect_period(
        period,
        mode,
        stream.drm,
        &opts.drm,
        q.site_url.as_deref(),
    ) {
        *encrypted = true;
    }
}

/// A segment request to a clear period: its DRM options dropped, so that
/// the segment answers clear as the manifest says (the same query rides on
/// every period's segment URLs). `Err` names why an encrypted copy is not
/// served there.
pub fn clear_period_options(
    def: &ProgrammePeriod,
    rep: &crate::media::Representation,
    opts: &mut Options,
) -> Result<(), String> {
    if def.encrypted {
        return Ok(());
    }
    if rep.encrypted() {
        return Err(format!(
            "period {} is clear: it plays no encrypted representation ({})",
            def.id, rep.id
        ));
    }
    opts.reset("drmSelection");
    opts.reset("encryption");
    Ok(())
}
