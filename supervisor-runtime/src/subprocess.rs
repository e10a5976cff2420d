//! One incarnation of an operating-system process child (S20): spawned in a process group of
//! its own, its output drained line by line, stopped by signals to the whole group, and its exit
//! status made an exit reason. Nothing of it outlives the incarnation: a guard kills the group
//! when the task is dropped (a stop's timeout aborts it).

use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rustix::process::Signal;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::task::JoinHandle;
use tokio::time::{sleep, Instant};

use crate::context::RawContext;
use crate::directive::Directed;
use crate::exit::ExitReason;
use crate::os::{group_alive, signal_group, ProcessSlot};
use crate::spawn::{spawn_incarnation, spawning, Report, Start};
use crate::spec::{Process, ProcessExit, ProcessStartError, Ready};

/// The start function of a process child.
pub(crate) struct ProcessStart {
    pub spec: Arc<Process>,
}

impl Start for ProcessStart {
    fn spawn(self: Arc<Self>, mut raw: RawContext, report: Report) -> JoinHandle<()> {
        let how = spawning(&mut raw);
        spawn_incarnation(run(Arc::clone(&self.spec), raw), report, how)
    }
}

/// How long the remains of a group whose leader exited on its own get after SIGTERM, at most,
/// when the child's shutdown is infinity.
const REMAINS_GRACE: Duration = Duration::from_secs(5);
/// How long a group may take to empty after SIGKILL before a warning says so.
pub(crate) const REAP_LIMIT: Duration = Duration::from_secs(5);
/// How long the pipes are read after the group emptied, for the lines still in them.
const LAST_LINES: Duration = Duration::from_millis(200);

async fn run(spec: Arc<Process>, raw: RawContext) -> ExitReason {
    let Some(slot) = raw.node.process() else {
        return ExitReason::error("a process child's node has no process slot");
    };
    let path = Arc::clone(raw.node.path());
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if spec.env_clear {
        command.env_clear();
    }
    for (name, value) in &spec.env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    if let Some(dir) = &spec.current_dir {
        command.current_dir(dir);
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            return ExitReason::error(ProcessStartError::Spawn {
                program: program(&spec),
                error: Arc::new(error),
            })
        }
    };
    let Some(group) = child.id().and_then(|id| i32::try_from(id).ok()) else {
        return ExitReason::error("a spawned process without a pid");
    };
    slot.spawned(group);
    let stdin = child.stdin.take();
    let out = Lines::new(child.stdout.take(), spec.max_line);
    let err = Lines::new(child.stderr.take(), spec.max_line);
    let mut running = Running {
        group: Group {
            child,
            group,
            slot,
            empty: false,
        },
        stdin,
        out,
        err,
        path: &path,
        spec: &spec,
    };
    if let Some(exit) = running.until_ready(&raw).await {
        return exit;
    }
    raw.signal_started();
    let status = tokio::select! {
        biased;
        () = raw.token.cancelled() => return running.stop().await,
        status = running.until_exit() => status,
    };
    running.after_own_exit(status).await
}

/// What one incarnation holds while it runs.
struct Running<'a> {
    group: Group<'a>,
    stdin: Option<ChildStdin>,
    out: Lines,
    err: Lines,
    path: &'a Arc<str>,
    spec: &'a Process,
}

impl Running<'_> {
    /// Waits until the incarnation is up by its spec; `Some` with its exit if it is not.
    async fn until_ready(&mut self, raw: &RawContext) -> Option<ExitReason> {
        let deadline = Instant::now() + self.spec.ready_timeout;
        let wanted = match &self.spec.ready {
            Ready::Spawned => return None,
            Ready::Line(text) => Some(text.as_str()),
            Ready::After(_) => None,
        };
        let up_at = match &self.spec.ready {
            Ready::After(delay) => Instant::now() + *delay,
            _ => deadline,
        };
        loop {
            tokio::select! {
                biased;
                () = raw.token.cancelled() => return Some(self.stop().await),
                line = self.out.next(), if !self.out.done() => {
                    if let Some(line) = line {
                        let up = wanted.is_some_and(|w| line.contains(w));
                        self.log("stdout", line);
                        if up {
                            return None;
                        }
                    }
                }
                line = self.err.next(), if !self.err.done() => {
                    if let Some(line) = line {
                        let up = wanted.is_some_and(|w| line.contains(w));
                        self.stderr(line);
                        if up {
                            return None;
                        }
                    }
                }
                status = self.group.child.wait() => {
                    return Some(self.after_own_exit(status).await);
                }
                () = tokio::time::sleep_until(up_at.min(deadline)) => {
                    if wanted.is_none() && up_at <= deadline {
                        return None;
                    }
                    signal_group(self.group.group, Signal::KILL);
                    self.until_empty(None).await;
                    return Some(ExitReason::error(ProcessStartError::NotReady {
                        program: program(self.spec),
                        after: self.spec.ready_timeout,
                        stderr_tail: self.group.slot.stderr_tail().into(),
                    }));
                }
            }
        }
    }

    /// Drains the output until the leader exits.
    async fn until_exit(&mut self) -> std::io::Result<ExitStatus> {
        loop {
            tokio::select! {
                biased;
                line = self.out.next(), if !self.out.done() => {
                    if let Some(line) = line {
                        self.log("stdout", line);
                    }
                }
                line = self.err.next(), if !self.err.done() => {
                    if let Some(line) = line {
                        self.stderr(line);
                    }
                }
                status = self.group.child.wait() => return status,
            }
        }
    }

    /// S20.2: stdin closed, SIGTERM to the group, then the group waited for until it is
    /// empty; the supervisor aborts the task at the shutdown timeout, and the guard's SIGKILL
    /// ends the group.
    async fn stop(&mut self) -> ExitReason {
        drop(self.stdin.take());
        signal_group(self.group.group, Signal::TERM);
        self.until_empty(None).await;
        ExitReason::Shutdown
    }

    /// The leader exited on its own: what is left of its group is stopped (a restart never
    /// races an orphan for a port), then the status is the exit.
    async fn after_own_exit(&mut self, status: std::io::Result<ExitStatus>) -> ExitReason {
        drop(self.stdin.take());
        if group_alive(self.group.group) {
            signal_group(self.group.group, Signal::TERM);
            let grace = self.group.slot.shutdown.unwrap_or(REMAINS_GRACE);
            if !self.until_empty(Some(grace)).await {
                signal_group(self.group.group, Signal::KILL);
                self.until_empty(Some(REAP_LIMIT)).await;
            }
        } else {
            self.group.emptied();
        }
        self.last_lines().await;
        match status {
            Ok(status) => self.exit(status),
            Err(error) => ExitReason::error(error),
        }
    }

    /// Waits, draining the output, until the leader is reaped and its group is empty, or
    /// `limit` has passed (`false` then).
    async fn until_empty(&mut self, limit: Option<Duration>) -> bool {
        let deadline = limit.map(|l| Instant::now() + l);
        let mut poll = Duration::from_millis(1);
        let mut leader_gone = false;
        loop {
            if leader_gone && !group_alive(self.group.group) {
                self.group.emptied();
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            tokio::select! {
                biased;
                line = self.out.next(), if !self.out.done() => {
                    if let Some(line) = line {
                        self.log("stdout", line);
                    }
                }
                line = self.err.next(), if !self.err.done() => {
                    if let Some(line) = line {
                        self.stderr(line);
                    }
                }
                _ = self.group.child.wait(), if !leader_gone => leader_gone = true,
                () = sleep(poll) => poll = (poll * 2).min(Duration::from_millis(50)),
            }
        }
    }

    /// Reads what is still in the pipes once the group is gone, for a short while (a process
    /// outside the group may hold them open).
    async fn last_lines(&mut self) {
        let until = Instant::now() + LAST_LINES;
        while !(self.out.done() && self.err.done()) {
            tokio::select! {
                biased;
                line = self.out.next(), if !self.out.done() => {
                    if let Some(line) = line {
                        self.log("stdout", line);
                    }
                }
                line = self.err.next(), if !self.err.done() => {
                    if let Some(line) = line {
                        self.stderr(line);
                    }
                }
                () = tokio::time::sleep_until(until) => return,
            }
        }
    }

    /// S20.3: an exit status as an exit reason; a code in the exit-code table carries its
    /// directive (S10.2).
    fn exit(&self, status: ExitStatus) -> ExitReason {
        if status.success() {
            return ExitReason::Normal;
        }
        let exit = ProcessExit {
            program: program(self.spec),
            code: status.code(),
            signal: status.signal(),
            stderr_tail: self.group.slot.stderr_tail().into(),
        };
        match status.code().and_then(|c| self.spec.directive_for(c)) {
            Some(directive) => ExitReason::error(Directed::new(directive, exit)),
            None => ExitReason::error(exit),
        }
    }

    fn log(&self, stream: &'static str, line: String) {
        tracing::info!(child = %self.path, stream, "{line}");
    }

    fn stderr(&self, line: String) {
        tracing::info!(child = %self.path, stream = "stderr", "{line}");
        self.group.slot.push_stderr(Arc::from(line));
    }
}

/// After a killed process child's task ended (its guard sent SIGKILL to the group), waits
/// until the group is empty, so that a restart never races an orphan for a port or a GPU
/// (S20.2); a group still there after [`REAP_LIMIT`] is reported and left.
pub(crate) async fn until_group_empty(node: &crate::node::Node) {
    let Some(slot) = node.process_slot() else {
        return;
    };
    let Some(group) = slot.group() else {
        return;
    };
    let deadline = Instant::now() + REAP_LIMIT;
    let mut poll = Duration::from_millis(1);
    while group_alive(group) {
        if Instant::now() >= deadline {
            tracing::warn!(
                child = %node.path(),
                group,
                "a killed process group is not empty after {REAP_LIMIT:?} (are its zombies reaped?)"
            );
            return;
        }
        sleep(poll).await;
        poll = (poll * 2).min(Duration::from_millis(20));
    }
    slot.emptied();
}

fn program(spec: &Process) -> Arc<str> {
    Arc::from(spec.program.to_string_lossy().as_ref())
}

/// The incarnation's process group: killed when dropped, unless it was seen empty.
struct Group<'a> {
    child: Child,
    group: i32,
    slot: &'a ProcessSlot,
    empty: bool,
}

impl Group<'_> {
    fn emptied(&mut self) {
        self.empty = true;
        self.slot.emptied();
    }
}

impl Drop for Group<'_> {
    fn drop(&mut self) {
        if !self.empty {
            // The task was aborted (a stop's timeout, a brutal kill) or dropped: nothing of the
            // group may outlive it. The supervisor waits for the group to empty (S20.2).
            signal_group(self.group, Signal::KILL);
            let _ = self.child.try_wait();
        }
    }
}

/// Lines of a pipe, each cut at a length: a process that writes without newlines cannot make
/// the reader hold more than that. Cancel safe: a partial line stays until the next call.
struct Lines {
    reader: Option<BufReader<Box<dyn AsyncRead + Send + Unpin>>>,
    line: Vec<u8>,
    max: usize,
}

impl Lines {
    fn new<R: AsyncRead + Send + Unpin + 'static>(pipe: Option<R>, max: usize) -> Self {
        Lines {
            reader: pipe.map(|p| BufReader::new(Box::new(p) as Box<dyn AsyncRead + Send + Unpin>)),
            line: Vec::new(),
            max,
        }
    }

    /// Whether the pipe reached its end.
    fn done(&self) -> bool {
        self.reader.is_none()
    }

    /// The next line; `None` at the end (the last unfinished line first).
    async fn next(&mut self) -> Option<String> {
        let Lines { reader, line, max } = self;
        let r = reader.as_mut()?;
        loop {
            let chunk = match r.fill_buf().await {
                Ok(chunk) if !chunk.is_empty() => chunk,
                // The end, or a broken pipe: what was read is the last line.
                _ => {
                    *reader = None;
                    return (!line.is_empty()).then(|| take(line));
                }
            };
            let (part, used, ends) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], i + 1, true),
                None => (chunk, chunk.len(), false),
            };
            let room = max.saturating_sub(line.len());
            line.extend_from_slice(&part[..part.len().min(room)]);
            r.consume(used);
            if ends {
                return Some(take(line));
            }
        }
    }
}

fn take(line: &mut Vec<u8>) -> String {
    let text = String::from_utf8_lossy(line)
        .trim_end_matches('\r')
        .to_owned();
    line.clear();
    text
}
