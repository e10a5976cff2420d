/// Agents behind a breaker, judged by a probe and by their heartbeats.
pub Fleet(model: Arc<str>): one_for_one {
    agent: worker(move |ctx| agent::run(ctx, model)) [
        decider = agent::classify,
        health = probe(move |p| agent::ping(p, model), interval = 10s, timeout = 2s, failure_threshold = 3),
        heartbeat = phi(interval = 1s, threshold = 8.5, acceptable_pause = 2s),
        depends_on = llm,
    ],
    sessions: dynamic {
        worker(session::run) [restart = temporary, args = String, depends_on = [llm, search]]
    },
}
breakers {
    llm: breaker(failure_threshold = 5, reset_timeout = 30s, half_open_max_calls = 2, jitter = 0.2),
    search: breaker(),
}
