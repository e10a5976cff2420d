//! What an operating-system process child runs (S20): program, arguments, environment, working
//! directory, when it is up, and what its exit codes mean. Data only: `subprocess` runs it.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::exit::Directive;
use crate::types::AnyArc;

/// The program a process child runs, and how (S20). Give it to
/// [`ChildSpec::process`](crate::ChildSpec::process); the child's restart type, shutdown,
/// backoff, probes and breakers are set on the [`ChildSpec`](crate::ChildSpec) as for a task.
///
/// ```
/// use std::time::Duration;
/// use supervisor::{Directive, Process, Ready};
///
/// let server = Process::new("python3")
///     .args(["-m", "tool_server", "--port", "0"])
///     .env_clear()
///     .env("PATH", "/usr/bin:/bin")
///     .current_dir("/srv/tools")
///     .ready(Ready::Line("listening".into()))
///     .ready_timeout(Duration::from_secs(10))
///     .exit_code(78, Directive::Fatal);
/// assert_eq!(server.program(), "python3");
/// ```
#[derive(Clone)]
pub struct Process {
    pub(crate) program: OsString,
    pub(crate) args: Vec<OsString>,
    pub(crate) env_clear: bool,
    /// In order: a later setting of a name wins; `None` removes it.
    pub(crate) env: Vec<(OsString, Option<OsString>)>,
    pub(crate) current_dir: Option<PathBuf>,
    pub(crate) ready: Ready,
    pub(crate) ready_timeout: Duration,
    pub(crate) exit_codes: Arc<[(i32, Directive)]>,
    pub(crate) tail_lines: usize,
    pub(crate) max_line: usize,
    pub(crate) max_message: usize,
    pub(crate) show_args: bool,
    pub(crate) die_with_supervisor: bool,
    /// A template's (S5.4, S14.1): each incarnation's process is this one adapted to the
    /// child's arguments, given erased.
    #[cfg_attr(not(all(unix, feature = "process")), allow(dead_code))]
    pub(crate) adapt: Option<Adapt>,
}

/// How a process template makes an incarnation's process from its own and the child's
/// arguments (`None` when the arguments are not there).
pub(crate) type Adapt = Arc<dyn Fn(Process, &AnyArc) -> Option<Process> + Send + Sync>;

/// When an incarnation of a process child is up (S20.1).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ready {
    /// As soon as it is spawned (the default).
    Spawned,
    /// Once it writes a line containing this text, on stdout or stderr.
    Line(String),
    /// This long after it is spawned, if it is still running.
    After(Duration),
    /// Once it answers this JSON-RPC request on stdout with a result (S20.4); then `then`, if
    /// given, is sent as a notification. An MCP server: [`Ready::mcp`].
    #[cfg(feature = "process")]
    Request {
        /// The method.
        method: String,
        /// Its parameters.
        params: serde_json::Value,
        /// A notification sent once it answered.
        then: Option<String>,
    },
}

#[cfg(feature = "process")]
impl Ready {
    /// Up once an MCP server answered `initialize` (announcing this client), after which it is
    /// sent `notifications/initialized`: the handshake of the Model Context Protocol.
    pub fn mcp(client: &str) -> Self {
        Ready::Request {
            method: "initialize".into(),
            params: serde_json::json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": client, "version": env!("CARGO_PKG_VERSION")},
            }),
            then: Some("notifications/initialized".into()),
        }
    }
}

/// The lines of stderr kept for an exit's context by default.
pub(crate) const DEFAULT_TAIL_LINES: usize = 20;
/// The longest line of output kept whole by default; the rest of a longer line is dropped.
pub(crate) const DEFAULT_MAX_LINE: usize = 8 * 1024;
/// The longest JSON-RPC message read from stdout by default (S20.4).
pub(crate) const DEFAULT_MAX_MESSAGE: usize = 4 * 1024 * 1024;
/// How long an incarnation may take to be up by default, when it waits for a line or a delay.
pub(crate) const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);

impl Process {
    /// Runs `program` (looked up in `PATH` when it has no slash), with the environment of the
    /// supervising process unless [`env_clear`](Self::env_clear) says otherwise.
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Process {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            env_clear: false,
            env: Vec::new(),
            current_dir: None,
            ready: Ready::Spawned,
            ready_timeout: DEFAULT_READY_TIMEOUT,
            exit_codes: Arc::from([]),
            tail_lines: DEFAULT_TAIL_LINES,
            max_line: DEFAULT_MAX_LINE,
            max_message: DEFAULT_MAX_MESSAGE,
            show_args: false,
            die_with_supervisor: false,
            adapt: None,
        }
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Starts from an empty environment instead of the supervising process's: only what
    /// [`env`](Self::env) sets is passed.
    pub fn env_clear(mut self) -> Self {
        self.env_clear = true;
        self.env.clear();
        self
    }

    /// Sets a variable of its environment.
    pub fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        (self.env).push((name.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    /// Sets variables of its environment.
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (name, value) in vars {
            self = self.env(name, value);
        }
        self
    }

    /// Removes a variable from its environment.
    pub fn env_remove(mut self, name: impl AsRef<OsStr>) -> Self {
        self.env.push((name.as_ref().to_owned(), None));
        self
    }

    /// Its working directory (the supervising process's by default).
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// When an incarnation is up (S20.1): [`Ready::Spawned`] by default.
    pub fn ready(mut self, ready: Ready) -> Self {
        self.ready = ready;
        self
    }

    /// How long an incarnation may take to be up, when it waits for a line or a delay: past
    /// it, its start failed, with the tail of its stderr (30 s by default).
    pub fn ready_timeout(mut self, limit: Duration) -> Self {
        self.ready_timeout = limit;
        self
    }

    /// What its supervisor does when it exits with `code`: `exit_code(78, Directive::Fatal)`
    /// ends the tree, since a restart cannot fix its configuration. Other codes follow the
    /// restart type. A [`decider`](crate::ChildSpec::decider) set on the child replaces this
    /// table.
    pub fn exit_code(mut self, code: i32, directive: Directive) -> Self {
        let mut codes: Vec<(i32, Directive)> = self.exit_codes.to_vec();
        codes.retain(|(c, _)| *c != code);
        codes.push((code, directive));
        self.exit_codes = Arc::from(codes);
        self
    }

    /// How many lines of stderr an exit's context keeps (20 by default).
    pub fn stderr_tail(mut self, lines: usize) -> Self {
        self.tail_lines = lines;
        self
    }

    /// The longest line of output kept whole (8 KiB by default); the rest of a longer line is
    /// dropped.
    pub fn max_line(mut self, bytes: usize) -> Self {
        self.max_line = bytes.max(1);
        self
    }

    /// The longest line of stdout read as a JSON-RPC message, for a child that speaks it
    /// (4 MiB by default): a longer one is cut, cannot be read, and its request times out.
    pub fn max_message(mut self, bytes: usize) -> Self {
        self.max_message = bytes.max(1);
        self
    }

    /// Shows the arguments in pictures and the observer, which show the program alone by
    /// default: arguments often carry tokens.
    pub fn show_args(mut self) -> Self {
        self.show_args = true;
        self
    }

    /// The kernel kills the process (SIGKILL) if the supervising process dies, even by
    /// SIGKILL, where no stop can run (S20.2): Linux's parent-death signal. The process is
    /// spawned from a thread of the runtime's that never ends, since the signal follows the
    /// thread that spawned it. Only the process itself is signalled, not the rest of its
    /// group: run the tree under a service manager that kills its control group for that. On
    /// other systems it does nothing.
    pub fn die_with_supervisor(mut self) -> Self {
        self.die_with_supervisor = true;
        self
    }

    /// The program.
    pub fn program(&self) -> &OsStr {
        &self.program
    }

    /// The command as pictures show it: the program, and the arguments only when
    /// [`show_args`](Self::show_args) was set.
    pub fn command_line(&self) -> String {
        let mut line = self.program.to_string_lossy().into_owned();
        if self.show_args {
            for arg in &self.args {
                line.push(' ');
                line.push_str(&arg.to_string_lossy());
            }
        } else if !self.args.is_empty() {
            line.push_str(" …");
        }
        line
    }

    /// The directive its exit-code table gives `code`, if any.
    #[cfg_attr(not(all(unix, feature = "process")), allow(dead_code))]
    pub(crate) fn directive_for(&self, code: i32) -> Option<Directive> {
        (self.exit_codes.iter())
            .find(|(c, _)| *c == code)
            .map(|(_, d)| *d)
    }
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process")
            .field("command", &self.command_line())
            .field("ready", &self.ready)
            .field("exit_codes", &self.exit_codes)
            .finish_non_exhaustive()
    }
}

/// How a process child's incarnation ended on its own, other than with status 0 (S20.3): the
/// error of its exit, with the last lines of its stderr (its `source`).
#[derive(Clone, Debug)]
pub struct ProcessExit {
    pub(crate) program: Arc<str>,
    pub(crate) code: Option<i32>,
    pub(crate) signal: Option<i32>,
    pub(crate) stderr_tail: StderrTail,
}

impl ProcessExit {
    /// The program that exited.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// Its exit code, when it exited with one.
    pub fn code(&self) -> Option<i32> {
        self.code
    }

    /// The signal that ended it, when one did.
    pub fn signal(&self) -> Option<i32> {
        self.signal
    }

    /// The last lines it wrote to stderr, oldest first.
    pub fn stderr_tail(&self) -> &[Arc<str>] {
        &self.stderr_tail.0
    }
}

impl fmt::Display for ProcessExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, self.signal) {
            (Some(code), _) => write!(f, "{} exited with code {code}", self.program),
            (None, Some(signal)) => match signal_name(signal) {
                Some(name) => write!(f, "{} was killed by {name}", self.program),
                None => write!(f, "{} was killed by signal {signal}", self.program),
            },
            (None, None) => write!(f, "{} ended", self.program),
        }
    }
}

impl std::error::Error for ProcessExit {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        (!self.stderr_tail.0.is_empty()).then_some(&self.stderr_tail as _)
    }
}

/// Why a process child's incarnation did not come up (S20.1).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ProcessStartError {
    /// The program could not be spawned (not found, not executable, a bad directory).
    Spawn {
        /// The program.
        program: Arc<str>,
        /// What the operating system said.
        error: Arc<std::io::Error>,
    },
    /// It answered its readiness request with an error (S20.4); it was killed.
    Refused {
        /// The program.
        program: Arc<str>,
        /// The error object it answered with.
        answer: String,
    },
    /// It was not up within its readiness timeout; it was killed.
    NotReady {
        /// The program.
        program: Arc<str>,
        /// The timeout.
        after: Duration,
        /// The last lines it wrote to stderr.
        stderr_tail: StderrTail,
    },
}

impl fmt::Display for ProcessStartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessStartError::Spawn { program, error } => {
                write!(f, "{program} could not be spawned: {error}")
            }
            ProcessStartError::NotReady { program, after, .. } => {
                write!(f, "{program} was not ready within {after:?}")
            }
            ProcessStartError::Refused { program, answer } => {
                write!(f, "{program} refused its readiness request: {answer}")
            }
        }
    }
}

impl std::error::Error for ProcessStartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProcessStartError::Spawn { error, .. } => Some(&**error as _),
            ProcessStartError::Refused { .. } => None,
            ProcessStartError::NotReady { stderr_tail, .. } => {
                (!stderr_tail.0.is_empty()).then_some(stderr_tail as _)
            }
        }
    }
}

/// The last lines a process wrote to stderr: the cause in an exit's error chain, one line
/// after the other.
#[derive(Clone, Debug, Default)]
pub struct StderrTail(pub(crate) Arc<[Arc<str>]>);

impl StderrTail {
    /// The lines, oldest first.
    pub fn lines(&self) -> &[Arc<str>] {
        &self.0
    }
}

impl From<Vec<Arc<str>>> for StderrTail {
    fn from(lines: Vec<Arc<str>>) -> Self {
        StderrTail(Arc::from(lines))
    }
}

impl fmt::Display for StderrTail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stderr:")?;
        for line in self.0.iter() {
            write!(f, "\n  {line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for StderrTail {}

/// The name of a signal, for the common ones (S20.3: "killed by SIGSEGV").
pub(crate) fn signal_name(signal: i32) -> Option<&'static str> {
    #[cfg(all(unix, feature = "process"))]
    {
        use rustix::process::Signal as S;
        let names = [
            (S::HUP, "SIGHUP"),
            (S::INT, "SIGINT"),
            (S::QUIT, "SIGQUIT"),
            (S::ILL, "SIGILL"),
            (S::TRAP, "SIGTRAP"),
            (S::ABORT, "SIGABRT"),
            (S::BUS, "SIGBUS"),
            (S::FPE, "SIGFPE"),
            (S::KILL, "SIGKILL"),
            (S::USR1, "SIGUSR1"),
            (S::SEGV, "SIGSEGV"),
            (S::USR2, "SIGUSR2"),
            (S::PIPE, "SIGPIPE"),
            (S::ALARM, "SIGALRM"),
            (S::TERM, "SIGTERM"),
        ];
        names
            .iter()
            .find(|(s, _)| s.as_raw() == signal)
            .map(|(_, n)| *n)
    }
    #[cfg(not(all(unix, feature = "process")))]
    {
        let _ = signal;
        None
    }
}
