//! A checked value as the tokens that build it: settings the spec and the description share.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::Type;

use super::params::{handle_type, shared_fn};
use crate::check::unraw;
use crate::model::{
    AutoShutdown, Backoff, BackoffKind, ChildKind, Detection, DynamicSup, Phi, Policy,
    PoolOverflow, Probe, Restart, Shutdown, StaticSup, Strategy, Sup, Template, UsedKind, Worker,
};
use crate::parse::Param;

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

/// What children share: each policy set written for two children or more is one `const` of the
/// tree's type, named by the spec and the description alike, and each probe or heartbeat
/// declared alike one local of `spec()`, so that rustc checks each once rather than once a child.
#[derive(Default)]
pub(super) struct Shared {
    policies: Table,
    health: Table,
    heartbeats: Table,
}

/// Values as written, each with how many children have it.
#[derive(Default)]
struct Table(Vec<(String, TokenStream, usize)>);

impl Table {
    fn count(&mut self, tokens: TokenStream) {
        if tokens.is_empty() {
            return;
        }
        let key = tokens.to_string();
        match self.0.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, n)) => *n += 1,
            None => self.0.push((key, tokens, 1)),
        }
    }

    /// The values more than one child has, numbered in the order written.
    fn keep_shared(&mut self) {
        self.0.retain(|(_, _, n)| *n > 1);
    }

    fn position(&self, tokens: &TokenStream) -> Option<usize> {
        let key = tokens.to_string();
        self.0.iter().position(|(k, _, _)| *k == key)
    }

    fn items(&self) -> impl Iterator<Item = (usize, &TokenStream)> {
        self.0.iter().enumerate().map(|(i, (_, t, _))| (i, t))
    }
}

impl Shared {
    /// What `root`'s children share, templates included; `params` as the spec clones them.
    pub(super) fn of(root: &Sup, params: &[Param]) -> Self {
        fn walk(sup: &Sup, params: &[Param], out: &mut Shared) {
            let mut count = |policy: &Policy, detection: &Detection| {
                out.policies.count(policies_inline(policy));
                if let Some(p) = &detection.health {
                    out.health.count(health_check(p, params));
                }
                if let Some(h) = &detection.heartbeat {
                    out.heartbeats.count(heartbeat(h));
                }
            };
            match sup {
                Sup::Dynamic(d) => count(&d.template.policy, &d.template.detection),
                Sup::Pool(p) => count(&p.template.policy, &p.template.detection),
                Sup::Static(s) => {
                    for child in &s.children {
                        count(&child.policy, &child.detection);
                    }
                    for child in &s.children {
                        if let ChildKind::Sup(inner) = &child.kind {
                            walk(inner, params, out);
                        }
                    }
                }
            }
        }
        let mut out = Shared::default();
        walk(root, params, &mut out);
        for table in [&mut out.policies, &mut out.health, &mut out.heartbeats] {
            table.keep_shared();
        }
        out
    }

    /// The policies' consts, items of the tree's type.
    pub(super) fn consts(&self) -> TokenStream {
        let consts = self.policies.items().map(|(i, setters)| {
            let name = Self::name("__POLICY", i);
            quote!(const #name: ::supervisor::ChildPolicy = ::supervisor::ChildPolicy::DEFAULT #setters;)
        });
        quote!(#(#consts)*)
    }

    /// The probes' and heartbeats' locals, the first statements of `spec()`.
    pub(super) fn lets(&self) -> TokenStream {
        let health = self.health.items().map(|(i, check)| {
            let name = Self::name("health", i);
            quote!(let #name = #check;)
        });
        let heartbeats = self.heartbeats.items().map(|(i, beat)| {
            let name = Self::name("heartbeat", i);
            quote!(let #name = #beat;)
        });
        quote!(#(#health)* #(#heartbeats)*)
    }

    /// Mixed-site, so that no name of the user's (a tree parameter `health_0`) is shadowed.
    fn name(prefix: &str, i: usize) -> Ident {
        Ident::new(&format!("{prefix}_{i}"), Span::mixed_site())
    }

    /// A child's policies: its shared set's const, else its setters.
    pub(super) fn policies(&self, policy: &Policy) -> TokenStream {
        let setters = policies_inline(policy);
        match self.policies.position(&setters) {
            Some(i) => {
                let name = Self::name("__POLICY", i);
                quote!(.policy(Self::#name))
            }
            None => setters,
        }
    }

    /// A child's health check: a clone of its shared local, else as written.
    pub(super) fn health(&self, check: TokenStream) -> TokenStream {
        match self.health.position(&check) {
            Some(i) => {
                let name = Self::name("health", i);
                quote!(#name.clone())
            }
            None => check,
        }
    }

    /// A child's heartbeat settings: its shared local (a copy), else as written.
    pub(super) fn heartbeat(&self, beat: TokenStream) -> TokenStream {
        match self.heartbeats.position(&beat) {
            Some(i) => Self::name("heartbeat", i).into_token_stream(),
            None => beat,
        }
    }
}

/// A pool's overflow as the variant of `supervisor::Overflow` it is, unless the default (wait).
pub(super) fn overflow(overflow: Option<PoolOverflow>) -> Option<TokenStream> {
    match overflow {
        None | Some(PoolOverflow::Wait) => None,
        Some(PoolOverflow::Reject) => Some(quote!(Reject)),
        Some(PoolOverflow::DropNewest) => Some(quote!(DropNewest)),
        Some(PoolOverflow::DropOldest) => Some(quote!(DropOldest)),
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
    for used in &worker.uses {
        if let UsedKind::Node { handle, .. } = &used.what {
            let name = unraw(&used.name);
            let h = handle_type(handle);
            out.extend(quote!(.uses(&::supervisor::Uses::<#h>::new(#name))));
        }
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

/// `HealthCheck::new(f)`, or `HealthCheck::mcp_ping()`, with its settings, as written.
pub(super) fn health_check(p: &Probe, params: &[Param]) -> TokenStream {
    let mut check = if p.ping {
        quote_spanned!(p.span=> ::supervisor::HealthCheck::mcp_ping())
    } else {
        let f = shared_fn(&p.expr, p.span, params);
        quote_spanned!(p.span=> ::supervisor::HealthCheck::new(#f))
    };
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
    check
}

/// `Heartbeat::every(d)` with its settings, as written.
pub(super) fn heartbeat(h: &Phi) -> TokenStream {
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
    beat
}
