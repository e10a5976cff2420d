//! How long the macro takes on a 1,000-node tree: a benchmark, run on demand with
//! `cargo test -p supervisor-macros --release --lib -- --ignored --nocapture compile_time`.
//! It prints figures and asserts only that the tree expands.

use std::time::{Duration, Instant};

/// A root with 10 supervisors of 10 supervisors of 9 workers: 1,011 nodes.
pub(crate) fn thousand_node_tree() -> String {
    let mut s = String::from("Big: one_for_one(max_restarts = 10, within = 10s) {\n");
    for a in 0..10 {
        s.push_str(&format!(
            "  s{a}: one_for_all(max_restarts = 5, within = 5s) {{\n"
        ));
        for b in 0..10 {
            s.push_str(&format!("    t{b}: rest_for_one {{\n"));
            for c in 0..9 {
                s.push_str(&format!(
                    "      w{c}: worker(run) [restart = transient, shutdown = 1s, backoff = exponential(10ms, 1s)],\n"
                ));
            }
            s.push_str("    },\n");
        }
        s.push_str("  },\n");
    }
    s.push_str("}\n");
    s
}

#[test]
#[ignore = "a benchmark: prints timings, run on demand"]
fn compile_time_of_a_thousand_node_tree() {
    let src = thousand_node_tree();
    let tokens: proc_macro2::TokenStream = src.parse().expect("lexes");
    let mut times: Vec<Duration> = (0..30)
        .map(|_| {
            let t = Instant::now();
            let out = crate::tree(tokens.clone());
            let elapsed = t.elapsed();
            assert!(!out.to_string().contains("compile_error"));
            elapsed
        })
        .collect();
    times.sort();
    println!(
        "supervision_tree! on 1,011 nodes: median {:?}, min {:?}, max {:?} (parse + check + expand)",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
}

#[test]
#[ignore = "a benchmark: prints timings, run on demand"]
fn compile_time_phases() {
    let src = thousand_node_tree();
    let tokens: proc_macro2::TokenStream = src.parse().expect("lexes");
    let t = Instant::now();
    let ast = syn::parse2::<crate::parse::TreeAst>(tokens).expect("parses");
    let parse = t.elapsed();
    let t = Instant::now();
    let checked = crate::check::check(ast);
    checked.errors.expect("checks");
    let tree = checked.tree.expect("a tree");
    let check = t.elapsed();
    let t = Instant::now();
    let out = crate::expand::expand(&tree, true);
    let expand = t.elapsed();
    let t = Instant::now();
    let d = crate::expand::describe_for_bench(&tree);
    let describe = t.elapsed();
    let t = Instant::now();
    let s = crate::expand::spec_for_bench(&tree);
    let spec = t.elapsed();
    drop((out, d, s));
    println!("parse {parse:?}, check {check:?}, expand {expand:?} (describe {describe:?}, spec {spec:?})");
}
