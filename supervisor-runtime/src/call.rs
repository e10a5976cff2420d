//! Request and reply (S14.4): a message that carries a reply slot, and a call that waits for
//! the answer with a timeout, and never hangs because the worker died holding the request.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};

use crate::exit::ExitReason;
use crate::state::Gone;

/// Where a worker puts its answer to a call. Dropping it unanswered ends the call at once: with
/// the worker's exit reason if its incarnation ended holding it, else as unanswered.
pub struct Reply<T> {
    tx: Option<oneshot::Sender<Result<T, Dropped>>>,
}

impl<T> Reply<T> {
    /// Answers the call. `Err` gives the answer back when the caller no longer waits (it timed
    /// out, or was dropped).
    pub fn send(mut self, answer: T) -> Result<(), T> {
        let Some(tx) = self.tx.take() else {
            return Err(answer);
        };
        match tx.send(Ok(answer)) {
            Ok(()) => Ok(()),
            Err(Ok(answer)) => Err(answer),
            // Only `Ok` was sent.
            Err(Err(_)) => Ok(()),
        }
    }

    /// Whether the caller has stopped waiting, so that the work can be skipped.
    pub fn is_abandoned(&self) -> bool {
        self.tx.as_ref().is_none_or(oneshot::Sender::is_closed)
    }
}

impl<T> Drop for Reply<T> {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            if !tx.is_closed() {
                let _ = tx.send(Err(Dropped::here()));
            }
        }
    }
}

impl<T> fmt::Debug for Reply<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("abandoned", &self.is_abandoned())
            .finish()
    }
}

/// Where and how a request was dropped unanswered: the task that dropped it, and, when that
/// was during a poll of an incarnation, what became of that poll.
pub(crate) struct Dropped {
    pub task: Option<tokio::task::Id>,
    pub poll: Option<Arc<PollEnd>>,
}

impl Dropped {
    fn here() -> Self {
        Dropped {
            task: tokio::task::try_id(),
            poll: poll_scope::current(),
        }
    }
}

/// How the poll of an incarnation in which a request was dropped ended: with the incarnation
/// (it returned, panicked or failed), or with the incarnation running on.
#[derive(Default)]
pub(crate) struct PollEnd {
    /// 0 while the poll runs, then `RAN_ON` or `ENDED`.
    state: AtomicU8,
    /// The incarnation's own exit, when it ended there by itself (not stopped).
    reason: OnceLock<ExitReason>,
    notify: Notify,
}

const RAN_ON: u8 = 1;
const ENDED: u8 = 2;

/// How a poll of an incarnation ended.
pub(crate) enum PollOutcome<'a> {
    RanOn,
    /// The incarnation ended: by itself with this reason, or, `None`, stopped by its
    /// supervisor, which records why.
    Ended(Option<&'a ExitReason>),
}

impl PollEnd {
    fn finish(&self, outcome: PollOutcome<'_>) {
        let state = match outcome {
            PollOutcome::RanOn => RAN_ON,
            PollOutcome::Ended(reason) => {
                if let Some(reason) = reason {
                    let _ = self.reason.set(reason.clone());
                }
                ENDED
            }
        };
        self.state.store(state, Ordering::Release);
        self.notify.notify_waiters();
    }

    /// Once the poll is over: `None` if the incarnation ran on, else its own exit reason if it
    /// ended by itself (`Some(None)` when it was stopped).
    pub(crate) async fn ended(&self) -> Option<Option<ExitReason>> {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.state.load(Ordering::Acquire) {
                RAN_ON => return None,
                ENDED => return Some(self.reason.get().cloned()),
                _ => notified.await,
            }
        }
    }
}

/// The poll of an incarnation that is running on this thread, if any: a reply dropped during it
/// learns afterwards whether the incarnation ended there, so that the call says why at once.
pub(crate) mod poll_scope {
    use std::cell::Cell;
    use std::sync::Arc;

    use super::{PollEnd, PollOutcome};

    thread_local! {
        /// `None` outside a poll of an incarnation; inside, the poll's end once a reply asked.
        static SCOPE: Cell<Option<Option<Arc<PollEnd>>>> = const { Cell::new(None) };
    }

    /// A poll of an incarnation, from [`enter`] to [`Scope::finish`].
    pub(crate) struct Scope {
        outer: Option<Option<Arc<PollEnd>>>,
        done: bool,
    }

    /// Starts a poll of an incarnation on this thread.
    pub(crate) fn enter() -> Scope {
        Scope {
            outer: SCOPE.with(|s| s.replace(Some(None))),
            done: false,
        }
    }

    impl Scope {
        /// Ends the poll: replies dropped in it learn how it ended.
        pub(crate) fn finish(mut self, outcome: PollOutcome<'_>) {
            self.done = true;
            if let Some(end) = self.restore() {
                end.finish(outcome);
            }
        }

        fn restore(&mut self) -> Option<Arc<PollEnd>> {
            let outer = self.outer.take();
            SCOPE.with(|s| s.replace(outer)).flatten()
        }
    }

    impl Drop for Scope {
        /// A poll that unwound past its scope ended its incarnation.
        fn drop(&mut self) {
            if !self.done {
                if let Some(end) = self.restore() {
                    end.finish(PollOutcome::Ended(None));
                }
            }
        }
    }

    /// The end of the poll running now, made on first use; `None` outside a poll.
    pub(super) fn current() -> Option<Arc<PollEnd>> {
        SCOPE.with(|s| {
            let inner = s.take()?;
            let end = inner.unwrap_or_default();
            s.set(Some(Some(Arc::clone(&end))));
            Some(end)
        })
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

/// The last exits of a node's incarnations, each with its task, for calls waiting to learn why
/// the incarnation that held their request ended. Made on the first call that needs it: nodes
/// nobody calls pay one pointer.
#[derive(Default)]
pub(crate) struct Exits {
    notify: Notify,
    last: Mutex<VecDeque<(tokio::task::Id, ExitReason)>>,
}

/// Exits kept: a call waits for one that is being recorded as it looks, never for an old one.
const EXITS_KEPT: usize = 8;

impl Exits {
    pub(crate) fn record(&self, task: tokio::task::Id, reason: &ExitReason) {
        if let Ok(mut last) = self.last.lock() {
            if last.len() == EXITS_KEPT {
                last.pop_front();
            }
            last.push_back((task, reason.clone()));
        }
        self.notify.notify_waiters();
    }

    /// The exit of the incarnation that ran as `task`, once it is recorded.
    pub(crate) async fn of(&self, task: tokio::task::Id) -> ExitReason {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let found = self.last.lock().ok().and_then(|l| {
                l.iter()
                    .find(|(t, _)| *t == task)
                    .map(|(_, reason)| reason.clone())
            });
            if let Some(reason) = found {
                return reason;
            }
            notified.await;
        }
    }
}

/// The node's slot for [`Exits`].
pub(crate) type ExitsSlot = OnceLock<Arc<Exits>>;

/// What a caller receives: the answer, or how the request was dropped.
pub(crate) type Answer<T> = oneshot::Receiver<Result<T, Dropped>>;

/// A reply slot and the receiver the caller waits on.
pub(crate) fn reply<T>() -> (Reply<T>, Answer<T>) {
    let (tx, rx) = oneshot::channel();
    (Reply { tx: Some(tx) }, rx)
}
