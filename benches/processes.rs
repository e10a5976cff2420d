//! Process children (S20) beside bare `tokio::process` doing the same, in the same run, on both
//! runtime flavours. `cargo bench --bench processes --features process` prints one table;
//! `-- quick` runs fewer repetitions.
//!
//! - P1: spawn-to-up of 100 `sleep` processes (a tree's start: one after another, each in a
//!   group of its own), against spawning them one after another in groups of their own.
//! - P2: stop-to-gone of the same: the tree's shutdown (reverse order, SIGTERM to each group,
//!   until nothing of it runs), against SIGTERM and a wait for each, in reverse order.
//! - P3: a JSON-RPC round trip to a process (`request`), against writing the same line to its
//!   stdin and reading its answer from stdout by hand in the caller's task. A second reference,
//!   "two tasks", is the least any supervised design pays: one task owns the pipes (someone
//!   must drain the output while nobody calls) and callers reach it through a channel and get
//!   their answers through a oneshot, matched by id; and the same with a deadline on each
//!   answer, as every call of ours has (S14.4). The server is this binary itself, run
//!   with `SUPERVISOR_BENCH_SERVER=1`.

use std::io::{BufRead, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use supervisor::{ChildSpec, Process, Rpc, Supervisor, SupervisorSpec};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

mod workloads;

use workloads::{header, median, runtime};

const SERVER_ENV: &str = "SUPERVISOR_BENCH_SERVER";
const PROCESSES: usize = 100;

/// The echo server P3 calls: a line in, `{"jsonrpc":"2.0","id":<id>,"result":{}}` out.
fn serve() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let id = line
            .split("\"id\":")
            .nth(1)
            .and_then(|rest| rest.split([',', '}']).next())
            .unwrap_or("0");
        if writeln!(out, "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{{}}}}")
            .and_then(|()| out.flush())
            .is_err()
        {
            break;
        }
    }
}

async fn p1_p2_ours() -> (Duration, Duration) {
    let mut spec = SupervisorSpec::new("bench");
    for n in 0..PROCESSES {
        spec = spec.child(ChildSpec::process(
            format!("p{n}"),
            Process::new("sleep").arg("1000"),
        ));
    }
    let t = Instant::now();
    let tree = Supervisor::start(spec).await.expect("start");
    let up = t.elapsed();
    let t = Instant::now();
    tree.shutdown().await.expect("shutdown");
    (up, t.elapsed())
}

async fn p1_p2_floor() -> (Duration, Duration) {
    let t = Instant::now();
    let mut children = Vec::new();
    for _ in 0..PROCESSES {
        let child = tokio::process::Command::new("sleep")
            .arg("1000")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn");
        children.push(child);
    }
    let up = t.elapsed();
    let t = Instant::now();
    for mut child in children.into_iter().rev() {
        let pid = child
            .id()
            .and_then(|p| rustix::process::Pid::from_raw(p as i32));
        // std has SIGKILL only, which a stop does not send first.
        let pid = pid.expect("pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
        child.wait().await.expect("wait");
    }
    (up, t.elapsed())
}

fn server() -> Process {
    Process::new(std::env::current_exe().expect("this binary")).env(SERVER_ENV, "1")
}

async fn p3_ours(calls: u32) -> Duration {
    let tree = Supervisor::start(
        SupervisorSpec::new("bench").child(ChildSpec::process_rpc("echo", server())),
    )
    .await
    .expect("start");
    let echo = tree.child::<Rpc>("echo").expect("echo");
    let t = Instant::now();
    for _ in 0..calls {
        echo.request("ping", serde_json::json!({}), Duration::from_secs(10))
            .await
            .expect("answer");
    }
    let per = t.elapsed() / calls;
    tree.shutdown().await.expect("shutdown");
    per
}

type ServerLines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;

/// The echo server spawned by hand, with its stdin and the lines of its stdout.
fn bare_server() -> (
    tokio::process::Child,
    tokio::process::ChildStdin,
    ServerLines,
) {
    let mut child = tokio::process::Command::new(std::env::current_exe().expect("this binary"))
        .env(SERVER_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdin = child.stdin.take().expect("stdin");
    let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    (child, stdin, lines)
}

async fn p3_floor(calls: u32) -> Duration {
    let (mut child, mut stdin, mut lines) = bare_server();
    let t = Instant::now();
    for id in 1..=u64::from(calls) {
        stdin.write_all(&request_line(id)).await.expect("write");
        let answer = lines.next_line().await.expect("read").expect("a line");
        let value: serde_json::Value = serde_json::from_str(&answer).expect("json");
        assert_eq!(value["id"], id);
    }
    let per = t.elapsed() / calls;
    drop(stdin);
    child.wait().await.expect("exit");
    per
}

/// The request line of call `id`.
fn request_line(id: u64) -> Vec<u8> {
    let line = serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "ping", "params": {}});
    let mut bytes = line.to_string().into_bytes();
    bytes.push(b'\n');
    bytes
}

type Waiting = tokio::sync::oneshot::Sender<serde_json::Value>;

/// The two-task reference: a task owns the pipes; callers send it their ids and wait for their
/// answers, `deadline` or not (a call of ours always has one).
async fn p3_two_tasks(calls: u32, deadline: bool) -> Duration {
    let (mut child, mut stdin, mut lines) = bare_server();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(u64, Waiting)>(64);
    let owner = tokio::spawn(async move {
        let mut waiting = std::collections::HashMap::new();
        loop {
            tokio::select! {
                call = rx.recv() => {
                    let Some((id, reply)) = call else { break };
                    stdin.write_all(&request_line(id)).await.expect("write");
                    waiting.insert(id, reply);
                }
                line = lines.next_line() => {
                    let line = line.expect("read").expect("a line");
                    let value: serde_json::Value = serde_json::from_str(&line).expect("json");
                    let id = value["id"].as_u64().expect("an id");
                    let _ = waiting.remove(&id).expect("a caller").send(value);
                }
            }
        }
        drop(stdin);
        child.wait().await.expect("exit");
    });
    let t = Instant::now();
    for id in 1..=u64::from(calls) {
        let (reply, answer) = tokio::sync::oneshot::channel();
        tx.send((id, reply)).await.expect("the owner");
        let answer = if deadline {
            tokio::time::timeout(Duration::from_secs(10), answer)
                .await
                .expect("in time")
        } else {
            answer.await
        };
        assert_eq!(answer.expect("an answer")["id"], id);
    }
    let per = t.elapsed() / calls;
    drop(tx);
    owner.await.expect("the owner ends");
    per
}

fn row(what: String, ours: Duration, floor: Duration, target: &str) {
    println!(
        "{what:<58} {ours:>12?} {floor:>12?} {:>6.2}x  {target}",
        ours.as_secs_f64() / floor.as_secs_f64()
    );
}

fn main() {
    if std::env::var_os(SERVER_ENV).is_some() {
        return serve();
    }
    let quick = std::env::args().any(|a| a == "quick");
    let (reps, calls) = if quick { (3, 2_000) } else { (7, 10_000) };
    header();
    for flavor in ["current_thread", "multi_thread(2)"] {
        let rt = runtime(flavor);
        let (mut up, mut gone, mut up_f, mut gone_f) = (vec![], vec![], vec![], vec![]);
        for _ in 0..reps {
            let (u, g) = rt.block_on(async { tokio::spawn(p1_p2_floor()).await.unwrap() });
            up_f.push(u);
            gone_f.push(g);
            let (u, g) = rt.block_on(async { tokio::spawn(p1_p2_ours()).await.unwrap() });
            up.push(u);
            gone.push(g);
        }
        let n = PROCESSES;
        row(
            format!("P1 spawn-to-up of {n} sleep processes, {flavor}"),
            median(up),
            median(up_f),
            "<= 1.2x",
        );
        row(
            format!("P2 stop-to-gone of {n} sleep processes, {flavor}"),
            median(gone),
            median(gone_f),
            "<= 1.2x",
        );
        // Round trips are bimodal on two cores (whether the server shares a core with the
        // caller): twice the repetitions, interleaved.
        let (mut rpc, mut rpc_f, mut rpc_2, mut rpc_d) = (vec![], vec![], vec![], vec![]);
        for _ in 0..2 * reps {
            rpc_f.push(rt.block_on(async { tokio::spawn(p3_floor(calls)).await.unwrap() }));
            rpc.push(rt.block_on(async { tokio::spawn(p3_ours(calls)).await.unwrap() }));
            let two = p3_two_tasks(calls, false);
            rpc_2.push(rt.block_on(async { tokio::spawn(two).await.unwrap() }));
            let timed = p3_two_tasks(calls, true);
            rpc_d.push(rt.block_on(async { tokio::spawn(timed).await.unwrap() }));
        }
        let (rpc, rpc_f, rpc_2) = (median(rpc), median(rpc_f), median(rpc_2));
        row(
            format!("P3 JSON-RPC round trip, {flavor}"),
            rpc,
            rpc_f,
            "<= 1.2x",
        );
        row(
            format!("P3 beside the two-task reference, {flavor}"),
            rpc,
            rpc_2,
            "(reference)",
        );
        row(
            format!("P3 beside two tasks with a deadline per call, {flavor}"),
            rpc,
            median(rpc_d),
            "(reference)",
        );
    }
    println!(
        "\nmachine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}
