//! Every option the grammar has, on real types: this must compile.
use std::net::SocketAddr;
use std::time::Duration;

use supervisor::{async_trait, supervision_tree, BoxError, ChildContext, Worker};

struct Reader {
    source: String,
    limit: usize,
}

impl Reader {
    fn new(source: String, limit: usize) -> Self {
        Reader { source, limit }
    }
}

#[async_trait]
impl Worker for Reader {
    async fn run(&mut self, ctx: &mut ChildContext) -> Result<(), BoxError> {
        let _ = (&self.source, self.limit);
        ctx.cancelled().await;
        Ok(())
    }
}

mod stage {
    use supervisor::ChildContext;
    pub async fn parse(ctx: ChildContext) -> Result<(), String> {
        ctx.cancelled().await;
        Ok(())
    }
    pub async fn job(_ctx: ChildContext, limit: usize) -> Result<(), String> {
        let _ = limit;
        Ok(())
    }
    pub async fn log(mut ctx: ChildContext<Vec<u8>>) -> Result<(), String> {
        while ctx.recv().await.is_some() {}
        Ok(())
    }
}

async fn conn(ctx: ChildContext<String>, addr: SocketAddr, timeout: Duration) -> Result<(), std::io::Error> {
    let _ = (addr, timeout);
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    /// A pipeline.
    pub(crate) Pipeline(source: String, limit: usize, timeout: Duration): rest_for_one(max_restarts = 10, within = 1m) {
        /// Reads the source.
        reader: from_worker(Reader::new(source, limit)) [
            shutdown = brutal_kill,
            backoff = linear(100ms, 250ms, 2s, reset_after = 30s),
        ],
        stages: one_for_all(within = 2s) [restart = transient, shutdown = infinity] {
            parse: worker(stage::parse) [backoff = fixed(500ms)],
            enrich: worker(stage::parse) [backoff = exponential(10ms, 1s, multiplier = 1.5, jitter = 0.2)],
        },
        batch: one_for_one(auto_shutdown = any_significant) [restart = temporary] {
            job: worker(move |ctx| stage::job(ctx, limit)) [restart = transient, significant = true],
            log: worker(stage::log) [mailbox = Vec<u8>, mailbox_capacity = 16],
        },
        pool: dynamic(max_children = 64, max_restarts = 20, within = 1.5s) {
            worker(move |ctx, addr| conn(ctx, addr, timeout)) [restart = transient, args = SocketAddr, mailbox = String, shutdown = 250ms]
        },
    }
}

#[allow(dead_code)]
async fn use_it() -> Result<(), Box<dyn std::error::Error>> {
    let p = Pipeline::start("file".into(), 10, Duration::from_secs(1)).await?;
    p.batch.log.send(vec![1, 2, 3]).await?;
    let conn = p.pool.start_child("127.0.0.1:80".parse()?).await?;
    conn.send("hello".to_string()).await?;
    let _ = p.stages.parse.state();
    let _ = p.reader.restart_count();
    p.shutdown().await?;
    Ok(())
}

fn main() {
    assert_eq!(Pipeline::TREE.root.len(), 10);
}
