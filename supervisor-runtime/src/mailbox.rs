//! Mailboxes: typed queues owned by a child's node, reachable without knowing their type. A
//! mailbox is a bounded tokio channel, or, for the slots of a `drop_oldest` pool (S14.3), a ring
//! that drops its oldest message to make room.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::error::{TryRecvError, TrySendError};
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

use crate::exit::LastMessage;
use crate::intercept::Delivery;
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
    /// The last message taken (S19.2), once no incarnation holds the receiver.
    fn last_message(&self) -> Option<LastMessage>;
    /// How many messages are queued, and how many it holds at most.
    fn used(&self) -> crate::MailboxUse;
    /// What became of the messages it accepted, when a test kit counts them (S22.3); read
    /// once it is closed.
    fn delivery(&self, undelivered: usize) -> Option<Delivery>;
}

/// What a mailbox watched by a test kit counts: the messages it accepted, those dropped to make
/// room (S14.3), and those moved out to another mailbox (S14.5).
#[derive(Default)]
pub(crate) struct Counts {
    accepted: AtomicU64,
    dropped: AtomicU64,
    moved: AtomicU64,
}

impl Counts {
    fn pushed(&self, pushed: Pushed) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        if pushed == Pushed::DroppedOldest {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A channel's sender that counts what it accepts.
pub(crate) struct Audited<M> {
    tx: mpsc::Sender<M>,
    counts: Counts,
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
        if let Some(counts) = self.tx.counts() {
            counts
                .moved
                .fetch_add(queued.len() as u64, Ordering::Relaxed);
        }
        (queued.len(), Box::new(queued))
    }

    fn last_message(&self) -> Option<LastMessage> {
        self.rx.try_lock().ok()?.last
    }

    fn used(&self) -> crate::MailboxUse {
        let capacity = self.tx.max_capacity();
        crate::MailboxUse {
            queued: capacity.saturating_sub(self.tx.capacity()),
            capacity,
        }
    }

    fn delivery(&self, undelivered: usize) -> Option<Delivery> {
        let counts = self.tx.counts()?;
        // Each message an incarnation took is numbered (S19.2): the last number is the count.
        let taken = self.rx.try_lock().ok()?.last.map_or(0, |l| l.number);
        Some(Delivery {
            accepted: counts.accepted.load(Ordering::Relaxed),
            taken,
            undelivered: undelivered as u64,
            dropped: counts.dropped.load(Ordering::Relaxed),
            moved: counts.moved.load(Ordering::Relaxed),
        })
    }
}

/// The sending side of a mailbox.
pub(crate) enum Tx<M> {
    Channel(mpsc::Sender<M>),
    Ring(Arc<Ring<M>>),
    /// A channel whose mailbox a test kit watches.
    Audited(Arc<Audited<M>>),
}

impl<M> Clone for Tx<M> {
    fn clone(&self) -> Self {
        match self {
            Tx::Channel(tx) => Tx::Channel(tx.clone()),
            Tx::Ring(ring) => Tx::Ring(Arc::clone(ring)),
            Tx::Audited(a) => Tx::Audited(Arc::clone(a)),
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
    #[inline]
    pub(crate) async fn send(&self, msg: M) -> Result<Pushed, M> {
        // One await for both channels: a second would make every sender's future larger.
        let tx = match self {
            Tx::Channel(tx) => tx,
            Tx::Audited(a) => &a.tx,
            Tx::Ring(ring) => return ring.push(msg),
        };
        tx.send(msg).await.map_err(|e| e.0)?;
        if let Tx::Audited(a) = self {
            a.counts.pushed(Pushed::Queued);
        }
        Ok(Pushed::Queued)
    }

    /// Puts `msg` in the mailbox if it has room now (a ring always does, by dropping).
    #[inline]
    pub(crate) fn try_send(&self, msg: M) -> Result<Pushed, TrySendError<M>> {
        match self {
            Tx::Channel(tx) => tx.try_send(msg).map(|()| Pushed::Queued),
            Tx::Ring(ring) => ring.push(msg).map_err(TrySendError::Closed),
            Tx::Audited(a) => {
                a.tx.try_send(msg)?;
                a.counts.pushed(Pushed::Queued);
                Ok(Pushed::Queued)
            }
        }
    }

    /// What it counts, when a test kit watches its mailbox.
    fn counts(&self) -> Option<&Counts> {
        match self {
            Tx::Channel(_) => None,
            Tx::Ring(ring) => ring.counts.as_ref(),
            Tx::Audited(a) => Some(&a.counts),
        }
    }

    /// How many messages it can take now without waiting or dropping one.
    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        match self {
            Tx::Channel(tx) => tx.capacity(),
            Tx::Ring(ring) => ring.capacity - ring.len(),
            Tx::Audited(a) => a.tx.capacity(),
        }
    }

    /// How many messages it holds at most.
    #[inline]
    pub(crate) fn max_capacity(&self) -> usize {
        match self {
            Tx::Channel(tx) => tx.max_capacity(),
            Tx::Ring(ring) => ring.capacity,
            Tx::Audited(a) => a.tx.max_capacity(),
        }
    }
}

/// How a child's messages are named in its crash context (S19.2).
pub(crate) type Labeler<M> = fn(&M) -> &'static str;

/// The receiving side of a mailbox, held by one incarnation at a time, with the last message
/// taken through it (S19.2): written by that incarnation through its exclusive hold, so that
/// recording a message takes no atomic and no clock read, and read by the supervisor once the
/// incarnation has let go.
pub(crate) struct Rx<M> {
    queue: Queue<M>,
    last: Option<LastMessage>,
    /// When the current run of messages taken without waiting began.
    run: Option<Instant>,
    label: Option<Labeler<M>>,
}

enum Queue<M> {
    Channel(mpsc::Receiver<M>),
    Ring(Arc<Ring<M>>),
}

impl<M> Rx<M> {
    fn new(queue: Queue<M>, label: Option<Labeler<M>>) -> Self {
        Rx {
            queue,
            last: None,
            run: None,
            label,
        }
    }

    #[inline]
    pub(crate) fn try_recv(&mut self) -> Result<M, TryRecvError> {
        match &mut self.queue {
            Queue::Channel(rx) => rx.try_recv(),
            Queue::Ring(ring) => ring.pop(),
        }
    }

    /// The next message; `None` once the mailbox is closed and empty.
    ///
    /// Cancel safe: a message is taken only when it is returned.
    #[inline]
    pub(crate) async fn recv(&mut self) -> Option<M> {
        match &mut self.queue {
            Queue::Channel(rx) => rx.recv().await,
            Queue::Ring(ring) => ring.recv().await,
        }
    }

    /// A new incarnation holds the receiver: its first message begins a run.
    #[inline]
    pub(crate) fn attached(&mut self) {
        self.run = None;
    }

    /// Records `msg` as the last one taken; `waited` when the incarnation was suspended waiting
    /// for it, which ends a run (and costs a wake-up, beside which a clock read is nothing).
    #[inline]
    pub(crate) fn took(&mut self, msg: &M, waited: bool) {
        let taken = match self.run {
            Some(began) if !waited => began,
            _ => *self.run.insert(Instant::now()),
        };
        self.last = Some(LastMessage {
            number: self.last.map_or(1, |l| l.number + 1),
            label: match self.label {
                Some(label) => label(msg),
                None => std::any::type_name::<M>(),
            },
            taken,
        });
    }

    fn close(&mut self) {
        match &mut self.queue {
            Queue::Channel(rx) => rx.close(),
            Queue::Ring(ring) => ring.close(),
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
    /// What it accepted and dropped, when a test kit watches it.
    counts: Option<Counts>,
}

impl<M> Ring<M> {
    fn new(capacity: usize, audited: bool) -> Self {
        Ring {
            queue: Mutex::new(VecDeque::with_capacity(capacity.min(64))),
            capacity: capacity.max(1),
            closed: AtomicBool::new(false),
            ready: Notify::new(),
            counts: audited.then(Counts::default),
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
        if let Some(counts) = &self.counts {
            counts.pushed(pushed);
        }
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

/// Makes a mailbox of a capacity, with the spec's [`Labeler`] of its message type, if any;
/// counting what it accepts when a test kit watches the tree (S22.3).
pub(crate) type MailboxFactory = fn(usize, Option<&AnyLabeler>, bool) -> Box<dyn ErasedMailbox>;

/// A [`Labeler`] of some message type, as specs keep it.
pub(crate) type AnyLabeler = dyn Any + Send + Sync;

fn labeler<M: 'static>(label: Option<&AnyLabeler>) -> Option<Labeler<M>> {
    label?.downcast_ref::<Labeler<M>>().copied()
}

/// A mailbox of `capacity` messages whose senders wait for room.
pub(crate) fn mailbox_factory<M: Send + 'static>() -> MailboxFactory {
    |capacity, label, audited| {
        let (tx, rx) = mpsc::channel::<M>(capacity);
        let tx = match audited {
            true => Tx::Audited(Arc::new(Audited {
                tx,
                counts: Counts::default(),
            })),
            false => Tx::Channel(tx),
        };
        Box::new(MailboxInner {
            tx,
            rx: Arc::new(tokio::sync::Mutex::new(Rx::new(
                Queue::Channel(rx),
                labeler(label),
            ))),
        })
    }
}

/// A mailbox of `capacity` messages that drops its oldest to make room (S14.3 `drop_oldest`).
pub(crate) fn ring_factory<M: Send + 'static>() -> MailboxFactory {
    |capacity, label, audited| {
        let ring = Arc::new(Ring::<M>::new(capacity, audited));
        Box::new(MailboxInner {
            tx: Tx::Ring(Arc::clone(&ring)),
            rx: Arc::new(tokio::sync::Mutex::new(Rx::new(
                Queue::Ring(ring),
                labeler(label),
            ))),
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
        let ring = Ring::new(3, false);
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
        let ring = Arc::new(Ring::new(2, false));
        let r = Arc::clone(&ring);
        let waiter = tokio::spawn(async move { (r.recv().await, r.recv().await) });
        tokio::task::yield_now().await;
        ring.push(1).unwrap();
        tokio::task::yield_now().await;
        ring.close();
        assert_eq!(waiter.await.unwrap(), (Some(1), None));
    }
}
