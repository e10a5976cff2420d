//! The checked tree to plain builder calls, a typed handle per supervisor, and a `const`
//! description.

use proc_macro2::{Ident, Literal, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::Type;

use crate::check::{handle_type_name, unraw};
use crate::model::{
    AutoShutdown, Backoff, BackoffKind, Breaker, Child, ChildKind, Detection, DynamicSup, Policy,
    PoolOverflow, Restart, Route, Shutdown, Start, StaticSup, Strategy, Sup, Template, Tree,
    Worker,
};
use crate::parse::tokens_span;
use crate::parse::Param;

pub(crate) fn expand(tree: &Tree) -> TokenStream {
    let Tree {
        attrs,
        vis,
        name,
        params,
        root,
        breakers,
    } = tree;
    // Generated type names carry the span of the name they are made from: should one clash
    // with another item (a tree `AppRoot` beside a tree `App`), rustc points at the user's token.
    let handle = format_ident!("{}Handle", name, span = name.span());
    let names: Vec<&Ident> = params.iter().map(|p| &p.name).collect();
    let types: Vec<&Type> = params.iter().map(|p| &p.ty).collect();
    let spec = spec_body(root, breakers, params);
    let spec_type = match root {
        Sup::Dynamic(_) => quote!(::supervisor::DynamicSupervisorSpec),
        Sup::Static(_) => quote!(::supervisor::SupervisorSpec),
        // The root is never a pool: the checks say so.
        Sup::Pool(p) => {
            let m = mailbox_type(&p.template.worker);
            quote!(::supervisor::PoolSpec<#m>)
        }
    };
    let root_desc = describe_sup(root, None);
    let breaker_names: Vec<String> = breakers.iter().map(|b| unraw(&b.name)).collect();
    let name_str = unraw(name);
    let mut helpers = TokenStream::new();
    let mut handles = TokenStream::new();
    // The root's children get the same handle struct as every nested supervisor's; the tree's
    // handle is the runtime's `TreeHandle` of it.
    let root_ty = format_ident!("{}Root", name, span = name.span());
    handle_types(tree, root, &root_ty, &[], true, &mut helpers, &mut handles);
    let doc_handle = format!(
        "A running [`{name}`]: one field per child of its root (through [`{root_ty}`]), and the tree's handle."
    );
    // Mailbox types are checked where they are written, before any use of them in the builders.
    let workers = root.workers();
    let type_span = |m: &Type| {
        m.to_token_stream()
            .into_iter()
            .next()
            .map_or_else(Span::call_site, |t| t.span())
    };
    let mailbox_checks = workers.iter().filter_map(|w| w.mailbox.as_ref()).map(|m| {
        let span = type_span(m);
        quote_spanned!(span=> const _: () = ::supervisor::__private::assert_message::<#m>();)
    });

    // A parameter no expression uses is checked here; the others are checked where they are
    // cloned, so that each is reported once.
    let exprs = root.user_exprs();
    let param_checks = (params.iter())
        .filter(|p| !exprs.iter().any(|e| mentions(e, &p.name)))
        .map(|p| {
        let ty = &p.ty;
        quote_spanned!(p.ty_span()=> const _: () = ::supervisor::__private::assert_tree_param::<#ty>();)
    });
    let doc_spec = format!(
        "Builds the spec of [`{name}`]: what [`{name}::start`] starts. Tree parameters are cloned for every incarnation that uses them."
    );
    let doc_start = format!(
        "Starts the tree and returns once every child is up, with a [`{handle}`] whose methods mirror the tree."
    );
    let doc_tree = format!("The shape of [`{name}`], without starting anything.");
    let doc_observed = format!(
        "Starts the tree as [`{name}::start`] does, with the observer's streams receiving every event from the first start on, a failed start included."
    );
    let doc_run = format!(
        "Runs [`{name}`] as the process's main work: starts it, stops it in order on SIGINT or SIGTERM (a second signal aborts what is left), and ends with an `Exit` that `main` returns as its exit code (0, 70 when the root gave up, 78 for a fatal exit)."
    );
    // Not a name the tree's parameters can take: they are the user's.
    let observer = Ident::new("observer", Span::mixed_site());
    // Spanned at the name, so that a clash with another item is reported there.
    let item = quote_spanned!(name.span()=> #(#attrs)* #vis struct #name;);
    let alias = quote_spanned! {name.span()=>
        #[doc = #doc_handle]
        // A tree used only for its description or spec never builds its handles.
        #[allow(dead_code)]
        #vis type #handle = ::supervisor::TreeHandle<#root_ty>;
    };
    quote! {
        #item

        impl #name {
            #[doc = #doc_tree]
            pub const TREE: ::supervisor::TreeDescription = ::supervisor::TreeDescription {
                name: #name_str,
                root: #root_desc,
                breakers: &[#(#breaker_names),*],
            };

            #[doc = #doc_spec]
            pub fn spec(#(#names: #types),*) -> #spec_type {
                #spec
            }

            #[doc = #doc_start]
            pub async fn start(#(#names: #types),*) -> ::core::result::Result<#handle, ::supervisor::StartError> {
                Self::start_observed(#(#names,)* &::supervisor::Observer::new()).await
            }

            #[doc = #doc_observed]
            pub async fn start_observed(#(#names: #types,)* #observer: &::supervisor::Observer) -> ::core::result::Result<#handle, ::supervisor::StartError> {
                let handle = ::supervisor::Supervisor::start_observed(Self::spec(#(#names),*), #observer).await?;
                let root = #root_ty::bind(handle.root().clone());
                ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
            }

            #[doc = #doc_run]
            pub async fn run(#(#names: #types),*) -> ::supervisor::Exit {
                ::supervisor::Supervisor::run(Self::spec(#(#names),*)).await
            }
        }

        #alias

        #handles

        const _: () = {
            #helpers
            #(#param_checks)*
        #(#mailbox_checks)*
        };
    }
}

impl Param {
    fn ty_span(&self) -> Span {
        let mut tokens = self.ty.to_token_stream().into_iter();
        tokens.next().map_or_else(Span::call_site, |t| t.span())
    }
}

fn int(v: u64) -> Literal {
    Literal::u64_unsuffixed(v)
}

fn duration(nanos: u64) -> TokenStream {
    let d = quote!(::supervisor::__private::Duration);
    if nanos.is_multiple_of(1_000_000_000) {
        let v = int(nanos / 1_000_000_000);
        quote!(#d::from_secs(#v))
    } else if nanos.is_multiple_of(1_000_000) {
        let v = int(nanos / 1_000_000);
        quote!(#d::from_millis(#v))
    } else {
        let v = int(nanos);
        quote!(#d::from_nanos(#v))
    }
}

fn strategy(s: Strategy) -> TokenStream {
    match s {
        Strategy::OneForOne => quote!(::supervisor::Strategy::OneForOne),
        Strategy::OneForAll => quote!(::supervisor::Strategy::OneForAll),
        Strategy::RestForOne => quote!(::supervisor::Strategy::RestForOne),
    }
}

fn auto_shutdown(a: AutoShutdown) -> TokenStream {
    match a {
        AutoShutdown::Never => quote!(::supervisor::AutoShutdown::Never),
        AutoShutdown::AnySignificant => quote!(::supervisor::AutoShutdown::AnySignificant),
        AutoShutdown::AllSignificant => quote!(::supervisor::AutoShutdown::AllSignificant),
    }
}

fn restart(r: Restart) -> TokenStream {
    match r {
        Restart::Permanent => quote!(::supervisor::Restart::Permanent),
        Restart::Transient => quote!(::supervisor::Restart::Transient),
        Restart::Temporary => quote!(::supervisor::Restart::Temporary),
    }
}

fn shutdown(s: Shutdown) -> TokenStream {
    match s {
        Shutdown::BrutalKill => quote!(::supervisor::Shutdown::BrutalKill),
        Shutdown::Infinity => quote!(::supervisor::Shutdown::Infinity),
        Shutdown::Timeout(n) => {
            let d = duration(n);
            quote!(::supervisor::Shutdown::Timeout(#d))
        }
    }
}

fn backoff(b: &Backoff) -> TokenStream {
    let mut out = match b.kind {
        BackoffKind::Fixed(d) => {
            let d = duration(d);
            quote!(::supervisor::Backoff::fixed(#d))
        }
        BackoffKind::Linear(i, s, m) => {
            let (i, s, m) = (duration(i), duration(s), duration(m));
            quote!(::supervisor::Backoff::linear(#i, #s, #m))
        }
        BackoffKind::Exponential {
            initial,
            max,
            multiplier,
            jitter,
        } => {
            let (i, m) = (duration(initial), duration(max));
            let mut t = quote!(::supervisor::Backoff::exponential(#i, #m));
            if let Some(x) = multiplier {
                t.extend(quote!(.multiplier(#x)));
            }
            if let Some(j) = jitter {
                t.extend(quote!(.jitter(#j)));
            }
            t
        }
    };
    if let Some(r) = b.reset_after {
        let r = duration(r);
        out.extend(quote!(.reset_after(#r)));
    }
    out
}

/// The body of `spec()`: one `let` per nested supervisor, innermost first, then the root's
/// builder chain. Each node's tokens are written once, however deep the tree.
fn spec_body(root: &Sup, breakers: &[Breaker], params: &[Param]) -> TokenStream {
    // The tree's breakers first: its children name them.
    let mut lets: TokenStream = breakers.iter().map(breaker_let).collect();
    let mut root = sup_spec(root, params, &[], &mut lets);
    for b in breakers {
        let var = breaker_var(&b.name);
        root.extend(quote!(.breaker(#var)));
    }
    quote!(#lets #root)
}

/// The local holding a breaker, invisible to the user's expressions.
fn breaker_var(name: &Ident) -> Ident {
    Ident::new(&format!("breaker_{}", unraw(name)), Span::mixed_site())
}

/// `let breaker_llm = CircuitBreaker::new("llm", BreakerConfig::default()..);`, writing only
/// the settings given.
fn breaker_let(b: &Breaker) -> TokenStream {
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
fn detection(d: &Detection, params: &[Param]) -> TokenStream {
    let mut out = TokenStream::new();
    if let Some(decide) = &d.decide {
        let span = tokens_span(decide);
        let f = shared_fn(decide, span, params);
        out.extend(quote_spanned!(span=> .decider(#f)));
    }
    if let Some(p) = &d.health {
        let f = shared_fn(&p.expr, p.span, params);
        let mut check = quote_spanned!(p.span=> ::supervisor::HealthCheck::new(#f));
        for (setter, value) in [
            ("interval", p.every),
            ("timeout", p.timeout),
            ("initial_delay", p.initial_delay),
        ] {
            if let Some(v) = value {
                let (setter, v) = (Ident::new(setter, Span::call_site()), duration(v));
                check.extend(quote!(.#setter(#v)));
            }
        }
        for (setter, value) in [
            ("failure_threshold", p.failures),
            ("success_threshold", p.successes),
        ] {
            if let Some(n) = value {
                let (setter, n) = (Ident::new(setter, Span::call_site()), int(n));
                check.extend(quote!(.#setter(#n)));
            }
        }
        out.extend(quote!(.health(#check)));
    }
    if let Some(h) = &d.heartbeat {
        let every = duration(h.every);
        let mut beat = quote!(::supervisor::Heartbeat::every(#every));
        if let Some(t) = h.threshold {
            let t = Literal::f64_unsuffixed(t);
            beat.extend(quote!(.threshold(#t)));
        }
        if let Some(w) = h.window {
            let w = int(w);
            beat.extend(quote!(.window(#w)));
        }
        let durations = [
            ("min_std_deviation", h.min_std),
            ("acceptable_pause", h.acceptable_pause),
            ("max_local_pause", h.max_local_pause),
        ];
        for (setter, value) in durations {
            if let Some(v) = value {
                let (setter, v) = (Ident::new(setter, Span::call_site()), duration(v));
                beat.extend(quote!(.#setter(#v)));
            }
        }
        out.extend(quote!(.heartbeat(#beat)));
    }
    for name in &d.depends_on {
        let var = breaker_var(name);
        out.extend(quote!(.depends_on(&#var)));
    }
    out
}

/// A function the runtime calls many times (a decider, a probe), given tree parameters: a
/// closure gets its own clones at the top of its body, another expression is evaluated once
/// with clones of its own.
fn shared_fn(expr: &TokenStream, span: Span, params: &[Param]) -> TokenStream {
    let inner = clones(expr, params);
    if inner.is_empty() {
        return expr.clone();
    }
    let outer = inner.clone();
    match split_closure(expr) {
        Some((head, body)) => quote_spanned! {span=> {
            #outer
            #head {
                #inner
                #body
            }
        }},
        None => quote_spanned! {span=> {
            #outer
            #expr
        }},
    }
}

/// A local for the spec of the supervisor at `path`, invisible to the user's expressions; raw
/// where the id is a keyword, as the user wrote it (`let r#type = ..`).
fn spec_var(path: &[&str]) -> Ident {
    let name = path.join("__");
    if syn::parse_str::<Ident>(&name).is_ok() {
        Ident::new(&name, Span::mixed_site())
    } else {
        Ident::new_raw(&name, Span::mixed_site())
    }
}

/// `SupervisorSpec::new(..)` with its settings and children; nested supervisors go to `lets`.
fn sup_spec(sup: &Sup, params: &[Param], path: &[&str], lets: &mut TokenStream) -> TokenStream {
    let id = sup.id();
    let mut out = match sup {
        Sup::Dynamic(d) => {
            let t = template_spec(&d.template, params);
            quote!(::supervisor::SupervisorSpec::dynamic(#id, #t))
        }
        Sup::Pool(p) => {
            let t = template_spec(&p.template, params);
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
            let overflow = match p.overflow {
                None | Some(PoolOverflow::Wait) => None,
                Some(PoolOverflow::Reject) => Some(quote!(Reject)),
                Some(PoolOverflow::DropNewest) => Some(quote!(DropNewest)),
                Some(PoolOverflow::DropOldest) => Some(quote!(DropOldest)),
            };
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
    for child in sup.children() {
        let c = child_spec(child, params, path, lets);
        out.extend(quote!(.child(#c)));
    }
    out
}

fn mentions(tokens: &TokenStream, name: &Ident) -> bool {
    tokens.clone().into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => i == *name,
        TokenTree::Group(g) => mentions(&g.stream(), name),
        _ => false,
    })
}

/// `let p = TreeParam::clone_param(&p);` for each tree parameter `expr` names, spanned at the
/// parameter's type: a type that cannot be a tree parameter is reported there, once, with what
/// it must be.
fn clones(expr: &TokenStream, params: &[Param]) -> TokenStream {
    (params.iter())
        .filter(|p| mentions(expr, &p.name))
        .map(|p| {
            let name = &p.name;
            quote_spanned!(p.ty_span()=> let #name = ::supervisor::__private::TreeParam::clone_param(&#name);)
        })
        .collect()
}

/// A closure written in a start expression, cut where the per-incarnation clones go:
/// `move |ctx| body` is `(move |ctx|, body)`; a closure with a return type keeps it in the head,
/// and the inside of its block is the body. `None` for any other expression.
fn split_closure(expr: &TokenStream) -> Option<(TokenStream, TokenStream)> {
    let tokens: Vec<TokenTree> = expr.clone().into_iter().collect();
    let is_pipe = |t: &TokenTree| matches!(t, TokenTree::Punct(p) if p.as_char() == '|');
    let mut head = TokenStream::new();
    let mut i = 0;
    let mut moves = false;
    while let Some(TokenTree::Ident(word)) = tokens.get(i) {
        match word.to_string().as_str() {
            "async" | "static" => {}
            "move" => moves = true,
            _ => return None,
        }
        head.extend([tokens[i].clone()]);
        i += 1;
    }
    if !moves {
        // Every incarnation takes its own clones: the closure must own them.
        head.extend(quote!(move));
    }
    let open = i;
    if !tokens.get(open).is_some_and(is_pipe) {
        return None;
    }
    let close = open + 1 + tokens[open + 1..].iter().position(is_pipe)?;
    head.extend(tokens[open..=close].iter().cloned());
    let rest = &tokens[close + 1..];
    let returns = matches!(rest.first(), Some(TokenTree::Punct(p)) if p.as_char() == '-');
    if !returns {
        return Some((head, rest.iter().cloned().collect()));
    }
    // `-> T { .. }`: the return type stays in the head, the block is the body.
    match rest.split_last() {
        Some((TokenTree::Group(g), ty)) if g.delimiter() == proc_macro2::Delimiter::Brace => {
            head.extend(ty.iter().cloned());
            Some((head, g.stream()))
        }
        _ => None,
    }
}

/// The start function of a worker or template: the expression itself or, when it uses tree
/// parameters, the same function giving every incarnation its own clones of them (a closure
/// gets them at the top of its body).
fn start_fn(worker: &Worker, params: &[Param], template: bool) -> TokenStream {
    let Worker { expr, span, .. } = worker;
    let inner = clones(expr, params);
    if inner.is_empty() {
        return expr.clone();
    }
    let outer = inner.clone();
    if let Some((head, body)) = split_closure(expr) {
        return quote_spanned! {*span=> {
            #outer
            #head {
                #inner
                #body
            }
        }};
    }
    // Another expression that names parameters (`make(config)`) is evaluated per incarnation.
    let ctx = Ident::new("ctx", Span::mixed_site());
    let args = Ident::new("args", Span::mixed_site());
    let start = Ident::new("start", Span::mixed_site());
    let (params, call) = if template {
        (quote!(#ctx, #args), quote!(#start(#ctx, #args)))
    } else {
        (quote!(#ctx), quote!(#start(#ctx)))
    };
    quote_spanned! {*span=> {
        #outer
        move |#params| {
            #inner
            let #start = #expr;
            #call
        }
    }}
}

/// The factory of a `from_worker` child: a fresh worker value for every incarnation.
fn worker_factory(worker: &Worker, params: &[Param]) -> TokenStream {
    let Worker { expr, span, .. } = worker;
    let inner = clones(expr, params);
    if inner.is_empty() {
        return quote_spanned!(*span=> || #expr);
    }
    let outer = inner.clone();
    quote_spanned! {*span=> {
        #outer
        move || {
            #inner
            #expr
        }
    }}
}

fn child_spec(
    child: &Child,
    params: &[Param],
    parent: &[&str],
    lets: &mut TokenStream,
) -> TokenStream {
    let id = unraw(&child.id);
    let mut out = match &child.kind {
        ChildKind::Worker(w) => {
            let span = w.span;
            match w.start {
                Start::Fn => {
                    let f = start_fn(w, params, false);
                    match &w.mailbox {
                        Some(m) => {
                            quote_spanned!(span=> ::supervisor::ChildSpec::<#m>::with_mailbox(#id, #f))
                        }
                        None => quote_spanned!(span=> ::supervisor::ChildSpec::worker(#id, #f)),
                    }
                }
                Start::FromWorker => {
                    let f = worker_factory(w, params);
                    let m = mailbox_type(w);
                    quote_spanned!(span=> ::supervisor::ChildSpec::<#m>::from_worker(#id, #f))
                }
            }
        }
        ChildKind::Sup(sup) => {
            let mut path = parent.to_vec();
            path.push(sup.id());
            let s = sup_spec(sup, params, &path, lets);
            let var = spec_var(&path);
            lets.extend(quote!(let #var = #s;));
            quote!(::supervisor::ChildSpec::supervisor(#var))
        }
    };
    out.extend(policies(&child.policy));
    if let ChildKind::Worker(w) = &child.kind {
        out.extend(worker_settings(w));
    }
    out.extend(detection(&child.detection, params));
    out
}

fn template_spec(template: &Template, params: &[Param]) -> TokenStream {
    let w = &template.worker;
    let a = args_type(template);
    let m = mailbox_type(w);
    let span = w.span;
    let mut out = match w.start {
        Start::Fn => {
            let f = start_fn(w, params, true);
            quote_spanned!(span=> ::supervisor::Template::<#a, #m>::new(#f))
        }
        // A function of the child's arguments to a fresh worker (`|slot| Slot::new(slot)`).
        Start::FromWorker => {
            let f = shared_fn(&w.expr, span, params);
            quote_spanned!(span=> ::supervisor::Template::<#a, #m>::from_worker(#f))
        }
    };
    out.extend(policies(&template.policy));
    out.extend(worker_settings(w));
    out.extend(detection(&template.detection, params));
    out
}

/// The builder calls for a supervisor's settings that differ from the defaults; the spec and
/// the description share them (both builders default to 3 restarts in 5 s).
fn sup_settings(sup: &Sup) -> TokenStream {
    let mut out = TokenStream::new();
    let intensity = sup.intensity();
    if intensity.max_restarts.is_some() || intensity.within.is_some() {
        let max = int(intensity.max_restarts.unwrap_or(3).into());
        let within = duration(intensity.within.unwrap_or(5_000_000_000));
        out.extend(quote!(.intensity(#max, #within)));
    }
    match sup {
        Sup::Static(StaticSup { auto_shutdown, .. }) if *auto_shutdown != AutoShutdown::Never => {
            let a = self::auto_shutdown(*auto_shutdown);
            out.extend(quote!(.auto_shutdown(#a)));
        }
        Sup::Dynamic(DynamicSup {
            max_children: Some(max),
            ..
        }) => {
            let max = int(*max);
            out.extend(quote!(.max_children(#max)));
        }
        _ => {}
    }
    out
}

/// The builder calls for a child's policies; the spec and the description share them.
fn policies(policy: &Policy) -> TokenStream {
    let mut out = TokenStream::new();
    if policy.restart != Restart::Permanent {
        let r = restart(policy.restart);
        out.extend(quote!(.restart(#r)));
    }
    if let Some(s) = policy.shutdown {
        let s = shutdown(s);
        out.extend(quote!(.shutdown(#s)));
    }
    if policy.significant {
        out.extend(quote!(.significant(true)));
    }
    if let Some(b) = &policy.backoff {
        let b = backoff(b);
        out.extend(quote!(.backoff(#b)));
    }
    out
}

/// A worker's mailbox capacity and carried state, where written.
fn worker_settings(worker: &Worker) -> TokenStream {
    let mut out = match worker.mailbox_capacity {
        Some(n) => {
            let n = int(n);
            quote!(.mailbox_capacity(#n))
        }
        None => TokenStream::new(),
    };
    if let Some(state) = &worker.state {
        out.extend(quote!(.state::<#state>()));
    }
    out
}

fn mailbox_type(worker: &Worker) -> TokenStream {
    match &worker.mailbox {
        Some(m) => m.to_token_stream(),
        None => quote!(::supervisor::NoMailbox),
    }
}

fn args_type(template: &Template) -> TokenStream {
    match &template.args {
        Some(a) => a.to_token_stream(),
        None => quote!(()),
    }
}

/// A type as written, without the spaces token printing adds.
fn type_name(ty: &Type) -> String {
    let s = ty.to_token_stream().to_string();
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' {
            let prev = out.chars().last();
            let next = chars.peek().copied();
            let glue =
                |c: Option<char>| matches!(c, Some('<' | '>' | ':' | '&' | '(' | ')' | '[' | ']'));
            if glue(prev) || glue(next) || next == Some(',') {
                continue;
            }
        }
        out.push(c);
    }
    out
}

// The const description ------------------------------------------------------------------

/// The description of a supervisor, its children's nested in it: one const expression, whose
/// arrays rustc promotes to statics. Only what differs from the defaults is written.
fn describe_sup(sup: &Sup, policy: Option<&Policy>) -> TokenStream {
    let id = sup.id();
    let mut out = match sup {
        Sup::Dynamic(d) => {
            let mut t = describe_worker("<template>", &d.template.worker);
            t.extend(policies(&d.template.policy));
            t.extend(describe_watching(&d.template.detection));
            quote!(::supervisor::NodeDescription::dynamic(#id, &[#t]))
        }
        Sup::Pool(p) => {
            let mut t = describe_worker("<slot>", &p.template.worker);
            t.extend(policies(&p.template.policy));
            t.extend(describe_watching(&p.template.detection));
            let size = Literal::usize_unsuffixed(p.size as usize);
            let mut out = quote!(::supervisor::NodeDescription::pool(#id, #size, &[#t]));
            let route = match p.route {
                Route::RoundRobin => None,
                Route::LeastLoaded => Some(quote!(LeastLoaded)),
                Route::KeyHash(_) => Some(quote!(KeyHash)),
                Route::Broadcast => Some(quote!(Broadcast)),
            };
            let overflow = match p.overflow {
                None | Some(PoolOverflow::Wait) => None,
                Some(PoolOverflow::Reject) => Some(quote!(Reject)),
                Some(PoolOverflow::DropNewest) => Some(quote!(DropNewest)),
                Some(PoolOverflow::DropOldest) => Some(quote!(DropOldest)),
            };
            if route.is_some() || overflow.is_some() {
                let route = route.unwrap_or(quote!(RoundRobin));
                let overflow = overflow.unwrap_or(quote!(Wait));
                out.extend(quote!(.routing(
                    ::supervisor::RouteKind::#route,
                    ::supervisor::Overflow::#overflow
                )));
            }
            out
        }
        Sup::Static(s) => {
            let children = s.children.iter().map(describe_child);
            let strategy = strategy(s.strategy);
            quote!(::supervisor::NodeDescription::supervisor(#id, #strategy, &[#(#children),*]))
        }
    };
    out.extend(sup_settings(sup));
    if let Some(p) = policy {
        out.extend(policies(p));
    }
    out
}

fn describe_child(child: &Child) -> TokenStream {
    match &child.kind {
        ChildKind::Sup(sup) => describe_sup(sup, Some(&child.policy)),
        ChildKind::Worker(w) => {
            let mut out = describe_worker(&unraw(&child.id), w);
            out.extend(policies(&child.policy));
            out.extend(describe_watching(&child.detection));
            out
        }
    }
}

fn describe_worker(id: &str, worker: &Worker) -> TokenStream {
    let mut out = quote!(::supervisor::NodeDescription::worker(#id));
    if let Some(m) = &worker.mailbox {
        let n = type_name(m);
        out.extend(quote!(.mailbox(#n)));
    }
    if let Some(t) = &worker.state {
        let n = type_name(t);
        out.extend(quote!(.state(#n)));
    }
    out
}

/// A child's decider, probe, heartbeats and breakers, as its description has them.
fn describe_watching(d: &Detection) -> TokenStream {
    let mut out = TokenStream::new();
    if d.decide.is_some() {
        out.extend(quote!(.decider()));
    }
    if let Some(p) = &d.health {
        // The runtime's default interval (S11.5).
        let every = duration(p.every.unwrap_or(10_000_000_000));
        out.extend(quote!(.probe(#every)));
    }
    if let Some(h) = &d.heartbeat {
        let every = duration(h.every);
        out.extend(quote!(.heartbeat(#every)));
    }
    if !d.depends_on.is_empty() {
        let names = d.depends_on.iter().map(unraw);
        out.extend(quote!(.depends_on(&[#(#names),*])));
    }
    out
}

// Typed handles --------------------------------------------------------------------------

/// The handle type of a supervisor and, recursively, of its child supervisors. Each binds its
/// fields by position among its supervisor's declared children, which the expansion knows: no
/// lookup by name that could fail.
fn handle_types(
    tree: &Tree,
    sup: &Sup,
    ty: &Ident,
    path: &[&str],
    root: bool,
    helpers: &mut TokenStream,
    out: &mut TokenStream,
) {
    let vis = &tree.vis;
    let tree_name = &tree.name;
    let mut fields = Vec::new();
    let mut binds = Vec::new();
    let sup_path = if path.is_empty() {
        sup.id().to_owned()
    } else {
        format!("{}/{}", tree.root.id(), path.join("/"))
    };
    let bind = quote!(::supervisor::__private::bind);
    for (index, child) in sup.children().iter().enumerate() {
        // Types come from the fields': the binding says where, the field's type says what.
        let index = Literal::usize_unsuffixed(index);
        let field = &child.id;
        let id = unraw(&child.id);
        let docs = &child.docs;
        let (field_ty, value) = match &child.kind {
            ChildKind::Worker(w) => {
                let m = mailbox_type(w);
                (
                    quote!(::supervisor::ChildRef<#m>),
                    quote!(#bind::child(&supervisor, #index)),
                )
            }
            ChildKind::Sup(Sup::Pool(p)) => {
                let m = mailbox_type(&p.template.worker);
                (
                    quote!(::supervisor::PoolRef<#m>),
                    quote!(#bind::pool(&supervisor, #index)),
                )
            }
            ChildKind::Sup(Sup::Dynamic(d)) => {
                let a = args_type(&d.template);
                let m = mailbox_type(&d.template.worker);
                (
                    quote!(::supervisor::DynamicRef<#a, #m>),
                    quote!(#bind::dynamic(&supervisor, #index)),
                )
            }
            ChildKind::Sup(inner) => {
                let mut sub_path: Vec<&str> = path.to_vec();
                sub_path.push(&id);
                let name = handle_type_name(&unraw(tree_name), &sub_path);
                let sub_ty = Ident::new(&name, child.id.span());
                handle_types(tree, inner, &sub_ty, &sub_path, false, helpers, out);
                (
                    quote!(#sub_ty),
                    quote!(#sub_ty::bind(#bind::supervisor(&supervisor, #index))),
                )
            }
        };
        let default_doc = format!("`{sup_path}/{id}`.");
        let doc = if docs.is_empty() {
            quote!(#[doc = #default_doc])
        } else {
            quote!(#(#docs)*)
        };
        fields.push(quote!(#doc pub #field: #field_ty));
        binds.push(quote!(#field: #value));
    }
    helpers.extend(quote! {
        impl #ty {
            fn bind(supervisor: ::supervisor::SupervisorRef) -> Self {
                Self { #(#binds,)* _supervisor: supervisor }
            }
        }
    });
    let doc = if root {
        format!("The root of a running [`{tree_name}`]: one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.")
    } else {
        format!("Supervisor `{sup_path}` of a running [`{tree_name}`]: one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.")
    };
    // A dynamic root is reached through the tree's handle, not a field: it starts children here.
    let dynamic_root = match sup {
        Sup::Dynamic(d) if root => {
            let a = args_type(&d.template);
            let m = mailbox_type(&d.template.worker);
            Some(quote! {
                /// Starts a child from the root's template.
                pub async fn start_child(&self, args: #a) -> ::core::result::Result<::supervisor::ChildRef<#m>, ::supervisor::ManagementError> {
                    #bind::this_dynamic::<#a, #m>(&self._supervisor).start_child(args).await
                }
            })
        }
        _ => None,
    };
    // Spanned at the name it is made from, so that a clash with another item is reported there.
    out.extend(quote_spanned! {ty.span()=>
        #[doc = #doc]
        #[derive(::core::clone::Clone)]
        #[allow(dead_code)]
        #vis struct #ty {
            // No child's id can be this name: ids start with a letter.
            _supervisor: ::supervisor::SupervisorRef,
            #(#fields,)*
        }
    });
    let ty_name = ty.to_string();
    out.extend(quote! {
        // By hand: the supervisor's path says which it is, and a derive would cost a line per
        // child to compile.
        impl ::core::fmt::Debug for #ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#ty_name).field("supervisor", &self._supervisor).finish_non_exhaustive()
            }
        }

        impl #ty {
            #dynamic_root

            /// This supervisor (also reached by deref, which keeps `supervisor(path)` and
            /// every other method of [`SupervisorRef`](::supervisor::SupervisorRef) in view).
            pub fn supervisor_ref(&self) -> &::supervisor::SupervisorRef {
                &self._supervisor
            }
        }

        impl ::core::ops::Deref for #ty {
            type Target = ::supervisor::SupervisorRef;
            fn deref(&self) -> &::supervisor::SupervisorRef {
                &self._supervisor
            }
        }
    });
}

/// What is emitted when the tree has errors: the type names exist, so that one mistake does not
/// turn every use of the tree into "cannot find type".
pub(crate) fn fallback(tree: &crate::parse::TreeAst) -> TokenStream {
    let vis = &tree.vis;
    let name = &tree.name;
    if syn::parse2::<Ident>(name.to_token_stream()).is_err() {
        // A keyword (`Self`, `async`): no type can take that name, and the error about it is the
        // only one worth reading.
        return TokenStream::new();
    }
    let handle = format_ident!("{}Handle", name);
    let types: Vec<&Type> = tree.params.iter().map(|p| &p.ty).collect();
    quote! {
        #[allow(non_camel_case_types)]
        #vis struct #name;
        #[allow(non_camel_case_types)]
        #vis struct #handle;
        impl #name {
            #[allow(unused)]
            pub fn spec(#(_: #types),*) -> ::supervisor::SupervisorSpec {
                ::core::unreachable!()
            }
            #[allow(unused)]
            pub async fn start(#(_: #types),*) -> ::core::result::Result<#handle, ::supervisor::StartError> {
                ::core::unreachable!()
            }
            #[allow(unused)]
            pub async fn start_observed(#(_: #types,)* _: &::supervisor::Observer) -> ::core::result::Result<#handle, ::supervisor::StartError> {
                ::core::unreachable!()
            }
            #[allow(unused)]
            pub async fn run(#(_: #types),*) -> ::supervisor::Exit {
                ::core::unreachable!()
            }
        }
        impl ::core::ops::Deref for #handle {
            type Target = ::supervisor::SupervisorHandle;
            fn deref(&self) -> &::supervisor::SupervisorHandle {
                ::core::unreachable!()
            }
        }
    }
}

#[cfg(test)]
pub(crate) fn describe_for_bench(tree: &Tree) -> TokenStream {
    describe_sup(&tree.root, None)
}

#[cfg(test)]
pub(crate) fn spec_for_bench(tree: &Tree) -> TokenStream {
    spec_body(&tree.root, &tree.breakers, &tree.params)
}
