//! Serialising boxes we create or rewrite.

use super::fourcc::FourCC;
use super::header::write_header;

/// A box that can be written: its type, optional uuid, and payload.
pub trait WriteBox {
    fn box_type(&self) -> FourCC;

    fn uuid(&self) -> Option<[u8; 16]> {
        None
    }

    /// The payload, without the box header.
    fn write_payload(&self, out: &mut Vec<u8>);

    /// Appends the whole box, header included, to `out`.
    fn write_to(&self, out: &mut Vec<u8>) {
        let mut payload = Vec::new();
        self.write_payload(&mut payload);
        write_header(
            out,
            self.box_type(),
            self.uuid().as_ref(),
            payload.len() as u64,
        );
        out.extend_from_slice(&payload);
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }
}

pub fn put_full_header(out: &mut Vec<u8>, version: u8, flags: u32) {
    out.extend_from_slice(&((u32::from(version) << 24) | (flags & 0x00ff_ffff)).to_be_bytes());
}

pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn put_cstring(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}
