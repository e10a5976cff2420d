Minimal: one_for_one {
    only: worker(run),
}
