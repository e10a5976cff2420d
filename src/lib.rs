#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]

pub use supervisor_runtime::*;

pub mod guide;

/// A live page of the running tree (S21), served from its own process: the feature
/// `observer`.
#[cfg(feature = "observer")]
pub use supervisor_observer as observer;

#[doc(inline)]
pub use supervisor_macros::supervision_tree;
