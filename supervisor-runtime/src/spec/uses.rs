//! The typed name of a node a child uses (S17), as specs declare it.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// The typed name of a node a child uses (S17), of handle type `H` (a [`ChildRef`](crate::ChildRef),
/// [`PoolRef`](crate::PoolRef), [`DynamicRef`](crate::DynamicRef) or
/// [`SupervisorRef`](crate::SupervisorRef)): declared on the child with
/// [`ChildSpec::uses`](crate::ChildSpec::uses), which the tree's validation checks (the name
/// must be an earlier node or an ancestor), and resolved in the child with
/// [`ChildContext::used`](crate::ChildContext::used).
///
/// ```
/// use supervisor::{ChildContext, ChildRef, ChildSpec, Supervisor, SupervisorSpec, Uses};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let db = Uses::<ChildRef<String>>::new("db");
/// let spec = SupervisorSpec::new("app")
///     .child(ChildSpec::with_mailbox("db", |mut ctx: ChildContext<String>| async move {
///         while let Some(_query) = ctx.recv().await {}
///         Ok::<(), String>(())
///     }))
///     .child(
///         ChildSpec::worker("api", {
///             let db = db.clone();
///             move |ctx: ChildContext| {
///                 let db = ctx.used(&db);
///                 async move {
///                     db.map_err(|e| e.to_string())?.send("select 1".into()).await.ok();
///                     ctx.cancelled().await;
///                     Ok::<(), String>(())
///                 }
///             }
///         })
///         .uses(&db),
///     );
/// let app = Supervisor::start(spec).await?;
/// app.shutdown().await?;
/// # Ok(())
/// # }
/// ```
pub struct Uses<H> {
    name: Arc<str>,
    _handle: PhantomData<fn() -> H>,
}

impl<H> Uses<H> {
    /// The node called `name`: looked up among the child's own siblings first, then among
    /// each ancestor's (S17.1).
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        Uses {
            name: name.into(),
            _handle: PhantomData,
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn shared_name(&self) -> Arc<str> {
        Arc::clone(&self.name)
    }
}

impl<H> Clone for Uses<H> {
    fn clone(&self) -> Self {
        Uses {
            name: Arc::clone(&self.name),
            _handle: PhantomData,
        }
    }
}

impl<H> fmt::Debug for Uses<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Uses<{}>({})",
            crate::types::short(std::any::type_name::<H>()),
            self.name
        )
    }
}
