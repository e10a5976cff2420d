//! Counters and gauges through the `metrics` facade, for whatever recorder the application
//! installs (Prometheus, StatsD, ...). Without the `metrics` feature every function here is
//! empty and compiles away.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `supervisor_restarts_total` | counter | supervisor, child | restarts decided |
//! | `supervisor_child_exits_total` | counter | supervisor, child, reason | incarnations ended, exits and stops |
//! | `supervisor_start_failures_total` | counter | supervisor, child | starts that failed before the child was up |
//! | `supervisor_give_ups_total` | counter | supervisor | supervisors that gave up |
//! | `supervisor_escalations_total` | counter | supervisor, child | give-ups of child supervisors, counted by the parent |
//! | `supervisor_active_children` | gauge | supervisor | running children |
//! | `supervisor_breaker_state` | gauge | breaker | 0 closed, 1 half-open, 2 open |
//! | `supervisor_phi` | gauge | supervisor, child | phi when the child's heartbeat judge last looked |
//!
//! `supervisor` is the supervisor's path (`app/db`), `child` the child's id; a dynamic
//! supervisor's children, whose ids are unbounded, share the id `dynamic`, so that no label
//! grows without bound. `reason` is [`ExitReason::kind`]: `normal`, `shutdown`, `error`,
//! `panic`, `escalation`, `killed`, `unhealthy` or `heartbeats lost`.

use std::sync::Arc;

use crate::exit::ExitReason;
use crate::state::BreakerState;

/// Counter: restarts decided, by supervisor and child.
pub const RESTARTS: &str = "supervisor_restarts_total";
/// Counter: ends of incarnations (exits and stops), by supervisor, child and reason.
pub const EXITS: &str = "supervisor_child_exits_total";
/// Counter: start attempts that failed before the child was up, by supervisor and child.
pub const START_FAILURES: &str = "supervisor_start_failures_total";
/// Counter: supervisors that gave up (intensity exceeded, an escalate or fatal directive).
pub const GIVE_UPS: &str = "supervisor_give_ups_total";
/// Counter: give-ups of child supervisors received by their parent, by parent and child.
pub const ESCALATIONS: &str = "supervisor_escalations_total";
/// Gauge: running children, by supervisor.
pub const ACTIVE_CHILDREN: &str = "supervisor_active_children";
/// Gauge: a circuit breaker's state, 0 closed, 1 half-open, 2 open, by breaker.
pub const BREAKER_STATE: &str = "supervisor_breaker_state";
/// Gauge: the phi of a child judged by its heartbeats, when its judge last looked.
pub const PHI: &str = "supervisor_phi";

/// The value of a breaker-state gauge.
pub fn breaker_value(state: BreakerState) -> f64 {
    match state {
        BreakerState::Closed => 0.0,
        BreakerState::HalfOpen => 1.0,
        BreakerState::Open => 2.0,
    }
}

/// The `child` label of a dynamic supervisor's children.
pub const DYNAMIC_CHILD: &str = "dynamic";

/// A child as labelled: its supervisor's path and its id, or none for a dynamic supervisor's
/// child.
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
pub(crate) struct ChildLabels<'a> {
    pub supervisor: &'a Arc<str>,
    pub child: Option<&'a Arc<str>>,
}

#[cfg(feature = "metrics")]
impl ChildLabels<'_> {
    fn pairs(&self) -> Vec<metrics::Label> {
        let child = match self.child {
            Some(id) => metrics::SharedString::from(Arc::clone(id)),
            None => metrics::SharedString::from(DYNAMIC_CHILD),
        };
        vec![
            metrics::Label::new("supervisor", Arc::clone(self.supervisor)),
            metrics::Label::new("child", child),
        ]
    }
}

pub(crate) fn exited(child: ChildLabels<'_>, why: &ExitReason) {
    #[cfg(feature = "metrics")]
    {
        let mut labels = child.pairs();
        if matches!(why, ExitReason::Escalation(_)) {
            metrics::counter!(ESCALATIONS, labels.clone()).increment(1);
        }
        labels.push(metrics::Label::new("reason", why.kind()));
        metrics::counter!(EXITS, labels).increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (child, why);
}

pub(crate) fn restarting(child: ChildLabels<'_>) {
    #[cfg(feature = "metrics")]
    metrics::counter!(RESTARTS, child.pairs()).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = child;
}

pub(crate) fn start_failed(child: ChildLabels<'_>) {
    #[cfg(feature = "metrics")]
    metrics::counter!(START_FAILURES, child.pairs()).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = child;
}

pub(crate) fn gave_up(supervisor: &Arc<str>) {
    #[cfg(feature = "metrics")]
    metrics::counter!(GIVE_UPS, "supervisor" => Arc::clone(supervisor)).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = supervisor;
}

pub(crate) fn active(supervisor: &Arc<str>, running: usize) {
    #[cfg(feature = "metrics")]
    metrics::gauge!(ACTIVE_CHILDREN, "supervisor" => Arc::clone(supervisor)).set(running as f64);
    #[cfg(not(feature = "metrics"))]
    let _ = (supervisor, running);
}

pub(crate) fn breaker(name: &Arc<str>, state: BreakerState) {
    #[cfg(feature = "metrics")]
    metrics::gauge!(BREAKER_STATE, "breaker" => Arc::clone(name)).set(breaker_value(state));
    #[cfg(not(feature = "metrics"))]
    let _ = (name, state);
}

/// phi is computed only when a recorder can receive it.
pub(crate) fn phi(child: ChildLabels<'_>, phi: impl FnOnce() -> Option<f64>) {
    #[cfg(feature = "metrics")]
    if let Some(phi) = phi() {
        metrics::gauge!(PHI, child.pairs()).set(phi);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (child, phi);
}
