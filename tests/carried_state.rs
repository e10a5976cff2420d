//! State carried across restarts (S15): a stash owned by the child's node, found by every
//! incarnation, kept across its restarts and its supervisors', gone with the node.

mod common;

use common::settle;
use supervisor::{
    BoxError, ChildContext, ChildSpec, NoMailbox, SpecRule, Supervisor, SupervisorSpec,
};

#[derive(Default, Clone, Debug, PartialEq)]
struct Conversation {
    turns: Vec<String>,
}

type Seen = std::sync::Arc<std::sync::Mutex<Vec<Vec<String>>>>;
type BoxFut = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), BoxError>> + Send>>;

/// Each incarnation records what it found and adds a turn; then incarnation 0 panics in the
/// middle of writing, 1 fails, 2 runs on.
fn agent(seen: Seen) -> impl Fn(ChildContext) -> BoxFut + Send + Sync + 'static {
    move |ctx| {
        let seen = std::sync::Arc::clone(&seen);
        Box::pin(async move {
            let memory = ctx.state::<Conversation>().ok_or("declared")?;
            seen.lock().unwrap().push(memory.get().turns);
            memory.update(|c| c.turns.push(format!("turn {}", ctx.incarnation())));
            match ctx.incarnation() {
                0 => {
                    // Holding the lock while it panics: what it wrote stands.
                    let mut c = memory.lock();
                    c.turns.push("half-written".into());
                    panic!("crash while working");
                }
                1 => Err("failed".into()),
                _ => {
                    ctx.cancelled().await;
                    Ok(())
                }
            }
        })
    }
}

// S15.1: what an incarnation stores is what the next finds, a panic included; a child that
// declared none has none.
#[tokio::test(start_paused = true)]
async fn state_survives_a_panic_and_an_error() {
    let seen = Seen::default();
    let spec = SupervisorSpec::new("app").child(
        ChildSpec::worker("agent", agent(std::sync::Arc::clone(&seen))).state::<Conversation>(),
    );
    let app = Supervisor::start(spec).await.unwrap();
    settle().await;
    assert_eq!(
        *seen.lock().unwrap(),
        [
            vec![],
            vec!["turn 0".to_string(), "half-written".to_string()],
            vec![
                "turn 0".to_string(),
                "half-written".to_string(),
                "turn 1".to_string()
            ],
        ]
    );
    let none = std::sync::Arc::new(std::sync::Mutex::new(None));
    let n = std::sync::Arc::clone(&none);
    app.root()
        .start_child(ChildSpec::worker("other", move |ctx: ChildContext| {
            let n = std::sync::Arc::clone(&n);
            async move {
                *n.lock().unwrap() = Some(ctx.state::<Conversation>().is_none());
                ctx.cancelled().await;
                Ok::<(), BoxError>(())
            }
        }))
        .await
        .unwrap();
    assert_eq!(*none.lock().unwrap(), Some(true), "undeclared: no stash");
    app.shutdown().await.unwrap();
}

/// Records what each incarnation found, adds its number, and runs until stopped.
fn recorder(seen: Seen) -> impl Fn(ChildContext) -> BoxFut + Send + Sync + 'static {
    move |ctx| {
        let seen = std::sync::Arc::clone(&seen);
        Box::pin(async move {
            let memory = ctx.state::<Conversation>().ok_or("declared")?;
            seen.lock().unwrap().push(memory.get().turns);
            memory.update(|c| c.turns.push(format!("{}", ctx.incarnation())));
            ctx.cancelled().await;
            Ok(())
        })
    }
}

// S15.1, S15.2: the next incarnation finds the state after its own restart and after its
// supervisor's; delete_child clears it.
#[tokio::test(start_paused = true)]
async fn state_is_kept_across_restarts_of_the_child_and_its_supervisor() {
    let seen = Seen::default();
    let inner = SupervisorSpec::new("inner").child(
        ChildSpec::worker("agent", recorder(std::sync::Arc::clone(&seen))).state::<Conversation>(),
    );
    let spec = SupervisorSpec::new("app").child(ChildSpec::supervisor(inner));
    let app = Supervisor::start(spec).await.unwrap();
    let inner = app.supervisor("inner").unwrap();
    settle().await;
    // The child's own restart.
    inner.terminate_child("agent").await.unwrap();
    inner.restart_child("agent").await.unwrap();
    settle().await;
    // Its supervisor's restart.
    app.terminate_child("inner").await.unwrap();
    app.restart_child("inner").await.unwrap();
    settle().await;
    assert_eq!(
        *seen.lock().unwrap(),
        [
            vec![],
            vec!["0".to_string()],
            vec!["0".to_string(), "1".to_string()]
        ]
    );
    // Deleted: gone with the node.
    inner.terminate_child("agent").await.unwrap();
    inner.delete_child("agent").await.unwrap();
    let agent = app.child::<NoMailbox>("inner/agent");
    assert!(agent.is_err());
    inner
        .start_child(
            ChildSpec::worker("agent", recorder(std::sync::Arc::clone(&seen)))
                .state::<Conversation>(),
        )
        .await
        .unwrap();
    settle().await;
    assert_eq!(seen.lock().unwrap().last().unwrap(), &Vec::<String>::new());
    app.shutdown().await.unwrap();
}

// S15: only workers carry state.
#[test]
fn state_on_a_supervisor_is_a_spec_error() {
    let inner = SupervisorSpec::new("inner").child(ChildSpec::worker(
        "w",
        |ctx: ChildContext| async move {
            ctx.cancelled().await;
            Ok::<(), BoxError>(())
        },
    ));
    let err = SupervisorSpec::new("app")
        .child(ChildSpec::supervisor(inner).state::<Conversation>())
        .validate()
        .unwrap_err();
    assert_eq!(err.rule, SpecRule::StateOnSupervisor);
}
