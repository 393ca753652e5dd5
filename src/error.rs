//! One line (or one block) per error for the binaries to print.

use std::error::Error;

/// `e` and its causes, joined by `: `, leaving out a cause whose message the
/// text so far already ends with: many errors carry their source's message
/// and expose the source too, and printing both says everything twice.
/// Nothing is lost, since what is left out is already on the line.
pub fn report(e: &(dyn Error + 'static)) -> String {
    let mut line = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("reading {path}: {source}")]
    struct Repeats {
        path: String,
        source: std::io::Error,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("building")]
    struct Context(#[source] Repeats);

    #[test]
    fn a_cause_already_in_the_message_is_printed_once() {
        let e = Context(Repeats {
            path: "a.yaml".into(),
            source: std::io::Error::other("gone"),
        });
        assert_eq!(report(&e), "building: reading a.yaml: gone");
    }
}
