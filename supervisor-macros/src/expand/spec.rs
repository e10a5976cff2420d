//! The body of `spec()`: plain builder calls, one `let` per nested supervisor and breaker.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};

use super::params::{breaker_var, is_named_fn, shared_fn, start_fn, worker_factory};
use super::tokens::{
    args_type, duration, health_check, heartbeat, int, mailbox_type, strategy, sup_settings,
    worker_settings, Shared,
};
use crate::check::unraw;
use crate::model::{
    Breaker, Child, ChildKind, Detection, Restart, Route, Start, Strategy, Sup, Template,
};
use crate::parse::{tokens_span, Param};

/// The body of `spec()`: one `let` per nested supervisor, innermost first, then the root's
/// builder chain. Each node's tokens are written once, however deep the tree.
pub(super) fn spec_body(
    root: &Sup,
    breakers: &[Breaker],
    params: &[Param],
    shared: &Shared,
) -> TokenStream {
    // The tree's breakers first: its children name them; then what children share.
    let mut lets: TokenStream = breakers.iter().map(breaker_let).collect();
    lets.extend(shared.lets());
    let mut root = sup_spec(root, params, &[], &mut lets, shared);
    for b in breakers {
        let var = breaker_var(&b.name);
        root.extend(quote!(.breaker(#var)));
    }
    quote!(#lets #root)
}

/// `let breaker_llm = CircuitBreaker::new("llm", BreakerConfig::default()..);`, writing only
/// the settings given.
pub(super) fn breaker_let(b: &Breaker) -> TokenStream {
    let var = breaker_var(&b.name);
    let name = unraw(&b.name);
    let mut config = quote!(::supervisor::BreakerConfig::default());
    let counts = [
        ("failure_threshold", b.failures),
        ("half_open_max_calls", b.half_open),
        ("success_threshold", b.successes),
    ];
    for (setter, value) in counts {
        if let Some(n) = value {
            let (setter, n) = (Ident::new(setter, Span::call_site()), int(n));
            config.extend(quote!(.#setter(#n)));
        }
    }
    let durations = [
        ("call_timeout", b.call_timeout),
        ("reset_timeout", b.reset),
        ("max_reset_timeout", b.max_reset),
    ];
    for (setter, value) in durations {
        if let Some(d) = value {
            let (setter, d) = (Ident::new(setter, Span::call_site()), duration(d));
            config.extend(quote!(.#setter(#d)));
        }
    }
    if let Some(j) = b.jitter {
        let j = Literal::f64_unsuffixed(j);
        config.extend(quote!(.jitter(#j)));
    }
    quote!(let #var = ::supervisor::CircuitBreaker::new(#name, #config);)
}

/// The builder calls for what a child declared about detection (S10-S13).
pub(super) fn detection(d: &Detection, params: &[Param], shared: &Shared) -> TokenStream {
    let mut out = TokenStream::new();
    if let Some(decide) = &d.decide {
        let span = tokens_span(decide);
        let f = shared_fn(decide, span, params);
        out.extend(quote_spanned!(span=> .decider(#f)));
    }
    if let Some(p) = &d.health {
        let check = shared.health(health_check(p, params));
        out.extend(quote!(.health(#check)));
    }
    if let Some(h) = &d.heartbeat {
        let beat = shared.heartbeat(heartbeat(h));
        out.extend(quote!(.heartbeat(#beat)));
    }
    for name in &d.depends_on {
        let var = breaker_var(name);
        out.extend(quote!(.depends_on(&#var)));
    }
    if let Some(b) = d.budget {
        // What is not written keeps the builder's default (3 within 5 s, escalate).
        if b.max_restarts.is_some() || b.within.is_some() {
            let max = int(b.max_restarts.unwrap_or(3));
            let within = duration(b.within.unwrap_or(5_000_000_000));
            out.extend(quote!(.restart_budget(#max, #within)));
        }
        if b.quarantine {
            out.extend(quote!(.on_exhausted(::supervisor::OnExhausted::Quarantine)));
        }
    }
    out
}

/// A local for the spec of the supervisor at `path`, invisible to the user's expressions; raw
/// where the id is a keyword, as the user wrote it (`let r#type = ..`).
pub(super) fn spec_var(path: &[&str]) -> Ident {
    let name = path.join("__");
    if syn::parse_str::<Ident>(&name).is_ok() {
        Ident::new(&name, Span::mixed_site())
    } else {
        Ident::new_raw(&name, Span::mixed_site())
    }
}

/// `SupervisorSpec::new(..)` with its settings and children; nested supervisors go to `lets`.
pub(super) fn sup_spec(
    sup: &Sup,
    params: &[Param],
    path: &[&str],
    lets: &mut TokenStream,
    shared: &Shared,
) -> TokenStream {
    let id = sup.id();
    let mut out = match sup {
        Sup::Dynamic(d) => {
            let t = template_spec(&d.template, params, shared);
            quote!(::supervisor::SupervisorSpec::dynamic(#id, #t))
        }
        Sup::Pool(p) => {
            let t = template_spec(&p.template, params, shared);
            let size = Literal::usize_unsuffixed(p.size as usize);
            let mut out = quote!(::supervisor::PoolSpec::new(#id, #size, #t));
            match &p.route {
                Route::RoundRobin => {}
                Route::LeastLoaded => out.extend(quote!(.least_loaded())),
                // Checked at the mailbox type: broadcasting clones each message (S14.2).
                Route::Broadcast => {
                    let span = p
                        .template
                        .worker
                        .mailbox
                        .as_ref()
                        .map_or(Span::call_site(), |m| {
                            m.to_token_stream()
                                .into_iter()
                                .next()
                                .map_or(Span::call_site(), |t| t.span())
                        });
                    let m = mailbox_type(&p.template.worker);
                    out = quote_spanned!(span=> ::supervisor::__private::broadcast::<#m>(#out));
                }
                // Spanned at the closure, so that a type error in it is reported there.
                Route::KeyHash(key) => {
                    let span = tokens_span(key);
                    let key = shared_fn(key, span, params);
                    out.extend(quote_spanned!(span=> .key_hash(#key)));
                }
            }
            let overflow = super::tokens::overflow(p.overflow);
            if let Some(o) = overflow {
                out.extend(quote!(.overflow(::supervisor::Overflow::#o)));
            }
            out
        }
        // The default (S1.3) is not written out, as a person would not.
        Sup::Static(s) if s.strategy == Strategy::OneForOne => {
            quote!(::supervisor::SupervisorSpec::new(#id))
        }
        Sup::Static(s) => {
            let strategy = strategy(s.strategy);
            quote!(::supervisor::SupervisorSpec::new(#id).strategy(#strategy))
        }
    };
    out.extend(sup_settings(sup));
    if let Sup::Static(crate::model::StaticSup {
        storm: Some((max, within)),
        ..
    }) = sup
    {
        let (max, within) = (int(*max), duration(*within));
        out.extend(quote!(.storm_limit(#max, #within)));
    }
    for child in sup.children() {
        let c = child_spec(child, params, path, lets, shared);
        out.extend(quote!(.child(#c)));
    }
    out
}

pub(super) fn child_spec(
    child: &Child,
    params: &[Param],
    parent: &[&str],
    lets: &mut TokenStream,
    shared: &Shared,
) -> TokenStream {
    let id = unraw(&child.id);
    let mut out = match &child.kind {
        ChildKind::Worker(w) => {
            let span = w.span;
            match w.start {
                Start::Fn if is_named_fn(w, &child.detection.depends_on, params) => {
                    let (m, f) = (mailbox_type(w), &w.expr);
                    quote_spanned!(span=> ::supervisor::__private::worker_fn::<#m, _, _, _>(#id, #f))
                }
                Start::Fn => {
                    let f = start_fn(w, &child.detection.depends_on, params, false);
                    match &w.mailbox {
                        // The mailbox type as written: see `__private::with_mailbox`.
                        Some(m) => {
                            quote_spanned!(span=> ::supervisor::__private::with_mailbox::<#m, _, _>(#id, #f))
                        }
                        None => quote_spanned!(span=> ::supervisor::ChildSpec::worker(#id, #f)),
                    }
                }
                Start::FromWorker => {
                    let f = worker_factory(w, params);
                    let m = mailbox_type(w);
                    quote_spanned!(span=> ::supervisor::__private::from_worker::<#m, _, _>(#id, #f))
                }
                Start::Process => process_spec(&id, w),
            }
        }
        ChildKind::Sup(sup) => {
            let mut path = parent.to_vec();
            path.push(sup.id());
            let s = sup_spec(sup, params, &path, lets, shared);
            let var = spec_var(&path);
            lets.extend(quote!(let #var = #s;));
            quote!(::supervisor::ChildSpec::supervisor(#var))
        }
    };
    out.extend(shared.policies(&child.policy));
    if child.readiness_ignored {
        out.extend(quote!(.readiness(::supervisor::Readiness::Ignored)));
    }
    if let ChildKind::Worker(w) = &child.kind {
        out.extend(worker_settings(w));
    }
    out.extend(detection(&child.detection, params, shared));
    out
}

pub(super) fn template_spec(template: &Template, params: &[Param], shared: &Shared) -> TokenStream {
    let w = &template.worker;
    let a = args_type(template);
    let m = mailbox_type(w);
    let span = w.span;
    // The mailbox type as written: see `__private::template`.
    let temporary = template.policy.restart == Restart::Temporary;
    let mut out = match w.start {
        Start::Fn if is_named_fn(w, &template.detection.depends_on, params) => {
            let f = &w.expr;
            if temporary {
                quote_spanned!(span=> ::supervisor::__private::template_once_fn::<#a, #m, _, _, _, _>(#f))
            } else {
                quote_spanned!(span=> ::supervisor::__private::template_fn::<#a, #m, _, _, _, _>(#f))
            }
        }
        Start::Fn if w.mailbox.is_none() && !temporary => {
            let f = start_fn(w, &template.detection.depends_on, params, true);
            quote_spanned!(span=> ::supervisor::Template::<#a, #m>::new(#f))
        }
        // A temporary template's arguments move into its only incarnation: they need not be
        // `Clone` (a connection handed to a session).
        Start::Fn if temporary => {
            let f = start_fn(w, &template.detection.depends_on, params, true);
            quote_spanned!(span=> ::supervisor::__private::template_once::<#a, #m, _, _>(#f))
        }
        Start::Fn => {
            let f = start_fn(w, &template.detection.depends_on, params, true);
            quote_spanned!(span=> ::supervisor::__private::template::<#a, #m, _, _>(#f))
        }
        // Every slot or child runs the same process, whatever its arguments (S20).
        Start::Process => match w.process.as_deref() {
            Some(p) => {
                let process = process_value("template", p, span);
                let make = process_maker(p);
                quote_spanned!(span=> ::supervisor::Template::#make(#process, |process, _: &#a| process))
            }
            None => quote_spanned!(span=> ::supervisor::Template::<#a, #m>::new(|_, _| async {
                ::core::result::Result::<(), ::std::string::String>::Ok(())
            })),
        },
        // A function of the child's arguments to a fresh worker (`|slot| Slot::new(slot)`).
        Start::FromWorker => {
            let f = shared_fn(&w.expr, span, params);
            quote_spanned!(span=> ::supervisor::__private::template_from_worker::<#a, #m, _, _>(#f))
        }
    };
    out.extend(shared.policies(&template.policy));
    out.extend(worker_settings(w));
    out.extend(detection(&template.detection, params, shared));
    out
}

#[cfg(test)]
pub(crate) fn spec_for_bench(tree: &crate::model::Tree) -> TokenStream {
    spec_body(
        &tree.root,
        &tree.breakers,
        &tree.params,
        &Shared::of(&tree.root, &tree.params),
    )
}

/// `process(program, args..) [..]` as the builder writes it (S20).
fn process_spec(id: &str, w: &crate::model::Worker) -> TokenStream {
    let Some(p) = w.process.as_deref() else {
        return quote!(::supervisor::ChildSpec::worker(#id, |_| async {
            ::core::result::Result::<(), ::std::string::String>::Ok(())
        }));
    };
    let process = process_value(id, p, w.span);
    let make = process_maker(p);
    quote!(::supervisor::ChildSpec::#make(#id, #process))
}

/// The constructor its stdio calls for: `process`, `process_rpc` or `process_lines`.
fn process_maker(p: &crate::model::ProcessNode) -> Ident {
    let name = if p.json_rpc {
        "process_rpc"
    } else if p.lines {
        "process_lines"
    } else {
        "process"
    };
    Ident::new(name, Span::call_site())
}

/// The `Process` of `process(program, args..) [..]`; `id` names the MCP client it says it is.
fn process_value(id: &str, p: &crate::model::ProcessNode, span: Span) -> TokenStream {
    use crate::model::ReadyNode;
    let program = &p.program;
    let mut process = quote_spanned!(span=> ::supervisor::Process::new(#program));
    for arg in &p.args {
        process.extend(quote!(.arg(#arg)));
    }
    if p.env_clear {
        process.extend(quote!(.env_clear()));
    }
    if let Some(env) = &p.env {
        process.extend(quote!(.envs(#env)));
    }
    if let Some(cwd) = &p.cwd {
        process.extend(quote!(.current_dir(#cwd)));
    }
    match &p.ready {
        None | Some(ReadyNode::Spawned) => {}
        Some(ReadyNode::Mcp) => process.extend(quote!(.ready(::supervisor::Ready::mcp(#id)))),
        Some(ReadyNode::Line(text)) => process
            .extend(quote!(.ready(::supervisor::Ready::Line(::std::string::String::from(#text))))),
        Some(ReadyNode::After(d)) => {
            let d = duration(*d);
            process.extend(quote!(.ready(::supervisor::Ready::After(#d))));
        }
    }
    if let Some(limit) = p.ready_timeout {
        let limit = duration(limit);
        process.extend(quote!(.ready_timeout(#limit)));
    }
    for (code, directive) in &p.exit_codes {
        process.extend(quote!(.exit_code(#code, ::supervisor::Directive::#directive)));
    }
    if p.die_with_supervisor {
        process.extend(quote!(.die_with_supervisor()));
    }
    process
}
