//! What a process child's node knows of its running incarnation (S20): the process group it
//! runs in and the tail of its stderr, for handles, pictures and an exit's context; and whether
//! that group is empty yet.
#![cfg_attr(not(all(unix, feature = "process")), allow(dead_code))]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

/// A process child's live side, held by its node across incarnations.
pub(crate) struct ProcessSlot {
    /// The running incarnation's process group (its leader's pid), 0 when none runs.
    group: AtomicI32,
    /// The command as pictures show it: a template's, its running incarnation's.
    command: Mutex<Arc<str>>,
    /// The child's shutdown timeout (`None`: infinity): what the remains of a group whose
    /// leader exited on its own get after SIGTERM.
    pub shutdown: Option<std::time::Duration>,
    tail: Mutex<VecDeque<Arc<str>>>,
    tail_lines: usize,
}

impl ProcessSlot {
    pub(crate) fn new(
        command: Arc<str>,
        tail_lines: usize,
        shutdown: Option<std::time::Duration>,
    ) -> Self {
        ProcessSlot {
            group: AtomicI32::new(0),
            command: Mutex::new(command),
            shutdown,
            tail: Mutex::new(VecDeque::new()),
            tail_lines,
        }
    }

    /// A new incarnation runs in `group` as `command`: the last one's tail goes.
    pub(crate) fn spawned(&self, group: i32, command: Arc<str>) {
        self.group.store(group, Ordering::Release);
        if let Ok(mut shown) = self.command.lock() {
            *shown = command;
        }
        if let Ok(mut tail) = self.tail.lock() {
            tail.clear();
        }
    }

    /// The command as pictures show it.
    pub(crate) fn command(&self) -> Arc<str> {
        self.command
            .lock()
            .map_or_else(|_| Arc::from(""), |c| Arc::clone(&c))
    }

    /// The group is empty: nothing of the incarnation runs any more.
    pub(crate) fn emptied(&self) {
        self.group.store(0, Ordering::Release);
    }

    /// The running incarnation's process group, which is its leader's pid.
    pub(crate) fn group(&self) -> Option<i32> {
        Some(self.group.load(Ordering::Acquire)).filter(|&g| g > 0)
    }

    /// Keeps a line of stderr, dropping the oldest beyond the tail's length.
    pub(crate) fn push_stderr(&self, line: Arc<str>) {
        if self.tail_lines == 0 {
            return;
        }
        if let Ok(mut tail) = self.tail.lock() {
            if tail.len() == self.tail_lines {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    }

    /// The last lines of stderr of the running (or last) incarnation, oldest first.
    pub(crate) fn stderr_tail(&self) -> Vec<Arc<str>> {
        self.tail
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// Whether any process of the group `group` still runs. A zombie does not: it holds no port,
/// no memory and no device, and its reaping is up to its parent (the init process, for the
/// orphans of a killed group), which may take its time.
#[cfg(all(unix, feature = "process"))]
pub(crate) fn group_alive(group: i32) -> bool {
    let Some(pid) = rustix::process::Pid::from_raw(group) else {
        return false;
    };
    if rustix::process::test_kill_process_group(pid).is_err() {
        return false;
    }
    #[cfg(target_os = "linux")]
    return any_running_in(group);
    #[cfg(not(target_os = "linux"))]
    true
}

/// Whether a process of `group` other than a zombie is listed in /proc.
#[cfg(all(target_os = "linux", feature = "process"))]
fn any_running_in(group: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        // A process that ended between the listing and the read is not running.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // After the command, which is in parentheses and may hold anything: state, ppid, pgrp.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let mut fields = rest.split_ascii_whitespace();
        let state = fields.next();
        let pgrp = fields.nth(1).and_then(|g| g.parse::<i32>().ok());
        if pgrp == Some(group) && !matches!(state, Some("Z" | "X")) {
            return true;
        }
    }
    false
}

/// Sends `signal` to every process of `group`; a group already empty is no error.
#[cfg(all(unix, feature = "process"))]
pub(crate) fn signal_group(group: i32, signal: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(group) {
        let _ = rustix::process::kill_process_group(pid, signal);
    }
}
