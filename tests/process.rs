//! A tree run as a real process (S16.1, S16.2): its exit status for a stop on SIGTERM, a
//! give-up, a fatal exit, and a second signal during a stuck shutdown. The example binary
//! `exit_codes` is built with the tests.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn example() -> std::path::PathBuf {
    // target/<profile>/deps/process-<hash> -> target/<profile>/examples/exit_codes
    let exe = std::env::current_exe().expect("test binary");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    dir.join("examples").join("exit_codes")
}

fn spawn(arg: &str) -> Child {
    spawn_with(arg, Stdio::null())
}

fn spawn_with(arg: &str, stderr: Stdio) -> Child {
    Command::new(example())
        .arg(arg)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("the exit_codes example is built (cargo test builds examples)")
}

/// Waits for the child to print `up`: its tree has started. Returns the rest of its output.
fn wait_up(child: &mut Child) -> BufReader<std::process::ChildStdout> {
    let out = child.stdout.take().expect("stdout");
    let mut out = BufReader::new(out);
    expect_line(&mut out, "up");
    out
}

fn expect_line(out: &mut BufReader<std::process::ChildStdout>, want: &str) {
    let mut line = String::new();
    out.read_line(&mut line).expect("a line");
    assert_eq!(line.trim(), want);
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
}

/// The exit code, within a minute.
fn code(mut child: Child) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().expect("exited, not killed by a signal");
        }
        assert!(Instant::now() < deadline, "the process did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// S16.1, S16.2: SIGTERM stops the tree in order: 0.
#[test]
fn a_stop_on_sigterm_exits_0() {
    let mut child = spawn("stop");
    wait_up(&mut child);
    signal(&child, "TERM");
    assert_eq!(code(child), 0);
}

// S16.1: a root that gave up exits 70, EX_SOFTWARE, and says why on stderr in one line with
// the chain of causes, though the program installed no tracing subscriber.
#[test]
fn a_root_that_gives_up_exits_70_and_says_why() {
    let child = Command::new(example())
        .arg("give-up")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the exit_codes example is built (cargo test builds examples)");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(70));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines[0].starts_with("supervisor: exit 70: gave up: give_up/flaky failed: ")
            && lines[0].contains("(chain: "),
        "{stderr}"
    );
    // S19.1: then what led to it, one event per line, ending with the exit that gave up.
    assert_eq!(lines[1], "  recent life of `give_up/flaky`:", "{stderr}");
    assert!(lines[2..].iter().all(|l| l.starts_with("    ")), "{stderr}");
    assert!(
        lines
            .last()
            .unwrap()
            .ends_with("0 exited (incarnation 2): always failing"),
        "{stderr}"
    );
}

// S16.1, S10.1: a fatal directive exits 78, EX_CONFIG.
#[test]
fn a_fatal_exit_exits_78() {
    assert_eq!(code(spawn("fatal")), 78);
}

// S16.2: a second signal during a shutdown that hangs aborts it.
#[test]
fn a_second_signal_aborts_a_stuck_shutdown() {
    let mut child = spawn_with("stuck", Stdio::piped());
    let mut out = wait_up(&mut child);
    signal(&child, "INT");
    // The shutdown has reached the child, which will not stop.
    expect_line(&mut out, "stopping");
    assert!(child.try_wait().expect("wait").is_none(), "still stopping");
    signal(&child, "INT");
    let mut stderr = child.stderr.take().expect("stderr");
    assert_eq!(code(child), 70);
    let mut said = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut said).expect("stderr");
    // Said as what it was, not as a shutdown timeout.
    assert_eq!(
        said.trim(),
        "supervisor: exit 70: aborted by a second signal during the shutdown"
    );
}
