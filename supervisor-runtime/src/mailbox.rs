//! Mailboxes: typed queues owned by a child's node, reachable without knowing their type. A
//! mailbox is a bounded tokio channel, or, for the slots of a `drop_oldest` pool (S14.3), a ring
//! that drops its oldest message to make room.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::error::{TryRecvError, TrySendError};
use tokio::sync::{mpsc, Notify};

use crate::types::TypeTag;

pub(crate) struct MailboxInner<M> {
    pub tx: Tx<M>,
    pub rx: Arc<tokio::sync::Mutex<Rx<M>>>,
}

/// What the engine needs of a mailbox without knowing its message type.
pub(crate) trait ErasedMailbox: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    /// The type of the messages.
    fn message(&self) -> TypeTag;
    /// Closes the mailbox for good, waking every waiting sender, and returns how many messages
    /// were still queued (dropped here, and reported by the caller).
    fn close(&self) -> usize;
    /// Closes it as `close` does and gives the queued messages back, as a `Vec<M>`, and their
    /// number, to be routed elsewhere (a retired pool slot's, S14.5).
    fn take(&self) -> (usize, Box<dyn Any + Send>);
}

impl<M: Send + 'static> MailboxInner<M> {
    /// Closes the mailbox and takes what is queued in it.
    fn drain(&self) -> Vec<M> {
        // No incarnation holds the receiver once its task is gone, which the driver awaited.
        let Ok(mut rx) = self.rx.try_lock() else {
            return Vec::new();
        };
        rx.close();
        let mut left = Vec::new();
        let mut waits = 0u32;
        loop {
            match rx.try_recv() {
                Ok(msg) => left.push(msg),
                Err(TryRecvError::Disconnected) => return left,
                // A sender on another thread holds a permit for the length of one poll (reserve
                // then push, no await between): wait it out rather than miss its message.
                Err(TryRecvError::Empty) if waits < 1 << 16 => {
                    waits += 1;
                    std::thread::yield_now();
                }
                Err(TryRecvError::Empty) => return left,
            }
        }
    }
}

impl<M: Send + 'static> ErasedMailbox for MailboxInner<M> {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn message(&self) -> TypeTag {
        TypeTag::of::<M>()
    }

    fn close(&self) -> usize {
        self.drain().len()
    }

    fn take(&self) -> (usize, Box<dyn Any + Send>) {
        let queued = self.drain();
        (queued.len(), Box::new(queued))
    }
}

/// The sending side of a mailbox.
pub(crate) enum Tx<M> {
    Channel(mpsc::Sender<M>),
    Ring(Arc<Ring<M>>),
}

impl<M> Clone for Tx<M> {
    fn clone(&self) -> Self {
        match self {
            Tx::Channel(tx) => Tx::Channel(tx.clone()),
            Tx::Ring(ring) => Tx::Ring(Arc::clone(ring)),
        }
    }
}

/// A message put in a mailbox, and whether the oldest queued one was dropped for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    Queued,
    DroppedOldest,
}

impl<M> Tx<M> {
    /// Puts `msg` in the mailbox, waiting for room in a channel; `Err` gives it back when the
    /// mailbox is closed.
    pub(crate) async fn send(&self, msg: M) -> Result<Pushed, M> {
        match self {
            Tx::Channel(tx) => tx.send(msg).await.map(|()| Pushed::Queued).map_err(|e| e.0),
            Tx::Ring(ring) => ring.push(msg),
        }
    }

    /// Puts `msg` in the mailbox if it has room now (a ring always does, by dropping).
    pub(crate) fn try_send(&self, msg: M) -> Result<Pushed, TrySendError<M>> {
        match self {
            Tx::Channel(tx) => tx.try_send(msg).map(|()| Pushed::Queued),
            Tx::Ring(ring) => ring.push(msg).map_err(TrySendError::Closed),
        }
    }

    /// How many messages it can take now without waiting or dropping one.
    pub(crate) fn capacity(&self) -> usize {
        match self {
            Tx::Channel(tx) => tx.capacity(),
            Tx::Ring(ring) => ring.capacity - ring.len(),
        }
    }

    /// How many messages it holds at most.
    pub(crate) fn max_capacity(&self) -> usize {
        match self {
            Tx::Channel(tx) => tx.max_capacity(),
            Tx::Ring(ring) => ring.capacity,
        }
    }
}

/// The receiving side of a mailbox, held by one incarnation at a time.
pub(crate) enum Rx<M> {
    Channel(mpsc::Receiver<M>),
    Ring(Arc<Ring<M>>),
}

impl<M> Rx<M> {
    pub(crate) fn try_recv(&mut self) -> Result<M, TryRecvError> {
        match self {
            Rx::Channel(rx) => rx.try_recv(),
            Rx::Ring(ring) => ring.pop(),
        }
    }

    /// The next message; `None` once the mailbox is closed and empty.
    ///
    /// Cancel safe: a message is taken only when it is returned.
    pub(crate) async fn recv(&mut self) -> Option<M> {
        match self {
            Rx::Channel(rx) => rx.recv().await,
            Rx::Ring(ring) => ring.recv().await,
        }
    }

    fn close(&mut self) {
        match self {
            Rx::Channel(rx) => rx.close(),
            Rx::Ring(ring) => ring.close(),
        }
    }
}

/// A bounded queue whose sender never waits: at capacity, the oldest message is dropped to make
/// room (latest wins, as telemetry wants).
pub(crate) struct Ring<M> {
    queue: Mutex<VecDeque<M>>,
    capacity: usize,
    closed: AtomicBool,
    /// Wakes the receiver; a permit is kept when it is not waiting.
    ready: Notify,
}

impl<M> Ring<M> {
    fn new(capacity: usize) -> Self {
        Ring {
            queue: Mutex::new(VecDeque::with_capacity(capacity.min(64))),
            capacity: capacity.max(1),
            closed: AtomicBool::new(false),
            ready: Notify::new(),
        }
    }

    fn len(&self) -> usize {
        self.queue.lock().map_or(0, |q| q.len())
    }

    fn push(&self, msg: M) -> Result<Pushed, M> {
        if self.closed.load(Ordering::Acquire) {
            return Err(msg);
        }
        let Ok(mut queue) = self.queue.lock() else {
            return Err(msg);
        };
        let pushed = if queue.len() >= self.capacity {
            // Dropped outside the lock: a message's drop may be arbitrary code.
            let oldest = queue.pop_front();
            queue.push_back(msg);
            drop(queue);
            drop(oldest);
            Pushed::DroppedOldest
        } else {
            queue.push_back(msg);
            drop(queue);
            Pushed::Queued
        };
        self.ready.notify_one();
        Ok(pushed)
    }

    fn pop(&self) -> Result<M, TryRecvError> {
        let popped = self.queue.lock().ok().and_then(|mut q| q.pop_front());
        match popped {
            Some(msg) => Ok(msg),
            None if self.closed.load(Ordering::Acquire) => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    async fn recv(&self) -> Option<M> {
        loop {
            match self.pop() {
                Ok(msg) => return Some(msg),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => self.ready.notified().await,
            }
        }
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.ready.notify_one();
    }
}

pub(crate) type MailboxFactory = fn(usize) -> Box<dyn ErasedMailbox>;

/// A mailbox of `capacity` messages whose senders wait for room.
pub(crate) fn mailbox_factory<M: Send + 'static>() -> MailboxFactory {
    |capacity| {
        let (tx, rx) = mpsc::channel::<M>(capacity);
        Box::new(MailboxInner {
            tx: Tx::Channel(tx),
            rx: Arc::new(tokio::sync::Mutex::new(Rx::Channel(rx))),
        })
    }
}

/// A mailbox of `capacity` messages that drops its oldest to make room (S14.3 `drop_oldest`).
pub(crate) fn ring_factory<M: Send + 'static>() -> MailboxFactory {
    |capacity| {
        let ring = Arc::new(Ring::<M>::new(capacity));
        Box::new(MailboxInner {
            tx: Tx::Ring(Arc::clone(&ring)),
            rx: Arc::new(tokio::sync::Mutex::new(Rx::Ring(ring))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // S14.3: at capacity the oldest message goes, the newest stays, in order; a closed ring
    // takes nothing and gives what it holds, then says so.
    #[test]
    fn a_ring_drops_its_oldest_to_make_room() {
        let ring = Ring::new(3);
        let pushed: Vec<Pushed> = (0..5).map(|n| ring.push(n).unwrap()).collect();
        use Pushed::{DroppedOldest as D, Queued as Q};
        assert_eq!(pushed, [Q, Q, Q, D, D]);
        assert_eq!(ring.len(), 3);
        assert_eq!(ring.pop(), Ok(2));
        ring.close();
        assert_eq!(ring.push(9), Err(9));
        assert_eq!(ring.pop(), Ok(3));
        assert_eq!(ring.pop(), Ok(4));
        assert_eq!(ring.pop(), Err(TryRecvError::Disconnected));
    }

    // A receiver waiting on an empty ring is woken by a push, and by the close.
    #[tokio::test]
    async fn a_waiting_receiver_is_woken() {
        let ring = Arc::new(Ring::new(2));
        let r = Arc::clone(&ring);
        let waiter = tokio::spawn(async move { (r.recv().await, r.recv().await) });
        tokio::task::yield_now().await;
        ring.push(1).unwrap();
        tokio::task::yield_now().await;
        ring.close();
        assert_eq!(waiter.await.unwrap(), (Some(1), None));
    }
}
