//! The macro never panics, and what it gives is always a Rust file: valid trees mutated token by
//! token, and token soup, all end in an expansion or in errors, either of which parses as a
//! `syn::File`. The one exception is a start expression that is not a Rust expression: it
//! passes through as opaque tokens, and rustc reports it at the user's tokens.

use proptest::prelude::*;

const CORPUS: &[&str] = &[
    include_str!("../tests/expand/readme.rs"),
    include_str!("../tests/expand/policies.rs"),
    include_str!("../tests/expand/dynamic_root.rs"),
    include_str!("../tests/expand/minimal.rs"),
    include_str!("../tests/expand/detection.rs"),
    include_str!("../tests/expand/pool.rs"),
];

/// Tokens the grammar uses, and some it does not; every option of the grammar's table is added.
const WORDS: &[&str] = &[
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
    "counts",
    "ignored",
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
    "r#db",
    "r#type",
    "r#App",
    "r#api",
    "decider",
    "health",
    "heartbeat",
    "depends_on",
    "probe",
    "phi",
    "interval",
    "threshold",
    "breakers",
    "breaker",
    "failure_threshold",
    "pool",
    "size",
    "route",
    "overflow",
    "key_hash",
    "broadcast",
    "least_loaded",
    "round_robin",
    "reject",
    "drop_newest",
    "drop_oldest",
    "wait",
    "state",
    "bind",
    "Self",
    "self",
    "'x'",
    "b\"y\"",
    "1u8",
    "1e3",
    "r#\"raw\"#",
    "(())",
    "[[]]",
    // Keywords, closures, literals of every kind, lifetimes, nested groups, stray punctuation.
    "async",
    "move",
    "fn",
    "impl",
    "match",
    "where",
    "|",
    "||",
    "ctx",
    "|ctx|",
    "r#move",
    "r#async",
    "1i64",
    "0x1F",
    "0b1010",
    "1.0e-3f64",
    "b'a'",
    "c\"c\"",
    "br\"b\"",
    "'static",
    "'_",
    "{ { } }",
    "((a, b))",
    "[1; 3]",
    "(x)[y]{z}",
    "#",
    "!",
    "?",
    ";",
    "&",
    "*",
    ".",
    "..",
    "=>",
    "->",
    "@",
    "$",
    "~",
    // Numbers at their extremes, values with commas of their own, every node kind anywhere.
    "1e999",
    "-1e999",
    "-0.0",
    "-1.0",
    "NaN",
    "18446744073709551616",
    "multiplier",
    "jitter",
    "reset_timeout",
    "max_reset_timeout",
    "call_timeout",
    "mailbox_capacity",
    "HashMap<String, u64>",
    "Result<u32, String>",
    "pick::<A, B>",
    "|m: &Msg| m.id",
    "|m: Msg, n: u8| (m, n)",
    "r#type: one_for_one { a: worker(run) }",
    "r#match: pool(size = 2) { worker(run) [mailbox = u8] }",
    "dynamic { worker(run) }",
    "pool(size = 1) { from_worker(W) [mailbox = u8] }",
];

/// [`WORDS`], every option the grammar's table has and every former key, so that a new option
/// is mutated in too.
static VOCABULARY: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    let mut words = WORDS.to_vec();
    let names = crate::grammar::OPTIONS.iter().map(|o| o.name);
    let former = crate::grammar::RENAMED.iter().map(|(old, _)| *old);
    for name in names.chain(former) {
        if !words.contains(&name) {
            words.push(name);
        }
    }
    words
});

/// Lexes `src` into a token stream and runs the whole macro on it.
fn run(src: &str) -> Option<proc_macro2::TokenStream> {
    let tokens: proc_macro2::TokenStream = src.parse().ok()?;
    Some(crate::tree(tokens))
}

/// The property: the output is a Rust file, unless one of the input's start expressions is not
/// a Rust expression.
fn is_rust_or_bad_start(input: &proc_macro2::TokenStream, out: proc_macro2::TokenStream) -> bool {
    syn::parse2::<syn::File>(out).is_ok() || has_bad_start_expression(input)
}

fn has_bad_start_expression(input: &proc_macro2::TokenStream) -> bool {
    fn bad(node: &crate::parse::NodeAst) -> bool {
        let kind = node.kind.to_string();
        let start = (kind == "worker" || kind == "from_worker")
            .then_some(node.args.as_ref())
            .flatten()
            .and_then(|a| {
                crate::values::split_top_level_commas(&a.tokens)
                    .into_iter()
                    .next()
            })
            .filter(|e| !e.is_empty());
        start.is_some_and(|e| syn::parse2::<syn::Expr>(e).is_err())
            || node
                .children
                .as_ref()
                .is_some_and(|c| c.nodes.iter().any(bad))
    }
    syn::parse2::<crate::parse::TreeAst>(input.clone()).is_ok_and(|t| bad(&t.root))
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

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

proptest! {
    // 3,000 cases per property by default; `PROPTEST_CASES=1000000` for a long run.
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_trees_never_panic(which in 0..CORPUS.len(), edits in prop::collection::vec(edit(), 1..6)) {
        let mutated = apply(words(CORPUS[which]), &edits).join(" ");
        if let (Ok(input), Some(out)) = (mutated.parse(), run(&mutated)) {
            prop_assert!(is_rust_or_bad_start(&input, out.clone()), "{mutated}\n=> {out}");
        }
    }

    #[test]
    fn token_soup_never_panics(picks in prop::collection::vec(any::<usize>(), 0..40)) {
        let soup: Vec<&str> = picks.iter().map(|p| VOCABULARY[p % VOCABULARY.len()]).collect();
        let soup = soup.join(" ");
        if let (Ok(input), Some(out)) = (soup.parse(), run(&soup)) {
            prop_assert!(is_rust_or_bad_start(&input, out.clone()), "{soup}\n=> {out}");
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

/// Every identifier of every corpus tree written raw: a mutation would rarely hit the few places
/// where a raw identifier once made the macro panic (a nested supervisor's id, the tree's name).
#[test]
fn raw_identifiers_anywhere_never_panic() {
    use proc_macro2::{Group, Ident, TokenStream, TokenTree};

    /// Rewrites the `target`-th identifier (or all of them, for `None`) as a raw identifier.
    fn raw(stream: TokenStream, target: Option<usize>, seen: &mut usize) -> TokenStream {
        stream
            .into_iter()
            .map(|tt| match tt {
                TokenTree::Group(g) => {
                    let inner = raw(g.stream(), target, seen);
                    let mut group = Group::new(g.delimiter(), inner);
                    group.set_span(g.span());
                    TokenTree::Group(group)
                }
                TokenTree::Ident(i) => {
                    let n = *seen;
                    *seen += 1;
                    let name = i.to_string();
                    // `self`, `super`, `crate`, `Self` and `_` have no raw form.
                    let rawable = !["self", "super", "crate", "Self", "_"].contains(&name.as_str())
                        && !name.starts_with("r#");
                    if rawable && target.is_none_or(|t| t == n) {
                        TokenTree::Ident(Ident::new_raw(&name, i.span()))
                    } else {
                        TokenTree::Ident(i)
                    }
                }
                other => other,
            })
            .collect()
    }

    for src in CORPUS {
        let tokens: TokenStream = src.parse().expect("corpus lexes");
        let mut count = 0;
        let all = raw(tokens.clone(), None, &mut count);
        let _ = crate::tree(all);
        for target in 0..count {
            let one = raw(tokens.clone(), Some(target), &mut 0);
            let out = crate::tree(one.clone());
            assert!(
                is_rust_or_bad_start(&one, out.clone()),
                "not a Rust file: {out}"
            );
        }
    }
}
