/// The service.
pub App(config: Arc<Config>): one_for_one(max_restarts = 3, within = 5s) {
    /// The database connection.
    db: worker(move |ctx| db::run(ctx, config)) [restart = permanent, shutdown = 10s],
    cache: worker(cache::run) [restart = transient, backoff = exponential(100ms, 10s)],
    api: rest_for_one(max_restarts = 5, within = 30s) {
        listener: worker(api::listen) [mailbox = ListenerMsg],
        sessions: dynamic(max_children = 10_000) {
            worker(session::run) [restart = temporary, args = SessionArgs]
        },
    },
}
