//! Erlang/OTP-grade supervision trees for async Rust, declared with a compile-checked macro.
//!
//! This crate re-exports the runtime ([`supervisor_runtime`]) and the
//! [`supervision_tree!`] macro. See the README for the grammar, the semantics and examples.
#![warn(missing_docs)]

pub use supervisor_runtime::*;

#[doc(inline)]
pub use supervisor_macros::supervision_tree;
