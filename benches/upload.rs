//! Upload speed (issue 15 "Speed"; figures in docs/benchmarks.md): a
//! release `dashlive-origin` on loopback, with a store and an API token,
//! and `dashlive upload`'s library code as the client.
//!
//! * upload throughput: a 100 MB fragmented MP4 (25 fragments of 4 MB, from
//!   `tests/common/fmp4.rs`), first to last byte of the multipart body,
//!   which the origin writes to disk as it arrives (target ≥ 200 MB/s);
//! * after the last byte of that upload: the origin's indexing, rebuild and
//!   swap until it answers (target for indexing ≤ 100 ms), and indexing the
//!   same file alone in this process;
//! * the test card (synth, 3 s, 320x180 and AAC): from the upload's last
//!   byte to the live manifest answering 200 (target ≤ 1 s).
//!
//! Not criterion: each sample is an HTTP upload that rebuilds a stream.
//! Run: `cargo build --release -p dashlive-origin && cargo bench --bench upload`
//! (`DASHLIVE_ORIGIN_BIN` names another origin binary).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dashlive::transfer::client::{Auth, Client};
use dashlive::transfer::{upload, Silent};

#[path = "../tests/common/fmp4.rs"]
mod fmp4;

const ROUNDS: usize = 5;
const PASSWORD: &str = "bench password one";

fn origin_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("DASHLIVE_ORIGIN_BIN") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("release/dashlive-origin")
}

fn run(bin: &Path, root: &Path, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run dashlive-origin");
    if let Some(mut i) = child.stdin.take() {
        i.write_all(stdin.as_bytes()).expect("stdin");
    }
    let out = child.wait_with_output().expect("dashlive-origin ran");
    assert!(out.status.success(), "dashlive-origin {args:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Origin(Child);

impl Drop for Origin {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    l.local_addr().expect("its address").port()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// An upload file for one stream of `files` (copied beside it).
fn upload_json(dir: &Path, directory: &str, files: &[PathBuf]) -> PathBuf {
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            let to = dir.join(&name);
            if !to.exists() {
                std::fs::hard_link(f, &to)
                    .or_else(|_| std::fs::copy(f, &to).map(|_| ()))
                    .unwrap();
            }
            format!("{name:?}")
        })
        .collect();
    let p = dir.join(format!("{directory}.json"));
    let text = format!(
        r#"{{"streams": [{{"directory": "{directory}", "title": "{directory}", "files": [{}], "timing_ref": {}}}]}}"#,
        names.join(", "),
        names[0]
    );
    std::fs::write(&p, text).unwrap();
    p
}

fn main() {
    let bin = origin_bin();
    if !bin.is_file() {
        eprintln!(
            "upload: skipped: no {} (cargo build --release -p dashlive-origin)",
            bin.display()
        );
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let r = root.path();
    std::fs::create_dir_all(r.join("config/streams")).unwrap();
    let store = r.join("admin.redb");
    let s = store.to_str().unwrap();
    run(
        &bin,
        r,
        &[
            "--store",
            s,
            "user",
            "add",
            "bench",
            "--groups",
            "media",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let token_out = run(
        &bin,
        r,
        &["--store", s, "token", "add", "bench", "--days", "1"],
        "",
    );
    let token = token_out
        .lines()
        .last()
        .expect("a token line")
        .trim()
        .to_string();
    let port = free_port();
    let origin = Origin(
        Command::new(&bin)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--store",
                s,
            ])
            .args([
                "--config",
                "config",
                "--out",
                "out",
                "--demo",
                "none",
                "--max-upload-mb",
                "4096",
            ])
            .current_dir(r)
            .env("RUST_LOG", "warn")
            .stderr(Stdio::null())
            .spawn()
            .expect("start the origin"),
    );
    let host = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while ureq::get(&format!("{host}/healthz")).call().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the origin did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // A user made on the command line changes the password first.
    let login = Client::connect(
        &host,
        &Auth::Login {
            username: "bench".into(),
            password: PASSWORD.into(),
        },
    )
    .unwrap();
    login
        .post_form(
            "/admin/password",
            &[
                ("current", PASSWORD),
                ("password", "bench password two"),
                ("confirm", "bench password two"),
            ],
        )
        .unwrap()
        .expect("changing the password")
        .unwrap();
    let client = Client::connect(&host, &Auth::Token(token)).unwrap();

    // The 100 MB file.
    let media = r.join("media-src");
    std::fs::create_dir_all(&media).unwrap();
    let spec = fmp4::Spec {
        fragments: 25,
        samples_per_fragment: 100,
        sample_size: 40_000,
        ..fmp4::Spec::default()
    };
    let big = media.join("big_video.mp4");
    std::fs::write(&big, fmp4::file(&spec)).unwrap();
    let big_len = std::fs::metadata(&big).unwrap().len();
    let index_alone: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            dashlive::media::index_file(&big).expect("the big file indexes");
            t.elapsed().as_secs_f64()
        })
        .collect();
    let (mut rates, mut after) = (Vec::new(), Vec::new());
    for i in 0..ROUNDS {
        let dir = r.join(format!("up-big-{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let json = upload_json(&dir, &format!("big{i}"), std::slice::from_ref(&big));
        let u = upload::upload_file(&client, &json, &Silent).expect("the big upload");
        rates.push(big_len as f64 / 1e6 / u[0].sent_s);
        after.push(u[0].answered_s);
    }

    // The test card: last byte to a live manifest.
    let card = media.join("card");
    let mut o = dashlive::media::synth::SynthOptions::new(card.clone());
    o.duration_ms = 2880;
    o.segment_ms = 960;
    o.ladder = dashlive::media::synth::parse_ladder("320x180@300k").unwrap();
    o.prefix = "card".into();
    dashlive::media::synth::synth(&o).unwrap();
    let files = vec![card.join("card_180p.mp4"), card.join("card_aac.mp4")];
    let mut live = Vec::new();
    for i in 0..ROUNDS {
        let dir = r.join(format!("up-card-{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let json = upload_json(&dir, &format!("card{i}"), &files);
        let u = upload::upload_file(&client, &json, &Silent).expect("the card upload");
        let t = Instant::now();
        let a = client
            .get(&format!("/dash/live/card{i}/hand_made.mpd"))
            .unwrap();
        assert_eq!(a.status, 200, "{}", a.text);
        live.push(u[0].answered_s + t.elapsed().as_secs_f64());
    }
    drop(origin);
    println!(
        "upload/100MB: {:.1} MB/s to disk (median of {ROUNDS}; {})",
        median(rates.clone()),
        fmt(&rates, " MB/s", 1.0)
    );
    println!(
        "upload/100MB after the last byte (index + rebuild + swap): {:.0} ms ({})",
        median(after.clone()) * 1e3,
        fmt(&after, " ms", 1e3)
    );
    println!(
        "index_file on the 100 MB file alone: {:.2} ms ({})",
        median(index_alone.clone()) * 1e3,
        fmt(&index_alone, " ms", 1e3)
    );
    println!(
        "card: last byte to live manifest 200: {:.0} ms ({})",
        median(live.clone()) * 1e3,
        fmt(&live, " ms", 1e3)
    );
}

fn fmt(v: &[f64], unit: &str, scale: f64) -> String {
    v.iter()
        .map(|x| format!("{:.1}{unit}", x * scale))
        .collect::<Vec<_>>()
        .join(", ")
}
