/// Every child option and supervisor option, and a worker written as a type.
pub(crate) Pipeline(source: String, limit: usize): rest_for_one(max_restarts = 10, within = 1m) {
    reader: from_worker(Reader::new(source, limit)) [
        shutdown = brutal_kill,
        backoff = linear(100ms, 250ms, 2s, reset_after = 30s),
    ],
    stages: one_for_all(within = 2s) [restart = transient, shutdown = infinity] {
        parse: worker(stage::parse) [backoff = fixed(500ms)],
        enrich: worker(stage::enrich) [backoff = exponential(10ms, 1s, multiplier = 1.5, jitter = 0.2)],
    },
    batch: one_for_one(auto_shutdown = any_significant) [restart = temporary] {
        job: worker(move |ctx| stage::job(ctx, limit)) [restart = transient, significant],
        log: worker(stage::log) [mailbox = Vec<u8>, mailbox_capacity = 16],
    },
}
