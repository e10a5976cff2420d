//! What a tree run as a process tells its service manager (S16.4), over the systemd notification
//! protocol. Without the `systemd` feature, or outside systemd (no `NOTIFY_SOCKET`), every call
//! here does nothing.

use crate::handle::SupervisorRef;
#[cfg(feature = "systemd")]
use crate::node::Vitals;

/// How often the status line is looked at when there is no watchdog to ping.
#[cfg(feature = "systemd")]
const STATUS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The one-line summary systemd shows (`systemctl status`).
#[cfg(feature = "systemd")]
fn status_line(v: &Vitals) -> String {
    let restarts = match v.recent_restarts {
        0 => "no restarts".to_owned(),
        1 => "1 restart".to_owned(),
        n => format!("{n} restarts"),
    };
    format!(
        "running: {} of {} children up, {restarts} in the last {:?}",
        v.running, v.children, v.period
    )
}

/// The service manager, if the process has one to tell.
pub(crate) struct ServiceManager {
    #[cfg(feature = "systemd")]
    watching: bool,
}

impl ServiceManager {
    pub(crate) fn detect() -> Self {
        ServiceManager {
            #[cfg(feature = "systemd")]
            watching: std::env::var_os("NOTIFY_SOCKET").is_some(),
        }
    }

    /// `READY=1`, then, from the root's own loop, `WATCHDOG=1` at half of `WATCHDOG_USEC` (so
    /// that a wedged or ended root stops them) and a `STATUS=` line whenever it changes,
    /// looked at every 5 s without a watchdog.
    pub(crate) async fn ready(&self, root: &SupervisorRef) {
        #[cfg(feature = "systemd")]
        if self.watching {
            self.send(&[sd_notify::NotifyState::Ready]);
            let mut usec = 0;
            let watchdog = sd_notify::watchdog_enabled(false, &mut usec) && usec > 0;
            let every = if watchdog {
                std::time::Duration::from_micros(usec / 2)
            } else {
                STATUS_EVERY
            };
            let mut last = String::new();
            let beat = move |vitals: &Vitals| {
                let line = status_line(vitals);
                let mut states = Vec::with_capacity(2);
                if watchdog {
                    states.push(sd_notify::NotifyState::Watchdog);
                }
                if line != last {
                    states.push(sd_notify::NotifyState::Status(&line));
                }
                if !states.is_empty() {
                    if let Err(e) = sd_notify::notify(false, &states) {
                        tracing::warn!(error = %e, "systemd notification failed");
                    }
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
        if self.watching {
            self.send(&[
                sd_notify::NotifyState::Stopping,
                sd_notify::NotifyState::Status(why),
            ]);
        }
        #[cfg(not(feature = "systemd"))]
        let _ = why;
    }

    /// A status line alone.
    pub(crate) fn status(&self, line: &str) {
        #[cfg(feature = "systemd")]
        if self.watching {
            self.send(&[sd_notify::NotifyState::Status(line)]);
        }
        #[cfg(not(feature = "systemd"))]
        let _ = line;
    }

    #[cfg(feature = "systemd")]
    fn send(&self, states: &[sd_notify::NotifyState<'_>]) {
        if let Err(e) = sd_notify::notify(false, states) {
            tracing::warn!(error = %e, "systemd notification failed");
        }
    }
}
