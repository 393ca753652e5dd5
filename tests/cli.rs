//! The `dashlive` command line as a user runs it.

mod common;

use std::process::{Command, Output};

use common::fmp4::{file, Spec};

fn dashlive(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dashlive"))
        .args(args)
        .output()
        .expect("run dashlive")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn synthetic(dir: &tempfile::TempDir, name: &str, data: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, data).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn inspect_prints_the_tree_with_fields() {
    let dir = tempfile::tempdir().unwrap();
    let f = synthetic(&dir, "v.mp4", &file(&Spec::default()));
    let out = dashlive(&["inspect", &f]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("moov @0x"), "{s}");
    assert!(
        s.contains("\n            avc1 @0x"),
        "indented by depth: {s}"
    );
    assert!(
        s.contains("avcC @0x") && s.contains("profile_indication=100"),
        "{s}"
    );
    assert!(
        s.contains("tfdt @0x") && s.contains("base_media_decode_time=50000"),
        "{s}"
    );
    assert!(s.contains("more samples (--full shows all)"), "{s}");
}

#[test]
fn inspect_json_and_box_selection() {
    let dir = tempfile::tempdir().unwrap();
    let f = synthetic(&dir, "v.mp4", &file(&Spec::default()));
    let out = dashlive(&["inspect", &f, "--json", "--box", "moof[1]/traf/tfdt"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let boxes = v["boxes"].as_array().unwrap();
    assert_eq!(boxes.len(), 1);
    assert_eq!(boxes[0]["path"], "moof[1]/traf[0]/tfdt");
    assert_eq!(boxes[0]["fields"]["base_media_decode_time"], 50_000);
}

#[test]
fn inspect_segments_lists_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let f = synthetic(&dir, "v.mp4", &file(&Spec::default()));
    let out = dashlive(&["inspect", &f, "--segments"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 1 + 1 + 4, "{s}");
    assert!(lines[1].trim_start().starts_with("init"));
    let last: Vec<&str> = lines[5].split_whitespace().collect();
    assert_eq!(last[0], "4");
    assert_eq!(last[3], "150000");
    assert_eq!(last[4], "50000");
}

#[test]
fn inspect_segments_json_numbers_each_media_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = file(&Spec::default());
    // Sequence numbers from 7: the numbers follow the first mfhd, not the position.
    for (at, _) in data
        .clone()
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"mfhd")
    {
        let seq = u32::from_be_bytes(data[at + 8..at + 12].try_into().unwrap());
        data[at + 8..at + 12].copy_from_slice(&(seq + 6).to_be_bytes());
    }
    let f = synthetic(&dir, "v.mp4", &data);
    let out = dashlive(&["inspect", &f, "--segments", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v.as_array().unwrap();
    let numbers: Vec<&serde_json::Value> = rows.iter().map(|r| &r["number"]).collect();
    assert_eq!(
        numbers,
        [
            &serde_json::Value::Null,
            &7.into(),
            &8.into(),
            &9.into(),
            &10.into()
        ]
    );
    assert_eq!(rows[4]["decode_time"], 150_000);
    assert_eq!(rows[4]["duration"], 50_000);
    // The text listing gives the same numbers.
    let out = dashlive(&["inspect", &f, "--segments"]);
    let s = text(&out.stdout);
    let last = s.lines().last().unwrap();
    assert_eq!(last.split_whitespace().next(), Some("10"), "{s}");
}

#[test]
fn a_broken_file_prints_what_parsed_then_the_error_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = file(&Spec::default());
    // Corrupt the size of the first mdat so it runs past the end of the file.
    let moof_end = {
        let first = dashlive::mp4::boxes(&data)
            .map(|b| b.unwrap())
            .find(|b| b.typ() == b"moof")
            .unwrap();
        (first.offset + first.header.size) as usize
    };
    data[moof_end..moof_end + 4].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
    let f = synthetic(&dir, "broken.mp4", &data);
    let out = dashlive(&["inspect", &f]);
    assert!(!out.status.success());
    let s = text(&out.stdout);
    assert!(s.contains("moov @0x") && s.contains("moof @0x"), "{s}");
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "mdat[0] at {moof_end:#x}: box size 2147483647 runs past"
        )),
        "{err}"
    );
}

#[test]
fn a_file_cut_inside_moov_shows_the_parsed_part_of_moov_then_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = file(&Spec::default());
    // Cut the file 6 bytes into the avcC payload, deep inside moov.
    let avcc = data.windows(4).position(|w| w == b"avcC").unwrap() - 4;
    let f = synthetic(&dir, "cut.mp4", &data[..avcc + 8 + 6]);
    let out = dashlive(&["inspect", &f]);
    assert!(!out.status.success());
    let s = text(&out.stdout);
    // The boxes before the cut, with their fields, and the cut ones marked.
    assert!(s.contains("ftyp @0x0"), "{s}");
    assert!(s.contains("moov @0x") && s.contains("(cut short: "), "{s}");
    assert!(
        s.contains("mvhd @0x") && s.contains("timescale=1000"),
        "{s}"
    );
    assert!(
        s.contains("hdlr @0x") && s.contains("handler_type=vide"),
        "{s}"
    );
    assert!(s.contains("avc1 @0x") && s.contains("width=320"), "{s}");
    assert!(
        s.contains(&format!(
            "avcC @{avcc:#x} size=25 (cut short: 14 bytes in the file)"
        )),
        "{s}"
    );
    assert!(!s.contains("mvex"), "nothing after the cut: {s}");
    let err = text(&out.stderr);
    assert_eq!(
        err.trim_end(),
        format!(
            "dashlive: {f}: moov/trak[0]/mdia/minf/stbl/stsd/avc1/avcC at {avcc:#x}: \
             truncated: needs 25 bytes, 14 available"
        )
    );

    let json = dashlive(&["inspect", &f, "--json", "--box", "moov"]);
    assert!(!json.status.success());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let moov = &v["boxes"][0];
    let moov_offset = moov["offset"].as_u64().unwrap();
    assert_eq!(moov["bytes_present"], avcc as u64 + 14 - moov_offset);
    assert_eq!(moov["children"][0]["type"], "mvhd");
    assert_eq!(v["errors"].as_array().unwrap().len(), 1);
}

#[test]
fn index_reports_errors_per_file_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let good = synthetic(&dir, "good.mp4", &file(&Spec::default()));
    let one = synthetic(
        &dir,
        "one.mp4",
        &file(&Spec {
            fragments: 1,
            ..Spec::default()
        }),
    );
    let out = dashlive(&["index", &good, &one, "--json"]);
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["codecs"], "avc1.640028");
    assert!(text(&out.stderr).contains("one.mp4: 1 media segment(s)"));
    let missing = dashlive(&["index", "/nonexistent/x.mp4"]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("/nonexistent/x.mp4"));
}

#[test]
fn inspect_shows_every_bbb_file_in_full() {
    let Some(dir) = common::bbb_dir("inspect_shows_every_bbb_file") else {
        return;
    };
    for name in common::BBB_FILES {
        let f = dir.join(format!("{name}.mp4"));
        let out = dashlive(&["inspect", f.to_str().unwrap(), "--full"]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let s = text(&out.stdout);
        for t in [
            "ftyp", "moov", "mvhd", "trak", "tkhd", "mdhd", "hdlr", "stsd", "moof", "mfhd", "tfdt",
            "trun", "mdat",
        ] {
            assert!(s.contains(&format!("{t} @0x")), "{name}: no {t}");
        }
        assert!(
            !s.contains("more samples"),
            "{name}: --full shows every sample"
        );
    }
}

#[test]
fn options_lists_the_whole_table() {
    let out = dashlive(&["options"]);
    assert!(out.status.success());
    let s = text(&out.stdout);
    assert!(
        s.contains("acodec (ac, audioCodec) = mp4a") && s.contains("mp4a|ec-3|any"),
        "{s}"
    );
    assert!(s.contains("61 options"), "{s}");
    let json = dashlive(&["options", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 61);
}

#[test]
fn a_closed_pipe_ends_the_listing_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dashlive"))
        .arg("options")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then hang up, as `| head -c1` would.
    let mut out = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    out.read_exact(&mut one).unwrap();
    drop(out);
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert!(status.success() || status.code().is_none(), "{status:?}");
}
