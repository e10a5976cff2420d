//! The `supervision_tree!` macro of the [`supervisor`](https://docs.rs/supervisor) crate. Use it
//! through that crate, which documents the grammar.

mod check;
mod expand;
mod parse;
mod suggest;

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
/// DURATION     := an integer or decimal with a unit: 500us, 250ms, 5s, 1.5s, 2m, 1h
/// ```
///
/// Ids are snake_case, unique among siblings, and become method names of the generated handle.
/// Defaults: one_for_one, 3 restarts within 5 s, permanent, shutdown 5 s for workers and
/// infinity for supervisors, no backoff.
///
/// # What it generates
///
/// For `App`: a unit struct `App` with `App::spec(params) -> SupervisorSpec`,
/// `App::start(params) -> Result<AppHandle, StartError>` and `App::TREE`, a const
/// `TreeDescription`; `AppHandle`, whose methods mirror the tree (`app.api().listener()` is a
/// `ChildRef<ListenerMsg>`), with the `SupervisorHandle` by deref; one handle struct per nested
/// supervisor (`AppApi`). A misspelt child or a wrong message type is a compile error.
///
/// # Checked at compile time
///
/// Every error of a tree is reported at once, at the offending token: duplicate sibling ids,
/// unknown options, strategies, restart types and shutdown values (with a "did you mean"),
/// options given twice or where they do not apply, durations without a unit, with an unknown
/// unit, or negative, a zero period, intensities that are not integers, backoffs whose initial
/// delay is above the maximum, whose multiplier is below 1 or whose jitter is outside 0..=1,
/// backoff on a temporary child, significant children that are permanent or under
/// `auto_shutdown = never`, auto_shutdown without a significant child, supervisors without
/// children, dynamic supervisors without exactly one (non-significant) template,
/// `max_children = 0`, ids that are not snake_case, are keywords or clash with generated
/// methods, workers without a start expression, tree names that are not UpperCamelCase, and
/// duplicate tree parameters. Type errors in a start expression point at that expression.
#[proc_macro]
pub fn supervision_tree(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    tree(input.into()).into()
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
