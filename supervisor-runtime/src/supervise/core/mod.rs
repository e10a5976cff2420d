//! The supervisor's core: what it decides about exits, restarts and its children's phases,
//! with no task, channel or await in it, so that every decision is tested without a runtime.

pub(crate) mod decide;
