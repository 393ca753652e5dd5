//! DRM: content keys, the signalling each DRM system reads (PlayReady,
//! Marlin, ClearKey, Widevine) and the ClearKey licence. Pure functions of
//! keys and options: no I/O, no clock.

pub mod clearkey;
pub mod describe;
pub mod keys;
pub mod on_demand;
pub mod playready;
pub mod pssh;
pub mod signal;

pub use keys::{ContentKey, KeyPair, KeyRing, Kid};
