//! What the user's expressions see: tree parameters (each incarnation, decider or probe gets
//! clones of its own, and a type that cannot be a parameter is reported once, at the
//! parameter), and the nodes, breakers and state a worker uses, bound by name (S17).

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};

use syn::Type;

use crate::check::unraw;
use crate::model::{Handle, UsedKind, Worker};
use crate::parse::{mentions, Param};

impl Param {
    pub(super) fn ty_span(&self) -> Span {
        let mut tokens = self.ty.to_token_stream().into_iter();
        tokens.next().map_or_else(Span::call_site, |t| t.span())
    }
}

/// A function the runtime calls many times (a decider, a probe), given tree parameters: a
/// closure gets its own clones at the top of its body, another expression is evaluated once
/// with clones of its own.
pub(super) fn shared_fn(expr: &TokenStream, span: Span, params: &[Param]) -> TokenStream {
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

/// `let p = TreeParam::clone_param(&p);` for each tree parameter `expr` names, spanned at the
/// parameter's type: a type that cannot be a tree parameter is reported there, once, with what
/// it must be.
pub(super) fn clones(expr: &TokenStream, params: &[Param]) -> TokenStream {
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
pub(super) fn split_closure(expr: &TokenStream) -> Option<(TokenStream, TokenStream)> {
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
/// gets them at the top of its body). What the worker uses (S17), the breakers it depends on
/// and its carried state are bound by name for each incarnation, when the expression names
/// them.
pub(super) fn start_fn(
    worker: &Worker,
    depends_on: &[Ident],
    params: &[Param],
    template: bool,
) -> TokenStream {
    let Worker { expr, span, .. } = worker;
    let inner = clones(expr, params);
    let (outer_binds, inner_binds) = bindings(worker, depends_on);
    if inner.is_empty() && inner_binds.is_empty() {
        return expr.clone();
    }
    let outer = inner.clone();
    if inner_binds.is_empty() {
        if let Some((head, body)) = split_closure(expr) {
            return quote_spanned! {*span=> {
                #outer
                #head {
                    #inner
                    #body
                }
            }};
        }
    }
    // Evaluated per incarnation, where the bindings are in scope (`make(config)`, or a closure
    // naming what the worker uses).
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
        #outer_binds
        move |#params| {
            #inner
            #inner_binds
            let #start = #expr;
            #call
        }
    }}
}

/// Whether the start expression is a function named by path (`run`, `agents::run`) that gets
/// no per-incarnation bindings: called through a trait that says, in one error at the name,
/// which context (and arguments) it must take.
pub(super) fn is_named_fn(worker: &Worker, depends_on: &[Ident], params: &[Param]) -> bool {
    let is_path = !worker.expr.is_empty()
        && worker.expr.clone().into_iter().all(|t| match t {
            TokenTree::Ident(_) => true,
            TokenTree::Punct(p) => p.as_char() == ':',
            _ => false,
        });
    is_path && clones(&worker.expr, params).is_empty() && bindings(worker, depends_on).1.is_empty()
}

/// The `let`s that bind, by the names the start expression uses, the handles of the nodes the
/// worker uses, the breakers it uses or depends on (clones of the tree's, made once outside
/// and once per incarnation) and its carried state.
fn bindings(worker: &Worker, depends_on: &[Ident]) -> (TokenStream, TokenStream) {
    let ctx = Ident::new("ctx", Span::mixed_site());
    let (mut outer, mut inner) = (TokenStream::new(), TokenStream::new());
    let mut breakers: Vec<&Ident> = Vec::new();
    for used in &worker.uses {
        if !mentions(&worker.expr, &used.name) {
            continue;
        }
        let name = &used.name;
        match &used.what {
            UsedKind::Node { up, index, handle } => {
                let h = handle_type(handle);
                let up = proc_macro2::Literal::usize_unsuffixed(*up);
                let index = match index {
                    Some(i) => {
                        let i = proc_macro2::Literal::usize_unsuffixed(*i);
                        quote!(::core::option::Option::Some(#i))
                    }
                    None => quote!(::core::option::Option::None),
                };
                inner.extend(quote! {
                    let #name: #h = ::supervisor::__private::used_at(&#ctx, #up, #index);
                });
            }
            UsedKind::Breaker => breakers.push(name),
        }
    }
    for name in depends_on {
        if mentions(&worker.expr, name) && !breakers.iter().any(|b| unraw(b) == unraw(name)) {
            breakers.push(name);
        }
    }
    for name in breakers {
        let var = breaker_var(name);
        outer.extend(quote!(let #name = ::core::clone::Clone::clone(&#var);));
        inner.extend(quote!(let #name = ::core::clone::Clone::clone(&#name);));
    }
    let state = Ident::new("state", Span::call_site());
    if let (Some(ty), true) = (&worker.state, mentions(&worker.expr, &state)) {
        inner.extend(quote! {
            let #state: ::supervisor::Stash<#ty> = ::supervisor::__private::stash(&#ctx);
        });
    }
    (outer, inner)
}

/// The factory of a `from_worker` child: a fresh worker value for every incarnation.
pub(super) fn worker_factory(worker: &Worker, params: &[Param]) -> TokenStream {
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

/// The local holding a breaker, invisible to the user's expressions.
pub(super) fn breaker_var(name: &Ident) -> Ident {
    Ident::new(&format!("breaker_{}", unraw(name)), Span::mixed_site())
}

/// The handle a child using a node receives (S17.1), as the tree's handles type it (S9).
pub(super) fn handle_type(handle: &Handle) -> TokenStream {
    let or_none = |m: &Option<Box<Type>>| match m {
        Some(m) => m.to_token_stream(),
        None => quote!(::supervisor::NoMailbox),
    };
    match handle {
        Handle::Child { mailbox } => {
            let m = or_none(mailbox);
            quote!(::supervisor::ChildRef<#m>)
        }
        Handle::Pool { mailbox } => {
            let m = or_none(mailbox);
            quote!(::supervisor::PoolRef<#m>)
        }
        Handle::Dynamic { args, mailbox } => {
            let a = match args {
                Some(a) => a.to_token_stream(),
                None => quote!(()),
            };
            let m = or_none(mailbox);
            quote!(::supervisor::DynamicRef<#a, #m>)
        }
        Handle::Supervisor => quote!(::supervisor::SupervisorRef),
    }
}
