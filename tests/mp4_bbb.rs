//! The MP4 layer on real content: every box of every BBB file is read,
//! typed where dashlive knows its type, written back byte for byte, and a
//! fragment survives being edited.

mod common;

use dashlive::mp4::boxes::{expect, Mfhd, Pssh, Saio, Senc, Sidx, Tfdt, Trun};
use dashlive::mp4::edit::{rewrite_moof, tfdt_to_v1, Node};
use dashlive::mp4::inspect::{inspect, BoxNode};
use dashlive::mp4::patch::find_patch_points;
use dashlive::mp4::{boxes, BoxRef, WriteBox};

const TYPED: &[&str] = &[
    "ftyp", "styp", "mvhd", "mehd", "trex", "tkhd", "mdhd", "hdlr", "elst", "stsd", "avc3", "avcC",
    "mp4a", "esds", "ec-3", "dec3", "enca", "encv", "frma", "schm", "tenc", "pssh", "btrt", "pasp",
    "stpp", "mfhd", "tfhd", "tfdt", "trun", "senc", "saiz", "saio", "sidx",
];

fn all_nodes<'a>(nodes: &'a [BoxNode], out: &mut Vec<&'a BoxNode>) {
    for n in nodes {
        out.push(n);
        all_nodes(&n.children, out);
    }
}

#[test]
fn every_box_of_every_file_parses_and_known_types_have_fields() {
    let Some(dir) = common::bbb_dir("every_box_parses") else {
        return;
    };
    let mut seen = std::collections::BTreeSet::new();
    for name in common::BBB_FILES {
        let data = std::fs::read(dir.join(format!("{name}.mp4"))).unwrap();
        let report = inspect(std::io::Cursor::new(&data), data.len() as u64);
        assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
        let mut nodes = Vec::new();
        all_nodes(&report.boxes, &mut nodes);
        for n in nodes {
            seen.insert(n.typ.clone());
            if TYPED.contains(&n.typ.as_str()) {
                assert!(
                    n.fields.is_some(),
                    "{name}: {} at {:#x} has no fields",
                    n.path,
                    n.offset
                );
            }
        }
    }
    for t in [
        "avc3", "encv", "enca", "ec-3", "dec3", "esds", "stpp", "senc", "tenc", "sidx",
    ] {
        assert!(seen.contains(t), "BBB files contain no {t}");
    }
}

#[test]
fn every_top_level_box_writes_back_unchanged() {
    let Some(dir) = common::bbb_dir("every_top_level_box_writes_back") else {
        return;
    };
    for name in common::BBB_FILES {
        let data = std::fs::read(dir.join(format!("{name}.mp4"))).unwrap();
        let mut rebuilt = Vec::new();
        for b in boxes(&data) {
            Node::from_box(&b.unwrap()).unwrap().write(&mut rebuilt);
        }
        assert!(rebuilt == data, "{name}: re-serialised file differs");
    }
}

fn each_box<'a>(b: &BoxRef<'a>, f: &mut impl FnMut(&BoxRef<'a>)) {
    f(b);
    for c in b.children() {
        each_box(&c.unwrap(), f);
    }
}

#[test]
fn writers_reproduce_the_boxes_they_read() {
    let Some(dir) = common::bbb_dir("writers_reproduce") else {
        return;
    };
    let mut counts = [0usize; 5];
    for name in common::BBB_FILES {
        let data = std::fs::read(dir.join(format!("{name}.mp4"))).unwrap();
        for top in boxes(&data) {
            each_box(&top.unwrap(), &mut |b| {
                let written = match &b.typ().0 {
                    b"sidx" => Some((0, expect(b, Sidx::parse).unwrap().to_bytes())),
                    b"tfdt" => Some((1, expect(b, Tfdt::parse).unwrap().to_bytes())),
                    b"mfhd" => Some((2, expect(b, Mfhd::parse).unwrap().to_bytes())),
                    b"senc" => Some((3, expect(b, |p| Senc::parse(p, 8)).unwrap().to_bytes())),
                    b"pssh" => Some((4, expect(b, Pssh::parse).unwrap().to_bytes())),
                    _ => None,
                };
                if let Some((i, bytes)) = written {
                    counts[i] += 1;
                    assert!(bytes == b.data, "{name}: {} differs when rewritten", b.path);
                }
            });
        }
    }
    assert!(counts[..4].iter().all(|&c| c > 0), "{counts:?}");
}

/// The bytes a traf's samples start at, following its trun data offset.
fn first_sample(seg: &[u8]) -> (usize, usize) {
    let moof = boxes(seg)
        .find(|b| b.as_ref().unwrap().typ() == b"moof")
        .unwrap()
        .unwrap();
    let traf = moof.child(b"traf").unwrap().unwrap();
    let trun = expect(&traf.child(b"trun").unwrap().unwrap(), Trun::parse).unwrap();
    let start = moof.offset as usize + trun.data_offset.unwrap() as usize;
    (start, trun.samples[0].size.unwrap() as usize)
}

#[test]
fn editing_an_encrypted_fragment_keeps_offsets_right() {
    let Some(dir) = common::bbb_dir("editing_an_encrypted_fragment") else {
        return;
    };
    let data = std::fs::read(dir.join("bbb_v6_enc.mp4")).unwrap();
    let moof = boxes(&data)
        .find(|b| b.as_ref().unwrap().typ() == b"moof")
        .unwrap()
        .unwrap();
    let mdat = boxes(&data)
        .map(|b| b.unwrap())
        .find(|b| b.offset == moof.offset + moof.header.size)
        .unwrap();
    let original: Vec<u8> = [moof.data, mdat.data].concat();
    let (s0, n0) = first_sample(&original);

    let pssh = Pssh {
        version: 1,
        system_id: [0x10; 16],
        kids: vec![vec![0x1a; 16]],
        data: vec![1, 2, 3],
    };
    let new_moof = rewrite_moof(moof.data, moof.offset, |n| {
        assert!(tfdt_to_v1(n)?);
        n.children_mut().unwrap().push(Node::new_leaf(&pssh));
        Ok(())
    })
    .unwrap();
    assert_eq!(new_moof.len(), moof.data.len() + 4 + pssh.to_bytes().len());
    let edited: Vec<u8> = [new_moof.as_slice(), mdat.data].concat();
    let (s1, n1) = first_sample(&edited);
    assert_eq!(
        &original[s0..s0 + n0],
        &edited[s1..s1 + n1],
        "trun still finds the first sample"
    );

    // saio points at the first IV of senc, which moved by 4 bytes (tfdt v0 → v1).
    let m = boxes(&edited).next().unwrap().unwrap();
    let traf = m.child(b"traf").unwrap().unwrap();
    let saio = expect(&traf.child(b"saio").unwrap().unwrap(), Saio::parse).unwrap();
    let senc = traf.child(b"senc").unwrap().unwrap();
    assert_eq!(
        saio.offsets,
        [senc.offset + Senc::FIRST_SAMPLE_OFFSET as u64]
    );
    let tfdt = expect(&traf.child(b"tfdt").unwrap().unwrap(), Tfdt::parse).unwrap();
    assert_eq!(tfdt.version, 1);
}

#[test]
fn live_patch_points_rewrite_sequence_and_time_in_place() {
    let Some(dir) = common::bbb_dir("live_patch_points") else {
        return;
    };
    let data = std::fs::read(dir.join("bbb_a1.mp4")).unwrap();
    let moofs: Vec<_> = boxes(&data)
        .map(|b| b.unwrap())
        .filter(|b| b.typ() == b"moof")
        .collect();
    let second = &moofs[1];
    let v1 = rewrite_moof(second.data, second.offset, |n| tfdt_to_v1(n).map(|_| ())).unwrap();
    assert!(
        find_patch_points(second.data).is_err(),
        "a v0 tfdt is refused"
    );
    let points = find_patch_points(&v1).unwrap();
    let original_time = points.decode_time[0].1;
    let mut seg = v1.clone();
    points.apply(&mut seg, 1234, 1_000_000_000_000);
    let m = boxes(&seg).next().unwrap().unwrap();
    assert_eq!(
        expect(&m.child(b"mfhd").unwrap().unwrap(), Mfhd::parse)
            .unwrap()
            .sequence_number,
        1234
    );
    let tfdt = m.find("traf/tfdt").unwrap().unwrap();
    assert_eq!(
        expect(&tfdt, Tfdt::parse).unwrap().base_media_decode_time,
        original_time + 1_000_000_000_000
    );
    assert_eq!(seg.len(), v1.len());
}
