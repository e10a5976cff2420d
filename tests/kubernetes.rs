//! The Kubernetes example's probes over real HTTP on 127.0.0.1 (S16.3): `/livez` and `/readyz`
//! while the tree runs, while a child is unhealthy, while a session waits for its restart, and
//! once the tree has given up; and the
//! sample Deployment's grace period against the tree's shutdown budget.
//!
//! On a multi-thread runtime with the real clock (real sockets); every wait is for an event
//! or the tree's end, never a guess at a duration.

use std::time::Duration;

use supervisor::{EventKind, HealthStatus, Observer, TreeError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[allow(dead_code)]
#[path = "../examples/kubernetes.rs"]
mod kubernetes;

use kubernetes::{probes, Client, Database, Service};

/// A GET over a fresh connection: the status code and the body.
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("receive");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    (status, body)
}

/// Waits for the database child's health to become `status`, within a minute.
async fn health_becomes(events: &mut supervisor::EventStream, status: HealthStatus) {
    let wait = async {
        loop {
            let event = events.recv().await.expect("events");
            if let EventKind::Health { status: s, .. } = &event.kind {
                if &*event.path == "service/database" && *s == status {
                    return;
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .expect("the probe's verdict");
}

// S16.3
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn livez_and_readyz_follow_the_tree() {
    let db = Database::new();
    let observer = Observer::new();
    let mut events = observer.subscribe();
    let tree = Service::start_observed(db.clone(), &observer)
        .await
        .expect("start");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let app = probes(tree.health_probe());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    health_becomes(&mut events, HealthStatus::Healthy).await;
    let (status, body) = get(addr, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("service/database Running Healthy"), "{body}");
    assert_eq!(get(addr, "/livez").await.0, 200);

    // The database stops answering its ping: not ready, still live.
    db.set_answers(false);
    health_becomes(&mut events, HealthStatus::Unhealthy).await;
    let (status, body) = get(addr, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("service/database Running Unhealthy"),
        "{body}"
    );
    assert_eq!(get(addr, "/livez").await.0, 200);

    db.set_answers(true);
    health_becomes(&mut events, HealthStatus::Healthy).await;
    assert_eq!(get(addr, "/readyz").await.0, 200);

    // A session whose client hung up waits 5 s for its restart: the pod stays in its Service.
    let client = std::sync::Arc::new(Client {
        hung_up: true.into(),
    });
    let session = tree.sessions.start_child(client).await.expect("session");
    let wait = async {
        loop {
            let event = events.recv().await.expect("events");
            if matches!(event.kind, EventKind::Restarting { .. }) && *event.path == *session.path()
            {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .expect("the session's restart is scheduled");
    let (status, body) = get(addr, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    let line = format!(
        "{} Restarting Unknown restarts=1 (not counted)",
        session.path()
    );
    assert!(body.contains(&line), "{body}");

    // Every connection breaks, at once and on every restart: the root gives up.
    db.break_down();
    let outcome = tree.join().await;
    assert!(matches!(outcome, Err(TreeError::GaveUp(_))), "{outcome:?}");
    assert_eq!(get(addr, "/livez").await.0, 503);
    assert_eq!(get(addr, "/readyz").await.0, 503);
    server.abort();
}

/// A `key: value` line's value in a YAML file (the sample files are flat enough for this).
fn yaml_values<'a>(yaml: &'a str, key: &str) -> Vec<&'a str> {
    yaml.lines()
        .filter_map(|line| line.trim().strip_prefix(key)?.strip_prefix(':'))
        .map(|v| v.trim().trim_matches('"'))
        .collect()
}

// S16 (Kubernetes): the grace period covers the ordered shutdown.
#[test]
fn the_sample_deployment_gives_the_tree_time_to_stop() {
    let yaml = include_str!("../examples/deploy/deployment.yaml");
    let grace: Vec<u64> = yaml_values(yaml, "terminationGracePeriodSeconds")
        .into_iter()
        .map(|v| v.parse().expect("seconds"))
        .collect();
    assert_eq!(grace.len(), 1, "one grace period");
    let grace = Duration::from_secs(grace[0]);

    let budget = Service::TREE.shutdown_budget();
    // In reverse start order, one after the other: the sessions 1 s (stopped together), the
    // api 10 s, the database 5 s.
    assert_eq!(budget.limit(), Some(Duration::from_secs(16)));
    assert!(budget.check(grace), "{budget} > {grace:?}");

    // The value passed down to the service is the same.
    let lines: Vec<&str> = yaml.lines().map(str::trim).collect();
    let at = lines
        .iter()
        .position(|l| *l == "- name: TERMINATION_GRACE_PERIOD_SECONDS")
        .expect("the grace period is passed down");
    assert_eq!(
        lines[at + 1],
        format!("value: \"{}\"", grace.as_secs()),
        "the env value matches terminationGracePeriodSeconds"
    );
}
