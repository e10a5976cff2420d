//! A static description of a tree, usable without starting anything (docs, pictures, checks).

use std::fmt::Write;
use std::time::Duration;

use crate::backoff::Backoff;
use crate::spec::{AutoShutdown, Intensity, Overflow, Restart, Shutdown, Strategy};

/// A whole tree, as the `supervision_tree!` macro describes it in a `const`.
#[derive(Clone, Copy, Debug)]
pub struct TreeDescription {
    /// The tree's type name.
    pub name: &'static str,
    /// The root supervisor.
    pub root: NodeDescription,
    /// The names of the circuit breakers declared with the tree (S13.1).
    pub breakers: &'static [&'static str],
}

/// How a pool routes its messages (S14.2), as a description has it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouteKind {
    /// The next running slot with room, in turn.
    #[default]
    RoundRobin,
    /// The slot with the fewest queued and in progress.
    LeastLoaded,
    /// The slot a key of the message hashes to.
    KeyHash,
    /// Every slot, a clone each.
    Broadcast,
}

impl RouteKind {
    /// The word the macro uses for it.
    pub fn name(self) -> &'static str {
        match self {
            RouteKind::RoundRobin => "round_robin",
            RouteKind::LeastLoaded => "least_loaded",
            RouteKind::KeyHash => "key_hash",
            RouteKind::Broadcast => "broadcast",
        }
    }
}

/// What judges a child's exits and watches it run (S10-S13), as a description has it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Watching {
    /// It has a decider (S10.2).
    pub decider: bool,
    /// The interval of its health probe (S11), if it has one.
    pub probe_every: Option<Duration>,
    /// The interval of its heartbeats (S12), if it beats.
    pub heartbeat_every: Option<Duration>,
    /// The breakers whose opening holds back its restarts (S13.7).
    pub depends_on: &'static [&'static str],
    /// The nodes and breakers it uses (S17).
    pub uses: &'static [&'static str],
}

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NodeKind {
    /// A worker.
    Worker,
    /// An operating-system process (S20).
    Process,
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
        /// How it routes (S14.2).
        route: RouteKind,
        /// What a send does when no slot has room (S14.3).
        overflow: Overflow,
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
    /// Its decider, probe, heartbeats and the breakers it depends on.
    pub watching: Watching,
    /// The type of the state it carries across restarts (S15), as written in the tree.
    pub state: Option<&'static str>,
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
            watching: Watching {
                decider: false,
                probe_every: None,
                heartbeat_every: None,
                depends_on: &[],
                uses: &[],
            },
            state: None,
            children: &[],
        }
    }

    /// An operating-system process with the default policies (S20).
    pub const fn process(id: &'static str) -> Self {
        let mut node = NodeDescription::worker(id);
        node.kind = NodeKind::Process;
        node
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
            watching: NodeDescription::worker(id).watching,
            state: None,
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
                route: RouteKind::RoundRobin,
                overflow: Overflow::Wait,
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
            NodeKind::Worker | NodeKind::Process => {}
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

    /// Sets the restart type, shutdown, significance and backoff at once.
    pub const fn policy(mut self, policy: crate::ChildPolicy) -> Self {
        self.restart = policy.restart;
        if let Some(shutdown) = policy.shutdown {
            self.shutdown = shutdown;
        }
        self.significant = policy.significant;
        self.backoff = policy.backoff;
        self
    }

    /// Names the mailbox type.
    pub const fn mailbox(mut self, name: &'static str) -> Self {
        self.mailbox = Some(name);
        self
    }

    /// Sets a pool's routing and overflow (no effect on other nodes).
    pub const fn routing(mut self, route: RouteKind, overflow: Overflow) -> Self {
        if let NodeKind::Pool {
            route: r,
            overflow: o,
            ..
        } = &mut self.kind
        {
            *r = route;
            *o = overflow;
        }
        self
    }

    /// Marks the node as having a decider.
    pub const fn decider(mut self) -> Self {
        self.watching.decider = true;
        self
    }

    /// Gives the node a health probe run every `every`.
    pub const fn probe(mut self, every: Duration) -> Self {
        self.watching.probe_every = Some(every);
        self
    }

    /// Gives the node heartbeats every `every`.
    pub const fn heartbeat(mut self, every: Duration) -> Self {
        self.watching.heartbeat_every = Some(every);
        self
    }

    /// Names the breakers the node depends on.
    pub const fn depends_on(mut self, breakers: &'static [&'static str]) -> Self {
        self.watching.depends_on = breakers;
        self
    }

    /// Names the nodes and breakers the node uses (S17).
    pub const fn uses(mut self, names: &'static [&'static str]) -> Self {
        self.watching.uses = names;
        self
    }

    /// Names the type of the node's carried state.
    pub const fn state(mut self, name: &'static str) -> Self {
        self.state = Some(name);
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
        label(&Label {
            id: self.id,
            kind: &self.kind,
            restart: self.restart,
            significant: self.significant,
            backoff: !self.backoff.is_none(),
            mailbox: self.mailbox,
            decider: self.watching.decider,
            probe_every: self.watching.probe_every,
            heartbeat_every: self.watching.heartbeat_every,
            state: self.state,
            command: None,
        })
    }
}

/// What a node's line in a picture says.
pub(crate) struct Label<'a> {
    pub(crate) id: &'a str,
    pub(crate) kind: &'a NodeKind,
    pub(crate) restart: Restart,
    pub(crate) significant: bool,
    pub(crate) backoff: bool,
    pub(crate) mailbox: Option<&'a str>,
    pub(crate) decider: bool,
    pub(crate) probe_every: Option<Duration>,
    pub(crate) heartbeat_every: Option<Duration>,
    pub(crate) state: Option<&'a str>,
    /// A process child's command, as it is shown (S20).
    pub(crate) command: Option<&'a str>,
}

/// A node's line in a picture: its id, its kind's settings, and what differs from the defaults.
pub(crate) fn label(l: &Label<'_>) -> String {
    let mut s = String::from(l.id);
    match *l.kind {
        NodeKind::Worker => {}
        NodeKind::Process => match l.command {
            Some(command) => {
                let _ = write!(s, " (process: {command})");
            }
            None => s.push_str(" (process)"),
        },
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
        NodeKind::Pool {
            intensity,
            size,
            route,
            overflow,
        } => {
            let _ = write!(s, " (pool of {size}");
            if route != RouteKind::RoundRobin {
                let _ = write!(s, ", {}", route.name());
            }
            if overflow != Overflow::Wait {
                let _ = write!(s, ", overflow {}", overflow.name());
            }
            let _ = write!(s, ", {} in {:?})", intensity.max_restarts, intensity.period);
        }
    }
    if l.restart != Restart::Permanent {
        let _ = write!(s, " [{}]", l.restart.name());
    }
    if l.significant {
        s.push_str(" [significant]");
    }
    if l.backoff {
        s.push_str(" [backoff]");
    }
    if l.decider {
        s.push_str(" [decide]");
    }
    if let Some(every) = l.probe_every {
        let _ = write!(s, " [probe every {every:?}]");
    }
    if let Some(every) = l.heartbeat_every {
        let _ = write!(s, " [heartbeat every {every:?}]");
    }
    if let Some(state) = l.state {
        let _ = write!(s, " [state {state}]");
    }
    if let Some(m) = l.mailbox {
        let _ = write!(s, " <{m}>");
    }
    s
}
