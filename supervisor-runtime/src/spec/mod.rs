//! Specs: what a tree is made of, the typed builders that make them, and their validation
//! (SEMANTICS S1). Data only: nothing here knows the engine that runs it.

mod child;
mod model;
mod policy;
mod pool;
mod process;
mod supervisor;
mod uses;
mod validate;

#[cfg(all(unix, feature = "process"))]
pub(crate) use child::erased;
pub use child::{ChildSpec, RestartArgs, Template};
pub use model::{AnySupervisorSpec, DynamicSupervisorSpec, SupervisorSpec};
pub(crate) use model::{BoxFuture, ErasedChild, PoolSettings, Starter, SupervisorKind};
pub use policy::{
    AutoShutdown, Budget, ChildKind, ChildPolicy, Intensity, OnExhausted, Overflow, Readiness,
    Restart, Shutdown, Strategy, DEFAULT_MAILBOX_CAPACITY, DEFAULT_WORKER_SHUTDOWN,
};
pub use pool::{PoolSpec, Routing};
pub use process::{Process, ProcessExit, ProcessStartError, Ready, StderrTail};
pub use uses::Uses;
pub(crate) use validate::check_child;

#[cfg(test)]
mod tests;
