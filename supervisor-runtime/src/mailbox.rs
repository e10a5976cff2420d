//! Mailboxes: typed channels owned by a child's node, reachable without knowing their type.

use std::any::Any;
use std::sync::Arc;

use tokio::sync::mpsc;

pub(crate) struct MailboxInner<M> {
    pub tx: mpsc::Sender<M>,
    pub rx: Arc<tokio::sync::Mutex<mpsc::Receiver<M>>>,
}

/// What the engine needs of a mailbox without knowing its message type.
pub(crate) trait ErasedMailbox: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    /// Closes the mailbox for good, waking every waiting sender, and returns how many messages
    /// were still queued (dropped here, and reported by the caller).
    fn close(&self) -> usize;
}

impl<M: Send + 'static> ErasedMailbox for MailboxInner<M> {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn close(&self) -> usize {
        // No incarnation holds the receiver once its task is gone, which the engine awaited.
        let Ok(mut rx) = self.rx.try_lock() else {
            return 0;
        };
        rx.close();
        let mut left = 0;
        while rx.try_recv().is_ok() {
            left += 1;
        }
        left
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
