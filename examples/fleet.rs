//! An agent fleet a service would run: clients connect over TCP; an acceptor hands each
//! connection to a session of its own (a temporary dynamic child: the connection moves into it);
//! sessions ask a pool of agents behind one address; agents use a tool and a model service
//! through a circuit breaker. Nothing is looked up by string: `uses` gives each child the typed
//! handles it needs, in start order.
//!
//! Agents wait for work in `recv`, which is idle, not silence: they are never convicted however
//! long they wait. One prompt wedges an agent; its heartbeats stop, it is convicted, and the
//! crash context says which message it was handling. The model fails for a while: the breaker
//! opens and sessions answer at once that the model is down instead of piling up.
//!
//! `cargo run --example fleet`

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use supervisor::{
    supervision_tree, BoxError, BreakerError, ChildContext, ChildRef, CircuitBreaker, DynamicRef,
    EventKind, ExitReason, Observer, PoolRef, Reply,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What a session asks an agent.
pub enum Ask {
    Prompt(String, Reply<String>),
}

/// What an agent asks its tool.
pub enum ToolCall {
    CountWords(String, Reply<usize>),
}

/// The tool: a worker with a mailbox, which agents reach through `uses`.
async fn tool(mut ctx: ChildContext<ToolCall>) -> Result<(), BoxError> {
    while let Some(ToolCall::CountWords(text, reply)) = ctx.recv().await {
        let _ = reply.send(text.split_whitespace().count());
    }
    Ok(())
}

/// An agent: idle in `recv` until a prompt comes, then busy (and beating) until it answers.
async fn agent(
    mut ctx: ChildContext<Ask>,
    tool: ChildRef<ToolCall>,
    llm: CircuitBreaker,
    model: SocketAddr,
) -> Result<(), BoxError> {
    while let Some(Ask::Prompt(prompt, reply)) = ctx.recv().await {
        ctx.heartbeat();
        if prompt.contains("wedge") {
            // A bug: this prompt never finishes, and the agent stops beating.
            std::future::pending::<()>().await;
        }
        let words = tool
            .call(
                |r| ToolCall::CountWords(prompt.clone(), r),
                Duration::from_secs(1),
            )
            .await?;
        let answer = match llm.call(ask_model(model, &prompt)).await {
            Ok(answer) => answer,
            // Down: say so at once rather than wait for a service known to be failing.
            Err(BreakerError::Open { retry_in, .. }) => {
                format!("the model is down; try again in {retry_in:.1?}")
            }
            Err(e) => format!("the model failed: {e}"),
        };
        let _ = reply.send(format!("{answer} ({words} words, from {})", ctx.path()));
    }
    Ok(())
}

/// A session: one client's connection, moved into its only incarnation.
async fn session(ctx: ChildContext, conn: TcpStream, agents: PoolRef<Ask>) -> Result<(), BoxError> {
    let (read, mut write) = conn.into_split();
    let mut lines = BufReader::new(read).lines();
    loop {
        let line = tokio::select! {
            line = ctx.idle(lines.next_line()) => line?,
            _ = ctx.cancelled() => None,
        };
        let Some(prompt) = line else {
            return Ok(());
        };
        let answer = agents
            .call(|r| Ask::Prompt(prompt, r), Duration::from_secs(5))
            .await
            .unwrap_or_else(|e| format!("no answer: {e}"));
        write.write_all(format!("{answer}\n").as_bytes()).await?;
    }
}

/// The acceptor: each connection becomes a session.
async fn accept(
    ctx: ChildContext,
    listener: Arc<TcpListener>,
    sessions: DynamicRef<TcpStream>,
) -> Result<(), BoxError> {
    loop {
        let (conn, _) = tokio::select! {
            accepted = ctx.idle(listener.accept()) => accepted?,
            _ = ctx.cancelled() => return Ok(()),
        };
        sessions.start_child(conn).await?;
    }
}

supervision_tree! {
    /// The fleet; `rest_for_one`, since what starts later uses what starts earlier.
    Fleet(model: SocketAddr, listener: Arc<TcpListener>): rest_for_one {
        tool: worker(tool) [mailbox = ToolCall],
        agents: pool(size = 3, route = least_loaded) {
            worker(|ctx, _slot| agent(ctx, tool, llm, model)) [
                mailbox = Ask,
                uses = [tool, llm],
                heartbeat = phi(interval = 200ms, threshold = 8),
            ]
        },
        sessions: dynamic {
            worker(|ctx, conn| session(ctx, conn, agents)) [
                args = TcpStream,
                restart = temporary,
                uses = agents,
            ]
        },
        acceptor: worker(|ctx| accept(ctx, listener, sessions)) [uses = sessions],
    }
    breakers {
        llm: breaker(failure_threshold = 2, reset_timeout = 1s, call_timeout = 1s),
    }
}

/// The model service: requests 3 and 4 fail (the connection closes unanswered); the others
/// are answered.
async fn model_service() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let served = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let served = Arc::clone(&served);
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let Ok(Some(prompt)) = lines.next_line().await else {
                    return;
                };
                let n = served.fetch_add(1, Ordering::SeqCst) + 1;
                if !(3..=4).contains(&n) {
                    let answer = format!("answer #{n} to {prompt:?}\n");
                    let _ = write.write_all(answer.as_bytes()).await;
                }
            });
        }
    });
    Ok(addr)
}

async fn ask_model(model: SocketAddr, prompt: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(model).await?;
    stream.write_all(format!("{prompt}\n").as_bytes()).await?;
    let mut lines = BufReader::new(stream).lines();
    match lines.next_line().await? {
        Some(answer) => Ok(answer),
        None => Err(std::io::Error::other("the model hung up")),
    }
}

/// A client: one connection, its prompts in turn.
async fn client(addr: SocketAddr, name: &str, prompts: &[&str]) -> Result<(), BoxError> {
    let conn = TcpStream::connect(addr).await?;
    let (read, mut write) = conn.into_split();
    let mut lines = BufReader::new(read).lines();
    for prompt in prompts {
        write.write_all(format!("{prompt}\n").as_bytes()).await?;
        let answer = lines.next_line().await?.ok_or("the session hung up")?;
        println!("  {name} asked {prompt:?}: {answer}");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let model = model_service().await?;
    let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await?);
    let addr = listener.local_addr()?;
    let observer = Observer::with_capacity(4096);
    let mut events = observer.subscribe();
    let fleet = Fleet::start_observed(model, listener, &observer).await?;
    println!("{}", Fleet::TREE);

    // The tree's view: breaker changes, and every abnormal exit with its crash context.
    let printer = tokio::spawn(async move {
        let mut convictions = 0;
        while let Ok(e) = events.recv().await {
            match &e.kind {
                EventKind::Breaker { state, .. } => {
                    println!("[tree] breaker {}: {state:?}", e.path)
                }
                EventKind::Exited {
                    reason, context, ..
                } if reason.is_abnormal() => {
                    if matches!(reason, ExitReason::HeartbeatsLost { .. }) {
                        convictions += 1;
                    }
                    println!("[tree] {} exited: {reason}", e.path);
                    if let Some(context) = context {
                        println!("{context}");
                    }
                }
                _ => {}
            }
        }
        convictions
    });

    // Agents wait idle between the rounds: no conviction for that.
    client(addr, "ann", &["hello there", "what is a supervisor"]).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The model fails twice: the breaker opens, and the next prompt is answered at once.
    client(addr, "bob", &["tell me a story", "and another"]).await?;
    client(addr, "carol", &["what time is it"]).await?;
    // One prompt wedges its agent: the call ends when the agent is convicted. Meanwhile the
    // breaker's reset timeout passes: the next call is its trial, and closes it.
    client(addr, "dave", &["please wedge"]).await?;
    client(addr, "erin", &["are you all back", "good"]).await?;

    let llm = fleet.breaker("llm").ok_or("no breaker")?;
    let stats = llm.stats();
    fleet.shutdown().await?;
    let convictions = printer.await?;
    // What the run must show, or the example fails.
    if convictions != 1 || stats.failures != 2 || stats.rejections != 1 {
        return Err(format!("expected one conviction, two failures counted and one call rejected; saw {convictions}, {stats:?}").into());
    }
    println!("\none agent was convicted, and said what it was doing; the others idled unjudged");
    Ok(())
}
