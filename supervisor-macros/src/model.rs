//! The checked tree: one type per node kind, each holding only what that kind can have, so that
//! the expansion cannot write a setting that means nothing for a node (S5.6).

use proc_macro2::{Span, TokenStream};
use syn::{Attribute, Ident, Type, Visibility};

use crate::parse::Param;

pub(crate) struct Tree {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub params: Vec<Param>,
    pub root: Sup,
    /// Breakers declared with the tree, in order (S13.1).
    pub breakers: Vec<Breaker>,
}

/// `name: breaker(..)`: the settings left out keep the runtime's defaults (S13.8).
pub(crate) struct Breaker {
    pub name: Ident,
    pub failures: Option<u64>,
    /// Nanoseconds, as every duration here.
    pub call_timeout: Option<u64>,
    pub reset: Option<u64>,
    pub max_reset: Option<u64>,
    pub half_open: Option<u64>,
    pub successes: Option<u64>,
    pub jitter: Option<f64>,
}

/// What a child has beyond S1's settings: how its exits are judged and what can convict it.
#[derive(Default)]
pub(crate) struct Detection {
    /// `decide = f`: a function of the exit reason to a directive (S10.2).
    pub decide: Option<TokenStream>,
    pub health: Option<Probe>,
    pub heartbeat: Option<Phi>,
    /// Breaker names, checked against the tree's (S13.7).
    pub depends_on: Vec<Ident>,
    /// `max_restarts`, `within`, `on_exhausted`: a budget of its own (S18.1).
    pub budget: Option<Budget>,
}

/// A child's own restart budget (S18.1); what is not written keeps the builder's default.
#[derive(Clone, Copy, Default)]
pub(crate) struct Budget {
    pub max_restarts: Option<u64>,
    /// Nanoseconds.
    pub within: Option<u64>,
    pub quarantine: bool,
}

/// `probe(f, interval = D, timeout = D, failure_threshold = N, success_threshold = N, initial_delay = D)` (S11).
pub(crate) struct Probe {
    /// The check, empty for `ping(..)`.
    pub expr: TokenStream,
    /// `ping(..)`: MCP's ping to a JSON-RPC process (S20.4) instead of a check of the user's.
    pub ping: bool,
    pub span: Span,
    pub every: Option<u64>,
    pub timeout: Option<u64>,
    pub failures: Option<u64>,
    pub successes: Option<u64>,
    pub initial_delay: Option<u64>,
}

/// `phi(interval = D, threshold = F, ..)` (S12).
pub(crate) struct Phi {
    pub every: u64,
    pub threshold: Option<f64>,
    pub window: Option<u64>,
    pub min_std: Option<u64>,
    pub acceptable_pause: Option<u64>,
    pub max_local_pause: Option<u64>,
}

/// A supervisor, by kind (S5.6).
pub(crate) enum Sup {
    Static(StaticSup),
    Dynamic(DynamicSup),
    Pool(PoolSup),
}

/// `size` slots from one template, one address (S14).
pub(crate) struct PoolSup {
    pub id: String,
    pub intensity: Intensity,
    pub size: u64,
    pub route: Route,
    pub overflow: Option<PoolOverflow>,
    pub template: Box<Template>,
}

/// How a pool routes (S14.2).
pub(crate) enum Route {
    RoundRobin,
    LeastLoaded,
    /// The key function, as written.
    KeyHash(TokenStream),
    Broadcast,
}

/// What a pool's send does when its slot is full (S14.3).
#[derive(Clone, Copy)]
pub(crate) enum PoolOverflow {
    Wait,
    Reject,
    DropNewest,
    DropOldest,
}

/// Declared children, started in order (S5.1-S5.3).
pub(crate) struct StaticSup {
    pub id: String,
    pub strategy: Strategy,
    pub intensity: Intensity,
    pub auto_shutdown: AutoShutdown,
    pub children: Vec<Child>,
    /// `storm_limit = N within D`, on the root: restarts and nanoseconds (S18.2).
    pub storm: Option<(u64, u64)>,
}

/// One template; children added at run time (S5.4).
pub(crate) struct DynamicSup {
    pub id: String,
    pub intensity: Intensity,
    pub max_children: Option<u64>,
    pub template: Box<Template>,
}

/// `max_restarts` within `within` (S4); `None` where the default stands.
#[derive(Clone, Copy, Default)]
pub(crate) struct Intensity {
    pub max_restarts: Option<u32>,
    /// Nanoseconds.
    pub within: Option<u64>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Strategy {
    OneForOne,
    OneForAll,
    RestForOne,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum AutoShutdown {
    Never,
    AnySignificant,
    AllSignificant,
}

/// A child of a static supervisor: its id, policies and what it is.
pub(crate) struct Child {
    pub docs: Vec<Attribute>,
    pub id: Ident,
    pub policy: Policy,
    pub detection: Detection,
    /// `readiness = ignored`: it does not count for the tree's readiness (S16.3).
    pub readiness_ignored: bool,
    pub kind: ChildKind,
}

pub(crate) enum ChildKind {
    /// Boxed: a worker's types (mailbox, state) make it much larger than a supervisor node.
    Worker(Box<Worker>),
    Sup(Sup),
}

/// A dynamic supervisor's template: a worker with no id, its arguments typed.
pub(crate) struct Template {
    pub policy: Policy,
    pub detection: Detection,
    pub worker: Worker,
    pub args: Option<Type>,
}

pub(crate) struct Worker {
    pub start: Start,
    /// The start expression, as opaque tokens.
    pub expr: TokenStream,
    pub span: Span,
    pub mailbox: Option<Type>,
    pub mailbox_capacity: Option<u64>,
    /// `state = T`: carried across restarts (S15).
    pub state: Option<Type>,
    /// `uses = [..]` as written.
    pub names_used: Vec<Ident>,
    /// The same names, looked up in the tree (S17); a name not in scope (reported) is left
    /// out.
    pub uses: Vec<Used>,
    /// A process child's program and settings (S20).
    pub process: Option<Box<ProcessNode>>,
}

/// A name a worker uses (S17.1), resolved as a variable in a block.
pub(crate) struct Used {
    /// The name as written: the variable its start expression sees.
    pub name: Ident,
    pub what: UsedKind,
}

pub(crate) enum UsedKind {
    /// The declared child `index` of the supervisor `up` levels above the worker's own, or,
    /// without an index, the root; bound as `handle`.
    Node {
        up: usize,
        index: Option<usize>,
        handle: Handle,
    },
    /// A breaker of the tree.
    Breaker,
}

/// The handle type of a node (S9), as a child using it receives it.
#[derive(Clone)]
pub(crate) enum Handle {
    Child {
        mailbox: Option<Box<Type>>,
    },
    Pool {
        mailbox: Option<Box<Type>>,
    },
    Dynamic {
        args: Option<Box<Type>>,
        mailbox: Option<Box<Type>>,
    },
    Supervisor,
}

impl Worker {
    /// Stands in for a worker that could not be read (reported): only a tree whose spec is not
    /// built has one, so that its handle and description keep their places.
    pub(crate) fn placeholder(span: Span) -> Self {
        Worker {
            start: Start::Fn,
            expr: TokenStream::new(),
            span,
            mailbox: None,
            mailbox_capacity: None,
            state: None,
            names_used: Vec::new(),
            uses: Vec::new(),
            process: None,
        }
    }
}

impl Template {
    /// Stands in for a template that could not be read, as [`Worker::placeholder`] does.
    pub(crate) fn placeholder(span: Span) -> Self {
        Template {
            policy: Policy::default(),
            detection: Detection::default(),
            worker: Worker::placeholder(span),
            args: None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// `worker(f)`: f is called with the context for every incarnation.
    Fn,
    /// `from_worker(expr)`: expr makes a fresh `Worker` for every incarnation.
    FromWorker,
    /// `process(program, args..)`: an operating-system process (S20); `Worker::process` holds
    /// the rest.
    Process,
}

/// `ready = ..` of a process child (S20.1).
pub(crate) enum ReadyNode {
    Spawned,
    Mcp,
    Line(syn::LitStr),
    /// Nanoseconds.
    After(u64),
}

/// What a `process(..)` child says beyond its program (S20): its arguments and its `[..]`.
#[derive(Default)]
pub(crate) struct ProcessNode {
    pub program: TokenStream,
    pub args: Vec<TokenStream>,
    /// `stdio = json_rpc`: called in JSON-RPC (a mailbox of `Rpc`).
    pub json_rpc: bool,
    /// `stdio = lines`: called in plain lines (a mailbox of `Line`).
    pub lines: bool,
    pub ready: Option<ReadyNode>,
    /// Nanoseconds.
    pub ready_timeout: Option<u64>,
    /// Codes and the directive variant each calls for.
    pub exit_codes: Vec<(i32, Ident)>,
    pub env_clear: bool,
    pub env: Option<TokenStream>,
    pub cwd: Option<TokenStream>,
    pub die_with_supervisor: bool,
}

/// What every child has, whatever its kind (S1.2).
#[derive(Clone, Copy)]
pub(crate) struct Policy {
    pub restart: Restart,
    pub shutdown: Option<Shutdown>,
    pub significant: bool,
    pub backoff: Option<Backoff>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            restart: Restart::Permanent,
            shutdown: None,
            significant: false,
            backoff: None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Restart {
    Permanent,
    Transient,
    Temporary,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Shutdown {
    BrutalKill,
    Infinity,
    /// Nanoseconds.
    Timeout(u64),
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum BackoffKind {
    Fixed(u64),
    Linear(u64, u64, u64),
    Exponential {
        initial: u64,
        max: u64,
        multiplier: Option<f64>,
        jitter: Option<f64>,
    },
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) struct Backoff {
    pub kind: BackoffKind,
    pub reset_after: Option<u64>,
}

impl Sup {
    pub(crate) fn id(&self) -> &str {
        match self {
            Sup::Static(s) => &s.id,
            Sup::Dynamic(d) => &d.id,
            Sup::Pool(p) => &p.id,
        }
    }

    pub(crate) fn intensity(&self) -> Intensity {
        match self {
            Sup::Static(s) => s.intensity,
            Sup::Dynamic(d) => d.intensity,
            Sup::Pool(p) => p.intensity,
        }
    }

    /// The declared children; none for a dynamic supervisor.
    pub(crate) fn children(&self) -> &[Child] {
        match self {
            Sup::Static(s) => &s.children,
            Sup::Dynamic(_) | Sup::Pool(_) => &[],
        }
    }

    /// The workers of this supervisor and every one below it, templates included.
    pub(crate) fn workers(&self) -> Vec<&Worker> {
        let mut out = Vec::new();
        self.collect_workers(&mut out);
        out
    }

    /// Every expression the user wrote in the tree: start expressions, deciders, probes, keys.
    pub(crate) fn user_exprs(&self) -> Vec<&TokenStream> {
        fn detection<'a>(d: &'a Detection, out: &mut Vec<&'a TokenStream>) {
            out.extend(d.decide.as_ref());
            out.extend(d.health.as_ref().map(|p| &p.expr));
        }
        fn go<'a>(sup: &'a Sup, out: &mut Vec<&'a TokenStream>) {
            match sup {
                Sup::Dynamic(d) => {
                    out.push(&d.template.worker.expr);
                    detection(&d.template.detection, out);
                }
                Sup::Pool(p) => {
                    out.push(&p.template.worker.expr);
                    detection(&p.template.detection, out);
                    if let Route::KeyHash(key) = &p.route {
                        out.push(key);
                    }
                }
                Sup::Static(s) => {
                    for child in &s.children {
                        detection(&child.detection, out);
                        match &child.kind {
                            ChildKind::Worker(w) => out.push(&w.expr),
                            ChildKind::Sup(inner) => go(inner, out),
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        go(self, &mut out);
        out
    }

    fn collect_workers<'a>(&'a self, out: &mut Vec<&'a Worker>) {
        match self {
            Sup::Dynamic(d) => out.push(&d.template.worker),
            Sup::Pool(p) => out.push(&p.template.worker),
            Sup::Static(s) => {
                for child in &s.children {
                    match &child.kind {
                        ChildKind::Worker(w) => out.push(w),
                        ChildKind::Sup(inner) => inner.collect_workers(out),
                    }
                }
            }
        }
    }
}
