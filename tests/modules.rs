//! The library's top-level modules depend on each other in one direction
//! only: a cycle (`mp4` reading `media` while `media` reads `mp4`) means two
//! modules that cannot be understood, tested or changed apart. This reads
//! every `crate::<module>` path in `src/` (test code left out) and fails on
//! any cycle, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The source without its `#[cfg(test)]` modules and test files.
fn non_test_source(path: &Path) -> String {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return String::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "bin" {
            continue;
        }
        let text = non_test_source(path);
        let out = edges.entry(module.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != module {
                out.insert(name);
            }
        }
    }
    edges
}

#[test]
fn modules_have_no_cycles() {
    let edges = graph();
    // Depth-first search; a module met again on the current path closes a cycle.
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut cycle = path[at..].to_vec();
            cycle.push(m.to_string());
            panic!("module cycle: {}", cycle.join(" -> "));
        }
        path.push(m.to_string());
        for next in edges.get(m).into_iter().flatten() {
            visit(next, edges, path, done);
        }
        path.pop();
        done.insert(m.to_string());
    }
    let mut done = BTreeSet::new();
    for m in edges.keys() {
        visit(m, &edges, &mut Vec::new(), &mut done);
    }
    // The leaves stay leaves.
    for leaf in ["codec", "options", "layout", "policy"] {
        let deps: Vec<_> = edges[leaf]
            .iter()
            .filter(|d| !matches!(d.as_str(), "media" | "options" | "fsutil" | "error"))
            .collect();
        assert!(deps.is_empty(), "{leaf} depends on {deps:?}");
    }
}
