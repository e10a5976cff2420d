//! A tree run under systemd (S16.4), against a real notification socket: the test binds a unix
//! datagram socket, points `NOTIFY_SOCKET` at it with `WATCHDOG_USEC` set, and reads what the
//! tree sends: `READY=1` once it is up, `WATCHDOG=1` every half interval from the root's loop,
//! `STOPPING=1` when it stops, and no more pings once the root is wedged or has given up.
//!
//! On the paused clock: the pings are timed exactly, and "no more pings" is a wait of several
//! intervals that costs nothing.

#![cfg(all(unix, feature = "systemd"))]

use std::path::PathBuf;
use std::time::Duration;

use supervisor::{supervision_tree, ChildContext, Exit};
use tokio::net::UnixDatagram;
use tokio::time::Instant;

/// The watchdog interval the tests give: pings are due every half of it.
const WATCHDOG: Duration = Duration::from_secs(10);
const PING: Duration = Duration::from_secs(5);

/// The environment is the process's: one test at a time sets it.
static ENVIRONMENT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The service manager's end of the protocol: a bound socket, named in the environment.
struct Manager {
    socket: UnixDatagram,
    path: PathBuf,
}

impl Manager {
    fn bind(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "supervisor-notify-{}-{name}.sock",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        let socket = UnixDatagram::bind(&path).expect("bind the notification socket");
        std::env::set_var("NOTIFY_SOCKET", &path);
        std::env::set_var("WATCHDOG_USEC", WATCHDOG.as_micros().to_string());
        std::env::set_var("WATCHDOG_PID", std::process::id().to_string());
        Manager { socket, path }
    }

    /// The next notification, as its `KEY=value` lines.
    async fn next(&self) -> Vec<String> {
        let mut buf = vec![0; 4096];
        let n = tokio::time::timeout(Duration::from_secs(3600), self.socket.recv(&mut buf))
            .await
            .expect("a notification within the hour")
            .expect("recv");
        String::from_utf8(buf[..n].to_vec())
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Asserts that nothing arrives for three watchdog intervals, which systemd would take as a
    /// wedged service.
    async fn silent(&self) {
        let mut buf = vec![0; 4096];
        let got = tokio::time::timeout(3 * WATCHDOG, self.socket.recv(&mut buf)).await;
        if let Ok(Ok(n)) = got {
            panic!(
                "expected silence, got {:?}",
                String::from_utf8_lossy(&buf[..n])
            );
        }
    }

    /// Reads `count` pings, each alone in its datagram, and checks they are due every half
    /// interval from `since`.
    async fn pings(&self, since: Instant, count: u32) {
        for n in 1..=count {
            assert_eq!(self.next().await, ["WATCHDOG=1"]);
            assert_eq!(since.elapsed(), n * PING, "ping {n}");
        }
    }
}

impl Drop for Manager {
    fn drop(&mut self) {
        std::env::remove_var("NOTIFY_SOCKET");
        std::env::remove_var("WATCHDOG_USEC");
        std::env::remove_var("WATCHDOG_PID");
        let _ = std::fs::remove_file(&self.path);
    }
}

async fn serve(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn ignores_stop(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    std::future::pending::<()>().await;
    Ok(())
}

async fn fails_at_12s(_ctx: ChildContext) -> Result<(), String> {
    tokio::time::sleep(Duration::from_secs(12)).await;
    Err("the disk is gone".into())
}

supervision_tree! {
    Service: one_for_one { api: worker(serve), cache: worker(serve) }
}

supervision_tree! {
    Wedged: one_for_one { stubborn: worker(ignores_stop) [shutdown = infinity] }
}

/// Fails once, at 7 s, then serves.
async fn fails_once_at_7s(ctx: ChildContext) -> Result<(), String> {
    if ctx.incarnation() == 0 {
        tokio::time::sleep(Duration::from_secs(7)).await;
        return Err("a hiccup".into());
    }
    serve(ctx).await
}

supervision_tree! {
    Hiccup: one_for_one(max_restarts = 3, within = 60s) { worker: worker(fails_once_at_7s) }
}

supervision_tree! {
    Doomed: one_for_one(max_restarts = 0, within = 1s) { disk: worker(fails_at_12s) }
}

/// Reads the first notifications: ready, then at once the first ping with the status line.
async fn expect_ready(manager: &Manager, status: &str) {
    assert_eq!(manager.next().await, ["READY=1"]);
    assert_eq!(
        manager.next().await,
        ["WATCHDOG=1".to_owned(), format!("STATUS={status}")],
        "a ping at once, with the status"
    );
}

// S16.4
#[tokio::test(start_paused = true)]
async fn ready_then_pings_every_half_interval_then_stopping() {
    let _env = ENVIRONMENT.lock().await;
    let manager = Manager::bind("stop");
    let tree = Service::start().await.expect("start");
    let token = tree.shutdown_token();
    let run = tokio::spawn(tree.run());

    let since = Instant::now();
    expect_ready(
        &manager,
        "running: 2 of 2 children up, no restarts in the last minute",
    )
    .await;
    manager.pings(since, 3).await;

    token.cancel();
    assert_eq!(
        manager.next().await,
        ["STOPPING=1", "STATUS=stopping: shutdown requested"]
    );
    let exit = run.await.expect("run");
    assert!(matches!(exit, Exit::Stopped), "{exit:?}");
    assert_eq!(manager.next().await, ["STATUS=stopped"]);
    manager.silent().await;
}

// S16.4
#[tokio::test(start_paused = true)]
async fn a_wedged_root_stops_the_pings() {
    let _env = ENVIRONMENT.lock().await;
    let manager = Manager::bind("wedged");
    let tree = Wedged::start().await.expect("start");
    let root = tree.root().clone();
    let run = tokio::spawn(tree.run());

    let since = Instant::now();
    expect_ready(
        &manager,
        "running: 1 of 1 children up, no restarts in the last minute",
    )
    .await;
    manager.pings(since, 2).await;

    // The root's loop waits, without a limit, for a child that does not stop.
    let stopping = tokio::spawn(async move { root.terminate_child("stubborn").await });
    manager.silent().await;
    assert!(!stopping.is_finished() && !run.is_finished());
    stopping.abort();
    run.abort();
}

// S16.4, S16.1
#[tokio::test(start_paused = true)]
async fn a_root_that_gives_up_says_why_and_stops_the_pings() {
    let _env = ENVIRONMENT.lock().await;
    let manager = Manager::bind("gave-up");
    let since = Instant::now();
    let run = tokio::spawn(Doomed::run());

    expect_ready(
        &manager,
        "running: 1 of 1 children up, no restarts in the last minute",
    )
    .await;
    manager.pings(since, 2).await;

    // At 12 s the child fails, and the root may not restart it.
    assert_eq!(
        manager.next().await,
        [
            "STOPPING=1",
            "STATUS=gave up: doomed/disk failed: the disk is gone"
        ]
    );
    assert_eq!(since.elapsed(), Duration::from_secs(12));
    let exit = run.await.expect("run");
    assert_eq!(exit.code(), Exit::SOFTWARE, "{exit:?}");
    manager.silent().await;
}

// S16.4: the status line follows the root's children: a restart shows with the next ping, and
// goes once it is older than the intensity period.
#[tokio::test(start_paused = true)]
async fn the_status_line_follows_restarts() {
    let _env = ENVIRONMENT.lock().await;
    let manager = Manager::bind("status");
    let since = Instant::now();
    let run = tokio::spawn(Hiccup::run());
    expect_ready(
        &manager,
        "running: 1 of 1 children up, no restarts in the last minute",
    )
    .await;
    manager.pings(since, 1).await;
    // At 7 s the child fails and is restarted at once: the 10 s ping says so.
    assert_eq!(
        manager.next().await,
        [
            "WATCHDOG=1",
            "STATUS=running: 1 of 1 children up, 1 restart in the last minute"
        ]
    );
    assert_eq!(since.elapsed(), 2 * PING);
    // The restart leaves the period at 67 s: the 70 s ping says so, and only that one.
    for n in 3..=13 {
        assert_eq!(manager.next().await, ["WATCHDOG=1"], "ping {n}");
    }
    assert_eq!(
        manager.next().await,
        [
            "WATCHDOG=1",
            "STATUS=running: 1 of 1 children up, no restarts in the last minute"
        ]
    );
    assert_eq!(since.elapsed(), 14 * PING);
    run.abort();
}

// S16.2, S16.4: a root already wedged when the tree is run: READY, no ping, and a stop
// requested meanwhile is still heard (run does not wait for the root's loop to listen).
#[tokio::test(start_paused = true)]
async fn run_hears_a_stop_while_the_root_is_wedged() {
    let _env = ENVIRONMENT.lock().await;
    let manager = Manager::bind("wedged-early");
    let tree = Wedged::start().await.expect("start");
    let root = tree.root().clone();
    let token = tree.shutdown_token();
    let stuck = tokio::spawn(async move { root.terminate_child("stubborn").await });
    tokio::time::sleep(Duration::from_millis(1)).await;
    let run = tokio::spawn(tree.run());
    assert_eq!(manager.next().await, ["READY=1"]);
    manager.silent().await;
    token.cancel();
    assert_eq!(
        manager.next().await,
        ["STOPPING=1", "STATUS=stopping: shutdown requested"]
    );
    stuck.abort();
    run.abort();
}

// S16.4: sd_watchdog_enabled(3): an unset WATCHDOG_PID means this process; another process's
// pid turns the watchdog off (the status line still goes, every 5 s at most).
#[tokio::test(start_paused = true)]
async fn the_watchdog_reads_watchdog_pid_as_systemd_does() {
    let _env = ENVIRONMENT.lock().await;
    let manager = Manager::bind("pid-unset");
    std::env::remove_var("WATCHDOG_PID");
    let tree = Service::start().await.expect("start");
    let token = tree.shutdown_token();
    let run = tokio::spawn(tree.run());
    let since = Instant::now();
    expect_ready(
        &manager,
        "running: 2 of 2 children up, no restarts in the last minute",
    )
    .await;
    manager.pings(since, 2).await;
    token.cancel();
    run.await.expect("run");
    drop(manager);

    let manager = Manager::bind("pid-other");
    std::env::set_var("WATCHDOG_PID", (std::process::id() + 1).to_string());
    let tree = Service::start().await.expect("start");
    let token = tree.shutdown_token();
    let run = tokio::spawn(tree.run());
    assert_eq!(manager.next().await, ["READY=1"]);
    assert_eq!(
        manager.next().await,
        ["STATUS=running: 2 of 2 children up, no restarts in the last minute"],
        "a status line, and no ping: the watchdog is another process's"
    );
    manager.silent().await;
    token.cancel();
    run.await.expect("run");
}

// S16.4: NOTIFY_SOCKET may name an abstract socket (`@name`), as sd_notify(3) allows.
#[cfg(target_os = "linux")]
#[tokio::test(start_paused = true)]
async fn an_abstract_notify_socket_is_reached() {
    use std::os::linux::net::SocketAddrExt;
    let _env = ENVIRONMENT.lock().await;
    let name = format!("supervisor-notify-{}-abstract", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let socket = std::os::unix::net::UnixDatagram::bind_addr(&addr).expect("bind");
    socket.set_nonblocking(true).unwrap();
    let socket = UnixDatagram::from_std(socket).unwrap();
    std::env::set_var("NOTIFY_SOCKET", format!("@{name}"));
    std::env::set_var("WATCHDOG_USEC", WATCHDOG.as_micros().to_string());
    std::env::remove_var("WATCHDOG_PID");
    let tree = Service::start().await.expect("start");
    let token = tree.shutdown_token();
    let run = tokio::spawn(tree.run());
    let mut buf = vec![0; 4096];
    let n = socket.recv(&mut buf).await.expect("a notification");
    assert_eq!(&buf[..n], b"READY=1");
    token.cancel();
    run.await.expect("run");
    std::env::remove_var("NOTIFY_SOCKET");
    std::env::remove_var("WATCHDOG_USEC");
}

supervision_tree! {
    Deep: one_for_one {
        api: one_for_one(max_restarts = 3, within = 60s) { worker: worker(fails_once_at_7s) },
        cache: worker(serve),
    }
}

// S16.4: the status line is about the whole tree: a restart two levels down shows.
#[tokio::test(start_paused = true)]
async fn the_status_line_counts_the_whole_tree() {
    let _env = ENVIRONMENT.lock().await;
    let manager = Manager::bind("deep");
    let since = Instant::now();
    let run = tokio::spawn(Deep::run());
    expect_ready(
        &manager,
        "running: 3 of 3 children up, no restarts in the last minute",
    )
    .await;
    manager.pings(since, 1).await;
    assert_eq!(
        manager.next().await,
        [
            "WATCHDOG=1",
            "STATUS=running: 3 of 3 children up, 1 restart in the last minute"
        ]
    );
    run.abort();
}
