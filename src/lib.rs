//! dashlive: MPEG-DASH test streams. This library is shared by the `dashlive`
//! CLI (build, inspect, index) and the `dashlive-origin` server.

pub mod build;
pub mod catalog;
pub mod error;
pub mod fsutil;
pub mod media;
pub mod mp4;
pub mod mpd;
pub mod options;
pub mod pages;
pub mod serve;
