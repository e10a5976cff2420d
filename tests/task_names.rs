//! Every task of a tree is named by its node's path in tokio-console: incarnations, nested
//! supervisors, the root, and probes by their child's.
//!
//! tokio names tasks only when built with `--cfg tokio_unstable`, so this test is compiled
//! only there; `.ci/run` runs it so:
//! `RUSTFLAGS="--cfg tokio_unstable" cargo test --features tokio-console --test task_names`.
#![cfg(all(tokio_unstable, feature = "tokio-console"))]

use std::sync::{Arc, Mutex};

use supervisor::{supervision_tree, ChildContext, Health, ProbeContext};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records the `task.name` of every task spawned while it is the default subscriber.
#[derive(Clone, Default)]
struct Names(Arc<Mutex<Vec<String>>>);

struct NameField<'a>(&'a mut Option<String>);

impl Visit for NameField<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "task.name" {
            *self.0 = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "task.name" {
            *self.0 = Some(format!("{value:?}").trim_matches('"').to_owned());
        }
    }
}

impl Subscriber for Names {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut name = None;
        span.record(&mut NameField(&mut name));
        if let Some(name) = name {
            self.0.lock().unwrap().push(name);
        }
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

async fn idle(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn ping(_p: ProbeContext) -> Health {
    Health::Healthy
}

supervision_tree! {
    App: one_for_one {
        db: worker(idle) [health = probe(ping, interval = 1s, timeout = 500ms, initial_delay = 0ms)],
        api: one_for_all {
            listener: worker(idle),
        },
    }
}

#[test]
fn tasks_are_named_by_their_paths() {
    let names = Names::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    tracing::subscriber::with_default(names.clone(), || {
        runtime.block_on(async {
            let tree = App::start().await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            tree.shutdown().await.unwrap();
        })
    });
    let names = names.0.lock().unwrap().clone();
    for expected in [
        "app",
        "app/db",
        "app/api",
        "app/api/listener",
        "probe of app/db",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not in {names:?}"
        );
    }
}
