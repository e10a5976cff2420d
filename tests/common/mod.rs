//! Shared probes for the runtime tests: a log of what children did, and a count of live
//! incarnations kept by drop guards (so "no task left" is shown, not assumed).
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use supervisor::{
    async_trait, BoxError, ChildContext, Event, EventStream, NoMailbox, RecvError, Template, Worker,
};

pub type BoxFut = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

#[derive(Clone, Default)]
pub struct Probe {
    log: Arc<Mutex<Vec<String>>>,
    live: Arc<AtomicUsize>,
    runs: Arc<Mutex<std::collections::HashMap<String, usize>>>,
}

/// Held by an incarnation for as long as its future exists, whatever way it ends.
pub struct Live {
    live: Arc<AtomicUsize>,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Probe {
    pub fn push(&self, entry: impl Into<String>) {
        self.log.lock().unwrap().push(entry.into());
    }

    /// The log so far, emptied.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }

    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    pub fn guard(&self) -> Live {
        self.live.fetch_add(1, Ordering::SeqCst);
        Live {
            live: Arc::clone(&self.live),
        }
    }

    /// Counts a run of `name` and returns its number (1 for the first).
    pub fn run(&self, name: &str) -> usize {
        let mut runs = self.runs.lock().unwrap();
        let n = runs.entry(name.to_owned()).or_default();
        *n += 1;
        *n
    }

    pub fn runs(&self, name: &str) -> usize {
        self.runs.lock().unwrap().get(name).copied().unwrap_or(0)
    }

    /// A child that logs `start X`, serves until cancelled, logs `stop X`.
    pub fn idle(
        &self,
        name: &'static str,
    ) -> impl Fn(ChildContext) -> BoxFut + Send + Sync + 'static {
        let p = self.clone();
        move |ctx| {
            let p = p.clone();
            Box::pin(async move {
                let _live = p.guard();
                p.run(name);
                p.push(format!("start {name}"));
                ctx.cancelled().await;
                p.push(format!("stop {name}"));
                Ok(())
            })
        }
    }

    /// A child that fails with `boom` after `after` (virtual time), every incarnation.
    pub fn failing(
        &self,
        name: &'static str,
        after: Duration,
    ) -> impl Fn(ChildContext) -> BoxFut + Send + Sync + 'static {
        let p = self.clone();
        move |_ctx| {
            let p = p.clone();
            Box::pin(async move {
                let _live = p.guard();
                let n = p.run(name);
                p.push(format!("start {name}"));
                tokio::time::sleep(after).await;
                p.push(format!("fail {name}"));
                Err(format!("boom {n}"))
            })
        }
    }

    /// A child that ignores cancellation and never returns.
    pub fn stubborn(
        &self,
        name: &'static str,
    ) -> impl Fn(ChildContext) -> BoxFut + Send + Sync + 'static {
        let p = self.clone();
        move |_ctx| {
            let p = p.clone();
            Box::pin(async move {
                let _live = p.guard();
                p.push(format!("start {name}"));
                std::future::pending::<()>().await;
                Ok(())
            })
        }
    }
}

/// Lets every task run until all are waiting, advancing the paused clock by one millisecond.
/// Every test using these helpers runs with `#[tokio::test(start_paused = true)]`: the clock
/// only moves when all tasks wait, so nothing here depends on wall-clock time.
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// Waits (on the paused clock) for the first event matching `pred`; fails the test after an
/// hour of virtual time.
pub async fn until(events: &mut EventStream, pred: impl Fn(&Event) -> bool) -> Event {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(e) if pred(&e) => return e,
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => panic!("event stream closed"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(3600), wait)
        .await
        .expect("event did not arrive")
}

pub const S: Duration = Duration::from_secs(1);
pub const MS: Duration = Duration::from_millis(1);

/// A worker whose `init` fails for the incarnations listed in `fail_on`.
pub struct Picky {
    pub fail_on: &'static [u64],
    pub p: Probe,
}

#[async_trait]
impl Worker for Picky {
    async fn init(&mut self, ctx: &mut ChildContext) -> Result<(), BoxError> {
        if self.fail_on.contains(&ctx.incarnation()) {
            return Err(format!("init refused #{}", ctx.incarnation()).into());
        }
        Ok(())
    }
    async fn run(&mut self, ctx: &mut ChildContext) -> Result<(), BoxError> {
        let _live = self.p.guard();
        self.p
            .push(format!("{} up #{}", ctx.id(), ctx.incarnation()));
        if ctx.incarnation() == 0 {
            tokio::time::sleep(S).await;
            return Err("crash".into());
        }
        ctx.cancelled().await;
        Ok(())
    }
}

pub fn session_template(p: &Probe) -> Template<bool, NoMailbox> {
    let p = p.clone();
    Template::new(move |ctx: ChildContext, fail: bool| {
        let p = p.clone();
        async move {
            let _live = p.guard();
            if fail {
                tokio::time::sleep(S).await;
                return Err("session failed".to_string());
            }
            ctx.cancelled().await;
            Ok(())
        }
    })
}

pub async fn hoarder(mut ctx: ChildContext<u32>) -> Result<(), String> {
    // Takes one message, then never reads again: its mailbox fills.
    let _ = ctx.recv().await;
    ctx.cancelled().await;
    Ok(())
}
