//! `dashlive upload` and `dashlive download` as a user runs them: the
//! refusals that need no server. (Uploads to and downloads from a running
//! origin are tested in `origin/src/admin/cli_tests.rs`, which serves one.)

use std::process::Command;

fn dashlive(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dashlive"))
        .args(args)
        .output()
        .expect("run dashlive");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `dashlive upload` with a token, of `json`, to a server that is not there.
fn upload_nowhere(json: &std::path::Path) -> (bool, String, String) {
    let host = format!("http://127.0.0.1:{}", closed_port());
    let args = [
        "upload",
        "--host",
        &host,
        "--token",
        "t",
        json.to_str().unwrap(),
    ];
    let (ok, err) = dashlive(&args);
    (ok, err, host)
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn a_malformed_upload_file_is_refused_naming_it_and_its_field() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("mine.json");
    std::fs::write(
        &p,
        r#"{"streams": [{"directory": "a", "files": ["a.mp4"]}]}"#,
    )
    .unwrap();
    let (ok, err, _) = upload_nowhere(&p);
    assert!(!ok);
    assert!(
        err.contains("mine.json") && err.contains("missing field `title`"),
        "{err}"
    );
}

#[test]
fn an_unreachable_server_is_named() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.mp4"), b"x").unwrap();
    let p = d.path().join("u.json");
    std::fs::write(
        &p,
        r#"{"streams": [{"directory": "a", "title": "A", "files": ["a.mp4"], "timing_ref": "a"}]}"#,
    )
    .unwrap();
    let (ok, err, host) = upload_nowhere(&p);
    assert!(!ok);
    assert!(err.contains(&host), "{err}");
    let (ok, err) = dashlive(&[
        "download",
        "--host",
        &host,
        d.path().join("dest").to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains(&host), "{err}");
}

#[test]
fn a_password_needs_a_username() {
    let (ok, err) = dashlive(&["upload", "--password", "p", "x.json"]);
    assert!(!ok);
    assert!(err.contains("--username"), "{err}");
}
