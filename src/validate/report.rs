//! Findings for people (one line each, errors first, counted) and for
//! pipelines (JSON).

use super::{Finding, Severity};

pub fn text(url: &str, findings: &[Finding]) -> String {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.line.cmp(&b.line)));
    let mut s = format!("{url}\n");
    for f in &sorted {
        s.push_str(&format!("  {f}\n"));
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    s.push_str(&format!(
        "{errors} error(s), {} warning(s)\n",
        findings.len() - errors
    ));
    s
}

pub fn json(url: &str, findings: &[Finding], checked: usize) -> String {
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    serde_json::json!({
        "url": url,
        "errors": errors,
        "warnings": findings.len() - errors,
        "segments_checked": checked,
        "findings": findings,
    })
    .to_string()
}
