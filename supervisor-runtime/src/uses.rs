//! How a child reaches the nodes of the tree it uses (S17): typed names, and their lookup as a
//! variable is looked up in a block.

use std::sync::Arc;

use crate::context::ChildContext;
use crate::error::LookupError;
use crate::handle::{bind, ChildRef, DynamicRef, SupervisorRef};
use crate::node::Visible;
use crate::pool::PoolRef;
use crate::spec::Uses;
use crate::Message;

/// A handle a child can be given to a node it uses (S17.1): a [`ChildRef`], a [`PoolRef`], a
/// [`DynamicRef`] or a [`SupervisorRef`], typed as the node is.
pub trait Usable: Sized + sealed::Sealed {
    /// The handle of the node `id` among the declared children of `sup`, checked against its
    /// kind and types.
    #[doc(hidden)]
    fn named(sup: &SupervisorRef, id: &str) -> Result<Self, LookupError>;
    /// The handle of the declared child at `index` of `sup`, as the expansion, which checked
    /// the tree, binds it.
    #[doc(hidden)]
    fn declared(sup: &SupervisorRef, index: usize) -> Self;
    /// The handle of `sup` itself, the root of a tree used by one of its descendants.
    #[doc(hidden)]
    fn this(sup: &SupervisorRef) -> Result<Self, LookupError>;
}

mod sealed {
    pub trait Sealed {}
    impl<M> Sealed for crate::ChildRef<M> {}
    impl<M> Sealed for crate::PoolRef<M> {}
    impl<A, M> Sealed for crate::DynamicRef<A, M> {}
    impl Sealed for crate::SupervisorRef {}
}

impl<M: Message> Usable for ChildRef<M> {
    fn named(sup: &SupervisorRef, id: &str) -> Result<Self, LookupError> {
        sup.child(id)
    }
    fn declared(sup: &SupervisorRef, index: usize) -> Self {
        bind::child(sup, index)
    }
    fn this(sup: &SupervisorRef) -> Result<Self, LookupError> {
        Err(LookupError::NotFound(Arc::from(sup.path())))
    }
}

impl Usable for SupervisorRef {
    fn named(sup: &SupervisorRef, id: &str) -> Result<Self, LookupError> {
        sup.supervisor(id)
    }
    fn declared(sup: &SupervisorRef, index: usize) -> Self {
        bind::supervisor(sup, index)
    }
    fn this(sup: &SupervisorRef) -> Result<Self, LookupError> {
        Ok(sup.clone())
    }
}

impl<A: 'static, M: 'static> Usable for DynamicRef<A, M> {
    fn named(sup: &SupervisorRef, id: &str) -> Result<Self, LookupError> {
        sup.dynamic(id)
    }
    fn declared(sup: &SupervisorRef, index: usize) -> Self {
        bind::dynamic(sup, index)
    }
    fn this(sup: &SupervisorRef) -> Result<Self, LookupError> {
        sup.dynamic("")
    }
}

impl<M: Message> Usable for PoolRef<M> {
    fn named(sup: &SupervisorRef, id: &str) -> Result<Self, LookupError> {
        sup.pool(id)
    }
    fn declared(sup: &SupervisorRef, index: usize) -> Self {
        crate::pool::bind_pool(sup, index)
    }
    fn this(sup: &SupervisorRef) -> Result<Self, LookupError> {
        sup.pool("")
    }
}

impl<M> ChildContext<M> {
    /// The handle of a node this child declared it uses (S17.1), typed as `uses` says: a
    /// stable handle, which reaches whatever incarnation of that node is current.
    ///
    /// # Errors
    ///
    /// [`LookupError::NotFound`] when the child did not declare `uses`, or no node of that
    /// name is in its scope; a kind or type error when the node is not what `uses` says.
    pub fn used<H: Usable>(&self, uses: &Uses<H>) -> Result<H, LookupError> {
        let not_found = || LookupError::NotFound(uses.shared_name());
        let visible = self.visible().ok_or_else(not_found)?;
        // Only what the spec declared, which validation checked.
        if !visible.names.iter().any(|n| **n == *uses.name()) {
            return Err(not_found());
        }
        let mut scope = &*visible.scope;
        loop {
            let sup = SupervisorRef::of(Arc::clone(&scope.sup));
            if sup.declares(uses.name()) {
                return H::named(&sup, uses.name());
            }
            match &scope.up {
                Some(up) => scope = up,
                // The root, used by one of its descendants.
                None if sup.id() == uses.name() => return H::this(&sup),
                None => return Err(not_found()),
            }
        }
    }

    /// What this incarnation may look up, for children that use nodes.
    fn visible(&self) -> Option<&Visible> {
        let visible = self.raw.extra.as_ref()?.scope.as_ref()?;
        visible.downcast_ref::<Visible>()
    }
}

/// The handle of the declared child at `index` of the supervisor `up` levels above the
/// child's (0: its own), or of the root when `index` is `None`: the expansion resolved the
/// name when it checked the tree. A context without a scope (which the expansion never
/// builds) gets a handle that answers "gone".
#[doc(hidden)]
pub fn used_at<H: Usable, M>(ctx: &ChildContext<M>, up: usize, index: Option<usize>) -> H {
    let mut scope = ctx.visible().map(|v| &*v.scope);
    for _ in 0..up {
        scope = scope.and_then(|s| s.up.as_deref());
    }
    let sup = match scope {
        Some(scope) => SupervisorRef::of(Arc::clone(&scope.sup)),
        None => SupervisorRef::unbound(ctx.path()),
    };
    match index {
        Some(index) => H::declared(&sup, index),
        None => {
            H::this(&sup).unwrap_or_else(|_| H::declared(&SupervisorRef::unbound(ctx.path()), 0))
        }
    }
}
