//! The macro never panics: valid trees mutated token by token, and token soup, all end in an
//! expansion or in errors.

use proptest::prelude::*;

const CORPUS: &[&str] = &[
    include_str!("../tests/expand/readme.rs"),
    include_str!("../tests/expand/policies.rs"),
    include_str!("../tests/expand/dynamic_root.rs"),
    include_str!("../tests/expand/minimal.rs"),
];

/// Tokens the grammar uses, and some it does not.
const VOCABULARY: &[&str] = &[
    "worker",
    "from_worker",
    "one_for_one",
    "one_for_all",
    "rest_for_one",
    "dynamic",
    "restart",
    "shutdown",
    "significant",
    "backoff",
    "mailbox",
    "args",
    "max_restarts",
    "within",
    "auto_shutdown",
    "max_children",
    "exponential",
    "linear",
    "fixed",
    "none",
    "permanent",
    "transient",
    "temporary",
    "brutal_kill",
    "infinity",
    "=",
    ",",
    ":",
    "::",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    "-",
    "0",
    "5s",
    "250ms",
    "1.5",
    "-1",
    "0s",
    "99999999999999999999",
    "1h",
    "5x",
    "App",
    "app",
    "db",
    "type",
    "join",
    "pub",
    "/// doc",
    "#[x]",
    "'a",
    "\"s\"",
    "true",
];

/// Lexes `src` into a token stream and runs the whole macro on it.
fn run(src: &str) -> Option<proc_macro2::TokenStream> {
    let tokens: proc_macro2::TokenStream = src.parse().ok()?;
    Some(crate::tree(tokens))
}

fn words(src: &str) -> Vec<String> {
    // Splitting on whitespace and around punctuation is enough to mutate meaningfully.
    let mut out = Vec::new();
    for w in src.split_whitespace() {
        let mut cur = String::new();
        for c in w.chars() {
            if "()[]{},:=<>".contains(c) {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(c.to_string());
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Duplicate(usize, usize),
    Insert(usize, usize),
    Replace(usize, usize),
    Swap(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1..6usize).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), 1..6usize).prop_map(|(a, n)| Edit::Duplicate(a, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, v)| Edit::Insert(a, v)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, v)| Edit::Replace(a, v)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
    ]
}

fn apply(mut w: Vec<String>, edits: &[Edit]) -> Vec<String> {
    for e in edits {
        if w.is_empty() {
            break;
        }
        let len = w.len();
        match *e {
            Edit::Delete(a, n) => {
                let a = a % len;
                w.drain(a..(a + n).min(len));
            }
            Edit::Duplicate(a, n) => {
                let a = a % len;
                let part: Vec<String> = w[a..(a + n).min(len)].to_vec();
                w.splice(a..a, part);
            }
            Edit::Insert(a, v) => w.insert(a % (len + 1), VOCABULARY[v % VOCABULARY.len()].into()),
            Edit::Replace(a, v) => w[a % len] = VOCABULARY[v % VOCABULARY.len()].into(),
            Edit::Swap(a, b) => w.swap(a % len, b % len),
        }
    }
    w
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_trees_never_panic(which in 0..CORPUS.len(), edits in prop::collection::vec(edit(), 1..6)) {
        let mutated = apply(words(CORPUS[which]), &edits).join(" ");
        if let Some(out) = run(&mutated) {
            prop_assert!(!out.is_empty());
        }
    }

    #[test]
    fn token_soup_never_panics(picks in prop::collection::vec(any::<usize>(), 0..40)) {
        let soup: Vec<&str> = picks.iter().map(|p| VOCABULARY[p % VOCABULARY.len()]).collect();
        if let Some(out) = run(&soup.join(" ")) {
            prop_assert!(!out.is_empty());
        }
    }
}

#[test]
fn the_corpus_itself_expands_without_errors() {
    for src in CORPUS {
        let out = run(src).expect("lexes").to_string();
        assert!(!out.contains("compile_error"), "{out}");
    }
}
