//! Mailboxes: typed channels owned by a child's node, reachable without knowing their type.

use std::any::Any;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::types::TypeTag;

pub(crate) struct MailboxInner<M> {
    pub tx: mpsc::Sender<M>,
    pub rx: Arc<tokio::sync::Mutex<mpsc::Receiver<M>>>,
}

/// What the engine needs of a mailbox without knowing its message type.
pub(crate) trait ErasedMailbox: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    /// The type of the messages.
    fn message(&self) -> TypeTag;
    /// Closes the mailbox for good, waking every waiting sender, and returns how many messages
    /// were still queued (dropped here, and reported by the caller).
    fn close(&self) -> usize;
}

impl<M: Send + 'static> ErasedMailbox for MailboxInner<M> {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn message(&self) -> TypeTag {
        TypeTag::of::<M>()
    }

    fn close(&self) -> usize {
        // No incarnation holds the receiver once its task is gone, which the engine awaited.
        let Ok(mut rx) = self.rx.try_lock() else {
            return 0;
        };
        rx.close();
        let mut left = 0;
        let mut waits = 0u32;
        loop {
            match rx.try_recv() {
                Ok(_) => left += 1,
                Err(mpsc::error::TryRecvError::Disconnected) => return left,
                // A sender on another thread holds a permit for the length of one poll (reserve
                // then push, no await between): wait it out rather than miss its message.
                Err(mpsc::error::TryRecvError::Empty) if waits < 1 << 16 => {
                    waits += 1;
                    std::thread::yield_now();
                }
                Err(mpsc::error::TryRecvError::Empty) => return left,
            }
        }
    }
}

pub(crate) type MailboxFactory = fn(usize) -> Box<dyn ErasedMailbox>;

pub(crate) fn mailbox_factory<M: Send + 'static>() -> MailboxFactory {
    |capacity| {
        let (tx, rx) = mpsc::channel::<M>(capacity);
        Box::new(MailboxInner {
            tx,
            rx: Arc::new(tokio::sync::Mutex::new(rx)),
        })
    }
}
