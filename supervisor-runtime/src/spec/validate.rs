//! The rules of S1.4 and the bounds on durations, checked on the erased model.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::model::{ErasedChild, Starter, SupervisorSpec};
use super::policy::{AutoShutdown, Restart, Shutdown};
use crate::error::{HealthRule, HeartbeatRule, SpecError, SpecRule, UsesRule};
use crate::health::HealthCheck;
use crate::heartbeat::Heartbeat;

pub(crate) fn supervisor(spec: &SupervisorSpec, path: &str) -> Result<(), SpecError> {
    let root = Level {
        id: &spec.id,
        children: &[],
        before: 0,
        up: None,
        open: false,
    };
    checked(spec, path, &root)
}

/// What a child may use (S17.1, S17.2), one level per supervisor, innermost first: that
/// supervisor's children in start order, and how many of them start before the node checked
/// (the next one is the node itself, or at a level above, its ancestor).
struct Level<'a> {
    id: &'a str,
    children: &'a [Arc<ErasedChild>],
    before: usize,
    up: Option<&'a Level<'a>>,
    /// Whether the levels above are unknown here (a child added at run time): a name not
    /// found is then left to the lookup.
    open: bool,
}

/// S17.2: each name a child uses is an earlier node of its own level or one above, or an
/// ancestor; else the rule it breaks, with the start order that decides it.
fn check_uses(child: &ErasedChild, level: &Level<'_>) -> Result<(), SpecRule> {
    if let (Starter::Supervisor { .. }, Some(name)) = (&child.start, child.uses().first()) {
        return Err(SpecRule::Uses(Arc::clone(name), UsesRule::OnSupervisor));
    }
    for name in child.uses().iter() {
        let mut current = Some(level);
        let mut innermost = true;
        let found = loop {
            let Some(l) = current else {
                break false;
            };
            if let Some(i) = l.children.iter().position(|c| c.id == *name) {
                if i < l.before || (i == l.before && !innermost) {
                    break true;
                }
                let problem = if i == l.before {
                    UsesRule::Itself
                } else {
                    let order = l.children.iter().map(|c| &*c.id).collect::<Vec<_>>();
                    UsesRule::StartsLater(Arc::from(order.join(", ")))
                };
                return Err(SpecRule::Uses(Arc::clone(name), problem));
            }
            if l.up.is_none() && (l.open || l.id == &**name) {
                break true;
            }
            current = l.up;
            innermost = false;
        };
        if !found {
            return Err(SpecRule::Uses(Arc::clone(name), UsesRule::Unknown));
        }
    }
    Ok(())
}

fn checked(spec: &SupervisorSpec, path: &str, level: &Level<'_>) -> Result<(), SpecError> {
    let err = |path: &str, rule| SpecError {
        path: Arc::from(path),
        rule,
    };
    check_id(&spec.id).map_err(|r| err(path, r))?;
    if spec.intensity.period.is_zero() {
        return Err(err(path, SpecRule::ZeroPeriod));
    }
    check_duration(spec.intensity.period, "the intensity period").map_err(|r| err(path, r))?;
    if let Some(storm) = spec.storm_limit {
        // S18.2: the whole tree's limit, counted at the root.
        if level.up.is_some() {
            return Err(err(path, SpecRule::StormLimitBelowRoot));
        }
        if storm.period.is_zero() {
            return Err(err(path, SpecRule::ZeroPeriod));
        }
        check_duration(storm.period, "the storm limit's window").map_err(|r| err(path, r))?;
    }
    for breaker in &spec.breakers {
        let rule = |r| SpecRule::Breaker(Arc::from(breaker.name()), r);
        breaker.config().check().map_err(|r| err(path, rule(r)))?;
    }
    if let Some(d) = spec.kind.template() {
        let tpath = format!("{path}/<template>");
        if d.max_children == Some(0) {
            return Err(err(path, SpecRule::ZeroMaxChildren));
        }
        if let Some(pool) = spec.kind.pool() {
            if pool.size == 0 {
                return Err(err(path, SpecRule::ZeroPoolSize));
            }
            if d.template.restart == Restart::Temporary {
                return Err(err(&tpath, SpecRule::TemporarySlot));
            }
        }
        // A template's children have no declared siblings: what they use is above.
        let inside = Level {
            id: &spec.id,
            children: &[],
            before: 0,
            up: Some(level),
            open: level.open,
        };
        return check_child_in(&d.template, &tpath, AutoShutdown::Never, &inside);
    }
    if spec.children.is_empty() {
        return Err(err(path, SpecRule::NoChildren));
    }
    let mut seen = HashSet::with_capacity(spec.children.len());
    for (before, child) in spec.children.iter().enumerate() {
        let cpath = format!("{path}/{}", child.id);
        check_id(&child.id).map_err(|r| err(&cpath, r))?;
        if !seen.insert(&*child.id) {
            return Err(err(&cpath, SpecRule::DuplicateId(child.id.clone())));
        }
        let inside = Level {
            id: &spec.id,
            children: &spec.children,
            before,
            up: Some(level),
            open: level.open,
        };
        check_child_in(child, &cpath, spec.auto_shutdown, &inside)?;
    }
    if spec.auto_shutdown != AutoShutdown::Never && !spec.children.iter().any(|c| c.significant) {
        return Err(err(path, SpecRule::AutoShutdownWithoutSignificant));
    }
    Ok(())
}

/// S11: probes spaced, each shorter than the space, thresholds that need a probe.
fn check_health(check: &HealthCheck) -> Result<(), SpecRule> {
    check_duration(check.interval, "the probe interval")?;
    check_duration(check.initial_delay, "the probe's initial delay")?;
    if check.interval.is_zero() {
        return Err(SpecRule::Health(HealthRule::ZeroInterval));
    }
    if check.timeout.is_zero() || check.timeout >= check.interval {
        return Err(SpecRule::Health(HealthRule::TimeoutNotBelowInterval));
    }
    if check.failure_threshold == 0 || check.success_threshold == 0 {
        return Err(SpecRule::Health(HealthRule::ZeroThreshold));
    }
    Ok(())
}

/// S12: an interval to start from, a threshold to reach, a window to measure.
fn check_heartbeat(h: &Heartbeat) -> Result<(), SpecRule> {
    check_duration(h.interval, "the heartbeat interval")?;
    check_duration(h.acceptable_pause, "the acceptable pause")?;
    check_duration(h.min_std_deviation, "the minimum deviation")?;
    check_duration(h.max_local_pause, "the maximum local pause")?;
    if h.interval.is_zero() {
        return Err(SpecRule::Heartbeat(HeartbeatRule::ZeroInterval));
    }
    if !(h.threshold.is_finite() && h.threshold > 0.0) {
        return Err(SpecRule::Heartbeat(HeartbeatRule::BadThreshold));
    }
    if h.window < 2 {
        return Err(SpecRule::Heartbeat(HeartbeatRule::WindowTooSmall));
    }
    Ok(())
}

fn check_duration(d: Duration, what: &'static str) -> Result<(), SpecRule> {
    if d > crate::time::MAX_DURATION {
        Err(SpecRule::DurationTooLarge(what))
    } else {
        Ok(())
    }
}

fn check_id(id: &str) -> Result<(), SpecRule> {
    if id.is_empty() || id.contains('/') {
        Err(SpecRule::InvalidId(Arc::from(id)))
    } else {
        Ok(())
    }
}

/// A child added at run time: what it uses above its own subtree is looked up when its
/// incarnation asks (S17).
pub(crate) fn check_child(
    child: &ErasedChild,
    path: &str,
    auto_shutdown: AutoShutdown,
) -> Result<(), SpecError> {
    let above = Level {
        id: "",
        children: &[],
        before: 0,
        up: None,
        open: true,
    };
    check_child_in(child, path, auto_shutdown, &above)
}

fn check_child_in(
    child: &ErasedChild,
    path: &str,
    auto_shutdown: AutoShutdown,
    level: &Level<'_>,
) -> Result<(), SpecError> {
    let err = |rule| SpecError {
        path: Arc::from(path),
        rule,
    };
    check_uses(child, level).map_err(err)?;
    match (&child.mailbox, child.mailbox_capacity) {
        (Some(_), Some(0)) => return Err(err(SpecRule::ZeroMailboxCapacity)),
        (None, Some(_)) => return Err(err(SpecRule::CapacityWithoutMailbox)),
        _ => {}
    }
    if let Some(Shutdown::Timeout(limit)) = child.shutdown {
        check_duration(limit, "the shutdown timeout").map_err(err)?;
    }
    if child.significant {
        if child.restart == Restart::Permanent {
            return Err(err(SpecRule::SignificantPermanent));
        }
        if auto_shutdown == AutoShutdown::Never {
            return Err(err(SpecRule::SignificantWithoutAutoShutdown));
        }
    }
    if child.moves_args() && child.restart != Restart::Temporary {
        return Err(err(SpecRule::MovedArgsRestarted));
    }
    if child.restart == Restart::Temporary && child.backoff.is_some() {
        return Err(err(SpecRule::BackoffOnTemporary));
    }
    child.backoff().check().map_err(err)?;
    if let Some(check) = child.health() {
        check_health(check).map_err(err)?;
        if check
            .asks
            .is_some_and(|asks| asks.id != (child.message)().id)
        {
            return Err(err(SpecRule::Health(HealthRule::AsksAnotherMailbox)));
        }
    }
    if child.state().is_some() && matches!(child.start, Starter::Supervisor { .. }) {
        return Err(err(SpecRule::StateOnSupervisor));
    }
    if let Some(heartbeat) = child.heartbeat() {
        if matches!(child.start, Starter::Supervisor { .. }) {
            return Err(err(SpecRule::Heartbeat(HeartbeatRule::OnSupervisor)));
        }
        check_heartbeat(heartbeat).map_err(err)?;
    }
    if let Starter::Supervisor { spec, .. } = &child.start {
        checked(spec, path, level)?;
    }
    Ok(())
}
