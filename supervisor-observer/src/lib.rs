//! A live page of a running supervision tree (S21), served from the tree's own process.
//!
//! The page draws the tree as its pictures do and recolours it as events arrive; beside it an
//! outline with one row per node (state, incarnation, restarts, the intensity in use, the time
//! left before a restart, health, phi, the breaker waited for, mailbox depth, last exit), a
//! panel with a node's policies, restart ticks, crash context and error chain, the event
//! timeline, the breakers, and a stop in progress with the time left before each kill.
//! Everything it needs is served by the process: no CDN, no web font, no framework.
//!
//! ```no_run
//! use supervisor::observer::Page;
//! use supervisor::{supervision_tree, ChildContext};
//!
//! async fn db(ctx: ChildContext) -> Result<(), String> {
//!     ctx.cancelled().await;
//!     Ok(())
//! }
//!
//! supervision_tree! {
//!     App: one_for_one { db: worker(db) }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let tree = App::start().await?;
//! let page = Page::new().serve(tree.handle()).await?;
//! println!("watch it on {}", page.url());
//! # Ok(())
//! # }
//! ```
//!
//! # Safe by default
//!
//! - It binds `127.0.0.1` on a port the system picks; another address is logged as a warning.
//! - Requests must name a loopback host (`localhost`, `127.0.0.1`, `[::1]`) or one allowed
//!   with [`Page::allow_host`] (a page of another site cannot reach it by DNS rebinding), and
//!   a stream or an action whose `Origin` is another site's is refused (403).
//! - It is read-only unless [`Page::actions`] enables actions (restart, terminate, delete a
//!   child; 405 otherwise). Each then needs the token made at start-up, which
//!   [`Serving::url`] carries in its fragment (never sent to the server by a browser, never
//!   logged) and the page sends as a bearer header (401 without it); it is compared in
//!   constant time. Every action is an entry of the timeline and a log line naming its origin
//!   and reason.
//! - A strict Content-Security-Policy (no inline script or style, nothing from elsewhere), no
//!   CORS, and bounds on viewers, history, stream buffers and request bodies.
//!
//! # Cost
//!
//! With no page open, nothing: the tree's events are not followed. The first page to open
//! subscribes, walks the tree, and recalls what happened meanwhile from the children's own
//! records (their crash contexts, S19). While a page is open, one subscriber keeps the model,
//! which no page calls into: pages read numbered batches of changes (every 100 ms at most)
//! over server-sent events, and the tree is walked once a second for what events do not
//! carry (mailbox depths, intensities, readiness). A page that cannot keep up is sent a fresh
//! snapshot rather than a backlog (S21.3).
#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]

mod http;
mod hub;
mod model;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use supervisor_runtime::SupervisorHandle;

/// What rewrites each exit reason, cause and message label before the page shows it.
pub(crate) type Redact = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// The settings [`Page`] gathers.
#[derive(Clone)]
pub(crate) struct Settings {
    pub addr: SocketAddr,
    pub actions: bool,
    pub redact: Option<Redact>,
    pub history: usize,
    pub stream_buffer: usize,
    pub tick: Duration,
    pub refresh: Duration,
    pub max_viewers: usize,
    pub hosts: Vec<String>,
}

/// A live page of a tree, to [`serve`](Page::serve).
#[must_use = "a page does nothing until it is served"]
#[derive(Clone)]
pub struct Page {
    settings: Settings,
}

impl fmt::Debug for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Page")
            .field("addr", &self.settings.addr)
            .field("actions", &self.settings.actions)
            .finish_non_exhaustive()
    }
}

impl Default for Page {
    fn default() -> Self {
        Page::new()
    }
}

impl Page {
    /// Timeline entries kept, by default.
    pub const DEFAULT_HISTORY: usize = 1_000;
    /// Batches kept for a page that falls behind or reconnects, by default.
    pub const DEFAULT_STREAM_BUFFER: usize = 256;
    /// Open pages at once, by default.
    pub const DEFAULT_MAX_VIEWERS: usize = 16;

    /// A read-only page on `127.0.0.1`, on a port the system picks.
    pub fn new() -> Self {
        Page {
            settings: Settings {
                addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
                actions: false,
                redact: None,
                history: Self::DEFAULT_HISTORY,
                stream_buffer: Self::DEFAULT_STREAM_BUFFER,
                tick: Duration::from_millis(100),
                refresh: Duration::from_secs(1),
                max_viewers: Self::DEFAULT_MAX_VIEWERS,
                hosts: Vec::new(),
            },
        }
    }

    /// Serves on `addr` rather than `127.0.0.1:0`. An address other than a loopback one is
    /// logged as a warning: the page shows exit reasons, which may carry secrets.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.settings.addr = addr;
        self
    }

    /// Enables actions (restart, terminate and delete a child), each with the token that
    /// [`Serving::url`] carries.
    pub fn actions(mut self, enabled: bool) -> Self {
        self.settings.actions = enabled;
        self
    }

    /// Rewrites every exit reason, cause and message label before the page shows it: to
    /// remove what must not leave the process (a connection string in an error, say).
    pub fn redact(mut self, redact: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        self.settings.redact = Some(Arc::new(redact));
        self
    }

    /// Allows requests naming `host` (a name or address, without its port) besides the
    /// loopback names: for a page served behind a proxy, say.
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.settings.hosts.push(host.into().to_ascii_lowercase());
        self
    }

    /// How many timeline entries are kept (at least 1).
    pub fn history(mut self, entries: usize) -> Self {
        self.settings.history = entries.max(1);
        self
    }

    /// How many batches a page may fall behind before it is sent a snapshot instead, and how
    /// many are kept for a page that reconnects (at least 1).
    pub fn stream_buffer(mut self, batches: usize) -> Self {
        self.settings.stream_buffer = batches.max(1);
        self
    }

    /// How many pages may be open at once (at least 1); more are answered 503.
    pub fn max_viewers(mut self, viewers: usize) -> Self {
        self.settings.max_viewers = viewers.max(1);
        self
    }

    /// How often changes are sent (default 100 ms), and how often the tree is walked while a
    /// page is open (default 1 s).
    pub fn pace(mut self, batches: Duration, walks: Duration) -> Self {
        self.settings.tick = batches.max(Duration::from_millis(1));
        self.settings.refresh = walks.max(Duration::from_millis(1));
        self
    }

    /// Binds, starts the page's one subscriber of `tree`, and serves until the returned
    /// [`Serving`] is stopped or dropped. The page outlives the tree: it then shows how the
    /// tree ended.
    ///
    /// # Errors
    ///
    /// The address cannot be bound, or the system's random generator failed (for the token).
    pub async fn serve(self, tree: &SupervisorHandle) -> Result<Serving, ServeError> {
        let settings = self.settings;
        let token = if settings.actions {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes).map_err(|e| ServeError::Random(e.to_string()))?;
            Some(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
        } else {
            None
        };
        let listener = tokio::net::TcpListener::bind(settings.addr)
            .await
            .map_err(ServeError::Bind)?;
        let addr = listener.local_addr().map_err(ServeError::Bind)?;
        if !addr.ip().is_loopback() {
            tracing::warn!(%addr, "the observer's page is served on an address other hosts may reach");
        }
        let hub = hub::start(tree, &settings).await;
        let server = http::serve(listener, Arc::clone(&hub), settings, token.clone());
        let url = match &token {
            Some(token) => format!("http://{addr}/#token={token}"),
            None => format!("http://{addr}/"),
        };
        tracing::info!(%addr, actions = token.is_some(), "the observer's page is served");
        Ok(Serving {
            addr,
            url,
            token,
            hub,
            server: Some(server),
        })
    }
}

/// Why a page could not be served.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The address could not be bound.
    Bind(std::io::Error),
    /// The system's random generator failed.
    Random(String),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Bind(e) => write!(f, "the observer cannot bind its address: {e}"),
            ServeError::Random(e) => write!(f, "no random token for the observer's actions: {e}"),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::Bind(e) => Some(e),
            ServeError::Random(_) => None,
        }
    }
}

/// A page being served; dropping it stops the server.
pub struct Serving {
    addr: SocketAddr,
    url: String,
    token: Option<String>,
    hub: Arc<hub::Hub>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for Serving {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token stays out of logs.
        f.debug_struct("Serving")
            .field("addr", &self.addr)
            .field("actions", &self.token.is_some())
            .finish_non_exhaustive()
    }
}

impl Serving {
    /// Where it is served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's address; with actions enabled, the token is in its fragment, which a
    /// browser keeps to itself. Print it once, to the operator.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The actions' token, when actions are enabled: the bearer for a script's requests.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Batches that slow pages could not keep up with, dropped for them, all told; each such
    /// page was sent a snapshot instead (S21.3).
    pub fn dropped(&self) -> u64 {
        self.hub.skipped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Stops serving, and waits until the server's task has ended; open pages' streams end.
    pub async fn stop(mut self) {
        self.hub.stopped.cancel();
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.hub.stopped.cancel();
        if let Some(server) = &self.server {
            server.abort();
        }
    }
}
