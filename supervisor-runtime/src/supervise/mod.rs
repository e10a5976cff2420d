//! The supervisor task: a synchronous core that decides, under an async driver that acts.

pub(crate) mod core;
mod driver;

pub(crate) use driver::{gone_or_missing, Engine};
