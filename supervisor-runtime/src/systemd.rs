//! What a tree run as a process tells its service manager (S16.4), over the systemd notification
//! protocol. Without the `systemd` feature, or outside systemd (no `NOTIFY_SOCKET`), every call
//! here does nothing.

use crate::handle::SupervisorRef;

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

    /// `READY=1` with a status line, then watchdog pings from the root's own loop at half of
    /// `WATCHDOG_USEC`, so that a wedged or ended root stops them.
    pub(crate) async fn ready(&self, root: &SupervisorRef) {
        #[cfg(feature = "systemd")]
        if self.watching {
            let children = root.count_children().await.map_or(0, |c| c.specs);
            let status = format!("running: {children} children under {}", root.path());
            self.send(&[
                sd_notify::NotifyState::Ready,
                sd_notify::NotifyState::Status(&status),
            ]);
            let mut usec = 0;
            if sd_notify::watchdog_enabled(false, &mut usec) && usec > 0 {
                let every = std::time::Duration::from_micros(usec / 2);
                let ping = || {
                    if let Err(e) = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]) {
                        tracing::warn!(error = %e, "systemd watchdog ping failed");
                    }
                };
                // A root that has already ended has no loop to ping from, nor should anyone.
                let _ = root.pulse(every, ping).await;
            }
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
