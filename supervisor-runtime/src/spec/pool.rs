//! Pool specs (S14): the routing a pool is declared with and the builder of its spec; data only,
//! the routing itself happens at send time in the pool's references.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use super::child::Template;
use super::model::{
    sealed, AnySupervisorSpec, DynamicSpec, PoolSettings, SupervisorKind, SupervisorSpec,
};
use super::policy::Overflow;
use crate::context::Message;
use crate::mailbox::{mailbox_factory, ring_factory};
use crate::types::TypeTag;

/// How a pool picks the slot for a message (S14.2).
pub enum Routing<M> {
    /// The next running slot, in turn.
    RoundRobin,
    /// The running slot with the fewest queued messages; ties go to the lowest slot.
    LeastLoaded,
    /// The slot that jump consistent hashing (Lamping and Veach, 2014) gives the message's key:
    /// the same key reaches the same slot while the size is unchanged.
    KeyHash(Arc<dyn Fn(&M) -> u64 + Send + Sync>),
    /// Every running slot gets a clone.
    Broadcast(fn(&M) -> M),
}

impl<M> Clone for Routing<M> {
    fn clone(&self) -> Self {
        match self {
            Routing::RoundRobin => Routing::RoundRobin,
            Routing::LeastLoaded => Routing::LeastLoaded,
            Routing::KeyHash(f) => Routing::KeyHash(Arc::clone(f)),
            Routing::Broadcast(f) => Routing::Broadcast(*f),
        }
    }
}

impl<M> fmt::Debug for Routing<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Routing::RoundRobin => "RoundRobin",
            Routing::LeastLoaded => "LeastLoaded",
            Routing::KeyHash(_) => "KeyHash",
            Routing::Broadcast(_) => "Broadcast",
        })
    }
}

/// A pool's spec: `size` slots made from one template, each given its slot number as its
/// argument, each restarted one_for_one, stopped all at once (S14.1). A kind of its own (S5.6).
///
/// ```
/// use supervisor::{ChildContext, PoolSpec, Template};
///
/// enum Job { Resize(u32) }
///
/// async fn worker(mut ctx: ChildContext<Job>, slot: usize) -> Result<(), String> {
///     while let Some(Job::Resize(px)) = ctx.recv().await {
///         let _ = (slot, px);
///     }
///     Ok(())
/// }
///
/// let pool = PoolSpec::new("thumbnails", 4, Template::<usize, Job>::new(worker)).least_loaded();
/// assert_eq!(pool.size(), 4);
/// ```
#[must_use = "a builder does nothing until it is used"]
pub struct PoolSpec<M> {
    pub(crate) inner: SupervisorSpec,
    routing: Routing<M>,
}

impl<M> Clone for PoolSpec<M> {
    fn clone(&self) -> Self {
        PoolSpec {
            inner: self.inner.clone(),
            routing: self.routing.clone(),
        }
    }
}

impl<M> fmt::Debug for PoolSpec<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolSpec")
            .field("id", &self.inner.id)
            .field("size", &self.size())
            .field("routing", &self.routing)
            .finish_non_exhaustive()
    }
}

impl<M> PoolSpec<M> {
    /// The number of slots.
    pub fn size(&self) -> usize {
        self.inner.kind.pool().map_or(0, |p| p.size)
    }
}

impl<M: Message> PoolSpec<M> {
    /// A pool of `size` slots (at least 1) made from `template`, routing round robin, waiting
    /// when a slot's mailbox is full.
    pub fn new(id: impl Into<Arc<str>>, size: usize, template: Template<usize, M>) -> Self {
        let template = DynamicSpec {
            template: template.inner,
            args: TypeTag::of::<usize>(),
            max_children: None,
        };
        PoolSpec {
            inner: SupervisorSpec::with_kind(
                id.into(),
                SupervisorKind::Pool(
                    template,
                    PoolSettings {
                        size,
                        overflow: Overflow::default(),
                        routing: Arc::new(Routing::<M>::RoundRobin),
                        route: crate::RouteKind::RoundRobin,
                    },
                ),
            ),
            routing: Routing::RoundRobin,
        }
    }

    /// Changes the pool's settings (its kind is a pool from `new` on).
    fn edit(mut self, f: impl FnOnce(&mut PoolSettings)) -> Self {
        if let SupervisorKind::Pool(_, settings) = &mut self.inner.kind {
            f(settings);
        }
        self
    }

    fn set_routing(mut self, routing: Routing<M>) -> Self {
        let erased = Arc::new(routing.clone());
        let kind = match routing {
            Routing::RoundRobin => crate::RouteKind::RoundRobin,
            Routing::LeastLoaded => crate::RouteKind::LeastLoaded,
            Routing::KeyHash(_) => crate::RouteKind::KeyHash,
            Routing::Broadcast(_) => crate::RouteKind::Broadcast,
        };
        self.routing = routing;
        self.edit(|s| {
            s.routing = erased;
            s.route = kind;
        })
    }

    /// Routes each message to the next running slot, in turn (the default).
    pub fn round_robin(self) -> Self {
        self.set_routing(Routing::RoundRobin)
    }

    /// Routes each message to the running slot with the fewest queued messages.
    pub fn least_loaded(self) -> Self {
        self.set_routing(Routing::LeastLoaded)
    }

    /// Routes each message by the hash of its key: the same key, the same slot.
    pub fn key_hash<K: Hash>(self, key: impl Fn(&M) -> K + Send + Sync + 'static) -> Self {
        self.set_routing(Routing::KeyHash(Arc::new(move |m| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            key(m).hash(&mut h);
            h.finish()
        })))
    }

    /// What a send does when its slot is full.
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        // The slots' mailboxes follow: a `drop_oldest` slot's makes room instead of waiting.
        if let SupervisorKind::Pool(template, _) = &mut self.inner.kind {
            template.template.mailbox = Some(match overflow {
                Overflow::DropOldest => ring_factory::<M>(),
                Overflow::Wait | Overflow::Reject | Overflow::DropNewest => mailbox_factory::<M>(),
            });
        }
        self.edit(|s| s.overflow = overflow)
    }

    /// Sets the restart intensity of the pool.
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.inner = self.inner.intensity(max_restarts, period);
        self
    }

    /// Checks the spec (S1.4, S14): a pool has at least one slot.
    pub fn validate(&self) -> Result<(), crate::SpecError> {
        self.inner.validate()
    }
}

impl<M: Message + Clone> PoolSpec<M> {
    /// Sends every message to every running slot, each a clone.
    pub fn broadcast(self) -> Self {
        self.set_routing(Routing::Broadcast(M::clone))
    }
}

impl<M> sealed::Sealed for PoolSpec<M> {}

impl<M> AnySupervisorSpec for PoolSpec<M> {
    fn into_spec(self) -> SupervisorSpec {
        self.inner
    }
}
