// A `from_worker` template: a function of the child's arguments (a pool slot's number, a
// session's args) to a fresh `Worker`, whose `init` runs before the child counts as up.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use supervisor::{async_trait, supervision_tree, BoxError, ChildContext, Worker};

struct Slot {
    n: usize,
    inits: Arc<AtomicUsize>,
}

#[async_trait]
impl Worker<u32> for Slot {
    async fn init(&mut self, _ctx: &mut ChildContext<u32>) -> Result<(), BoxError> {
        self.inits.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    async fn run(&mut self, ctx: &mut ChildContext<u32>) -> Result<(), BoxError> {
        let _ = self.n;
        while ctx.recv().await.is_some() {}
        Ok(())
    }
}

struct Session {
    user: String,
}

impl Session {
    fn new(user: String) -> Self {
        Session { user }
    }
}

#[async_trait]
impl Worker for Session {
    async fn run(&mut self, ctx: &mut ChildContext) -> Result<(), BoxError> {
        let _ = &self.user;
        ctx.cancelled().await;
        Ok(())
    }
}

supervision_tree! {
    App(inits: Arc<AtomicUsize>): one_for_one {
        slots: pool(size = 3) {
            from_worker(move |n| Slot { n, inits }) [mailbox = u32]
        },
        sessions: dynamic {
            from_worker(Session::new) [args = String, restart = temporary]
        },
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let inits = Arc::new(AtomicUsize::new(0));
        let app = App::start(Arc::clone(&inits)).await.unwrap();
        assert_eq!(inits.load(Ordering::SeqCst), 3);
        app.slots.send(1).await.unwrap();
        app.sessions.start_child("ann".to_string()).await.unwrap();
        app.shutdown().await.unwrap();
    });
}
