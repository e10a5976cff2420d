// A pool declared in a tree: its slots get their number, the handle holds a typed PoolRef, and
// calls are routed to a slot (S14).
use std::time::Duration;

use supervisor::{supervision_tree, ChildContext, Reply};

#[derive(Clone)]
pub struct Resize(pub u32);

pub enum Ask {
    Slot(Reply<usize>),
}

async fn resize(mut ctx: ChildContext<Resize>, _slot: usize) -> Result<(), String> {
    while let Some(Resize(_px)) = ctx.recv().await {}
    Ok(())
}

async fn answer(mut ctx: ChildContext<Ask>, slot: usize) -> Result<(), String> {
    while let Some(Ask::Slot(reply)) = ctx.recv().await {
        let _ = reply.send(slot);
    }
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        thumbnails: pool(size = 4, route = least_loaded, overflow = reject) {
            worker(resize) [mailbox = Resize, mailbox_capacity = 64]
        },
        answers: pool(size = 2, max_restarts = 10, within = 1s) {
            worker(answer) [mailbox = Ask]
        },
        latest: pool(size = 2, overflow = drop_oldest) {
            worker(resize) [mailbox = Resize, mailbox_capacity = 1]
        },
        everyone: pool(size = 3, route = broadcast) {
            worker(resize) [mailbox = Resize]
        },
        by_key: pool(size = 3, route = key_hash(|r: &Resize| r.0)) {
            worker(resize) [mailbox = Resize]
        },
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app = App::start().await.unwrap();
        assert_eq!(app.thumbnails.slots().len(), 4);
        app.thumbnails.send(Resize(64)).await.unwrap();
        app.everyone.send(Resize(32)).await.unwrap();
        app.by_key.send(Resize(7)).await.unwrap();
        // A drop_oldest pool never makes a sender wait.
        for px in 0..10 {
            app.latest.send(Resize(px)).await.unwrap();
        }
        let first = app.answers.call(Ask::Slot, Duration::from_secs(1)).await.unwrap();
        let second = app.answers.call(Ask::Slot, Duration::from_secs(1)).await.unwrap();
        assert_eq!((first, second), (0, 1));
        assert!(App::TREE.to_string().contains("pool of 4"));
        app.shutdown().await.unwrap();
    });
}
