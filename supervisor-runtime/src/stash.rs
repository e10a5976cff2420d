//! State carried across restarts (S15): a stash owned by the child's node, handed to every
//! incarnation, written during work so that whatever ends an incarnation (a panic included),
//! the next one finds the last thing stored.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::types::AnyArc;

/// A child's carried state of type `T` (S15), declared with
/// [`ChildSpec::state`](crate::ChildSpec::state) and reached with
/// [`ChildContext::state`](crate::ChildContext::state). Clones share the value.
///
/// ```
/// use supervisor::{ChildContext, ChildSpec};
///
/// #[derive(Default)]
/// struct Conversation { turns: Vec<String> }
///
/// async fn agent(ctx: ChildContext) -> Result<(), String> {
///     let memory = ctx.state::<Conversation>().ok_or("declared with the child")?;
///     // Written as the work goes: a crash after this keeps the turn.
///     memory.update(|c| c.turns.push("hello".into()));
///     ctx.cancelled().await;
///     Ok(())
/// }
///
/// let spec = ChildSpec::worker("agent", agent).state::<Conversation>();
/// ```
pub struct Stash<T> {
    value: Arc<Mutex<T>>,
}

impl<T> Clone for Stash<T> {
    fn clone(&self) -> Self {
        Stash {
            value: Arc::clone(&self.value),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Stash<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Stash").field(&*self.lock()).finish()
    }
}

impl<T> Stash<T> {
    /// The value, locked. An incarnation that panicked while holding the lock left what it had
    /// written: the lock is taken anyway, since that is the state to carry on from.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.value
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the value in place and returns what `f` returns.
    pub fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.lock())
    }

    /// Replaces the value, returning the old one.
    pub fn replace(&self, value: T) -> T {
        std::mem::replace(&mut *self.lock(), value)
    }
}

impl<T: Clone> Stash<T> {
    /// A copy of the value.
    pub fn get(&self) -> T {
        self.lock().clone()
    }
}

/// How a node makes its stash: a `T::default()`, behind the type-erased pointer it keeps.
pub(crate) type StashFactory = fn() -> AnyArc;

pub(crate) fn factory<T: Default + Send + 'static>() -> AnyArc {
    Arc::new(Mutex::new(T::default()))
}

/// The node's side: the factory, and the stash once an incarnation asked for it.
pub(crate) struct StashSlot {
    factory: StashFactory,
    current: Mutex<Option<AnyArc>>,
}

impl StashSlot {
    pub(crate) fn new(factory: StashFactory) -> Self {
        StashSlot {
            factory,
            current: Mutex::new(None),
        }
    }

    /// The stash, made on first use.
    pub(crate) fn get(&self) -> Option<AnyArc> {
        let mut current = self.current.lock().ok()?;
        Some(Arc::clone(current.get_or_insert_with(self.factory)))
    }

    /// Drops the stash: the node is gone (deleted, or its tree ended, S15.2).
    pub(crate) fn clear(&self) {
        if let Ok(mut current) = self.current.lock() {
            *current = None;
        }
    }
}

/// The typed stash behind an erased one, if it is of type `T`.
pub(crate) fn typed<T: Send + 'static>(any: AnyArc) -> Option<Stash<T>> {
    any.downcast::<Mutex<T>>().ok().map(|value| Stash { value })
}

/// A stash no node keeps: what a child declared with state would get if its node had none.
pub(crate) fn detached<T>(value: T) -> Stash<T> {
    Stash {
        value: Arc::new(Mutex::new(value)),
    }
}
