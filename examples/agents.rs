//! A fleet of AI-agent workers calling a flaky model service through a circuit breaker, with
//! health checks and heartbeats. The example starts the service itself (a line protocol on
//! 127.0.0.1): it answers, then fails for a while, then stalls. Watch the breaker open while the
//! service is down and the agents' restarts wait for it; one agent wedges and its silence gets
//! it convicted and restarted. Every agent answers its prompts and the example ends by itself.
//!
//! `cargo run --example agents`

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use supervisor::{
    supervision_tree, BreakerError, ChildContext, Directive, EventKind, ExitReason, Health,
    Observer, ProbeContext,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The model service: requests 6 to 9 fail (the connection closes unanswered), request 12
/// stalls for two seconds, the others are answered.
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
                match n {
                    6..=9 => {}
                    12 => {
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        let _ = write.write_all(b"too late\n").await;
                    }
                    _ => {
                        let answer = format!("answer #{n} to {prompt:?}\n");
                        let _ = write.write_all(answer.as_bytes()).await;
                    }
                }
            });
        }
    });
    Ok(addr)
}

/// One request to the model.
async fn ask(model: SocketAddr, prompt: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(model).await?;
    stream.write_all(format!("{prompt}\n").as_bytes()).await?;
    let mut lines = BufReader::new(stream).lines();
    match lines.next_line().await? {
        Some(answer) => Ok(answer),
        None => Err(std::io::Error::other("the model hung up")),
    }
}

/// An agent: answers four prompts, beating between steps, through the tree's `llm` breaker.
/// `carol` wedges on her second prompt the first time round: she stops beating, and her
/// supervisor notices.
async fn agent(ctx: ChildContext, name: String, model: SocketAddr) -> Result<(), String> {
    let llm = ctx.breaker("llm").ok_or("no breaker")?.clone();
    let mut answered = 0;
    while answered < 4 {
        ctx.heartbeat();
        if name == "carol" && answered == 1 && ctx.incarnation() == 0 {
            std::future::pending::<()>().await;
        }
        let prompt = format!("{name}'s question {answered}");
        match llm.call(ask(model, &prompt)).await {
            Ok(answer) => {
                println!("  {name}: {answer}");
                answered += 1;
            }
            // The service is down: the breaker says when to try again. Waiting is not being
            // wedged: keep beating.
            Err(BreakerError::Open { retry_in, .. }) => {
                let until = tokio::time::Instant::now() + retry_in;
                while tokio::time::Instant::now() < until {
                    ctx.heartbeat();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            // A failed or timed-out call: give up this incarnation; the supervisor restarts it
            // once the breaker lets calls through.
            Err(e) => return Err(format!("{name}: {e}")),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// The agents' probe: the model service takes connections.
async fn reachable(_probe: ProbeContext, model: SocketAddr) -> Health {
    match TcpStream::connect(model).await {
        Ok(_) => Health::Healthy,
        Err(e) => Health::unhealthy(e.to_string()),
    }
}

/// A configuration the agent cannot fix by restarting would be fatal; everything else restarts.
fn classify(reason: &ExitReason) -> Directive {
    match reason {
        ExitReason::Error(e) if e.to_string().contains("no breaker") => Directive::Fatal,
        _ => Directive::Restart,
    }
}

supervision_tree! {
    /// The agent fleet.
    Fleet(model: SocketAddr): one_for_one(max_restarts = 30, within = 10s) {
        agents: dynamic(max_children = 3, max_restarts = 30, within = 10s) {
            worker(move |ctx, name| agent(ctx, name, model)) [
                args = String,
                restart = transient,
                backoff = fixed(100ms),
                decider = classify,
                health = probe(move |p| reachable(p, model), interval = 1s, timeout = 500ms),
                heartbeat = phi(interval = 300ms, threshold = 8, acceptable_pause = 500ms),
                depends_on = llm,
            ]
        },
    }
    breakers {
        llm: breaker(failure_threshold = 3, reset_timeout = 1s, max_reset_timeout = 4s, call_timeout = 500ms),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let model = model_service().await?;
    let observer = Observer::with_capacity(4096);
    let mut events = observer.subscribe();
    let fleet = Fleet::start_observed(model, &observer).await?;
    for name in ["ann", "bob", "carol"] {
        fleet.agents.start_child(name.to_string()).await?;
    }
    let printer = tokio::spawn(async move {
        while let Ok(e) = events.recv().await {
            let line = match &e.kind {
                EventKind::Breaker {
                    state, retry_in, ..
                } => format!("breaker {}: {state:?} (retry in {retry_in:?})", e.path),
                // The directive `restart` only says the restart type applies: whether a restart
                // follows is the next event.
                EventKind::Exited {
                    reason,
                    directive: Directive::Restart,
                    ..
                } => format!("{} exited: {reason}", e.path),
                EventKind::Exited {
                    reason, directive, ..
                } => format!("{} exited: {reason} (directive: {directive})", e.path),
                EventKind::Suspect { phi, .. } => format!("{} suspected (phi {phi:.1})", e.path),
                EventKind::Restarting { delay, .. } => {
                    format!("{} restarting in {delay:?}", e.path)
                }
                _ => continue,
            };
            println!("[tree] {line}");
        }
    });
    // Every agent answers its four prompts, then ends (transient: not restarted).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        // A dynamic child that ends for good is removed (S5.5): none left, all are done.
        if fleet.agents.count_children().await?.specs == 0 {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            return Err("the agents did not finish within 30 s".into());
        }
    }
    let llm = fleet.breaker("llm").ok_or("no breaker")?;
    println!(
        "\nall agents done; breaker `llm` is {:?}, {} failures counted, {} calls rejected",
        llm.state(),
        llm.stats().failures,
        llm.stats().rejections
    );
    fleet.shutdown().await?;
    printer.await?;
    Ok(())
}
