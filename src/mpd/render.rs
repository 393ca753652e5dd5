//! Lays a manifest context out with its vendor's tera template. The
//! templates are compiled into the binary, so the build and the origin render
//! the same bytes wherever they run.

use tera::{Context, Tera};

use super::context::MpdContext;
use super::registry::ManifestDef;

/// Every template, by name, as shipped in `templates/manifests/`.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "hand_made",
        include_str!("../../templates/manifests/hand_made.mpd"),
    ),
    (
        "manifest_a",
        include_str!("../../templates/manifests/manifest_a.mpd"),
    ),
    (
        "manifest_b",
        include_str!("../../templates/manifests/manifest_b.mpd"),
    ),
    (
        "manifest_e",
        include_str!("../../templates/manifests/manifest_e.mpd"),
    ),
    (
        "manifest_ef",
        include_str!("../../templates/manifests/manifest_ef.mpd"),
    ),
    (
        "manifest_h",
        include_str!("../../templates/manifests/manifest_h.mpd"),
    ),
    (
        "manifest_i",
        include_str!("../../templates/manifests/manifest_i.mpd"),
    ),
    (
        "manifest_n",
        include_str!("../../templates/manifests/manifest_n.mpd"),
    ),
    (
        "manifest_vod_aiv",
        include_str!("../../templates/manifests/manifest_vod_aiv.mpd"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no template for manifest {0}")]
    NoTemplate(String),
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
}

fn tera_message(e: &tera::Error) -> String {
    // Tera nests the cause; the innermost says what went wrong.
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}

fn escape_xml(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

pub struct Renderer {
    tera: Tera,
}

impl Renderer {
    pub fn new() -> Result<Renderer, RenderError> {
        let mut tera = Tera::default();
        tera.add_raw_templates(TEMPLATES.iter().map(|(n, t)| (format!("{n}.mpd"), *t)))
            .map_err(|e| RenderError::Template {
                name: "manifests".into(),
                message: tera_message(&e),
            })?;
        // Every value lands in XML: escape it as XML, not HTML.
        tera.autoescape_on(vec![".mpd"]);
        tera.set_escape_fn(escape_xml);
        Ok(Renderer { tera })
    }

    pub fn has_template(&self, name: &str) -> bool {
        TEMPLATES.iter().any(|(n, _)| *n == name)
    }

    pub fn render(&self, def: &ManifestDef, mpd: &MpdContext) -> Result<String, RenderError> {
        if !self.has_template(def.name) {
            return Err(RenderError::NoTemplate(def.name.into()));
        }
        let mut ctx = Context::new();
        ctx.insert("mpd", mpd);
        self.tera
            .render(&format!("{}.mpd", def.name), &ctx)
            .map_err(|e| RenderError::Template {
                name: def.name.into(),
                message: tera_message(&e),
            })
    }
}

/// A hash of every template's text: a build whose templates changed must
/// render its manifests again.
pub fn templates_fingerprint() -> String {
    let mut h = blake3::Hasher::new();
    for (name, text) in TEMPLATES {
        h.update(name.as_bytes());
        h.update(text.as_bytes());
    }
    h.finalize().to_hex().to_string()
}
