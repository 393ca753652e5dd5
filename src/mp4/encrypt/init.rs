//! Init segments: a clear sample entry made protected, PSSH boxes appended.

use super::cipher::{cbcs_constant_iv, check, pattern};
use super::{EncryptError, Protection, Scheme, TrackKind};
use crate::mp4::edit::{Content, Node};
use crate::mp4::fourcc::FourCC;
use crate::mp4::header::write_header;
use crate::mp4::mux::{bx, full_box};
use crate::mp4::tree::{boxes, AUDIO_ENTRIES, VISUAL_ENTRIES};

/// Sample entries whose samples are NAL units, encrypted by subsample (and
/// with the 1:9 pattern under `cbcs`); other video is encrypted whole.
const NAL_ENTRIES: &[&[u8; 4]] = &[
    b"avc1", b"avc2", b"avc3", b"avc4", b"hvc1", b"hev1", b"dvh1", b"dvhe",
];

/// Clear init → protected: the sample entry (avc1/avc3/hvc1/hev1/mp4a/ac-3/ec-3…) becomes encv/enca with
/// sinf{frma(original format), schm('cenc' or 'cbcs', 0x00010000), schi{tenc}}; tenc v0 for cenc
/// (default_isProtected 1, per-sample IV size, KID), v1 for cbcs (crypt 1 / skip 9 for video, 0/0 for audio,
/// per-sample IV size 0, constant IV). Every parent size fixed; nothing else changes.
///
/// Every audio and video sample entry of every track is protected; subtitle
/// entries stay clear. An init with none, or one already protected, is refused.
pub fn protect_init(init: &[u8], p: &Protection) -> Result<Vec<u8>, EncryptError> {
    check(p)?;
    let mut out = Vec::with_capacity(init.len() + 128);
    let mut protected = 0usize;
    for b in boxes(init) {
        let b = b?;
        if b.typ() != b"moov" {
            out.extend_from_slice(b.data);
            continue;
        }
        let mut moov = Node::from_box(&b)?;
        for (t, trak) in moov.children_mut().into_iter().flatten().enumerate() {
            if trak.typ != b"trak" {
                continue;
            }
            let path = format!("moov/trak[{t}]/mdia/minf/stbl/stsd");
            let stsd = [b"mdia", b"minf", b"stbl", b"stsd"]
                .iter()
                .try_fold(&mut *trak, |node, typ| node.child_mut(typ));
            for entry in stsd.and_then(Node::children_mut).into_iter().flatten() {
                protected += protect_entry(entry, p).map_err(|message| {
                    EncryptError::unsupported(b.offset, format!("{path}/{}", entry.typ), message)
                })?;
            }
        }
        moov.write(&mut out);
    }
    if protected == 0 {
        return Err(EncryptError::unsupported(
            0,
            "moov",
            "no audio or video sample entry to protect",
        ));
    }
    Ok(out)
}

/// Makes one sample entry protected; returns 1 if it did, 0 for an entry
/// that stays clear (subtitles).
fn protect_entry(entry: &mut Node, p: &Protection) -> Result<usize, String> {
    let original = entry.typ;
    let (protected_type, kind) = if NAL_ENTRIES.contains(&&original.0) {
        // The NAL length size does not matter here, only the kind of track.
        (b"encv", TrackKind::Avc { nal_length_size: 4 })
    } else if VISUAL_ENTRIES.contains(&&original.0) {
        (b"encv", TrackKind::Other)
    } else if AUDIO_ENTRIES.contains(&&original.0) {
        (b"enca", TrackKind::Audio)
    } else {
        return Ok(0);
    };
    if original == b"encv" || original == b"enca" {
        return Err("the sample entry is already protected".into());
    }
    let sinf = Node::parse(&sinf(original, p, kind)).map_err(|e| e.to_string())?;
    let Content::Container { children, .. } = &mut entry.content else {
        return Err("sample entry shorter than its fixed fields".into());
    };
    children.push(sinf);
    entry.typ = FourCC(*protected_type);
    Ok(1)
}

/// sinf{frma, schm, schi{tenc}} for a track whose clear format is `original`.
fn sinf(original: FourCC, p: &Protection, kind: TrackKind) -> Vec<u8> {
    let frma = bx(b"frma", &original.0);
    let mut schm = p.scheme.fourcc().to_vec();
    schm.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    let schm = full_box(b"schm", 0, 0, &schm);
    let tenc = match p.scheme {
        Scheme::Cenc => {
            let mut t = vec![0, 0, 1, p.iv_size];
            t.extend_from_slice(&p.kid);
            full_box(b"tenc", 0, 0, &t)
        }
        Scheme::Cbcs => {
            let (crypt, skip) = pattern(kind);
            let mut t = vec![0, (crypt << 4) | skip, 1, 0];
            t.extend_from_slice(&p.kid);
            t.push(16);
            t.extend_from_slice(&cbcs_constant_iv(p));
            full_box(b"tenc", 1, 0, &t)
        }
    };
    let schi = bx(b"schi", &tenc);
    bx(b"sinf", &[frma, schm, schi].concat())
}

/// Appends whole `pssh` boxes at the end of moov (dash-live's `moov` location), clear-made-protected or
/// pre-encrypted init alike.
pub fn add_pssh(init: &[u8], pssh_boxes: &[Vec<u8>]) -> Result<Vec<u8>, EncryptError> {
    for (i, pssh) in pssh_boxes.iter().enumerate() {
        let whole = boxes(pssh)
            .next()
            .transpose()?
            .is_some_and(|b| b.typ() == b"pssh" && b.header.size == pssh.len() as u64);
        if !whole {
            return Err(EncryptError::unsupported(
                0,
                format!("pssh[{i}]"),
                "not one whole pssh box",
            ));
        }
    }
    let added: usize = pssh_boxes.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(init.len() + added);
    let mut found = false;
    for b in boxes(init) {
        let b = b?;
        if b.typ() != b"moov" || found {
            out.extend_from_slice(b.data);
            continue;
        }
        found = true;
        let payload = b.payload();
        write_header(&mut out, b.typ(), None, (payload.len() + added) as u64);
        out.extend_from_slice(payload);
        for pssh in pssh_boxes {
            out.extend_from_slice(pssh);
        }
    }
    if !found {
        return Err(EncryptError::unsupported(
            0,
            "moov",
            "init segment without a moov",
        ));
    }
    Ok(out)
}
