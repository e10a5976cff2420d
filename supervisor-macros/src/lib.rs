//! The `supervision_tree!` macro of the [`supervisor`](https://docs.rs/supervisor) crate. Use it
//! through that crate, which documents the grammar.
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]

mod check;
mod ctxt;
mod expand;
mod grammar;
mod model;
mod parse;
mod suggest;
mod values;

use proc_macro2::TokenStream;

/// Declares a supervision tree, checked at compile time, and expands into the runtime's
/// builders.
///
/// ```
/// use std::sync::Arc;
/// use supervisor::{supervision_tree, ChildContext};
///
/// pub struct Config { pub url: String }
/// pub enum ListenerMsg { Reload }
///
/// async fn db(ctx: ChildContext, config: Arc<Config>) -> Result<(), std::io::Error> {
///     let _ = &config.url;
///     ctx.cancelled().await;
///     Ok(())
/// }
/// async fn cache(ctx: ChildContext) -> Result<(), String> { ctx.cancelled().await; Ok(()) }
/// async fn listen(mut ctx: ChildContext<ListenerMsg>) -> Result<(), String> {
///     while let Some(ListenerMsg::Reload) = ctx.recv().await {}
///     Ok(())
/// }
/// async fn session(ctx: ChildContext, user: String) -> Result<(), String> {
///     let _ = user;
///     ctx.cancelled().await;
///     Ok(())
/// }
///
/// supervision_tree! {
///     /// The service.
///     pub App(config: Arc<Config>): one_for_one(max_restarts = 3, within = 5s) {
///         db: worker(move |ctx| db(ctx, config)) [shutdown = 10s],
///         cache: worker(cache) [restart = transient, backoff = exponential(100ms, 10s)],
///         api: rest_for_one(max_restarts = 5, within = 30s) {
///             listener: worker(listen) [mailbox = ListenerMsg],
///             sessions: dynamic(max_children = 10_000) {
///                 worker(session) [restart = temporary, args = String]
///             },
///         },
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let app = App::start(Arc::new(Config { url: "postgres://".into() })).await?;
/// app.api.listener.send(ListenerMsg::Reload).await?;      // typed mailbox
/// app.api.sessions.start_child("ann".to_string()).await?; // typed arguments
/// println!("{}", App::TREE);                                  // the tree, without starting it
/// app.shutdown().await?;
/// # Ok(())
/// # }
/// ```
///
/// # Grammar
///
/// ```text
/// tree       := doc* vis? Name params? ":" supervisor breakers?
/// params     := "(" (name ":" Type),* ")"          cloned into each incarnation that names them
/// supervisor := strategy ("(" sup_option,* ")")? ("[" child_option,* "]")? "{" children "}"
/// strategy   := one_for_one | one_for_all | rest_for_one | dynamic
/// pool       := pool "(" pool_option,* ")" "{" template "}"   a child, not the root
/// children   := (doc* id ":" node),*               static supervisors: one or more
///             | template                           dynamic supervisors: exactly one
/// template   := worker "(" expr ")" options?       expr: of (ctx, args); a pool's args: the slot
///             | from_worker "(" expr ")" options?  expr: a fn of the args to a fresh `Worker`
/// node       := worker "(" expr ")" options?       expr: async fn or closure of the ChildContext
///             | from_worker "(" expr ")" options?  expr: a `Worker` value, made per incarnation
///             | supervisor | pool
/// options    := "[" child_option,* "]"
///
/// sup_option   := max_restarts = INT | within = DURATION
///               | auto_shutdown = never | any_significant | all_significant   (static only)
///               | max_children = INT                                          (dynamic only)
/// pool_option  := size = INT | max_restarts = INT | within = DURATION
///               | route = round_robin | least_loaded | key_hash(expr) | broadcast
///               | overflow = wait | reject | drop_newest | drop_oldest
/// child_option := restart = permanent | transient | temporary
///               | shutdown = brutal_kill | infinity | DURATION
///               | significant | significant = BOOL
///               | readiness = counts | ignored             declared children (S16.3)
///               | backoff = none | fixed(D) | linear(D, D, D) | exponential(D, D)
///                           (each may end with `, reset_after = D`; exponential also with
///                            `, multiplier = F` and `, jitter = F`)
///               | mailbox = Type | mailbox_capacity = INT                     (workers)
///               | args = Type                                                 (templates)
///               | decider = expr          a fn(&ExitReason) -> Directive (S10)
///               | health = probe(expr, interval = D, timeout = D, failure_threshold = INT,
///                                success_threshold = INT, initial_delay = D)   expr: async fn of the
///                                                                      ProbeContext (S11)
///               | heartbeat = phi(interval = D, threshold = F, window = INT, min_std_deviation = D,
///                                 acceptable_pause = D, max_local_pause = D)  (workers, S12)
///               | depends_on = name | [name, ..]          breakers of the tree (S13.7)
///               | uses = name | [name, ..]    earlier nodes and breakers, bound by name in
///                                           the start expression (workers, S17)
///               | state = Type           carried across restarts (workers, S15); bound as
///                                      `state` in the start expression
/// breakers     := breakers "{" (name ":" breaker(failure_threshold = INT, call_timeout = D, reset_timeout = D,
///                     max_reset_timeout = D, half_open_max_calls = INT, success_threshold = INT, jitter = F)),* "}"
/// DURATION     := an integer or decimal with its unit, no space between:
///                 100ns, 500us, 250ms, 5s, 1.5s, 2m, 1h; at most 100 years
/// INT          := an integer literal (`_` separators allowed), at most 4,294,967,295
/// ```
///
/// Ids are snake_case and unique among siblings; each becomes a public field of its
/// supervisor's handle. Fields and methods do not share names in Rust, so an id may be the name
/// of a method the handles have: with a child `path`, `app.path` is the child and `app.path()`
/// the root's path. A keyword is written as a raw identifier (`r#type`).
/// Defaults: one_for_one, 3 restarts within 5 s, permanent, shutdown 5 s for workers and
/// infinity for supervisors, no backoff.
///
/// # What it generates
///
/// For `App`: a unit struct `App` with `App::spec(params) -> SupervisorSpec` (or
/// `DynamicSupervisorSpec` for a dynamic root), `App::start(params) -> Result<app::Handle,
/// StartError>` (and `App::start_observed(params, &observer)`, whose `Observer` subscriptions
/// see every event from the first start on) and `App::TREE`, a const `TreeDescription`; and a
/// module `app` (the tree's name in snake_case, with `_` before every capital but the first,
/// and of the tree's visibility) with the typed handles: one struct per supervisor, with a
/// public field per child and its `SupervisorRef` by deref (`app::Root` for the root,
/// `app::Api` for `api`, `app::ApiDb` for `api/db`), and `app::Handle`, an alias of the
/// runtime's `TreeHandle<app::Root>`, which holds the tree (`join`, `shutdown`, `subscribe`)
/// and derefs to `app::Root`, so that `app.api.listener` is a `ChildRef<ListenerMsg>`. The
/// handles are bound by position when the tree starts, with no lookup that could fail. A
/// misspelt child or a wrong message type is a compile error. A module per tree keeps every
/// pair of trees apart (`App` with a child `api` and a tree `AppApi` give `app::Api` and
/// `AppApi`); the module sees the items of the module the tree is in, so the types a tree's
/// options name are declared at module level, not inside a function.
///
/// # Checked at compile time
///
/// Every error of a tree is reported at once, each at the token it is about; a tree whose only
/// errors are in values (an unknown restart type, a bad duration, ...) still expands in full, so
/// that those are the only errors: one typo is one error \[`one_typo_one_error`\], and many
/// mistakes are all reported \[`all_errors_at_once`\]. The macro never panics.
///
/// The rules, one function each in the macro crate (`check/rules.rs`, and `values.rs` for the
/// values' grammar), with the SEMANTICS rule each enforces and its cases in `tests/ui/fail`
/// (each with the compiler's output); a test keeps this table equal to those functions:
///
/// | Rule | What it requires | Rule of | Cases |
/// |---|---|---|---|
/// | `tree_name_is_upper_camel` | a tree's name is UpperCamelCase, as the type it becomes | names | `tree_name_not_upper_camel` |
/// | `tree_name_is_not_self` | a tree is not named `Self`, `Super` or `Crate` (its type or its handles' module) | names | `tree_named_self` |
/// | `parameters_are_unique` | tree parameters have distinct names | names | `duplicate_parameter` |
/// | `child_has_an_id` | a static supervisor's child has an id | S1.2 | `child_without_id` |
/// | `id_is_snake_case` | an id is snake_case, as the field it becomes | names | `id_not_snake_case` |
/// | `id_is_not_a_keyword` | an id that is a keyword is written raw (`r#type`) | names | `id_is_keyword` |
/// | `ids_are_unique` | sibling ids are unique | S1.2, S1.4 | `duplicate_id` |
/// | `handle_type_names_are_distinct` | nested supervisors' handle types are distinct (`a_b`, `a { b }`), and not `Root` or `Handle` | names | `handle_type_names_clash` |
/// | `root_is_a_supervisor` | the root is a supervisor: `one_for_one`, `one_for_all`, `rest_for_one` or `dynamic` | S5.6 | `unknown_root_strategy`, `pool_as_root` |
/// | `node_kind_is_known` | a node is a `worker`, a `from_worker`, a `process` or a supervisor of a known strategy | grammar | `unknown_node_kind`, `unknown_strategy`, `node_kind_typo_one_error` |
/// | `root_has_no_child_options` | the root has no parent, so no child options | S1.2 | `restart_on_root` |
/// | `supervisor_has_children` | a static supervisor has its children in braces, one at least | S1.1, S1.4 | `supervisor_without_children` |
/// | `dynamic_has_one_template` | a dynamic supervisor has exactly one template | S1.4, S5.4 | `dynamic_without_template`, `dynamic_two_templates`, `pool_messages` |
/// | `template_has_no_id` | a template has no id: its children get numbers as ids | S5.4 | `template_with_id` |
/// | `template_is_a_worker` | a template is a worker or a process | S5.4 | `template_is_a_supervisor` |
/// | `template_is_not_significant` | a template is not significant | S5.4, S8 | `dynamic_significant_template` |
/// | `process_needs_the_feature` | `process(..)` children need the feature `process` of `supervisor` (on Unix) | S20 | `process_without_feature` |
/// | `process_has_a_program` | a process names its program, then its arguments: `process("server", "--port", "0")` | S20.1 | `process_without_program` |
/// | `worker_has_one_start_expression` | a worker has one start expression (a trailing comma is fine) | S1.2 | `worker_without_start`, `two_start_expressions` |
/// | `worker_has_no_children` | a worker has no children | S1.2 | `worker_with_children` |
/// | `only_doc_comments_on_children` | only doc comments stand on a child | grammar | `attribute_on_child` |
/// | `each_child_parses` | children that do not parse are reported, each skipped up to its `,` | grammar | `missing_colon_after_id`, `syntax_errors_do_not_hide_others` |
/// | `option_is_known` | an option is one the grammar knows | grammar | `unknown_child_option`, `unknown_supervisor_option`, `misspelt_required_option`, `renamed_option` |
/// | `option_is_given_once` | an option is given once | grammar | `option_twice`, `supervisor_option_twice` |
/// | `option_applies_to_the_node` | an option applies to the node it is written on, in the list it is written in | S5.6 | `option_out_of_place`, `overflow_outside_a_pool`, `readiness_on_template`, `stdio_on_worker`, `mailbox_on_process` |
/// | `option_has_a_value` | an option other than a flag has a value (`key = value`) | grammar | `option_without_value` |
/// | `type_options_are_types` | `mailbox`, `args` and `state` take a type | grammar | `mailbox_not_a_type` |
/// | `significant_is_not_permanent` | a significant child is not permanent | S1.4, S8 | `significant_permanent` |
/// | `significant_needs_auto_shutdown` | a significant child's supervisor has `auto_shutdown` set | S1.4, S8 | `significant_under_auto_shutdown_never` |
/// | `auto_shutdown_needs_a_significant_child` | `auto_shutdown` is set only where a child is significant | S8 | `auto_shutdown_without_significant` |
/// | `backoff_is_not_on_temporary` | a temporary child, never restarted, has no backoff | S3.4 | `backoff_on_temporary` |
/// | `period_is_not_zero` | the period of the restart intensity is greater than zero | S1.4 | `zero_period` |
/// | `max_children_is_not_zero` | `max_children` is at least 1 | S5.4 | `max_children_zero` |
/// | `mailbox_capacity_is_not_zero` | `mailbox_capacity` is at least 1 | S9.8 | `mailbox_capacity_zero` |
/// | `backoff_initial_not_above_max` | a backoff's initial delay is not above its maximum | S1.2 | `backoff_initial_above_max` |
/// | `numbers_are_finite` | a number is finite (`1e999` overflows an `f64` to infinity, which no option means) | grammar | `float_out_of_range` |
/// | `breaker_timeouts_are_sound` | a breaker's `call_timeout` is above zero and its `reset` not above its `max_reset` | S13.2, S13.3 | `breaker_timeouts` |
/// | `backoff_multiplier_at_least_one` | an exponential backoff's multiplier is at least 1 | S1.2 | `backoff_multiplier_below_one` |
/// | `backoff_jitter_within_0_1` | an exponential backoff's jitter is within 0..=1 | S1.2 | `backoff_jitter_out_of_range` |
/// | `probe_timing_is_sound` | probes are spaced (an interval above zero) and each is shorter than the space | S11.1 | `probe_timeout_not_below_interval` |
/// | `counts_are_in_range` | counts and thresholds are in range (at least 1; a phi threshold above 0; a window of 2 or more) | S11.5, S12.6, S13.8 | `counts_out_of_range` |
/// | `heartbeat_interval_is_given` | heartbeats declare their interval (it has no default), above zero | S12.6 | `phi_without_interval` |
/// | `heartbeat_is_on_a_worker` | only workers send heartbeats | S12.1 | `heartbeat_on_supervisor` |
/// | `pool_size_is_at_least_one` | a pool has `size` slots, at least one | S14.1 | `pool_size_zero` |
/// | `key_hash_has_a_key` | `key_hash` routing says what the key of a message is | S14.2 | `key_hash_without_key` |
/// | `pool_template_has_a_mailbox` | a pool's slots have a mailbox: messages are what a pool routes | S14.1 | `pool_without_mailbox` |
/// | `pool_slots_are_not_temporary` | a pool's slots are permanent or transient | S14.6 | `pool_temporary_slots` |
/// | `mailbox_capacity_needs_a_mailbox` | `mailbox_capacity` only on a worker with a mailbox | S9.8 | `mailbox_capacity_without_mailbox` |
/// | `state_is_on_a_worker` | only workers carry state across restarts | S15 | `state_on_supervisor` |
/// | `uses_is_on_a_worker` | only a worker's start function uses nodes, not a supervisor or a `from_worker` factory | S17.1 | `uses_on_supervisor` |
/// | `used_name_is_in_scope` | a worker uses the nodes that start before it, its ancestors and the tree's breakers | S17.2 | `uses_later_node`, `uses_unknown` |
/// | `used_name_is_named` | a worker's start expression names each node and breaker it uses | S17.1 | `uses_not_named` |
/// | `breakers_are_unique` | breaker names are unique in a tree | S13.1 | `breaker_declared_twice` |
/// | `breakers_are_declared` | a child depends only on breakers the tree declares | S13.7 | `breaker_not_declared` |
/// | `ping_is_on_a_json_rpc_process` | `ping` asks a process that speaks JSON-RPC: `stdio = json_rpc` | S20.4 | `ping_on_lines_process` |
/// | `storm_limit_is_on_the_root` | `storm_limit` caps the whole tree, so it stands on the root alone | S18.2 | `storm_limit_below_root` |
/// | `scalar` | a count, a duration or a number is read as the grammar's table says its option takes | grammar | `max_restarts_not_an_integer`, `float_out_of_range` |
/// | `duration` | a duration is a number and its unit, no space between, at most 100 years (`1.5s`) | grammar | `duration_without_unit`, `duration_unknown_unit`, `duration_with_a_space`, `duration_negative`, `duration_too_large` |
/// | `integer` | an integer is a plain integer literal (`_` separators allowed) no larger than `max` | grammar | `max_restarts_not_an_integer`, `integer_too_large` |
/// | `storm_limit` | a storm limit is a count of restarts `within` a window (`1000 within 60s`) | S18.2 | `storm_limit_malformed` |
/// | `ready` | a readiness is `spawned`, `line("text")`, `after(D)` or `mcp` | S20.1 | `unknown_ready` |
/// | `exit_codes` | exit codes are `[INT => directive, ..]`, each directive `restart`, `stop`, `escalate` or `fatal` | S20.3 | `exit_codes_malformed` |
/// | `word` | a word is one of the words its option takes (`permanent`, `any_significant`, ..) | grammar | `unknown_restart`, `unknown_on_exhausted` |
/// | `flag` | a flag is given alone, or as `true` or `false` | grammar | `significant_not_a_bool` |
/// | `shutdown` | a shutdown is `brutal_kill`, `infinity` or a duration | grammar | `unknown_shutdown` |
/// | `backoff` | a backoff is `none`, `fixed(D)`, `linear(D, D, D)` or `exponential(D, D)` | grammar | `backoff_malformed` |
/// | `probe` | a probe is `probe(check, interval = D, timeout = D, failure_threshold = N, success_threshold = N, initial_delay = D)`, or `ping(..)` with the same options | grammar | `probe_malformed` |
/// | `phi` | heartbeats are `phi(interval = D, threshold = F, window = N, min_std_deviation = D, acceptable_pause = D, max_local_pause = D)` | grammar | `phi_malformed` |
/// | `breaker` | a breaker is `breaker(failure_threshold = N, call_timeout = D, reset_timeout = D, max_reset_timeout = D, half_open_max_calls = N, success_threshold = N, jitter = F)` | grammar | `breaker_malformed` |
/// | `route` | a route is `round_robin`, `least_loaded`, `key_hash(key)` or `broadcast` | grammar | `unknown_route` |
/// | `name_list` | `depends_on` and `uses` take a name, or several in brackets: `llm`, `[db, llm]` | grammar | `depends_on_not_a_name`, `uses_not_a_name` |
///
/// Checked by rustc at the user's tokens, through marker traits with their own messages: a start
/// expression of the wrong type \[`start_expression_type_error`\] or returning something else
/// than `Result<(), E>` \[`start_returns_unit`\]; a tree parameter that is not `Clone + Send +
/// Sync + 'static`, once, wherever it is used and whichever bounds it misses
/// \[`parameter_not_clone`, `parameter_used_not_clone`, `parameter_in_probe_not_clone`,
/// `parameter_not_send`\]; a mailbox type that is
/// not `Send + 'static`, at the type \[`mailbox_not_send`\]; the arguments of a template that
/// restarts that are not `Clone`, saying that `restart = temporary` moves them instead
/// \[`args_not_clone`\]; a call through a breaker whose error type declares no disposition
/// \[`breaker_error_without_disposition`\]; a start function named by path whose context or
/// arguments are not the declared mailbox or `args`, saying what to declare
/// \[`mailbox_not_declared`\]; the message type of a broadcast
/// pool that is not `Clone`, at the type \[`broadcast_not_clone`\]; a `key_hash` closure that
/// takes its message by value or whose key is not `Hash`, at the closure
/// \[`key_hash_type_errors`\]; a misspelt child or a wrong message
/// type where the tree is used \[`wrong_message_type_and_misspelt_child`\]. Each tree is checked
/// on its own; a module per tree keeps the generated names of any two trees apart
/// (the pass case `tree_names_never_clash`).
///
/// Raw identifiers work everywhere a name does: `r#type: worker(run)` is the child `type`,
/// reached as the field `app.r#type`.
#[proc_macro]
pub fn supervision_tree(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    // A safety net: the macro is tested never to panic, but should it, the user gets an error
    // at the call site rather than "proc macro panicked".
    let input: TokenStream = input.into();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tree(input))) {
        Ok(out) => out.into(),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let msg = format!(
                "internal error of `supervision_tree!` ({what}); please report it with the tree"
            );
            quote::quote!(::core::compile_error!(#msg);).into()
        }
    }
}

/// Parse, check, expand: every error, and the tree's items whatever its errors.
fn tree(input: TokenStream) -> TokenStream {
    let ast = match syn::parse2::<parse::TreeAst>(input) {
        Ok(ast) => ast,
        Err(e) => return e.into_compile_error(),
    };
    let checked = check::check(ast);
    let mut out = match checked.errors {
        Ok(()) => TokenStream::new(),
        Err(e) => e.into_compile_error(),
    };
    if let Some(tree) = &checked.tree {
        out.extend(expand::expand(tree, checked.buildable));
    }
    out
}

#[cfg(test)]
mod snapshots;

#[cfg(test)]
mod never_panic;

#[cfg(test)]
mod compile_time;

/// The table of rules in the docs is the list of rule functions (name, doc line, SEMANTICS
/// rules), every rule has a case in `tests/ui/fail` (or `tests/ui/without_process`), and every
/// case there is named in the docs.
#[cfg(test)]
#[test]
fn documented_rules_are_the_rule_functions_and_the_trybuild_cases() {
    fn rule_functions(src: &str) -> Vec<(String, String, String)> {
        let file = syn::parse_file(src).expect("the macro's source parses");
        let mut out = Vec::new();
        for item in file.items {
            let syn::Item::Fn(f) = item else { continue };
            // A rule reports to the context; helpers and private functions are not rules.
            let reports = f.sig.inputs.iter().any(|arg| {
                matches!(arg, syn::FnArg::Typed(t) if quote::quote!(#t).to_string().contains("Ctxt"))
            });
            if matches!(f.vis, syn::Visibility::Inherited) || !reports {
                continue;
            }
            let first_doc = f.attrs.iter().find_map(|a| match &a.meta {
                syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            });
            let doc = first_doc.unwrap_or_default();
            let (tag, text) = doc.trim().split_once(": ").expect("`tag: text` doc line");
            let text = text.trim_end_matches('.').to_owned();
            out.push((f.sig.ident.to_string(), text, tag.to_owned()));
        }
        out
    }
    let mut rules = rule_functions(include_str!("check/rules.rs"));
    rules.extend(rule_functions(include_str!("values.rs")));
    let docs = include_str!("lib.rs");
    let section = docs
        .split("/// # Checked at compile time")
        .nth(1)
        .and_then(|s| s.split("#[proc_macro]").next())
        .expect("the section exists");
    let mut table = Vec::new();
    let mut cases_in_table = Vec::new();
    for row in section.lines().filter_map(|l| l.strip_prefix("/// | `")) {
        let cells: Vec<&str> = row.trim_end_matches(" |").split(" | ").collect();
        let [name, text, tag, cases] = cells[..] else {
            panic!("a row has four cells: {row}");
        };
        let name = name.trim_end_matches('`').to_owned();
        let cases: Vec<String> = cases
            .split(", ")
            .map(|c| c.trim_matches('`').to_owned())
            .collect();
        assert!(
            !cases.is_empty() && !cases[0].is_empty(),
            "{name} has no case"
        );
        cases_in_table.extend(cases);
        table.push((name, text.to_owned(), tag.to_owned()));
    }
    assert_eq!(
        table, rules,
        "the docs' table and the rule functions differ"
    );
    // Cases are named in the table and in brackets elsewhere: \[`a`, `b`\].
    let prose = section.replace("\n/// ", " ");
    let mut documented: Vec<String> = prose
        .split("\\[")
        .skip(1)
        .filter_map(|s| s.split("\\]").next())
        .flat_map(|names| {
            names
                .split(',')
                .map(|n| n.trim().trim_matches('`').to_owned())
        })
        .chain(cases_in_table)
        .collect();
    documented.sort();
    documented.dedup();
    // `without_process` holds the case that needs the facade built without that feature.
    let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ui");
    let mut cases: Vec<String> = ["fail", "without_process"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(ui.join(dir)).expect("a folder of tests/ui"))
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    cases.sort();
    assert_eq!(documented, cases);
}
