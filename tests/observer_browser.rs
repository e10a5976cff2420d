//! The observer's page in a real browser (S21): Debian's chromium, headless, driven through
//! chromedriver. The page shows the outline and the diagram; a crash changes the child's row,
//! its box and the timeline without a reload (the time from the crash to the row's change is
//! printed); an action without the token is refused and one with it works. It saves a
//! screenshot (`target/observer.png`; `UPDATE_GOLDEN=1` writes `docs/observer.png`, which the
//! README shows).
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (`apt-get install chromium
//! chromium-driver`, which `.ci/run` does): without them the test fails, saying so. Real time:
//! a browser has no paused clock; every wait is for a condition, bounded by a timeout.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use supervisor::observer::Page;
use supervisor::{supervision_tree, ChildContext, ChildState, Health, ProbeContext};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

async fn idle(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn slot(ctx: ChildContext<String>, _n: usize) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

/// Fails with the message it is sent.
async fn crashy(mut ctx: ChildContext<String>) -> Result<(), String> {
    match ctx.recv().await {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

async fn healthy(_p: ProbeContext) -> Health {
    Health::Healthy
}

async fn session(ctx: ChildContext, _user: u32) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    /// A service to watch.
    Shop: one_for_one(max_restarts = 100, within = 10s) {
        db: pool(size = 2) {
            worker(slot) [mailbox = String, health = probe(healthy, interval = 1s, timeout = 500ms)]
        },
        orders: rest_for_one {
            queue: worker(idle),
            payments: worker(crashy) [mailbox = String, backoff = fixed(300ms)],
        },
        mailer: worker(idle) [depends_on = smtp],
        sessions: dynamic {
            worker(session) [args = u32, restart = temporary]
        },
    }
    breakers {
        smtp: breaker(failure_threshold = 3, reset_timeout = 5s),
    }
}

/// chromedriver on a free loopback port, killed with the test.
struct Driver {
    child: std::process::Child,
    port: u16,
}

impl Driver {
    async fn start() -> Driver {
        for (what, path) in [("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)] {
            assert!(
                std::path::Path::new(path).exists(),
                "the browser test needs {what} at {path}: apt-get install chromium chromium-driver"
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        // Ready when its port answers.
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Driver { child, port }
    }

    async fn browser(&self, profile: &std::path::Path) -> Client {
        // The flags a closed network needs: nothing may call home.
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1400,1000".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a browser session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Evaluates `script` (a function body) in the page.
async fn eval(client: &Client, script: &str) -> Value {
    client
        .execute(script, vec![])
        .await
        .expect("the script runs")
}

/// Waits until `script` returns true, every 10 ms; fails after `limit`.
async fn until(client: &Client, script: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if eval(client, script).await == Value::Bool(true) {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "never true: {script}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn cell(path: &str, class: &str) -> String {
    format!("const r = document.querySelector('tr[data-path=\"{path}\"] td.{class}'); return r ? r.textContent : null;")
}

// S21.1, S21.2: the page in a browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_follows_the_tree_in_a_browser() {
    let driver = Driver::start().await;
    let profile = std::env::temp_dir().join(format!("supervisor-observer-{}", std::process::id()));
    let client = driver.browser(&profile).await;

    let tree = Shop::start().await.expect("start");
    tree.sessions.start_child(7).await.unwrap();
    let page = Page::new()
        .actions(true)
        .serve(tree.handle())
        .await
        .expect("serve");
    client.goto(page.url()).await.expect("the page loads");
    let ten = Duration::from_secs(10);

    // The outline: one row per node, in start order.
    until(
        &client,
        "return document.querySelector('tr[data-path=\"shop/orders/payments\"]') !== null",
        ten,
    )
    .await;
    let paths = eval(
        &client,
        "return [...document.querySelectorAll('#outline tbody tr')].map(r => r.dataset.path)",
    )
    .await;
    let paths: Vec<&str> = paths
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for expected in [
        "shop",
        "shop/db",
        "shop/db/0",
        "shop/db/1",
        "shop/orders",
        "shop/orders/queue",
        "shop/orders/payments",
        "shop/mailer",
        "shop/sessions",
        "shop/sessions/0",
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} missing from {paths:?}"
        );
    }
    let before =
        |a: &str, b: &str| paths.iter().position(|p| *p == a) < paths.iter().position(|p| *p == b);
    assert!(before("shop/db", "shop/orders") && before("shop/orders/payments", "shop/mailer"));
    assert_eq!(
        eval(&client, &cell("shop/orders/payments", "state")).await,
        json!("running")
    );
    assert_eq!(
        eval(&client, &cell("shop/orders/payments", "mailbox")).await,
        json!("0/1024")
    );
    // The token left the address bar.
    assert_eq!(eval(&client, "return location.hash").await, json!(""));

    // The diagram: a box per node, coloured by state; the breaker drawn.
    until(&client, "const g = document.querySelector('#diagram g.node[data-path=\"shop/orders/payments\"]'); return g !== null && g.classList.contains('running')", ten).await;
    let boxes = eval(
        &client,
        "return document.querySelectorAll('#diagram g.node').length",
    )
    .await;
    assert!(
        boxes.as_u64().unwrap() >= paths.len() as u64,
        "{boxes} boxes"
    );
    assert_eq!(
        eval(
            &client,
            "return document.querySelector('#diagram svg').textContent.includes('smtp')"
        )
        .await,
        json!(true)
    );

    // A crash: the row, the box and the timeline change, without a reload.
    eval(&client, "window.sameDocument = 'yes'; return null").await;
    let crashed = Instant::now();
    tree.orders
        .payments
        .send("card processor unreachable".into())
        .await
        .unwrap();
    let script = "const r = document.querySelector('tr[data-path=\"shop/orders/payments\"] td.restarts'); return r !== null && r.textContent === '1'";
    until(&client, script, ten).await;
    let latency = crashed.elapsed();
    println!("from a crash to its row's change in the browser: {latency:?}");
    let exit = eval(&client, &cell("shop/orders/payments", "exit")).await;
    assert!(
        exit.as_str()
            .unwrap()
            .contains("card processor unreachable"),
        "{exit}"
    );
    until(&client, "return [...document.querySelectorAll('#timeline li')].some(li => li.dataset.path === 'shop/orders/payments' && li.dataset.kind === 'exited')", ten).await;
    assert_eq!(
        eval(&client, "return window.sameDocument").await,
        json!("yes"),
        "no reload"
    );
    until(&client, "const g = document.querySelector('#diagram g.node[data-path=\"shop/orders/payments\"]'); return g !== null && g.classList.contains('running')", ten).await;

    // The node panel: its crash context and error chain.
    client
        .find(Locator::Css(
            "tr[data-path=\"shop/orders/payments\"] td.name",
        ))
        .await
        .expect("the row")
        .click()
        .await
        .expect("a click");
    until(&client, "return !document.getElementById('panel').hidden && document.getElementById('panel-chain').textContent.includes('card processor unreachable')", ten).await;
    let context = eval(
        &client,
        "return document.getElementById('panel-context').textContent",
    )
    .await;
    assert!(context.as_str().unwrap().contains("exited"), "{context}");

    // An action without the token is refused; with it, it is done.
    let post = |auth: bool| {
        format!(
            "const done = arguments[arguments.length - 1];
             const headers = {{ 'content-type': 'application/json' }};
             if ({auth}) headers.authorization = 'Bearer ' + sessionStorage.getItem('supervisor-token');
             fetch('/api/actions', {{ method: 'POST', headers,
               body: JSON.stringify({{ action: 'terminate', path: 'shop/mailer', reason: 'browser test' }}) }})
               .then(r => done(r.status), e => done(String(e)));"
        )
    };
    let refused = client.execute_async(&post(false), vec![]).await.unwrap();
    assert_eq!(refused, json!(401));
    assert_eq!(tree.mailer.state(), ChildState::Running);
    let done = client.execute_async(&post(true), vec![]).await.unwrap();
    assert_eq!(done, json!(200));
    assert_eq!(tree.mailer.state(), ChildState::Stopped);
    let stopped = "const r = document.querySelector('tr[data-path=\"shop/mailer\"] td.state'); return r !== null && r.textContent === 'stopped'";
    until(&client, stopped, ten).await;

    // The picture for the README.
    client
        .find(Locator::Css(
            "tr[data-path=\"shop/orders/payments\"] td.name",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let png = client.screenshot().await.expect("a screenshot");
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/observer.png");
    std::fs::write(&target, &png).expect("saved");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/observer.png");
        std::fs::write(docs, &png).expect("saved");
    }
    client.close().await.expect("the browser closes");
    page.stop().await;
    tree.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(profile);
    assert!(latency < ten);
}
