//! The whole tree's rules, in one place: every error is collected, then all are reported at once,
//! each at the token it is about.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, Lit, Token, Type, Visibility};

use crate::parse::{
    as_call, first_span, tokens_span, Args, NodeAst, OptionAst, Options, Param, TreeAst,
};
use crate::suggest::{did_you_mean, snake_case, upper_camel_case};
use syn::ext::IdentExt;

/// Errors collected over the whole tree.
#[derive(Default)]
pub struct Errors {
    list: Vec<syn::Error>,
    /// Set by an error that changes the tree's shape or names (a child left out, an id or a
    /// type name that cannot be generated): the tree as checked cannot be expanded then.
    shape: bool,
}

impl Errors {
    /// An error about a value: the tree keeps its shape, with a default in its place.
    pub fn at(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.list.push(syn::Error::new(span, msg));
    }

    /// An error about the tree's shape or names.
    pub fn shape_at(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.shape = true;
        self.at(span, msg);
    }

    /// An error with a "did you mean" when `got` is close to one of `expected`.
    fn unknown(&mut self, span: Span, what: &str, got: &str, expected: &[&str]) {
        let list = expected
            .iter()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut msg = format!("unknown {what} `{got}`; expected one of {list}");
        if let Some(s) = did_you_mean(got, expected) {
            msg.push_str(&format!("\n  help: did you mean `{s}`?"));
        }
        self.at(span, msg);
    }

    pub fn finish(self) -> Result<(), syn::Error> {
        let mut iter = self.list.into_iter();
        match iter.next() {
            None => Ok(()),
            Some(mut first) => {
                first.extend(iter);
                Err(first)
            }
        }
    }
}

// The checked model ----------------------------------------------------------------------

pub struct Tree {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub params: Vec<Param>,
    pub root: Sup,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Strategy {
    OneForOne,
    OneForAll,
    RestForOne,
    Dynamic,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AutoShutdown {
    Never,
    AnySignificant,
    AllSignificant,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Restart {
    Permanent,
    Transient,
    Temporary,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shutdown {
    BrutalKill,
    Infinity,
    /// Nanoseconds.
    Timeout(u64),
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum BackoffKind {
    Fixed(u64),
    Linear(u64, u64, u64),
    Exponential {
        initial: u64,
        max: u64,
        multiplier: Option<f64>,
        jitter: Option<f64>,
    },
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Backoff {
    pub kind: BackoffKind,
    pub reset_after: Option<u64>,
}

pub struct Sup {
    pub id: String,
    pub strategy: Strategy,
    pub max_restarts: Option<u32>,
    /// Nanoseconds.
    pub within: Option<u64>,
    pub auto_shutdown: AutoShutdown,
    pub max_children: Option<u64>,
    pub children: Vec<Child>,
    pub template: Option<Box<Child>>,
}

pub enum Body {
    /// `worker(f)`: f is called with the context for every incarnation.
    Worker {
        expr: TokenStream,
        span: Span,
    },
    /// `from_worker(expr)`: expr makes a fresh `Worker` for every incarnation.
    FromWorker {
        expr: TokenStream,
        span: Span,
    },
    Sup(Sup),
}

pub struct Child {
    pub docs: Vec<Attribute>,
    pub id: Ident,
    pub body: Body,
    pub restart: Restart,
    pub shutdown: Option<Shutdown>,
    pub significant: bool,
    pub backoff: Option<Backoff>,
    pub mailbox: Option<Type>,
    pub mailbox_capacity: Option<u64>,
    pub args: Option<Type>,
}

// Vocabulary -----------------------------------------------------------------------------

/// What a tree's root may be.
const SUPERVISOR_KINDS: &[&str] = &["one_for_one", "one_for_all", "rest_for_one", "dynamic"];

const NODE_KINDS: &[&str] = &[
    "worker",
    "from_worker",
    "one_for_one",
    "one_for_all",
    "rest_for_one",
    "dynamic",
];
const SUP_OPTIONS: &[&str] = &["max_restarts", "within", "auto_shutdown"];
const DYNAMIC_OPTIONS: &[&str] = &["max_restarts", "within", "max_children"];
const CHILD_OPTIONS: &[&str] = &[
    "restart",
    "shutdown",
    "significant",
    "backoff",
    "mailbox",
    "mailbox_capacity",
    "args",
];
const RESTARTS: &[&str] = &["permanent", "transient", "temporary"];
const AUTO_SHUTDOWNS: &[&str] = &["never", "any_significant", "all_significant"];
const SHUTDOWNS: &[&str] = &["brutal_kill", "infinity", "<duration>"];
const BACKOFFS: &[&str] = &["none", "fixed", "linear", "exponential"];
const UNITS: &[&str] = &["ns", "us", "ms", "s", "m", "h"];

/// Names a child may not take, because its accessor would clash with, or silently shadow, a
/// method the generated handle types have: their own (`start_child`, `supervisor`, the private
/// `bind`), those of the runtime's `TreeHandle` (`handle`, `join`, `shutdown`, ...) and of
/// `SupervisorRef` reached through `Deref`, and those of the traits they implement. A test
/// proves the runtime's handles have no public method missing here.
pub const RESERVED_IDS: &[&str] = &[
    // Generated.
    "bind",
    "handle",
    "join",
    "shutdown",
    "start_child",
    "supervisor",
    // `SupervisorHandle`.
    "root",
    "subscribe",
    "shutdown_token",
    // `SupervisorRef`.
    "path",
    "id",
    "which_children",
    "count_children",
    "restart_history",
    "terminate_child",
    "restart_child",
    "delete_child",
    "child",
    "dynamic",
    // Traits: `Clone`, `Debug`, `Deref`.
    "clone",
    "clone_from",
    "fmt",
    "deref",
];

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

// The checker ----------------------------------------------------------------------------

/// Checks the whole tree. On errors, it gives them all, and the tree as well when every error is
/// about a value (the tree is then complete, with defaults where values were wrong): expanding
/// it keeps every generated item, so that the user's mistakes are the only errors.
pub fn check(ast: TreeAst) -> Result<Tree, (syn::Error, Option<Box<Tree>>)> {
    let mut errors = Errors::default();
    let name = unraw(&ast.name);
    if !is_upper_camel(&name) {
        errors.shape_at(
            ast.name.span(),
            format!(
                "tree name `{name}` is not UpperCamelCase\n  help: did you mean `{}`?",
                upper_camel_case(&name)
            ),
        );
    }
    let mut seen: HashMap<String, Span> = HashMap::new();
    for p in &ast.params {
        let n = p.name.to_string();
        if let Some(first) = seen.get(&n) {
            errors.shape_at(p.name.span(), format!("duplicate tree parameter `{n}`"));
            errors.at(*first, format!("`{n}` is first declared here"));
        } else {
            seen.insert(n, p.name.span());
        }
    }
    if let Some(opts) = &ast.root.options {
        let keys: Vec<String> = opts.items.iter().map(|o| o.key.to_string()).collect();
        errors.at(
            opts.span,
            format!(
                "the root supervisor has no parent, so child options ({}) do not apply to it",
                keys.join(", ")
            ),
        );
    }
    if name == "Self" {
        errors.shape_at(
            ast.name.span(),
            "`Self` cannot name a tree: the tree's name becomes a type, and `Self` is taken",
        );
    }
    let root_id = snake_case(&name);
    let root = match check_sup(&ast.root, root_id, ast.name.span(), &mut errors) {
        Some(s) => Some(s),
        None => {
            let kind = ast.root.kind.to_string();
            let mut msg = format!(
                "the root of a tree is a supervisor: `one_for_one`, `one_for_all`, `rest_for_one` or `dynamic`, not `{kind}`"
            );
            if let Some(s) = did_you_mean(&kind, SUPERVISOR_KINDS) {
                msg.push_str(&format!("\n  help: did you mean `{s}`?"));
            }
            errors.shape_at(ast.root.kind.span(), msg);
            None
        }
    };
    if let Some(root) = &root {
        check_handle_type_names(&name, root, &mut errors);
    }
    let shape_ok = !errors.shape;
    let tree = root.map(|root| Tree {
        attrs: ast.attrs,
        vis: ast.vis,
        name: ast.name.clone(),
        params: ast.params,
        root,
    });
    match (errors.finish(), tree) {
        (Ok(()), Some(tree)) => Ok(tree),
        (Ok(()), None) => Err((syn::Error::new(ast.name.span(), "invalid tree"), None)),
        (Err(e), tree) => Err((e, tree.filter(|_| shape_ok).map(Box::new))),
    }
}

fn strategy_of(kind: &Ident) -> Option<Strategy> {
    Some(match kind.to_string().as_str() {
        "one_for_one" => Strategy::OneForOne,
        "one_for_all" => Strategy::OneForAll,
        "rest_for_one" => Strategy::RestForOne,
        "dynamic" => Strategy::Dynamic,
        _ => return None,
    })
}

/// A supervisor node; `None` when the node is not a supervisor at all.
fn check_sup(node: &NodeAst, id: String, span: Span, errors: &mut Errors) -> Option<Sup> {
    let strategy = strategy_of(&node.kind)?;
    let mut sup = Sup {
        id,
        strategy,
        max_restarts: None,
        within: None,
        auto_shutdown: AutoShutdown::Never,
        max_children: None,
        children: Vec::new(),
        template: None,
    };
    let mut auto_span = None;
    if let Some(args) = &node.args {
        let allowed = if strategy == Strategy::Dynamic {
            DYNAMIC_OPTIONS
        } else {
            SUP_OPTIONS
        };
        let mut seen: HashMap<String, Span> = HashMap::new();
        for opt in sup_options(args, errors) {
            if !given_once(&mut seen, &opt.key, errors) {
                continue;
            }
            let key = opt.key.to_string();
            let value = opt.value.as_ref();
            match key.as_str() {
                k if !allowed.contains(&k) => {
                    if CHILD_OPTIONS.contains(&k) {
                        errors.at(
                            opt.key.span(),
                            format!("`{k}` is a child option: write it in `[..]` after the supervisor's `(..)`"),
                        );
                    } else if k == "max_children" {
                        errors.at(
                            opt.key.span(),
                            "`max_children` applies only to `dynamic` supervisors",
                        );
                    } else if k == "auto_shutdown" {
                        errors.at(
                            opt.key.span(),
                            "`auto_shutdown` does not apply to a dynamic supervisor: its children cannot be significant",
                        );
                    } else {
                        errors.unknown(opt.key.span(), "supervisor option", k, allowed);
                    }
                }
                "max_restarts" => {
                    if let Some(v) = need_value(&opt, errors) {
                        sup.max_restarts =
                            integer(v, &key, u32::MAX as u64, errors).map(|n| n as u32);
                    }
                }
                "within" => {
                    if let Some(v) = need_value(&opt, errors) {
                        if let Some(d) = duration(v, errors) {
                            if d == 0 {
                                errors.at(
                                    tokens_span(v),
                                    "the period `within` must be greater than zero",
                                );
                            }
                            sup.within = Some(d);
                        }
                    }
                }
                "auto_shutdown" => {
                    auto_span = Some(opt.key.span());
                    if let Some(word) =
                        value.and_then(|v| word(v, "auto_shutdown", AUTO_SHUTDOWNS, errors))
                    {
                        sup.auto_shutdown = match word.as_str() {
                            "any_significant" => AutoShutdown::AnySignificant,
                            "all_significant" => AutoShutdown::AllSignificant,
                            _ => AutoShutdown::Never,
                        };
                    } else if value.is_none() {
                        need_value(&opt, errors);
                    }
                }
                "max_children" => {
                    if let Some(v) = need_value(&opt, errors) {
                        if let Some(n) = integer(v, &key, u32::MAX as u64, errors) {
                            if n == 0 {
                                errors.at(tokens_span(v), "max_children must be at least 1");
                            }
                            sup.max_children = Some(n);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let Some(children) = &node.children else {
        errors.at(
            node.span(),
            format!(
                "supervisor `{}` needs its children in braces: `{} {{ .. }}`",
                sup.id, node.kind
            ),
        );
        return Some(sup);
    };
    for e in &children.errors {
        // A child that did not parse is left out: the tree's shape is not the one written.
        errors.shape = true;
        errors.list.push(e.clone());
    }
    if strategy == Strategy::Dynamic {
        for (i, t) in children.nodes.iter().enumerate() {
            if i > 0 {
                errors.shape_at(
                    t.span(),
                    format!(
                        "dynamic supervisor `{}` has exactly one template; this is a second",
                        sup.id
                    ),
                );
                continue;
            }
            if let Some(id) = &t.id {
                errors.at(
                    id.span(),
                    "a dynamic supervisor's template has no id: its children get numbers as ids",
                );
            }
            let tid = Ident::new("template", t.kind.span());
            if let Some(mut c) = check_child(t, tid, Place::Template, sup.auto_shutdown, errors) {
                if c.significant {
                    errors.at(
                        significant_span(t),
                        format!(
                            "the template of dynamic supervisor `{}` cannot be significant",
                            sup.id
                        ),
                    );
                    // Rejected: not part of the tree that is still expanded.
                    c.significant = false;
                }
                sup.template = Some(Box::new(c));
            }
        }
        if children.nodes.is_empty() && children.errors.is_empty() {
            errors.shape_at(
                children.span,
                format!(
                    "dynamic supervisor `{}` needs one template, as in `dynamic {{ worker(path::to::run) }}`",
                    sup.id
                ),
            );
        }
        return Some(sup);
    }
    if children.nodes.is_empty() && children.errors.is_empty() {
        errors.at(
            children.span,
            format!("supervisor `{}` has no children", sup.id),
        );
    }
    let mut ids: HashMap<String, Span> = HashMap::new();
    for c in &children.nodes {
        let Some(id) = &c.id else {
            errors.shape_at(
                c.kind.span(),
                format!("child needs an id, as in `name: {}(..)`", c.kind),
            );
            continue;
        };
        let name = unraw(id);
        check_id(id, errors);
        if let Some(first) = ids.get(&name) {
            errors.shape_at(
                id.span(),
                format!("duplicate child id `{name}` in supervisor `{}`", sup.id),
            );
            errors.at(*first, format!("`{name}` is first declared here"));
        } else {
            ids.insert(name, id.span());
        }
        if let Some(child) = check_child(c, id.clone(), Place::Child, sup.auto_shutdown, errors) {
            sup.children.push(child);
        }
    }
    if sup.auto_shutdown != AutoShutdown::Never && !sup.children.iter().any(|c| c.significant) {
        errors.at(
            auto_span.unwrap_or(span),
            format!(
                "auto_shutdown is set on `{}` but no child is significant; mark one `[significant, restart = transient]`",
                sup.id
            ),
        );
    }
    Some(sup)
}

fn sup_options(args: &Args, errors: &mut Errors) -> Vec<OptionAst> {
    let parser = Punctuated::<OptionAst, Token![,]>::parse_terminated;
    match parser.parse2(args.tokens.clone()) {
        Ok(list) => list.into_iter().collect(),
        Err(e) => {
            errors.list.push(e);
            Vec::new()
        }
    }
}

/// `tokens` cut at its top-level commas: not inside a group, not between the pipes of a
/// closure's parameters (`|a, b|`), not inside a turbofish (`f::<A, B>`).
fn split_top_level_commas(tokens: &TokenStream) -> Vec<TokenStream> {
    let mut parts = vec![TokenStream::new()];
    let mut in_pipes = false;
    let mut angles = 0usize;
    let mut colons = 0usize;
    for tt in tokens.clone() {
        if let TokenTree::Punct(p) = &tt {
            match p.as_char() {
                '|' => in_pipes = !in_pipes,
                '<' if colons >= 2 || angles > 0 => angles += 1,
                '>' if angles > 0 => angles -= 1,
                ',' if !in_pipes && angles == 0 => {
                    parts.push(TokenStream::new());
                    colons = 0;
                    continue;
                }
                _ => {}
            }
            colons = if p.as_char() == ':' { colons + 1 } else { 0 };
        } else {
            colons = 0;
        }
        if let Some(last) = parts.last_mut() {
            last.extend(std::iter::once(tt));
        }
    }
    parts
}

/// The name of the handle type of the nested supervisor at `path` (ids below the root), as the
/// expansion writes it: the tree's name, then each id in UpperCamelCase.
pub(crate) fn handle_type_name(tree: &str, path: &[&str]) -> String {
    let mut name = tree.to_owned();
    for id in path {
        name.push_str(&upper_camel_case(id));
    }
    name
}

/// Two nested supervisors whose handle types would have the same name (`a_b` beside `a { b }`
/// both make `AppAB`): an error at the second, with a note at the first.
fn check_handle_type_names(tree: &str, root: &Sup, errors: &mut Errors) {
    fn walk<'a>(
        tree: &str,
        sup: &'a Sup,
        path: &mut Vec<&'a str>,
        seen: &mut HashMap<String, (Span, String)>,
        errors: &mut Errors,
    ) {
        for child in &sup.children {
            let Body::Sup(inner) = &child.body else {
                continue;
            };
            path.push(&inner.id);
            let ty = handle_type_name(tree, path);
            let here = path.join("/");
            if let Some((first, first_path)) = seen.get(&ty) {
                errors.shape_at(
                    child.id.span(),
                    format!(
                        "the handle type of supervisor `{here}` would be `{ty}`, the same as that of `{first_path}`; rename one of them"
                    ),
                );
                errors.at(*first, format!("`{first_path}` is declared here"));
            } else {
                seen.insert(ty, (child.id.span(), here));
            }
            walk(tree, inner, path, seen, errors);
            path.pop();
        }
    }
    walk(tree, root, &mut Vec::new(), &mut HashMap::new(), errors);
}

/// The name an identifier stands for: `r#type` is `type`. Raw identifiers are accepted
/// everywhere a name is: the id is the bare name, and accessors keep the raw spelling.
pub(crate) fn unraw(id: &Ident) -> String {
    id.unraw().to_string()
}

fn check_id(id: &Ident, errors: &mut Errors) {
    let raw = id.to_string().starts_with("r#");
    let name = unraw(id);
    let name = name.as_str();
    if KEYWORDS.contains(&name) && !raw {
        errors.shape_at(
            id.span(),
            format!(
                "child id `{name}` is a Rust keyword; ids become method names of the tree's handle\n  help: write it as a raw identifier, `r#{name}`, to keep the name"
            ),
        );
    } else if !is_snake(name) {
        errors.shape_at(
            id.span(),
            format!(
                "child id `{name}` is not a snake_case identifier\n  help: did you mean `{}`?",
                snake_case(name)
            ),
        );
    } else if RESERVED_IDS.contains(&name) {
        errors.shape_at(
            id.span(),
            format!(
                "child id `{name}` is the name of a method the tree's handles have; its accessor would clash with it or hide it\n  help: choose another id"
            ),
        );
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Child,
    Template,
}

fn check_child(
    node: &NodeAst,
    id: Ident,
    place: Place,
    parent_auto: AutoShutdown,
    errors: &mut Errors,
) -> Option<Child> {
    let kind = node.kind.to_string();
    let docs: Vec<Attribute> = node
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .cloned()
        .collect();
    for a in node.attrs.iter().filter(|a| !a.path().is_ident("doc")) {
        errors.at(a.pound_token.span, "only doc comments may stand on a child");
    }
    let body = match kind.as_str() {
        "worker" | "from_worker" => {
            let expr = node.args.as_ref().filter(|a| !a.tokens.is_empty());
            let Some(expr) = expr else {
                let span = node.args.as_ref().map_or(node.kind.span(), |a| a.span);
                let hint = if kind == "worker" {
                    "`worker(path::to::run)`: an async fn or closure taking the `ChildContext`"
                } else {
                    "`from_worker(MyWorker::new())`: an expression making a `Worker`"
                };
                errors.shape_at(span, format!("`{id}` needs a start expression: {hint}"));
                return None;
            };
            if let Some(c) = &node.children {
                errors.at(c.span, format!("worker `{id}` cannot have children"));
            }
            // One expression; a trailing comma is allowed, as in any Rust argument list.
            let mut parts = split_top_level_commas(&expr.tokens).into_iter();
            let tokens = parts.next().unwrap_or_default();
            if let Some(extra) = parts.find(|p| !p.is_empty()) {
                errors.shape_at(
                    tokens_span(&extra),
                    format!("`{kind}(..)` takes one start expression; this is a second"),
                );
                return None;
            }
            let span = tokens_span(&tokens);
            if kind == "worker" {
                Body::Worker { expr: tokens, span }
            } else {
                Body::FromWorker { expr: tokens, span }
            }
        }
        _ => match check_sup(node, unraw(&id), id.span(), errors) {
            Some(sup) => {
                if place == Place::Template {
                    errors.shape_at(
                        node.kind.span(),
                        "a dynamic supervisor's template must be `worker(..)`",
                    );
                    return None;
                }
                Body::Sup(sup)
            }
            None => {
                errors.unknown(node.kind.span(), "node kind", &kind, NODE_KINDS);
                errors.shape = true;
                return None;
            }
        },
    };
    let mut child = Child {
        docs,
        id,
        body,
        restart: Restart::Permanent,
        shutdown: None,
        significant: false,
        backoff: None,
        mailbox: None,
        mailbox_capacity: None,
        args: None,
    };
    if let Some(opts) = &node.options {
        child_options(&mut child, opts, place, errors);
    }
    // Cross-option rules.
    if child.significant {
        if child.restart == Restart::Permanent {
            errors.at(
                significant_span(node),
                format!(
                    "significant child `{}` is permanent, so it never exits for good; make it `restart = transient` or `temporary`",
                    child.id
                ),
            );
        } else if parent_auto == AutoShutdown::Never && place == Place::Child {
            errors.at(
                significant_span(node),
                format!(
                    "significant child `{}` under a supervisor with auto_shutdown never; set `auto_shutdown = any_significant` or `all_significant` on its supervisor",
                    child.id
                ),
            );
        }
    }
    if child.restart == Restart::Temporary && child.backoff.is_some() {
        errors.at(
            option_span(node, "backoff"),
            format!(
                "backoff on temporary child `{}`, which is never restarted",
                child.id
            ),
        );
    }
    Some(child)
}

fn significant_span(node: &NodeAst) -> Span {
    option_span(node, "significant")
}

fn option_span(node: &NodeAst, key: &str) -> Span {
    node.options
        .as_ref()
        .and_then(|o| o.items.iter().find(|i| i.key == key))
        .map_or(node.span(), |i| i.key.span())
}

/// An option may be given once: a second one is an error at it, with a note at the first.
/// `false` for the second and later.
fn given_once(seen: &mut HashMap<String, Span>, key: &Ident, errors: &mut Errors) -> bool {
    let name = key.to_string();
    if let Some(first) = seen.get(&name) {
        errors.at(key.span(), format!("option `{name}` given twice"));
        errors.at(*first, format!("`{name}` is first given here"));
        return false;
    }
    seen.insert(name, key.span());
    true
}

fn child_options(child: &mut Child, opts: &Options, place: Place, errors: &mut Errors) {
    let mut seen: HashMap<String, Span> = HashMap::new();
    let is_sup = matches!(child.body, Body::Sup(_));
    for opt in &opts.items {
        if !given_once(&mut seen, &opt.key, errors) {
            continue;
        }
        let key = opt.key.to_string();
        match key.as_str() {
            "restart" => {
                if let Some(w) = opt
                    .value
                    .as_ref()
                    .and_then(|v| word(v, "restart type", RESTARTS, errors))
                {
                    child.restart = match w.as_str() {
                        "transient" => Restart::Transient,
                        "temporary" => Restart::Temporary,
                        _ => Restart::Permanent,
                    };
                } else if opt.value.is_none() {
                    need_value(opt, errors);
                }
            }
            "shutdown" => {
                if let Some(v) = need_value(opt, errors) {
                    child.shutdown = shutdown(v, errors);
                }
            }
            "significant" => match &opt.value {
                None => child.significant = true,
                Some(v) => match single_lit(v) {
                    Some(Lit::Bool(b)) => child.significant = b.value,
                    _ => errors.at(
                        tokens_span(v),
                        "`significant` takes `true` or `false`, or no value",
                    ),
                },
            },
            "backoff" => {
                if let Some(v) = need_value(opt, errors) {
                    child.backoff = backoff(v, errors);
                }
            }
            "mailbox" | "args" => {
                if key == "mailbox" && is_sup {
                    errors.at(
                        opt.key.span(),
                        "a supervisor has no mailbox; `mailbox` applies to workers",
                    );
                    continue;
                }
                if key == "args" && place != Place::Template {
                    errors.at(
                        opt.key.span(),
                        "`args` applies only to a dynamic supervisor's template, whose children get arguments from `start_child`",
                    );
                    continue;
                }
                if let Some(v) = need_value(opt, errors) {
                    match syn::parse2::<Type>(v.clone()) {
                        Ok(ty) if key == "mailbox" => child.mailbox = Some(ty),
                        Ok(ty) => child.args = Some(ty),
                        Err(e) => errors.shape_at(e.span(), format!("`{key}` takes a type: {e}")),
                    }
                }
            }
            "mailbox_capacity" => {
                if is_sup {
                    errors.at(
                        opt.key.span(),
                        "a supervisor has no mailbox; `mailbox_capacity` applies to workers",
                    );
                    continue;
                }
                if let Some(v) = need_value(opt, errors) {
                    if let Some(n) = integer(v, &key, u32::MAX as u64, errors) {
                        if n == 0 {
                            errors.at(tokens_span(v), "mailbox_capacity must be at least 1");
                        }
                        child.mailbox_capacity = Some(n);
                    }
                }
            }
            k if SUP_OPTIONS.contains(&k) || DYNAMIC_OPTIONS.contains(&k) => {
                errors.at(
                    opt.key.span(),
                    if is_sup {
                        format!("`{k}` is a supervisor option: write it in the `(..)` after the strategy")
                    } else {
                        format!("`{k}` is a supervisor option and does not apply to worker `{}`", child.id)
                    },
                );
            }
            k => errors.unknown(opt.key.span(), "child option", k, CHILD_OPTIONS),
        }
    }
}

fn need_value<'a>(opt: &'a OptionAst, errors: &mut Errors) -> Option<&'a TokenStream> {
    if opt.value.is_none() {
        errors.at(
            opt.key.span(),
            format!("`{}` needs a value: `{} = ..`", opt.key, opt.key),
        );
    }
    opt.value.as_ref()
}

fn single_lit(tokens: &TokenStream) -> Option<Lit> {
    let mut iter = tokens.clone().into_iter();
    let tt = iter.next()?;
    if iter.next().is_some() {
        return None;
    }
    match tt {
        TokenTree::Literal(l) => Some(Lit::new(l)),
        TokenTree::Ident(i) if i == "true" || i == "false" => {
            Some(Lit::Bool(syn::LitBool::new(i == "true", i.span())))
        }
        _ => None,
    }
}

fn single_ident(tokens: &TokenStream) -> Option<Ident> {
    let mut iter = tokens.clone().into_iter();
    match (iter.next(), iter.next()) {
        (Some(TokenTree::Ident(i)), None) => Some(i),
        _ => None,
    }
}

fn word(
    tokens: &TokenStream,
    what: &str,
    expected: &[&str],
    errors: &mut Errors,
) -> Option<String> {
    match single_ident(tokens) {
        Some(i) => {
            let w = i.to_string();
            if expected.contains(&w.as_str()) {
                Some(w)
            } else {
                errors.unknown(i.span(), what, &w, expected);
                None
            }
        }
        None => {
            let list = expected
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ");
            errors.at(
                tokens_span(tokens),
                format!("expected a {what}: one of {list}"),
            );
            None
        }
    }
}

fn integer(tokens: &TokenStream, what: &str, max: u64, errors: &mut Errors) -> Option<u64> {
    let fail = |errors: &mut Errors| {
        errors.at(
            tokens_span(tokens),
            format!("`{what}` must be a non-negative integer no larger than {max}"),
        );
        None
    };
    match single_lit(tokens) {
        Some(Lit::Int(i)) if i.suffix().is_empty() => match i.base10_parse::<u64>() {
            Ok(n) if n <= max => Some(n),
            _ => fail(errors),
        },
        _ => fail(errors),
    }
}

fn float(tokens: &TokenStream, what: &str, errors: &mut Errors) -> Option<f64> {
    let value = match single_lit(tokens) {
        Some(Lit::Float(f)) if f.suffix().is_empty() => f.base10_parse::<f64>().ok(),
        Some(Lit::Int(i)) if i.suffix().is_empty() => i.base10_parse::<f64>().ok(),
        _ => None,
    };
    if value.is_none() {
        errors.at(
            tokens_span(tokens),
            format!("`{what}` must be a number, as in `1.5`"),
        );
    }
    value
}

/// `250ms`, `5s`, `1.5s`, `2m`, `1h` to nanoseconds.
pub fn duration(tokens: &TokenStream, errors: &mut Errors) -> Option<u64> {
    let mut iter = tokens.clone().into_iter();
    let first = iter.next()?;
    if let TokenTree::Punct(p) = &first {
        if p.as_char() == '-' {
            errors.at(tokens_span(tokens), "a duration cannot be negative");
            return None;
        }
    }
    if let Some(second) = iter.next() {
        // `5 s`, `1.5.s`: a number and a unit, apart.
        let written: String = tokens
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let hint = match (&first, &second) {
            (TokenTree::Literal(_), TokenTree::Ident(unit))
                if UNITS.contains(&unit.to_string().as_str()) =>
            {
                format!("write the unit right after the number, with no space: `{first}{unit}`")
            }
            (_, TokenTree::Punct(p)) if p.as_char() == '.' => {
                "a duration is one number and its unit, with no dot between them, as in `1.5s`"
                    .to_string()
            }
            _ => "a duration is one number and its unit, as in `5s` or `250ms`".to_string(),
        };
        errors.at(
            tokens_span(tokens),
            format!("`{written}` is not a duration\n  help: {hint}"),
        );
        return None;
    }
    let span = first.span();
    let lit = match first {
        TokenTree::Literal(l) => Lit::new(l),
        _ => {
            errors.at(
                span,
                "expected a duration with a unit, as in `5s` or `250ms`",
            );
            return None;
        }
    };
    let (digits, suffix) = match &lit {
        Lit::Int(i) => (i.base10_digits().to_string(), i.suffix().to_string()),
        Lit::Float(f) => (f.base10_digits().to_string(), f.suffix().to_string()),
        _ => {
            errors.at(
                span,
                "expected a duration with a unit, as in `5s` or `250ms`",
            );
            return None;
        }
    };
    if suffix.is_empty() {
        errors.at(
            span,
            format!("duration `{digits}` needs a unit, as in `{digits}s` or `{digits}ms`"),
        );
        return None;
    }
    let unit: f64 = match suffix.as_str() {
        "ns" => 1.0,
        "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        other => {
            errors.unknown(span, "duration unit", other, UNITS);
            return None;
        }
    };
    // Whole numbers are converted exactly; fractions through f64 (sub-nanosecond rounding).
    let nanos = match digits.parse::<u64>() {
        Ok(n) => n.checked_mul(unit as u64),
        Err(_) => digits
            .parse::<f64>()
            .ok()
            .map(|v| v * unit)
            .filter(|v| v.is_finite() && *v < u64::MAX as f64)
            .map(|v| v.round() as u64),
    };
    // The runtime's bound (`supervisor::MAX_DURATION`): a longer one could overflow a deadline.
    const MAX_NANOS: u64 = 100 * 365 * 24 * 3600 * 1_000_000_000;
    match nanos {
        Some(n) if n <= MAX_NANOS => Some(n),
        _ => {
            errors.at(span, "duration too large: at most 100 years");
            None
        }
    }
}

fn shutdown(tokens: &TokenStream, errors: &mut Errors) -> Option<Shutdown> {
    if let Some(i) = single_ident(tokens) {
        return match i.to_string().as_str() {
            "brutal_kill" => Some(Shutdown::BrutalKill),
            "infinity" => Some(Shutdown::Infinity),
            other => {
                errors.unknown(i.span(), "shutdown value", other, SHUTDOWNS);
                None
            }
        };
    }
    duration(tokens, errors).map(Shutdown::Timeout)
}

fn backoff(tokens: &TokenStream, errors: &mut Errors) -> Option<Backoff> {
    if let Some(i) = single_ident(tokens) {
        if i == "none" {
            return None;
        }
        errors.unknown(i.span(), "backoff", &i.to_string(), BACKOFFS);
        return None;
    }
    let Some((name, inner, span)) = as_call(tokens) else {
        errors.at(
            tokens_span(tokens),
            "expected a backoff: `fixed(1s)`, `linear(100ms, 100ms, 5s)` or `exponential(100ms, 10s)`",
        );
        return None;
    };
    // Split by hand: the values are token runs (durations, numbers), not expressions.
    let mut positional: Vec<TokenStream> = Vec::new();
    let mut named: Vec<(Ident, TokenStream)> = Vec::new();
    for part in split_commas(&inner) {
        let mut iter = part.clone().into_iter();
        match (iter.next(), iter.next()) {
            (Some(TokenTree::Ident(k)), Some(TokenTree::Punct(p))) if p.as_char() == '=' => {
                named.push((k, iter.collect()));
            }
            _ => positional.push(part),
        }
    }
    let kind_name = name.to_string();
    let want = match kind_name.as_str() {
        "fixed" => 1,
        "linear" => 3,
        "exponential" => 2,
        other => {
            errors.unknown(name.span(), "backoff", other, BACKOFFS);
            return None;
        }
    };
    if positional.len() != want {
        let shape = match want {
            1 => "fixed(delay)",
            3 => "linear(initial, step, max)",
            _ => "exponential(initial, max)",
        };
        errors.at(
            span,
            format!("`{kind_name}` takes {want} duration(s): `{shape}`"),
        );
        return None;
    }
    let ds: Vec<Option<u64>> = positional.iter().map(|t| duration(t, errors)).collect();
    let mut reset_after = None;
    let mut multiplier = None;
    let mut jitter = None;
    for (k, v) in &named {
        match k.to_string().as_str() {
            "reset_after" => reset_after = duration(v, errors),
            "multiplier" if kind_name == "exponential" => {
                multiplier = float(v, "multiplier", errors);
                if let Some(m) = multiplier {
                    if m < 1.0 {
                        errors.at(tokens_span(v), "the backoff multiplier must be at least 1");
                    }
                }
            }
            "jitter" if kind_name == "exponential" => {
                jitter = float(v, "jitter", errors);
                if let Some(j) = jitter {
                    if !(0.0..=1.0).contains(&j) {
                        errors.at(tokens_span(v), "jitter must be within 0..=1");
                    }
                }
            }
            other => {
                let allowed: &[&str] = if kind_name == "exponential" {
                    &["multiplier", "jitter", "reset_after"]
                } else {
                    &["reset_after"]
                };
                errors.unknown(k.span(), &format!("`{kind_name}` option"), other, allowed);
            }
        }
    }
    let ds: Vec<u64> = ds.into_iter().collect::<Option<_>>()?;
    let kind = match kind_name.as_str() {
        "fixed" => BackoffKind::Fixed(ds[0]),
        "linear" => BackoffKind::Linear(ds[0], ds[1], ds[2]),
        _ => BackoffKind::Exponential {
            initial: ds[0],
            max: ds[1],
            multiplier,
            jitter,
        },
    };
    let (initial, max) = match kind {
        BackoffKind::Linear(i, _, m) => (i, m),
        BackoffKind::Exponential { initial, max, .. } => (initial, max),
        BackoffKind::Fixed(d) => (d, d),
    };
    if initial > max {
        let at = first_span(&positional[0]).unwrap_or(span);
        errors.at(at, "the initial backoff delay is above the maximum");
    }
    Some(Backoff { kind, reset_after })
}

fn split_commas(tokens: &TokenStream) -> Vec<TokenStream> {
    let mut parts = Vec::new();
    let mut current = TokenStream::new();
    for tt in tokens.clone() {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                parts.push(std::mem::take(&mut current));
            }
            _ => current.extend([tt]),
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

fn is_snake(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && s.chars().all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && !s.contains("__")
        && !s.ends_with('_')
}

fn is_upper_camel(s: &str) -> bool {
    matches!(s.chars().next(), Some('A'..='Z')) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod reserved_ids {
    use super::RESERVED_IDS;

    /// Public methods of the runtime's `impl` blocks for `type_name` in `src`.
    fn public_methods(src: &str, type_name: &str) -> Vec<String> {
        let file = syn::parse_file(src).expect("the runtime's source parses");
        let mut names = Vec::new();
        for item in file.items {
            let syn::Item::Impl(imp) = item else { continue };
            if imp.trait_.is_some() {
                continue;
            }
            let syn::Type::Path(p) = &*imp.self_ty else {
                continue;
            };
            if p.path.segments.last().is_none_or(|s| s.ident != type_name) {
                continue;
            }
            for it in imp.items {
                if let syn::ImplItem::Fn(f) = it {
                    if matches!(f.vis, syn::Visibility::Public(_)) {
                        names.push(f.sig.ident.to_string());
                    }
                }
            }
        }
        names
    }

    // Every public method a generated handle reaches through `Deref` is reserved: a child named
    // after one would shadow it. Read from the runtime's source, so that a method added there
    // later fails this test until it is reserved here.
    #[test]
    fn every_method_the_handles_reach_is_reserved() {
        let src = include_str!("../../supervisor-runtime/src/handle.rs");
        for ty in ["TreeHandle", "SupervisorHandle", "SupervisorRef"] {
            let methods = public_methods(src, ty);
            assert!(methods.len() > 3, "{ty}: {methods:?}");
            // Hidden helpers of the expansion (`__new`) cannot be a child's id.
            for m in methods.into_iter().filter(|m| !m.starts_with("__")) {
                assert!(
                    RESERVED_IDS.contains(&m.as_str()),
                    "`{ty}::{m}` is not reserved"
                );
            }
        }
    }

    // The same for the methods the expansion writes on the handle types: every method of a
    // generated handle that is not a child's accessor (those are named after its fields).
    #[test]
    fn every_generated_handle_method_is_reserved() {
        use std::collections::HashMap;
        let snapshots = [
            include_str!("../tests/expand/readme.expanded.rs"),
            include_str!("../tests/expand/policies.expanded.rs"),
            include_str!("../tests/expand/dynamic_root.expanded.rs"),
            include_str!("../tests/expand/minimal.expanded.rs"),
        ];
        let mut checked = 0;
        for src in snapshots {
            let file = syn::parse_file(src).expect("snapshots parse");
            let mut fields: HashMap<String, Vec<String>> = HashMap::new();
            let mut methods: Vec<(String, String)> = Vec::new();
            let mut visit = |items: &[syn::Item]| {
                for item in items {
                    match item {
                        syn::Item::Struct(st) => {
                            let names = st
                                .fields
                                .iter()
                                .filter_map(|f| f.ident.as_ref().map(|i| i.to_string()))
                                .collect();
                            fields.insert(st.ident.to_string(), names);
                        }
                        syn::Item::Impl(imp) if imp.trait_.is_none() => {
                            let syn::Type::Path(p) = &*imp.self_ty else {
                                continue;
                            };
                            let ty = p.path.segments.last().unwrap().ident.to_string();
                            for it in &imp.items {
                                if let syn::ImplItem::Fn(f) = it {
                                    methods.push((ty.clone(), f.sig.ident.to_string()));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            };
            visit(&file.items);
            // Helpers sit in `const _: () = { .. };` blocks.
            for item in &file.items {
                if let syn::Item::Const(c) = item {
                    if let syn::Expr::Block(b) = &*c.expr {
                        let items: Vec<syn::Item> = b
                            .block
                            .stmts
                            .iter()
                            .filter_map(|s| match s {
                                syn::Stmt::Item(i) => Some(i.clone()),
                                _ => None,
                            })
                            .collect();
                        visit(&items);
                    }
                }
            }
            for (ty, m) in methods {
                // Handle types hold the tree's handle or their supervisor's reference.
                let Some(f) = fields.get(&ty) else { continue };
                if !f.iter().any(|n| n == "handle" || n == "supervisor") || f.contains(&m) {
                    continue;
                }
                assert!(
                    RESERVED_IDS.contains(&m.as_str()),
                    "`{ty}::{m}` is not reserved"
                );
                checked += 1;
            }
        }
        assert!(
            checked >= 4,
            "the snapshots hold generated handle methods: {checked}"
        );
    }
}

#[cfg(test)]
mod start_expressions {
    use super::split_top_level_commas;

    fn parts(src: &str) -> Vec<String> {
        split_top_level_commas(&src.parse().unwrap())
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn commas_inside_closures_groups_and_turbofish_do_not_split() {
        assert_eq!(parts("run").len(), 1);
        assert_eq!(parts("run ,"), ["run", ""]);
        assert_eq!(parts("move | ctx , a | serve (ctx , a , p) ,").len(), 2);
        assert_eq!(parts("serve :: < A , B >").len(), 1);
        assert_eq!(parts("|| a || b").len(), 1);
        assert_eq!(parts("run , other").len(), 2);
    }
}
