//! The `const` description, `TREE`: what differs from the defaults, nested as the tree is.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::tokens::{duration, strategy, sup_settings, type_name, Shared};
use crate::check::unraw;
use crate::model::{Child, ChildKind, Detection, Policy, Route, Sup, UsedKind, Worker};

/// The description of a supervisor, its children's nested in it: one const expression, whose
/// arrays rustc promotes to statics. Only what differs from the defaults is written.
pub(super) fn describe_sup(sup: &Sup, policy: Option<&Policy>, shared: &Shared) -> TokenStream {
    let id = sup.id();
    let mut out = match sup {
        Sup::Dynamic(d) => {
            let mut t = describe_worker("<template>", &d.template.worker);
            t.extend(shared.policies(&d.template.policy));
            t.extend(describe_watching(&d.template.detection));
            quote!(::supervisor::NodeDescription::dynamic(#id, &[#t]))
        }
        Sup::Pool(p) => {
            let mut t = describe_worker("<slot>", &p.template.worker);
            t.extend(shared.policies(&p.template.policy));
            t.extend(describe_watching(&p.template.detection));
            let size = Literal::usize_unsuffixed(p.size as usize);
            let mut out = quote!(::supervisor::NodeDescription::pool(#id, #size, &[#t]));
            let route = match p.route {
                Route::RoundRobin => None,
                Route::LeastLoaded => Some(quote!(LeastLoaded)),
                Route::KeyHash(_) => Some(quote!(KeyHash)),
                Route::Broadcast => Some(quote!(Broadcast)),
            };
            let overflow = super::tokens::overflow(p.overflow);
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
            let children = s.children.iter().map(|c| describe_child(c, shared));
            let strategy = strategy(s.strategy);
            quote!(::supervisor::NodeDescription::supervisor(#id, #strategy, &[#(#children),*]))
        }
    };
    out.extend(sup_settings(sup));
    if let Some(p) = policy {
        out.extend(shared.policies(p));
    }
    out
}

pub(super) fn describe_child(child: &Child, shared: &Shared) -> TokenStream {
    match &child.kind {
        ChildKind::Sup(sup) => describe_sup(sup, Some(&child.policy), shared),
        ChildKind::Worker(w) => {
            let mut out = describe_worker(&unraw(&child.id), w);
            out.extend(shared.policies(&child.policy));
            out.extend(describe_watching(&child.detection));
            out
        }
    }
}

pub(super) fn describe_worker(id: &str, worker: &Worker) -> TokenStream {
    let mut out = match worker.start {
        crate::model::Start::Process => quote!(::supervisor::NodeDescription::process(#id)),
        _ => quote!(::supervisor::NodeDescription::worker(#id)),
    };
    if let Some(m) = &worker.mailbox {
        let n = type_name(m);
        out.extend(quote!(.mailbox(#n)));
    }
    if let Some(t) = &worker.state {
        let n = type_name(t);
        out.extend(quote!(.state(#n)));
    }
    // The nodes it uses, as its spec declares them (S17.3).
    let nodes: Vec<String> = (worker.uses.iter())
        .filter(|u| matches!(u.what, UsedKind::Node { .. }))
        .map(|u| unraw(&u.name))
        .collect();
    if !nodes.is_empty() {
        out.extend(quote!(.uses(&[#(#nodes),*])));
    }
    out
}

/// A child's decider, probe, heartbeats and breakers, as its description has them.
pub(super) fn describe_watching(d: &Detection) -> TokenStream {
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

#[cfg(test)]
pub(crate) fn describe_for_bench(tree: &crate::model::Tree) -> TokenStream {
    describe_sup(&tree.root, None, &Shared::of(&tree.root, &tree.params))
}
