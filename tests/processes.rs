//! Operating-system processes as children (S20), in real time with `sh` as the fixture: groups
//! stopped by signals and waited for until empty, statuses as exits and directives, output
//! drained and its tail kept, readiness by a line, and nothing left behind: no process, no
//! zombie, no descriptor.

#![cfg(target_os = "linux")]

use std::error::Error as _;
use std::time::{Duration, Instant};

use supervisor::{
    ChildSpec, Directed, Directive, Event, EventKind, EventStream, ExitReason, Observer, Process,
    ProcessExit, ProcessStartError, Ready, Restart, Shutdown, StartError, Supervisor,
    SupervisorHandle, SupervisorSpec, TreeError,
};

const MS: Duration = Duration::from_millis(1);

fn sh(script: &str) -> Process {
    Process::new("sh").args(["-c", script])
}

async fn start(spec: SupervisorSpec) -> (SupervisorHandle, EventStream) {
    let observer = Observer::new();
    let events = observer.subscribe();
    let tree = Supervisor::start_observed(spec, &observer)
        .await
        .expect("the tree starts");
    (tree, events)
}

/// The first event matching `pred`, within 10 s of real time.
async fn until(events: &mut EventStream, pred: impl Fn(&Event) -> bool) -> Event {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(e) if pred(&e) => return e,
                Ok(_) => {}
                Err(e) => panic!("event stream: {e:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .expect("the event came within 10 s")
}

fn process_exit(reason: &ExitReason) -> Option<ProcessExit> {
    let ExitReason::Error(e) = reason else {
        return None;
    };
    e.downcast_ref::<ProcessExit>().cloned().or_else(|| {
        let directed = e.downcast_ref::<Directed>()?;
        directed.inner().downcast_ref::<ProcessExit>().cloned()
    })
}

/// How the start of `spec` failed, for a tree whose only child is a process that does not
/// come up.
async fn start_error(spec: SupervisorSpec) -> ProcessStartError {
    match Supervisor::start(spec).await {
        Err(StartError::ChildFailed {
            cause: ExitReason::Error(e),
            ..
        }) => match e.downcast_ref::<ProcessStartError>() {
            Some(error) => error.clone(),
            None => panic!("a process start error expected, got {e}"),
        },
        other => panic!("a failed start expected, got {other:?}"),
    }
}

/// The pid (and process group) of the running incarnation of `id` under the root.
async fn pid(tree: &SupervisorHandle, id: &str) -> i32 {
    let children = tree.root().which_children().await.unwrap();
    let info = children.iter().find(|c| &*c.id == id).expect("the child");
    let pid = info.process.as_ref().and_then(|p| p.pid).expect("a pid");
    i32::try_from(pid).unwrap()
}

/// The processes of group `pgid` as /proc lists them: (pid, state).
fn members(pgid: i32) -> Vec<(i32, char)> {
    let mut members = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command, which is in parentheses and may hold spaces.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.get(2).and_then(|g| g.parse::<i32>().ok()) == Some(pgid) {
            members.push((pid, fields[0].chars().next().unwrap_or('?')));
        }
    }
    members
}

/// The processes of group `pgid` still running (not zombies).
fn group_members(pgid: i32) -> Vec<i32> {
    (members(pgid).into_iter())
        .filter(|(_, state)| *state != 'Z')
        .map(|(pid, _)| pid)
        .collect()
}

/// Waits until no process of `pgid` exists at all, zombies included: the orphans of a killed
/// group are reaped by the init process, in its own time.
async fn until_reaped(pgid: i32) {
    let begun = Instant::now();
    while !members(pgid).is_empty() {
        assert!(
            begun.elapsed() < Duration::from_secs(10),
            "group {pgid} still listed after 10 s: {:?}",
            members(pgid)
        );
        tokio::time::sleep(10 * MS).await;
    }
}

// S20.1, S20.3: up when spawned; exit 0 of a transient process is a normal exit, not
// restarted; a code is an error carrying it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_are_exits() {
    let (tree, mut events) = start(
        SupervisorSpec::new("app")
            .intensity(1_000, Duration::from_secs(1))
            .child(ChildSpec::process("ok", sh("sleep 0.1; exit 0")).restart(Restart::Transient))
            .child(
                ChildSpec::process("three", sh("sleep 0.1; exit 3")).restart(Restart::Transient),
            ),
    )
    .await;
    let (mut ok, mut three) = (None, None);
    while ok.is_none() || three.is_none() {
        let e = until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
        let EventKind::Exited {
            reason, directive, ..
        } = e.kind
        else {
            unreachable!()
        };
        match &*e.path {
            "app/ok" => ok = ok.or(Some((reason, directive))),
            _ => three = three.or(Some((reason, directive))),
        }
    }
    let (reason, _) = three.unwrap();
    let exit = process_exit(&reason).expect("a process exit");
    assert_eq!(exit.code(), Some(3));
    assert_eq!(reason.to_string(), "sh exited with code 3");
    until(&mut events, |e| {
        matches!(e.kind, EventKind::Started { incarnation } if incarnation > 0)
            && &*e.path == "app/three"
    })
    .await;
    let (reason, _) = ok.unwrap();
    assert!(matches!(reason, ExitReason::Normal), "{reason:?}");
    let children = tree.root().which_children().await.unwrap();
    assert_eq!(
        children[0].restarts, 0,
        "a normal exit of a transient child is not restarted"
    );
    tree.shutdown().await.unwrap();
}

// S20.3, S10.2: a code in the exit-code table carries its directive: 78 is fatal and ends the
// tree; death by a signal is an error naming the signal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exit_code_table_and_signals() {
    let (tree, mut events) = start(
        SupervisorSpec::new("app")
            .child(
                ChildSpec::process("segv", sh("sleep 0.1; kill -SEGV $$"))
                    .restart(Restart::Temporary),
            )
            .child(ChildSpec::process(
                "config",
                sh("sleep 0.5; echo 'bad config: no such key' >&2; exit 78")
                    .exit_code(78, Directive::Fatal),
            )),
    )
    .await;
    let e = until(&mut events, |e| {
        matches!(e.kind, EventKind::Exited { .. }) && &*e.path == "app/segv"
    })
    .await;
    let EventKind::Exited { reason, .. } = &e.kind else {
        unreachable!()
    };
    let exit = process_exit(reason).expect("a process exit");
    assert_eq!(exit.code(), None);
    assert_eq!(exit.signal(), Some(11));
    assert_eq!(reason.to_string(), "sh was killed by SIGSEGV");
    match tree.join().await {
        Err(TreeError::Fatal(escalation)) => {
            let exit = process_exit(&escalation.cause).expect("the process's exit");
            assert_eq!(exit.code(), Some(78));
            assert_eq!(exit.stderr_tail().len(), 1);
            assert_eq!(&*exit.stderr_tail()[0], "bad config: no such key");
        }
        other => panic!("expected a fatal end, got {other:?}"),
    }
}

// S20.2: a process ignoring SIGTERM is killed at its shutdown timeout, with its whole group,
// and the stop returns only once the group is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_ignoring_sigterm_is_killed_at_its_timeout() {
    let (tree, mut events) = start(
        SupervisorSpec::new("app").child(
            ChildSpec::process("deaf", sh("trap '' TERM; sleep 1000 & sleep 1000; wait"))
                .shutdown(Shutdown::Timeout(300 * MS)),
        ),
    )
    .await;
    let group = pid(&tree, "deaf").await;
    tokio::time::sleep(100 * MS).await;
    assert!(group_members(group).len() >= 3, "sh and its two sleeps");
    let stopping = Instant::now();
    tree.root().terminate_child("deaf").await.unwrap();
    let took = stopping.elapsed();
    assert!(
        took >= 300 * MS,
        "killed at its timeout, not before: {took:?}"
    );
    let e = until(&mut events, |e| matches!(e.kind, EventKind::Stopped { .. })).await;
    assert!(
        matches!(
            e.kind,
            EventKind::Stopped {
                reason: ExitReason::Killed,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        group_members(group),
        Vec::<i32>::new(),
        "nothing runs once the stop returns"
    );
    until_reaped(group).await;
    tree.shutdown().await.unwrap();
}

// S20.2: the leader exits on SIGTERM while its own child ignores it: the group is still
// followed, and killed at the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_exits_leaves_no_child_behind() {
    let script = "(trap '' TERM; exec sleep 1000) & trap 'exit 0' TERM; wait; wait";
    let (tree, _events) = start(
        SupervisorSpec::new("app")
            .child(ChildSpec::process("leader", sh(script)).shutdown(Shutdown::Timeout(300 * MS))),
    )
    .await;
    let group = pid(&tree, "leader").await;
    tokio::time::sleep(100 * MS).await;
    assert_eq!(group_members(group).len(), 2);
    let stopping = Instant::now();
    tree.root().terminate_child("leader").await.unwrap();
    assert!(
        stopping.elapsed() >= 300 * MS,
        "the ignoring child holds the stop until the kill"
    );
    assert_eq!(group_members(group), Vec::<i32>::new());
    until_reaped(group).await;
    tree.shutdown().await.unwrap();
}

// S20.2, S6.3: `sleep 1000 & wait` leaves nothing behind once the tree stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_tree_leaves_no_process() {
    let (tree, _events) =
        start(SupervisorSpec::new("app").child(ChildSpec::process("bg", sh("sleep 1000 & wait"))))
            .await;
    let group = pid(&tree, "bg").await;
    tokio::time::sleep(100 * MS).await;
    assert_eq!(group_members(group).len(), 2);
    let stopping = Instant::now();
    tree.shutdown().await.unwrap();
    assert!(
        stopping.elapsed() < Duration::from_secs(4),
        "SIGTERM ended it, well before the 5 s kill"
    );
    assert_eq!(group_members(group), Vec::<i32>::new());
    until_reaped(group).await;
}

// S20.3: a process writing a MiB to stderr on one line never blocks on its pipe; the line is
// cut, and the tail is in its exit's context.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chatty_process_never_blocks_and_its_tail_is_kept() {
    let script = "head -c 1048576 /dev/zero | tr '\\0' x >&2; echo >&2; \
                  i=0; while [ $i -lt 2000 ]; do echo \"line $i\" >&2; i=$((i+1)); done; \
                  echo 'last words' >&2; exit 3";
    let (tree, mut events) = start(SupervisorSpec::new("app").child(
        ChildSpec::process("chatty", sh(script).stderr_tail(3)).restart(Restart::Temporary),
    ))
    .await;
    let e = until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    let EventKind::Exited { reason, .. } = &e.kind else {
        unreachable!()
    };
    let exit = process_exit(reason).expect("a process exit");
    let tail: Vec<&str> = exit.stderr_tail().iter().map(|l| &**l).collect();
    assert_eq!(tail, ["line 1998", "line 1999", "last words"]);
    // The tail is the error's source: whatever prints the chain shows it.
    let ExitReason::Error(error) = reason else {
        unreachable!()
    };
    let source = error.source().expect("the tail as the source").to_string();
    assert!(source.ends_with("line 1999\n  last words"), "{source}");
    tree.shutdown().await.unwrap();
}

// S20.1: up when it prints its readiness line; the tree's start waits for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_on_its_readiness_line() {
    let begun = Instant::now();
    let (tree, _events) = start(
        SupervisorSpec::new("app").child(ChildSpec::process(
            "server",
            sh("echo booting; sleep 0.3; echo 'ready on 8080'; sleep 1000")
                .ready(Ready::Line("ready".into())),
        )),
    )
    .await;
    assert!(begun.elapsed() >= 300 * MS, "up only once it said so");
    tree.shutdown().await.unwrap();
}

// S20.1: not ready within its timeout is a failed start carrying the stderr tail; the
// process was killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readiness_timeout_is_a_failed_start_with_the_tail() {
    let spec = SupervisorSpec::new("app").child(ChildSpec::process(
        "mute",
        sh("echo 'cannot bind: address in use' >&2; sleep 1000")
            .ready(Ready::Line("ready".into()))
            .ready_timeout(300 * MS),
    ));
    match start_error(spec).await {
        ProcessStartError::NotReady { stderr_tail, .. } => {
            assert_eq!(stderr_tail.lines().len(), 1);
            assert_eq!(&*stderr_tail.lines()[0], "cannot bind: address in use");
        }
        other => panic!("not ready expected, got {other:?}"),
    }
    let spec = SupervisorSpec::new("app").child(ChildSpec::process(
        "missing",
        Process::new("/no/such/program"),
    ));
    let error = start_error(spec).await;
    assert!(matches!(error, ProcessStartError::Spawn { .. }), "{error}");
}

// S20.2, S6.1: a tree's processes stop in reverse start order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_stop_in_reverse_order() {
    let (tree, mut events) = start(
        SupervisorSpec::new("app")
            .child(ChildSpec::process("a", sh("sleep 1000 & wait")))
            .child(ChildSpec::process("b", sh("sleep 1000 & wait")))
            .child(ChildSpec::process("c", sh("sleep 1000 & wait"))),
    )
    .await;
    tree.shutdown().await.unwrap();
    let mut order = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let EventKind::Stopped { reason, .. } = &e.kind {
            assert!(
                matches!(reason, ExitReason::Shutdown),
                "stopped by SIGTERM: {reason:?}"
            );
            order.push(e.path.to_string());
        }
    }
    assert_eq!(order, ["app/c", "app/b", "app/a"]);
}

// S20: pictures and `which_children` show a process child's command, arguments hidden unless
// shown, and its running pid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_and_listings_show_the_command() {
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::process("secret", sh("sleep 1000")))
        .child(ChildSpec::process(
            "open",
            Process::new("sleep").arg("1000").show_args(),
        ));
    let text = supervisor::Picture::from(&spec).text();
    assert!(text.contains("secret (process: sh …)"), "{text}");
    assert!(text.contains("open (process: sleep 1000)"), "{text}");
    let (tree, _events) = start(spec).await;
    let children = tree.root().which_children().await.unwrap();
    let open = children[1].process.as_ref().expect("a process");
    assert_eq!(&*open.command, "sleep 1000");
    assert_eq!(group_members(pid(&tree, "open").await).len(), 1);
    tree.shutdown().await.unwrap();
}

/// An example's binary, built beside the tests (a whole `cargo test` builds the examples).
fn example(name: &str) -> std::path::PathBuf {
    // target/<profile>/deps/processes-<hash> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("the test binary");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("the target directory");
    let example = dir.join("examples").join(name);
    assert!(
        example.exists(),
        "{} is missing: `cargo build --example {name} --features process`",
        example.display()
    );
    example
}

/// The `tool_server` example, serving as `name`.
fn tool_server(name: &str) -> Process {
    Process::new(example("tool_server")).args(["--name", name])
}

// S20.4: requests answered by id, results and error objects, notifications, through a
// restart: a request made while the process restarts is answered by the next one; one that
// reaches a dying process ends with its exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_to_a_json_rpc_process() {
    use serde_json::json;
    use supervisor::{CallError, RequestError, Rpc};
    let (tree, mut events) = start(SupervisorSpec::new("app").child(ChildSpec::process_rpc(
        "tools",
        tool_server("tools").ready(Ready::Line("ready".into())),
    )))
    .await;
    let tools = tree.child::<Rpc>("tools").unwrap();
    let s = Duration::from_secs(5);
    let sum = tools
        .request(
            "tools/call",
            json!({"name": "add", "arguments": {"a": 2, "b": 3}}),
            s,
        )
        .await
        .unwrap();
    assert_eq!(sum["content"][0]["text"], "5");
    // Many at once, answered each by its own id.
    let asks = (0..50).map(|n| {
        let tools = tools.clone();
        async move {
            let r = tools
                .request(
                    "tools/call",
                    json!({"name": "echo", "arguments": {"text": n.to_string()}}),
                    s,
                )
                .await
                .unwrap();
            assert_eq!(r["content"][0]["text"], n.to_string());
        }
    });
    futures_join(asks).await;
    match tools
        .request("tools/call", json!({"name": "fail"}), s)
        .await
    {
        Err(RequestError::Rpc(e)) => {
            assert_eq!((e.code, e.message.as_str()), (-32000, "the tool failed"));
            assert_eq!(e.data, Some(json!({"tool": "fail"})));
        }
        other => panic!("an error object expected, got {other:?}"),
    }
    tools
        .notify("notifications/initialized", json!({}))
        .await
        .unwrap();
    // The process dies holding the request: the call ends with its exit (S14.4).
    match tools
        .request("tools/call", json!({"name": "crash"}), s)
        .await
    {
        Err(RequestError::Call(CallError::Exited { reason, .. })) => {
            assert_eq!(process_exit(&reason).and_then(|e| e.code()), Some(3));
        }
        other => panic!("the exit expected, got {other:?}"),
    }
    // Sent while it restarts: answered by the next process.
    let pid = tools
        .request("tools/call", json!({"name": "pid"}), s)
        .await
        .unwrap();
    let e = until(&mut events, |e| {
        matches!(e.kind, EventKind::Started { incarnation: 1 })
    })
    .await;
    drop(e);
    assert_eq!(
        pid["content"][0]["text"]
            .as_str()
            .unwrap()
            .parse::<u32>()
            .ok(),
        tree.root().which_children().await.unwrap()[0]
            .process
            .as_ref()
            .and_then(|p| p.pid)
    );
    // A request that outlives its timeout is a timeout, and the process goes on.
    match tools
        .request(
            "tools/call",
            json!({"name": "slow", "arguments": {"ms": 500}}),
            100 * MS,
        )
        .await
    {
        Err(RequestError::Call(CallError::Timeout(_))) => {}
        other => panic!("a timeout expected, got {other:?}"),
    }
    assert!(tools.request("ping", json!({}), s).await.is_ok());
    tree.shutdown().await.unwrap();
}

async fn futures_join(
    futures: impl IntoIterator<Item = impl std::future::Future<Output = ()> + Send + 'static>,
) {
    let mut set = tokio::task::JoinSet::new();
    for f in futures {
        set.spawn(f);
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
}

// S20.1, S20.4: up once the MCP handshake is done (initialize answered, then the initialized
// notification); a readiness request answered with an error is a failed start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_after_the_mcp_handshake() {
    use supervisor::Rpc;
    let (tree, _events) = start(SupervisorSpec::new("app").child(ChildSpec::process_rpc(
        "tools",
        tool_server("tools").ready(Ready::mcp("tests")),
    )))
    .await;
    let tools = tree.child::<Rpc>("tools").unwrap();
    // The server logs each notification to stderr as it takes it; a request after it is
    // answered after it.
    let s = Duration::from_secs(5);
    tools
        .request("ping", serde_json::json!({}), s)
        .await
        .unwrap();
    // Its stderr is read apart from its stdout: the line may come a moment after the answer.
    let begun = Instant::now();
    loop {
        let info = &tree.root().which_children().await.unwrap()[0];
        let tail = &info.process.as_ref().unwrap().stderr_tail;
        if tail
            .iter()
            .any(|l| &**l == "tools: notification notifications/initialized")
        {
            break;
        }
        assert!(begun.elapsed() < Duration::from_secs(5), "{tail:?}");
        tokio::time::sleep(5 * MS).await;
    }
    tree.shutdown().await.unwrap();

    let spec = SupervisorSpec::new("app").child(ChildSpec::process(
        "tools",
        tool_server("tools").ready(Ready::Request {
            method: "no/such/method".into(),
            params: serde_json::json!({}),
            then: None,
        }),
    ));
    let error = start_error(spec).await;
    assert!(
        matches!(error, ProcessStartError::Refused { .. }),
        "{error}"
    );
}

/// A line server in `sh`: answers `got <line>`, says nothing to `quiet ..`, exits 3 on `exit`.
fn line_server() -> Process {
    sh(r#"echo ready >&2
while read -r l; do
  case "$l" in quiet*) ;; exit) exit 3 ;; *) echo "got $l" ;; esac
done"#)
    .ready(Ready::Line("ready".into()))
}

// S20.4: a process spoken to in plain lines: each call answered by the next line of output,
// concurrent calls each by their own; a send with no answer; a line break refused; a call the
// process dies holding ends with its exit, and the next process answers (S14.4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_in_plain_lines() {
    use supervisor::{CallError, Line, LineError};
    let (tree, mut events) =
        start(SupervisorSpec::new("app").child(ChildSpec::process_lines("calc", line_server())))
            .await;
    let calc = tree.child::<Line>("calc").unwrap();
    let s = Duration::from_secs(5);
    assert_eq!(calc.call_line("hello", s).await.unwrap(), "got hello");
    calc.send_line("quiet please").await.unwrap();
    let calls = (0..20).map(|i| {
        let calc = calc.clone();
        tokio::spawn(async move { (i, calc.call_line(format!("n{i}"), s).await) })
    });
    for call in calls {
        let (i, answer) = call.await.unwrap();
        assert_eq!(answer.unwrap(), format!("got n{i}"));
    }
    assert!(matches!(
        calc.call_line("two\nlines", s).await,
        Err(LineError::NotOneLine)
    ));
    assert!(matches!(
        calc.send_line("two\rlines").await,
        Err(LineError::NotOneLine)
    ));
    let died = calc.call_line("exit", s).await;
    assert!(
        matches!(died, Err(LineError::Call(CallError::Exited { .. }))),
        "{died:?}"
    );
    until(&mut events, |e| {
        matches!(e.kind, EventKind::Started { incarnation: 1 })
    })
    .await;
    assert_eq!(calc.call_line("again", s).await.unwrap(), "got again");
    tree.shutdown().await.unwrap();
}

// S20, S14.1: a pool of process slots, each process made for its slot (its own name), called
// over JSON-RPC in turn; every slot's listing shows its own process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_of_processes() {
    use supervisor::{PoolSpec, Rpc, Template};
    let servers = Template::process_rpc(tool_server("base"), |server, slot: &usize| {
        server.args(["--name", &format!("slot{slot}")])
    });
    let spec = SupervisorSpec::new("app").child(ChildSpec::supervisor(
        PoolSpec::new("tools", 3, servers).round_robin(),
    ));
    let (tree, _events) = start(spec).await;
    let pool = tree.root().pool::<Rpc>("tools").unwrap();
    let s = Duration::from_secs(5);
    let mut names = Vec::new();
    for _ in 0..3 {
        let info = pool
            .call(
                |reply| Rpc::request("initialize", serde_json::json!({}), reply),
                s,
            )
            .await
            .unwrap()
            .unwrap();
        names.push(info["serverInfo"]["name"].as_str().unwrap().to_owned());
    }
    names.sort();
    assert_eq!(names, ["slot0", "slot1", "slot2"]);
    let pools = tree.root().which_children().await.unwrap();
    let slots = tree
        .root()
        .supervisor("tools")
        .unwrap()
        .which_children()
        .await
        .unwrap();
    assert_eq!(pools.len(), 1);
    for slot in &slots {
        let process = slot.process.as_ref().expect("a process slot");
        assert!(process.pid.is_some());
        assert!(
            process.command.ends_with("tool_server …"),
            "{}",
            process.command
        );
    }
    tree.shutdown().await.unwrap();
}

// S14.2, S20.4: least loaded counts a process slot's calls in flight: while slot 0 works on a
// slow call, the next goes to slot 1, not behind it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn least_loaded_sees_calls_in_flight() {
    use supervisor::{PoolSpec, Rpc, Template};
    let servers = Template::process_rpc(tool_server("slot"), |server, _: &usize| server);
    let spec = SupervisorSpec::new("app").child(ChildSpec::supervisor(
        PoolSpec::new("tools", 2, servers).least_loaded(),
    ));
    let (tree, _events) = start(spec).await;
    let pool = tree.root().pool::<Rpc>("tools").unwrap();
    let s = Duration::from_secs(5);
    let call = |tool: serde_json::Value| {
        let pool = pool.clone();
        async move {
            pool.call(|reply| Rpc::request("tools/call", tool, reply), s)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let pid_of =
        |answer: serde_json::Value| answer["content"][0]["text"].as_str().unwrap().to_owned();
    // Both idle: the lowest slot answers.
    let first = pid_of(call(serde_json::json!({"name": "pid"})).await);
    let mut slow = Box::pin(call(
        serde_json::json!({"name": "slow", "arguments": {"ms": 1000}}),
    ));
    // One poll routes it (slot 0, both idle) and leaves it waiting for its answer.
    tokio::select! {
        biased;
        _ = &mut slow => panic!("answered at once"),
        () = std::future::ready(()) => {}
    }
    let slow = tokio::spawn(slow);
    // Slot 0 shows the slow call in flight once its runner took it from the mailbox.
    let tools = tree.root().supervisor("tools").unwrap();
    let begun = Instant::now();
    loop {
        let slots = tools.which_children().await.unwrap();
        if slots[0].busy && slots[0].mailbox.is_some_and(|m| m.queued == 0) {
            assert!(!slots[1].busy);
            break;
        }
        assert!(begun.elapsed() < s, "the slow call was never taken");
        tokio::time::sleep(MS).await;
    }
    let second = pid_of(call(serde_json::json!({"name": "pid"})).await);
    assert_ne!(first, second, "a call waited behind the slow one");
    assert!(
        begun.elapsed() < Duration::from_millis(900),
        "{:?}",
        begun.elapsed()
    );
    slow.await.unwrap();
    tree.shutdown().await.unwrap();
}

// S20, S5.4: a dynamic supervisor of processes: each child's process made from its arguments,
// and made again from them when it restarts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dynamic_supervisor_of_processes() {
    use supervisor::{Line, Template};
    let server = sh(r#"echo ready >&2
while read -r l; do
  case "$l" in exit) exit 3 ;; *) echo "$GREETING $l" ;; esac
done"#)
    .ready(Ready::Line("ready".into()));
    let template = Template::process_lines(server, |server, greeting: &String| {
        server.env("GREETING", greeting)
    })
    .restart(Restart::Permanent);
    let spec = SupervisorSpec::new("app").child(ChildSpec::supervisor(SupervisorSpec::dynamic(
        "greeters", template,
    )));
    let (tree, mut events) = start(spec).await;
    let greeters = tree.root().dynamic::<String, Line>("greeters").unwrap();
    let hello = greeters.start_child("hello".to_owned()).await.unwrap();
    let hi = greeters.start_child("hi".to_owned()).await.unwrap();
    let s = Duration::from_secs(5);
    assert_eq!(hello.call_line("you", s).await.unwrap(), "hello you");
    assert_eq!(hi.call_line("you", s).await.unwrap(), "hi you");
    assert!(hi.call_line("exit", s).await.is_err());
    until(&mut events, |e| {
        matches!(e.kind, EventKind::Started { incarnation: 1 })
            && e.path.starts_with("app/greeters/")
    })
    .await;
    assert_eq!(hi.call_line("again", s).await.unwrap(), "hi again");
    tree.shutdown().await.unwrap();
}

// S20.4, S11.2: MCP's ping as the health probe: answered, the process is healthy; wedged (a
// tool call that keeps its only thread), the pings go unanswered, the incarnation is convicted
// and the next process answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wedged_process_fails_its_ping() {
    use supervisor::{HealthCheck, HealthStatus, Rpc};
    let ping = HealthCheck::mcp_ping()
        .interval(300 * MS)
        .timeout(150 * MS)
        .failure_threshold(2);
    let (tree, mut events) = start(
        SupervisorSpec::new("app").child(
            ChildSpec::process_rpc("tools", tool_server("tools").ready(Ready::mcp("tests")))
                .health(ping),
        ),
    )
    .await;
    until(&mut events, |e| {
        matches!(
            e.kind,
            EventKind::Health {
                status: HealthStatus::Healthy,
                ..
            }
        )
    })
    .await;
    let tools = tree.child::<Rpc>("tools").unwrap();
    let wedge = tokio::spawn({
        let tools = tools.clone();
        async move {
            let args = serde_json::json!({"name": "slow", "arguments": {"ms": 60_000}});
            tools
                .request("tools/call", args, Duration::from_secs(30))
                .await
        }
    });
    let unhealthy = until(&mut events, |e| {
        matches!(
            e.kind,
            EventKind::Health {
                status: HealthStatus::Unhealthy,
                ..
            }
        )
    })
    .await;
    let EventKind::Health {
        incarnation, cause, ..
    } = unhealthy.kind
    else {
        unreachable!()
    };
    assert_eq!(incarnation, 0);
    let cause = cause.expect("a cause");
    assert!(cause.contains("timed out"), "{cause}");
    until(&mut events, |e| {
        matches!(e.kind, EventKind::Started { incarnation: 1 })
    })
    .await;
    // The call the wedged process held ends with its exit (S14.4), and the next one answers.
    assert!(wedge.await.unwrap().is_err());
    let s = Duration::from_secs(5);
    tools
        .request("ping", serde_json::json!({}), s)
        .await
        .unwrap();
    tree.shutdown().await.unwrap();
}

// S11, S20.4: a ping fits only a JSON-RPC process: on another child the spec is refused.
#[test]
fn a_ping_on_another_child_is_refused() {
    use supervisor::{HealthCheck, HealthRule, SpecRule};
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::process("tools", Process::new("true")).health(HealthCheck::mcp_ping()));
    let error = spec.validate().unwrap_err();
    assert_eq!(error.rule, SpecRule::Health(HealthRule::AsksAnotherMailbox));
    assert_eq!(
        error.to_string(),
        "invalid spec at `app/tools`: invalid health check: the probe asks the child with messages its mailbox does not take"
    );
}

// S20.1, S20.4, S9.8: a request sent while an MCP server restarts waits in the mailbox until the
// next process is up, handshake done: a strict server, which refuses tool calls before it was
// initialized, answers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_sent_during_a_restart_waits_for_the_handshake() {
    use supervisor::Rpc;
    // The restart waits, so that the request is in the mailbox before the next process runs.
    let (tree, mut events) = start(
        SupervisorSpec::new("app").child(
            ChildSpec::process_rpc(
                "tools",
                tool_server("tools")
                    .arg("--strict")
                    .ready(Ready::mcp("tests")),
            )
            .backoff(supervisor::Backoff::fixed(300 * MS)),
        ),
    )
    .await;
    let tools = tree.child::<Rpc>("tools").unwrap();
    let s = Duration::from_secs(5);
    let echo = serde_json::json!({"name": "echo", "arguments": {"text": "hi"}});
    tools.request("tools/call", echo.clone(), s).await.unwrap();
    let crash = serde_json::json!({"name": "crash"});
    assert!(tools.request("tools/call", crash, s).await.is_err());
    // Sent as soon as the exit is known, before the next process is spawned.
    until(&mut events, |e| matches!(e.kind, EventKind::Exited { .. })).await;
    let answer = tools.request("tools/call", echo, s).await.unwrap();
    assert_eq!(answer["content"][0]["text"], "hi");
    let info = &tree.root().which_children().await.unwrap()[0];
    assert_eq!(info.incarnation, Some(1));
    tree.shutdown().await.unwrap();
}

/// The `agent_tools` example, running until a signal: its output, and the pids of its two tool
/// servers once they are up.
fn agent_tools() -> (
    std::process::Child,
    std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
    [i32; 2],
) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(example("agent_tools"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the example runs");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("up: search pid ") {
            let (search, calc) = rest.split_once(", calc pid ").unwrap();
            return (
                child,
                lines,
                [search.parse().unwrap(), calc.parse().unwrap()],
            );
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the example never said its tools were up");
}

/// Whether `pid` is a running process (a zombie is not).
fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(") ")
                .map(|(_, rest)| !rest.starts_with('Z'))
        })
        .unwrap_or(false)
}

fn signal(child: &std::process::Child, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, signal).unwrap();
}

// S20.2, S16.2, S6.1: SIGINT to a program running a tree stops it in order: the agent, then
// the tool servers in reverse start order; the program exits 0 and no server is left.
#[test]
fn sigint_stops_the_processes_in_reverse_order() {
    let (mut child, lines, pids) = agent_tools();
    assert!(pids.iter().all(|&p| running(p)));
    signal(&child, rustix::process::Signal::INT);
    let output: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}: {output:#?}");
    let stopped: Vec<&str> = (output.iter())
        .filter_map(|l| l.strip_prefix("stopped "))
        .collect();
    assert_eq!(
        stopped,
        [
            "fleet/agent",
            "fleet/tools/calc",
            "fleet/tools/search",
            "fleet/tools"
        ],
    );
    assert!(pids.iter().all(|&p| !running(p)), "no tool server left");
}

// S20.2: a program killed by SIGKILL runs no stop; its tool servers, spawned to die with it,
// are killed by the kernel.
#[test]
fn a_killed_supervisor_takes_its_processes_with_it() {
    let (mut child, _lines, pids) = agent_tools();
    signal(&child, rustix::process::Signal::KILL);
    child.wait().unwrap();
    let begun = Instant::now();
    while pids.iter().any(|&p| running(p)) {
        assert!(
            begun.elapsed() < Duration::from_secs(5),
            "the servers outlived their supervisor"
        );
        std::thread::sleep(10 * MS);
    }
}

fn tool_server_path() -> std::path::PathBuf {
    tool_server("calc").program().into()
}

supervisor::supervision_tree! {
    Tools: one_for_one(max_restarts = 5, within = 10s) {
        search: process("sh", "-c", "echo ready >&2; sleep 1000")
            [ready = line("ready"), shutdown = 2s, die_with_supervisor],
        calc: process(tool_server_path(), "--name", "calc")
            [stdio = json_rpc, ready = mcp, exit_codes = [78 => fatal], env_clear, env = [("TOOL_MODE", "test")],
             health = ping(interval = 50ms, timeout = 40ms, failure_threshold = 100)],
        echo: process("sh", "-c", "while read -r l; do echo \"got $l\"; done") [stdio = lines],
        models: pool(size = 2, route = least_loaded) {
            process(tool_server_path(), "--name", "model") [stdio = json_rpc, ready = mcp],
        },
    }
}

// S20: process children declared in the macro are the builder's: program and arguments,
// readiness, the exit-code table, JSON-RPC calls through a typed handle, a ping as the health
// probe, pictures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_macro_declares_process_children() {
    let text = supervisor::Picture::from(&Tools::TREE).text();
    assert!(text.contains("search (process)"), "{text}");
    let tree = Tools::start().await.unwrap();
    let answer = tree
        .calc
        .request(
            "tools/call",
            serde_json::json!({"name": "add", "arguments": {"a": 20, "b": 22}}),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(answer["content"][0]["text"], "42");
    assert_eq!(tree.search.state(), supervisor::ChildState::Running);
    // A pool of processes: two servers, each call answered by one of them.
    let answer = tree
        .models
        .call(
            |reply| {
                supervisor::Rpc::request("tools/call", serde_json::json!({"name": "pid"}), reply)
            },
            Duration::from_secs(5),
        )
        .await
        .unwrap()
        .unwrap();
    let pid: u32 = answer["content"][0]["text"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let slots = tree
        .root()
        .supervisor("models")
        .unwrap()
        .which_children()
        .await
        .unwrap();
    assert_eq!(slots.len(), 2);
    assert!(
        slots
            .iter()
            .any(|s| s.process.as_ref().unwrap().pid == Some(pid)),
        "{pid}"
    );
    let echo = tree
        .echo
        .call_line("hi", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(echo, "got hi");
    // `health = ping(..)`: the process answers MCP's ping, so its health turns healthy.
    let begun = Instant::now();
    while tree.root().which_children().await.unwrap()[1].health != supervisor::HealthStatus::Healthy
    {
        assert!(
            begun.elapsed() < Duration::from_secs(10),
            "never pinged healthy"
        );
        tokio::time::sleep(5 * MS).await;
    }
    let live = tree.root().picture().await.text();
    assert!(live.contains("search (process: sh …)"), "{live}");
    tree.shutdown().await.unwrap();
}
