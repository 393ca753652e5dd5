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
