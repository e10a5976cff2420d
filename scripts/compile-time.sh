#!/usr/bin/env bash
# How long `cargo check` takes on a crate holding a 1,011-node `supervision_tree!`, against the
# same crate without the tree (dependencies already built, no incremental compilation, median of
# five). Prints both and the difference, for each shape of tree:
#   options    each worker with restart, shutdown and backoff (the historical figure)
#   plain      each worker bare
#   detection  each worker with decide, probe, heartbeat and depends_on
# `./scripts/compile-time.sh [options|plain|detection]...` (all three by default).
set -euo pipefail
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/target/compile-time"
mkdir -p "$dir/src"
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "compile-time-probe"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
supervisor = { path = "$root" }

[workspace]
TOML

shape=options
tree() {
    local worker
    case "$shape" in
        options) worker='worker(run) [restart = transient, shutdown = 1s, backoff = exponential(10ms, 1s)]' ;;
        plain) worker='worker(run)' ;;
        detection) worker='worker(run) [decider = decide, health = probe(ping, interval = 10s, timeout = 1s), heartbeat = phi(interval = 1s), depends_on = llm]' ;;
    esac
    echo '#![allow(dead_code)]'
    echo 'use supervisor::{supervision_tree, ChildContext, Directive, ExitReason, Health, ProbeContext};'
    echo 'async fn run(ctx: ChildContext) -> Result<(), String> { ctx.cancelled().await; Ok(()) }'
    echo 'fn decide(_r: &ExitReason) -> Directive { Directive::Restart }'
    echo 'async fn ping(_p: ProbeContext) -> Health { Health::Healthy }'
    echo 'supervision_tree! {'
    echo '  pub Big: one_for_one(max_restarts = 10, within = 10s) {'
    for a in $(seq 0 9); do
        echo "    s$a: one_for_all(max_restarts = 5, within = 5s) {"
        for b in $(seq 0 9); do
            echo "      t$b: rest_for_one {"
            for c in $(seq 0 8); do
                echo "        w$c: $worker,"
            done
            echo "      },"
        done
        echo "    },"
    done
    echo '  }'
    echo '  breakers { llm: breaker() }'
    echo '}'
    echo 'fn main() { println!("{}", Big::TREE.root.len()); }'
}

empty() {
    echo 'use supervisor::ChildContext;'
    echo 'async fn run(ctx: ChildContext) -> Result<(), String> { ctx.cancelled().await; Ok(()) }'
    echo 'fn main() { let _ = run; }'
}

measure() {
    "$1" > "$dir/src/main.rs"
    # Builds the dependencies once; a tree that does not compile is a broken measurement.
    (cd "$dir" && cargo check --quiet) || { echo "the $shape probe does not compile" >&2; exit 1; }
    local runs=()
    for _ in 1 2 3 4 5; do
        touch "$dir/src/main.rs"
        local t0 t1
        t0=$(date +%s%N)
        (cd "$dir" && cargo check --quiet)
        t1=$(date +%s%N)
        runs+=($(( (t1 - t0) / 1000000 )))
    done
    printf '%s\n' "${runs[@]}" | sort -n | sed -n 3p
}

shapes=("$@")
[ ${#shapes[@]} -eq 0 ] && shapes=(options plain detection)
for shape in "${shapes[@]}"; do
    with=$(measure tree) || exit 1
    without=$(measure empty) || exit 1
    echo "cargo check, 1,011-node tree ($shape): ${with} ms; same crate without the tree: ${without} ms; the tree costs $((with - without)) ms (median of 5)"
done
