//! Media segments: clear samples encrypted with their `senc`/`saiz`/`saio`,
//! and the PIFF box (with or without dash-live's stale `saio`) added to
//! segments either encrypted here or before.

use std::ops::Range;

use super::cipher::{check, nal_subsamples, sample_iv, SampleCipher, MAX_SAMPLES};
use super::{EncryptError, MediaOptions, Protection, TrackKind};
use crate::mp4::boxes::{
    expect, Saio, SampleAuxInfo, Senc, Sidx, Tfhd, Trun, PIFF_SAMPLE_ENCRYPTION, USE_SUBSAMPLES,
};
use crate::mp4::edit::{rewrite_moof, Content, Node};
use crate::mp4::fourcc::FourCC;
use crate::mp4::mux::full_box;
use crate::mp4::tree::{boxes, BoxRef};

/// A clear media segment (one or more moof+mdat, optional styp/sidx/emsg/prft before) → encrypted: samples
/// encrypted in place (cenc: AES-CTR, subsamples for AVC/HEVC leaving each NAL's length + header and the
/// slice header clear as CENC requires — simplest correct rule: clear = NAL length field + NAL header +
/// enough bytes that the encrypted part is a multiple of 16, and non-VCL NALs entirely clear; full-sample for
/// audio. cbcs: AES-CBC 1:9 pattern on video subsamples with constant IV, audio whole 16-byte blocks);
/// senc (with subsample entries when video), saiz, saio added to each traf (saio offset relative to the moof
/// when default-base-is-moof, else as the file lays it out), trun data_offset and every size fixed.
/// IVs derived deterministically from `iv_seed` (the resolver passes the segment number) and the sample
/// index, so one URL always gives the same bytes, and different segments never reuse an IV.
///
/// Each traf gets `saiz`, `saio` and `senc` before its first `trun` (and,
/// with `opts.piff`, the PIFF box before `saiz`, where dash-live puts it).
/// A traf with an absolute `tfhd` base_data_offset is refused: where its
/// samples are depends on the file the segment was cut from.
pub fn protect_media(
    segment: &[u8],
    p: &Protection,
    track: TrackKind,
    iv_seed: u64,
    opts: MediaOptions,
) -> Result<Vec<u8>, EncryptError> {
    check(p)?;
    let iv_size = usize::from(p.per_sample_iv_size()?);
    let cipher = SampleCipher::new(p, track);
    let mdats = mdat_payloads(segment)?;
    let mut data = segment.to_vec();
    let mut moofs = Vec::new();
    let mut index = 0u32;
    for b in boxes(segment) {
        let b = b?;
        if b.typ() != b"moof" {
            continue;
        }
        let mut entries = Vec::new();
        for (traf, ranges) in sample_ranges(&b, &mdats)? {
            let mut infos = Vec::with_capacity(ranges.len());
            for range in ranges {
                let sample = &mut data[range];
                let subsamples = nal_subsamples(sample, track).map_err(|m| {
                    EncryptError::unsupported(
                        traf.offset,
                        &traf.path,
                        format!("sample {index}: {m}"),
                    )
                })?;
                let iv = sample_iv(p, track, iv_seed, index);
                cipher.encrypt(sample, &iv, &subsamples);
                infos.push(SampleAuxInfo {
                    iv: iv[..iv_size].to_vec(),
                    subsamples,
                });
                index += 1;
            }
            entries.push(aux_boxes(&traf, infos, iv_size, track)?);
        }
        let mut moof = rewrite_moof(b.data, b.offset, |m| {
            for (traf, new) in trafs_mut(m).zip(entries) {
                let Some(children) = traf.children_mut() else {
                    continue;
                };
                let at = children.iter().position(|c| c.typ == b"trun");
                let at = at.unwrap_or(children.len());
                children.splice(at..at, new);
            }
            Ok(())
        })?;
        if opts.piff {
            moof = add_piff(&moof, b.offset, opts.stale_saio)?;
        }
        moofs.push((b.offset, moof));
    }
    rebuild(segment, &data, &moofs)
}

/// An already-encrypted segment (the pre-encrypted BBB files): add the PIFF uuid box (copy of senc) and/or
/// make saio stale, as `opts` says; unchanged bytes when both are false.
///
/// The PIFF box goes before `saiz` as dash-live puts it; `stale_saio` then
/// leaves `saio` as it was, pointing where `senc`'s entries were before the
/// PIFF box moved them (dash-live's `bugs=saio`). Without a PIFF box nothing
/// moves, so `stale_saio` alone changes nothing, as in dash-live.
pub fn adjust_encrypted_media(segment: &[u8], opts: MediaOptions) -> Result<Vec<u8>, EncryptError> {
    if !opts.piff {
        return Ok(segment.to_vec());
    }
    let mut moofs = Vec::new();
    for b in boxes(segment) {
        let b = b?;
        if b.typ() == b"moof" {
            moofs.push((b.offset, add_piff(b.data, b.offset, opts.stale_saio)?));
        }
    }
    rebuild(segment, segment, &moofs)
}

fn trafs_mut(moof: &mut Node) -> impl Iterator<Item = &mut Node> {
    moof.children_mut()
        .into_iter()
        .flatten()
        .filter(|c| c.typ == b"traf")
}

/// The payload byte ranges of the top-level `mdat`s: where samples may be.
fn mdat_payloads(segment: &[u8]) -> Result<Vec<Range<usize>>, EncryptError> {
    let mut out = Vec::new();
    for b in boxes(segment) {
        let b = b?;
        if b.typ() == b"mdat" {
            let start = b.payload_offset() as usize;
            out.push(start..start + b.payload().len());
        }
    }
    Ok(out)
}

/// A traf and the byte ranges of its samples in the segment.
type TrafSamples<'a> = (BoxRef<'a>, Vec<Range<usize>>);

/// The byte range in the segment of every sample of each traf of `moof`,
/// each checked to lie inside an `mdat`.
fn sample_ranges<'a>(
    moof: &BoxRef<'a>,
    mdats: &[Range<usize>],
) -> Result<Vec<TrafSamples<'a>>, EncryptError> {
    let mut out = Vec::new();
    let mut total = 0u64;
    // ISO/IEC 14496-12: a traf without default-base-is-moof continues where
    // the previous one's data ended (the first starts at the moof).
    let mut base = moof.offset;
    for traf in moof.children_of(b"traf")? {
        let fail = |m: &str| EncryptError::unsupported(traf.offset, &traf.path, m);
        for typ in [b"senc", b"saiz", b"saio"] {
            if traf.child(typ)?.is_some() {
                return Err(fail("the traf is already encrypted"));
            }
        }
        let tfhd = traf
            .child(b"tfhd")?
            .ok_or_else(|| fail("traf without a tfhd"))?;
        let tfhd = expect(&tfhd, Tfhd::parse)?;
        if tfhd.base_data_offset.is_some() {
            return Err(fail(
                "tfhd has an absolute base_data_offset; only moof-relative fragments can be encrypted",
            ));
        }
        if tfhd.default_base_is_moof() {
            base = moof.offset;
        }
        let mut pos = base;
        let mut ranges = Vec::new();
        for trun_box in traf.children_of(b"trun")? {
            let trun = expect(&trun_box, Trun::parse)?;
            total += u64::from(trun.sample_count);
            if total > u64::from(MAX_SAMPLES) {
                return Err(fail("more samples than one segment may hold"));
            }
            if let Some(d) = trun.data_offset {
                pos = base
                    .checked_add_signed(i64::from(d))
                    .ok_or_else(|| fail("trun data offset before the segment"))?;
            }
            for i in 0..trun.sample_count as usize {
                let size = trun
                    .samples
                    .get(i)
                    .and_then(|s| s.size)
                    .or(tfhd.default_sample_size)
                    .ok_or_else(|| fail("sample size neither in trun nor in tfhd"))?;
                let end = pos + u64::from(size);
                let inside = mdats
                    .iter()
                    .any(|m| m.start as u64 <= pos && end <= m.end as u64);
                if !inside {
                    return Err(EncryptError::unsupported(
                        trun_box.offset,
                        &trun_box.path,
                        format!("sample {i} at {pos:#x}..{end:#x} is not inside an mdat"),
                    ));
                }
                ranges.push(pos as usize..end as usize);
                pos = end;
            }
        }
        base = pos;
        out.push((traf, ranges));
    }
    Ok(out)
}

/// saiz, saio (its offset set by `rewrite_moof`) and senc for one traf.
fn aux_boxes(
    traf: &BoxRef,
    samples: Vec<SampleAuxInfo>,
    iv_size: usize,
    track: TrackKind,
) -> Result<Vec<Node>, EncryptError> {
    let subsamples = matches!(track, TrackKind::Avc { .. } | TrackKind::Hevc { .. });
    let sizes = samples
        .iter()
        .map(|s| {
            let n = if subsamples {
                2 + 6 * s.subsamples.len()
            } else {
                0
            };
            u8::try_from(iv_size + n).map_err(|_| {
                EncryptError::unsupported(
                    traf.offset,
                    &traf.path,
                    format!(
                        "a sample of {} subsamples: more than saiz can size",
                        s.subsamples.len()
                    ),
                )
            })
        })
        .collect::<Result<Vec<u8>, _>>()?;
    let mut saiz = Vec::new();
    match sizes.split_first() {
        Some((&first, rest)) if rest.iter().all(|&s| s == first) => saiz.push(first),
        _ => saiz.push(0),
    }
    saiz.extend_from_slice(&(sizes.len() as u32).to_be_bytes());
    if saiz[0] == 0 {
        saiz.extend_from_slice(&sizes);
    }
    let saio = [0, 0, 0, 1, 0, 0, 0, 0];
    let senc = Senc {
        version: 0,
        flags: if subsamples { USE_SUBSAMPLES } else { 0 },
        iv_size: iv_size as u8,
        samples,
    };
    Ok(vec![
        Node::parse(&full_box(b"saiz", 0, 0, &saiz))?,
        Node::parse(&full_box(b"saio", 0, 0, &saio))?,
        Node::new_leaf(&senc),
    ])
}

/// Adds a PIFF sample-encryption box, a copy of `senc`, before `saiz` (after
/// `senc` without one) in every traf that has a `senc` and no PIFF box yet.
/// `stale_saio` puts back each `saio`'s offset from before the insertion.
fn add_piff(moof: &[u8], moof_offset: u64, stale_saio: bool) -> Result<Vec<u8>, EncryptError> {
    let before = saio_offsets(moof)?;
    let out = rewrite_moof(moof, moof_offset, |m| {
        for traf in trafs_mut(m) {
            let Some(children) = traf.children_mut() else {
                continue;
            };
            let has_piff = children
                .iter()
                .any(|c| c.uuid == Some(PIFF_SAMPLE_ENCRYPTION));
            let senc = children.iter().position(|c| c.typ == b"senc");
            let (Some(senc), false) = (senc, has_piff) else {
                continue;
            };
            // senc and PIFF payloads have the same layout when PIFF's
            // override-track flag (bit 0) is clear.
            let mut payload = children[senc].leaf_payload().unwrap_or(&[]).to_vec();
            if let Some(flags) = payload.get_mut(3) {
                *flags &= !1;
            }
            let piff = Node {
                typ: FourCC(*b"uuid"),
                uuid: Some(PIFF_SAMPLE_ENCRYPTION),
                content: Content::Leaf(payload),
                large: false,
            };
            let at = children.iter().position(|c| c.typ == b"saiz");
            children.insert(at.unwrap_or(senc + 1), piff);
        }
        Ok(())
    })?;
    if !stale_saio {
        return Ok(out);
    }
    let mut out = out;
    let after = saio_offsets(&out)?;
    for ((pos, version, _), (_, _, old)) in after.into_iter().zip(before) {
        let bytes = if version == 1 {
            old.to_be_bytes().to_vec()
        } else {
            (old as u32).to_be_bytes().to_vec()
        };
        out[pos..pos + bytes.len()].copy_from_slice(&bytes);
    }
    Ok(out)
}

/// (position in the moof, version, value) of each single-entry saio's offset.
fn saio_offsets(moof: &[u8]) -> Result<Vec<(usize, u8, u64)>, EncryptError> {
    let mut out = Vec::new();
    let Some(m) = boxes(moof).next().transpose()? else {
        return Ok(out);
    };
    for traf in m.children_of(b"traf")? {
        if let Some(b) = traf.child(b"saio")? {
            let saio = expect(&b, Saio::parse)?;
            if let [value] = saio.offsets[..] {
                let pos = b.offset as usize + saio.first_offset_position();
                out.push((pos, saio.version, value));
            }
        }
    }
    Ok(out)
}

/// The segment again with each rewritten moof (keyed by its offset in
/// `segment`) in place of the old one, the other boxes taken from `data`
/// (`segment` with samples encrypted), and every `sidx` reference that
/// covers a grown moof made as much larger.
fn rebuild(segment: &[u8], data: &[u8], moofs: &[(u64, Vec<u8>)]) -> Result<Vec<u8>, EncryptError> {
    let growth = |range: Range<u64>| -> u64 {
        moofs
            .iter()
            .filter(|(at, _)| range.contains(at))
            .map(|(at, new)| new.len() as u64 - box_len(segment, *at))
            .sum()
    };
    let added = growth(0..u64::MAX);
    let mut out = Vec::with_capacity(segment.len() + added as usize);
    for b in boxes(segment) {
        let b = b?;
        let range = b.offset as usize..(b.offset + b.header.size) as usize;
        if let Some((_, new)) = moofs.iter().find(|(at, _)| *at == b.offset) {
            out.extend_from_slice(new);
        } else if b.typ() == b"sidx" {
            out.extend_from_slice(&sidx_grown(&b, &growth)?);
        } else {
            out.extend_from_slice(&data[range]);
        }
    }
    Ok(out)
}

fn box_len(segment: &[u8], at: u64) -> u64 {
    boxes(&segment[at as usize..])
        .next()
        .and_then(|b| b.ok())
        .map_or(0, |b| b.header.size)
}

/// A copy of `sidx` whose media references each grow by what the moofs
/// they cover grew.
fn sidx_grown(b: &BoxRef, growth: &dyn Fn(Range<u64>) -> u64) -> Result<Vec<u8>, EncryptError> {
    let sidx = expect(b, Sidx::parse)?;
    let mut out = b.data.to_vec();
    let mut start = b.offset + b.header.size + sidx.first_offset;
    let refs_at = b.header.header_len as usize + if sidx.version == 0 { 24 } else { 32 };
    for (i, r) in sidx.references.iter().enumerate() {
        let size = u64::from(r.referenced_size);
        let grown = size
            + if r.reference_type == 0 {
                growth(start..start + size)
            } else {
                0
            };
        let field = u32::try_from(grown)
            .ok()
            .filter(|&g| g < 1 << 31)
            .ok_or_else(|| {
                EncryptError::unsupported(b.offset, &b.path, "sidx reference size overflows")
            })?;
        let pos = refs_at + 12 * i;
        let word = (u32::from(r.reference_type) << 31) | field;
        out[pos..pos + 4].copy_from_slice(&word.to_be_bytes());
        start += size;
    }
    Ok(out)
}
