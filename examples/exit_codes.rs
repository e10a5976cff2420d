//! A tree run as a process (S16): `main` returns the tree's `Exit`, which becomes the process's
//! exit code. The argument says how it ends:
//!
//! - `stop`: it runs until SIGINT or SIGTERM, then stops in order: exit code 0;
//! - `give-up`: a child keeps failing until the root gives up: 70;
//! - `fatal`: a child's exit calls for the fatal directive: 78;
//! - `stuck`: a child ignores its stop and has no timeout, so the first signal's shutdown
//!   hangs; a second signal aborts it: 70.
//!
//! `cargo run --example exit_codes -- give-up; echo $?`

use std::time::Duration;

use supervisor::{supervision_tree, ChildContext, Directed, Exit};

async fn serve(ctx: ChildContext) -> Result<(), String> {
    println!("up");
    ctx.cancelled().await;
    Ok(())
}

async fn failing(_ctx: ChildContext) -> Result<(), String> {
    tokio::time::sleep(Duration::from_millis(10)).await;
    Err("always failing".into())
}

async fn misconfigured(_ctx: ChildContext) -> Result<(), Directed> {
    Err(Directed::fatal("no credentials configured"))
}

async fn stuck(ctx: ChildContext) -> Result<(), String> {
    println!("up");
    ctx.cancelled().await;
    // Asked to stop, and does not.
    println!("stopping");
    std::future::pending::<()>().await;
    Ok(())
}

supervision_tree! {
    Stop: one_for_one { server: worker(serve) }
}

supervision_tree! {
    GiveUp: one_for_one(max_restarts = 2, within = 10s) { flaky: worker(failing) }
}

supervision_tree! {
    Fatal: one_for_one { config: worker(misconfigured) }
}

supervision_tree! {
    Stuck: one_for_one { wedged: worker(stuck) [shutdown = infinity] }
}

#[tokio::main]
async fn main() -> Exit {
    match std::env::args().nth(1).as_deref() {
        Some("give-up") => GiveUp::run().await,
        Some("fatal") => Fatal::run().await,
        Some("stuck") => Stuck::run().await,
        _ => Stop::run().await,
    }
}
