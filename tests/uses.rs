//! A child using other nodes of its tree (S17), through the builder: typed names, looked up as
//! a variable is in a block, checked by the spec's validation.

mod common;

use common::S;
use supervisor::{
    BoxError, ChildContext, ChildRef, ChildSpec, LookupError, PoolRef, PoolSpec, Reply, SpecError,
    SpecRule, Supervisor, SupervisorRef, SupervisorSpec, Template, Uses, UsesRule,
};

/// Answers with its own name and incarnation.
async fn server(mut ctx: ChildContext<Reply<String>>) -> Result<(), BoxError> {
    while let Some(reply) = ctx.recv().await {
        let _ = reply.send(format!("{}#{}", ctx.path(), ctx.incarnation()));
    }
    Ok(())
}

async fn idle(ctx: ChildContext) -> Result<(), BoxError> {
    ctx.cancelled().await;
    Ok(())
}

fn noop() -> ChildSpec {
    ChildSpec::worker("x", idle)
}

// S17.1: a child reaches an earlier sibling, a pool declared by an ancestor's supervisor, and
// an ancestor, through stable handles that reach the current incarnation (S9).
#[tokio::test(start_paused = true)]
async fn a_child_reaches_its_earlier_siblings_its_uncles_and_its_ancestors() {
    let db = Uses::<ChildRef<Reply<String>>>::new("db");
    let jobs = Uses::<PoolRef<Reply<String>>>::new("jobs");
    let api_sup = Uses::<SupervisorRef>::new("api");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let client = {
        let (db, jobs, api_sup) = (db.clone(), jobs.clone(), api_sup.clone());
        move |ctx: ChildContext| {
            let tx = tx.clone();
            let found = (ctx.used(&db), ctx.used(&jobs), ctx.used(&api_sup));
            async move {
                let (db, jobs, api_sup) = (found.0?, found.1?, found.2?);
                let from_db = db.call(|r| r, S).await?;
                let from_jobs = jobs.call(|r| r, S).await?;
                let _ = tx.send(format!("{from_db} {from_jobs} {}", api_sup.path()));
                ctx.cancelled().await;
                Ok::<(), BoxError>(())
            }
        }
    };
    let api = SupervisorSpec::new("api")
        .child(ChildSpec::with_mailbox("db", server))
        .child(
            ChildSpec::worker("client", client)
                .uses(&db)
                .uses(&jobs)
                .uses(&api_sup),
        );
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::supervisor(PoolSpec::new(
            "jobs",
            2,
            Template::new(|ctx, _slot: usize| server(ctx)),
        )))
        .child(ChildSpec::supervisor(api));
    let app = Supervisor::start(spec).await.unwrap();
    assert_eq!(
        rx.recv().await.unwrap(),
        "app/api/db#0 app/jobs/0#0 app/api"
    );
    // The handle is stable: after the used node restarts, the user's next incarnation (and a
    // kept handle) reach the new one.
    let api = app.supervisor("api").unwrap();
    for id in ["db", "client"] {
        api.terminate_child(id).await.unwrap();
        api.restart_child(id).await.unwrap();
    }
    // (The pool's round robin is shared by its references: the next call takes the next slot.)
    assert_eq!(
        rx.recv().await.unwrap(),
        "app/api/db#1 app/jobs/1#0 app/api"
    );
    app.shutdown().await.unwrap();
}

fn rule_of(spec: SupervisorSpec) -> (String, SpecRule) {
    let err: SpecError = spec.validate().unwrap_err();
    (err.path.to_string(), err.rule)
}

// S17.2: a later node, the child itself, an unknown name, and any use by a supervisor (whose
// descendants start after it) are spec errors, which name the start order where it decides.
#[test]
fn only_earlier_nodes_and_ancestors_may_be_used() {
    let cache = Uses::<ChildRef>::new("cache");
    let later = SupervisorSpec::new("app")
        .child(ChildSpec::worker("api", idle).uses(&cache))
        .child(ChildSpec::worker("cache", idle));
    let (path, rule) = rule_of(later);
    assert_eq!(path, "app/api");
    assert_eq!(
        rule,
        SpecRule::Uses("cache".into(), UsesRule::StartsLater("api, cache".into()))
    );
    assert_eq!(
        rule.to_string(),
        "uses `cache`: it starts later (start order: api, cache); use only earlier nodes, or reorder"
    );

    let me = Uses::<ChildRef>::new("api");
    let itself = SupervisorSpec::new("app").child(ChildSpec::worker("api", idle).uses(&me));
    assert_eq!(
        rule_of(itself).1,
        SpecRule::Uses("api".into(), UsesRule::Itself)
    );

    let inner = Uses::<ChildRef>::new("x");
    let descendant = SupervisorSpec::new("app")
        .child(ChildSpec::supervisor(SupervisorSpec::new("api").child(noop())).uses(&inner));
    assert_eq!(
        rule_of(descendant).1,
        SpecRule::Uses("x".into(), UsesRule::OnSupervisor)
    );

    let typo = Uses::<ChildRef>::new("dbb");
    let unknown = SupervisorSpec::new("app")
        .child(ChildSpec::worker("db", idle))
        .child(ChildSpec::worker("api", idle).uses(&typo));
    assert_eq!(
        rule_of(unknown).1,
        SpecRule::Uses("dbb".into(), UsesRule::Unknown)
    );

    // An uncle that starts after the user's ancestor starts after the user too.
    let late_uncle = SupervisorSpec::new("app")
        .child(ChildSpec::supervisor(
            SupervisorSpec::new("api").child(ChildSpec::worker("h", idle).uses(&cache)),
        ))
        .child(ChildSpec::worker("cache", idle));
    assert_eq!(
        rule_of(late_uncle),
        (
            "app/api/h".to_string(),
            SpecRule::Uses("cache".into(), UsesRule::StartsLater("api, cache".into()))
        )
    );

    // The root, an ancestor, may be used; so may an earlier uncle.
    let root = Uses::<SupervisorRef>::new("app");
    let fine = SupervisorSpec::new("app")
        .child(ChildSpec::worker("cache", idle))
        .child(ChildSpec::supervisor(
            SupervisorSpec::new("api").child(ChildSpec::worker("h", idle).uses(&cache).uses(&root)),
        ));
    assert!(fine.validate().is_ok());
}

// S17.1: what a child did not declare, or declared with another type, is a typed lookup error.
#[tokio::test(start_paused = true)]
async fn an_undeclared_or_mistyped_use_is_a_lookup_error() {
    let db = Uses::<ChildRef<u32>>::new("db");
    let undeclared = Uses::<ChildRef>::new("cache");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::with_mailbox("db", server))
        .child(ChildSpec::worker("cache", idle))
        .child(
            ChildSpec::worker("api", {
                let (db, undeclared) = (db.clone(), undeclared.clone());
                move |ctx: ChildContext| {
                    let _ = tx.send((ctx.used(&db).err(), ctx.used(&undeclared).err()));
                    idle(ctx)
                }
            })
            .uses(&db),
        );
    let app = Supervisor::start(spec).await.unwrap();
    let (mistyped, missing) = rx.recv().await.unwrap();
    assert!(
        matches!(mistyped, Some(LookupError::WrongMessageType { .. })),
        "{mistyped:?}"
    );
    // Only what the spec declared is looked up: validation has checked all of it.
    assert!(
        matches!(&missing, Some(LookupError::NotFound(n)) if &**n == "cache"),
        "{missing:?}"
    );
    app.shutdown().await.unwrap();
}

mod from_the_macro {
    //! S17 in the grammar: `uses = [..]` binds typed handles, breakers and the carried state by
    //! name in the start expression.

    use super::*;
    use supervisor::{supervision_tree, CircuitBreaker, Stash};

    #[derive(Default)]
    pub struct Hits(u32);

    async fn http(
        ctx: ChildContext,
        db: ChildRef<Reply<String>>,
        jobs: PoolRef<Reply<String>>,
        api: SupervisorRef,
        llm: CircuitBreaker,
        state: Stash<Hits>,
        out: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> Result<(), BoxError> {
        let hits = state.update(|h| {
            h.0 += 1;
            h.0
        });
        let from_db = db.call(|r| r, S).await?;
        let from_jobs = jobs.call(|r| r, S).await?;
        let _ = out.send(format!(
            "{from_db} {from_jobs} {} {} hits={hits}",
            api.path(),
            llm.name()
        ));
        ctx.cancelled().await;
        Ok(())
    }

    supervision_tree! {
        App(out: tokio::sync::mpsc::UnboundedSender<String>): one_for_one {
            db: worker(server) [mailbox = Reply<String>],
            jobs: pool(size = 2) { worker(|ctx, _slot| server(ctx)) [mailbox = Reply<String>] },
            api: one_for_one {
                http: worker(|ctx| http(ctx, db, jobs, api, llm, state, out))
                    [uses = [db, jobs, api, llm], state = Hits],
            },
        }
        breakers {
            llm: breaker(failure_threshold = 3),
        }
    }

    // S17.1: the expression names what it uses; each incarnation gets the handles anew.
    #[tokio::test(start_paused = true)]
    async fn uses_binds_handles_breakers_and_state_by_name() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let app = App::start(tx).await.unwrap();
        assert_eq!(
            rx.recv().await.unwrap(),
            "app/db#0 app/jobs/0#0 app/api llm hits=1"
        );
        app.api.http.terminate().await.unwrap();
        app.api.http.restart().await.unwrap();
        assert_eq!(
            rx.recv().await.unwrap(),
            "app/db#0 app/jobs/1#0 app/api llm hits=2"
        );
        app.shutdown().await.unwrap();
    }

    /// The ids of the nodes the "uses" edges of a Mermaid chart reach.
    fn used_ids(chart: &str) -> Vec<String> {
        let lines: Vec<&str> = chart.lines().collect();
        (lines.iter())
            .filter_map(|l| l.split("-.->|uses| ").nth(1))
            .map(|to| {
                let def = lines
                    .iter()
                    .find(|l| {
                        l.trim_start().starts_with(&format!("{to}["))
                            || l.trim_start().starts_with(&format!("{to}("))
                    })
                    .expect("the node is drawn");
                let label = def.split('"').nth(1).expect("a label");
                label.split(' ').next().unwrap_or_default().to_owned()
            })
            .collect()
    }

    // S17.3: pictures draw a "uses" edge to each node used, from the tree as declared and
    // from the tree as it runs alike.
    #[tokio::test(start_paused = true)]
    async fn pictures_draw_what_a_child_uses() {
        let picture = supervisor::Picture::from(&App::TREE);
        assert!(
            picture
                .text()
                .contains("http [state Hits] [uses db, jobs, api]"),
            "{}",
            picture.text()
        );
        let mermaid = picture.mermaid();
        let edges: Vec<&str> = mermaid.lines().filter(|l| l.contains("|uses|")).collect();
        // http is n5: db n1, jobs n2, api n4 (depth first, in start order).
        assert_eq!(
            edges,
            [
                "    n5 -.->|uses| n1",
                "    n5 -.->|uses| n2",
                "    n5 -.->|uses| n4"
            ]
        );
        assert_eq!(picture.dot().matches("label=\"uses\"").count(), 3);
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let app = App::start(tx).await.unwrap();
        let live = app.root().picture().await.mermaid();
        // A live pool draws its slots, so the numbers differ: compare what the edges reach.
        assert_eq!(used_ids(&live), ["db", "jobs", "api"]);
        assert_eq!(used_ids(&mermaid), ["db", "jobs", "api"]);
        app.shutdown().await.unwrap();
    }
}
