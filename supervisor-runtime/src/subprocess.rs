//! One incarnation of an operating-system process child (S20): spawned in a process group of
//! its own, its output drained line by line, stopped by signals to the whole group, and its exit
//! status made an exit reason. Nothing of it outlives the incarnation: a guard kills the group
//! when the task is dropped (a stop's timeout aborts it).

use std::any::TypeId;
use std::collections::{HashMap, VecDeque};
use std::os::unix::process::ExitStatusExt;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use rustix::process::Signal;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::task::JoinHandle;
use tokio::time::{sleep, Instant};
use tokio_util::sync::WaitForCancellationFutureOwned;

use crate::call::Reply;
use crate::context::ArgsSlot;
use crate::context::Message;
use crate::context::NoMailbox;
use crate::context::{ChildContext, RawContext};
use crate::directive::Directed;
use crate::exit::ExitReason;
use crate::os::{group_alive, signal_group, ProcessSlot};
use crate::rpc::{self, Incoming, Line, LineError, Rpc, RpcError};
use crate::spawn::{spawn_incarnation, spawning, Report, Start};
use crate::spec::{
    erased, ChildSpec, Process, ProcessExit, ProcessStartError, Ready, RestartArgs, Starter,
    Template,
};
use crate::types::AnyArc;

impl ChildSpec<NoMailbox> {
    /// An operating-system process (S20): each incarnation is one process of `process`, in a
    /// process group of its own, up when its readiness condition holds; stopping it closes its
    /// stdin and sends SIGTERM to the group, then SIGKILL at the shutdown timeout, and waits
    /// until the group is empty.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use supervisor::{ChildSpec, Process, Ready, Shutdown, SupervisorSpec};
    ///
    /// let tools = SupervisorSpec::new("tools").child(
    ///     ChildSpec::process("search", Process::new("search-server").ready(Ready::Line("ready".into())))
    ///         .shutdown(Shutdown::Timeout(Duration::from_secs(5))),
    /// );
    /// ```
    pub fn process(id: impl Into<Arc<str>>, process: Process) -> Self {
        let spec = Arc::new(process);
        ChildSpec::from_erased(erased::<NoMailbox>(id, Starter::Process { spec }))
    }

    /// An operating-system process called over its stdin and stdout as newline-delimited
    /// JSON-RPC 2.0 (S20.4), as MCP servers are: the child's [`ChildRef`](crate::ChildRef)
    /// sends notifications and makes requests (`request(method, params, timeout)`), matched to
    /// their answers by id, with the calls and timeouts of S14.4. Otherwise as
    /// [`process`](ChildSpec::process).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use supervisor::{ChildSpec, Process, Supervisor, SupervisorSpec};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let tree = Supervisor::start(
    ///     SupervisorSpec::new("tools")
    ///         .child(ChildSpec::process_rpc("search", Process::new("search-mcp-server"))),
    /// )
    /// .await?;
    /// let search = tree.child::<supervisor::Rpc>("search")?;
    /// let tools = search
    ///     .request("tools/list", serde_json::json!({}), Duration::from_secs(5))
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn process_rpc(id: impl Into<Arc<str>>, process: Process) -> ChildSpec<Rpc> {
        let spec = Arc::new(process);
        ChildSpec::from_erased(erased::<Rpc>(id, Starter::Process { spec }))
    }

    /// An operating-system process called over its stdin and stdout in plain lines (S20.4):
    /// the child's [`ChildRef`](crate::ChildRef) writes a line (`send_line`), or writes one
    /// and waits for the next line of output that no earlier call took (`call_line`), with the
    /// calls and timeouts of S14.4. Output lines that answer no call are logged. Otherwise as
    /// [`process`](ChildSpec::process).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use supervisor::{ChildSpec, Line, Process, Supervisor, SupervisorSpec};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let tree = Supervisor::start(
    ///     SupervisorSpec::new("tools").child(ChildSpec::process_lines("calc", Process::new("bc"))),
    /// )
    /// .await?;
    /// let calc = tree.child::<Line>("calc")?;
    /// assert_eq!(calc.call_line("6 * 7", Duration::from_secs(1)).await?, "42");
    /// # Ok(())
    /// # }
    /// ```
    pub fn process_lines(id: impl Into<Arc<str>>, process: Process) -> ChildSpec<Line> {
        let spec = Arc::new(process);
        ChildSpec::from_erased(erased::<Line>(id, Starter::Process { spec }))
    }
}

impl<A: RestartArgs> Template<A, NoMailbox> {
    /// A template of process children (S20) for a dynamic supervisor or a pool: each
    /// incarnation runs `adapt(process, &args)`, `process` made fit for the child's arguments
    /// (a pool slot's number, a session's configuration). Pictures show `process`'s command
    /// until an incarnation runs.
    ///
    /// ```no_run
    /// use supervisor::{PoolSpec, Process, Ready, Template};
    ///
    /// // Four model servers, each on a port of its own, called in turn.
    /// let servers = Template::process_rpc(
    ///     Process::new("model-server").ready(Ready::Line("listening".into())),
    ///     |server, slot: &usize| server.arg(format!("--port={}", 9000 + slot)),
    /// );
    /// let pool = PoolSpec::new("models", 4, servers);
    /// ```
    pub fn process<F>(process: Process, adapt: F) -> Self
    where
        F: Fn(Process, &A) -> Process + Send + Sync + 'static,
    {
        process_template(process, adapt)
    }

    /// [`process`](Template::process) called over JSON-RPC, as
    /// [`ChildSpec::process_rpc`] is.
    pub fn process_rpc<F>(process: Process, adapt: F) -> Template<A, Rpc>
    where
        F: Fn(Process, &A) -> Process + Send + Sync + 'static,
    {
        process_template(process, adapt)
    }

    /// [`process`](Template::process) called in plain lines, as
    /// [`ChildSpec::process_lines`] is.
    pub fn process_lines<F>(process: Process, adapt: F) -> Template<A, Line>
    where
        F: Fn(Process, &A) -> Process + Send + Sync + 'static,
    {
        process_template(process, adapt)
    }
}

fn process_template<A: RestartArgs, M: Message, F>(mut process: Process, adapt: F) -> Template<A, M>
where
    F: Fn(Process, &A) -> Process + Send + Sync + 'static,
{
    process.adapt = Some(Arc::new(move |process, args: &AnyArc| {
        let args = args.downcast_ref::<ArgsSlot<A>>()?.lock().ok()?.clone()?;
        Some(adapt(process, &args))
    }));
    Template::from_erased(erased::<M>(
        "template",
        Starter::Process {
            spec: Arc::new(process),
        },
    ))
}

/// A process child's spec is its own start function; the type of its mailbox says how it is
/// spoken to.
impl Start for Process {
    fn spawn(self: Arc<Self>, mut raw: RawContext, report: Report) -> JoinHandle<()> {
        let how = spawning(&mut raw);
        // A template's incarnation runs its own process, made from the child's arguments.
        let spec = match &self.adapt {
            None => self,
            Some(adapt) => {
                let args = raw.extra.as_mut().and_then(|e| e.args.take());
                let mut own = Process::clone(&self);
                own.adapt = None;
                match args.and_then(|args| adapt(own, &args)) {
                    Some(own) => Arc::new(own),
                    None => {
                        let lost = async {
                            ExitReason::error("a process template's child has no arguments")
                        };
                        return spawn_incarnation(lost, report, how);
                    }
                }
            }
        };
        let lines = (raw.node.mailbox()).is_some_and(|m| m.message().id == TypeId::of::<Line>());
        if lines {
            spawn_incarnation(run::<Line>(spec, raw), report, how)
        } else {
            spawn_incarnation(run::<Rpc>(spec, raw), report, how)
        }
    }
}

/// The messages a process child's mailbox takes, and how each becomes a line of its stdin.
trait Spoken: Message {
    /// Whether its stdout carries JSON-RPC answers.
    const RPC: bool;
    fn put(self, writer: &mut Writer);
}

impl Spoken for Rpc {
    const RPC: bool = true;
    fn put(self, writer: &mut Writer) {
        writer.put_rpc(self);
    }
}

impl Spoken for Line {
    const RPC: bool = false;
    fn put(self, writer: &mut Writer) {
        writer.put_line(self);
    }
}

/// How long the remains of a group whose leader exited on its own get after SIGTERM, at most,
/// when the child's shutdown is infinity.
const REMAINS_GRACE: Duration = Duration::from_secs(5);
/// How long a group may take to empty after SIGKILL before a warning says so.
pub(crate) const REAP_LIMIT: Duration = Duration::from_secs(5);
/// How long the pipes are read after the group emptied, for the lines still in them.
const LAST_LINES: Duration = Duration::from_millis(200);

async fn run<M: Spoken>(spec: Arc<Process>, raw: RawContext) -> ExitReason {
    let node = Arc::clone(&raw.node);
    let Some(slot) = node.process() else {
        return ExitReason::error("a process child's node has no process slot");
    };
    // A process child without a mailbox attaches none: its `recv` is never polled.
    let ctx = ChildContext::<M>::attach_async(raw).await;
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
    let spawned = if spec.die_with_supervisor {
        contained(command).await
    } else {
        command.spawn()
    };
    let mut child = match spawned {
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
    // Each incarnation shows its own command: a template's differ from child to child.
    slot.spawned(group, Arc::from(spec.command_line()));
    let stdin = child.stdin.take();
    let rpc = (M::RPC && ctx.has_mailbox()) || matches!(spec.ready, Ready::Request { .. });
    let out_limit = if rpc { spec.max_message } else { spec.max_line };
    let mut running = Running {
        out: Lines::new(child.stdout.take(), out_limit),
        err: Lines::new(child.stderr.take(), spec.max_line),
        group: Group {
            child,
            group,
            slot,
            empty: false,
        },
        stdin: Writer::new(stdin, rpc, ctx.has_mailbox()),
        stopped: Box::pin(ctx.raw.token.clone().cancelled_owned()),
        ctx,
        path: Arc::clone(node.path()),
        spec: &spec,
        leader: None,
        // Attaching to the mailbox marked the node busy.
        busy: true,
    };
    if let Some(exit) = running.until_ready().await {
        return exit;
    }
    // Messages wait in the mailbox until the process is up: a request written before an MCP
    // server's handshake, or a line answered by its readiness output, would be wrong.
    running.stdin.up = true;
    running.ctx.raw.signal_started();
    loop {
        match running.step(true, None).await {
            Step::Cancelled => return running.stop().await,
            Step::Exited => return running.after_own_exit().await,
            Step::Line(..) | Step::Tick => {}
        }
    }
}

/// What one step of a running incarnation saw.
enum Step {
    /// Its stop was asked for.
    Cancelled,
    /// Its leader exited (the status is in `Running::leader`).
    Exited,
    /// A line of its output that was not an answer: `true` for stderr.
    Line(bool, String),
    /// The step's deadline passed.
    Tick,
}

/// What one incarnation holds while it runs.
struct Running<'a, M> {
    group: Group<'a>,
    stdin: Writer,
    out: Lines,
    err: Lines,
    ctx: ChildContext<M>,
    /// The incarnation's stop request, waited for across steps: a new wait at every step would
    /// register with the token and leave it again each time.
    stopped: Pin<Box<WaitForCancellationFutureOwned>>,
    path: Arc<str>,
    spec: &'a Process,
    /// The leader's status, once it exited.
    leader: Option<std::io::Result<ExitStatus>>,
    /// What the node's busy flag says, written only when it changes.
    busy: bool,
}

impl<M: Spoken> Running<'_, M> {
    /// One step: the next thing that happens among the stop, the leader's exit, a line of
    /// output, a message of the mailbox to write, the room to write it, and `until`. Lines
    /// are logged, stderr kept in the tail, answers sent to their callers, before returning.
    async fn step(&mut self, stop: bool, until: Option<Instant>) -> Step {
        self.show_busy();
        let leader_running = self.leader.is_none();
        let step = tokio::select! {
            biased;
            () = self.stopped.as_mut(), if stop => Step::Cancelled,
            line = self.out.next(), if !self.out.done() => match line {
                Some(line) => Step::Line(false, line),
                None => Step::Tick,
            },
            line = self.err.next(), if !self.err.done() => match line {
                Some(line) => Step::Line(true, line),
                None => Step::Tick,
            },
            written = self.stdin.write_some(), if self.stdin.pending() => {
                if written.is_err() {
                    // The process closed its stdin: its requests cannot be answered.
                    self.stdin.close();
                }
                Step::Tick
            }
            message = self.ctx.recv_unwatched(), if self.stdin.wants_more() => {
                match message {
                    Some(message) => {
                        message.put(&mut self.stdin);
                        // Busy for the pool as soon as the call left the mailbox.
                        self.show_busy();
                        // Most lines fit the pipe at once: written now, not a step later.
                        if self.stdin.write_now().await.is_err() {
                            self.stdin.close();
                        }
                    }
                    // Closed (the slot retired, the node gone): the stop follows.
                    None => self.stdin.mailbox = false,
                }
                Step::Tick
            }
            status = self.group.child.wait(), if leader_running => {
                self.leader = Some(status);
                Step::Exited
            }
            () = sleep_until_or_never(until) => Step::Tick,
        };
        let step = match step {
            Step::Line(false, line) => self.stdout(line),
            Step::Line(true, line) => self.stderr(line),
            other => other,
        };
        // A call just taken, or the last one just answered, shows at once.
        self.show_busy();
        step
    }

    /// Tells the pool whether the process has calls in flight (S14.2), when that changes.
    fn show_busy(&mut self) {
        let busy = self.stdin.in_flight();
        if busy != self.busy {
            self.busy = busy;
            self.ctx.raw.node.set_busy(busy);
        }
    }

    /// A line of stdout: an answer to a request, a request of the process's own (refused),
    /// or a line to log.
    fn stdout(&mut self, line: String) -> Step {
        if self.stdin.speaks() {
            match rpc::parse(&line) {
                Incoming::Answer(id, answer) => {
                    if let Some((reply, answer)) = self.stdin.answered(id, answer) {
                        // Idle for the pool before the caller hears: its next call may come
                        // at once, from another thread (S14.2).
                        self.show_busy();
                        // The caller may have given up: its answer has nowhere to go.
                        let _ = reply.send(answer);
                    }
                    return Step::Tick;
                }
                Incoming::Request(id) => self.stdin.refuse(&id),
                Incoming::Other => {}
            }
        } else if let Some(reply) = self.stdin.lines.pop_front() {
            self.show_busy();
            let _ = reply.send(Ok(line));
            return Step::Tick;
        }
        tracing::info!(child = %self.path, stream = "stdout", "{line}");
        Step::Line(false, line)
    }

    fn stderr(&mut self, line: String) -> Step {
        tracing::info!(child = %self.path, stream = "stderr", "{line}");
        self.group.slot.push_stderr(Arc::from(line.as_str()));
        Step::Line(true, line)
    }

    /// Waits until the incarnation is up by its spec; `Some` with its exit if it is not.
    async fn until_ready(&mut self) -> Option<ExitReason> {
        let deadline = Instant::now() + self.spec.ready_timeout;
        let (wanted, up_at) = match &self.spec.ready {
            Ready::Spawned => return None,
            Ready::Line(text) => (Some(text.clone()), deadline),
            Ready::After(delay) => (None, (Instant::now() + *delay).min(deadline)),
            Ready::Request { method, params, .. } => {
                self.stdin.ask_ready(method, params);
                (None, deadline)
            }
        };
        loop {
            let step = self.step(true, Some(up_at)).await;
            match self.stdin.ready_answer.take() {
                Some(Ok(_)) => {
                    if let Ready::Request {
                        then: Some(then), ..
                    } = &self.spec.ready
                    {
                        self.stdin.put_rpc(Rpc::notify(then.as_str(), Value::Null));
                    }
                    return None;
                }
                Some(Err(error)) => {
                    signal_group(self.group.group, Signal::KILL);
                    self.until_empty(None).await;
                    return Some(ExitReason::error(ProcessStartError::Refused {
                        program: program(self.spec),
                        answer: error.to_string(),
                    }));
                }
                None => {}
            }
            match step {
                Step::Cancelled => return Some(self.stop().await),
                Step::Exited => return Some(self.after_own_exit().await),
                Step::Line(_, line) if wanted.as_deref().is_some_and(|w| line.contains(w)) => {
                    return None;
                }
                Step::Line(..) => {}
                Step::Tick if Instant::now() < up_at => {}
                Step::Tick if wanted.is_none() && up_at < deadline => return None,
                Step::Tick => {
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

    /// S20.2: stdin closed, SIGTERM to the group, then the group waited for until nothing of
    /// it runs; the supervisor aborts the task at the shutdown timeout, and the guard's
    /// SIGKILL ends the group.
    async fn stop(&mut self) -> ExitReason {
        self.stdin.close();
        signal_group(self.group.group, Signal::TERM);
        self.until_empty(None).await;
        ExitReason::Shutdown
    }

    /// The leader exited on its own: what is left of its group is stopped (a restart never
    /// races an orphan for a port), then its status is the exit.
    async fn after_own_exit(&mut self) -> ExitReason {
        self.stdin.close();
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
        // What is still in the pipes, for a short while: a process outside the group may
        // hold them open.
        let until = Instant::now() + LAST_LINES;
        while !(self.out.done() && self.err.done()) && Instant::now() < until {
            self.step(false, Some(until)).await;
        }
        match self.leader.take() {
            Some(Ok(status)) => self.exit(status),
            Some(Err(error)) => ExitReason::error(error),
            None => ExitReason::Normal,
        }
    }

    /// Waits, draining the output, until the leader is reaped and nothing of its group runs,
    /// or `limit` has passed (`false` then).
    async fn until_empty(&mut self, limit: Option<Duration>) -> bool {
        let deadline = limit.map(|l| Instant::now() + l);
        let mut poll = Duration::from_millis(1);
        loop {
            if self.leader.is_some() && !group_alive(self.group.group) {
                self.group.emptied();
                return true;
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                return false;
            }
            let next = now + poll;
            self.step(false, Some(deadline.map_or(next, |d| d.min(next))))
                .await;
            poll = (poll * 2).min(Duration::from_millis(50));
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
}

async fn sleep_until_or_never(until: Option<Instant>) {
    match until {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The process's stdin: closed at the stop; for a child that speaks JSON-RPC, the lines to
/// write (written as the pipe takes them, so that a process that does not read never blocks
/// the reading of its output) and the requests waiting for their answers.
struct Writer {
    stdin: Option<ChildStdin>,
    rpc: bool,
    /// Whether messages come from a mailbox to be written.
    mailbox: bool,
    /// Lines to write, each with the reply of the line call it is, if it is one.
    queue: VecDeque<(Vec<u8>, Option<LineReply>)>,
    written: usize,
    pending: HashMap<u64, Reply<Result<Value, RpcError>>>,
    /// Line calls written and waiting, oldest first, each for the next line of output; one
    /// not written yet waits in `queue`, so that no line answers a call it came before.
    lines: VecDeque<LineReply>,
    /// Whether the process is up, so that the mailbox is read.
    up: bool,
    next_id: u64,
    /// The id of the readiness request (`Ready::Request`), and its answer once it came.
    ready_id: Option<u64>,
    ready_answer: Option<Result<Value, RpcError>>,
}

type LineReply = Reply<Result<String, LineError>>;

/// A request's reply slot and the answer that goes in it.
type RpcReply = (Reply<Result<Value, RpcError>>, Result<Value, RpcError>);

/// Lines waiting to be written before the mailbox is read again.
const QUEUED_LINES: usize = 16;

impl Writer {
    fn new(stdin: Option<ChildStdin>, rpc: bool, mailbox: bool) -> Self {
        Writer {
            stdin,
            rpc,
            mailbox,
            queue: VecDeque::new(),
            written: 0,
            pending: HashMap::new(),
            lines: VecDeque::new(),
            up: false,
            next_id: 1,
            ready_id: None,
            ready_answer: None,
        }
    }

    /// Queues the readiness request; its answer goes to `ready_answer`.
    fn ask_ready(&mut self, method: &str, params: &Value) {
        let id = self.next_id;
        self.next_id += 1;
        self.ready_id = Some(id);
        self.queue
            .push_back((rpc::request_line(id, method, params), None));
    }

    fn speaks(&self) -> bool {
        self.rpc
    }

    fn pending(&self) -> bool {
        self.stdin.is_some() && !self.queue.is_empty()
    }

    /// Whether calls are written or queued and not answered yet: the process is at work on
    /// them, for a pool's least-loaded routing (S14.2).
    fn in_flight(&self) -> bool {
        !(self.pending.is_empty() && self.lines.is_empty())
            || self.queue.iter().any(|(_, reply)| reply.is_some())
    }

    fn wants_more(&self) -> bool {
        self.mailbox && self.up && self.stdin.is_some() && self.queue.len() < QUEUED_LINES
    }

    fn put_rpc(&mut self, message: Rpc) {
        let line = match message {
            Rpc::Notify { method, params } => rpc::notify_line(&method, &params),
            Rpc::Request {
                method,
                params,
                reply,
            } => {
                let id = self.next_id;
                self.next_id += 1;
                self.pending.insert(id, reply);
                rpc::request_line(id, &method, &params)
            }
        };
        self.queue.push_back((line, None));
    }

    /// Queues a line; one that holds a line break is refused, not written.
    fn put_line(&mut self, message: Line) {
        let (text, reply) = match message {
            Line::Write(text) => (text, None),
            Line::Call { line, reply } => (line, Some(reply)),
        };
        if !rpc::one_line(&text) {
            match reply {
                Some(reply) => drop(reply.send(Err(LineError::NotOneLine))),
                None => tracing::warn!("a line sent to a process holds a line break: not written"),
            }
            return;
        }
        let mut bytes = text.into_bytes();
        bytes.push(b'\n');
        self.queue.push_back((bytes, reply));
    }

    fn refuse(&mut self, id: &Value) {
        if self.stdin.is_some() {
            self.queue.push_back((rpc::refusal_line(id), None));
        }
    }

    /// Where the answer to request `id` goes: its caller's reply, which is no longer pending.
    fn answered(&mut self, id: u64, answer: Result<Value, RpcError>) -> Option<RpcReply> {
        if self.ready_id == Some(id) {
            self.ready_id = None;
            self.ready_answer = Some(answer);
            return None;
        }
        let reply = self.pending.remove(&id)?;
        Some((reply, answer))
    }

    /// Writes what the pipe takes of the first queued line. Cancel safe: nothing is written
    /// unless it returns.
    async fn write_some(&mut self) -> std::io::Result<()> {
        std::future::poll_fn(|cx| self.poll_write_some(cx)).await
    }

    /// Writes what the pipe takes of the first queued line now, without waiting for room.
    async fn write_now(&mut self) -> std::io::Result<()> {
        std::future::poll_fn(|cx| match self.poll_write_some(cx) {
            Poll::Pending => Poll::Ready(Ok(())),
            done => done,
        })
        .await
    }

    fn poll_write_some(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let (Some(stdin), Some((line, _))) = (self.stdin.as_mut(), self.queue.front()) else {
            return Poll::Ready(Ok(()));
        };
        let n = ready!(Pin::new(stdin).poll_write(cx, &line[self.written..]))?;
        if n == 0 {
            return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
        }
        self.written += n;
        if self.written == line.len() {
            self.written = 0;
            if let Some((_, Some(reply))) = self.queue.pop_front() {
                self.lines.push_back(reply);
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Closes stdin. Calls not written yet are dropped here, those written when the
    /// incarnation ends, unless their answers come first: each ends with its exit (S14.4).
    fn close(&mut self) {
        self.stdin = None;
        self.queue.clear();
    }
}

/// Spawns `command` so that the kernel kills it when this process dies (S20.2), from the one
/// thread that spawns such processes: the parent-death signal is sent when the thread that
/// forked the child ends, and this one never does.
#[cfg(any(target_os = "linux", target_os = "android"))]
async fn contained(mut command: Command) -> std::io::Result<Child> {
    use std::sync::mpsc;
    use std::sync::OnceLock;
    type Job = (
        Command,
        tokio::runtime::Handle,
        tokio::sync::oneshot::Sender<std::io::Result<Child>>,
    );
    static SPAWNER: OnceLock<std::io::Result<mpsc::Sender<Job>>> = OnceLock::new();
    let parent = rustix::process::getpid();
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: two system calls (prctl, getppid) and an error
    // made without allocating.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(move || {
            rustix::process::set_parent_process_death_signal(Some(Signal::KILL))?;
            // The supervisor died between the fork and the prctl: the signal will not come.
            if rustix::process::getppid() != Some(parent) {
                return Err(std::io::ErrorKind::Other.into());
            }
            Ok(())
        });
    }
    let spawner = SPAWNER.get_or_init(|| {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("supervisor-spawner".into())
            .spawn(move || {
                for (mut command, runtime, answer) in queue {
                    let _entered = runtime.enter();
                    let _ = answer.send(command.spawn());
                }
            })
            .map(|_| jobs)
    });
    let spawner = match spawner {
        Ok(spawner) => spawner,
        Err(e) => return Err(std::io::Error::new(e.kind(), e.to_string())),
    };
    let (answer, child) = tokio::sync::oneshot::channel();
    let job = (command, tokio::runtime::Handle::current(), answer);
    if spawner.send(job).is_err() {
        return Err(std::io::Error::other("the spawner thread is gone"));
    }
    child
        .await
        .unwrap_or_else(|_| Err(std::io::Error::other("the spawner thread is gone")))
}

/// Elsewhere there is no parent-death signal: spawned as any other.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
async fn contained(mut command: Command) -> std::io::Result<Child> {
    command.spawn()
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
    // Valid UTF-8, as nearly every line is, becomes the string without a copy.
    let mut text = match String::from_utf8(std::mem::take(line)) {
        Ok(text) => text,
        Err(invalid) => String::from_utf8_lossy(invalid.as_bytes()).into_owned(),
    };
    // A line ended by CRLF, or by more carriage returns.
    while text.ends_with('\r') {
        text.pop();
    }
    text
}
