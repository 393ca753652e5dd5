//! The validator's page (`/validate` on the origin): a form for a manifest
//! URL and the run's options, the findings table its script fills from the
//! server-sent events, the manifest's text with one anchor per line, and,
//! for a signed-in member of the media group, the form that adds the
//! validated stream to the server (`templates/pages/validate.html`, whose
//! script is `templates/pages/validate.js`).

use askama::Template;

use super::PageError;

/// The page's script, served by the origin as `/validate/validate.js`.
pub const VALIDATE_JS: &str = include_str!("../../templates/pages/validate.js");

/// What the form holds (as asked, or the defaults).
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub url: String,
    pub duration: u32,
    pub segments: u32,
    pub encrypted: bool,
}

/// The server's bounds on one run, said on the page.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_duration_s: u32,
    pub time_limit_s: u32,
    pub max_runs: usize,
    pub max_segments: u32,
}

#[derive(Template)]
#[template(path = "pages/validate.html", config = "templates/askama.toml")]
struct ValidatePage<'a> {
    form: &'a Form,
    limits: Limits,
    /// Whether the page starts the run (a URL was given).
    run: bool,
    /// The CSRF token of a media-group session: the "add" form is shown.
    add_csrf: Option<&'a str>,
}

pub fn page(form: &Form, limits: Limits, add_csrf: Option<&str>) -> Result<String, PageError> {
    ValidatePage {
        form,
        limits,
        run: !form.url.is_empty(),
        add_csrf,
    }
    .render()
    .map_err(|source| PageError::Render {
        page: "validate",
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_duration_s: 60,
        time_limit_s: 120,
        max_runs: 2,
        max_segments: 50,
    };

    #[test]
    fn the_form_keeps_its_values_escaped_and_says_the_limits() {
        let form = Form {
            url: "http://h/a.mpd?x=\"><script>".into(),
            duration: 5,
            segments: 3,
            encrypted: true,
        };
        let html = page(&form, LIMITS, None).unwrap();
        assert!(!html.contains("\"><script>"), "{html}");
        assert!(html.contains("at most 60 s"), "{html}");
        assert!(html.contains("120 s"));
        assert!(html.contains("checked"));
        assert!(
            !html.contains("/admin/validate"),
            "no add form without a session"
        );
        let html = page(&form, LIMITS, Some("tok")).unwrap();
        assert!(html.contains("action=\"/admin/validate\""));
        assert!(html.contains("value=\"tok\""));
    }
}
