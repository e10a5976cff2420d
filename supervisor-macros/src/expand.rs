//! The checked tree to plain builder calls, a typed handle per supervisor, and a `const`
//! description.

use proc_macro2::{Ident, Literal, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::Type;

use crate::check::{
    AutoShutdown, Backoff, BackoffKind, Body, Child, Restart, Shutdown, Strategy, Sup, Tree,
};
use crate::parse::Param;

pub fn expand(tree: &Tree) -> TokenStream {
    let Tree {
        attrs,
        vis,
        name,
        params,
        root,
    } = tree;
    let handle = format_ident!("{}Handle", name);
    let names: Vec<&Ident> = params.iter().map(|p| &p.name).collect();
    let types: Vec<&Type> = params.iter().map(|p| &p.ty).collect();
    let spec = spec_body(root, params);
    let spec_type = if root.template.is_some() {
        quote!(::supervisor::DynamicSupervisorSpec)
    } else {
        quote!(::supervisor::SupervisorSpec)
    };
    let mut consts = TokenStream::new();
    let root_desc = describe_sup(root, None, &[], &mut consts);
    let name_str = crate::check::unraw(name);
    let mut helpers = TokenStream::new();
    let mut handles = TokenStream::new();
    // The root's children get the same handle struct as every nested supervisor's; the tree's
    // handle is the runtime's `TreeHandle` of it.
    let root_ty = format_ident!("{}Root", name);
    handle_types(tree, root, &root_ty, &[], true, &mut helpers, &mut handles);
    let doc_handle = format!(
        "A running [`{name}`]: one method per child of its root (through [`{root_ty}`]), and the tree's handle."
    );
    // Mailbox types are checked where they are written, before any use of them in the builders.
    let mut mailbox_types = Vec::new();
    collect_mailboxes(root, &mut mailbox_types);
    let mailbox_checks = mailbox_types.into_iter().map(|m| {
        let span = m
            .to_token_stream()
            .into_iter()
            .next()
            .map_or_else(Span::call_site, |t| t.span());
        quote_spanned!(span=> const _: () = ::supervisor::__private::assert_message::<#m>();)
    });
    // A parameter no child uses is checked here; the others are checked where they are cloned.
    let param_checks = params.iter().filter(|p| !tree_uses(root, &p.name)).map(|p| {
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
    quote! {
        #(#attrs)*
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
        #vis struct #name;

        impl #name {
            #[doc = #doc_tree]
            pub const TREE: ::supervisor::TreeDescription = {
                #consts
                ::supervisor::TreeDescription {
                    name: #name_str,
                    root: #root_desc,
                }
            };

            #[doc = #doc_spec]
            // Start closures that use tree parameters are wrapped to clone them per incarnation.
            #[allow(clippy::redundant_closure_call)]
            pub fn spec(#(#names: #types),*) -> #spec_type {
                #spec
            }

            #[doc = #doc_start]
            pub async fn start(#(#names: #types),*) -> ::core::result::Result<#handle, ::supervisor::StartError> {
                let handle = ::supervisor::Supervisor::start(Self::spec(#(#names),*)).await?;
                let root = #root_ty::bind(handle.root().clone())?;
                ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
            }
        }

        #[doc = #doc_handle]
        #vis type #handle = ::supervisor::TreeHandle<#root_ty>;

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
        Strategy::OneForOne | Strategy::Dynamic => quote!(::supervisor::Strategy::OneForOne),
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
fn spec_body(root: &Sup, params: &[Param]) -> TokenStream {
    let mut lets = TokenStream::new();
    let root = sup_spec(root, params, &[], &mut lets);
    quote!(#lets #root)
}

/// A local for the spec of the supervisor at `path`, invisible to the user's expressions.
fn spec_var(path: &[&str]) -> Ident {
    Ident::new(&path.join("__"), Span::mixed_site())
}

/// `SupervisorSpec::new(..)` with its settings and children; nested supervisors go to `lets`.
fn sup_spec(sup: &Sup, params: &[Param], path: &[&str], lets: &mut TokenStream) -> TokenStream {
    let id = &sup.id;
    let mut out = if let Some(template) = &sup.template {
        let t = template_spec(template, params);
        quote!(::supervisor::SupervisorSpec::dynamic(#id, #t))
    } else if sup.strategy == Strategy::OneForOne {
        // The default (S1.3) is not written out, as a person would not.
        quote!(::supervisor::SupervisorSpec::new(#id))
    } else {
        let s = strategy(sup.strategy);
        quote!(::supervisor::SupervisorSpec::new(#id).strategy(#s))
    };
    out.extend(sup_settings(sup));
    for child in &sup.children {
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

/// The tree parameters a start expression names.
fn used_params<'a>(expr: &TokenStream, params: &'a [Param]) -> Vec<&'a Param> {
    params.iter().filter(|p| mentions(expr, &p.name)).collect()
}

/// The mailbox types written in the tree, templates' included.
fn collect_mailboxes<'a>(sup: &'a Sup, out: &mut Vec<&'a Type>) {
    for child in sup.children.iter().chain(sup.template.as_deref()) {
        if let Some(m) = &child.mailbox {
            out.push(m);
        }
        if let Body::Sup(inner) = &child.body {
            collect_mailboxes(inner, out);
        }
    }
}

/// Whether any start expression of the tree names `param`.
fn tree_uses(sup: &Sup, param: &Ident) -> bool {
    let body_uses = |body: &Body| match body {
        Body::Worker { expr, .. } | Body::FromWorker { expr, .. } => mentions(expr, param),
        Body::Sup(inner) => tree_uses(inner, param),
    };
    sup.children.iter().any(|c| body_uses(&c.body))
        || sup.template.as_ref().is_some_and(|t| body_uses(&t.body))
}

/// `let p = TreeParam::clone_param(&p);` for each parameter, spanned at the parameter's type:
/// a type that cannot be a tree parameter is reported there, once, with what it must be.
fn clones(used: &[&Param]) -> TokenStream {
    used.iter()
        .map(|p| {
            let name = &p.name;
            quote_spanned!(p.ty_span()=> let #name = ::supervisor::__private::TreeParam::clone_param(&#name);)
        })
        .collect()
}

/// The start function of a worker or template: the expression itself, or, when it uses tree
/// parameters, a closure that gives every incarnation its own clones of them.
fn start_fn(expr: &TokenStream, span: Span, params: &[Param], template: bool) -> TokenStream {
    let used = used_params(expr, params);
    if used.is_empty() {
        return expr.clone();
    }
    let outer = clones(&used);
    let inner = clones(&used);
    let ctx = Ident::new("ctx", Span::mixed_site());
    let args = Ident::new("args", Span::mixed_site());
    if template {
        quote_spanned! {span=> {
            #outer
            move |#ctx, #args| {
                #inner
                (#expr)(#ctx, #args)
            }
        }}
    } else {
        quote_spanned! {span=> {
            #outer
            move |#ctx| {
                #inner
                (#expr)(#ctx)
            }
        }}
    }
}

/// The factory of a `from_worker` child: a fresh worker value for every incarnation.
fn worker_factory(expr: &TokenStream, span: Span, params: &[Param]) -> TokenStream {
    let used = used_params(expr, params);
    if used.is_empty() {
        return quote_spanned!(span=> || #expr);
    }
    let outer = clones(&used);
    let inner = clones(&used);
    quote_spanned! {span=> {
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
    let id = crate::check::unraw(&child.id);
    let mut out = match &child.body {
        Body::Worker { expr, span } => {
            let f = start_fn(expr, *span, params, false);
            match &child.mailbox {
                Some(m) => {
                    quote_spanned!(*span=> ::supervisor::ChildSpec::<#m>::with_mailbox(#id, #f))
                }
                None => quote_spanned!(*span=> ::supervisor::ChildSpec::worker(#id, #f)),
            }
        }
        Body::FromWorker { expr, span } => {
            let f = worker_factory(expr, *span, params);
            let m = mailbox_type(child);
            quote_spanned!(*span=> ::supervisor::ChildSpec::<#m>::from_worker(#id, #f))
        }
        Body::Sup(sup) => {
            let mut path = parent.to_vec();
            path.push(&sup.id);
            let s = sup_spec(sup, params, &path, lets);
            let var = spec_var(&path);
            lets.extend(quote!(let #var = #s;));
            quote!(::supervisor::ChildSpec::supervisor(#var))
        }
    };
    out.extend(child_settings(child));
    out
}

fn template_spec(child: &Child, params: &[Param]) -> TokenStream {
    let (expr, span) = match &child.body {
        Body::Worker { expr, span } | Body::FromWorker { expr, span } => (expr, *span),
        Body::Sup(_) => return quote!(),
    };
    let f = start_fn(expr, span, params, true);
    let a = args_type(child);
    let m = mailbox_type(child);
    let mut out = quote_spanned!(span=> ::supervisor::Template::<#a, #m>::new(#f));
    out.extend(child_settings(child));
    out
}

/// The builder calls for a supervisor's settings that differ from the defaults; the spec and
/// the description share them (both builders default to 3 restarts in 5 s).
fn sup_settings(sup: &Sup) -> TokenStream {
    let mut out = TokenStream::new();
    if sup.max_restarts.is_some() || sup.within.is_some() {
        let max = int(sup.max_restarts.unwrap_or(3).into());
        let within = duration(sup.within.unwrap_or(5_000_000_000));
        out.extend(quote!(.intensity(#max, #within)));
    }
    if sup.auto_shutdown != AutoShutdown::Never {
        let a = auto_shutdown(sup.auto_shutdown);
        out.extend(quote!(.auto_shutdown(#a)));
    }
    if let Some(max) = sup.max_children {
        let max = int(max);
        out.extend(quote!(.max_children(#max)));
    }
    out
}

/// The builder calls for a child's policies; the spec and the description share them.
fn policies(child: &Child) -> TokenStream {
    let mut out = TokenStream::new();
    if child.restart != Restart::Permanent {
        let r = restart(child.restart);
        out.extend(quote!(.restart(#r)));
    }
    if let Some(s) = child.shutdown {
        let s = shutdown(s);
        out.extend(quote!(.shutdown(#s)));
    }
    if child.significant {
        out.extend(quote!(.significant(true)));
    }
    if let Some(b) = &child.backoff {
        let b = backoff(b);
        out.extend(quote!(.backoff(#b)));
    }
    out
}

fn child_settings(child: &Child) -> TokenStream {
    let mut out = policies(child);
    if let Some(n) = child.mailbox_capacity {
        let n = int(n);
        out.extend(quote!(.mailbox_capacity(#n)));
    }
    out
}

fn mailbox_type(child: &Child) -> TokenStream {
    match &child.mailbox {
        Some(m) => m.to_token_stream(),
        None => quote!(::supervisor::NoMailbox),
    }
}

fn args_type(child: &Child) -> TokenStream {
    match &child.args {
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

/// A const for the description of the node at `path`, invisible to the user's code.
fn desc_const(path: &[&str]) -> Ident {
    let name = path
        .iter()
        .map(|p| p.to_uppercase())
        .collect::<Vec<_>>()
        .join("__");
    Ident::new(&name, Span::mixed_site())
}

/// The description of a supervisor; its children's go to `consts` as items of their own, so
/// that each node's tokens are written once. Only what differs from the defaults is written.
fn describe_sup(
    sup: &Sup,
    as_child: Option<&Child>,
    path: &[&str],
    consts: &mut TokenStream,
) -> TokenStream {
    let id = &sup.id;
    let mut children = Vec::new();
    let mut add = |child: &Child, segment: &str, id: &str| {
        let mut child_path = path.to_vec();
        child_path.push(segment);
        let var = desc_const(&child_path);
        let d = describe_child(child, id, &child_path, consts);
        consts.extend(quote!(const #var: ::supervisor::NodeDescription = #d;));
        children.push(var);
    };
    match &sup.template {
        Some(t) => add(t, "template", "<template>"),
        None => {
            for c in &sup.children {
                let id = crate::check::unraw(&c.id);
                add(c, &id, &id);
            }
        }
    }
    let mut out = if sup.strategy == Strategy::Dynamic {
        quote!(::supervisor::NodeDescription::dynamic(#id, &[#(#children),*]))
    } else {
        let s = strategy(sup.strategy);
        quote!(::supervisor::NodeDescription::supervisor(#id, #s, &[#(#children),*]))
    };
    out.extend(sup_settings(sup));
    if let Some(c) = as_child {
        out.extend(policies(c));
    }
    out
}

fn describe_child(child: &Child, id: &str, path: &[&str], consts: &mut TokenStream) -> TokenStream {
    if let Body::Sup(sup) = &child.body {
        return describe_sup(sup, Some(child), path, consts);
    }
    let mut out = quote!(::supervisor::NodeDescription::worker(#id));
    out.extend(policies(child));
    if let Some(m) = &child.mailbox {
        let n = type_name(m);
        out.extend(quote!(.mailbox(#n)));
    }
    out
}

// Typed handles --------------------------------------------------------------------------

/// The handle type of a supervisor and, recursively, of its child supervisors.
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
    let mut accessors = Vec::new();
    let mut binds = Vec::new();
    let sup_path = if path.is_empty() {
        sup.id.clone()
    } else {
        format!("{}/{}", tree_name_snake(tree), path.join("/"))
    };
    for child in &sup.children {
        let field = &child.id;
        let id = crate::check::unraw(&child.id);
        let docs = &child.docs;
        let (field_ty, bind) = match &child.body {
            Body::Worker { .. } | Body::FromWorker { .. } => {
                let m = mailbox_type(child);
                (
                    quote!(::supervisor::ChildRef<#m>),
                    quote!(supervisor.child::<#m>(#id)?),
                )
            }
            Body::Sup(inner) if inner.strategy == Strategy::Dynamic => {
                let t = inner.template.as_deref();
                let a = t.map_or(quote!(()), args_type);
                let m = t.map_or(quote!(::supervisor::NoMailbox), mailbox_type);
                (
                    quote!(::supervisor::DynamicRef<#a, #m>),
                    quote!(supervisor.dynamic::<#a, #m>(#id)?),
                )
            }
            Body::Sup(inner) => {
                let mut sub_path: Vec<&str> = path.to_vec();
                sub_path.push(&id);
                let sub_ty = format_ident!(
                    "{}",
                    crate::check::handle_type_name(&crate::check::unraw(tree_name), &sub_path)
                );
                handle_types(tree, inner, &sub_ty, &sub_path, false, helpers, out);
                (
                    quote!(#sub_ty),
                    quote!(#sub_ty::bind(supervisor.supervisor(#id)?)?),
                )
            }
        };
        let default_doc = format!("`{sup_path}/{id}`.");
        let doc = if docs.is_empty() {
            quote!(#[doc = #default_doc])
        } else {
            quote!(#(#docs)*)
        };
        fields.push(quote!(#field: #field_ty));
        accessors.push(quote! {
            #doc
            pub fn #field(&self) -> &#field_ty {
                &self.#field
            }
        });
        binds.push(bind);
    }
    let field_names: Vec<&Ident> = sup.children.iter().map(|c| &c.id).collect();
    let bind_fields: Vec<TokenStream> = binds
        .iter()
        .zip(&field_names)
        .map(|(b, f)| quote!(let #f = #b;))
        .collect();
    helpers.extend(quote! {
        impl #ty {
            fn bind(supervisor: ::supervisor::SupervisorRef) -> ::core::result::Result<Self, ::supervisor::LookupError> {
                #(#bind_fields)*
                ::core::result::Result::Ok(Self { supervisor, #(#field_names),* })
            }
        }
    });
    let doc = if root {
        format!("The root of a running [`{tree_name}`]: one method per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.")
    } else {
        format!("Supervisor `{sup_path}` of a running [`{tree_name}`]: one method per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.")
    };
    // A dynamic root is reached through the tree's handle, not a field: it starts children here.
    let dynamic_root = sup.template.as_deref().filter(|_| root).map(|t| {
        let a = args_type(t);
        let m = mailbox_type(t);
        quote! {
            /// Starts a child from the root's template.
            pub async fn start_child(&self, args: #a) -> ::core::result::Result<::supervisor::ChildRef<#m>, ::supervisor::ManagementError> {
                match self.supervisor.dynamic::<#a, #m>("") {
                    ::core::result::Result::Ok(d) => d.start_child(args).await,
                    ::core::result::Result::Err(_) => ::core::result::Result::Err(
                        ::supervisor::ManagementError::WrongKind(::supervisor::__private::Arc::from(self.supervisor.path())),
                    ),
                }
            }
        }
    });
    out.extend(quote! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug)]
        #vis struct #ty {
            supervisor: ::supervisor::SupervisorRef,
            #(#fields,)*
        }

        impl #ty {
            #(#accessors)*
            #dynamic_root

            /// This supervisor.
            pub fn supervisor(&self) -> &::supervisor::SupervisorRef {
                &self.supervisor
            }
        }

        impl ::core::ops::Deref for #ty {
            type Target = ::supervisor::SupervisorRef;
            fn deref(&self) -> &::supervisor::SupervisorRef {
                &self.supervisor
            }
        }
    });
}

fn tree_name_snake(tree: &Tree) -> String {
    tree.root.id.clone()
}

/// What is emitted when the tree has errors: the type names exist, so that one mistake does not
/// turn every use of the tree into "cannot find type".
pub fn fallback(tree: &crate::parse::TreeAst) -> TokenStream {
    let vis = &tree.vis;
    let name = &tree.name;
    if name == "Self" {
        // No type can take that name: the error about it is the only one worth reading.
        return TokenStream::new();
    }
    let handle = format_ident!("{}Handle", name);
    let types: Vec<&Type> = tree.params.iter().map(|p| &p.ty).collect();
    quote! {
        #[allow(non_camel_case_types)]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
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
    let mut consts = TokenStream::new();
    let root = describe_sup(&tree.root, None, &[], &mut consts);
    quote!(#consts #root)
}

#[cfg(test)]
pub(crate) fn spec_for_bench(tree: &Tree) -> TokenStream {
    spec_body(&tree.root, &tree.params)
}
