//! A checked value as the tokens that build it: settings the spec and the description share.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, ToTokens};
use syn::Type;

use crate::model::{
    AutoShutdown, Backoff, BackoffKind, ChildKind, DynamicSup, Policy, Restart, Shutdown,
    StaticSup, Strategy, Sup, Template, Worker,
};

pub(super) fn int(v: u64) -> Literal {
    Literal::u64_unsuffixed(v)
}

pub(super) fn duration(nanos: u64) -> TokenStream {
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

pub(super) fn strategy(s: Strategy) -> TokenStream {
    match s {
        Strategy::OneForOne => quote!(::supervisor::Strategy::OneForOne),
        Strategy::OneForAll => quote!(::supervisor::Strategy::OneForAll),
        Strategy::RestForOne => quote!(::supervisor::Strategy::RestForOne),
    }
}

pub(super) fn auto_shutdown(a: AutoShutdown) -> TokenStream {
    match a {
        AutoShutdown::Never => quote!(::supervisor::AutoShutdown::Never),
        AutoShutdown::AnySignificant => quote!(::supervisor::AutoShutdown::AnySignificant),
        AutoShutdown::AllSignificant => quote!(::supervisor::AutoShutdown::AllSignificant),
    }
}

pub(super) fn restart(r: Restart) -> TokenStream {
    match r {
        Restart::Permanent => quote!(::supervisor::Restart::Permanent),
        Restart::Transient => quote!(::supervisor::Restart::Transient),
        Restart::Temporary => quote!(::supervisor::Restart::Temporary),
    }
}

pub(super) fn shutdown(s: Shutdown) -> TokenStream {
    match s {
        Shutdown::BrutalKill => quote!(::supervisor::Shutdown::BrutalKill),
        Shutdown::Infinity => quote!(::supervisor::Shutdown::Infinity),
        Shutdown::Timeout(n) => {
            let d = duration(n);
            quote!(::supervisor::Shutdown::Timeout(#d))
        }
    }
}

pub(super) fn backoff(b: &Backoff) -> TokenStream {
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

/// The builder calls for a supervisor's settings that differ from the defaults; the spec and
/// the description share them (both builders default to 3 restarts in 5 s).
pub(super) fn sup_settings(sup: &Sup) -> TokenStream {
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
fn policies_inline(policy: &Policy) -> TokenStream {
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

/// The policies children share: each set written for two children or more is one `const` of
/// the tree's type, named by the spec and the description alike, so that rustc checks it once
/// rather than once a child in each.
#[derive(Default)]
pub(super) struct Shared {
    /// Each set's setters as written, with its const's number, and how many children have it.
    sets: Vec<(String, TokenStream, usize)>,
}

impl Shared {
    /// The sets of `root`'s children, templates included.
    pub(super) fn of(root: &Sup) -> Self {
        fn walk(sup: &Sup, out: &mut Shared) {
            match sup {
                Sup::Dynamic(d) => out.count(&d.template.policy),
                Sup::Pool(p) => out.count(&p.template.policy),
                Sup::Static(s) => {
                    for child in &s.children {
                        out.count(&child.policy);
                        if let ChildKind::Sup(inner) = &child.kind {
                            walk(inner, out);
                        }
                    }
                }
            }
        }
        let mut out = Shared::default();
        walk(root, &mut out);
        out.sets.retain(|(_, _, n)| *n > 1);
        out
    }

    fn count(&mut self, policy: &Policy) {
        let setters = policies_inline(policy);
        if setters.is_empty() {
            return;
        }
        let key = setters.to_string();
        match self.sets.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, n)) => *n += 1,
            None => self.sets.push((key, setters, 1)),
        }
    }

    /// The consts, one a shared set.
    pub(super) fn consts(&self) -> TokenStream {
        let consts = self.sets.iter().enumerate().map(|(i, (_, setters, _))| {
            let name = Self::name(i);
            quote!(const #name: ::supervisor::ChildPolicy = ::supervisor::ChildPolicy::DEFAULT #setters;)
        });
        quote!(#(#consts)*)
    }

    fn name(i: usize) -> Ident {
        Ident::new(&format!("__POLICY_{i}"), Span::call_site())
    }

    /// A child's policies: its shared set's const, else its setters.
    pub(super) fn policies(&self, policy: &Policy) -> TokenStream {
        let setters = policies_inline(policy);
        let key = setters.to_string();
        match self.sets.iter().position(|(k, _, _)| *k == key) {
            Some(i) => {
                let name = Self::name(i);
                quote!(.policy(Self::#name))
            }
            None => setters,
        }
    }
}

/// A worker's mailbox capacity and carried state, where written.
pub(super) fn worker_settings(worker: &Worker) -> TokenStream {
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

pub(super) fn mailbox_type(worker: &Worker) -> TokenStream {
    match &worker.mailbox {
        Some(m) => m.to_token_stream(),
        None => quote!(::supervisor::NoMailbox),
    }
}

pub(super) fn args_type(template: &Template) -> TokenStream {
    match &template.args {
        Some(a) => a.to_token_stream(),
        None => quote!(()),
    }
}

/// A type as written, without the spaces token printing adds.
pub(super) fn type_name(ty: &Type) -> String {
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
