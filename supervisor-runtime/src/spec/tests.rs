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
