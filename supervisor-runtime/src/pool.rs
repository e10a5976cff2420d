//! Pools (S14, hub and spoke): a supervisor of `size` identical workers with mailboxes behind
//! one address, which routes each message to a slot.

use std::any::TypeId;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use std::time::Duration;
use tokio::sync::mpsc::error::TrySendError;

use crate::call::{CallError, Reply};
use crate::context::Message;
use crate::error::{LookupError, ManagementError};
use crate::handle::{ChildRef, SupervisorRef};
use crate::mailbox::{Pushed, Tx};
use crate::node::{Command, Node, PoolShared, SupShape};
use crate::spec::{Overflow, Routing};
use crate::state::{ChildState, Gone};

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

/// Why a message could not go to a pool.
#[derive(thiserror::Error)]
#[non_exhaustive]
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

impl<M> PoolError<M> {
    /// The message that was not delivered.
    pub fn into_inner(self) -> M {
        match self {
            PoolError::Full(m) | PoolError::NoSlot(m) | PoolError::Gone(m, _) => m,
        }
    }
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

impl SupervisorRef {
    /// The pool at `path` below this one (`""` for this one), typed by its workers' messages
    /// (S14).
    pub fn pool<M: Message>(&self, path: &str) -> Result<PoolRef<M>, LookupError> {
        let sup = if path.is_empty() {
            self.clone()
        } else {
            self.supervisor(path)?
        };
        match sup.node().sup.as_deref().map(|s| &s.kind) {
            Some(SupShape::Pool(pool)) if (pool.message)().id == TypeId::of::<M>() => {
                Ok(PoolRef::new(sup))
            }
            Some(SupShape::Pool(pool)) => Err(LookupError::WrongMessageType {
                path: Arc::clone(sup.node().path()),
                declared: (pool.message)().name,
                requested: std::any::type_name::<M>(),
            }),
            _ => Err(LookupError::NotAPool(Arc::clone(sup.node().path()))),
        }
    }
}

/// The declared pool at `index` of `sup`, for the generated handles.
pub fn bind_pool<M>(sup: &SupervisorRef, index: usize) -> PoolRef<M> {
    PoolRef::new(crate::handle::bind::supervisor(sup, index))
}

/// A pool, typed by its workers' messages: one address for all its slots.
///
/// Each reference keeps its own copy of the slots' mailboxes, refreshed when the pool's slots
/// change: a send takes no shared lock and clones nothing. A clone starts with an empty copy,
/// so that tasks sending through their own clones do not contend.
pub struct PoolRef<M> {
    sup: SupervisorRef,
    cache: Mutex<Cache<M>>,
}

/// A reference's copy of the pool's slots, current for `generation`.
struct Cache<M> {
    generation: u64,
    slots: Vec<(Arc<Node>, Tx<M>)>,
    routing: Option<Routing<M>>,
    overflow: Overflow,
}

impl<M> Cache<M> {
    fn empty() -> Self {
        Cache {
            generation: u64::MAX,
            slots: Vec::new(),
            routing: None,
            overflow: Overflow::Wait,
        }
    }
}

impl<M> Clone for PoolRef<M> {
    fn clone(&self) -> Self {
        PoolRef {
            sup: self.sup.clone(),
            cache: Mutex::new(Cache::empty()),
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

impl<M> PoolRef<M> {
    pub(crate) fn new(sup: SupervisorRef) -> Self {
        PoolRef {
            sup,
            cache: Mutex::new(Cache::empty()),
        }
    }
}

impl<M: Message> PoolRef<M> {
    /// The cache, brought up to date with the pool's slots.
    fn current(&self, shared: &PoolShared) -> Option<MutexGuard<'_, Cache<M>>> {
        let mut cache = self.cache.lock().ok()?;
        let generation = shared.generation.load(Ordering::Acquire);
        if cache.generation != generation {
            let (_, overflow, routing) = self.shared()?;
            let slots = shared.slots.read().ok().map(|s| Arc::clone(&s))?;
            cache.slots = (slots.iter())
                .filter_map(|n| Some((Arc::clone(n), n.mailbox::<M>()?.tx.clone())))
                .collect();
            cache.routing = Some(routing);
            cache.overflow = overflow;
            cache.generation = generation;
        }
        Some(cache)
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

    /// Sends `msg` to a slot chosen by the pool's routing (to every slot, cloned, for a
    /// broadcast pool), following its overflow policy when no slot the routing may choose is
    /// running with room (S14.2, S14.3). Messages queued for a slot that restarts reach its
    /// next incarnation (S9.8).
    ///
    /// # Errors
    ///
    /// [`PoolError::Full`] or [`PoolError::NoSlot`] under [`Overflow::Reject`], with the message
    /// given back; [`PoolError::Gone`] once the pool is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancelling a send that waits (for room, or for a slot to come up) drops the message; none
    /// is delivered twice.
    pub async fn send(&self, msg: M) -> Result<(), PoolError<M>> {
        let mut msg = msg;
        let mut waited = false;
        loop {
            let Some((shared, _)) = self.sup.pool_parts() else {
                return Err(PoolError::Gone(msg, self.gone()));
            };
            match self.route(shared, msg) {
                Step::Done(result) => return result,
                Step::Wait(tx, msg, overflow) => return deliver(&tx, msg, overflow, shared).await,
                Step::Broadcast(slots, clone, msg, overflow) => {
                    let mut sent = false;
                    for tx in &slots {
                        sent |= deliver(tx, clone(&msg), overflow, shared).await.is_ok();
                    }
                    return if sent {
                        Ok(())
                    } else {
                        Err(PoolError::NoSlot(msg))
                    };
                }
                // No slot is up: wait for one (S14.3 `wait`). Registered before routing again,
                // so that a slot coming up in between is not missed.
                Step::NoSlot(m) if waited => {
                    if let Some(how) = self.sup.node_state().gone() {
                        return Err(PoolError::Gone(m, how));
                    }
                    let notified = shared.up.notified();
                    tokio::pin!(notified);
                    notified.as_mut().enable();
                    msg = m;
                    match self.route(shared, msg) {
                        Step::NoSlot(m) => {
                            notified.await;
                            msg = m;
                        }
                        other => return self.finish(other, shared).await,
                    }
                }
                Step::NoSlot(m) => {
                    waited = true;
                    msg = m;
                }
            }
        }
    }

    /// The end of a send routed after a wait.
    async fn finish(&self, step: Step<M>, shared: &PoolShared) -> Result<(), PoolError<M>> {
        match step {
            Step::Done(result) => result,
            Step::Wait(tx, msg, overflow) => deliver(&tx, msg, overflow, shared).await,
            Step::Broadcast(_, _, msg, _) | Step::NoSlot(msg) => Err(PoolError::NoSlot(msg)),
        }
    }

    /// The slot a request goes to (round robin for a broadcast pool); waits for one to come up
    /// until `deadline`.
    async fn slot_for(
        &self,
        shared: &PoolShared,
        msg: &M,
        deadline: tokio::time::Instant,
    ) -> Result<Arc<Node>, CallError> {
        if let Some(node) = self.pick_for(shared, msg) {
            return Ok(node);
        }
        loop {
            // Registered before looking again, so that a slot coming up in between is seen.
            let notified = shared.up.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(how) = self.sup.node_state().gone() {
                return Err(CallError::Gone(how));
            }
            if let Some(node) = self.pick_for(shared, msg) {
                return Ok(node);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(CallError::Timeout(Duration::ZERO));
            }
        }
    }

    /// The slot the routing gives a request now, if any is up or restarting.
    fn pick_for(&self, shared: &PoolShared, msg: &M) -> Option<Arc<Node>> {
        let cache = self.current(shared)?;
        let routing = match cache.routing.clone() {
            Some(Routing::Broadcast(_)) | None => Routing::RoundRobin,
            Some(r) => r,
        };
        match pick(shared, &routing, &cache.slots, msg) {
            Pick::Room(i) | Pick::Full(i) | Pick::Down(i) => Some(Arc::clone(&cache.slots[i].0)),
            Pick::None => None,
        }
    }

    fn gone(&self) -> Gone {
        self.sup.node_state().gone().unwrap_or(Gone::TreeEnded)
    }

    /// The synchronous part of a send: the slot, and the message put in its mailbox if there
    /// is room now (the fast path: no await, nothing cloned).
    fn route(&self, shared: &PoolShared, msg: M) -> Step<M> {
        let Some(cache) = self.current(shared) else {
            return Step::Done(Err(PoolError::Gone(msg, self.gone())));
        };
        let overflow = cache.overflow;
        let Some(routing) = cache.routing.clone() else {
            return Step::Done(Err(PoolError::Gone(msg, self.gone())));
        };
        if let Routing::Broadcast(clone) = routing {
            let slots = (cache.slots.iter())
                .filter(|(n, _)| matches!(n.state(), ChildState::Running | ChildState::Restarting))
                .map(|(_, tx)| tx.clone())
                .collect();
            return Step::Broadcast(slots, clone, msg, overflow);
        }
        let i = match (pick(shared, &routing, &cache.slots, &msg), overflow) {
            (Pick::Room(i), _) => i,
            // S14.3: every slot the routing may choose is full.
            (Pick::Full(i), _) => i,
            // None is up. Waiting, a restarting slot takes it for its next incarnation (S9.8);
            // rejecting or dropping, nothing is queued.
            (Pick::Down(i), Overflow::Wait | Overflow::DropOldest) => i,
            (Pick::Down(_), Overflow::Reject) => return Step::Done(Err(PoolError::NoSlot(msg))),
            (Pick::Down(_), Overflow::DropNewest)
            | (Pick::None, Overflow::DropNewest | Overflow::DropOldest) => {
                dropped(shared, msg);
                return Step::Done(Ok(()));
            }
            (Pick::None, Overflow::Reject) => return Step::Done(Err(PoolError::NoSlot(msg))),
            (Pick::None, Overflow::Wait) => return Step::NoSlot(msg),
        };
        let (node, tx) = &cache.slots[i];
        let msg = match tx.try_send(msg) {
            Ok(pushed) => {
                counted(shared, pushed);
                return Step::Done(Ok(()));
            }
            Err(TrySendError::Closed(msg)) => {
                let how = node.state().gone().unwrap_or(Gone::TreeEnded);
                return Step::Done(Err(PoolError::Gone(msg, how)));
            }
            Err(TrySendError::Full(msg)) => msg,
        };
        // Round robin passes over a full slot while another running one has room (S14.2).
        let mut msg = msg;
        if matches!(routing, Routing::RoundRobin) {
            let len = cache.slots.len();
            for (other, tx) in (1..len).map(|k| &cache.slots[(i + k) % len]) {
                if !matches!(other.state(), ChildState::Running) || tx.capacity() == 0 {
                    continue;
                }
                match tx.try_send(msg) {
                    Ok(pushed) => {
                        counted(shared, pushed);
                        return Step::Done(Ok(()));
                    }
                    Err(TrySendError::Full(m) | TrySendError::Closed(m)) => msg = m,
                }
            }
        }
        Step::Wait(tx.clone(), msg, overflow)
    }

    /// Changes the number of slots at run time (S14.5): new slots start, numbered on; the
    /// highest slots stop by their shutdown policy, and the messages queued for them are routed
    /// to the remaining slots (those that cannot be are counted in [`dropped`](Self::dropped)).
    ///
    /// # Errors
    ///
    /// [`ManagementError::Spec`] for a size of 0; [`ManagementError::StartFailed`] when a new slot
    /// fails to start; [`ManagementError::NotRunning`] or [`ManagementError::Gone`] when the pool
    /// is not running.
    ///
    /// # Cancel safety
    ///
    /// The resize itself completes; cancelled while the retired slots' messages are being routed
    /// again, those not yet routed are dropped and counted in [`dropped`](Self::dropped).
    pub async fn resize(&self, size: usize) -> Result<(), ManagementError> {
        let queued = self.sup.call(|r| Command::Resize(size, r)).await??;
        let mut queued = Requeue {
            pool: self,
            messages: queued
                .into_iter()
                .filter_map(|(_, q)| q.downcast::<Vec<M>>().ok())
                .flat_map(|q| *q)
                .collect(),
        };
        while let Some(msg) = queued.messages.pop_front() {
            if self.send(msg).await.is_err() {
                queued.dropped(1);
            }
        }
        Ok(())
    }
    /// Sends a request to a slot chosen by the pool's routing and waits for the answer within
    /// `timeout` (S14.4); see [`ChildRef::call`].
    ///
    /// # Errors
    ///
    /// As [`ChildRef::call`]; waiting for a slot to come up counts toward `timeout`.
    ///
    /// # Cancel safety
    ///
    /// As [`ChildRef::call`].
    pub async fn call<T>(
        &self,
        make: impl FnOnce(Reply<T>) -> M,
        timeout: Duration,
    ) -> Result<T, CallError> {
        let Some((shared, _)) = self.sup.pool_parts() else {
            return Err(CallError::Gone(self.gone()));
        };
        // The request is made first, so that a key is read from it.
        let (reply, answer) = crate::call::reply();
        let msg = make(reply);
        let start = tokio::time::Instant::now();
        let deadline = crate::time::deadline(start, timeout);
        let node = match self.slot_for(shared, &msg, deadline).await {
            Ok(node) => node,
            Err(CallError::Timeout(_)) => return Err(CallError::Timeout(timeout)),
            Err(e) => return Err(e),
        };
        let r = ChildRef::<M>::new(node, self.sup.clone());
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match r.call_prepared(msg, answer, left).await {
            Err(CallError::Timeout(_)) => Err(CallError::Timeout(timeout)),
            other => other,
        }
    }
}

/// What is left of a send once it is routed.
enum Step<M> {
    Done(Result<(), PoolError<M>>),
    /// The slot's mailbox is full: wait, reject or drop, by the overflow policy.
    Wait(Tx<M>, M, Overflow),
    Broadcast(Vec<Tx<M>>, fn(&M) -> M, M, Overflow),
    /// No slot is up to take it: wait for one.
    NoSlot(M),
}

/// The slot the routing chose, and what it can do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pick {
    /// Running with room.
    Room(usize),
    /// Running and full, as every slot the routing may choose is.
    Full(usize),
    /// None is running; this one is restarting and queues for its next incarnation.
    Down(usize),
    /// None is running or restarting.
    None,
}

/// The slot for `msg` by the pool's routing, among `slots` (S14.2): a running slot with room
/// when there is one the routing may choose.
fn pick<M>(
    shared: &PoolShared,
    routing: &Routing<M>,
    slots: &[(Arc<Node>, Tx<M>)],
    msg: &M,
) -> Pick {
    let running = |i: usize| matches!(slots[i].0.state(), ChildState::Running);
    let room = |i: usize| slots[i].1.capacity() > 0;
    let restarting = |i: usize| {
        matches!(
            slots[i].0.state(),
            ChildState::Restarting | ChildState::Starting
        )
    };
    let judge = |i: usize| match (running(i), room(i)) {
        (true, true) => Pick::Room(i),
        (true, false) => Pick::Full(i),
        (false, _) if restarting(i) => Pick::Down(i),
        (false, _) => Pick::None,
    };
    let len = slots.len();
    if len == 0 {
        return Pick::None;
    }
    match routing {
        // Affinity wins over balance: the key's slot alone decides.
        Routing::KeyHash(key) => match u32::try_from(len) {
            Ok(n) => judge(jump_hash(key(msg), n) as usize),
            Err(_) => Pick::None,
        },
        // Fewest queued + in progress, ties to the lowest slot: one pass, which stops at the
        // first idle slot since none can beat it (this runs for every message).
        Routing::LeastLoaded => {
            let mut least: Option<(usize, usize, bool)> = None;
            for (i, (node, tx)) in slots.iter().enumerate() {
                if !matches!(node.state(), ChildState::Running) {
                    continue;
                }
                let room = tx.capacity();
                let load = tx.max_capacity() - room + usize::from(node.busy());
                if least.is_none_or(|(fewest, _, _)| load < fewest) {
                    least = Some((load, i, room > 0));
                    if load == 0 {
                        break;
                    }
                }
            }
            match least {
                Some((_, i, true)) => Pick::Room(i),
                Some((_, i, false)) => Pick::Full(i),
                None => (0..len)
                    .find(|&i| restarting(i))
                    .map_or(Pick::None, Pick::Down),
            }
        }
        // The next running slot, in turn, skipping slots that are down; one that turns out to be
        // full is passed over by `route` while another has room.
        Routing::RoundRobin | Routing::Broadcast(_) => {
            let start = shared.cursor.fetch_add(1, Ordering::Relaxed);
            let order = || (0..len).map(|k| (start + k) % len);
            order()
                .find(|&i| running(i))
                .map(Pick::Room)
                .or_else(|| order().find(|&i| restarting(i)).map(Pick::Down))
                .unwrap_or(Pick::None)
        }
    }
}

/// Counts and reports a message dropped by the overflow policy.
fn dropped<M>(shared: &PoolShared, msg: M) {
    count_dropped(shared);
    drop(msg);
}

fn count_dropped(shared: &PoolShared) {
    let n = shared.dropped.fetch_add(1, Ordering::Relaxed) + 1;
    tracing::warn!(dropped = n, "pool slot full; message dropped");
}

/// Counts the oldest message a `drop_oldest` slot dropped to take a new one.
fn counted(shared: &PoolShared, pushed: Pushed) {
    if pushed == Pushed::DroppedOldest {
        count_dropped(shared);
    }
}

/// Puts `msg` in a slot's mailbox by the overflow policy.
async fn deliver<M: Message>(
    tx: &Tx<M>,
    msg: M,
    overflow: Overflow,
    shared: &PoolShared,
) -> Result<(), PoolError<M>> {
    let sent = match overflow {
        // A `drop_oldest` slot's ring never waits: it makes room.
        Overflow::Wait | Overflow::DropOldest => tx.send(msg).await.map_err(TrySendError::Closed),
        Overflow::Reject | Overflow::DropNewest => tx.try_send(msg),
    };
    match sent {
        Ok(pushed) => {
            counted(shared, pushed);
            Ok(())
        }
        Err(TrySendError::Full(msg)) if overflow == Overflow::DropNewest => {
            dropped(shared, msg);
            Ok(())
        }
        Err(TrySendError::Full(msg)) => Err(PoolError::Full(msg)),
        Err(TrySendError::Closed(msg)) => Err(PoolError::Gone(msg, Gone::Deleted)),
    }
}

/// The messages of retired slots on their way to the remaining ones: those a cancelled resize
/// leaves are counted as dropped, never lost unreported (S14.3).
struct Requeue<'a, M: Message> {
    pool: &'a PoolRef<M>,
    messages: std::collections::VecDeque<M>,
}

impl<M: Message> Requeue<'_, M> {
    fn dropped(&self, n: usize) {
        if let Some((shared, _, _)) = self.pool.shared() {
            let why = "a retired slot's message found no slot";
            shared.drop_messages(n as u64, self.pool.sup.path(), why);
        }
    }
}

impl<M: Message> Drop for Requeue<'_, M> {
    fn drop(&mut self) {
        if !self.messages.is_empty() {
            self.dropped(self.messages.len());
        }
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
