//! Lays a manifest context out with its vendor's template. The templates are
//! compiled into the binary, so the build and the origin render the same
//! bytes wherever they run.

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

/// What the templates call on the context's optional values.
mod filters {
    use std::fmt;

    /// Writes the value, or nothing for `None`.
    pub struct Opt<'a, T>(&'a Option<T>);

    impl<T: fmt::Display> fmt::Display for Opt<'_, T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self.0 {
                Some(v) => v.fmt(f),
                None => Ok(()),
            }
        }
    }

    /// `{{ r.width|opt }}`: an optional value, written when present.
    pub fn opt<'a, T: fmt::Display>(
        value: &'a Option<T>,
        _: &dyn askama::Values,
    ) -> askama::Result<Opt<'a, T>> {
        Ok(Opt(value))
    }
}

/// XML escaping with the named entities (`&amp;`, as manifests are usually
/// written; askama's HTML escaper writes `&#38;`).
#[derive(Debug, Clone, Copy)]
pub struct Xml;

impl askama::filters::Escaper for Xml {
    fn write_escaped_str<W: std::fmt::Write>(&self, mut dest: W, s: &str) -> std::fmt::Result {
        let special = |b: &u8| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'');
        // Most values (ids, numbers, plain URLs) need nothing: one scan, one write.
        let Some(first) = s.as_bytes().iter().position(special) else {
            return dest.write_str(s);
        };
        let mut last = 0;
        for (i, b) in s.bytes().enumerate().skip(first) {
            let entity = match b {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&apos;",
                _ => continue,
            };
            dest.write_str(&s[last..i])?;
            dest.write_str(entity)?;
            last = i + 1;
        }
        dest.write_str(&s[last..])
    }
}

/// One compiled template per vendor style: askama turns each
/// `templates/manifests/<name>.mpd` into Rust at build time, so rendering is
/// plain writes (tera, interpreting the same text, took 30 times longer).
macro_rules! manifest_templates {
    ($($name:literal => $ty:ident),* $(,)?) => {
        $(
            #[derive(askama::Template)]
            #[template(path = $name, config = "templates/askama.toml")]
            struct $ty<'a> {
                mpd: &'a MpdContext,
            }
        )*
    };
}

manifest_templates! {
    "manifests/hand_made.mpd" => HandMade,
    "manifests/manifest_a.mpd" => ManifestA,
    "manifests/manifest_b.mpd" => ManifestB,
    "manifests/manifest_e.mpd" => ManifestE,
    "manifests/manifest_ef.mpd" => ManifestEf,
    "manifests/manifest_h.mpd" => ManifestH,
    "manifests/manifest_i.mpd" => ManifestI,
    "manifests/manifest_n.mpd" => ManifestN,
    "manifests/manifest_vod_aiv.mpd" => ManifestVodAiv,
}

/// Renders manifest contexts with their vendor's template.
#[derive(Debug, Default)]
pub struct Renderer;

impl Renderer {
    pub fn new() -> Result<Renderer, RenderError> {
        Ok(Renderer)
    }

    pub fn has_template(&self, name: &str) -> bool {
        TEMPLATES.iter().any(|(n, _)| *n == name)
    }

    pub fn render(&self, def: &ManifestDef, mpd: &MpdContext) -> Result<String, RenderError> {
        use askama::Template;
        // Room for a typical manifest up front: growing by doubling would
        // copy it several times.
        let mut xml = String::with_capacity(16 * 1024);
        let rendered = match def.name {
            "hand_made" => HandMade { mpd }.render_into(&mut xml),
            "manifest_a" => ManifestA { mpd }.render_into(&mut xml),
            "manifest_b" => ManifestB { mpd }.render_into(&mut xml),
            "manifest_e" => ManifestE { mpd }.render_into(&mut xml),
            "manifest_ef" => ManifestEf { mpd }.render_into(&mut xml),
            "manifest_h" => ManifestH { mpd }.render_into(&mut xml),
            "manifest_i" => ManifestI { mpd }.render_into(&mut xml),
            "manifest_n" => ManifestN { mpd }.render_into(&mut xml),
            "manifest_vod_aiv" => ManifestVodAiv { mpd }.render_into(&mut xml),
            other => return Err(RenderError::NoTemplate(other.into())),
        };
        rendered.map_err(|e| RenderError::Template {
            name: def.name.into(),
            message: e.to_string(),
        })?;
        // askama drops the template file's final newline; a text file ends with one.
        xml.push('\n');
        Ok(xml)
    }
}

/// Bumped whenever the code that renders (not the templates' text) changes
/// the bytes of a manifest, so that trees built before are rendered again.
const RENDERER_REVISION: u32 = 3;

/// A hash of every template's text: a build whose templates changed must
/// render its manifests (and its home page) again.
pub fn templates_fingerprint() -> String {
    let mut h = blake3::Hasher::new();
    h.update(&RENDERER_REVISION.to_le_bytes());
    for (name, text) in TEMPLATES {
        h.update(name.as_bytes());
        h.update(text.as_bytes());
    }
    h.update(include_str!("../../templates/pages/base.html").as_bytes());
    h.update(include_str!("../../templates/pages/index.html").as_bytes());
    h.finalize().to_hex().to_string()
}
