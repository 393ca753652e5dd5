//! Serialises byte fields as lower-case hex strings in JSON output.

use serde::Serializer;

pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode(bytes))
}

/// For `Vec<Vec<u8>>` fields (parameter sets, key IDs).
pub fn serialize_list<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(list.iter().map(|b| encode(b)))
}

pub fn serialize_opt<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match bytes {
        Some(b) => s.serialize_str(&encode(b)),
        None => s.serialize_none(),
    }
}

/// A 16-byte key ID in the usual 8-4-4-4-12 UUID form.
pub fn uuid_string(b: &[u8; 16]) -> String {
    let h = encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

pub fn serialize_uuid<S: Serializer>(b: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&uuid_string(b))
}
