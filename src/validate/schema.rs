//! The DASH XML Schema, through xmllint when it is installed: one finding per
//! schema error, on its line.

use std::path::Path;
use std::process::Command;

use super::rules::rule;
use super::Finding;

pub fn check(xml: &[u8], dir: &Path) -> Vec<Finding> {
    let xsd = dir.join("DASH-MPD.xsd");
    let not_checked = |why: String| {
        vec![rule("schema.not-checked").finding("/".into(), 0, "the schema checked", why)]
    };
    if !xsd.is_file() {
        return not_checked(format!("no {}", xsd.display()));
    }
    let file = match tempfile::Builder::new().suffix(".mpd").tempfile() {
        Ok(f) => f,
        Err(e) => return not_checked(e.to_string()),
    };
    if let Err(e) = std::fs::write(file.path(), xml) {
        return not_checked(e.to_string());
    }
    let out = match Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&xsd)
        .arg(file.path())
        .output()
    {
        Ok(o) => o,
        Err(e) => return not_checked(format!("xmllint: {e}")),
    };
    let name = file.path().to_string_lossy().into_owned();
    parse_errors(&String::from_utf8_lossy(&out.stderr), &name)
}

/// `FILE:LINE: element X: Schemas validity error : …` lines.
fn parse_errors(stderr: &str, file: &str) -> Vec<Finding> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(file)?.strip_prefix(':')?;
            let (line, msg) = rest.split_once(':')?;
            let line: u32 = line.trim().parse().ok()?;
            let msg = msg.trim();
            let path = msg
                .strip_prefix("element ")
                .and_then(|m| m.split(':').next())
                .map_or("/".into(), |e| format!("//{}", e.trim()));
            Some(rule("schema.xsd").finding(
                path,
                line,
                "valid against DASH-MPD.xsd",
                msg.to_string(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_xmllint_lines() {
        let f = super::parse_errors(
            "/t/x.mpd:7: element Representation: Schemas validity error : Element '{urn:mpeg:dash:schema:mpd:2011}Representation', attribute 'bandwidth': 'x' is not a valid value\n/t/x.mpd fails to validate\n",
            "/t/x.mpd",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].line, 7);
        assert_eq!(f[0].path, "//Representation");
    }
}
