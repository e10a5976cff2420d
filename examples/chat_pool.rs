//! A pool of chat agents behind one address, answering requests. Conversations are routed by
//! user (key hash), so a user always reaches the same agent; each agent keeps the
//! conversations it serves in carried state, so that when it crashes in the middle of a request
//! its next incarnation still remembers them. The request it held fails with the crash as its
//! reason; the caller retries, and the conversation goes on.
//!
//! `cargo run --example chat_pool`

use std::collections::HashMap;
use std::time::Duration;

use supervisor::{supervision_tree, CallError, ChildContext, Reply};

/// A user's message, and where the agent answers.
pub struct Say {
    pub user: String,
    pub text: String,
    pub reply: Reply<String>,
}

/// What an agent remembers across its restarts: the turns of each conversation it serves.
#[derive(Default)]
pub struct Memory {
    turns: HashMap<String, Vec<String>>,
}

async fn agent(mut ctx: ChildContext<Say>, slot: usize) -> Result<(), String> {
    let memory = ctx.state::<Memory>().ok_or("no memory declared")?;
    while let Some(Say { user, text, reply }) = ctx.recv().await {
        // The turn is stored as soon as it arrives: a crash after this keeps it.
        let turns = memory.update(|m| {
            let turns = m.turns.entry(user.clone()).or_default();
            turns.push(text.clone());
            turns.len()
        });
        if text == "crash" && ctx.incarnation() == 0 {
            panic!("agent {slot} tripped over {user}'s message");
        }
        let _ = reply.send(format!(
            "agent {slot} (incarnation {}): {user}, that is turn {turns} of our chat",
            ctx.incarnation()
        ));
    }
    Ok(())
}

supervision_tree! {
    /// A chat service.
    Chat: one_for_one {
        agents: pool(size = 3, route = key_hash(|say: &Say| say.user.clone())) {
            worker(agent) [mailbox = Say, state = Memory]
        },
    }
}

async fn say(chat: &chat::Handle, user: &str, text: &str) -> Result<String, CallError> {
    let (user, text) = (user.to_string(), text.to_string());
    chat.agents
        .call(|reply| Say { user, text, reply }, Duration::from_secs(2))
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The crash below is reported by the tree and by the failed call: no need for the default
    // panic report too.
    std::panic::set_hook(Box::new(|_| {}));
    let chat = Chat::start().await?;
    for (user, text) in [
        ("ann", "hello"),
        ("bob", "hi there"),
        ("ann", "how are you?"),
        ("cid", "good morning"),
        ("ann", "crash"),
    ] {
        match say(&chat, user, text).await {
            Ok(answer) => println!("{user}: {text:<14} -> {answer}"),
            Err(CallError::Exited { reason, .. }) => {
                println!("{user}: {text:<14} -> the agent exited before answering: {reason}");
                // Restarted at once (no backoff): the retry reaches the next incarnation, which
                // remembers the conversation.
                let answer = say(&chat, user, "are you back?").await?;
                println!("{user}: {:<14} -> {answer}", "are you back?");
            }
            Err(e) => return Err(e.into()),
        }
    }
    println!("\n{}", Chat::TREE);
    chat.shutdown().await?;
    Ok(())
}
