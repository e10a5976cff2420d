#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub use supervisor_runtime::*;

#[doc(inline)]
pub use supervisor_macros::supervision_tree;
