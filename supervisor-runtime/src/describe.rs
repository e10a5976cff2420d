//! A static description of a tree, usable without starting anything (docs, pictures, checks).

use std::fmt::Write;

use crate::backoff::Backoff;
use crate::spec::{AutoShutdown, Intensity, Restart, Shutdown, Strategy};

/// A whole tree, as the `supervision_tree!` macro describes it in a `const`.
#[derive(Clone, Copy, Debug)]
pub struct TreeDescription {
    /// The tree's type name.
    pub name: &'static str,
    /// The root supervisor.
    pub root: NodeDescription,
}

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NodeKind {
    /// A worker.
    Worker,
    /// A static supervisor.
    Supervisor {
        /// Its strategy.
        strategy: Strategy,
        /// Its restart intensity.
        intensity: Intensity,
        /// Its auto_shutdown.
        auto_shutdown: AutoShutdown,
    },
    /// A dynamic supervisor; its one child in `children` is the template.
    Dynamic {
        /// Its restart intensity.
        intensity: Intensity,
        /// The bound on its children, if any.
        max_children: Option<usize>,
    },
    /// A pool (S14); its one child in `children` is the template of its slots.
    Pool {
        /// Its restart intensity.
        intensity: Intensity,
        /// Its number of slots.
        size: usize,
    },
}

/// One node of a [`TreeDescription`].
#[derive(Clone, Copy, Debug)]
pub struct NodeDescription {
    /// The id (`"<template>"` for a dynamic supervisor's template).
    pub id: &'static str,
    /// Worker, supervisor or dynamic supervisor.
    pub kind: NodeKind,
    /// Restart type (of the node within its parent).
    pub restart: Restart,
    /// Shutdown policy.
    pub shutdown: Shutdown,
    /// Significant for the parent's auto_shutdown.
    pub significant: bool,
    /// Backoff before restarts.
    pub backoff: Backoff,
    /// The mailbox message type, as written in the tree.
    pub mailbox: Option<&'static str>,
    /// Children, in start order.
    pub children: &'static [NodeDescription],
}

impl NodeDescription {
    /// A worker with the default policies (permanent, 5 s shutdown, no backoff, no mailbox).
    pub const fn worker(id: &'static str) -> Self {
        NodeDescription {
            id,
            kind: NodeKind::Worker,
            restart: Restart::Permanent,
            shutdown: crate::spec::DEFAULT_WORKER_SHUTDOWN,
            significant: false,
            backoff: Backoff::NONE,
            mailbox: None,
            children: &[],
        }
    }

    /// A static supervisor with the default intensity and auto_shutdown never.
    pub const fn supervisor(
        id: &'static str,
        strategy: Strategy,
        children: &'static [NodeDescription],
    ) -> Self {
        NodeDescription {
            id,
            kind: NodeKind::Supervisor {
                strategy,
                intensity: Intensity::DEFAULT,
                auto_shutdown: AutoShutdown::Never,
            },
            restart: Restart::Permanent,
            shutdown: Shutdown::Infinity,
            significant: false,
            backoff: Backoff::NONE,
            mailbox: None,
            children,
        }
    }

    /// A dynamic supervisor with the default intensity; `template` describes its children.
    pub const fn dynamic(id: &'static str, template: &'static [NodeDescription]) -> Self {
        NodeDescription {
            kind: NodeKind::Dynamic {
                intensity: Intensity::DEFAULT,
                max_children: None,
            },
            ..NodeDescription::supervisor(id, Strategy::OneForOne, template)
        }
    }

    /// A pool of `size` slots with the default intensity; `template` describes its slots.
    pub const fn pool(id: &'static str, size: usize, template: &'static [NodeDescription]) -> Self {
        NodeDescription {
            kind: NodeKind::Pool {
                intensity: Intensity::DEFAULT,
                size,
            },
            ..NodeDescription::supervisor(id, Strategy::OneForOne, template)
        }
    }

    /// Sets the restart intensity of a supervisor (no effect on a worker).
    pub const fn intensity(mut self, max_restarts: u32, period: std::time::Duration) -> Self {
        let value = Intensity {
            max_restarts,
            period,
        };
        match &mut self.kind {
            NodeKind::Supervisor { intensity, .. }
            | NodeKind::Dynamic { intensity, .. }
            | NodeKind::Pool { intensity, .. } => *intensity = value,
            NodeKind::Worker => {}
        }
        self
    }

    /// Sets the auto_shutdown of a static supervisor.
    pub const fn auto_shutdown(mut self, value: AutoShutdown) -> Self {
        if let NodeKind::Supervisor { auto_shutdown, .. } = &mut self.kind {
            *auto_shutdown = value;
        }
        self
    }

    /// Sets the bound on a dynamic supervisor's children.
    pub const fn max_children(mut self, max: usize) -> Self {
        if let NodeKind::Dynamic { max_children, .. } = &mut self.kind {
            *max_children = Some(max);
        }
        self
    }

    /// Sets the restart type.
    pub const fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// Sets the shutdown policy.
    pub const fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Marks the node significant (or not).
    pub const fn significant(mut self, significant: bool) -> Self {
        self.significant = significant;
        self
    }

    /// Sets the backoff.
    pub const fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Names the mailbox type.
    pub const fn mailbox(mut self, name: &'static str) -> Self {
        self.mailbox = Some(name);
        self
    }

    /// The number of nodes in this subtree, this one included.
    pub fn len(&self) -> usize {
        1 + self
            .children
            .iter()
            .map(NodeDescription::len)
            .sum::<usize>()
    }

    /// Always `false`: a node counts itself.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Calls `f` with each node of the subtree and its path, depth first, in start order.
    pub fn walk(&self, f: &mut dyn FnMut(&str, &NodeDescription)) {
        fn go(
            node: &NodeDescription,
            path: &mut String,
            f: &mut dyn FnMut(&str, &NodeDescription),
        ) {
            let len = path.len();
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(node.id);
            f(path, node);
            for child in node.children {
                go(child, path, f);
            }
            path.truncate(len);
        }
        go(self, &mut String::new(), f);
    }

    pub(crate) fn label(&self) -> String {
        label(
            self.id,
            &self.kind,
            self.restart,
            self.significant,
            !self.backoff.is_none(),
            self.mailbox,
        )
    }
}

/// A node's line in a picture: its id, its kind's settings, and what differs from the defaults.
pub(crate) fn label(
    id: &str,
    kind: &NodeKind,
    restart: Restart,
    significant: bool,
    backoff: bool,
    mailbox: Option<&str>,
) -> String {
    let mut s = String::from(id);
    match *kind {
        NodeKind::Worker => {}
        NodeKind::Supervisor {
            strategy,
            intensity,
            auto_shutdown,
        } => {
            let _ = write!(
                s,
                " ({}, {} in {:?}",
                strategy.name(),
                intensity.max_restarts,
                intensity.period
            );
            if auto_shutdown != AutoShutdown::Never {
                let _ = write!(s, ", auto_shutdown {auto_shutdown:?}");
            }
            s.push(')');
        }
        NodeKind::Dynamic {
            intensity,
            max_children,
        } => {
            let _ = write!(
                s,
                " (dynamic, {} in {:?}",
                intensity.max_restarts, intensity.period
            );
            if let Some(max) = max_children {
                let _ = write!(s, ", max {max}");
            }
            s.push(')');
        }
        NodeKind::Pool { intensity, size } => {
            let _ = write!(
                s,
                " (pool of {size}, {} in {:?})",
                intensity.max_restarts, intensity.period
            );
        }
    }
    if restart != Restart::Permanent {
        let _ = write!(s, " [{}]", restart.name());
    }
    if significant {
        s.push_str(" [significant]");
    }
    if backoff {
        s.push_str(" [backoff]");
    }
    if let Some(m) = mailbox {
        let _ = write!(s, " <{m}>");
    }
    s
}
