//! Finds where a field sits in a YAML file, for error messages about values
//! that parsed but are wrong (serde reports positions only for syntax).
//! Catalog files are small block-style YAML, so a line scan is enough.

/// 1-based (line, column) of the value of top-level `key`, or of the key
/// itself when its value is on later lines; (1, 1) when not found.
pub fn key(text: &str, key: &str) -> (usize, usize) {
    find_key(text, key).map_or((1, 1), |(line, col, _)| (line, col))
}

/// (line, column, byte index of the line) of top-level `key`'s value.
fn find_key(text: &str, key: &str) -> Option<(usize, usize, usize)> {
    let mut offset = 0;
    for (i, line) in text.lines().enumerate() {
        let start = offset;
        offset += line.len() + 1;
        let Some(rest) = line.strip_prefix(key) else {
            continue;
        };
        let Some(value) = rest.strip_prefix(':') else {
            continue;
        };
        let pad = value.len() - value.trim_start().len();
        let col = key.len() + 1 + pad + 1;
        return Some((i + 1, if value.trim().is_empty() { 1 } else { col }, start));
    }
    None
}

/// Position of the `index`-th item of the block list under top-level `key`;
/// the key's own position for a flow list (`media: [a, b]`).
pub fn item(text: &str, key: &str, index: usize) -> (usize, usize) {
    let Some((line, col, _)) = find_key(text, key) else {
        return (1, 1);
    };
    let mut seen = 0;
    // Items of this list are at the first item's indent; deeper ones
    // belong to lists nested in its items.
    let mut list_indent = None;
    for (i, l) in text.lines().enumerate().skip(line) {
        let trimmed = l.trim_start();
        if !l.starts_with([' ', '-', '\t']) && !trimmed.is_empty() && !trimmed.starts_with('#') {
            break; // the next top-level key
        }
        if let Some(v) = trimmed
            .strip_prefix("- ")
            .or(trimmed.strip_prefix('-').filter(|r| r.is_empty()))
        {
            let indent = l.len() - trimmed.len();
            if *list_indent.get_or_insert(indent) != indent {
                continue;
            }
            if seen == index {
                let pad = v.len() - v.trim_start().len();
                return (i + 1, indent + 2 + pad + 1);
            }
            seen += 1;
        }
    }
    (line, col)
}

/// Position of the value of `key` in the block map under top-level
/// `parent` (`defaults:` then `  drm: all`); the parent's own position for
/// a flow map (`defaults: {drm: all}`) or when not found.
pub fn nested_key(text: &str, parent: &str, key: &str) -> (usize, usize) {
    let Some((line, col, _)) = find_key(text, parent) else {
        return (1, 1);
    };
    for (i, l) in text.lines().enumerate().skip(line) {
        let trimmed = l.trim_start();
        if !l.starts_with([' ', '\t']) && !trimmed.is_empty() && !trimmed.starts_with('#') {
            break; // the next top-level key
        }
        // The key as written, bare or quoted.
        let rest = [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
            .iter()
            .find_map(|k| {
                trimmed
                    .strip_prefix(k.as_str())
                    .and_then(|r| r.strip_prefix(':'))
            });
        if let Some(value) = rest {
            let pad = value.len() - value.trim_start().len();
            return (i + 1, l.len() - value.len() + pad + 1);
        }
    }
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "directory: bbb\nmedia:\n  - a.mp4\n  # note\n  -   b.mp4\ntiming_ref: b\nkeys: [x]\n";

    #[test]
    fn finds_keys_and_items() {
        assert_eq!(key(TEXT, "directory"), (1, 12));
        assert_eq!(key(TEXT, "timing_ref"), (6, 13));
        assert_eq!(item(TEXT, "media", 0), (3, 5));
        assert_eq!(item(TEXT, "media", 1), (5, 7));
        assert_eq!(item(TEXT, "keys", 0), (7, 7));
        assert_eq!(key(TEXT, "missing"), (1, 1));
    }

    #[test]
    fn finds_keys_of_a_nested_map() {
        let text =
            "directory: x\ndefaults:\n  abr: 0\n  # drm: no\n  \"drm\":   all\ntitle: t\ndrm: 1\n";
        assert_eq!(nested_key(text, "defaults", "abr"), (3, 8));
        assert_eq!(nested_key(text, "defaults", "drm"), (5, 12));
        assert_eq!(nested_key(text, "defaults", "title"), (2, 1));
        assert_eq!(
            nested_key("defaults: {drm: all}\n", "defaults", "drm"),
            (1, 11)
        );
    }
}
