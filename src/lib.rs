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

#[doc(inline)]
pub use supervisor_macros::supervision_tree;
