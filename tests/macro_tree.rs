//! The macro end to end: the README's tree starts, its typed handle mirrors it, its description
//! is a const, and tree parameters reach every incarnation.

use std::sync::Arc;

use supervisor::{supervision_tree, ChildContext, ChildState, NodeKind, Restart, Strategy};

pub struct Config {
    pub name: &'static str,
}

#[derive(Debug)]
pub enum ListenerMsg {
    Ping(tokio::sync::oneshot::Sender<String>),
}

#[derive(Clone)]
pub struct SessionArgs {
    pub user: String,
}

mod db {
    use super::*;
    pub async fn run(ctx: ChildContext, config: Arc<Config>) -> Result<(), String> {
        assert_eq!(config.name, "prod");
        ctx.cancelled().await;
        Ok(())
    }
}

mod cache {
    use super::*;
    pub async fn run(ctx: ChildContext) -> Result<(), std::io::Error> {
        ctx.cancelled().await;
        Ok(())
    }
}

mod api {
    use super::*;
    pub async fn listen(mut ctx: ChildContext<ListenerMsg>) -> Result<(), String> {
        while let Some(ListenerMsg::Ping(reply)) = ctx.recv().await {
            let _ = reply.send(format!("pong from {}", ctx.path()));
        }
        Ok(())
    }
}

mod session {
    use super::*;
    pub async fn run(ctx: ChildContext, args: SessionArgs) -> Result<(), String> {
        let _ = args.user;
        ctx.cancelled().await;
        Ok(())
    }
}

supervision_tree! {
    /// The service.
    pub App(config: Arc<Config>): one_for_one(max_restarts = 3, within = 5s) {
        /// The database connection.
        db: worker(move |ctx| db::run(ctx, config)) [restart = permanent, shutdown = 10s],
        cache: worker(cache::run) [restart = transient, backoff = exponential(100ms, 10s)],
        api: rest_for_one(max_restarts = 5, within = 30s) {
            listener: worker(api::listen) [mailbox = ListenerMsg],
            sessions: dynamic(max_children = 10_000) {
                worker(session::run) [restart = temporary, args = SessionArgs]
            },
        },
    }
}

#[tokio::test(start_paused = true)]
async fn the_readme_tree_starts_and_its_handle_mirrors_it() {
    let app = App::start(Arc::new(Config { name: "prod" })).await.unwrap();
    assert_eq!(app.db.path(), "app/db");
    assert_eq!(app.cache.state(), ChildState::Running);
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.api.listener.send(ListenerMsg::Ping(tx)).await.unwrap();
    assert_eq!(rx.await.unwrap(), "pong from app/api/listener");
    let s = app
        .api
        .sessions
        .start_child(SessionArgs { user: "ann".into() })
        .await
        .unwrap();
    assert_eq!(s.path(), "app/api/sessions/0");
    assert_eq!(app.api.which_children().await.unwrap().len(), 2);
    app.shutdown().await.unwrap();
}

#[test]
fn the_description_is_a_const_usable_without_starting() {
    const TREE: supervisor::TreeDescription = App::TREE;
    assert_eq!(TREE.name, "App");
    assert_eq!(TREE.root.len(), 7);
    let api = &TREE.root.children[2];
    assert!(matches!(
        api.kind,
        NodeKind::Supervisor {
            strategy: Strategy::RestForOne,
            ..
        }
    ));
    assert_eq!(api.children[0].mailbox, Some("ListenerMsg"));
    assert_eq!(api.children[1].children[0].restart, Restart::Temporary);
    let picture = TREE.to_string();
    assert_eq!(
        picture,
        "app (one_for_one, 3 in 5s)\n\
         ├── db\n\
         ├── cache [transient] [backoff]\n\
         └── api (rest_for_one, 5 in 30s)\n    \
             ├── listener <ListenerMsg>\n    \
             └── sessions (dynamic, 3 in 5s, max 10000)\n        \
                 └── <template> [temporary]\n"
    );
}

#[test]
fn spec_uses_the_declared_policies() {
    let spec = App::spec(Arc::new(Config { name: "prod" }));
    assert_eq!(spec.child_ids().collect::<Vec<_>>(), ["db", "cache", "api"]);
    assert_eq!(spec.get_intensity().max_restarts, 3);
}

// S9.5: a generated tree can be observed from its first start on, as a hand-built one.
#[tokio::test(start_paused = true)]
async fn an_observed_tree_reports_its_first_start() {
    use supervisor::{EventKind, Observer};
    let observer = Observer::with_capacity(64);
    let mut events = observer.subscribe();
    let app = App::start_observed(Arc::new(Config { name: "prod" }), &observer)
        .await
        .unwrap();
    let mut started = Vec::new();
    while started.len() < 4 {
        let event = events.recv().await.expect("the tree is running");
        if let EventKind::Started { .. } = event.kind {
            started.push(event.path.to_string());
        }
    }
    assert_eq!(
        started,
        [
            "app/db",
            "app/cache",
            "app/api/listener",
            "app/api/sessions"
        ]
    );
    app.shutdown().await.unwrap();
}
