//! What a request is answered with: the URL layout, the HTTP policy, and the
//! resolver that turns (tree, path, query, now) into a [`plan::Plan`] the
//! origin executes and the build pre-renders.

pub mod clock;
pub mod drm;
pub mod events;
#[cfg(test)]
mod fake_tree;
pub mod faults;
pub mod mps;
#[cfg(test)]
mod mps_tests;
pub mod plan;
pub mod resolve;
pub mod transform;
