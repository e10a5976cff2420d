//! Request and reply (S14.4): a message that carries a reply slot, and a call that waits for
//! the answer with a timeout, and never hangs because the worker died holding the request.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};

use crate::exit::ExitReason;
use crate::state::Gone;

/// Where a worker puts its answer to a call. Dropping it unanswered ends the call: with the
/// worker's exit reason if its incarnation ended, else as unanswered.
pub struct Reply<T> {
    tx: oneshot::Sender<T>,
}

impl<T> Reply<T> {
    /// Answers the call. `Err` gives the answer back when the caller no longer waits (it timed
    /// out, or was dropped).
    pub fn send(self, answer: T) -> Result<(), T> {
        self.tx.send(answer)
    }

    /// Whether the caller has stopped waiting, so that the work can be skipped.
    pub fn is_abandoned(&self) -> bool {
        self.tx.is_closed()
    }
}

impl<T> fmt::Debug for Reply<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("abandoned", &self.is_abandoned())
            .finish()
    }
}

/// Why a call got no answer (S14.4).
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// No answer within the call's timeout.
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// The incarnation that held the request ended before replying.
    #[error("the worker exited before replying: {0}")]
    Exited(ExitReason),
    /// The worker dropped the request without replying, and kept running.
    #[error("the worker dropped the request without replying")]
    Unanswered,
    /// The child is gone (S9.8): nothing will ever read the request.
    #[error("the child is gone: {0}")]
    Gone(Gone),
    /// The child declared no mailbox.
    #[error("the child has no mailbox")]
    NoMailbox,
}

/// The exits of a node's incarnations, for calls waiting to learn why a request was dropped.
/// Made on the first call that needs it: nodes nobody calls pay one pointer.
#[derive(Default)]
pub(crate) struct Exits {
    notify: Notify,
    last: Mutex<Option<(u64, ExitReason)>>,
}

impl Exits {
    pub(crate) fn record(&self, incarnation: u64, reason: &ExitReason) {
        if let Ok(mut last) = self.last.lock() {
            *last = Some((incarnation, reason.clone()));
        }
        self.notify.notify_waiters();
    }

    /// The exit of incarnation `at_least` or a later one, once there is one.
    pub(crate) async fn since(&self, at_least: u64) -> ExitReason {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some((n, reason)) = self.last.lock().ok().and_then(|l| l.clone()) {
                if n >= at_least {
                    return reason;
                }
            }
            notified.await;
        }
    }
}

/// The node's slot for [`Exits`].
pub(crate) type ExitsSlot = OnceLock<Arc<Exits>>;

/// A reply slot and the receiver the caller waits on.
pub(crate) fn reply<T>() -> (Reply<T>, oneshot::Receiver<T>) {
    let (tx, rx) = oneshot::channel();
    (Reply { tx }, rx)
}
