//! ISO base media file format (MP4): zero-copy box readers over byte slices,
//! typed parsers for the boxes DASH needs, writers for the boxes dashlive
//! creates, and an editor that re-serialises fragments with correct offsets.

pub mod boxes;
pub mod edit;
pub mod encrypt;
pub mod error;
pub mod fourcc;
pub mod header;
pub mod insert;
pub mod inspect;
pub mod mux;
pub mod patch;
pub mod reader;
pub mod scan;
pub mod tree;
pub mod write;

pub use error::{ErrorKind, Mp4Error, Result};
pub use fourcc::FourCC;
pub use header::BoxHeader;
pub use tree::{boxes, BoxIter, BoxRef};
pub use write::WriteBox;
