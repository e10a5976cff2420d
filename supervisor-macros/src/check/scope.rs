//! The names workers use (S17), looked up as variables are in a block: among the worker's own
//! supervisor's children first, then each ancestor's, then the tree's breakers.

use crate::check::rules::{self, OutOfScope, Place};
use crate::check::unraw;
use crate::ctxt::Ctxt;
use crate::model::{ChildKind, Handle, Start, Sup, Used, UsedKind, Worker};

/// One supervisor on the way from the root to a worker: its children's ids and handles in
/// start order, and how many start before the node below (the next is that node, or one of
/// its ancestors).
struct Level {
    children: Vec<(String, Handle)>,
    before: usize,
}

/// Resolves every worker's `uses` in the tree, reporting each name not in scope.
pub(super) fn resolve(root: &mut Sup, breakers: &[&str], cx: &Ctxt) {
    let root_id = root.id().to_owned();
    let root_handle = handle_of_sup(root);
    let mut stack = Vec::new();
    let top = Top {
        id: &root_id,
        handle: root_handle,
        breakers,
    };
    walk(root, &mut stack, &top, cx);
}

struct Top<'a> {
    id: &'a str,
    handle: Handle,
    breakers: &'a [&'a str],
}

fn walk(sup: &mut Sup, stack: &mut Vec<Level>, top: &Top<'_>, cx: &Ctxt) {
    match sup {
        Sup::Dynamic(d) => {
            // A template has no declared siblings: what it uses is above.
            stack.push(Level {
                children: Vec::new(),
                before: 0,
            });
            resolve_worker(&mut d.template.worker, "template", stack, top, cx);
            stack.pop();
        }
        Sup::Pool(p) => {
            stack.push(Level {
                children: Vec::new(),
                before: 0,
            });
            resolve_worker(&mut p.template.worker, "template", stack, top, cx);
            stack.pop();
        }
        Sup::Static(s) => {
            let children: Vec<(String, Handle)> = (s.children.iter())
                .map(|c| (unraw(&c.id), handle_of(&c.kind)))
                .collect();
            stack.push(Level {
                children,
                before: 0,
            });
            for (i, child) in s.children.iter_mut().enumerate() {
                if let Some(level) = stack.last_mut() {
                    level.before = i;
                }
                let label = unraw(&child.id);
                match &mut child.kind {
                    ChildKind::Worker(w) => resolve_worker(w, &label, stack, top, cx),
                    ChildKind::Sup(inner) => walk(inner, stack, top, cx),
                }
            }
            stack.pop();
        }
    }
}

fn resolve_worker(w: &mut Worker, user: &str, stack: &[Level], top: &Top<'_>, cx: &Ctxt) {
    let from_worker = w.start == Start::FromWorker;
    if let Some(first) = w.names_used.first() {
        if !rules::uses_is_on_a_worker(first, Place::Worker, from_worker, user, cx) {
            return;
        }
    }
    for name in &w.names_used {
        let (found, problem) = look_up(&unraw(name), user, stack, top);
        if !rules::used_name_is_in_scope(name, user, problem, cx) {
            continue;
        }
        if !rules::used_name_is_named(name, &w.expr, user, cx) {
            continue;
        }
        if let Some(what) = found {
            w.uses.push(Used {
                name: name.clone(),
                what,
            });
        }
    }
}

/// What `name` stands for in the scope of `user`, or why it stands for nothing.
fn look_up<'a>(
    name: &str,
    user: &'a str,
    stack: &'a [Level],
    top: &Top<'a>,
) -> (Option<UsedKind>, Option<OutOfScope<'a>>) {
    for (up, level) in stack.iter().rev().enumerate() {
        let Some(index) = level.children.iter().position(|(id, _)| id == name) else {
            continue;
        };
        let found = |handle: &Handle| UsedKind::Node {
            up,
            index: Some(index),
            handle: handle.clone(),
        };
        return match index.cmp(&level.before) {
            std::cmp::Ordering::Less => (Some(found(&level.children[index].1)), None),
            // An ancestor of the worker, or the worker itself.
            std::cmp::Ordering::Equal if up > 0 => (Some(found(&level.children[index].1)), None),
            std::cmp::Ordering::Equal => (None, Some(OutOfScope::Itself)),
            std::cmp::Ordering::Greater => {
                let after = if up == 0 {
                    user
                } else {
                    level.children[level.before].0.as_str()
                };
                let order = level.children.iter().map(|(id, _)| id.as_str()).collect();
                (None, Some(OutOfScope::Later { after, order }))
            }
        };
    }
    if name == top.id {
        let up = stack.len().saturating_sub(1);
        let handle = top.handle.clone();
        let root = UsedKind::Node {
            up,
            index: None,
            handle,
        };
        return (Some(root), None);
    }
    if top.breakers.contains(&name) {
        return (Some(UsedKind::Breaker), None);
    }
    // What could have been meant: whatever is in scope.
    let mut visible: Vec<&'a str> = vec![top.id];
    for level in stack {
        let before = level.children.iter().take(level.before + 1);
        visible.extend(before.map(|(id, _)| id.as_str()));
    }
    visible.extend(top.breakers.iter().copied());
    visible.retain(|v| *v != user);
    (None, Some(OutOfScope::Unknown { visible }))
}

fn handle_of(kind: &ChildKind) -> Handle {
    match kind {
        ChildKind::Worker(w) => Handle::Child {
            mailbox: w.mailbox.clone().map(Box::new),
        },
        ChildKind::Sup(sup) => handle_of_sup(sup),
    }
}

fn handle_of_sup(sup: &Sup) -> Handle {
    match sup {
        Sup::Static(_) => Handle::Supervisor,
        Sup::Dynamic(d) => Handle::Dynamic {
            args: d.template.args.clone().map(Box::new),
            mailbox: d.template.worker.mailbox.clone().map(Box::new),
        },
        Sup::Pool(p) => Handle::Pool {
            mailbox: p.template.worker.mailbox.clone().map(Box::new),
        },
    }
}
