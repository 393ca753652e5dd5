//! The build's part of multi-period programmes: each one's VOD manifest,
//! rendered as the origin renders it. No segment is cut for them: periods
//! play their streams' own segments.

use super::write::Writer;
use super::BuildError;
use crate::catalog::Catalog;
use crate::index::TreeIndex;
use crate::media::Representation;
use crate::mpd::manifest::{ManifestQuery, StreamView};
use crate::mpd::mps_manifest::{render_programme, TEMPLATES};
use crate::mpd::registry::{self, Mode};
use crate::mpd::render::Renderer;

/// Writes `mps/vod/<name>/<template>.mpd` of every programme, for every
/// multi-period template the site builds.
pub fn render_vod(
    w: &Writer,
    catalog: &Catalog,
    index: &TreeIndex,
    renderer: &Renderer,
) -> Result<(), BuildError> {
    if index.mps.is_empty() {
        return Ok(());
    }
    let reps: Vec<Vec<Representation>> = index
        .streams
        .iter()
        .map(|s| {
            s.representations
                .iter()
                .map(|r| r.representation.clone())
                .collect()
        })
        .collect();
    let streams = |d: &str| {
        index
            .streams
            .iter()
            .zip(&reps)
            .find(|(s, _)| s.directory == d)
            .map(|(s, r)| StreamView {
                directory: &s.directory,
                title: &s.title,
                timing_ref: &s.timing_ref,
                representations: r,
                defaults: &s.defaults,
                drm: &s.drm,
            })
    };
    // The manifests' publishTime: the newest input, as for the streams'.
    let now_ms = catalog
        .streams
        .iter()
        .map(|s| super::fingerprint::newest_input(s, &catalog.site))
        .max()
        .unwrap_or(0);
    w.dir("mps")?;
    w.dir("mps/vod")?;
    for p in &index.mps {
        w.dir(&format!("mps/vod/{}", p.name))?;
        for def in catalog
            .site
            .manifests
            .iter()
            .filter(|n| TEMPLATES.contains(&n.as_str()))
            .filter_map(|n| registry::find(n))
            .filter(|d| renderer.has_template(d.name))
        {
            let path = crate::layout::mps_manifest_path(Mode::Vod, &p.name, def.name);
            let base = catalog.site.base_url.as_deref();
            let q = ManifestQuery {
                def,
                mode: Mode::Vod,
                site_defaults: &index.site_defaults,
                query: "",
                now_ms,
                now_override: false,
                site_url: base.map(String::from),
                manifest_url: base.map(|b| format!("{b}{path}")),
            };
            let m =
                render_programme(renderer, p, &streams, &q).map_err(|e| BuildError::Manifest {
                    stream: p.name.clone(),
                    manifest: format!("mps/vod/{}", def.name),
                    message: e.to_string(),
                })?;
            w.write_or_link(&path, m.xml.as_bytes())?;
        }
    }
    Ok(())
}
