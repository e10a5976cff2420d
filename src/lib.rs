#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub use supervisor_runtime::*;

pub mod guide;

#[doc(inline)]
pub use supervisor_macros::supervision_tree;
