//! The HTML pages: the home page `dashlive build` writes into `out/index.html`
//! (every stream × manifest × mode, and a form that composes a URL from the
//! option table), and the player page `dashlive-origin` renders for `/play/…`.
//! Both are askama templates under `templates/pages/`.

pub mod admin;
pub mod admin_programmes;
pub mod admin_streams;
pub mod home;
pub mod play;
pub mod validate;

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("rendering {page}: {source}")]
    Render {
        page: &'static str,
        source: askama::Error,
    },
    #[error("{page}: {source}")]
    Json {
        page: &'static str,
        source: serde_json::Error,
    },
}

/// JSON to embed in `<script type="application/json">`: `<` is written as
/// `\u003c`, so no value can close the element or open a comment.
pub(crate) fn script_json(page: &'static str, value: &impl Serialize) -> Result<String, PageError> {
    serde_json::to_string(value)
        .map(|s| s.replace('<', "\\u003c"))
        .map_err(|source| PageError::Json { page, source })
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_json_cannot_close_its_script_element() {
        let s = super::script_json("t", &"</script><!--").unwrap();
        assert!(!s.contains('<'), "{s}");
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "</script><!--");
    }
}
