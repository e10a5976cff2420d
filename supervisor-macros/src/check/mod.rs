//! The whole tree, checked: the parsed tree becomes the checked model (`crate::model`), one
//! node kind at a time, and each rule of `rules` is applied where it belongs. Every error is
//! collected in a `Ctxt`, then all are reported at once, each at the token it is about.

pub(crate) mod rules;
mod scope;

use std::collections::HashMap;

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, Token, Type};

use crate::ctxt::Ctxt;
use crate::model::{
    AutoShutdown, Child, ChildKind, Detection, DynamicSup, Intensity, Policy, PoolOverflow,
    PoolSup, ProcessNode, Restart, Route, Start, StaticSup, Strategy, Sup, Template, Tree, Worker,
};
use crate::parse::{tokens_span, Args, NodeAst, OptionAst, Options, TreeAst};
use crate::suggest::{did_you_mean, snake_case, upper_camel_case};
use crate::values::{self, Scalar};
use rules::Place;

/// What checking gives: every error, and the tree itself whatever its errors, with a
/// placeholder wherever a node could not be read (a worker without a start expression, a
/// dynamic supervisor without a template), so that every generated item stays in place.
pub(crate) struct Checked {
    /// `None` only for a tree whose name no type can take (`Self`, a keyword).
    pub tree: Option<Tree>,
    pub errors: Result<(), syn::Error>,
    /// Whether the tree's spec can be built: no error changed its shape or left a placeholder.
    pub buildable: bool,
}

/// Checks the whole tree and gives all its errors at once.
pub(crate) fn check(mut ast: TreeAst) -> Checked {
    let cx = Ctxt::new();
    for child in ast
        .root
        .children
        .iter_mut()
        .flat_map(|c| c.nodes.iter_mut())
    {
        read_node_kinds(child, &cx);
    }
    rules::tree_name_is_upper_camel(&ast.name, &cx);
    let typeable = rules::tree_name_is_not_self(&ast.name, &cx);
    rules::parameters_are_unique(&ast.params, &cx);
    rules::root_has_no_child_options(&ast.root, &cx);
    let name = unraw(&ast.name);
    if !rules::root_is_a_supervisor(&ast.root.kind, &cx) {
        let kind = &mut ast.root.kind;
        // A typo is read as the kind it is close to. Another kind is read as the default
        // strategy, without the options written for it, so that its children are still checked
        // and keep their fields; a pool's one template stands for no field, and is left out.
        if let Some(meant) = did_you_mean(&kind.to_string(), rules::SUPERVISOR_KINDS) {
            *kind = Ident::new(meant, kind.span());
        } else if *kind != "pool" {
            *kind = Ident::new("one_for_one", kind.span());
            ast.root.args = None;
        }
    }
    let root = match ast.root.kind == "pool" {
        true => None,
        false => supervisor(&ast.root, snake_case(&name), ast.name.span(), true, &cx),
    }
    .unwrap_or_else(|| empty_root(&name));
    rules::handle_type_names_are_distinct(&root, &cx);
    let breakers = breakers(ast.breakers.as_ref(), &cx);
    let declared: Vec<String> = breakers.iter().map(|b| unraw(&b.name)).collect();
    let declared: Vec<&str> = declared.iter().map(String::as_str).collect();
    for_each_detection(&root, &mut |d| {
        rules::breakers_are_declared(&d.depends_on, &declared, &cx)
    });
    let mut root = root;
    scope::resolve(&mut root, &declared, &cx);
    // A second parameter of a name is reported and left out: `spec` keeps the first.
    let mut seen = std::collections::HashSet::new();
    ast.params.retain(|p| seen.insert(unraw(&p.name)));
    let buildable = !cx.shape_broken();
    let tree = typeable.then(|| Tree {
        attrs: ast.attrs,
        vis: ast.vis,
        name: ast.name.clone(),
        params: ast.params,
        root,
        breakers,
    });
    Checked {
        tree,
        errors: cx.check(),
        buildable,
    }
}

/// The root of a tree whose root is a pool (reported): no children, as no field stands for a
/// pool's template.
fn empty_root(name: &str) -> Sup {
    Sup::Static(StaticSup {
        id: snake_case(name),
        strategy: Strategy::OneForOne,
        intensity: Intensity::default(),
        auto_shutdown: AutoShutdown::Never,
        children: Vec::new(),
        storm: None,
    })
}

/// The tree's `breakers { .. }`.
fn breakers(section: Option<&crate::parse::Breakers>, cx: &Ctxt) -> Vec<crate::model::Breaker> {
    let Some(section) = section else {
        return Vec::new();
    };
    let names: Vec<Ident> = section.items.iter().map(|(n, _)| n.clone()).collect();
    rules::breakers_are_unique(&names, cx);
    // A second breaker of a name is reported and left out: the tree expands with the first.
    let mut seen = std::collections::HashSet::new();
    (section.items.iter())
        .filter(|(name, _)| seen.insert(unraw(name)))
        .filter_map(|(name, value)| values::breaker(name, value, cx))
        .collect()
}

/// Calls `f` with what every child and template of the tree declared about detection.
fn for_each_detection(sup: &Sup, f: &mut dyn FnMut(&Detection)) {
    match sup {
        Sup::Dynamic(d) => f(&d.template.detection),
        Sup::Pool(p) => f(&p.template.detection),
        Sup::Static(s) => {
            for child in &s.children {
                f(&child.detection);
                if let ChildKind::Sup(inner) = &child.kind {
                    for_each_detection(inner, f);
                }
            }
        }
    }
}

/// The name an identifier stands for: `r#type` is `type`. Raw identifiers are accepted
/// everywhere a name is: the id is the bare name, and handle fields keep the raw spelling.
pub(crate) fn unraw(id: &Ident) -> String {
    id.unraw().to_string()
}

/// The name of the module of a tree's handles: the tree's name in snake_case, with a `_` before
/// every capital but the first (`HttpApi` is `http_api`, `HTTPApi` is `h_t_t_p_api`), so that no
/// two UpperCamelCase names, which have no `_`, give one module, and no module is a tree's name.
/// A name that is not UpperCamelCase (reported) gets `_handles` after it.
pub(crate) fn handles_module_name(tree: &str) -> String {
    let mut out = String::with_capacity(tree.len() + 4);
    for (i, c) in tree.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    if !rules::is_upper_camel(tree) {
        out.push_str("_handles");
    }
    out
}

/// The name of the handle type of the nested supervisor at `path` (ids below the root), as the
/// expansion writes it in the tree's module: each id in UpperCamelCase (`api/db` is `ApiDb`).
pub(crate) fn handle_type_name(path: &[&str]) -> String {
    path.iter().map(|id| upper_camel_case(id)).collect()
}

/// A supervisor node of any kind; `None` when its kind is not a supervisor's.
fn supervisor(node: &NodeAst, id: String, span: Span, root: bool, cx: &Ctxt) -> Option<Sup> {
    let strategy = match node.kind.to_string().as_str() {
        "one_for_one" => Strategy::OneForOne,
        "one_for_all" => Strategy::OneForAll,
        "rest_for_one" => Strategy::RestForOne,
        "dynamic" => return Some(Sup::Dynamic(dynamic(node, id, cx))),
        "pool" => return Some(Sup::Pool(pool(node, id, cx))),
        _ => return None,
    };
    let mut sup = StaticSup {
        id,
        strategy,
        intensity: Intensity::default(),
        auto_shutdown: AutoShutdown::Never,
        children: Vec::new(),
        storm: None,
    };
    let mut auto_span = None;
    for opt in sup_options(node.args.as_ref(), Place::StaticOptions, &sup.id, cx) {
        if intensity(&opt, &mut sup.intensity, cx) {
            continue;
        }
        if opt.key == "storm_limit" {
            if rules::storm_limit_is_on_the_root(&opt.key, root, &sup.id, cx) {
                if let Some(v) = rules::option_has_a_value(&opt, cx) {
                    sup.storm = values::storm_limit(v, cx);
                }
            }
            continue;
        }
        // `auto_shutdown`, the only other option `option_is_known` and `option_applies` let by.
        auto_span = Some(opt.key.span());
        let Some(v) = rules::option_has_a_value(&opt, cx) else {
            continue;
        };
        if let Some(w) = values::word(v, "auto_shutdown", rules::AUTO_SHUTDOWNS, cx) {
            sup.auto_shutdown = match w.as_str() {
                "any_significant" => AutoShutdown::AnySignificant,
                "all_significant" => AutoShutdown::AllSignificant,
                _ => AutoShutdown::Never,
            };
        }
    }
    rules::supervisor_has_children(node, &sup.id, cx);
    if let Some(children) = &node.children {
        rules::each_child_parses(children, cx);
        let mut ids: HashMap<String, Span> = HashMap::new();
        for c in &children.nodes {
            let Some(written) = rules::child_has_an_id(c, cx) else {
                continue;
            };
            let Some(id) = rules::id_is_not_a_keyword(written, cx) else {
                continue;
            };
            // A keyword made raw has had its error.
            if id == *written {
                rules::id_is_snake_case(&id, cx);
            }
            let id = &id;
            // A second child of an id is reported and left out: the handle keeps the first.
            if rules::ids_are_unique(&mut ids, &sup.id, id, cx) {
                sup.children.push(child(c, id, sup.auto_shutdown, cx));
            }
        }
    }
    rules::auto_shutdown_needs_a_significant_child(&sup, auto_span.unwrap_or(span), cx);
    Some(Sup::Static(sup))
}

fn dynamic(node: &NodeAst, id: String, cx: &Ctxt) -> DynamicSup {
    let mut intensity_ = Intensity::default();
    let mut max_children = None;
    for opt in sup_options(node.args.as_ref(), Place::DynamicOptions, &id, cx) {
        if intensity(&opt, &mut intensity_, cx) {
            continue;
        }
        // `max_children`, the only other option let by.
        let Some(v) = rules::option_has_a_value(&opt, cx) else {
            continue;
        };
        if let Some(n) = values::scalar("max_children", v, cx).and_then(Scalar::count) {
            rules::max_children_is_not_zero(n, tokens_span(v), cx);
            max_children = Some(n);
        }
    }
    if let Some(children) = &node.children {
        rules::each_child_parses(children, cx);
    }
    let template = template_in(node, &id, Place::Template, cx);
    DynamicSup {
        id,
        intensity: intensity_,
        max_children,
        template: Box::new(template),
    }
}

/// The options in a supervisor's `(..)` that are known, apply to it and are given once.
fn sup_options(args: Option<&Args>, place: Place, label: &str, cx: &Ctxt) -> Vec<OptionAst> {
    let Some(args) = args else {
        return Vec::new();
    };
    let parser = Punctuated::<OptionAst, Token![,]>::parse_terminated;
    let list = match syn::parse::Parser::parse2(parser, args.tokens.clone()) {
        Ok(list) => list,
        Err(e) => {
            cx.push(e);
            return Vec::new();
        }
    };
    let mut seen = HashMap::new();
    list.into_iter()
        .filter_map(|mut opt| {
            opt.key = known_key(&opt.key, place, cx)?;
            (rules::option_is_given_once(&mut seen, &opt.key, cx)
                && rules::option_applies_to_the_node(&opt.key, place, label, cx))
            .then_some(opt)
        })
        .collect()
}

/// An option's key, once known: a misspelt one is reported, and read as the key it is closest
/// to, so that the option's value is still checked and the options it stands for are not
/// reported missing; `None` for a key too far from any.
fn known_key(key: &Ident, place: Place, cx: &Ctxt) -> Option<Ident> {
    if rules::option_is_known(key, place, cx) {
        return Some(key.clone());
    }
    let meant = did_you_mean(&key.to_string(), rules::options_at(place))?;
    Some(Ident::new(meant, key.span()))
}

/// `max_restarts` and `within`, which every supervisor kind has; `false` for other options.
fn intensity(opt: &OptionAst, intensity: &mut Intensity, cx: &Ctxt) -> bool {
    let key = opt.key.to_string();
    if key != "max_restarts" && key != "within" {
        return false;
    }
    let Some(v) = rules::option_has_a_value(opt, cx) else {
        return true;
    };
    match values::scalar(&key, v, cx) {
        Some(Scalar::Count(n)) => intensity.max_restarts = u32::try_from(n).ok(),
        Some(Scalar::Duration(d)) => {
            rules::period_is_not_zero(d, tokens_span(v), cx);
            intensity.within = Some(d);
        }
        _ => {}
    }
    true
}

/// A child of a static supervisor; a node of an unknown kind (reported) stands as a worker
/// placeholder, so that its field stays.
fn child(node: &NodeAst, id: &Ident, parent_auto: AutoShutdown, cx: &Ctxt) -> Child {
    rules::only_doc_comments_on_children(node, cx);
    let docs: Vec<Attribute> = (node.attrs.iter())
        .filter(|a| a.path().is_ident("doc"))
        .cloned()
        .collect();
    let label = unraw(id);
    let mut child = Child {
        docs,
        id: id.clone(),
        policy: Policy::default(),
        detection: Detection::default(),
        readiness_ignored: false,
        kind: ChildKind::Worker(Box::new(Worker::placeholder(node.kind.span()))),
    };
    if !is_node_kind(&node.kind) {
        return child;
    }
    // The node itself first, then its options: errors come in the order they are written.
    let place = match supervisor(node, label.clone(), id.span(), false, cx) {
        Some(sup) => {
            child.kind = ChildKind::Sup(sup);
            Place::Supervisor
        }
        None => {
            child.kind = ChildKind::Worker(Box::new(worker(node, &label, cx)));
            if node.kind == "process" {
                Place::Process
            } else {
                Place::Worker
            }
        }
    };
    let mut opts = child_options(node.options.as_ref(), place, &label, cx);
    ping_is_on_a_json_rpc_process(&opts, place, &label, cx);
    rules::significant_is_not_permanent(&opts.policy, node, &label, cx);
    rules::significant_needs_auto_shutdown(&opts.policy, parent_auto, node, &label, cx);
    rules::backoff_is_not_on_temporary(&opts.policy, node, &label, cx);
    if let ChildKind::Worker(w) = &mut child.kind {
        if w.start == Start::Process {
            process_options(w, &mut opts);
            child.policy = opts.policy;
            child.detection = opts.detection;
            child.readiness_ignored = opts.readiness_ignored;
            return child;
        }
        w.mailbox = opts.mailbox;
        w.mailbox_capacity = opts.mailbox_capacity;
        w.state = opts.state;
        w.names_used = opts.uses;
        rules::mailbox_capacity_needs_a_mailbox(w, node, &label, cx);
    }
    child.policy = opts.policy;
    child.detection = opts.detection;
    child.readiness_ignored = opts.readiness_ignored;
    child
}

/// A process's own options on its node; its stdio gives it a mailbox of `Rpc` or `Line`. A
/// process that could not be read (reported) has a mailbox all the same, of `()`, which exists
/// without the feature: a pool of them reports no second error for want of one.
fn process_options(w: &mut Worker, opts: &mut ChildOptions) {
    let called = opts.process.json_rpc || opts.process.lines;
    w.mailbox = match (called, w.process.is_some()) {
        (false, _) => None,
        (true, false) => Some(syn::parse_quote!(())),
        (true, true) if opts.process.json_rpc => Some(syn::parse_quote!(::supervisor::Rpc)),
        (true, true) => Some(syn::parse_quote!(::supervisor::Line)),
    };
    if let Some(p) = w.process.as_mut() {
        let program = std::mem::take(&mut p.program);
        let args = std::mem::take(&mut p.args);
        **p = ProcessNode {
            program,
            args,
            ..std::mem::take(&mut opts.process)
        };
    }
}

fn ping_is_on_a_json_rpc_process(opts: &ChildOptions, place: Place, label: &str, cx: &Ctxt) {
    if let Some(probe) = opts.detection.health.as_ref().filter(|p| p.ping) {
        let rpc = place == Place::Process && opts.process.json_rpc;
        rules::ping_is_on_a_json_rpc_process(probe, rpc, label, cx);
    }
}

/// A pool: `pool(size = N, route = .., overflow = ..) { worker(f) [mailbox = M] }` (S14).
fn pool(node: &NodeAst, id: String, cx: &Ctxt) -> PoolSup {
    let mut intensity_ = Intensity::default();
    let mut size = None;
    let mut route = Route::RoundRobin;
    let mut overflow = None;
    for opt in sup_options(node.args.as_ref(), Place::PoolOptions, &id, cx) {
        if intensity(&opt, &mut intensity_, cx) {
            continue;
        }
        let Some(v) = rules::option_has_a_value(&opt, cx) else {
            continue;
        };
        match opt.key.to_string().as_str() {
            "size" => {
                size = (values::scalar("size", v, cx).and_then(Scalar::count))
                    .map(|n| (n, tokens_span(v)))
            }
            "route" => {
                if let Some(r) = values::route(v, cx) {
                    route = r;
                }
            }
            _ => {
                let words = rules::OVERFLOWS;
                overflow = values::word(v, "overflow", words, cx).map(|w| match w.as_str() {
                    "reject" => PoolOverflow::Reject,
                    "drop_newest" => PoolOverflow::DropNewest,
                    "drop_oldest" => PoolOverflow::DropOldest,
                    _ => PoolOverflow::Wait,
                });
            }
        }
    }
    let size = rules::pool_size_is_at_least_one(size, node.kind.span(), &id, cx);
    if let Some(children) = &node.children {
        rules::each_child_parses(children, cx);
    }
    let mut template = template_in(node, &id, Place::PoolTemplate, cx);
    // Each slot is given its number.
    template.args = Some(syn::parse_quote!(usize));
    let read = node.children.as_ref().and_then(|c| c.nodes.first());
    // A template that is not a worker has had its error.
    if let Some(t) = read.filter(|t| t.kind == "worker" || t.kind == "from_worker") {
        rules::pool_template_has_a_mailbox(&template, t, &id, cx);
        rules::pool_slots_are_not_temporary(&template.policy, t, &id, cx);
    }
    PoolSup {
        id,
        intensity: intensity_,
        size,
        route,
        overflow,
        template: Box::new(template),
    }
}

/// Checks every node's kind once, before anything else, and reads a typo that has a close
/// suggestion as the suggestion, so that the one mistake is its one error and the tree keeps
/// its shape (its handle's fields, its `TREE`).
fn read_node_kinds(node: &mut NodeAst, cx: &Ctxt) {
    if !rules::node_kind_is_known(&node.kind, cx) {
        if let Some(kind) = did_you_mean(&node.kind.to_string(), rules::NODE_KINDS) {
            node.kind = Ident::new(kind, node.kind.span());
        }
    }
    for child in node.children.iter_mut().flat_map(|c| c.nodes.iter_mut()) {
        read_node_kinds(child, cx);
    }
}

/// Whether `kind` is a node kind (an unknown one was reported by [`read_node_kinds`]).
fn is_node_kind(kind: &Ident) -> bool {
    rules::NODE_KINDS.contains(&kind.to_string().as_str())
}

/// The one template of a dynamic supervisor or a pool, or a placeholder when it has none.
fn template_in(node: &NodeAst, id: &str, place: Place, cx: &Ctxt) -> Template {
    let Some(t) = rules::dynamic_has_one_template(node, id, cx) else {
        return Template::placeholder(node.kind.span());
    };
    let owner = rules::template_owner(node, id);
    rules::template_has_no_id(t, &owner, cx);
    template_of(t, &owner, place, cx)
}

/// The template of a dynamic supervisor or of a pool (`place` says which), named in errors as
/// its `owner`'s; a placeholder when it is not a worker.
fn template_of(node: &NodeAst, owner: &str, place: Place, cx: &Ctxt) -> Template {
    rules::only_doc_comments_on_children(node, cx);
    if !is_node_kind(&node.kind) || !rules::template_is_a_worker(node, owner, cx) {
        return Template::placeholder(node.kind.span());
    }
    let label = "template";
    let mut worker = worker(node, label, cx);
    // A process template: each slot or child runs the same process (S20).
    if worker.start == Start::Process {
        let mut opts = child_options(node.options.as_ref(), Place::Process, label, cx);
        ping_is_on_a_json_rpc_process(&opts, Place::Process, label, cx);
        rules::template_is_not_significant(&mut opts.policy, node, owner, cx);
        rules::backoff_is_not_on_temporary(&opts.policy, node, label, cx);
        process_options(&mut worker, &mut opts);
        return Template {
            policy: opts.policy,
            detection: opts.detection,
            worker,
            args: None,
        };
    }
    let mut opts = child_options(node.options.as_ref(), place, label, cx);
    rules::template_is_not_significant(&mut opts.policy, node, owner, cx);
    rules::backoff_is_not_on_temporary(&opts.policy, node, label, cx);
    worker.mailbox = opts.mailbox;
    worker.mailbox_capacity = opts.mailbox_capacity;
    worker.state = opts.state;
    worker.names_used = opts.uses;
    rules::mailbox_capacity_needs_a_mailbox(&worker, node, label, cx);
    Template {
        policy: opts.policy,
        detection: opts.detection,
        worker,
        args: opts.args,
    }
}

/// A worker's start expression (a placeholder's when it has none, or several); its mailbox
/// comes from its options.
fn worker(node: &NodeAst, label: &str, cx: &Ctxt) -> Worker {
    rules::worker_has_no_children(node, label, cx);
    let (parts, span) = match &node.args {
        Some(a) => (values::split_top_level_commas(&a.tokens), a.span),
        None => (Vec::new(), node.kind.span()),
    };
    if node.kind == "process" {
        let mut w = Worker::placeholder(span);
        w.start = Start::Process;
        if !rules::process_needs_the_feature(node, cx) {
            return w;
        }
        let mut parts = parts.into_iter().filter(|p| !p.is_empty());
        if let Some(program) = rules::process_has_a_program(node, label, parts.next(), cx) {
            w.process = Some(Box::new(ProcessNode {
                program,
                args: parts.collect(),
                ..ProcessNode::default()
            }));
        }
        return w;
    }
    if !rules::worker_has_one_start_expression(node, label, &parts, cx) {
        return Worker::placeholder(span);
    }
    let expr = parts.into_iter().next().unwrap_or_default();
    let span = if expr.is_empty() {
        span
    } else {
        tokens_span(&expr)
    };
    Worker {
        start: if node.kind == "worker" {
            Start::Fn
        } else {
            Start::FromWorker
        },
        expr,
        span,
        mailbox: None,
        mailbox_capacity: None,
        state: None,
        names_used: Vec::new(),
        uses: Vec::new(),
        process: None,
    }
}

/// What a child's `[..]` says.
#[derive(Default)]
struct ChildOptions {
    policy: Policy,
    mailbox: Option<Type>,
    mailbox_capacity: Option<u64>,
    args: Option<Type>,
    state: Option<Type>,
    /// Names, resolved once the whole tree is read.
    uses: Vec<Ident>,
    detection: Detection,
    readiness_ignored: bool,
    /// A process child's own options (S20).
    process: ProcessNode,
}

fn child_options(opts: Option<&Options>, place: Place, label: &str, cx: &Ctxt) -> ChildOptions {
    let mut out = ChildOptions::default();
    let mut seen = HashMap::new();
    for opt in opts.map_or(&[][..], |o| &o.items) {
        let Some(key) = known_key(&opt.key, place, cx) else {
            continue;
        };
        if !(rules::option_is_given_once(&mut seen, &key, cx)
            && rules::option_applies_to_the_node(&key, place, label, cx))
        {
            continue;
        }
        let key = key.to_string();
        if key == "die_with_supervisor" {
            out.process.die_with_supervisor =
                values::flag(&opt.key, opt.value.as_ref(), cx).unwrap_or(true);
            continue;
        }
        if key == "env_clear" {
            out.process.env_clear = values::flag(&opt.key, opt.value.as_ref(), cx).unwrap_or(true);
            continue;
        }
        if key == "significant" {
            // Written but malformed (`significant = yes`): read as meant, so that the rules that
            // depend on it (auto_shutdown needs a significant child) do not report it again.
            out.policy.significant = values::flag(&opt.key, opt.value.as_ref(), cx).unwrap_or(true);
            continue;
        }
        let Some(v) = rules::option_has_a_value(opt, cx) else {
            continue;
        };
        match key.as_str() {
            "restart" => {
                if let Some(w) = values::word(v, "restart type", rules::RESTARTS, cx) {
                    out.policy.restart = match w.as_str() {
                        "transient" => Restart::Transient,
                        "temporary" => Restart::Temporary,
                        _ => Restart::Permanent,
                    };
                }
            }
            "shutdown" => out.policy.shutdown = values::shutdown(v, cx),
            "stdio" => {
                let w = values::word(v, "stdio", rules::STDIO, cx);
                out.process.json_rpc = w.as_deref() == Some("json_rpc");
                out.process.lines = w.as_deref() == Some("lines");
            }
            "ready" => out.process.ready = values::ready(v, cx),
            "ready_timeout" => {
                out.process.ready_timeout = values::scalar(&key, v, cx).and_then(Scalar::duration);
            }
            "exit_codes" => out.process.exit_codes = values::exit_codes(v, cx),
            "env" => out.process.env = Some(v.clone()),
            "cwd" => out.process.cwd = Some(v.clone()),
            "max_restarts" => {
                let n = values::scalar(&key, v, cx).and_then(Scalar::count);
                out.detection
                    .budget
                    .get_or_insert_with(Default::default)
                    .max_restarts = n;
            }
            "within" => {
                if let Some(d) = values::scalar(&key, v, cx).and_then(Scalar::duration) {
                    rules::period_is_not_zero(d, tokens_span(v), cx);
                    out.detection
                        .budget
                        .get_or_insert_with(Default::default)
                        .within = Some(d);
                }
            }
            "on_exhausted" => {
                let w = values::word(v, "on_exhausted", rules::ON_EXHAUSTED, cx);
                out.detection
                    .budget
                    .get_or_insert_with(Default::default)
                    .quarantine = w.is_some_and(|w| w == "quarantine");
            }
            "readiness" => {
                let w = values::word(v, "readiness", rules::READINESS, cx);
                out.readiness_ignored = w.is_some_and(|w| w == "ignored");
            }
            "backoff" => out.policy.backoff = values::backoff(v, cx),
            "mailbox" => out.mailbox = rules::type_options_are_types(&opt.key, v, cx),
            "args" => out.args = rules::type_options_are_types(&opt.key, v, cx),
            "mailbox_capacity" => {
                if let Some(n) = values::scalar(&key, v, cx).and_then(Scalar::count) {
                    rules::mailbox_capacity_is_not_zero(n, tokens_span(v), cx);
                    out.mailbox_capacity = Some(n);
                }
            }
            "decider" => out.detection.decide = Some(v.clone()),
            "health" => out.detection.health = values::probe(v, cx),
            "heartbeat" if rules::heartbeat_is_on_a_worker(&opt.key, place, label, cx) => {
                out.detection.heartbeat = values::phi(v, cx);
            }
            "depends_on" => out.detection.depends_on = values::name_list("depends_on", v, cx),
            "uses" if rules::uses_is_on_a_worker(&opt.key, place, false, label, cx) => {
                out.uses = values::name_list("uses", v, cx);
            }
            "state" if rules::state_is_on_a_worker(&opt.key, place, label, cx) => {
                out.state = rules::type_options_are_types(&opt.key, v, cx);
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;
