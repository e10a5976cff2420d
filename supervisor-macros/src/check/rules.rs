//! The rules of a tree, one function each. The first doc line of each says which SEMANTICS rules
//! it enforces (or which part of the grammar) and what it requires; the table in the macro's
//! docs is this list, kept equal to it by a test, with the `tests/ui/fail` cases of each rule.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use syn::{Ident, Type};

use super::{handle_type_name, unraw};
use crate::ctxt::Ctxt;
use crate::grammar::{names, List};
use crate::model::{AutoShutdown, BackoffKind, ChildKind, Policy, Probe, Restart, StaticSup, Sup};
use crate::parse::{Children, NodeAst, OptionAst, Param};
use crate::suggest::{did_you_mean, snake_case, upper_camel_case};

// Vocabulary -----------------------------------------------------------------------------

/// What a tree's root may be.
pub(crate) const SUPERVISOR_KINDS: &[&str] =
    &["one_for_one", "one_for_all", "rest_for_one", "dynamic"];
pub(crate) const NODE_KINDS: &[&str] = &[
    "worker",
    "from_worker",
    "process",
    "one_for_one",
    "one_for_all",
    "rest_for_one",
    "dynamic",
    "pool",
];
pub(crate) const ROUTES: &[&str] = &["round_robin", "least_loaded", "key_hash", "broadcast"];
pub(crate) const OVERFLOWS: &[&str] = &["wait", "reject", "drop_newest", "drop_oldest"];
pub(crate) const RESTARTS: &[&str] = &["permanent", "transient", "temporary"];
/// How a process child's stdout is read (S20.3, S20.4).
pub(crate) const STDIO: &[&str] = &["lines", "json_rpc"];
/// What happens past a child's own budget (S18.1).
pub(crate) const ON_EXHAUSTED: &[&str] = &["escalate", "quarantine"];
/// Whether a child counts for readiness (S16.3).
pub(crate) const READINESS: &[&str] = &["counts", "ignored"];
pub(crate) const AUTO_SHUTDOWNS: &[&str] = &["never", "any_significant", "all_significant"];

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Which list of options an option stands in, and on what.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// `one_for_one(..)` and the like.
    StaticOptions,
    /// `dynamic(..)`.
    DynamicOptions,
    /// `pool(..)`.
    PoolOptions,
    /// `[..]` after a worker.
    Worker,
    /// `[..]` after a supervisor that is a child.
    Supervisor,
    /// `[..]` after a dynamic supervisor's template.
    Template,
    /// `[..]` after a pool's template.
    PoolTemplate,
    /// `[..]` after a `process(..)` child.
    Process,
}

// Names ----------------------------------------------------------------------------------

/// names: a tree's name is UpperCamelCase, as the type it becomes.
pub(crate) fn tree_name_is_upper_camel(name: &Ident, cx: &Ctxt) {
    let n = unraw(name);
    if !is_upper_camel(&n) {
        cx.shape_error_at(
            name.span(),
            format!(
                "tree name `{n}` is not UpperCamelCase\n  help: did you mean `{}`?",
                upper_camel_case(&n)
            ),
        );
    }
}

/// Whether `name` is UpperCamelCase: a capital, then letters and digits.
pub(crate) fn is_upper_camel(name: &str) -> bool {
    matches!(name.chars().next(), Some('A'..='Z'))
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// names: a tree is not named `Self`, `Super` or `Crate` (its type or its handles' module).
///
/// `Super` and `Crate` would put their handles in modules `super` and `crate`, which no module
/// can be.
/// `false` for a name no type can take (`Self`, or a keyword, which UpperCamelCase has
/// reported).
pub(crate) fn tree_name_is_not_self(name: &Ident, cx: &Ctxt) -> bool {
    if name == "Self" {
        cx.shape_error_at(
            name.span(),
            "`Self` cannot name a tree: the tree's name becomes a type, and `Self` is taken",
        );
        return false;
    }
    if name == "Super" || name == "Crate" {
        let module = name.to_string().to_lowercase();
        cx.shape_error_at(
            name.span(),
            format!("`{name}` cannot name a tree: its handles go in a module `{module}`, and `{module}` is taken"),
        );
    }
    syn::parse2::<Ident>(quote::ToTokens::to_token_stream(name)).is_ok()
}

/// names: tree parameters have distinct names.
pub(crate) fn parameters_are_unique(params: &[Param], cx: &Ctxt) {
    let mut seen: HashMap<String, Span> = HashMap::new();
    for p in params {
        let n = p.name.to_string();
        if let Some(first) = seen.get(&n) {
            cx.shape_error_at(p.name.span(), format!("duplicate tree parameter `{n}`"));
            cx.error_at(*first, format!("`{n}` is first declared here"));
        } else {
            seen.insert(n, p.name.span());
        }
    }
}

/// S1.2: a static supervisor's child has an id.
pub(crate) fn child_has_an_id<'a>(node: &'a NodeAst, cx: &Ctxt) -> Option<&'a Ident> {
    if node.id.is_none() {
        cx.shape_error_at(
            node.kind.span(),
            format!("child needs an id, as in `name: {}(..)`", node.kind),
        );
    }
    node.id.as_ref()
}

/// names: an id is snake_case, as the field it becomes.
pub(crate) fn id_is_snake_case(id: &Ident, cx: &Ctxt) -> bool {
    let name = unraw(id);
    let snake = matches!(name.chars().next(), Some('a'..='z'))
        && name
            .chars()
            .all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && !name.contains("__")
        && !name.ends_with('_');
    if !snake {
        cx.shape_error_at(
            id.span(),
            format!(
                "child id `{name}` is not a snake_case identifier\n  help: did you mean `{}`?",
                snake_case(&name)
            ),
        );
    }
    snake
}

/// names: an id that is a keyword is written raw (`r#type`).
///
/// Gives the id to use: a keyword is read as its raw form, so that its field stays; `None` for
/// `self`, `super`, `crate` and `Self`, which have none.
pub(crate) fn id_is_not_a_keyword(id: &Ident, cx: &Ctxt) -> Option<Ident> {
    let raw = id.to_string().starts_with("r#");
    let name = unraw(id);
    if KEYWORDS.contains(&name.as_str()) && !raw {
        let msg = "is a Rust keyword; ids become field names of the tree's handle\n  help:";
        let Ok(mut raw) = syn::parse_str::<Ident>(&format!("r#{name}")) else {
            cx.shape_error_at(
                id.span(),
                format!("child id `{name}` {msg} choose another id"),
            );
            return None;
        };
        cx.error_at(
            id.span(),
            format!("child id `{name}` {msg} write it as a raw identifier, `r#{name}`, to keep the name"),
        );
        raw.set_span(id.span());
        return Some(raw);
    }
    Some(id.clone())
}

/// S1.2, S1.4: sibling ids are unique.
pub(crate) fn ids_are_unique(
    seen: &mut HashMap<String, Span>,
    sup_id: &str,
    id: &Ident,
    cx: &Ctxt,
) -> bool {
    let name = unraw(id);
    if let Some(first) = seen.get(&name) {
        cx.shape_error_at(
            id.span(),
            format!("duplicate child id `{name}` in supervisor `{sup_id}`"),
        );
        cx.error_at(*first, format!("`{name}` is first declared here"));
        false
    } else {
        seen.insert(name, id.span());
        true
    }
}

/// names: nested supervisors' handle types are distinct (`a_b`, `a { b }`), and not `Root` or `Handle`.
pub(crate) fn handle_type_names_are_distinct(root: &Sup, cx: &Ctxt) {
    fn walk<'a>(
        sup: &'a StaticSup,
        path: &mut Vec<&'a str>,
        seen: &mut HashMap<String, Option<(Span, String)>>,
        cx: &Ctxt,
    ) {
        for child in &sup.children {
            // Only a static supervisor has a handle type of its own.
            let ChildKind::Sup(Sup::Static(inner)) = &child.kind else {
                continue;
            };
            path.push(&inner.id);
            let ty = handle_type_name(path);
            let here = path.join("/");
            match seen.get(&ty) {
                Some(Some((first, first_path))) => {
                    cx.shape_error_at(
                        child.id.span(),
                        format!(
                            "the handle type of supervisor `{here}` would be `{ty}`, the same as that of `{first_path}`; rename one of them"
                        ),
                    );
                    cx.error_at(*first, format!("`{first_path}` is declared here"));
                }
                Some(None) => cx.shape_error_at(
                    child.id.span(),
                    format!(
                        "the handle type of supervisor `{here}` would be `{ty}`, which names the tree's own; rename the supervisor"
                    ),
                ),
                None => {
                    seen.insert(ty, Some((child.id.span(), here)));
                }
            }
            walk(inner, path, seen, cx);
            path.pop();
        }
    }
    if let Sup::Static(root) = root {
        let mut seen = HashMap::from([("Root".to_owned(), None), ("Handle".to_owned(), None)]);
        walk(root, &mut Vec::new(), &mut seen, cx);
    }
}

// Structure ------------------------------------------------------------------------------

/// S5.6: the root is a supervisor: `one_for_one`, `one_for_all`, `rest_for_one` or `dynamic`.
pub(crate) fn root_is_a_supervisor(kind: &Ident, cx: &Ctxt) -> bool {
    let k = kind.to_string();
    if SUPERVISOR_KINDS.contains(&k.as_str()) {
        return true;
    }
    let mut msg = format!(
        "the root of a tree is a supervisor: `one_for_one`, `one_for_all`, `rest_for_one` or `dynamic`, not `{k}`"
    );
    if k == "pool" {
        msg.push_str("\n  help: declare the pool inside a supervisor: `App: one_for_one { workers: pool(size = 4) { .. } }`");
    }
    // A typo with a close suggestion is read as the suggestion: the tree keeps its shape.
    if let Some(s) = did_you_mean(&k, SUPERVISOR_KINDS) {
        msg.push_str(&format!("\n  help: did you mean `{s}`?"));
        cx.error_at(kind.span(), msg);
    } else {
        cx.shape_error_at(kind.span(), msg);
    }
    false
}

/// grammar: a node is a `worker`, a `from_worker`, a `process` or a supervisor of a known strategy.
pub(crate) fn node_kind_is_known(kind: &Ident, cx: &Ctxt) -> bool {
    let k = kind.to_string();
    if NODE_KINDS.contains(&k.as_str()) {
        return true;
    }
    cx.unknown(kind.span(), "node kind", &k, NODE_KINDS);
    // A typo with a close suggestion is read as the suggestion: the tree keeps its shape.
    if did_you_mean(&k, NODE_KINDS).is_none() {
        cx.mark_shape();
    }
    false
}

/// S1.2: the root has no parent, so no child options.
pub(crate) fn root_has_no_child_options(root: &NodeAst, cx: &Ctxt) {
    if let Some(opts) = &root.options {
        let keys: Vec<String> = opts.items.iter().map(|o| o.key.to_string()).collect();
        cx.error_at(
            opts.span,
            format!(
                "the root supervisor has no parent, so child options ({}) do not apply to it",
                keys.join(", ")
            ),
        );
    }
}

/// S1.1, S1.4: a static supervisor has its children in braces, one at least.
pub(crate) fn supervisor_has_children(node: &NodeAst, sup_id: &str, cx: &Ctxt) {
    match &node.children {
        None => cx.error_at(
            node.span(),
            format!(
                "supervisor `{sup_id}` needs its children in braces: `{} {{ .. }}`",
                node.kind
            ),
        ),
        Some(c) if c.nodes.is_empty() && c.errors.is_empty() => {
            cx.error_at(c.span, format!("supervisor `{sup_id}` has no children"))
        }
        Some(_) => {}
    }
}

/// S1.4, S5.4: a dynamic supervisor has exactly one template.
pub(crate) fn dynamic_has_one_template<'a>(
    node: &'a NodeAst,
    sup_id: &str,
    cx: &Ctxt,
) -> Option<&'a NodeAst> {
    let owner = template_owner(node, sup_id);
    let example = if node.kind == "pool" {
        "as in `pool(size = 4) { worker(path::to::run) [mailbox = Job] }`"
    } else {
        "as in `dynamic { worker(path::to::run) }`"
    };
    let Some(children) = &node.children else {
        cx.shape_error_at(
            node.span(),
            format!("{owner} needs one template in braces, {example}"),
        );
        return None;
    };
    for extra in children.nodes.iter().skip(1) {
        cx.shape_error_at(
            extra.span(),
            format!("{owner} has exactly one template; this is a second"),
        );
    }
    if children.nodes.is_empty() && children.errors.is_empty() {
        cx.shape_error_at(
            children.span,
            format!("{owner} needs one template, {example}"),
        );
    }
    children.nodes.first()
}

/// How errors name the owner of a template: "pool `db`", "dynamic supervisor `sessions`".
pub(crate) fn template_owner(node: &NodeAst, sup_id: &str) -> String {
    if node.kind == "pool" {
        format!("pool `{sup_id}`")
    } else {
        format!("dynamic supervisor `{sup_id}`")
    }
}

/// S5.4: a template has no id: its children get numbers as ids.
pub(crate) fn template_has_no_id(template: &NodeAst, owner: &str, cx: &Ctxt) {
    if let Some(id) = &template.id {
        cx.error_at(
            id.span(),
            format!("the template of {owner} has no id: its children get numbers as ids"),
        );
    }
}

/// S5.4: a template is a worker or a process.
pub(crate) fn template_is_a_worker(template: &NodeAst, owner: &str, cx: &Ctxt) -> bool {
    let kind = template.kind.to_string();
    if !matches!(kind.as_str(), "worker" | "from_worker" | "process") {
        cx.shape_error_at(
            template.kind.span(),
            format!("the template of {owner} is a worker or a process, `worker(..)`, `from_worker(..)` or `process(..)`, not `{kind}`"),
        );
        return false;
    }
    true
}

/// S5.4, S8: a template is not significant.
pub(crate) fn template_is_not_significant(
    policy: &mut Policy,
    node: &NodeAst,
    owner: &str,
    cx: &Ctxt,
) {
    if policy.significant {
        cx.error_at(
            option_span(node, "significant"),
            format!("the template of {owner} cannot be significant"),
        );
        // Rejected: not part of the tree that is still expanded.
        policy.significant = false;
    }
}

/// S20: `process(..)` children need the feature `process` of `supervisor` (on Unix).
pub(crate) fn process_needs_the_feature(node: &NodeAst, cx: &Ctxt) -> bool {
    if cfg!(feature = "process") {
        return true;
    }
    cx.shape_error_at(
        node.kind.span(),
        "`process(..)` children need the feature `process` of `supervisor` (Unix only): \
         `supervisor = { version = \"..\", features = [\"process\"] }` (S20)",
    );
    false
}

/// S20.1: a process names its program, then its arguments: `process("server", "--port", "0")`.
pub(crate) fn process_has_a_program(
    node: &NodeAst,
    label: &str,
    program: Option<TokenStream>,
    cx: &Ctxt,
) -> Option<TokenStream> {
    if program.is_none() {
        let span = node.args.as_ref().map_or(node.kind.span(), |a| a.span);
        cx.shape_error_at(
            span,
            format!("`{label}` needs a program: `process(\"server\", \"--port\", \"0\")`, its arguments after it"),
        );
    }
    program
}

/// S1.2: a worker has one start expression (a trailing comma is fine).
pub(crate) fn worker_has_one_start_expression(
    node: &NodeAst,
    label: &str,
    parts: &[TokenStream],
    cx: &Ctxt,
) -> bool {
    let kind = node.kind.to_string();
    if parts.first().is_none_or(TokenStream::is_empty) {
        let span = node.args.as_ref().map_or(node.kind.span(), |a| a.span);
        let hint = if kind == "worker" {
            "`worker(path::to::run)`: an async fn or closure taking the `ChildContext`"
        } else {
            "`from_worker(MyWorker::new())`: an expression making a `Worker`"
        };
        cx.shape_error_at(span, format!("`{label}` needs a start expression: {hint}"));
        return false;
    }
    if let Some(extra) = parts.iter().skip(1).find(|p| !p.is_empty()) {
        cx.shape_error_at(
            crate::parse::tokens_span(extra),
            format!("`{kind}(..)` takes one start expression; this is a second"),
        );
        return false;
    }
    true
}

/// S1.2: a worker has no children.
pub(crate) fn worker_has_no_children(node: &NodeAst, label: &str, cx: &Ctxt) {
    if let Some(c) = &node.children {
        cx.error_at(c.span, format!("worker `{label}` cannot have children"));
    }
}

/// grammar: only doc comments stand on a child.
pub(crate) fn only_doc_comments_on_children(node: &NodeAst, cx: &Ctxt) {
    for a in node.attrs.iter().filter(|a| !a.path().is_ident("doc")) {
        cx.error_at(a.pound_token.span, "only doc comments may stand on a child");
    }
}

/// grammar: children that do not parse are reported, each skipped up to its `,`.
pub(crate) fn each_child_parses(children: &Children, cx: &Ctxt) {
    for e in &children.errors {
        // A child that did not parse is left out: the tree's shape is not the one written.
        cx.push_shape(e.clone());
    }
}

// Options --------------------------------------------------------------------------------

/// grammar: an option is one the grammar knows.
pub(crate) fn option_is_known(key: &Ident, place: Place, cx: &Ctxt) -> bool {
    let k = key.to_string();
    let known = [
        names(List::Static),
        names(List::Dynamic),
        names(List::Pool),
        names(List::Child),
        names(List::Process),
    ]
    .iter()
    .any(|list| list.contains(&k.as_str()));
    if !known {
        let what = match place {
            Place::StaticOptions | Place::DynamicOptions => "supervisor option",
            Place::PoolOptions => "pool option",
            _ => "child option",
        };
        cx.unknown(key.span(), what, &k, options_at(place));
    }
    known
}

/// The options that may stand at `place`.
pub(crate) fn options_at(place: Place) -> &'static [&'static str] {
    match place {
        Place::StaticOptions => names(List::Static),
        Place::DynamicOptions => names(List::Dynamic),
        Place::PoolOptions => names(List::Pool),
        Place::Process => &PROCESS_OPTIONS,
        _ => names(List::Child),
    }
}

/// A process child's options: the child options, and its own.
static PROCESS_OPTIONS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    let worker_only = [
        "mailbox",
        "mailbox_capacity",
        "args",
        "state",
        "uses",
        "heartbeat",
    ];
    (names(List::Child).iter())
        .filter(|n| !worker_only.contains(n))
        .chain(names(List::Process))
        .copied()
        .collect()
});

/// grammar: an option is given once.
pub(crate) fn option_is_given_once(
    seen: &mut HashMap<String, Span>,
    key: &Ident,
    cx: &Ctxt,
) -> bool {
    let name = key.to_string();
    if let Some(first) = seen.get(&name) {
        cx.error_at(key.span(), format!("option `{name}` given twice"));
        cx.error_at(*first, format!("`{name}` is first given here"));
        return false;
    }
    seen.insert(name, key.span());
    true
}

/// S5.6: an option applies to the node it is written on, in the list it is written in.
pub(crate) fn option_applies_to_the_node(
    key: &Ident,
    place: Place,
    label: &str,
    cx: &Ctxt,
) -> bool {
    let k = key.to_string();
    let k = k.as_str();
    // `max_restarts` and `within` stand in both: a supervisor's intensity, a child's budget.
    let of_supervisors = names(List::Static).contains(&k)
        || names(List::Dynamic).contains(&k)
        || names(List::Pool).contains(&k);
    let of_children = names(List::Child).contains(&k);
    let own = match place {
        Place::StaticOptions => names(List::Static).contains(&k),
        Place::DynamicOptions => names(List::Dynamic).contains(&k),
        Place::PoolOptions => names(List::Pool).contains(&k),
        _ => of_children,
    };
    let of_processes = names(List::Process).contains(&k);
    let msg = match place {
        Place::Process if !PROCESS_OPTIONS.contains(&k) && of_children => {
            format!("`{k}` does not apply to process child `{label}`: a process has no start function, state or heartbeats of its own; calls to it are `stdio = json_rpc` (S20)")
        }
        Place::Process if of_processes => return true,
        _ if of_processes => {
            format!("`{k}` applies to `process(..)` children (S20), and `{label}` is not one")
        }
        Place::StaticOptions | Place::DynamicOptions | Place::PoolOptions
            if of_children && !own =>
        {
            format!("`{k}` is a child option: write it in `[..]` after the supervisor's `(..)`")
        }
        Place::StaticOptions if k == "max_children" => {
            "`max_children` applies only to `dynamic` supervisors".to_string()
        }
        Place::StaticOptions | Place::DynamicOptions
            if names(List::Pool).contains(&k) && !names(List::Static).contains(&k) =>
        {
            format!("`{k}` applies only to pools: `pool({k} = ..)`")
        }
        Place::PoolOptions if k == "max_children" || k == "auto_shutdown" => {
            format!("`{k}` does not apply to a pool: its size is `size`, and its slots cannot be significant")
        }
        Place::DynamicOptions if k == "auto_shutdown" => {
            "`auto_shutdown` does not apply to a dynamic supervisor: its children cannot be significant".to_string()
        }
        Place::Supervisor if of_supervisors && !own => {
            format!("`{k}` is a supervisor option: write it in the `(..)` after the strategy")
        }
        Place::Worker | Place::Template | Place::PoolTemplate if of_supervisors && !own => {
            format!("`{k}` is a supervisor option and does not apply to worker `{label}`")
        }
        Place::Supervisor if k == "mailbox" || k == "mailbox_capacity" => {
            format!("a supervisor has no mailbox; `{k}` applies to workers")
        }
        Place::Template | Place::PoolTemplate if k == "readiness" => {
            "`readiness` applies to declared children: a dynamic supervisor's children never count for readiness, and a pool counts while one of its slots is ready (S16.3)".to_string()
        }
        Place::PoolTemplate if k == "args" => {
            "a pool's slots get their slot number (a `usize`) as their argument; `args` does not apply".to_string()
        }
        Place::Worker | Place::Supervisor if k == "args" => {
            "`args` applies only to a dynamic supervisor's template, whose children get arguments from `start_child`".to_string()
        }
        _ => return true,
    };
    cx.error_at(key.span(), msg);
    false
}

/// grammar: an option other than a flag has a value (`key = value`).
pub(crate) fn option_has_a_value<'a>(opt: &'a OptionAst, cx: &Ctxt) -> Option<&'a TokenStream> {
    if opt.value.is_none() {
        cx.error_at(
            opt.key.span(),
            format!("`{}` needs a value: `{} = ..`", opt.key, opt.key),
        );
    }
    opt.value.as_ref()
}

/// grammar: `mailbox`, `args` and `state` take a type.
pub(crate) fn type_options_are_types(key: &Ident, value: &TokenStream, cx: &Ctxt) -> Option<Type> {
    match syn::parse2::<Type>(value.clone()) {
        Ok(ty) => Some(ty),
        Err(e) => {
            cx.shape_error_at(e.span(), format!("`{key}` takes a type: {e}"));
            None
        }
    }
}

// Across options -------------------------------------------------------------------------

/// S1.4, S8: a significant child is not permanent.
pub(crate) fn significant_is_not_permanent(
    policy: &Policy,
    node: &NodeAst,
    label: &str,
    cx: &Ctxt,
) {
    if policy.significant && policy.restart == Restart::Permanent {
        cx.error_at(
            option_span(node, "significant"),
            format!(
                "significant child `{label}` is permanent, so it never exits for good; make it `restart = transient` or `temporary`"
            ),
        );
    }
}

/// S1.4, S8: a significant child's supervisor has `auto_shutdown` set.
pub(crate) fn significant_needs_auto_shutdown(
    policy: &Policy,
    parent: AutoShutdown,
    node: &NodeAst,
    label: &str,
    cx: &Ctxt,
) {
    if policy.significant && policy.restart != Restart::Permanent && parent == AutoShutdown::Never {
        cx.error_at(
            option_span(node, "significant"),
            format!(
                "significant child `{label}` under a supervisor with auto_shutdown never; set `auto_shutdown = any_significant` or `all_significant` on its supervisor"
            ),
        );
    }
}

/// S8: `auto_shutdown` is set only where a child is significant.
pub(crate) fn auto_shutdown_needs_a_significant_child(sup: &StaticSup, at: Span, cx: &Ctxt) {
    if sup.auto_shutdown != AutoShutdown::Never
        && !sup.children.iter().any(|c| c.policy.significant)
    {
        cx.error_at(
            at,
            format!(
                "auto_shutdown is set on `{}` but no child is significant; mark one `[significant, restart = transient]`",
                sup.id
            ),
        );
    }
}

/// S3.4: a temporary child, never restarted, has no backoff.
pub(crate) fn backoff_is_not_on_temporary(policy: &Policy, node: &NodeAst, label: &str, cx: &Ctxt) {
    if policy.restart == Restart::Temporary && policy.backoff.is_some() {
        cx.error_at(
            option_span(node, "backoff"),
            format!("backoff on temporary child `{label}`, which is never restarted"),
        );
    }
}

// Values ---------------------------------------------------------------------------------

/// S1.4: the period of the restart intensity is greater than zero.
pub(crate) fn period_is_not_zero(nanos: u64, at: Span, cx: &Ctxt) {
    if nanos == 0 {
        cx.error_at(at, "the period `within` must be greater than zero");
    }
}

/// S5.4: `max_children` is at least 1.
pub(crate) fn max_children_is_not_zero(n: u64, at: Span, cx: &Ctxt) {
    if n == 0 {
        cx.error_at(at, "max_children must be at least 1");
    }
}

/// S9.8: `mailbox_capacity` is at least 1.
pub(crate) fn mailbox_capacity_is_not_zero(n: u64, at: Span, cx: &Ctxt) {
    if n == 0 {
        cx.error_at(at, "mailbox_capacity must be at least 1");
    }
}

/// S1.2: a backoff's initial delay is not above its maximum.
pub(crate) fn backoff_initial_not_above_max(kind: &BackoffKind, at: Span, cx: &Ctxt) {
    let (initial, max) = match *kind {
        BackoffKind::Linear(i, _, m) => (i, m),
        BackoffKind::Exponential { initial, max, .. } => (initial, max),
        BackoffKind::Fixed(d) => (d, d),
    };
    if initial > max {
        cx.error_at(at, "the initial backoff delay is above the maximum");
    }
}

/// grammar: a number is finite (`1e999` overflows an `f64` to infinity, which no option means).
///
/// Returns whether it is.
pub(crate) fn numbers_are_finite(value: f64, what: &str, at: Span, cx: &Ctxt) -> bool {
    if !value.is_finite() {
        cx.error_at(
            at,
            format!("`{what}` is too large for a number (an `f64` overflows to infinity)"),
        );
    }
    value.is_finite()
}

/// S13.2, S13.3: a breaker's `call_timeout` is above zero and its `reset` not above its `max_reset`.
///
/// At zero every call fails and the breaker opens; the reset timeout grows up to its maximum,
/// never starts above it (defaults: 10 s, 30 s, 5 min).
pub(crate) fn breaker_timeouts_are_sound(
    breaker: &crate::model::Breaker,
    call_timeout_at: Option<Span>,
    reset_at: Option<Span>,
    cx: &Ctxt,
) {
    const DEFAULT_RESET: u64 = 30_000_000_000;
    const DEFAULT_MAX_RESET: u64 = 300_000_000_000;
    if let (Some(0), Some(at)) = (breaker.call_timeout, call_timeout_at) {
        cx.error_at(
            at,
            "a breaker's `call_timeout` must be greater than zero: every call would fail",
        );
    }
    let reset = breaker.reset.unwrap_or(DEFAULT_RESET);
    let max = breaker.max_reset.unwrap_or(DEFAULT_MAX_RESET);
    if reset > max {
        let at = reset_at.unwrap_or_else(|| breaker.name.span());
        cx.error_at(
            at,
            "a breaker's `reset` is above its `max_reset` (defaults: reset 30s, max_reset 5m)",
        );
    }
}

/// S1.2: an exponential backoff's multiplier is at least 1.
pub(crate) fn backoff_multiplier_at_least_one(m: f64, at: Span, cx: &Ctxt) {
    if m < 1.0 {
        cx.error_at(at, "the backoff multiplier must be at least 1");
    }
}

/// S1.2: an exponential backoff's jitter is within 0..=1.
pub(crate) fn backoff_jitter_within_0_1(j: f64, at: Span, cx: &Ctxt) {
    if !(0.0..=1.0).contains(&j) {
        cx.error_at(at, "jitter must be within 0..=1");
    }
}

// Detection --------------------------------------------------------------------------------

/// S11.1: probes are spaced (an interval above zero) and each is shorter than the space.
pub(crate) fn probe_timing_is_sound(probe: &Probe, at: Span, cx: &Ctxt) {
    const DEFAULT_EVERY: u64 = 10_000_000_000;
    const DEFAULT_TIMEOUT: u64 = 5_000_000_000;
    let every = probe.every.unwrap_or(DEFAULT_EVERY);
    let timeout = probe.timeout.unwrap_or(DEFAULT_TIMEOUT);
    if every == 0 {
        cx.error_at(at, "a probe's interval `every` must be greater than zero");
    } else if timeout == 0 || timeout >= every {
        cx.error_at(
            at,
            "a probe's `timeout` must be greater than zero and below its `interval` (defaults: interval 10s, timeout 5s)",
        );
    }
}

/// S11.5, S12.6, S13.8: counts and thresholds are in range (at least 1; a phi threshold above 0; a window of 2 or more).
pub(crate) fn counts_are_in_range(
    ok: bool,
    what: &str,
    expected: &str,
    value: &TokenStream,
    cx: &Ctxt,
) {
    if !ok {
        cx.error_at(
            crate::parse::tokens_span(value),
            format!("`{what}` must be {expected}"),
        );
    }
}

/// S12.6: heartbeats declare their interval (it has no default), above zero.
pub(crate) fn heartbeat_interval_is_given(
    every: Option<(u64, Span)>,
    at: Span,
    cx: &Ctxt,
) -> Option<u64> {
    match every {
        None => {
            cx.error_at(
                at,
                "`phi(..)` needs the interval the child beats at: `phi(interval = 1s)`",
            );
            None
        }
        Some((0, span)) => {
            cx.error_at(
                span,
                "the heartbeat interval `every` must be greater than zero",
            );
            None
        }
        Some((every, _)) => Some(every),
    }
}

/// S12.1: only workers send heartbeats.
pub(crate) fn heartbeat_is_on_a_worker(key: &Ident, place: Place, label: &str, cx: &Ctxt) -> bool {
    if place == Place::Supervisor {
        cx.error_at(
            key.span(),
            format!(
                "supervisor `{label}` cannot send heartbeats: only workers call `ctx.heartbeat()`"
            ),
        );
        return false;
    }
    true
}

/// S14.1: a pool has `size` slots, at least one.
pub(crate) fn pool_size_is_at_least_one(
    size: Option<(u64, Span)>,
    at: Span,
    id: &str,
    cx: &Ctxt,
) -> u64 {
    match size {
        None => {
            cx.error_at(
                at,
                format!("pool `{id}` needs its number of slots: `pool(size = 4)`"),
            );
            1
        }
        Some((0, span)) => {
            cx.error_at(
                span,
                "a pool needs at least one slot: `size` must be at least 1",
            );
            1
        }
        Some((n, _)) => n,
    }
}

/// S14.2: `key_hash` routing says what the key of a message is.
pub(crate) fn key_hash_has_a_key(route: &Ident, key: Option<&TokenStream>, cx: &Ctxt) -> bool {
    if key.is_none_or(TokenStream::is_empty) {
        cx.error_at(
            route.span(),
            "`key_hash` needs the key of a message: `route = key_hash(|job: &Job| job.user)`",
        );
        return false;
    }
    true
}

/// S14.1: a pool's slots have a mailbox: messages are what a pool routes.
pub(crate) fn pool_template_has_a_mailbox(
    template: &crate::model::Template,
    node: &NodeAst,
    id: &str,
    cx: &Ctxt,
) {
    if template.worker.mailbox.is_none() {
        cx.error_at(
            node.kind.span(),
            format!("the slots of pool `{id}` need a mailbox, which the pool routes to: `worker(run) [mailbox = Job]`"),
        );
    }
}

/// S14.6: a pool's slots are permanent or transient.
///
/// A temporary slot would shrink the pool for good when it ends.
pub(crate) fn pool_slots_are_not_temporary(policy: &Policy, node: &NodeAst, id: &str, cx: &Ctxt) {
    if policy.restart == Restart::Temporary {
        cx.error_at(
            option_span(node, "restart"),
            format!("the slots of pool `{id}` cannot be temporary: a slot that ends for good would shrink the pool; use `restart = transient`"),
        );
    }
}

/// S9.8: `mailbox_capacity` only on a worker with a mailbox.
pub(crate) fn mailbox_capacity_needs_a_mailbox(
    worker: &crate::model::Worker,
    node: &NodeAst,
    label: &str,
    cx: &Ctxt,
) {
    if worker.mailbox_capacity.is_some() && worker.mailbox.is_none() {
        cx.error_at(
            option_span(node, "mailbox_capacity"),
            format!("`mailbox_capacity` on `{label}`, which has no mailbox; declare one with `mailbox = Type`"),
        );
    }
}

/// S15: only workers carry state across restarts.
pub(crate) fn state_is_on_a_worker(key: &Ident, place: Place, label: &str, cx: &Ctxt) -> bool {
    if place == Place::Supervisor {
        cx.error_at(
            key.span(),
            format!("supervisor `{label}` cannot carry state: `state` applies to workers, whose incarnations read it"),
        );
        return false;
    }
    true
}

/// S17.1: only a worker's start function uses nodes, not a supervisor or a `from_worker` factory.
pub(crate) fn uses_is_on_a_worker(
    at: &Ident,
    place: Place,
    from_worker: bool,
    label: &str,
    cx: &Ctxt,
) -> bool {
    let msg = if place == Place::Supervisor {
        format!("supervisor `{label}` has no start expression to bind `uses` in: `uses` applies to workers")
    } else if from_worker {
        format!("`{label}` is made by a `from_worker` factory, which gets no context to bind `uses` from: write `worker(|ctx| ..)`, or look the node up in the worker with `ctx.used(..)`")
    } else {
        return true;
    };
    cx.error_at(at.span(), msg);
    false
}

/// Why a name a worker uses is not in its scope (S17.2).
pub(crate) enum OutOfScope<'a> {
    /// The worker itself.
    Itself,
    /// A node that starts after `after` (the worker, or its ancestor), in this start order.
    Later { after: &'a str, order: Vec<&'a str> },
    /// No node or breaker of that name; these are the names in scope.
    Unknown { visible: Vec<&'a str> },
}

/// S17.2: a worker uses the nodes that start before it, its ancestors and the tree's breakers.
pub(crate) fn used_name_is_in_scope(
    name: &Ident,
    user: &str,
    problem: Option<OutOfScope<'_>>,
    cx: &Ctxt,
) -> bool {
    let n = unraw(name);
    let why = "a child uses the nodes that start before it, its ancestors, and the tree's breakers";
    let msg = match problem {
        None => return true,
        Some(OutOfScope::Itself) => format!("`{user}` cannot use itself: {why}"),
        Some(OutOfScope::Later { after, order }) => format!(
            "`{n}` starts after `{after}` (start order: {}): {why}; declare `{n}` first",
            order.join(", ")
        ),
        Some(OutOfScope::Unknown { visible }) => {
            let mut msg = format!("no node or breaker `{n}` in scope of `{user}`: {why}");
            if let Some(s) = did_you_mean(&n, &visible) {
                msg.push_str(&format!("\n  help: did you mean `{s}`?"));
            }
            msg
        }
    };
    cx.error_at(name.span(), msg);
    false
}

/// S17.1: a worker's start expression names each node and breaker it uses.
pub(crate) fn used_name_is_named(name: &Ident, expr: &TokenStream, user: &str, cx: &Ctxt) -> bool {
    if crate::parse::mentions(expr, name) {
        return true;
    }
    let n = unraw(name);
    let start = expr.to_string();
    let hint = if start.is_empty() || start.contains('|') {
        format!("name `{n}` in it")
    } else {
        format!("pass it on: `worker(|ctx| {start}(ctx, {n}))`")
    };
    // A shape error: the start, called as written, would fail a second time for this mistake.
    cx.shape_error_at(
        name.span(),
        format!(
            "`{user}` uses `{n}`, but its start expression does not name it: the macro binds \
             what a worker uses by the names its start expression gives them; {hint}"
        ),
    );
    false
}

/// S13.1: breaker names are unique in a tree.
pub(crate) fn breakers_are_unique(names: &[Ident], cx: &Ctxt) {
    let mut seen: HashMap<String, Span> = HashMap::new();
    for name in names {
        let n = unraw(name);
        if let Some(first) = seen.get(&n) {
            cx.error_at(name.span(), format!("breaker `{n}` is declared twice"));
            cx.error_at(*first, format!("`{n}` is first declared here"));
        } else {
            seen.insert(n, name.span());
        }
    }
}

/// S13.7: a child depends only on breakers the tree declares.
pub(crate) fn breakers_are_declared(names: &[Ident], declared: &[&str], cx: &Ctxt) {
    for name in names {
        let n = unraw(name);
        if declared.contains(&n.as_str()) {
            continue;
        }
        let mut msg = if declared.is_empty() {
            format!("no breaker `{n}`: the tree declares none; add `breakers {{ {n}: breaker(..) }}` after the root")
        } else {
            format!(
                "no breaker `{n}` in the tree; it declares {}",
                crate::ctxt::list(declared)
            )
        };
        if let Some(s) = did_you_mean(&n, declared) {
            msg.push_str(&format!("\n  help: did you mean `{s}`?"));
        }
        cx.error_at(name.span(), msg);
    }
}

/// The span of option `key` of a node, or the node's.
fn option_span(node: &NodeAst, key: &str) -> Span {
    node.options
        .as_ref()
        .and_then(|o| o.items.iter().find(|i| i.key == key))
        .map_or(node.span(), |i| i.key.span())
}

/// S20.4: `ping` asks a process that speaks JSON-RPC: `stdio = json_rpc`.
pub(crate) fn ping_is_on_a_json_rpc_process(probe: &Probe, rpc: bool, label: &str, cx: &Ctxt) {
    if !rpc {
        cx.error_at(
            probe.span,
            format!(
                "`ping` sends MCP's ping to a process that speaks JSON-RPC, and `{label}` is not \
                 one: a `process(..)` with `stdio = json_rpc`, or `probe(check)` (S20.4, S11)"
            ),
        );
    }
}

/// S18.2: `storm_limit` caps the whole tree, so it stands on the root alone.
pub(crate) fn storm_limit_is_on_the_root(key: &Ident, root: bool, sup: &str, cx: &Ctxt) -> bool {
    if !root {
        cx.error_at(
            key.span(),
            format!(
                "`storm_limit` applies to the root: it caps the restarts of the whole tree, \
                 and `{sup}` is not the root (S18.2)"
            ),
        );
    }
    root
}
