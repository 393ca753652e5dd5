//! Cuts one media segment out of its source file into the form the tree
//! stores: `styp` and any `emsg`/`prft` kept, `sidx` dropped (it describes a
//! file, and a lone segment needs none), every `tfdt` made 64-bit so live
//! rewrites never change a size, and `trun`/`saio` offsets made right again.

use crate::mp4::boxes::{expect, Tfhd};
use crate::mp4::edit::{rewrite_moof, tfdt_to_v1};
use crate::mp4::{boxes, ErrorKind, Mp4Error};

pub fn cut_segment(data: &[u8]) -> Result<Vec<u8>, Mp4Error> {
    let mut out = Vec::with_capacity(data.len() + 16);
    for b in boxes(data) {
        let b = b?;
        match &b.typ().0 {
            b"sidx" => {}
            b"moof" => {
                // Absolute data offsets would point into the source file.
                for traf in b.children_of(b"traf")? {
                    if let Some(t) = traf.child(b"tfhd")? {
                        if expect(&t, Tfhd::parse)?.base_data_offset.is_some() {
                            return Err(t.error(ErrorKind::Invalid(
                                "tfhd carries an absolute base_data_offset; re-package with \
                                 default-base-is-moof to serve this file as segments"
                                    .into(),
                            )));
                        }
                    }
                }
                out.extend(rewrite_moof(b.data, b.offset, |m| {
                    tfdt_to_v1(m).map(|_| ())
                })?);
            }
            _ => out.extend_from_slice(b.data),
        }
    }
    Ok(out)
}

/// The live variant of an init segment: no `mehd` (a live presentation has
/// no fragment duration), so players do not take the loop's length as the
/// stream's end. Everything else, byte for byte.
pub fn live_init(init: &[u8]) -> Result<Vec<u8>, Mp4Error> {
    use crate::mp4::edit::Node;
    let mut out = Vec::with_capacity(init.len());
    for b in boxes(init) {
        let b = b?;
        if b.typ() != b"moov" {
            out.extend_from_slice(b.data);
            continue;
        }
        let mut moov = Node::from_box(&b)?;
        if let Some(mvex) = moov.child_mut(b"mvex") {
            if let Some(children) = mvex.children_mut() {
                children.retain(|c| c.typ != b"mehd");
            }
        }
        moov.write(&mut out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mp4::mux::{aac_sample_entry, init_segment, Handler, TrackConfig};

    #[test]
    fn the_live_init_has_no_mehd_and_nothing_else_changes() {
        let t = TrackConfig {
            track_id: 1,
            timescale: 48_000,
            handler: Handler::Audio,
            language: "und".into(),
            sample_entry: aac_sample_entry(2, 48_000, &[0x11, 0x90], 128_000),
            width: 0,
            height: 0,
            duration: 480_000,
            default_sample_duration: 1024,
        };
        let vod = init_segment(&t);
        let live = live_init(&vod).unwrap();
        let has = |d: &[u8], t: &str| {
            let moov = boxes(d)
                .find(|b| b.as_ref().unwrap().typ() == b"moov")
                .unwrap()
                .unwrap();
            moov.find(t).unwrap().is_some()
        };
        assert!(has(&vod, "mvex/mehd") && !has(&live, "mvex/mehd"));
        assert!(has(&live, "mvex/trex") && has(&live, "trak/mdia/minf/stbl/stsd"));
        assert_eq!(live.len(), vod.len() - 20, "only the 20-byte mehd went");
    }
}
