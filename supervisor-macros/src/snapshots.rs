//! Expansion snapshots: every `tests/expand/NAME.rs` input (the tokens inside
//! `supervision_tree! { .. }`) expands, formatted by prettyplease, to `NAME.expanded.rs`.
//! `UPDATE_SNAPSHOTS=1 cargo test -p supervisor-macros` rewrites them; review the diff.

use std::path::Path;

fn expand_to_string(source: &str) -> String {
    let tokens: proc_macro2::TokenStream = source.parse().expect("input tokenizes");
    let out = crate::tree(tokens);
    match syn::parse2::<syn::File>(out.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(e) => panic!("expansion does not parse: {e}\n{out}"),
    }
}

#[test]
fn expansions_match_their_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/expand exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "rs")
                && !p.to_string_lossy().ends_with(".expanded.rs")
        })
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 4, "expected at least four snapshot inputs");
    let mut mismatches = Vec::new();
    for input in inputs {
        let source = std::fs::read_to_string(&input).expect("read input");
        let got = expand_to_string(&source);
        let snapshot = input.with_extension("expanded.rs");
        if update {
            std::fs::write(&snapshot, &got).expect("write snapshot");
            continue;
        }
        let want = std::fs::read_to_string(&snapshot).unwrap_or_default();
        if got != want {
            mismatches.push(format!("{}:\n{got}", snapshot.display()));
        }
    }
    assert!(
        mismatches.is_empty(),
        "snapshots differ (UPDATE_SNAPSHOTS=1 to accept):\n{}",
        mismatches.join("\n")
    );
}
