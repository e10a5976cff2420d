//! What a tree run as a process tells its service manager (S16.4), over the systemd notification
//! protocol. Without the `systemd` feature, or outside systemd (no `NOTIFY_SOCKET`), every call
//! here does nothing.
//!
//! The protocol is a datagram of `KEY=value` lines to the socket `NOTIFY_SOCKET` names, a path
//! or, after `@`, an abstract name (sd_notify(3)); the watchdog is on when `WATCHDOG_USEC` is
//! set and `WATCHDOG_PID` is unset or this process (sd_watchdog_enabled(3)). Written here, in a
//! few lines, because a crate for it read both differently.

use crate::handle::SupervisorRef;
#[cfg(feature = "systemd")]
use crate::node::Vitals;

/// How often the status line is looked at when there is no watchdog to ping.
#[cfg(feature = "systemd")]
const STATUS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// How far back the status line counts restarts.
#[cfg(feature = "systemd")]
const RESTARTS_OVER: std::time::Duration = std::time::Duration::from_secs(60);

/// The one-line summary systemd shows (`systemctl status`), about the whole tree: `recent` is
/// the restarts in the last minute.
#[cfg(feature = "systemd")]
fn status_line(v: &Vitals, recent: u64) -> String {
    let restarts = match recent {
        0 => "no restarts".to_owned(),
        1 => "1 restart".to_owned(),
        n => format!("{n} restarts"),
    };
    let restarting = match v.restarting {
        0 => String::new(),
        n => format!(", {n} restarting"),
    };
    format!(
        "running: {} of {} children up{restarting}, {restarts} in the last minute",
        v.running, v.children
    )
}

/// The restarts of the last minute, from the totals the pulse has seen: the total now less the
/// last total seen a minute ago or more (or the first, within the first minute).
#[cfg(feature = "systemd")]
#[derive(Default)]
struct RecentRestarts(std::collections::VecDeque<(tokio::time::Instant, u64)>);

#[cfg(feature = "systemd")]
impl RecentRestarts {
    fn count(&mut self, total: u64) -> u64 {
        let now = tokio::time::Instant::now();
        self.0.push_back((now, total));
        // Keep one sample a minute old or more, as the base, and the newer ones.
        while self.0.len() > 1 && now.duration_since(self.0[1].0) >= RESTARTS_OVER {
            self.0.pop_front();
        }
        let base = self.0.front().map_or(total, |(_, t)| *t);
        total.saturating_sub(base)
    }
}

/// The socket `NOTIFY_SOCKET` names, ready to send to.
#[cfg(feature = "systemd")]
struct Notifier {
    socket: std::os::unix::net::UnixDatagram,
    to: std::os::unix::net::SocketAddr,
}

#[cfg(feature = "systemd")]
impl Notifier {
    fn from_env() -> Option<Self> {
        use std::os::unix::net::{SocketAddr, UnixDatagram};
        let name = std::env::var_os("NOTIFY_SOCKET")?;
        let to = match name.as_encoded_bytes().strip_prefix(b"@") {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Some(abstract_name) => {
                #[cfg(target_os = "android")]
                use std::os::android::net::SocketAddrExt;
                #[cfg(target_os = "linux")]
                use std::os::linux::net::SocketAddrExt;
                SocketAddr::from_abstract_name(abstract_name).ok()?
            }
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            Some(_) => return None,
            None => SocketAddr::from_pathname(std::path::Path::new(&name)).ok()?,
        };
        let socket = UnixDatagram::unbound().ok()?;
        // A full socket drops a notification rather than block the root's loop.
        socket.set_nonblocking(true).ok()?;
        Some(Notifier { socket, to })
    }

    fn send(&self, lines: &[&str]) {
        let message = lines.join("\n");
        if let Err(e) = self.socket.send_to_addr(message.as_bytes(), &self.to) {
            tracing::warn!(error = %e, "systemd notification failed");
        }
    }
}

/// The watchdog interval, when the watchdog is on for this process (sd_watchdog_enabled(3)).
#[cfg(feature = "systemd")]
fn watchdog() -> Option<std::time::Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.trim().parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID") {
        if pid.trim().parse::<u32>().ok() != Some(std::process::id()) {
            return None;
        }
    }
    (usec > 0).then(|| std::time::Duration::from_micros(usec))
}

/// The service manager, if the process has one to tell.
pub(crate) struct ServiceManager {
    #[cfg(feature = "systemd")]
    notifier: Option<std::sync::Arc<Notifier>>,
}

impl ServiceManager {
    pub(crate) fn detect() -> Self {
        ServiceManager {
            #[cfg(feature = "systemd")]
            notifier: Notifier::from_env().map(std::sync::Arc::new),
        }
    }

    /// `READY=1`, then, from the root's own loop, `WATCHDOG=1` at half of `WATCHDOG_USEC` (so
    /// that a wedged or ended root stops them) and a `STATUS=` line whenever it changes,
    /// looked at every 5 s without a watchdog.
    pub(crate) async fn ready(&self, root: &SupervisorRef) {
        #[cfg(feature = "systemd")]
        if let Some(notifier) = &self.notifier {
            notifier.send(&["READY=1"]);
            let watchdog = watchdog();
            let every = watchdog.map_or(STATUS_EVERY, |w| w / 2);
            let notifier = std::sync::Arc::clone(notifier);
            let mut last = String::new();
            let mut recent = RecentRestarts::default();
            let beat = move |vitals: &Vitals| {
                let line = status_line(vitals, recent.count(vitals.restarts));
                let status = format!("STATUS={line}");
                let mut lines = Vec::with_capacity(2);
                if watchdog.is_some() {
                    lines.push("WATCHDOG=1");
                }
                if line != last {
                    lines.push(&status);
                }
                if !lines.is_empty() {
                    notifier.send(&lines);
                }
                if line != last {
                    last = line;
                }
            };
            // A root that has already ended has no loop to ping from, nor should anyone.
            let _ = root.pulse(every, beat).await;
        }
        #[cfg(not(feature = "systemd"))]
        let _ = root;
    }

    /// `STOPPING=1` with the reason as the status line.
    pub(crate) fn stopping(&self, why: &str) {
        #[cfg(feature = "systemd")]
        if let Some(notifier) = &self.notifier {
            notifier.send(&["STOPPING=1", &format!("STATUS={why}")]);
        }
        #[cfg(not(feature = "systemd"))]
        let _ = why;
    }

    /// A status line alone.
    pub(crate) fn status(&self, line: &str) {
        #[cfg(feature = "systemd")]
        if let Some(notifier) = &self.notifier {
            notifier.send(&[&format!("STATUS={line}")]);
        }
        #[cfg(not(feature = "systemd"))]
        let _ = line;
    }
}
