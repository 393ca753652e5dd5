//! Feeds arbitrary bytes to every MP4 reader dashlive has. Errors are fine;
//! a panic (index out of range, overflow, slice past the end, runaway
//! allocation) is a bug.
#![no_main]

use std::io::Cursor;

use dashlive::mp4::edit::{rewrite_moof, tfdt_to_v1, Node};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;

    // Walks and type-parses every box, as `dashlive inspect` does.
    let _ = dashlive::mp4::inspect::inspect(Cursor::new(data), len);

    // Indexes the bytes as a one-track fragmented MP4.
    let _ = dashlive::media::index_reader(Cursor::new(data), len, "fuzz.mp4");

    // The editable tree must round-trip: what it writes parses back equal.
    if let Ok(node) = Node::parse(data) {
        let bytes = node.to_bytes();
        assert_eq!(
            bytes.len() as u64,
            node.size(),
            "to_bytes() length != size()"
        );
        let again = Node::parse(&bytes).expect("Node::to_bytes() output does not re-parse");
        assert_eq!(again, node, "Node round trip changed the tree");
    }

    let _ = dashlive::mp4::patch::find_patch_points(data);

    let _ = rewrite_moof(data, 0, |n| tfdt_to_v1(n).map(|_| ()));
});
