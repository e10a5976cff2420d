/// A pool of connections, each started with its socket address.
pub Pool(timeout: Duration): dynamic(max_children = 64, max_restarts = 20, within = 10s) {
    worker(move |ctx, addr| conn::serve(ctx, addr, timeout)) [
        restart = transient,
        args = SocketAddr,
        mailbox = conn::Command,
        shutdown = 250ms,
    ]
}
