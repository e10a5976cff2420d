//! The `supervision_tree!` macro of the [`supervisor`](https://docs.rs/supervisor) crate. Use it
//! through that crate, which documents the grammar.

mod check;
mod ctxt;
mod expand;
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
/// app.api().listener().send(ListenerMsg::Reload).await?;      // typed mailbox
/// app.api().sessions().start_child("ann".to_string()).await?; // typed arguments
/// println!("{}", App::TREE);                                  // the tree, without starting it
/// app.shutdown().await?;
/// # Ok(())
/// # }
/// ```
///
/// # Grammar
///
/// ```text
/// tree       := doc* vis? Name params? ":" supervisor
/// params     := "(" (name ":" Type),* ")"          cloned into each incarnation that names them
/// supervisor := strategy ("(" sup_option,* ")")? ("[" child_option,* "]")? "{" children "}"
/// strategy   := one_for_one | one_for_all | rest_for_one | dynamic
/// children   := (doc* id ":" node),*               static supervisors: one or more
///             | worker "(" expr ")" options?       dynamic supervisors: exactly one template
/// node       := worker "(" expr ")" options?       expr: async fn or closure of the ChildContext
///             | from_worker "(" expr ")" options?  expr: a `Worker` value, made per incarnation
///             | supervisor
/// options    := "[" child_option,* "]"
///
/// sup_option   := max_restarts = INT | within = DURATION
///               | auto_shutdown = never | any_significant | all_significant   (static only)
///               | max_children = INT                                          (dynamic only)
/// child_option := restart = permanent | transient | temporary
///               | shutdown = brutal_kill | infinity | DURATION
///               | significant | significant = BOOL
///               | backoff = none | fixed(D) | linear(D, D, D) | exponential(D, D)
///                           (each may end with `, reset_after = D`; exponential also with
///                            `, multiplier = F` and `, jitter = F`)
///               | mailbox = Type | mailbox_capacity = INT                     (workers)
///               | args = Type                                                 (templates)
/// DURATION     := an integer or decimal with its unit, no space between:
///                 100ns, 500us, 250ms, 5s, 1.5s, 2m, 1h; at most 100 years
/// INT          := an integer literal (`_` separators allowed), at most 4,294,967,295
/// ```
///
/// Ids are snake_case, unique among siblings, and become method names of the generated handle,
/// so they may not be the name of a method the handles already have (`path`, `join`,
/// `which_children`, ...); a keyword is written as a raw identifier (`r#type`).
/// Defaults: one_for_one, 3 restarts within 5 s, permanent, shutdown 5 s for workers and
/// infinity for supervisors, no backoff.
///
/// # What it generates
///
/// For `App`: a unit struct `App` with `App::spec(params) -> SupervisorSpec` (or
/// `DynamicSupervisorSpec` for a dynamic root), `App::start(params) -> Result<AppHandle,
/// StartError>` and `App::TREE`, a const `TreeDescription`; one handle struct per supervisor,
/// with a method per child and its `SupervisorRef` by deref (`AppRoot` for the root, `AppApi`
/// for `api`); and `AppHandle`, an alias of the runtime's `TreeHandle<AppRoot>`, which holds the
/// tree (`join`, `shutdown`, `subscribe`) and derefs to `AppRoot`, so that
/// `app.api().listener()` is a `ChildRef<ListenerMsg>`. A misspelt child or a wrong message type
/// is a compile error.
///
/// # Checked at compile time
///
/// Every error of a tree is reported at once, each at the token it is about; a tree whose only
/// errors are in values (an unknown restart type, a bad duration, ...) still expands in full, so
/// that those are the only errors. One case per rule, with the compiler's output, is in
/// `tests/ui/fail/` (named in brackets):
///
/// - Syntax: a missing `:` after a child id \[`missing_colon_after_id`\] or `,` after a
///   child, each child that does not parse skipped up to the next `,` so that the others are
///   still checked \[`syntax_errors_do_not_hide_others`\]; unknown node kinds
///   \[`unknown_node_kind`\], strategies, at the root too \[`unknown_strategy`,
///   `unknown_root_strategy`\], options \[`unknown_child_option`, `unknown_supervisor_option`\],
///   restart types \[`unknown_restart`\] and shutdown values \[`unknown_shutdown`\], each with a
///   "did you mean"; an option given twice \[`option_twice`, `supervisor_option_twice`\] or where
///   it does not apply \[`option_out_of_place`, `restart_on_root`\]; a worker without a start
///   expression \[`worker_without_start`\] or with two \[`two_start_expressions`\] (a trailing
///   comma is fine).
/// - Values: durations without a unit \[`duration_without_unit`\], with an unknown unit
///   \[`duration_unknown_unit`\], apart from their unit \[`duration_with_a_space`\], negative
///   \[`duration_negative`\] or over 100 years; integers that are not integers
///   \[`max_restarts_not_an_integer`\] or above 4,294,967,295; a zero period \[`zero_period`\];
///   backoffs whose initial delay is above the maximum \[`backoff_initial_above_max`\], whose
///   multiplier is below 1 \[`backoff_multiplier_below_one`\] or whose jitter is outside 0..=1
///   \[`backoff_jitter_out_of_range`\]; backoff on a temporary child \[`backoff_on_temporary`\];
///   `max_children = 0` \[`max_children_zero`\]; `mailbox_capacity = 0`. A misspelt value is the
///   only error of its tree \[`one_typo_one_error`\].
/// - Structure (S1.4): duplicate sibling ids \[`duplicate_id`\]; supervisors without children
///   \[`supervisor_without_children`\]; dynamic supervisors without exactly one template
///   \[`dynamic_without_template`, `dynamic_two_templates`\], or with a significant one
///   \[`dynamic_significant_template`\]; significant children that are permanent
///   \[`significant_permanent`\] or under `auto_shutdown = never`
///   \[`significant_under_auto_shutdown_never`\]; auto_shutdown without a significant child
///   \[`auto_shutdown_without_significant`\].
/// - Names: tree names that are not UpperCamelCase \[`tree_name_not_upper_camel`\] or are
///   `Self` \[`tree_named_self`\]; duplicate tree parameters \[`duplicate_parameter`\]; ids that
///   are not snake_case \[`id_not_snake_case`\], are keywords \[`id_is_keyword`\] or are the name
///   of a method the handles have \[`id_clashes_with_generated_method`,
///   `id_reserved_by_the_handles`\]; nested supervisors whose handle types would share a name
///   \[`handle_type_names_clash`\]. Raw identifiers work: `r#type: worker(run)` is the child
///   `type`, reached with `app.r#type()`.
/// - Types, at the user's expression: a start expression of the wrong type
///   \[`start_expression_type_error`\] or returning something else than `Result<(), E>`
///   \[`start_returns_unit`\]; a tree parameter that is not `Clone + Send + Sync + 'static`
///   \[`parameter_not_clone`, `parameter_used_not_clone`\]; a mailbox type that is not `Send +
///   'static`, at the type \[`mailbox_not_send`\]; a misspelt child or a wrong message
///   type where the tree is used \[`wrong_message_type_and_misspelt_child`\]; several of them at
///   once \[`all_errors_at_once`\].
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

/// Parse, check, expand; on errors, every error plus a fallback that keeps the type names.
fn tree(input: TokenStream) -> TokenStream {
    let ast = match syn::parse2::<parse::TreeAst>(input) {
        Ok(ast) => ast,
        Err(e) => return e.into_compile_error(),
    };
    let fallback = expand::fallback(&ast);
    match check::check(ast) {
        Ok(tree) => expand::expand(&tree),
        Err((e, tree)) => {
            let mut out = e.into_compile_error();
            // A tree whose errors are all about values expands in full: the program's uses of
            // its accessors and description find them, so that its mistakes are the only errors.
            out.extend(tree.map_or(fallback, |tree| expand::expand(&tree)));
            out
        }
    }
}

#[cfg(test)]
mod snapshots;

#[cfg(test)]
mod never_panic;

#[cfg(test)]
mod compile_time;

/// The rules listed in the docs are the cases of `tests/ui/fail`, and the reverse.
#[cfg(test)]
#[test]
fn documented_rules_are_the_trybuild_cases() {
    let docs = include_str!("lib.rs");
    let section = docs
        .split("/// # Checked at compile time")
        .nth(1)
        .and_then(|s| s.split("#[proc_macro]").next())
        .expect("the section exists")
        .replace("\n/// ", " ");
    // Cases are named in brackets: \[`a`, `b`\].
    let mut documented: Vec<String> = section
        .split("\\[")
        .skip(1)
        .filter_map(|s| s.split("\\]").next())
        .flat_map(|names| {
            names
                .split(',')
                .map(|n| n.trim().trim_matches('`').to_owned())
        })
        .collect();
    documented.sort();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ui/fail");
    let mut cases: Vec<String> = std::fs::read_dir(dir)
        .expect("tests/ui/fail")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    cases.sort();
    assert_eq!(documented, cases);
}
