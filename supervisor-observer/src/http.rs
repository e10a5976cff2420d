//! The page's HTTP side: the embedded files, the snapshot, the stream of batches, and the
//! guarded actions.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use supervisor_runtime::ManagementError;

use crate::hub::{Batch, Hub};
use crate::Settings;

const INDEX: &str = include_str!("../assets/index.html");
const SCRIPT: &str = include_str!("../assets/app.js");
const STYLE: &str = include_str!("../assets/app.css");

/// The most an action's body may hold.
const BODY_LIMIT: usize = 4 * 1024;

/// The kernel's send buffer of each connection: what a page that stops reading can hold there,
/// beside the batches the stream keeps for it. Linux's default grows to megabytes.
const SEND_BUFFER: usize = 64 * 1024;

/// Nothing from elsewhere, no inline script or style, no framing, no form posts.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

#[derive(Clone)]
struct App {
    hub: Arc<Hub>,
    settings: Arc<Settings>,
    token: Option<Arc<str>>,
    port: u16,
}

/// Serves the page on `listener` until the hub is stopped; a connection still open a second
/// later is cut.
pub(crate) fn serve(
    listener: tokio::net::TcpListener,
    hub: Arc<Hub>,
    settings: Settings,
    token: Option<String>,
) -> tokio::task::JoinHandle<()> {
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let app = App {
        hub: Arc::clone(&hub),
        settings: Arc::new(settings),
        token: token.map(Arc::from),
        port,
    };
    let router = Router::new()
        .route("/", get(index))
        .route("/app.js", get(script))
        .route("/app.css", get(style))
        .route("/api/snapshot", get(snapshot))
        .route("/api/diagram.svg", get(diagram))
        .route("/api/events", get(events))
        .route("/api/actions", post(action))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app);
    let stopped = hub.stopped.clone();
    let listener = listener.tap_io(|tcp| {
        // Best effort: without it a slow page holds more in the kernel, nothing worse.
        let _ = socket2::SockRef::from(&*tcp).set_send_buffer_size(SEND_BUFFER);
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(listener, service)
            .with_graceful_shutdown(stopped.clone().cancelled_owned());
        let cut = async {
            stopped.cancelled().await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        tokio::select! {
            result = served => {
                if let Err(e) = result {
                    tracing::warn!(error = %e, "the observer's server ended");
                }
            }
            () = cut => {}
        }
    })
}

/// Checks every request's `Host` (DNS rebinding) and, on a stream or an action, its `Origin`;
/// adds the security headers to every response.
async fn guard(State(app): State<App>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if !host.is_some_and(|h| host_allowed(h, &app)) {
        return refuse(StatusCode::FORBIDDEN, "this host name is not served here");
    }
    let checks_origin = request.method() == Method::POST || request.uri().path() == "/api/events";
    if checks_origin {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let same = origin
                .to_str()
                .ok()
                .is_some_and(|o| origin_allowed(o, &app));
            if !same {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "requests from other sites are refused",
                );
            }
        }
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    (status, why).into_response()
}

/// The host of a `Host` header or an origin, without its port, lower-cased; with the port.
fn split_host(authority: &str) -> (String, Option<u16>) {
    let authority = authority.trim();
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        // [::1]:8080
        match rest.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':')),
            None => (rest, None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            _ => (authority, None),
        }
    };
    (host.to_ascii_lowercase(), port.and_then(|p| p.parse().ok()))
}

fn name_allowed(host: &str, app: &App) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
        || app.settings.hosts.iter().any(|h| h == host)
        || (!app.settings.addr.ip().is_unspecified() && app.settings.addr.ip().to_string() == host)
}

fn host_allowed(value: &str, app: &App) -> bool {
    let (host, port) = split_host(value);
    name_allowed(&host, app) && port.is_none_or(|p| p == app.port)
}

/// An origin is this page's own: `http://` an allowed host and this port.
fn origin_allowed(origin: &str, app: &App) -> bool {
    let Some(authority) = origin.strip_prefix("http://") else {
        return false;
    };
    let (host, port) = split_host(authority);
    name_allowed(&host, app) && port == Some(app.port)
}

async fn index() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX)
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
}

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}

async fn snapshot(State(app): State<App>) -> impl IntoResponse {
    let (id, json) = app.hub.snapshot();
    let mut response = ([(header::CONTENT_TYPE, "application/json")], json).into_response();
    if let Ok(id) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert("x-batch-id", id);
    }
    response
}

async fn diagram(State(app): State<App>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        app.hub.diagram().to_string(),
    )
}

/// Counts an open stream for as long as it lives.
struct Viewer(Arc<Hub>);

impl Drop for Viewer {
    fn drop(&mut self) {
        self.0.viewer_closed();
    }
}

/// What one page's stream holds: what it still has to send, and the batches' receiver.
struct Stream1 {
    hub: Arc<Hub>,
    rx: tokio::sync::broadcast::Receiver<Arc<Batch>>,
    pending: VecDeque<SseEvent>,
    /// The last batch id sent (or included in a snapshot sent).
    last: u64,
    _viewer: Viewer,
}

fn batch_event(batch: &Batch) -> SseEvent {
    SseEvent::default()
        .id(batch.id.to_string())
        .event("batch")
        .data(&batch.json)
}

fn snapshot_event(hub: &Hub) -> (u64, SseEvent) {
    let (id, json) = hub.snapshot();
    let event = SseEvent::default()
        .id(id.to_string())
        .event("snapshot")
        .data(json);
    (id, event)
}

/// The stream of batches: the batches after `Last-Event-ID` when they are all still kept,
/// else a snapshot; then each batch as it is made. A page that falls behind by more than the
/// buffer gets a snapshot instead of what it missed (S21.3).
async fn events(State(app): State<App>, headers: HeaderMap) -> Response {
    let hub = Arc::clone(&app.hub);
    if hub.viewers.load(Ordering::SeqCst) >= app.settings.max_viewers {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "too many pages open");
    }
    // The page's first picture comes from a walk made for it: the model is not kept up to
    // date while no page is open.
    let mut walked = hub.walked.subscribe();
    let seen = *walked.borrow_and_update();
    hub.viewer_opened();
    let viewer = Viewer(Arc::clone(&hub));
    let _ = tokio::time::timeout(Duration::from_secs(2), walked.wait_for(|n| *n > seen)).await;
    // Subscribed before the snapshot is taken: a batch made meanwhile is in one or the other,
    // and one in both is skipped by its id.
    let rx = hub.batches.subscribe();
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut pending = VecDeque::new();
    let last = match resume.and_then(|id| hub.since(id).map(|b| (id, b))) {
        Some((id, batches)) => {
            let mut last = id;
            for b in batches {
                last = b.id;
                pending.push_back(batch_event(&b));
            }
            last
        }
        None => {
            let (id, event) = snapshot_event(&hub);
            pending.push_back(event);
            id
        }
    };
    let state = Stream1 {
        hub,
        rx,
        pending,
        last,
        _viewer: viewer,
    };
    Sse::new(stream_of(state))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn stream_of(state: Stream1) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    stream::unfold(state, |mut s| async move {
        loop {
            if let Some(event) = s.pending.pop_front() {
                return Some((Ok(event), s));
            }
            let stopped = s.hub.stopped.clone();
            let got = tokio::select! {
                biased;
                got = s.rx.recv() => got,
                () = stopped.cancelled() => return None,
            };
            match got {
                Ok(batch) if batch.id <= s.last => {}
                Ok(batch) => {
                    s.last = batch.id;
                    return Some((Ok(batch_event(&batch)), s));
                }
                Err(RecvError::Lagged(n)) => {
                    s.hub.skipped.fetch_add(n, Ordering::Relaxed);
                    s.hub.resyncs.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(missed = n, "a slow page is resynced");
                    let (id, event) = snapshot_event(&s.hub);
                    s.last = id;
                    return Some((Ok(event), s));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

/// `restart`, `terminate` or `delete` a node, with the token; 405 when actions are disabled.
async fn action(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(token) = &app.token else {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, "actions are disabled");
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
        return refuse(StatusCode::UNAUTHORIZED, "an action needs the page's token");
    }
    let Ok(request) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "the body is not JSON");
    };
    let field = |name: &str| request.get(name).and_then(|v| v.as_str()).unwrap_or("");
    let (verb, path) = (field("action"), field("path"));
    let reason: String = field("reason").chars().take(200).collect();
    if !matches!(
        verb,
        "restart" | "terminate" | "delete" | "pause" | "resume"
    ) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the action is restart, terminate, delete, pause or resume",
        );
    }
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(80)
        .collect::<String>();
    tracing::warn!(action = verb, path, %peer, agent, reason, "an action from the observer's page");
    app.hub.note(
        path,
        "action",
        format!(
            "{verb} requested from {peer}: {}",
            if reason.is_empty() {
                "no reason given"
            } else {
                &reason
            }
        ),
    );
    match act(&app, verb, path).await {
        Ok(()) => (StatusCode::OK, "done").into_response(),
        Err((status, why)) => {
            app.hub
                .note(path, "action", format!("{verb} refused: {why}"));
            (status, why).into_response()
        }
    }
}

async fn act(app: &App, verb: &str, path: &str) -> Result<(), (StatusCode, String)> {
    let root = &app.hub.root;
    let not_found = || (StatusCode::NOT_FOUND, format!("no node {path}"));
    let rel = path
        .strip_prefix(root.path())
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(not_found)?;
    let (sup, id) = match rel.rsplit_once('/') {
        Some((parent, id)) => (root.supervisor(parent).map_err(|_| not_found())?, id),
        None => (root.clone(), rel),
    };
    let conflict = |e: supervisor_runtime::ManagementError| {
        let status = match e {
            ManagementError::NotFound(_) | ManagementError::Gone { .. } => StatusCode::NOT_FOUND,
            _ => StatusCode::CONFLICT,
        };
        (status, e.to_string())
    };
    match verb {
        "terminate" => sup.terminate_child(id).await.map_err(conflict),
        "delete" => sup.delete_child(id).await.map_err(conflict),
        "pause" => sup.pause_child(id).await.map_err(conflict),
        "resume" => sup.resume_child(id).await.map_err(conflict),
        _ => {
            // Restarting a running child is stopping it and starting it again.
            let running = sup
                .which_children()
                .await
                .map_err(conflict)?
                .iter()
                .any(|c| &*c.id == id && c.state == supervisor_runtime::ChildState::Running);
            if running {
                sup.terminate_child(id).await.map_err(conflict)?;
            }
            sup.restart_child(id).await.map_err(conflict)
        }
    }
}

/// Whether two byte strings are equal, in time that depends on their length only.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_split_with_and_without_ports() {
        assert_eq!(
            split_host("localhost:8080"),
            ("localhost".into(), Some(8080))
        );
        assert_eq!(split_host("[::1]:9"), ("::1".into(), Some(9)));
        assert_eq!(split_host("[::1]"), ("::1".into(), None));
        assert_eq!(split_host("Example.COM"), ("example.com".into(), None));
    }

    #[test]
    fn tokens_compare_by_content() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
    }
}
