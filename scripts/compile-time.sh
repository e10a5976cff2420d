#!/usr/bin/env bash
# How long `cargo check` takes on a crate holding a 1,011-node `supervision_tree!`, against the
# same crate without the tree (dependencies already built). Prints both and the difference.
set -euo pipefail
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

tree() {
    echo 'use supervisor::{supervision_tree, ChildContext};'
    echo 'async fn run(ctx: ChildContext) -> Result<(), String> { ctx.cancelled().await; Ok(()) }'
    echo 'supervision_tree! {'
    echo '  pub Big: one_for_one(max_restarts = 10, within = 10s) {'
    for a in $(seq 0 9); do
        echo "    s$a: one_for_all(max_restarts = 5, within = 5s) {"
        for b in $(seq 0 9); do
            echo "      t$b: rest_for_one {"
            for c in $(seq 0 8); do
                echo "        w$c: worker(run) [restart = transient, shutdown = 1s, backoff = exponential(10ms, 1s)],"
            done
            echo "      },"
        done
        echo "    },"
    done
    echo '  }'
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
    (cd "$dir" && cargo check --quiet 2>/dev/null || true)   # build dependencies once
    local best=""
    for _ in 1 2 3; do
        touch "$dir/src/main.rs"
        local t0 t1
        t0=$(date +%s%N)
        (cd "$dir" && cargo check --quiet)
        t1=$(date +%s%N)
        local ms=$(( (t1 - t0) / 1000000 ))
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
    done
    echo "$best"
}

with=$(measure tree)
without=$(measure empty)
echo "cargo check, 1,011-node tree: ${with} ms; same crate without the tree: ${without} ms; the tree costs $((with - without)) ms (best of 3)"
