//! The supervisor's core: what it decides about exits and restarts, and its children's phases
//! with every transition between them; no task, channel or await in it, so that each is tested
//! without a runtime.

pub(crate) mod decide;
pub(crate) mod monitor;
pub(crate) mod phase;
pub(crate) mod timers;
