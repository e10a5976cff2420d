//! Pools (S14, hub and spoke): a supervisor of `size` identical workers with mailboxes behind
//! one address, which routes each message to a slot.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::call::{CallError, Reply};
use crate::context::Message;
use crate::error::ManagementError;
use crate::handle::{ChildRef, SupervisorRef};
use crate::node::Command;
use crate::node::Node;
use crate::spec::{DynamicSpec, SupervisorSpec, Template};
use crate::state::{ChildState, Gone};
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

/// What a send does when its slot cannot take the message now (S14.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Wait for room (the default).
    #[default]
    Wait,
    /// Fail at once with [`PoolError::Full`], the message given back.
    Reject,
    /// Drop the message, count it ([`PoolRef::dropped`]) and report it in a warning.
    DropNewest,
}

/// Jump consistent hashing (Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash
/// Algorithm", 2014): the bucket of `key` among `buckets`. When the number of buckets grows by
/// one, only the keys that move to the new bucket move.
pub fn jump_hash(mut key: u64, buckets: u32) -> u32 {
    let (mut b, mut j) = (-1i64, 0i64);
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b.max(0) as u32
}

/// A pool's spec: `size` slots made from one template, each given its slot number as its
/// argument, each restarted one_for_one, stopped all at once (S14.1). A kind of its own (S5.6).
///
/// ```
/// use supervisor_runtime::{ChildContext, PoolSpec, Template};
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
        self.inner.pool.as_ref().map_or(0, |p| p.size)
    }

    fn overflow_of(&self) -> Overflow {
        self.inner
            .pool
            .as_ref()
            .map_or_else(Overflow::default, |p| p.overflow)
    }
}

/// The erased settings of a pool, as its supervisor keeps them.
#[derive(Clone)]
pub(crate) struct PoolSettings {
    pub size: usize,
    pub overflow: Overflow,
    /// The typed [`Routing`], for the pool's references.
    pub routing: crate::types::AnyArc,
}

impl<M: Message> PoolSpec<M> {
    /// A pool of `size` slots (at least 1) made from `template`, routing round robin, waiting
    /// when a slot's mailbox is full.
    pub fn new(id: impl Into<Arc<str>>, size: usize, template: Template<usize, M>) -> Self {
        let mut inner = SupervisorSpec::new(id);
        inner.dynamic = Some(DynamicSpec {
            template: template.inner,
            args: TypeTag::of::<usize>(),
            max_children: None,
        });
        let mut pool = PoolSpec {
            inner,
            routing: Routing::RoundRobin,
        };
        pool.settings(size, Overflow::Wait);
        pool
    }

    fn settings(&mut self, size: usize, overflow: Overflow) {
        self.inner.pool = Some(PoolSettings {
            size,
            overflow,
            routing: Arc::new(self.routing.clone()),
        });
    }

    fn set_routing(mut self, routing: Routing<M>) -> Self {
        self.routing = routing;
        let (size, overflow) = (self.size(), self.overflow_of());
        self.settings(size, overflow);
        self
    }

    /// Routes each message to the next running slot, in turn (the default).
    #[must_use]
    pub fn round_robin(self) -> Self {
        self.set_routing(Routing::RoundRobin)
    }

    /// Routes each message to the running slot with the fewest queued messages.
    #[must_use]
    pub fn least_loaded(self) -> Self {
        self.set_routing(Routing::LeastLoaded)
    }

    /// Routes each message by the hash of its key: the same key, the same slot.
    #[must_use]
    pub fn key_hash<K: Hash>(self, key: impl Fn(&M) -> K + Send + Sync + 'static) -> Self {
        self.set_routing(Routing::KeyHash(Arc::new(move |m| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            key(m).hash(&mut h);
            h.finish()
        })))
    }

    /// What a send does when its slot is full.
    #[must_use]
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        let size = self.size();
        self.settings(size, overflow);
        self
    }

    /// Sets the restart intensity of the pool.
    #[must_use]
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
    #[must_use]
    pub fn broadcast(self) -> Self {
        self.set_routing(Routing::Broadcast(M::clone))
    }
}

/// Why a message could not go to a pool.
#[derive(thiserror::Error)]
pub enum PoolError<M> {
    /// Every slot the message could go to is full, and the pool rejects on overflow.
    #[error("every slot the message could go to is full")]
    Full(M),
    /// The pool has no running slot to take the message (its slots are restarting, or it is
    /// stopped); with `Overflow::Wait` a send waits for one instead.
    #[error("no slot is running")]
    NoSlot(M),
    /// The pool is gone.
    #[error("the pool is gone: {1}")]
    Gone(M, Gone),
}

impl<M> fmt::Debug for PoolError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            PoolError::Full(_) => "Full",
            PoolError::NoSlot(_) => "NoSlot",
            PoolError::Gone(_, _) => "Gone",
        };
        write!(f, "PoolError::{kind}(..)")
    }
}

/// What a pool's supervisor publishes for its references: the running slots, in order.
#[derive(Default)]
pub(crate) struct PoolShared {
    pub slots: RwLock<Arc<[Arc<Node>]>>,
    cursor: AtomicUsize,
    dropped: AtomicU64,
}

/// A pool, typed by its workers' messages: one address for all its slots.
pub struct PoolRef<M> {
    sup: SupervisorRef,
    _types: PhantomData<fn(M)>,
}

impl<M> Clone for PoolRef<M> {
    fn clone(&self) -> Self {
        PoolRef {
            sup: self.sup.clone(),
            _types: PhantomData,
        }
    }
}

impl<M> fmt::Debug for PoolRef<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolRef")
            .field("path", &self.sup.path())
            .finish()
    }
}

impl<M> std::ops::Deref for PoolRef<M> {
    type Target = SupervisorRef;
    fn deref(&self) -> &SupervisorRef {
        &self.sup
    }
}

impl<M: Message> PoolRef<M> {
    pub(crate) fn new(sup: SupervisorRef) -> Self {
        PoolRef {
            sup,
            _types: PhantomData,
        }
    }

    fn shared(&self) -> Option<(&PoolShared, Overflow, Routing<M>)> {
        let (shared, settings) = self.sup.pool_parts()?;
        let routing = settings.routing.downcast_ref::<Routing<M>>()?.clone();
        Some((shared, settings.overflow, routing))
    }

    /// The slots now, in order (running or restarting).
    pub fn slots(&self) -> Vec<ChildRef<M>> {
        let Some((shared, _, _)) = self.shared() else {
            return Vec::new();
        };
        let slots = shared
            .slots
            .read()
            .map(|s| Arc::clone(&s))
            .unwrap_or_default();
        slots
            .iter()
            .map(|n| ChildRef::new(Arc::clone(n), self.sup.clone()))
            .collect()
    }

    /// Messages dropped by the `DropNewest` overflow policy so far.
    pub fn dropped(&self) -> u64 {
        self.shared()
            .map_or(0, |(s, _, _)| s.dropped.load(Ordering::Relaxed))
    }

    /// The slot for `msg` by the pool's routing, among `slots`; `None` when none is running.
    fn pick(
        shared: &PoolShared,
        routing: &Routing<M>,
        slots: &[Arc<Node>],
        msg: &M,
    ) -> Option<usize> {
        let running = |n: &Arc<Node>| {
            matches!(
                n.state(),
                ChildState::Running | ChildState::Restarting | ChildState::Starting
            )
        };
        match routing {
            Routing::KeyHash(key) => {
                let n = u32::try_from(slots.len()).ok().filter(|n| *n > 0)?;
                Some(jump_hash(key(msg), n) as usize)
            }
            Routing::LeastLoaded => (0..slots.len())
                .filter(|&i| matches!(slots[i].state(), ChildState::Running))
                .min_by_key(|&i| (queued::<M>(&slots[i]), i)),
            // Round robin, skipping slots that are not running (S14.2).
            _ => {
                let len = slots.len();
                let start = shared.cursor.fetch_add(1, Ordering::Relaxed);
                (0..len)
                    .map(|k| (start + k) % len)
                    .find(|&i| matches!(slots[i].state(), ChildState::Running))
                    .or_else(|| {
                        (0..len)
                            .map(|k| (start + k) % len)
                            .find(|&i| running(&slots[i]))
                    })
            }
        }
    }

    /// Sends `msg` to a slot chosen by the pool's routing (to every slot, cloned, for a
    /// broadcast pool), following its overflow policy when the slot is full (S14.2, S14.3).
    /// Messages queued for a slot that restarts reach its next incarnation (S9.8).
    pub async fn send(&self, msg: M) -> Result<(), PoolError<M>> {
        let Some((shared, overflow, routing)) = self.shared() else {
            let how = self.sup.node_state().gone().unwrap_or(Gone::TreeEnded);
            return Err(PoolError::Gone(msg, how));
        };
        let slots = shared
            .slots
            .read()
            .map(|s| Arc::clone(&s))
            .unwrap_or_default();
        if let Routing::Broadcast(clone) = routing {
            let mut sent = false;
            for slot in slots.iter() {
                if matches!(slot.state(), ChildState::Running | ChildState::Restarting) {
                    let r = ChildRef::<M>::new(Arc::clone(slot), self.sup.clone());
                    sent |= deliver(&r, clone(&msg), overflow, shared).await.is_ok();
                }
            }
            return if sent {
                Ok(())
            } else {
                Err(PoolError::NoSlot(msg))
            };
        }
        let Some(i) = Self::pick(shared, &routing, &slots, &msg) else {
            return Err(PoolError::NoSlot(msg));
        };
        let r = ChildRef::<M>::new(Arc::clone(&slots[i]), self.sup.clone());
        deliver(&r, msg, overflow, shared).await
    }

    /// Changes the number of slots at run time (S14.5): new slots start, numbered on; the
    /// highest slots stop by their shutdown policy, and the messages queued for them are routed
    /// to the remaining slots (those that cannot be are counted in [`dropped`](Self::dropped)).
    pub async fn resize(&self, size: usize) -> Result<(), ManagementError> {
        let retired = self.sup.call(|r| Command::Resize(size, r)).await??;
        for node in retired {
            let queued = match node.mailbox::<M>() {
                // The slot's task is gone: nothing holds its receiver.
                Some(mailbox) => {
                    let mut rx = mailbox.rx.lock().await;
                    let mut queued = Vec::new();
                    while let Ok(m) = rx.try_recv() {
                        queued.push(m);
                    }
                    queued
                }
                None => Vec::new(),
            };
            self.sup.retire(&node);
            for m in queued {
                if self.send(m).await.is_err() {
                    if let Some((shared, _, _)) = self.shared() {
                        let n = shared.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                        tracing::warn!(pool = %self.sup.path(), dropped = n, "a retired slot's message found no slot");
                    }
                }
            }
        }
        Ok(())
    }

    /// Sends a request to a slot chosen by the pool's routing and waits for the answer within
    /// `timeout` (S14.4); see [`ChildRef::call`].
    pub async fn call<T>(
        &self,
        make: impl FnOnce(Reply<T>) -> M,
        timeout: Duration,
    ) -> Result<T, CallError> {
        let Some((shared, _, routing)) = self.shared() else {
            return Err(CallError::Gone(
                self.sup.node_state().gone().unwrap_or(Gone::TreeEnded),
            ));
        };
        let slots = shared
            .slots
            .read()
            .map(|s| Arc::clone(&s))
            .unwrap_or_default();
        // The request is made first, so that a key is read from it.
        let (reply, answer) = crate::call::reply();
        let msg = make(reply);
        let routing = match routing {
            Routing::Broadcast(_) => Routing::RoundRobin,
            r => r,
        };
        let Some(i) = Self::pick(shared, &routing, &slots, &msg) else {
            return Err(CallError::Timeout(Duration::ZERO));
        };
        let r = ChildRef::<M>::new(Arc::clone(&slots[i]), self.sup.clone());
        r.call_prepared(msg, answer, timeout).await
    }
}

/// Queued messages in a slot's mailbox.
fn queued<M: Message>(node: &Node) -> usize {
    node.mailbox::<M>()
        .map_or(usize::MAX, |m| m.tx.max_capacity() - m.tx.capacity())
}

async fn deliver<M: Message>(
    slot: &ChildRef<M>,
    msg: M,
    overflow: Overflow,
    shared: &PoolShared,
) -> Result<(), PoolError<M>> {
    use crate::error::MailboxError;
    let sent = match overflow {
        Overflow::Wait => slot.send(msg).await,
        Overflow::Reject | Overflow::DropNewest => slot.try_send(msg),
    };
    match sent {
        Ok(()) => Ok(()),
        Err(MailboxError::Full(msg)) if overflow == Overflow::DropNewest => {
            let n = shared.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(slot = %slot.path(), dropped = n, "pool slot full; message dropped");
            drop(msg);
            Ok(())
        }
        Err(MailboxError::Full(msg)) => Err(PoolError::Full(msg)),
        Err(MailboxError::Gone(msg, how)) => Err(PoolError::Gone(msg, how)),
        Err(MailboxError::NoMailbox(msg)) => Err(PoolError::NoSlot(msg)),
    }
}

#[cfg(test)]
mod tests {
    use super::jump_hash;

    // S14.2: jump consistent hashing against values computed independently (a Python transcript
    // of the paper's algorithm), and its minimal movement when a bucket is added.
    #[test]
    fn jump_hash_is_consistent() {
        let keys = [0, 1, 2, 3, 42, 1000, 1 << 40, (1 << 63) + 7];
        let ten: Vec<u32> = keys.iter().map(|&k| jump_hash(k, 10)).collect();
        assert_eq!(ten, [0, 6, 6, 8, 2, 9, 9, 4]);
        let thousand: Vec<u32> = keys.iter().map(|&k| jump_hash(k, 1000)).collect();
        assert_eq!(thousand, [0, 549, 338, 961, 571, 93, 145, 476]);
        for key in 0..1000u64 {
            assert_eq!(jump_hash(key, 1), 0);
            let b = jump_hash(key, 10);
            assert!(b < 10);
            let after = jump_hash(key, 11);
            assert!(
                after == b || after == 10,
                "key {key} moved from {b} to {after}"
            );
        }
        let moved = (0..10_000u64)
            .filter(|&k| jump_hash(k, 10) != jump_hash(k, 11))
            .count();
        // About one key in eleven moves to the new bucket.
        assert!((700..1100).contains(&moved), "{moved}");
    }
}
