//! The admin pages of multi-period programmes
//! (`templates/pages/admin/programme*.html`): the list with the add form,
//! and one programme's form with where its boundaries snapped. The form is
//! the same for both; the loader's errors are shown beside the fields they
//! name. Every value is escaped by askama.

use askama::Template;

use super::admin::Frame;
use super::admin_streams::OptionField;
use super::PageError;

/// A programme as the list shows it.
#[derive(Debug, Clone)]
pub struct ProgrammeRow {
    pub name: String,
    pub title: String,
    pub periods: usize,
}

/// One period row of the form, as typed (numbers as text, so a value the
/// loader refused is shown again as it was).
#[derive(Debug, Clone, Default)]
pub struct PeriodForm {
    pub id: String,
    pub stream: String,
    /// `content` or `ad`.
    pub role: String,
    pub start: String,
    pub duration: String,
    /// One track a line: `rep [role=…] [lang=…]`.
    pub tracks: String,
    /// Encrypted when a request asks for `drm=`.
    pub encrypted: bool,
    /// (field within the period, e.g. `stream` or `tracks[0].rep`, message).
    pub errors: Vec<(String, String)>,
}

impl PeriodForm {
    /// The messages of a field (and of its items: `tracks` has those of
    /// `tracks[0].rep`), one a line.
    pub fn error(&self, field: &str) -> String {
        let mine =
            |f: &str| f == field || f.strip_prefix(field).is_some_and(|r| r.starts_with('['));
        self.errors
            .iter()
            .filter(|(f, _)| mine(f))
            .map(|(f, m)| {
                if f == field {
                    m.clone()
                } else {
                    format!("{f}: {m}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Where one period's span snapped, in seconds of its stream's media.
#[derive(Debug, Clone)]
pub struct SnapRow {
    pub id: String,
    pub stream: String,
    pub asked: (f64, f64),
    pub snapped: (f64, f64),
}

impl SnapRow {
    fn span((start, end): (f64, f64)) -> String {
        format!("{start:.3} – {end:.3}")
    }

    pub fn asked_text(&self) -> String {
        Self::span(self.asked)
    }

    pub fn snapped_text(&self) -> String {
        Self::span(self.snapped)
    }

    /// How far each end moved, or empty when neither did.
    pub fn moved(&self) -> String {
        let mut out = Vec::new();
        for (what, asked, got) in [
            ("start", self.asked.0, self.snapped.0),
            ("end", self.asked.1, self.snapped.1),
        ] {
            // Below a microsecond is the seconds' rounding, not a snap.
            if (got - asked).abs() >= 1e-6 {
                out.push(format!("{what} {:+.3} s", got - asked));
            }
        }
        out.join(", ")
    }
}

/// The form: a new programme's (blank) or one's own.
#[derive(Debug)]
pub struct ProgrammeForm<'a> {
    /// Where it posts: `/admin/programmes` or `/admin/programmes/<name>`.
    pub action: &'a str,
    pub name: &'a str,
    pub title: &'a str,
    pub options: &'a [OptionField],
    /// Its periods, then blank rows to fill.
    pub periods: &'a [PeriodForm],
    /// The catalog's streams, for each period's choice.
    pub streams: &'a [String],
    /// (field: `name`, `title`, `options` or empty for the whole file,
    /// message).
    pub errors: &'a [(String, String)],
}

impl ProgrammeForm<'_> {
    /// The stream choices of a period: (directory, selected), with its own
    /// stream kept when the catalog no longer has it (the loader says so).
    pub fn stream_choices(&self, p: &PeriodForm) -> Vec<(String, bool)> {
        let mut out: Vec<(String, bool)> = self
            .streams
            .iter()
            .map(|s| (s.clone(), *s == p.stream))
            .collect();
        if !p.stream.is_empty() && !self.streams.contains(&p.stream) {
            out.push((p.stream.clone(), true));
        }
        out
    }

    pub fn error(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// One programme's page.
#[derive(Debug)]
pub struct ProgrammeView<'a> {
    pub name: &'a str,
    /// Its periods as the served tree has them (none: not built).
    pub snapped: &'a [SnapRow],
    /// (label, URL) of its manifests and player pages.
    pub links: &'a [(&'static str, String)],
}

#[derive(Template)]
#[template(path = "pages/admin/programmes.html")]
struct Programmes<'a> {
    f: Frame<'a>,
    csrf: &'a str,
    programmes: &'a [ProgrammeRow],
    form: Option<&'a ProgrammeForm<'a>>,
}

#[derive(Template)]
#[template(path = "pages/admin/programme.html")]
struct Programme<'a> {
    f: Frame<'a>,
    csrf: &'a str,
    p: &'a ProgrammeView<'a>,
    form: Option<&'a ProgrammeForm<'a>>,
}

fn done(page: &'static str, r: askama::Result<String>) -> Result<String, PageError> {
    r.map_err(|source| PageError::Render { page, source })
}

/// `form`: the add form (only for those who may change the catalog).
pub fn programmes(
    f: Frame,
    csrf: &str,
    programmes: &[ProgrammeRow],
    form: Option<&ProgrammeForm>,
) -> Result<String, PageError> {
    let page = Programmes {
        f,
        csrf,
        programmes,
        form,
    };
    done("programmes", page.render())
}

pub fn programme(
    f: Frame,
    csrf: &str,
    p: &ProgrammeView,
    form: Option<&ProgrammeForm>,
) -> Result<String, PageError> {
    done("programme", Programme { f, csrf, p, form }.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_periods_errors_are_its_fields_and_their_items() {
        let p = PeriodForm {
            errors: vec![
                ("stream".into(), "no such stream".into()),
                ("tracks[1].rep".into(), "listed twice".into()),
                ("streams".into(), "not mine".into()),
            ],
            ..PeriodForm::default()
        };
        assert_eq!(p.error("stream"), "no such stream");
        assert_eq!(p.error("tracks"), "tracks[1].rep: listed twice");
        assert_eq!(p.error("id"), "");
    }
}
