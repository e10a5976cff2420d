//! The observer's page over real HTTP on 127.0.0.1, without a browser (S21): hosts and origins
//! of other sites refused, actions disabled by default, the token required and checked, the
//! stream resumed by `Last-Event-ID`, and a page that does not read resynced with bounded
//! memory.
//!
//! On a multi-thread runtime with the real clock (real sockets); every wait is for a line of
//! the stream or an answer, bounded by a timeout that only a failure reaches.

use std::net::SocketAddr;
use std::time::Duration;

use supervisor::observer::{Page, Serving};
use supervisor::{
    supervision_tree, ChildContext, ChildSpec, ChildState, Strategy, Supervisor, SupervisorSpec,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

async fn idle(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

/// Fails when told to.
async fn crashy(mut ctx: ChildContext<&'static str>) -> Result<(), String> {
    match ctx.recv().await {
        Some(why) => Err(why.to_owned()),
        None => Ok(()),
    }
}

supervision_tree! {
    App: one_for_one(max_restarts = 1000, within = 1s) {
        db: worker(idle),
        crashy: worker(crashy) [mailbox = &'static str],
    }
}

/// One request over a fresh connection: the status and the body.
async fn request(addr: SocketAddr, head: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .expect("an answer")
    .expect("receive");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not HTTP: {response:?}"));
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_owned())
}

fn get(addr: SocketAddr, path: &str, headers: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {addr}{headers}")
}

fn action(addr: SocketAddr, headers: &str) -> String {
    format!("POST /api/actions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json{headers}")
}

/// Reads SSE messages: `(event, id, data)` each.
struct Sse {
    lines: tokio::io::Lines<BufReader<TcpStream>>,
}

impl Sse {
    async fn open(addr: SocketAddr, headers: &str) -> Sse {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let head = format!("GET /api/events HTTP/1.1\r\nHost: {addr}{headers}\r\nAccept: text/event-stream\r\n\r\n");
        stream.write_all(head.as_bytes()).await.expect("send");
        let mut lines = BufReader::new(stream).lines();
        // The response's head, up to its blank line.
        loop {
            let line = lines.next_line().await.expect("head").expect("a head");
            if line.is_empty() {
                break;
            }
        }
        Sse { lines }
    }

    /// The next message, skipping comments (keep-alives) and chunk sizes.
    async fn next(&mut self) -> (String, u64, String) {
        let read = async {
            let (mut event, mut id, mut data) = (String::new(), 0, String::new());
            loop {
                let line = self.lines.next_line().await.expect("read").expect("open");
                if std::env::var_os("SSE_DEBUG").is_some() {
                    eprintln!("sse: {}", &line[..line.len().min(200)]);
                }
                if let Some(v) = line.strip_prefix("event: ") {
                    event = v.to_owned();
                } else if let Some(v) = line.strip_prefix("id: ") {
                    id = v.parse().expect("a numeric id");
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data.push_str(v);
                } else if line.is_empty() && !event.is_empty() {
                    return (event, id, data);
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(20), read)
            .await
            .expect("a message")
    }
}

async fn serve(page: Page) -> (app::Handle, Serving) {
    let tree = App::start().await.expect("start");
    let serving = page.serve(tree.handle()).await.expect("serve");
    (tree, serving)
}

// S21.2: the page answers only requests naming a loopback host (DNS rebinding), and refuses a
// stream or an action asked for by another site.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_hosts_and_origins_are_refused() {
    let (tree, page) = serve(Page::new().actions(true)).await;
    let addr = page.addr();
    assert!(addr.ip().is_loopback(), "{addr}");
    let (status, body) = request(addr, &get(addr, "/", ""), "").await;
    assert_eq!(status, 200);
    assert!(body.contains("<script src=\"/app.js\""), "{body}");
    let localhost = format!("GET / HTTP/1.1\r\nHost: localhost:{}", addr.port());
    assert_eq!(request(addr, &localhost, "").await.0, 200);

    let rebound = "GET /api/snapshot HTTP/1.1\r\nHost: attacker.example";
    assert_eq!(request(addr, rebound, "").await.0, 403);
    let other_port = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{}", addr.port() ^ 1);
    assert_eq!(request(addr, &other_port, "").await.0, 403);

    let foreign = "\r\nOrigin: http://attacker.example";
    assert_eq!(
        request(addr, &get(addr, "/api/events", foreign), "")
            .await
            .0,
        403
    );
    let bearer = format!("\r\nAuthorization: Bearer {}", page.token().unwrap());
    let body = r#"{"action":"terminate","path":"app/db"}"#;
    let (status, _) = request(addr, &action(addr, &format!("{bearer}{foreign}")), body).await;
    assert_eq!(status, 403);
    // Another port of this host is another site too.
    let sibling = format!("\r\nOrigin: http://127.0.0.1:{}", addr.port() ^ 1);
    let (status, _) = request(addr, &action(addr, &format!("{bearer}{sibling}")), body).await;
    assert_eq!(status, 403);
    assert_eq!(tree.db.state(), ChildState::Running, "nothing was done");

    // The page's own headers: a strict policy and no CORS.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!("{}\r\nConnection: close\r\n\r\n", get(addr, "/", ""));
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let response = response.to_ascii_lowercase();
    assert!(response.contains("content-security-policy: default-src 'none'; script-src 'self'"));
    assert!(!response.contains("access-control-allow-origin"));
    tree.shutdown().await.unwrap();
}

// S21.2: read-only by default (405); with actions, no token or a wrong one is 401, the token
// works, and the action is in the timeline with its origin and reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_need_to_be_enabled_and_need_the_token() {
    let (tree, page) = serve(Page::new()).await;
    let addr = page.addr();
    assert_eq!(page.token(), None);
    assert!(!page.url().contains('#'), "{}", page.url());
    let body = r#"{"action":"terminate","path":"app/db"}"#;
    assert_eq!(request(addr, &action(addr, ""), body).await.0, 405);
    tree.shutdown().await.unwrap();

    let (tree, page) = serve(Page::new().actions(true)).await;
    let addr = page.addr();
    let token = page.token().expect("a token").to_owned();
    assert_eq!(token.len(), 32);
    assert!(
        page.url().ends_with(&format!("/#token={token}")),
        "{}",
        page.url()
    );
    assert_eq!(request(addr, &action(addr, ""), body).await.0, 401);
    let wrong = format!("\r\nAuthorization: Bearer {}", "0".repeat(32));
    assert_eq!(request(addr, &action(addr, &wrong), body).await.0, 401);
    assert_eq!(tree.db.state(), ChildState::Running);

    let origin = format!("\r\nOrigin: http://127.0.0.1:{}", addr.port());
    let right = format!("\r\nAuthorization: Bearer {token}{origin}");
    let body = r#"{"action":"terminate","path":"app/db","reason":"draining the node"}"#;
    let (status, answer) = request(addr, &action(addr, &right), body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(tree.db.state(), ChildState::Stopped);
    let restart = r#"{"action":"restart","path":"app/db"}"#;
    assert_eq!(request(addr, &action(addr, &right), restart).await.0, 200);
    assert_eq!(tree.db.state(), ChildState::Running);
    // S18.3: pause and resume.
    let pause = r#"{"action":"pause","path":"app/db"}"#;
    assert_eq!(request(addr, &action(addr, &right), pause).await.0, 200);
    assert_eq!(tree.db.state(), ChildState::Paused);
    let resume = r#"{"action":"resume","path":"app/db"}"#;
    assert_eq!(request(addr, &action(addr, &right), resume).await.0, 200);
    assert_eq!(tree.db.state(), ChildState::Running);
    assert_eq!(
        request(addr, &action(addr, &right), resume).await.0,
        409,
        "not held"
    );
    let unknown = r#"{"action":"restart","path":"app/nope"}"#;
    assert_eq!(request(addr, &action(addr, &right), unknown).await.0, 404);
    let bad = r#"{"action":"explode","path":"app/db"}"#;
    assert_eq!(request(addr, &action(addr, &right), bad).await.0, 400);
    let huge = format!(
        r#"{{"action":"restart","path":"app/db","reason":"{}"}}"#,
        "x".repeat(8192)
    );
    assert_eq!(request(addr, &action(addr, &right), &huge).await.0, 413);

    let (_, snapshot) = request(addr, &get(addr, "/api/snapshot", ""), "").await;
    let expected = "terminate requested from 127.0.0.1:";
    assert!(snapshot.contains(expected), "{snapshot}");
    assert!(snapshot.contains("draining the node"), "{snapshot}");
    tree.shutdown().await.unwrap();
}

// S21.1, S19: with no page open the observer follows no events (it costs the tree nothing);
// a page opened later finds what happened meanwhile, from the children's own records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_opened_later_finds_what_happened_before() {
    let (tree, page) = serve(Page::new()).await;
    tree.crashy.send("the first failure").await.unwrap();
    tree.crashy.send("the second failure").await.unwrap();
    // Both failures are over once the third incarnation is up.
    while tree.crashy.incarnation() != Some(2) || tree.crashy.state() != ChildState::Running {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut sse = Sse::open(page.addr(), "").await;
    let (event, _, data) = sse.next().await;
    assert_eq!(event, "snapshot");
    let timeline = &data[data.find("\"timeline\"").expect("a timeline")..];
    let first = timeline
        .find("the first failure")
        .expect("the first failure recalled");
    let second = timeline
        .find("the second failure")
        .expect("the second failure recalled");
    assert!(first < second, "in order: {timeline}");
    assert!(timeline.contains("\"kind\":\"recalled\""), "{timeline}");
    tree.shutdown().await.unwrap();
}

// S21.1: the redaction hook rewrites every exit reason the page shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_reasons_are_redacted() {
    let page = Page::new()
        .redact(|text| text.replace("hunter2", "[redacted]"))
        .pace(Duration::from_millis(10), Duration::from_millis(100));
    let (tree, page) = serve(page).await;
    let addr = page.addr();
    let mut sse = Sse::open(addr, "").await;
    tree.crashy
        .send("login failed for password hunter2")
        .await
        .unwrap();
    loop {
        let (_, _, data) = sse.next().await;
        assert!(!data.contains("hunter2"), "{data}");
        if data.contains("login failed for password [redacted]") {
            break;
        }
    }
    let (_, snapshot) = request(addr, &get(addr, "/api/snapshot", ""), "").await;
    assert!(!snapshot.contains("hunter2") && snapshot.contains("[redacted]"));
    tree.shutdown().await.unwrap();
}

// S21.3: a page that reconnects with `Last-Event-ID` gets the batches it missed, not a
// snapshot; one whose id is older than what is kept gets a snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnecting_page_resumes_from_its_last_event() {
    let page = Page::new()
        .stream_buffer(8)
        .pace(Duration::from_millis(20), Duration::from_millis(200));
    let (tree, page) = serve(page).await;
    let addr = page.addr();
    let mut first = Sse::open(addr, "").await;
    let (event, seen, data) = first.next().await;
    assert_eq!(event, "snapshot");
    assert!(data.contains("\"path\":\"app/crashy\""), "{data}");
    drop(first);

    // Something happens while the page is away: one crash, a few batches.
    tree.crashy.send("first crash").await.unwrap();
    let mut watcher = Sse::open(addr, "").await;
    loop {
        let (_, _, data) = watcher.next().await;
        if data.contains("first crash") {
            break;
        }
    }
    let mut resumed = Sse::open(addr, &format!("\r\nLast-Event-ID: {seen}")).await;
    let (event, id, data) = resumed.next().await;
    assert_eq!((event.as_str(), id), ("batch", seen + 1));
    let mut missed = data;
    let mut id = id;
    while !missed.contains("first crash") {
        let (event, next, data) = resumed.next().await;
        assert_eq!(
            (event.as_str(), next),
            ("batch", id + 1),
            "in order, none skipped"
        );
        id = next;
        missed += &data;
    }

    // Enough batches that the first is no longer kept: a snapshot.
    for n in 0..12 {
        tree.crashy
            .send(if n % 2 == 0 { "again" } else { "and again" })
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    let mut late = Sse::open(addr, &format!("\r\nLast-Event-ID: {seen}")).await;
    assert_eq!(late.next().await.0, "snapshot");
    tree.shutdown().await.unwrap();
}

// S21.3: a page that stops reading never slows the tree and is never buffered without bound:
// what it cannot keep up with is dropped for it and counted, and it is sent a snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_page_is_resynced_with_bounded_memory() {
    // 200 children restarting together: big batches, made fast.
    let mut spec = SupervisorSpec::new("busy")
        .strategy(Strategy::OneForAll)
        .intensity(u32::MAX, Duration::from_secs(1))
        .child(ChildSpec::with_mailbox("trigger", crashy));
    for n in 0..200 {
        spec = spec.child(ChildSpec::worker(format!("c{n}"), idle));
    }
    let tree = Supervisor::start(spec).await.expect("start");
    let trigger = tree.root().child::<&'static str>("trigger").unwrap();
    let page = Page::new()
        .stream_buffer(4)
        .pace(Duration::from_millis(5), Duration::from_millis(50))
        .serve(&tree)
        .await
        .expect("serve");
    let addr = page.addr();
    // A page that reads nothing, over a socket with a small receive buffer.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    let head = format!("GET /api/events HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut sse = Sse {
        lines: BufReader::new(stream).lines(),
    };
    // The tree goes on at its pace while the page sleeps: 300 crashes, each restarting all
    // 201 children, each in batches of its own (over 100 KB each), far more than the page's 4
    // batches and its sockets' buffers hold.
    let crashes = async {
        for _ in 0..300 {
            trigger
                .send("crash")
                .await
                .expect("the trigger takes messages");
            tokio::time::sleep(Duration::from_millis(6)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(120), crashes)
        .await
        .expect("the tree was never slowed by the page");
    // Reading again: after what the sockets held, a snapshot puts the page right, and what
    // it missed is counted.
    let mut snapshots = 0;
    while snapshots < 2 {
        let (event, _, _) = sse.next().await;
        if event == "snapshot" {
            snapshots += 1;
        }
    }
    assert!(
        page.dropped() > 0,
        "the batches the page missed are counted"
    );
    tree.shutdown().await.unwrap();
}

// S21, S20: a process child's row has its pid, its command (arguments hidden) and the tail of
// its stderr, redacted like every text.
#[cfg(all(feature = "process", target_os = "linux"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_row_shows_pid_command_and_stderr() {
    use supervisor::{ChildSpec, Process, Supervisor, SupervisorSpec};
    let spec = SupervisorSpec::new("app").child(ChildSpec::process(
        "tool",
        Process::new("sh").args([
            "-c",
            "echo 'token hunter2 rejected' >&2; echo 'listening' >&2; sleep 1000",
        ]),
    ));
    let tree = Supervisor::start(spec).await.unwrap();
    let page = Page::new()
        .redact(|text| text.replace("hunter2", "[redacted]"))
        .serve(&tree)
        .await
        .unwrap();
    let pid = loop {
        let info = &tree.root().which_children().await.unwrap()[0];
        let process = info.process.as_ref().expect("a process");
        if process.stderr_tail.len() == 2 {
            break process.pid.expect("a pid");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let mut sse = Sse::open(page.addr(), "").await;
    let (event, _, data) = sse.next().await;
    assert_eq!(event, "snapshot");
    assert!(data.contains(&format!("\"pid\":{pid}")), "{data}");
    assert!(data.contains("\"command\":\"sh …\""), "{data}");
    assert!(
        data.contains("\"stderr\":[\"token [redacted] rejected\",\"listening\"]"),
        "{data}"
    );
    assert!(data.contains("\"kind\":\"process\""), "{data}");
    tree.shutdown().await.unwrap();
}
