//! Unit tests of the builders and of validation.

use super::*;
use crate::backoff::Backoff;
use crate::context::ChildContext;
use crate::error::SpecRule;
use std::time::Duration;

async fn idle(ctx: ChildContext) -> Result<(), std::convert::Infallible> {
    ctx.cancelled().await;
    Ok(())
}

// S1.3
#[test]
fn defaults_are_those_of_s1_3() {
    let sup = SupervisorSpec::new("app");
    assert_eq!(sup.get_strategy(), Strategy::OneForOne);
    assert_eq!(
        sup.get_intensity(),
        Intensity {
            max_restarts: 3,
            period: Duration::from_secs(5)
        }
    );
    assert_eq!(sup.get_auto_shutdown(), AutoShutdown::Never);
    let w = ChildSpec::worker("w", idle);
    assert_eq!(w.get_restart(), Restart::Permanent);
    assert_eq!(w.get_shutdown(), Shutdown::Timeout(Duration::from_secs(5)));
    assert_eq!(w.get_backoff(), Backoff::NONE);
    assert!(!w.is_significant());
    assert_eq!(w.kind(), ChildKind::Worker);
    let s = ChildSpec::supervisor(SupervisorSpec::new("s").child(w));
    assert_eq!(s.get_shutdown(), Shutdown::Infinity);
    assert_eq!(s.kind(), ChildKind::Supervisor);
}

fn rule_of(spec: SupervisorSpec) -> (String, SpecRule) {
    let e = spec.validate().unwrap_err();
    (e.path.to_string(), e.rule)
}

// S1.4
#[test]
fn invalid_specs_name_path_and_rule() {
    let dup = SupervisorSpec::new("app").child(ChildSpec::supervisor(
        SupervisorSpec::new("api")
            .child(ChildSpec::worker("a", idle))
            .child(ChildSpec::worker("a", idle)),
    ));
    assert_eq!(
        rule_of(dup),
        ("app/api/a".into(), SpecRule::DuplicateId("a".into()))
    );

    let zero = SupervisorSpec::new("app")
        .intensity(1, Duration::ZERO)
        .child(ChildSpec::worker("a", idle));
    assert_eq!(rule_of(zero), ("app".into(), SpecRule::ZeroPeriod));

    let sig_perm = SupervisorSpec::new("app")
        .auto_shutdown(AutoShutdown::AnySignificant)
        .child(ChildSpec::worker("a", idle).significant(true));
    assert_eq!(
        rule_of(sig_perm),
        ("app/a".into(), SpecRule::SignificantPermanent)
    );

    let sig_never = SupervisorSpec::new("app").child(
        ChildSpec::worker("a", idle)
            .restart(Restart::Transient)
            .significant(true),
    );
    assert_eq!(
        rule_of(sig_never),
        ("app/a".into(), SpecRule::SignificantWithoutAutoShutdown)
    );

    let empty = SupervisorSpec::new("app");
    assert_eq!(rule_of(empty), ("app".into(), SpecRule::NoChildren));

    let backoff_temp = SupervisorSpec::new("app").child(
        ChildSpec::worker("a", idle)
            .restart(Restart::Temporary)
            .backoff(Backoff::fixed(Duration::from_secs(1))),
    );
    assert_eq!(
        rule_of(backoff_temp),
        ("app/a".into(), SpecRule::BackoffOnTemporary)
    );

    let slash = SupervisorSpec::new("app").child(ChildSpec::worker("a/b", idle));
    assert_eq!(
        rule_of(slash),
        ("app/a/b".into(), SpecRule::InvalidId("a/b".into()))
    );
}

// S1.4: a setting given where it means nothing is an error, never silently ignored: jitter or
// a multiplier on no backoff at all, a mailbox capacity on a child without a mailbox.
#[test]
fn settings_that_mean_nothing_are_rejected() {
    use crate::error::BackoffRule;
    for backoff in [
        Backoff::NONE.jitter(0.1),
        Backoff::NONE.multiplier(3.0),
        Backoff::fixed(Duration::from_secs(1)).jitter(0.1),
    ] {
        let spec = SupervisorSpec::new("app").child(ChildSpec::worker("w", idle).backoff(backoff));
        assert_eq!(
            rule_of(spec),
            (
                "app/w".into(),
                SpecRule::Backoff(BackoffRule::NotExponential)
            ),
            "{backoff:?}"
        );
    }
    let spec = SupervisorSpec::new("app").child(ChildSpec::worker("w", idle).mailbox_capacity(8));
    assert_eq!(
        rule_of(spec),
        ("app/w".into(), SpecRule::CapacityWithoutMailbox)
    );
    async fn with_mailbox(ctx: ChildContext<u32>) -> Result<(), std::convert::Infallible> {
        ctx.cancelled().await;
        Ok(())
    }
    let fine = SupervisorSpec::new("app")
        .child(ChildSpec::with_mailbox("w", with_mailbox).mailbox_capacity(8));
    assert!(fine.validate().is_ok());
}

// S14.6: a temporary slot would shrink the pool for good; the builder rejects it.
#[test]
fn a_pool_template_is_not_temporary() {
    let template = |restart| {
        Template::<usize, u32>::new(|ctx: ChildContext<u32>, _slot: usize| async move {
            ctx.cancelled().await;
            Ok::<(), std::convert::Infallible>(())
        })
        .restart(restart)
    };
    let pool = PoolSpec::new("pool", 2, template(Restart::Temporary));
    let e = pool.validate().unwrap_err();
    assert_eq!(
        (e.path.to_string(), e.rule),
        ("pool/<template>".into(), SpecRule::TemporarySlot)
    );
    for restart in [Restart::Permanent, Restart::Transient] {
        assert!(PoolSpec::new("pool", 2, template(restart))
            .validate()
            .is_ok());
    }
}

// W2: every declared child's spec holds a start function; a variant wider than the others
// (a process's program beside its start function) cost each child 16 bytes of memory.
#[test]
fn a_start_function_is_three_words_at_most() {
    assert!(std::mem::size_of::<super::Starter>() <= 3 * std::mem::size_of::<usize>());
}
