//! The trait for children with a start-up phase and a stop hook.

use crate::context::{ChildContext, Message, NoMailbox};
use crate::exit::BoxError;

/// A child written as a type: `init` must succeed before the next sibling starts (S2.1), `run`
/// is the incarnation's life, and `stop` runs after `run` returned, whatever it returned.
///
/// A fresh value is made for every incarnation (see [`ChildSpec::from_worker`]), so state that
/// must survive a restart belongs outside the worker.
///
/// ```
/// use supervisor::{async_trait, BoxError, ChildContext, ChildSpec, Worker};
///
/// struct Listener { port: u16 }
///
/// #[async_trait]
/// impl Worker for Listener {
///     async fn init(&mut self, _ctx: &mut ChildContext) -> Result<(), BoxError> {
///         if self.port == 0 { return Err("port 0".into()); }
///         Ok(())
///     }
///     async fn run(&mut self, ctx: &mut ChildContext) -> Result<(), BoxError> {
///         ctx.cancelled().await;
///         Ok(())
///     }
/// }
///
/// let spec = ChildSpec::from_worker("listener", || Listener { port: 8080 });
/// # let _ = spec;
/// ```
///
/// [`ChildSpec::from_worker`]: crate::ChildSpec::from_worker
#[async_trait::async_trait]
pub trait Worker<M: Message = NoMailbox>: Send + 'static {
    /// Start-up; the supervisor starts the next sibling only once this returned `Ok`. An `Err`
    /// is a failed start (S2.2 during the tree's start, a counted restart attempt later, S4.3).
    async fn init(&mut self, ctx: &mut ChildContext<M>) -> Result<(), BoxError> {
        let _ = ctx;
        Ok(())
    }

    /// The work. Return when `ctx.cancelled()` resolves to stop cleanly.
    async fn run(&mut self, ctx: &mut ChildContext<M>) -> Result<(), BoxError>;

    /// Clean-up after `run` returned (not after a panic or an abort).
    async fn stop(&mut self, ctx: &mut ChildContext<M>) {
        let _ = ctx;
    }
}
