//! An agent fleet that supervises two MCP-style tool servers (operating-system processes that
//! speak JSON-RPC over stdio) and calls them (S20).
//!
//! ```text
//! cargo run --example agent_tools --features process
//! ```
//!
//! The tool servers are this same program, run with `--serve NAME` (see `tools/server.rs`): no
//! download, nothing to install. Each is up once it answered MCP's `initialize`, and is stopped by
//! SIGTERM to its process group, SIGKILL two seconds later if it has not gone. The agent asks
//! `search` to echo and `calc` to add, and now and then asks `calc` to crash: its supervisor
//! restarts it, the request that was in flight ends with the process's exit (code 3, with the
//! last line of its stderr), and the next one is answered by the new process. The tree runs
//! until SIGINT or SIGTERM (or for `AGENT_RUN_FOR` seconds), then stops in order. The tool
//! servers die with it even if it is killed (`die_with_supervisor`, Linux); their own children
//! would not: a service manager that kills the control group covers those (see the guide's
//! "Supervising processes").

#[path = "tools/server.rs"]
mod server;

use std::time::Duration;

use serde_json::json;
use supervisor::{
    BoxError, ChildContext, ChildSpec, Process, Ready, RequestError, Rpc, Shutdown, Supervisor,
    SupervisorRef, SupervisorSpec, Uses,
};

fn tool(name: &str) -> ChildSpec<Rpc> {
    let me = std::env::current_exe().expect("this program");
    ChildSpec::process_rpc(
        name,
        Process::new(me)
            .args(["--serve", name])
            // Up once the MCP handshake is done: `initialize` answered, then `initialized`.
            .ready(Ready::mcp("agent_tools"))
            .ready_timeout(Duration::from_secs(5))
            // Killed by the kernel if this program dies, even by SIGKILL (Linux).
            .die_with_supervisor(),
    )
    .shutdown(Shutdown::Timeout(Duration::from_secs(2)))
}

/// The agent: a loop of tool calls. A failed call is reported and the loop goes on: the tool's
/// supervisor, not the agent, deals with a crashed tool.
async fn agent(ctx: ChildContext, tools: Uses<SupervisorRef>) -> Result<(), BoxError> {
    let tools = ctx.used(&tools)?;
    let search = tools.child::<Rpc>("search")?;
    let calc = tools.child::<Rpc>("calc")?;
    let s = Duration::from_secs(2);
    let mut n = 0u64;
    loop {
        n += 1;
        let found = search
            .request(
                "tools/call",
                json!({"name": "echo", "arguments": {"text": format!("query {n}")}}),
                s,
            )
            .await;
        let ask = if n.is_multiple_of(7) { "crash" } else { "add" };
        let sum = calc
            .request(
                "tools/call",
                json!({"name": ask, "arguments": {"a": n, "b": 1}}),
                s,
            )
            .await;
        match (found, sum) {
            (Ok(found), Ok(sum)) => println!(
                "agent: search said {}, calc said {}",
                found["content"][0]["text"], sum["content"][0]["text"]
            ),
            (_, Err(RequestError::Call(e))) => println!("agent: calc failed: {e}"),
            (Err(e), _) | (_, Err(e)) => println!("agent: a tool failed: {e}"),
        }
        tokio::select! {
            () = ctx.cancelled() => return Ok(()),
            () = tokio::time::sleep(Duration::from_millis(150)) => {}
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--serve") {
        // Strict, as an MCP server may be: no tool call before the handshake is done.
        server::serve(&args.next().unwrap_or_else(|| "tools".into()), true);
        return Ok(());
    }
    let tools = Uses::<SupervisorRef>::new("tools");
    let agent_tools = tools.clone();
    let spec = SupervisorSpec::new("fleet")
        .child(ChildSpec::supervisor(
            SupervisorSpec::new("tools")
                .intensity(5, Duration::from_secs(10))
                .child(tool("search"))
                .child(tool("calc")),
        ))
        .child(ChildSpec::worker("agent", move |ctx| agent(ctx, agent_tools.clone())).uses(&tools));
    println!("{}", supervisor::Picture::from(&spec).text());
    let tree = Supervisor::start(spec).await?;
    let mut events = tree.subscribe();
    // Prints each stop as it happens; ends with the tree's event stream.
    let printer = tokio::spawn(async move {
        while let Ok(e) = events.recv().await {
            if let supervisor::EventKind::Stopped { .. } = e.kind {
                println!("stopped {}", e.path);
            }
        }
    });
    let pids = tree.supervisor("tools")?.which_children().await?;
    let pid = |i: usize| pids[i].process.as_ref().and_then(|p| p.pid).unwrap_or(0);
    let up = format!("up: search pid {}, calc pid {}", pid(0), pid(1));
    let Some(secs) = std::env::var("AGENT_RUN_FOR")
        .ok()
        .and_then(|s| s.parse().ok())
    else {
        // Said once `run` listens for signals: on this one thread, the task runs only when
        // `run` first waits, after it has installed its handlers.
        tokio::spawn(async move { println!("{up}") });
        // Until SIGINT or SIGTERM, which stop the tree in order (S16).
        let exit = tree.run().await;
        let _ = printer.await;
        println!("exit: {exit}");
        return Ok(());
    };
    println!("{up}");
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let children = tree.supervisor("tools")?.which_children().await?;
    for c in &children {
        let p = c.process.as_ref().expect("a process child");
        println!(
            "{}: pid {:?}, {} restarts, last exit: {}",
            c.id,
            p.pid,
            c.restarts,
            c.last_exit
                .as_ref()
                .map_or("none".into(), ToString::to_string)
        );
    }
    tree.shutdown().await?;
    let _ = printer.await;
    println!("no tool server left running");
    Ok(())
}
