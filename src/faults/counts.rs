//! What a client has been refused so far, for `failures=N`: per injected
//! fault (manifest update count or track type and segment number), how many
//! times. The origin keeps no state: this travels with the client, signed
//! by the origin (a cookie, `origin/src/fault_cookie.rs`), so any origin
//! with the same secret reads it and several origins behind one load
//! balancer agree. This module is its text form and its arithmetic.

use std::fmt;

/// Faults remembered at most; the oldest is forgotten first (a client that
/// meets more is a long test, and forgetting one only repeats its error).
pub const MAX_ENTRIES: usize = 32;

/// Which injected fault: `m` manifest, `v`/`a`/`t` segment, and its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultKey {
    pub kind: char,
    pub position: u64,
}

impl fmt::Display for FaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.kind, self.position)
    }
}

/// Refusals so far, by fault, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultCounts {
    entries: Vec<(FaultKey, u32)>,
}

impl FaultCounts {
    pub fn new() -> FaultCounts {
        FaultCounts::default()
    }

    /// How many times this client has been refused `key`.
    pub fn get(&self, key: FaultKey) -> u32 {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(0, |(_, n)| *n)
    }

    /// These counts with `key` refused once more (moved to the newest end).
    pub fn bumped(&self, key: FaultKey) -> FaultCounts {
        let n = self.get(key).saturating_add(1);
        let mut entries: Vec<(FaultKey, u32)> = self
            .entries
            .iter()
            .filter(|(k, _)| *k != key)
            .copied()
            .collect();
        entries.push((key, n));
        let excess = entries.len().saturating_sub(MAX_ENTRIES);
        entries.drain(..excess);
        FaultCounts { entries }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `v12:1|m0:2`: only characters a cookie value may hold unquoted.
    pub fn to_text(&self) -> String {
        self.entries
            .iter()
            .map(|(k, n)| format!("{k}:{n}"))
            .collect::<Vec<_>>()
            .join("|")
    }

    /// The inverse of [`FaultCounts::to_text`]; `None` for anything else
    /// (the origin has checked the signature, so this is a bug or an old
    /// format, and the client simply starts counting again).
    pub fn parse(text: &str) -> Option<FaultCounts> {
        let mut entries = Vec::new();
        for item in text.split('|').filter(|s| !s.is_empty()) {
            let (key, n) = item.split_once(':')?;
            let mut chars = key.chars();
            let kind = chars.next().filter(|c| "mvat".contains(*c))?;
            let position = chars.as_str().parse::<u64>().ok()?;
            entries.push((FaultKey { kind, position }, n.parse::<u32>().ok()?));
        }
        (entries.len() <= MAX_ENTRIES).then_some(FaultCounts { entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: char, position: u64) -> FaultKey {
        FaultKey { kind, position }
    }

    #[test]
    fn counts_round_trip_through_text() {
        let c = FaultCounts::new()
            .bumped(key('v', 12))
            .bumped(key('m', 0))
            .bumped(key('v', 12));
        assert_eq!(c.get(key('v', 12)), 2);
        assert_eq!(c.get(key('m', 0)), 1);
        assert_eq!(c.get(key('a', 12)), 0);
        assert_eq!(c.to_text(), "m0:1|v12:2");
        assert_eq!(FaultCounts::parse(&c.to_text()), Some(c));
        for bad in ["x1:1", "v:1", "v1", "v1:-1", "v1:1|zz"] {
            assert_eq!(FaultCounts::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_oldest_fault_is_forgotten_first() {
        let mut c = FaultCounts::new();
        for i in 0..(MAX_ENTRIES as u64 + 3) {
            c = c.bumped(key('v', i));
        }
        assert_eq!(c.get(key('v', 2)), 0);
        assert_eq!(c.get(key('v', 3)), 1);
        assert!(c.to_text().len() < 400);
    }
}
