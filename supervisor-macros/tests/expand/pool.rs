/// Workers behind one address.
pub Render(quality: u8): one_for_one {
    thumbnails: pool(size = 8, route = least_loaded, overflow = reject, max_restarts = 20, within = 10s) {
        worker(move |ctx, slot| thumbs::run(ctx, slot, quality)) [mailbox = Job, state = thumbs::Cache]
    },
    fanout: pool(size = 2, route = broadcast) {
        worker(fanout::run) [mailbox = Notice]
    },
    shards: pool(size = 4, route = key_hash(|job: &Job| job.user)) {
        worker(thumbs::shard) [mailbox = Job]
    },
}
