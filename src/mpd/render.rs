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
pub(crate) mod filters {
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

    /// The `<S>` elements of a timeline; see [`s_elements`].
    pub struct SElements<'a> {
        runs: &'a [crate::mpd::timeline::S],
        order: &'a str,
        indent: usize,
    }

    impl SElements<'_> {
        /// One `<S>` line: newline, indent, the element.
        fn line(&self, s: &crate::mpd::timeline::S, out: &mut String) {
            const SPACES: &str = "                ";
            let mut num = itoa::Buffer::new();
            out.push('\n');
            out.push_str(&SPACES[..self.indent.min(SPACES.len())]);
            out.push_str("<S");
            for attr in self.order.bytes() {
                let (name, value) = match attr {
                    b't' => (" t=\"", s.t),
                    b'd' => (" d=\"", Some(s.d)),
                    b'r' => (" r=\"", Some(s.r).filter(|r| *r > 0)),
                    _ => continue,
                };
                if let Some(v) = value {
                    out.push_str(name);
                    out.push_str(num.format(v));
                    out.push('"');
                }
            }
            out.push_str("/>");
        }

        fn write<W: fmt::Write + ?Sized>(&self, dest: &mut W) -> fmt::Result {
            // A live window repeats a few (d, r) pairs loop after loop (BBB's
            // AAC: four pairs, 270 lines): each pair is laid out once.
            const MEMO: usize = 8;
            let mut memo: Vec<(u64, u64, String)> = Vec::with_capacity(MEMO);
            let mut scratch = String::with_capacity(96);
            for s in self.runs {
                if s.t.is_some() {
                    scratch.clear();
                    self.line(s, &mut scratch);
                    dest.write_str(&scratch)?;
                    continue;
                }
                match memo.iter().find(|(d, r, _)| *d == s.d && *r == s.r) {
                    Some((_, _, text)) => dest.write_str(text)?,
                    None => {
                        let mut text = String::with_capacity(64);
                        self.line(s, &mut text);
                        dest.write_str(&text)?;
                        if memo.len() < MEMO {
                            memo.push((s.d, s.r, text));
                        }
                    }
                }
            }
            Ok(())
        }
    }

    impl askama::FastWritable for SElements<'_> {
        fn write_into<W: fmt::Write + ?Sized>(
            &self,
            dest: &mut W,
            _: &dyn askama::Values,
        ) -> askama::Result<()> {
            Ok(self.write(dest)?)
        }
    }

    impl fmt::Display for SElements<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.write(f)
        }
    }

    /// `{{ timeline|s_elements("tdr", 10)|safe }}`: every `<S>` of `runs`,
    /// each on a new line indented by `indent` spaces, its attributes in
    /// `order` (`t` when set, `d`, `r` when not zero). The template keeps the
    /// vendor's layout; the loop runs in Rust because a live window holds
    /// hundreds of entries.
    pub fn s_elements<'a>(
        runs: &'a [crate::mpd::timeline::S],
        _: &dyn askama::Values,
        order: &'a str,
        indent: usize,
    ) -> askama::Result<SElements<'a>> {
        Ok(SElements {
            runs,
            order,
            indent,
        })
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
                mpd: &'a MpdContext<'a>,
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
    // The parts the manifest templates include.
    h.update(include_str!("../../templates/manifests/events/inband.mpd").as_bytes());
    h.update(include_str!("../../templates/manifests/events/period.mpd").as_bytes());
    h.update(include_str!("../../templates/pages/base.html").as_bytes());
    h.update(include_str!("../../templates/pages/index.html").as_bytes());
    h.finalize().to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::filters::s_elements;
    use crate::mpd::timeline::S;

    #[test]
    fn s_elements_follow_the_vendor_order_and_repeat_lines_exactly() {
        let s = |t, d, r| S { t, d, r };
        let runs = [
            s(Some(0), 176_128, 2),
            s(None, 177_152, 0),
            s(None, 176_128, 2),
            s(None, 177_152, 0),
            s(None, 176_128, 1),
        ];
        let write = |order, indent| s_elements(&runs, &(), order, indent).unwrap().to_string();
        let hand_made = write("tdr", 2);
        assert_eq!(
            hand_made,
            "\n  <S t=\"0\" d=\"176128\" r=\"2\"/>\
             \n  <S d=\"177152\"/>\
             \n  <S d=\"176128\" r=\"2\"/>\
             \n  <S d=\"177152\"/>\
             \n  <S d=\"176128\" r=\"1\"/>"
        );
        assert!(write("rtd", 0).starts_with("\n<S r=\"2\" t=\"0\" d=\"176128\"/>"));
        assert!(write("dr", 4).starts_with("\n    <S d=\"176128\" r=\"2\"/>"));
        assert_eq!(write("tdr", 2).matches("<S").count(), runs.len());
    }
}
