//! DRM on a multi-period programme (`drm=` on `/mps/...`): the periods the
//! catalog marks `encrypted: true` get their stream's ContentProtection and
//! encrypted segments, the same signalling and transforms a stream's
//! manifest and segments get; the other periods stay clear whatever the
//! request (the clear → encrypted → clear case of an ad break).

use crate::media::Representation;
use crate::mpd::context::{ManifestOptions, PeriodContext};
use crate::mpd::manifest::{ManifestQuery, StreamView};
use crate::mpd::mps::{ProgrammePeriod, Track};
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

/// Whether `enc` is an encrypted copy of `clear`: the same track in
/// another file (the codecs string is the clear format's either way).
fn copy_of(enc: &Representation, clear: &Representation) -> bool {
    enc.encrypted()
        && !clear.encrypted()
        && enc.content_type == clear.content_type
        && enc.codecs == clear.codecs
        && enc.timescale == clear.timescale
        && (enc.width, enc.height) == (clear.width, clear.height)
        && enc.language == clear.language
}

/// The track of period `def` that `rep` (of `reps`, its stream's) plays:
/// its own, or for an encrypted copy, the clear representation's it
/// copies, so that a period's `tracks` name the clear ids and its
/// encrypted copies play them under `drm=`.
pub fn track_of<'d>(
    def: &'d ProgrammePeriod,
    rep: &Representation,
    reps: &[Representation],
) -> Option<&'d Track> {
    def.track(&rep.id).or_else(|| {
        reps.iter()
            .filter(|clear| copy_of(rep, clear))
            .find_map(|clear| def.track(&clear.id))
    })
}

/// Whether period `def` plays `rep` (of `reps`): a kept representation,
/// or an encrypted copy of one.
pub fn keeps(def: &ProgrammePeriod, rep: &Representation, reps: &[Representation]) -> bool {
    def.tracks.is_empty() || track_of(def, rep, reps).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::Encryption;
    use crate::mpd::mps::tests::rep;

    #[test]
    fn an_encrypted_copy_plays_the_track_of_its_clear_original() {
        let enc = |id: &str| Representation {
            encryption: Some(Encryption {
                scheme: "cenc".into(),
                default_kid: "00".repeat(16),
                iv_size: 8,
                kids: Vec::new(),
                pssh_systems: Vec::new(),
            }),
            ..rep(id, 1000, 5, 2000, 0)
        };
        let reps = vec![rep("v", 1000, 5, 2000, 0), enc("v_enc"), {
            let mut other = enc("w_enc");
            other.width = Some(1920);
            other
        }];
        let def = ProgrammePeriod {
            id: "p".into(),
            stream: "s".into(),
            ad: false,
            encrypted: true,
            start: 0,
            duration: 4000,
            timescale: 1000,
            tracks: vec![Track {
                rep: "v".into(),
                role: Some("main".into()),
                lang: None,
            }],
        };
        assert!(keeps(&def, &reps[0], &reps));
        assert!(keeps(&def, &reps[1], &reps), "the copy of v");
        assert!(!keeps(&def, &reps[2], &reps), "another picture size");
        assert_eq!(
            track_of(&def, &reps[1], &reps).and_then(|t| t.role.as_deref()),
            Some("main")
        );
    }
}
