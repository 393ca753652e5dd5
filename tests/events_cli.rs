//! `dashlive inspect` decodes the SCTE-35 message of an `emsg` in a segment
//! and of an `<Event>` in an MPD.

use std::process::Command;

use dashlive::mp4::boxes::Emsg;
use dashlive::mp4::WriteBox;
use dashlive::options::{Mode, Options};

fn inspect(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dashlive"))
        .arg("inspect")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn scte35_emsg() -> Vec<u8> {
    let (o, _) = Options::parse_query("events=scte35&scte35__count=4", Mode::Vod).unwrap();
    let g = &dashlive::events::generators(&o)[0];
    let span = dashlive::events::Span {
        start: 0,
        end: 100,
        timescale: 100,
        offset: 0,
    };
    let emsgs: Vec<Emsg> = g.emsgs(span).unwrap();
    assert_eq!(emsgs.len(), 1);
    emsgs[0].to_bytes()
}

#[test]
fn an_emsg_shows_its_splice_info_section() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("seg.m4s");
    let mut bytes = scte35_emsg();
    std::fs::write(&f, &bytes).unwrap();
    let (ok, text) = inspect(&[f.to_str().unwrap()]);
    assert!(ok, "{text}");
    assert!(text.contains("scte35"), "{text}");
    assert!(text.contains("unique_program_id"), "{text}");
    let (ok, json) = inspect(&[f.to_str().unwrap(), "--json"]);
    assert!(ok, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let s = &v["boxes"][0]["fields"]["scte35"];
    assert_eq!(s["command"]["Insert"]["splice_event_id"], 0, "{json}");
    assert_eq!(s["command"]["Insert"]["splice"]["unique_program_id"], 1620);
    // A damaged message says why it does not decode.
    let n = bytes.len();
    bytes[n - 1] ^= 0xFF;
    std::fs::write(&f, &bytes).unwrap();
    let (_, json) = inspect(&[f.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let e = v["boxes"][0]["fields"]["scte35_error"].as_str().unwrap();
    assert!(e.contains("CRC_32"), "{e}");
}

#[test]
fn an_mpd_shows_its_scte35_events() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("m.mpd");
    let xml = r#"<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><Period><EventStream schemeIdUri="urn:scte:scte35:2014:xml+bin" timescale="1"><Event presentationTime="7" duration="60" id="4"><scte35:Signal xmlns:scte35="http://www.scte.org/schemas/35/2016"><scte35:Binary>/DAvAAAAAAAA///wFAVIAACPf+/+c2nALv4AUsz1AAAAAAAKAAhDVUVJAAABNWLbowo=</scte35:Binary></scte35:Signal></Event></EventStream></Period></MPD>"#;
    std::fs::write(&f, xml).unwrap();
    let (ok, text) = inspect(&[f.to_str().unwrap()]);
    assert!(ok, "{text}");
    assert!(
        text.starts_with(
            "Event id=4 presentationTime=7 duration=60 urn:scte:scte35:2014:xml+bin: "
        ),
        "{text}"
    );
    assert!(text.contains("\"splice_event_id\":1207959695"), "{text}");
    std::fs::write(&f, xml.replace("/DAv", "/DAw")).unwrap();
    let (ok, text) = inspect(&[f.to_str().unwrap()]);
    assert!(!ok);
    assert!(text.contains("error: SCTE-35"), "{text}");
}
