/// Children declared alike share one const of their policies, in the spec and the description,
/// and one local of their probe and heartbeat settings; what is written once stays inline.
Crawler: one_for_one {
    fetch: worker(crawl::fetch) [restart = transient, backoff = exponential(10ms, 1s)],
    parse: worker(crawl::parse) [restart = transient, backoff = exponential(10ms, 1s)],
    store: worker(crawl::store) [shutdown = 30s, health = probe(crawl::ping, timeout = 1s), heartbeat = phi(interval = 1s)],
    index: worker(crawl::index) [health = probe(crawl::ping, timeout = 1s), heartbeat = phi(interval = 1s)],
    pages: dynamic {
        worker(crawl::page) [args = String, restart = transient, backoff = exponential(10ms, 1s)]
    },
}
