//! Putting boxes at the head of a media segment (`emsg` before the `moof`)
//! without moving anything the segment points at.

use super::boxes::tfhd_flags;
use super::error::{ErrorKind, Mp4Error, Result};
use super::tree::boxes;

/// `segment` with `inserted` (whole serialised boxes) placed before its
/// first box that is not a `styp`: after the segment type, before any
/// `sidx`, `prft` or `moof`, so a `sidx`'s references (counted from its
/// end) still hold. Sample data offsets that count from the `moof`
/// (`default-base-is-moof`, or the implicit base) need no change; an
/// explicit `tfhd` base data offset counts from the file's start and is
/// moved by the inserted length.
pub fn insert_at_head(segment: &[u8], inserted: &[u8]) -> Result<Vec<u8>> {
    let mut at = None;
    let mut absolute = Vec::new();
    for b in boxes(segment) {
        let b = b?;
        if at.is_none() && b.typ() != b"styp" {
            at = Some(b.offset as usize);
        }
        if b.typ() != b"moof" {
            continue;
        }
        for traf in b.children_of(b"traf")? {
            let Some(tfhd) = traf.child(b"tfhd")? else {
                continue;
            };
            let p = tfhd.payload();
            let flags = p
                .get(..4)
                .map(|v| u32::from_be_bytes([0, v[1], v[2], v[3]]))
                .unwrap_or(0);
            if flags & tfhd_flags::BASE_DATA_OFFSET == 0 {
                continue;
            }
            // After version/flags and track_ID.
            let Some(old) = p.get(8..16) else {
                return Err(tfhd.error(ErrorKind::Truncated {
                    need: 16,
                    have: p.len() as u64,
                }));
            };
            let old = u64::from_be_bytes(old.try_into().unwrap_or_default());
            let Some(new) = old.checked_add(inserted.len() as u64) else {
                return Err(tfhd.error(ErrorKind::Invalid(format!(
                    "base_data_offset {old} cannot move by {} bytes",
                    inserted.len()
                ))));
            };
            absolute.push((tfhd.payload_offset() as usize + 8, new));
        }
    }
    let Some(at) = at else {
        return Err(Mp4Error::new(
            0,
            "",
            ErrorKind::Invalid("the segment has no box to insert before".into()),
        ));
    };
    let mut out = Vec::with_capacity(segment.len() + inserted.len());
    out.extend_from_slice(&segment[..at]);
    out.extend_from_slice(inserted);
    out.extend_from_slice(&segment[at..]);
    for (pos, new) in absolute {
        // Every moof comes after `at`: its fields moved by the insertion.
        let pos = pos + inserted.len();
        out[pos..pos + 8].copy_from_slice(&new.to_be_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mp4::boxes::Emsg;
    use crate::mp4::WriteBox;

    fn leaf(typ: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = ((8 + payload.len()) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(typ);
        b.extend_from_slice(payload);
        b
    }

    /// styp, moof(traf(tfhd with `flags` and an optional base offset)), mdat.
    fn segment(flags: u32, base: Option<u64>) -> Vec<u8> {
        let mut tfhd = flags.to_be_bytes().to_vec();
        tfhd.extend_from_slice(&1u32.to_be_bytes());
        if let Some(b) = base {
            tfhd.extend_from_slice(&b.to_be_bytes());
        }
        let traf = leaf(b"traf", &leaf(b"tfhd", &tfhd));
        let mut s = leaf(b"styp", b"msdhmsdh");
        s.extend(leaf(b"moof", &traf));
        s.extend(leaf(b"mdat", b"data"));
        s
    }

    fn emsg() -> Vec<u8> {
        Emsg {
            version: 1,
            scheme_id_uri: "urn:x".into(),
            value: String::new(),
            timescale: 1,
            presentation_time: 0,
            event_duration: 0,
            id: 0,
            message_data: b"ping".to_vec(),
        }
        .to_bytes()
    }

    #[test]
    fn emsg_goes_after_styp_and_moof_relative_offsets_stay() {
        let s = segment(tfhd_flags::DEFAULT_BASE_IS_MOOF, None);
        let e = emsg();
        let out = insert_at_head(&s, &e).unwrap();
        let types: Vec<_> = boxes(&out).map(|b| b.unwrap().typ().to_string()).collect();
        assert_eq!(types, ["styp", "emsg", "moof", "mdat"]);
        assert_eq!(out.len(), s.len() + e.len());
        // The moof and what follows are the same bytes.
        assert_eq!(&out[16 + e.len()..], &s[16..]);
    }

    #[test]
    fn an_absolute_base_data_offset_moves_with_the_data() {
        let s = segment(tfhd_flags::BASE_DATA_OFFSET, Some(1000));
        let e = emsg();
        let out = insert_at_head(&s, &e).unwrap();
        let moof = boxes(&out)
            .find(|b| b.as_ref().unwrap().typ() == b"moof")
            .unwrap()
            .unwrap();
        let tfhd = moof.find("traf/tfhd").unwrap().unwrap();
        let t = crate::mp4::boxes::Tfhd::parse(tfhd.payload()).unwrap();
        assert_eq!(t.base_data_offset, Some(1000 + e.len() as u64));
    }

    #[test]
    fn a_segment_without_boxes_is_an_error_not_a_panic() {
        assert!(insert_at_head(&[], &emsg()).is_err());
        assert!(insert_at_head(&[0, 0, 0, 9, b'm'], &emsg()).is_err());
        let s = segment(tfhd_flags::BASE_DATA_OFFSET, Some(u64::MAX));
        assert!(insert_at_head(&s, &emsg()).is_err());
    }
}
