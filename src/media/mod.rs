//! Media: indexing a fragmented MP4 into a Representation, and codec strings.

pub mod index;
pub mod representation;
#[cfg(feature = "synth")]
pub mod synth;

pub use index::{index_file, index_reader, IndexError};
pub use representation::{ContentType, Encryption, FrameRate, Representation, Segment};
