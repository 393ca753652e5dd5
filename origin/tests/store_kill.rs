//! A killed origin leaves the admin store whole: a child process commits
//! small transactions in a loop (`store churn`, each an audit entry and a
//! counter in one transaction) and is killed (SIGKILL) at varying moments;
//! after each kill the store opens and `store check` finds every table
//! readable and the counter equal to the entries: no half-written change.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn origin(store: &Path, settings: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dashlive-origin"));
    c.arg("--settings").arg(settings).arg("--store").arg(store);
    c
}

/// The `N churned` of `store check`'s summary.
fn check(store: &Path, settings: &Path) -> u64 {
    let out = origin(store, settings)
        .args(["store", "check"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "store check failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = text.trim_end().strip_suffix(" churned").expect(&text);
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_store_killed_mid_write_opens_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("admin.redb");
    let settings = dir.path().join("empty.env");
    std::fs::write(&settings, "").unwrap();
    let mut last = 0;
    for delay_ms in [5u64, 40, 90, 150, 230, 320] {
        let mut child = origin(&store, &settings)
            .args(["store", "churn", "1000000"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        let now = check(&store, &settings);
        assert!(
            now >= last,
            "committed transactions were lost: {now} < {last}"
        );
        last = now;
    }
    assert!(
        last > 0,
        "no transaction was committed before a kill: the test proved nothing"
    );
}
