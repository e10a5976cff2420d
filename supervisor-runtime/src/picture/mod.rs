//! Pictures of a tree: as text, as a Mermaid flowchart and as Graphviz DOT, from a tree's
//! description (`App::TREE`), from a spec built by hand, or from a running tree, with each
//! child's state, incarnation, restarts and health.

use std::fmt::{self, Write};

use crate::describe::{label, Label, NodeDescription, NodeKind, TreeDescription};
use crate::handle::{SupervisorHandle, SupervisorRef, TreeHandle};
use crate::spec::{ChildKind, ErasedChild, Restart, Starter, SupervisorKind, SupervisorSpec};
use crate::state::{BreakerState, ChildState, HealthStatus};
use crate::types::short;
use crate::CircuitBreaker;
use std::sync::Arc;

mod svg;

/// A picture of a tree, ready to be drawn in one of three formats.
///
/// ```
/// use supervisor::{ChildContext, ChildSpec, Picture, SupervisorSpec};
///
/// async fn idle(ctx: ChildContext) -> Result<(), String> { ctx.cancelled().await; Ok(()) }
///
/// let spec = SupervisorSpec::new("app").child(ChildSpec::worker("db", idle));
/// let picture = Picture::from(&spec);
/// assert_eq!(picture.text(), "app (one_for_one, 3 in 5s)\n└── db\n");
/// assert!(picture.mermaid().starts_with("flowchart TD\n"));
/// assert!(picture.dot().starts_with("digraph \"app\" {\n"));
/// ```
#[derive(Clone, Debug)]
pub struct Picture {
    name: String,
    root: Drawn,
    /// The tree's circuit breakers, with their states in a live picture from the tree's handle.
    breakers: Vec<(String, Option<BreakerState>)>,
}

/// What a running child was doing when the picture was taken.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Live {
    /// Its state.
    pub state: ChildState,
    /// Its current (or last) incarnation.
    pub incarnation: Option<u64>,
    /// Its restarts so far.
    pub restarts: u32,
    /// Its health as last probed.
    pub health: HealthStatus,
    /// Its phi, when it is judged by heartbeats (S12.5).
    pub phi: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Worker,
    Supervisor,
    /// A dynamic supervisor: its one child is a template.
    Dynamic,
    /// A pool: its one child is its slots' template.
    Pool,
}

#[derive(Clone, Debug)]
struct Drawn {
    label: String,
    shape: Shape,
    live: Option<Live>,
    /// The breakers whose opening holds its restarts: drawn as edges to them (S13.7).
    depends_on: Vec<String>,
    /// Its id, which the names others use are looked up by (S17).
    id: String,
    /// What it uses: drawn as edges to those nodes and breakers (S17.3).
    uses: Vec<String>,
    /// How its last incarnation ended, and the message it was handling (S19), when live.
    crash: Option<String>,
    children: Vec<Drawn>,
}

impl From<&TreeDescription> for Picture {
    fn from(tree: &TreeDescription) -> Self {
        let root = from_description(&tree.root);
        let declared = tree.breakers.iter().map(|&b| b.to_owned()).collect();
        Picture {
            name: tree.name.to_owned(),
            breakers: with_depended_on(declared, &root),
            root,
        }
    }
}

/// The breakers to draw: those declared, then any a child depends on that is not, so that each
/// "depends on" edge has its end (a breaker built by hand and shared, S13.1).
fn with_depended_on(mut names: Vec<String>, root: &Drawn) -> Vec<(String, Option<BreakerState>)> {
    let mut nodes = Vec::new();
    root.walk(None, &mut nodes);
    for (_, _, node) in nodes {
        for b in &node.depends_on {
            if !names.contains(b) {
                names.push(b.clone());
            }
        }
    }
    names.into_iter().map(|n| (n, None)).collect()
}

fn from_description(node: &NodeDescription) -> Drawn {
    Drawn {
        id: node.id.to_owned(),
        uses: node.watching.uses.iter().map(|&u| u.to_owned()).collect(),
        crash: None,
        label: node.label(),
        shape: shape(&node.kind),
        live: None,
        depends_on: node
            .watching
            .depends_on
            .iter()
            .map(|&b| b.to_owned())
            .collect(),
        children: node.children.iter().map(from_description).collect(),
    }
}

fn shape(kind: &NodeKind) -> Shape {
    match kind {
        NodeKind::Worker | NodeKind::Process => Shape::Worker,
        NodeKind::Supervisor { .. } => Shape::Supervisor,
        NodeKind::Dynamic { .. } => Shape::Dynamic,
        NodeKind::Pool { .. } => Shape::Pool,
    }
}

impl From<&SupervisorSpec> for Picture {
    fn from(spec: &SupervisorSpec) -> Self {
        let root = from_spec(spec, &spec.id, Restart::Permanent, false, false);
        let mut declared = Vec::new();
        spec.walk(&mut |s| declared.extend(s.breakers.iter().map(|b| b.name().to_owned())));
        Picture {
            name: spec.id.to_string(),
            breakers: with_depended_on(declared, &root),
            root,
        }
    }
}

/// The kind of a supervisor spec, as a description has it.
fn kind_of(spec: &SupervisorSpec) -> NodeKind {
    match &spec.kind {
        SupervisorKind::Pool(_, pool) => NodeKind::Pool {
            intensity: spec.intensity,
            size: pool.size,
            route: pool.route,
            overflow: pool.overflow,
        },
        SupervisorKind::Dynamic(d) => NodeKind::Dynamic {
            intensity: spec.intensity,
            max_children: d.max_children,
        },
        SupervisorKind::Static { strategy } => NodeKind::Supervisor {
            strategy: *strategy,
            intensity: spec.intensity,
            auto_shutdown: spec.auto_shutdown,
        },
    }
}

fn from_spec(
    spec: &SupervisorSpec,
    id: &str,
    restart: Restart,
    significant: bool,
    backoff: bool,
) -> Drawn {
    let children = match &spec.kind {
        SupervisorKind::Pool(d, _) => vec![from_child(&d.template, "<slot>")],
        SupervisorKind::Dynamic(d) => vec![from_child(&d.template, "<template>")],
        SupervisorKind::Static { .. } => {
            spec.children.iter().map(|c| from_child(c, &c.id)).collect()
        }
    };
    supervisor(spec, id, (restart, significant, backoff), children)
}

/// A supervisor drawn with `children`: those of its spec, or those running now. `as_child` is
/// how its parent starts it (restart, significant, backoff).
fn supervisor(
    spec: &SupervisorSpec,
    id: &str,
    (restart, significant, backoff): (Restart, bool, bool),
    children: Vec<Drawn>,
) -> Drawn {
    let kind = kind_of(spec);
    Drawn {
        id: id.to_owned(),
        uses: Vec::new(),
        crash: None,
        label: label(&Label {
            id,
            kind: &kind,
            restart,
            significant,
            backoff,
            mailbox: None,
            decider: false,
            probe_every: None,
            heartbeat_every: None,
            state: None,
            command: None,
        }),
        shape: shape(&kind),
        live: None,
        depends_on: Vec::new(),
        children,
    }
}

fn from_child(child: &ErasedChild, id: &str) -> Drawn {
    let backoff = !child.backoff().is_none();
    match &child.start {
        Starter::Supervisor { spec } => {
            from_spec(spec, id, child.restart, child.significant, backoff)
        }
        Starter::Fn { .. } | Starter::Process { .. } => {
            let (kind, command) = match &child.start {
                Starter::Process { spec, .. } => (NodeKind::Process, Some(spec.command_line())),
                _ => (NodeKind::Worker, None),
            };
            let mailbox = child
                .mailbox
                .is_some()
                .then(|| short((child.message)().name));
            let state = child.state().map(|(_, tag)| short(tag.name));
            let (mailbox, state) = (mailbox.as_deref(), state.as_deref());
            Drawn {
                id: id.to_owned(),
                uses: child.uses().iter().map(|u| u.to_string()).collect(),
                crash: None,
                label: label(&Label {
                    id,
                    kind: &kind,
                    restart: child.restart,
                    significant: child.significant,
                    backoff,
                    mailbox,
                    decider: child.decider().is_some(),
                    probe_every: child.health().map(|h| h.interval),
                    heartbeat_every: child.heartbeat().map(|h| h.interval),
                    state,
                    command: command.as_deref(),
                }),
                shape: Shape::Worker,
                live: None,
                depends_on: (child.depends_on().iter())
                    .map(|b| b.name().to_owned())
                    .collect(),
                children: Vec::new(),
            }
        }
    }
}

impl SupervisorRef {
    /// A picture of this supervisor's subtree as it runs now, drawn with the shapes and labels
    /// of a static one (kinds, strategies, intensities, routing, probes, breakers), and with each
    /// child's state, incarnation, restarts and health (S9.1). Children added at run time are
    /// included, each labelled as its template.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn picture(&self) -> Picture {
        self.picture_with(&[]).await
    }

    /// [`picture`](Self::picture), with `breakers` drawn beside it whether or not a child
    /// depends on them: the tree's, from [`SupervisorHandle::breakers`], for a watcher that
    /// holds only references.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn picture_with(&self, breakers: &[CircuitBreaker]) -> Picture {
        let mut used = Vec::new();
        let root = live(self.clone(), self.id().to_owned(), None, &mut used).await;
        Picture {
            name: self.id().to_owned(),
            root,
            breakers: with_states(breakers.to_vec(), used),
        }
    }
}

impl SupervisorHandle {
    /// A picture of the whole tree as it runs now, as [`SupervisorRef::picture`] draws it,
    /// with the circuit breakers declared with the root and their states (S13).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn picture(&self) -> Picture {
        self.root().picture_with(self.breakers()).await
    }
}

impl<C> TreeHandle<C> {
    /// See [`SupervisorHandle::picture`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only reads.
    pub async fn picture(&self) -> Picture {
        self.handle().picture().await
    }
}

/// The breakers to draw, with their states: `declared`, then those children depend on.
fn with_states(
    declared: Vec<CircuitBreaker>,
    used: Vec<CircuitBreaker>,
) -> Vec<(String, Option<BreakerState>)> {
    let mut out: Vec<(String, Option<BreakerState>)> = Vec::new();
    for b in declared.into_iter().chain(used) {
        if !out.iter().any(|(n, _)| n == b.name()) {
            out.push((b.name().to_owned(), Some(b.state())));
        }
    }
    out
}

type BoxedDrawn<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Drawn> + Send + 'a>>;

/// A supervisor's subtree as it runs, walked one level after another: each level's children
/// drawn from the specs they were started from, with their states. `as_child` is the spec its
/// parent started it from and its state there; `used` gathers the breakers children depend on.
fn live(
    sup: SupervisorRef,
    id: String,
    as_child: Option<(Arc<ErasedChild>, Live)>,
    used: &mut Vec<CircuitBreaker>,
) -> BoxedDrawn<'_> {
    Box::pin(async move {
        let how = as_child
            .as_ref()
            .map_or((Restart::Permanent, false, false), |(c, _)| {
                (c.restart, c.significant, !c.backoff().is_none())
            });
        let Ok(layout) = sup.layout().await else {
            // Stopped since its parent listed it: drawn from its spec, without children.
            return match as_child {
                Some((spec, state)) => child_now(&spec, &id, state),
                None => leaf(&id, Shape::Supervisor, None),
            };
        };
        let me = as_child.map(|(_, state)| state);
        let mut children = Vec::new();
        for (info, spec) in layout.children {
            let state = Live {
                state: info.state,
                incarnation: info.incarnation,
                restarts: info.restarts,
                health: info.health,
                phi: info.phi,
            };
            used.extend(spec.depends_on().iter().cloned());
            let inner = match info.kind {
                ChildKind::Supervisor => sup.supervisor(&info.id).ok(),
                ChildKind::Worker | ChildKind::Process => None,
            };
            let mut child = match inner {
                Some(inner) => live(inner, info.id.to_string(), Some((spec, state)), used).await,
                None => child_now(&spec, &info.id, state),
            };
            child.crash = crash_line(&info);
            children.push(child);
        }
        let mut drawn = supervisor(&layout.spec, &id, how, children);
        drawn.live = me;
        drawn
    })
}

/// A child drawn from its spec with its state; a supervisor that is not running has no
/// children to show.
fn child_now(spec: &ErasedChild, id: &str, state: Live) -> Drawn {
    let mut drawn = from_child(spec, id);
    drawn.children.clear();
    drawn.live = Some(state);
    drawn
}

/// What a live picture says of a child's last failure (S19): its exit, and the message it was
/// handling; nothing for a child that never failed.
fn crash_line(info: &crate::event::ChildInfo) -> Option<String> {
    let exit = info.last_exit.as_ref().filter(|e| e.is_abnormal())?;
    let mut line = format!("last exit: {exit}");
    if let Some(m) = &info.last_message {
        let _ = write!(line, ", handling {m}");
    }
    Some(line)
}

fn leaf(id: &str, shape: Shape, live: Option<Live>) -> Drawn {
    Drawn {
        id: id.to_owned(),
        uses: Vec::new(),
        crash: None,
        label: id.to_owned(),
        shape,
        live,
        depends_on: Vec::new(),
        children: Vec::new(),
    }
}

impl Live {
    fn describe(&self) -> String {
        let mut s = self.state.name().to_owned();
        if let Some(n) = self.incarnation {
            let _ = write!(s, ", incarnation {n}");
        }
        if self.restarts > 0 {
            let _ = write!(
                s,
                ", {} restart{}",
                self.restarts,
                if self.restarts == 1 { "" } else { "s" }
            );
        }
        match self.health {
            HealthStatus::Unknown => {}
            h => {
                let _ = write!(s, ", {}", format!("{h:?}").to_lowercase());
            }
        }
        if let Some(phi) = self.phi {
            let _ = write!(s, ", phi {phi:.1}");
        }
        s
    }

    /// The class a state is coloured by.
    fn class(&self) -> &'static str {
        match (self.state, self.health) {
            (ChildState::Running, HealthStatus::Degraded) => "degraded",
            (ChildState::Running, HealthStatus::Unhealthy) => "unhealthy",
            (ChildState::Running, _) => "running",
            (ChildState::Starting, _) => "starting",
            (ChildState::Restarting, _) => "restarting",
            (ChildState::Stopping, _) => "stopping",
            (ChildState::Stopped, _) => "stopped",
            (ChildState::Quarantined, _) => "quarantined",
            (ChildState::Paused, _) => "paused",
            (ChildState::Gone(_), _) => "gone",
        }
    }
}

/// Fill and stroke of each live class, shared by Mermaid and DOT.
const COLOURS: &[(&str, &str, &str)] = &[
    ("running", "#d9f2d9", "#2e7d32"),
    ("starting", "#e3f2fd", "#1565c0"),
    ("restarting", "#fff3cd", "#b26a00"),
    ("stopping", "#fff3cd", "#b26a00"),
    ("degraded", "#fff3cd", "#b26a00"),
    ("stopped", "#eeeeee", "#616161"),
    ("paused", "#eeeeee", "#616161"),
    ("quarantined", "#f3e5f5", "#6a1b9a"),
    ("unhealthy", "#fde2e1", "#c62828"),
    ("gone", "#fde2e1", "#c62828"),
];

impl Drawn {
    fn line(&self) -> String {
        let mut line = match &self.live {
            Some(live) => format!("{} [{}]", self.label, live.describe()),
            None => self.label.clone(),
        };
        if !self.depends_on.is_empty() {
            let _ = write!(line, " [depends on {}]", self.depends_on.join(", "));
        }
        if !self.uses.is_empty() {
            let _ = write!(line, " [uses {}]", self.uses.join(", "));
        }
        if let Some(crash) = &self.crash {
            let _ = write!(line, " [{crash}]");
        }
        line
    }

    /// Numbers the nodes depth first, in start order: the ids the charts use, so that no id
    /// or label the user chose can break a chart's syntax.
    fn walk<'a>(&'a self, parent: Option<usize>, out: &mut Vec<(usize, Option<usize>, &'a Drawn)>) {
        let me = out.len();
        out.push((me, parent, self));
        for child in &self.children {
            child.walk(Some(me), out);
        }
    }
}

/// One node of a [`Picture`], as its charts draw it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PictureNode {
    /// Its path from the root (`app/api/db`); in a picture of a spec, a template's last
    /// segment is `<template>` (a pool's `<slot>`).
    pub path: String,
    /// Its label without its live state (`db (pool of 3, round_robin)`): its kind and
    /// policies.
    pub label: String,
    /// `worker`, `supervisor`, `dynamic` or `pool`.
    pub kind: &'static str,
}

impl Picture {
    /// Its nodes, depth first in start order: what an outline beside the chart lists.
    pub fn nodes(&self) -> Vec<PictureNode> {
        let mut nodes = Vec::new();
        self.root.walk(None, &mut nodes);
        let paths = svg::paths(&nodes);
        nodes
            .iter()
            .zip(paths)
            .map(|((_, _, node), path)| PictureNode {
                path,
                label: node.label.clone(),
                kind: match node.shape {
                    Shape::Worker => "worker",
                    Shape::Supervisor => "supervisor",
                    Shape::Dynamic => "dynamic",
                    Shape::Pool => "pool",
                },
            })
            .collect()
    }

    /// The tree as text, one node a line (what `App::TREE` prints).
    pub fn text(&self) -> String {
        fn go(out: &mut String, node: &Drawn, prefix: &str, last: bool) {
            let (branch, next) = if last {
                ("└── ", "    ")
            } else {
                ("├── ", "│   ")
            };
            let _ = writeln!(out, "{prefix}{branch}{}", node.line());
            let prefix = format!("{prefix}{next}");
            for (i, child) in node.children.iter().enumerate() {
                go(out, child, &prefix, i + 1 == node.children.len());
            }
        }
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.root.line());
        for (i, child) in self.root.children.iter().enumerate() {
            go(&mut out, child, "", i + 1 == self.root.children.len());
        }
        for (name, state) in &self.breakers {
            let _ = writeln!(out, "{}", breaker_line(name, *state));
        }
        out
    }

    /// The tree as a Mermaid flowchart: supervisors as boxes, dynamic supervisors and pools as
    /// double boxes, workers rounded; live states as colours.
    pub fn mermaid(&self) -> String {
        let mut nodes = Vec::new();
        self.root.walk(None, &mut nodes);
        let mut out = String::from("flowchart TD\n");
        for (n, _, node) in &nodes {
            let text = mermaid_text(&node.line());
            let _ = match node.shape {
                Shape::Supervisor => writeln!(out, "    n{n}[\"{text}\"]"),
                Shape::Dynamic | Shape::Pool => writeln!(out, "    n{n}[[\"{text}\"]]"),
                Shape::Worker => writeln!(out, "    n{n}(\"{text}\")"),
            };
        }
        for (b, (name, state)) in self.breakers.iter().enumerate() {
            let text = mermaid_text(&breaker_line(name, *state));
            let _ = writeln!(out, "    b{b}{{{{\"{text}\"}}}}");
        }
        for (n, parent, _) in &nodes {
            if let Some(p) = parent {
                let _ = writeln!(out, "    n{p} --> n{n}");
            }
        }
        for (n, b) in self.depends_on_edges(&nodes) {
            let _ = writeln!(out, "    n{n} -.->|depends on| b{b}");
        }
        for (n, to) in self.uses_edges(&nodes) {
            let _ = writeln!(out, "    n{n} -.->|uses| {to}");
        }
        let live: Vec<(String, &str)> = (nodes.iter())
            .filter_map(|(n, _, node)| Some((format!("n{n}"), node.live?.class())))
            .chain(
                (self.breakers.iter().enumerate()).filter_map(|(b, (_, state))| {
                    Some((format!("b{b}"), breaker_class((*state)?)))
                }),
            )
            .collect();
        if !live.is_empty() {
            for (class, fill, stroke) in COLOURS {
                let _ = writeln!(out, "    classDef {class} fill:{fill},stroke:{stroke};");
            }
            for (id, class) in live {
                let _ = writeln!(out, "    class {id} {class};");
            }
        }
        out
    }

    /// The tree as Graphviz DOT, with the same shapes and colours as [`mermaid`](Self::mermaid).
    pub fn dot(&self) -> String {
        let mut nodes = Vec::new();
        self.root.walk(None, &mut nodes);
        let mut out = format!("digraph \"{}\" {{\n", dot_text(&self.name));
        out.push_str("    node [fontname=\"Helvetica\"];\n");
        for (n, _, node) in &nodes {
            let shape = match node.shape {
                Shape::Supervisor => "box",
                Shape::Dynamic | Shape::Pool => "box3d",
                Shape::Worker => "ellipse",
            };
            let class = node.live.map(|live| live.class());
            let attrs = dot_attrs(&node.line(), shape, class);
            let _ = writeln!(out, "    n{n} [{attrs}];");
        }
        for (b, (name, state)) in self.breakers.iter().enumerate() {
            let attrs = dot_attrs(
                &breaker_line(name, *state),
                "hexagon",
                state.map(breaker_class),
            );
            let _ = writeln!(out, "    b{b} [{attrs}];");
        }
        for (n, parent, _) in &nodes {
            if let Some(p) = parent {
                let _ = writeln!(out, "    n{p} -> n{n};");
            }
        }
        for (n, b) in self.depends_on_edges(&nodes) {
            let _ = writeln!(
                out,
                "    n{n} -> b{b} [style=dashed, label=\"depends on\"];"
            );
        }
        for (n, to) in self.uses_edges(&nodes) {
            let _ = writeln!(out, "    n{n} -> {to} [style=dotted, label=\"uses\"];");
        }
        out.push_str("}\n");
        out
    }
}

/// What a "uses" edge reaches, by its number in the chart.
#[derive(Clone, Copy)]
enum Used {
    Node(usize),
    Breaker(usize),
}

impl fmt::Display for Used {
    /// Its id in a Mermaid or DOT chart.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Used::Node(n) => write!(f, "n{n}"),
            Used::Breaker(b) => write!(f, "b{b}"),
        }
    }
}

impl Picture {
    /// `(node, what it uses)` for each "uses" edge (S17.3): each name looked up as the tree
    /// does, among the node's siblings, then each ancestor's, then the root and the breakers.
    fn uses_edges(&self, nodes: &[(usize, Option<usize>, &Drawn)]) -> Vec<(usize, Used)> {
        let mut edges = Vec::new();
        for (n, parent, node) in nodes {
            for name in &node.uses {
                let mut level = *parent;
                let mut found = None;
                while let Some(p) = level {
                    let sibling = nodes
                        .iter()
                        .find(|(_, q, d)| *q == Some(p) && d.id == *name);
                    if let Some((m, _, _)) = sibling {
                        found = Some(Used::Node(*m));
                        break;
                    }
                    level = nodes[p].1;
                }
                let root = nodes.first().filter(|(_, _, d)| d.id == *name);
                let found = found
                    .or_else(|| root.map(|(m, _, _)| Used::Node(*m)))
                    .or_else(|| {
                        let b = self.breakers.iter().position(|(b, _)| b == name)?;
                        Some(Used::Breaker(b))
                    });
                if let Some(to) = found {
                    edges.push((*n, to));
                }
            }
        }
        edges
    }

    /// `(node, breaker)` for each "depends on" edge, by their numbers in the chart.
    fn depends_on_edges(&self, nodes: &[(usize, Option<usize>, &Drawn)]) -> Vec<(usize, usize)> {
        let mut edges = Vec::new();
        for (n, _, node) in nodes {
            for name in &node.depends_on {
                if let Some(b) = self.breakers.iter().position(|(b, _)| b == name) {
                    edges.push((*n, b));
                }
            }
        }
        edges
    }
}

/// A DOT node's attributes: its label and shape, coloured by its live class if it has one.
fn dot_attrs(label: &str, shape: &str, class: Option<&str>) -> String {
    let mut attrs = format!("label=\"{}\", shape={shape}", dot_text(label));
    let colours = class.and_then(|class| COLOURS.iter().find(|(c, _, _)| *c == class));
    if let Some((_, fill, stroke)) = colours {
        let _ = write!(
            attrs,
            ", style=filled, fillcolor=\"{fill}\", color=\"{stroke}\""
        );
    }
    attrs
}

fn breaker_line(name: &str, state: Option<BreakerState>) -> String {
    let state = match state {
        None => return format!("breaker {name}"),
        Some(BreakerState::Closed) => "closed",
        Some(BreakerState::HalfOpen) => "half-open",
        Some(BreakerState::Open) => "open",
    };
    format!("breaker {name} [{state}]")
}

/// A breaker is coloured as a child would be: closed as running, half-open as restarting,
/// open as unhealthy.
fn breaker_class(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "running",
        BreakerState::HalfOpen => "restarting",
        BreakerState::Open => "unhealthy",
    }
}

impl fmt::Display for Picture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// A label inside a Mermaid string: quotes and angle brackets as entity codes (a mailbox
/// `<Msg>` would otherwise be read as HTML).
fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            c => out.push(c),
        }
    }
    out
}

/// A DOT string: backslashes and quotes escaped.
fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

impl fmt::Display for TreeDescription {
    /// Draws the tree, one node a line:
    ///
    /// ```text
    /// app (one_for_one, 3 in 5s)
    /// ├── db
    /// └── api (rest_for_one, 5 in 30s)
    ///     └── listener <ListenerMsg>
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Picture::from(self).text())
    }
}

#[cfg(test)]
mod tests {
    use crate::types::short;

    #[test]
    fn type_names_lose_their_module_paths() {
        assert_eq!(short("u32"), "u32");
        assert_eq!(short("app::api::Msg"), "Msg");
        assert_eq!(
            short("alloc::vec::Vec<alloc::string::String>"),
            "Vec<String>"
        );
        assert_eq!(
            short("std::collections::hash::map::HashMap<alloc::string::String, (u8, &str)>"),
            "HashMap<String, (u8, &str)>"
        );
    }
}
