//! Operating-system process children restarted by the thousand leave nothing behind (S20.2,
//! S6.3): no zombie, no descriptor. A test binary of its own, so that no other test's
//! processes or pipes come and go while it counts.

#![cfg(target_os = "linux")]

use std::time::Duration;

use supervisor::{ChildSpec, EventKind, Observer, Process, Supervisor, SupervisorSpec};

/// This process's zombie children, and its open descriptors.
fn zombies_and_descriptors() -> (usize, usize) {
    let me = std::process::id().to_string();
    let mut zombies = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.first() == Some(&"Z") && fields.get(1) == Some(&me.as_str()) {
            zombies += 1;
        }
    }
    let descriptors = std::fs::read_dir("/proc/self/fd").unwrap().count();
    (zombies, descriptors)
}

async fn restarts(spec: SupervisorSpec, n: usize) {
    let observer = Observer::new();
    let mut events = observer.subscribe();
    let tree = Supervisor::start_observed(spec, &observer).await.unwrap();
    let mut seen = 0;
    let wait = async {
        while seen < n {
            if let Ok(e) = events.recv().await {
                seen += usize::from(matches!(e.kind, EventKind::Restarting { .. }));
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .expect("the restarts within a minute");
    tree.shutdown().await.unwrap();
}

fn many(n: usize) -> SupervisorSpec {
    let mut spec = SupervisorSpec::new("app").intensity(100_000, Duration::from_secs(1));
    for i in 0..n {
        spec = spec.child(ChildSpec::process(format!("p{i}"), Process::new("true")));
    }
    spec
}

// S20.2, S6.3: 100 processes restarted 1,000 times leave no zombie and no descriptor behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_restarts_leave_no_zombie_and_no_descriptor() {
    // The runtime's own descriptors for child processes (its SIGCHLD pipe) come with the first.
    restarts(many(1), 1).await;
    let before = zombies_and_descriptors();
    restarts(many(100), 1_000).await;
    let after = zombies_and_descriptors();
    assert_eq!(after.0, before.0, "no zombie left");
    assert_eq!(after.1, before.1, "no descriptor left");
}
