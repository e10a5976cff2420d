//! The longest an ordered shutdown of a tree can take (S6), to hold against the time a service
//! manager gives a process between SIGTERM and SIGKILL (Kubernetes'
//! `terminationGracePeriodSeconds`, systemd's `TimeoutStopSec`).
//!
//! A static supervisor stops its children one after another, so their budgets add up; a dynamic
//! supervisor or a pool stops them all at once, so the longest counts (S6.1, S14.1). A worker
//! takes up to its shutdown timeout; a supervisor child up to its subtree's budget, cut at its
//! own timeout if it has one.

use std::fmt;
use std::time::Duration;

use crate::describe::{NodeDescription, NodeKind, TreeDescription};
use crate::spec::{ErasedChild, Shutdown, Starter, SupervisorSpec};

/// How long a tree's ordered shutdown can take at most.
///
/// ```
/// use std::time::Duration;
/// use supervisor::{ChildContext, ChildSpec, Shutdown, SupervisorSpec};
///
/// async fn idle(ctx: ChildContext) -> Result<(), String> { ctx.cancelled().await; Ok(()) }
///
/// let spec = SupervisorSpec::new("app")
///     .child(ChildSpec::worker("db", idle).shutdown(Shutdown::Timeout(Duration::from_secs(10))))
///     .child(ChildSpec::worker("api", idle).shutdown(Shutdown::Timeout(Duration::from_secs(5))));
/// let budget = spec.shutdown_budget();
/// assert_eq!(budget.limit(), Some(Duration::from_secs(15)));
/// assert!(budget.fits(Duration::from_secs(30)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShutdownBudget {
    limit: Option<Duration>,
    unbounded_by: Option<String>,
}

impl ShutdownBudget {
    /// The longest the shutdown can take; `None` when a child may wait forever
    /// (`shutdown = infinity` on a worker).
    pub fn limit(&self) -> Option<Duration> {
        self.limit
    }

    /// The path of a worker that may wait forever, when the budget is unbounded.
    pub fn unbounded_by(&self) -> Option<&str> {
        self.unbounded_by.as_deref()
    }

    /// Whether the shutdown always ends within `grace`.
    pub fn fits(&self, grace: Duration) -> bool {
        self.limit.is_some_and(|limit| limit <= grace)
    }

    /// [`fits`](Self::fits), with a warning logged when it does not: the service manager would
    /// kill the process in the middle of its ordered shutdown.
    pub fn check(&self, grace: Duration) -> bool {
        let fits = self.fits(grace);
        if !fits {
            tracing::warn!(budget = %self, grace = ?grace, "the tree's shutdown can outlast the grace period; children may be killed mid-stop");
        }
        fits
    }

    fn bounded(limit: Duration) -> Self {
        ShutdownBudget {
            limit: Some(limit),
            unbounded_by: None,
        }
    }

    fn unbounded(path: String) -> Self {
        ShutdownBudget {
            limit: None,
            unbounded_by: Some(path),
        }
    }

    /// Children stopped one after another.
    fn sum(parts: impl IntoIterator<Item = ShutdownBudget>) -> Self {
        Self::fold(parts, Duration::saturating_add)
    }

    /// Children stopped at once.
    fn max(parts: impl IntoIterator<Item = ShutdownBudget>) -> Self {
        Self::fold(parts, Duration::max)
    }

    /// The parts folded with `with`; the first unbounded part makes the whole unbounded.
    fn fold(
        parts: impl IntoIterator<Item = ShutdownBudget>,
        with: fn(Duration, Duration) -> Duration,
    ) -> Self {
        let mut total = Duration::ZERO;
        for part in parts {
            match part.limit {
                Some(limit) => total = with(total, limit),
                None => return part,
            }
        }
        ShutdownBudget::bounded(total)
    }

    /// A node with its own shutdown policy over what its subtree needs.
    fn under(self, own: Shutdown) -> Self {
        match own {
            Shutdown::Infinity => self,
            Shutdown::BrutalKill => ShutdownBudget::bounded(Duration::ZERO),
            Shutdown::Timeout(limit) => {
                ShutdownBudget::bounded(self.limit.map_or(limit, |inner| inner.min(limit)))
            }
        }
    }
}

impl fmt::Display for ShutdownBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.limit, &self.unbounded_by) {
            (Some(limit), _) => write!(f, "{limit:?}"),
            (None, Some(path)) => write!(f, "unbounded ({path} has shutdown = infinity)"),
            (None, None) => f.write_str("unbounded"),
        }
    }
}

impl TreeDescription {
    /// The longest the tree's ordered shutdown can take (S6); see [`ShutdownBudget`].
    pub fn shutdown_budget(&self) -> ShutdownBudget {
        subtree(&self.root, self.root.id)
    }
}

fn subtree(node: &NodeDescription, path: &str) -> ShutdownBudget {
    let children = node
        .children
        .iter()
        .map(|c| described(c, &format!("{path}/{}", c.id)));
    match node.kind {
        NodeKind::Worker | NodeKind::Process | NodeKind::Supervisor { .. } => {
            ShutdownBudget::sum(children)
        }
        NodeKind::Dynamic { .. } | NodeKind::Pool { .. } => ShutdownBudget::max(children),
    }
}

fn described(node: &NodeDescription, path: &str) -> ShutdownBudget {
    match node.kind {
        NodeKind::Worker | NodeKind::Process => leaf(node.shutdown, path),
        _ => subtree(node, path).under(node.shutdown),
    }
}

fn leaf(shutdown: Shutdown, path: &str) -> ShutdownBudget {
    match shutdown {
        Shutdown::Infinity => ShutdownBudget::unbounded(path.to_owned()),
        Shutdown::BrutalKill => ShutdownBudget::bounded(Duration::ZERO),
        Shutdown::Timeout(limit) => ShutdownBudget::bounded(limit),
    }
}

impl SupervisorSpec {
    /// The longest this tree's ordered shutdown can take (S6); see [`ShutdownBudget`].
    pub fn shutdown_budget(&self) -> ShutdownBudget {
        spec_subtree(self, &self.id)
    }
}

fn spec_subtree(spec: &SupervisorSpec, path: &str) -> ShutdownBudget {
    match spec.kind.template() {
        // A dynamic supervisor's or a pool's children all follow the template.
        Some(d) => ShutdownBudget::max([spec_child(&d.template, &format!("{path}/<template>"))]),
        None => ShutdownBudget::sum(
            spec.children
                .iter()
                .map(|c| spec_child(c, &format!("{path}/{}", c.id))),
        ),
    }
}

fn spec_child(child: &ErasedChild, path: &str) -> ShutdownBudget {
    match &child.start {
        Starter::Supervisor { spec } => spec_subtree(spec, path).under(child.shutdown()),
        Starter::Fn { .. } | Starter::Process { .. } => leaf(child.shutdown(), path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ChildSpec, Strategy, Template};
    use crate::ChildContext;

    const S: Duration = Duration::from_secs(1);

    const fn timeout(secs: u64) -> Shutdown {
        Shutdown::Timeout(Duration::from_secs(secs))
    }

    // S6.1: siblings stop one after another; a dynamic supervisor's and a pool's all at once.
    #[test]
    fn static_children_add_up_dynamic_ones_do_not() {
        const TREE: TreeDescription = TreeDescription {
            name: "App",
            breakers: &[],
            root: NodeDescription::supervisor(
                "app",
                Strategy::OneForOne,
                &[
                    NodeDescription::worker("db").shutdown(timeout(10)),
                    NodeDescription::dynamic(
                        "sessions",
                        &[NodeDescription::worker("<template>").shutdown(timeout(3))],
                    ),
                    NodeDescription::pool(
                        "agents",
                        8,
                        &[NodeDescription::worker("<slot>").shutdown(timeout(4))],
                    ),
                    NodeDescription::worker("cache").shutdown(Shutdown::BrutalKill),
                ],
            ),
        };
        let budget = TREE.shutdown_budget();
        assert_eq!(budget.limit(), Some(17 * S));
        assert!(budget.fits(17 * S) && !budget.fits(16 * S));
        assert_eq!(budget.to_string(), "17s");
    }

    // S6.2: a supervisor child with a timeout is killed at it, whatever its subtree needs.
    #[test]
    fn a_supervisor_timeout_cuts_its_subtree() {
        const TREE: TreeDescription = TreeDescription {
            name: "App",
            breakers: &[],
            root: NodeDescription::supervisor(
                "app",
                Strategy::OneForOne,
                &[
                    NodeDescription::supervisor(
                        "slow",
                        Strategy::OneForAll,
                        &[
                            NodeDescription::worker("a").shutdown(timeout(20)),
                            NodeDescription::worker("b").shutdown(Shutdown::Infinity),
                        ],
                    )
                    .shutdown(timeout(6)),
                    NodeDescription::supervisor(
                        "quick",
                        Strategy::OneForAll,
                        &[NodeDescription::worker("c").shutdown(timeout(2))],
                    )
                    .shutdown(timeout(6)),
                ],
            ),
        };
        assert_eq!(TREE.shutdown_budget().limit(), Some(8 * S));
    }

    // S6.2: `shutdown = infinity` on a worker can wait forever, and says where.
    #[test]
    fn an_infinite_worker_makes_the_budget_unbounded() {
        const TREE: TreeDescription = TreeDescription {
            name: "App",
            breakers: &[],
            root: NodeDescription::supervisor(
                "app",
                Strategy::OneForOne,
                &[
                    NodeDescription::worker("db"),
                    NodeDescription::supervisor(
                        "api",
                        Strategy::OneForOne,
                        &[NodeDescription::worker("drain").shutdown(Shutdown::Infinity)],
                    ),
                ],
            ),
        };
        let budget = TREE.shutdown_budget();
        assert_eq!(budget.limit(), None);
        assert_eq!(budget.unbounded_by(), Some("app/api/drain"));
        assert!(!budget.fits(Duration::MAX));
        assert_eq!(
            budget.to_string(),
            "unbounded (app/api/drain has shutdown = infinity)"
        );
    }

    async fn idle(ctx: ChildContext) -> Result<(), String> {
        ctx.cancelled().await;
        Ok(())
    }

    // S6.1, S6.2: a spec built by hand is counted as its description is.
    #[test]
    fn a_hand_built_spec_has_the_same_budget() {
        let sessions = SupervisorSpec::dynamic(
            "sessions",
            Template::new(|ctx: ChildContext, _: u32| idle(ctx)).shutdown(timeout(3)),
        );
        let spec = SupervisorSpec::new("app")
            .child(ChildSpec::worker("db", idle).shutdown(timeout(10)))
            .child(ChildSpec::supervisor(sessions))
            .child(
                ChildSpec::supervisor(
                    SupervisorSpec::new("slow")
                        .child(ChildSpec::worker("a", idle).shutdown(timeout(20))),
                )
                .shutdown(timeout(6)),
            );
        assert_eq!(spec.shutdown_budget().limit(), Some(19 * S));
        let unbounded = spec
            .clone()
            .child(ChildSpec::worker("stuck", idle).shutdown(Shutdown::Infinity));
        assert_eq!(
            unbounded.shutdown_budget().unbounded_by(),
            Some("app/stuck")
        );
    }
}
