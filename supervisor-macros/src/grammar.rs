//! The grammar's options as one table: where each may stand, what it takes, the builder call it
//! becomes, what it means and its rule. The option lists the checks use, the never-panic
//! vocabulary and the guide's "macro and builder" table are all read from it: a new option is
//! one row.

use std::sync::LazyLock;

/// An option list of the grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum List {
    /// `one_for_one(..)`, `one_for_all(..)`, `rest_for_one(..)`.
    Static,
    /// `dynamic(..)`.
    Dynamic,
    /// `pool(..)`.
    Pool,
    /// `[..]` after a child.
    Child,
    /// `probe(..)`.
    Probe,
    /// `phi(..)`.
    Phi,
    /// `breaker(..)`.
    Breaker,
    /// `[..]` after a `process(..)` child, beside the child options.
    Process,
}

/// How an option's value is read: the parser dispatches on it. Bounds are rules of their own
/// (`check/rules.rs`), one per rule of the semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// A non-negative integer no larger than `u32::MAX`.
    Count,
    /// A duration: an integer and a unit (`500ms`, `2s`, `1m`).
    Duration,
    /// A finite number (`0.2`, `8`, `-1.0`).
    Number,
    /// A Rust type, as written.
    Type,
    /// An expression, kept as written.
    Expr,
    /// A grammar of its own: a word, a call or a list, read by its own parser.
    Own,
}

/// One option of the grammar. What it takes, its builder call, doc and rule make the guide's
/// table, which a test keeps equal to the guide's.
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct Opt {
    pub(crate) name: &'static str,
    pub(crate) lists: &'static [List],
    /// How its value is read.
    pub(crate) value: Value,
    /// What it takes, as the guide writes it.
    pub(crate) takes: &'static str,
    /// The builder call it becomes.
    pub(crate) builder: &'static str,
    pub(crate) doc: &'static str,
    pub(crate) rule: &'static str,
}

use List::*;
use Value::*;

/// Every option, in the order the guide gives them.
#[rustfmt::skip]
pub(crate) const OPTIONS: &[Opt] = &[
    Opt { name: "max_restarts", lists: &[Static, Dynamic, Pool, Child], value: Count, takes: "INT", builder: "`.intensity(max_restarts, within)`; on a child `.restart_budget(max_restarts, within)`", doc: "restarts allowed within the period (default 3); on a child, its own budget", rule: "S4.1, S18.1" },
    Opt { name: "within", lists: &[Static, Dynamic, Pool, Child], value: Duration, takes: "DURATION", builder: "`.intensity(max_restarts, within)`; on a child `.restart_budget(max_restarts, within)`", doc: "the intensity's or the budget's period (default 5s)", rule: "S4.1, S18.1" },
    Opt { name: "storm_limit", lists: &[Static], value: Own, takes: "INT within DURATION", builder: "`.storm_limit(max_restarts, within)`", doc: "the whole tree's restart limit (on the root)", rule: "S18.2" },
    Opt { name: "auto_shutdown", lists: &[Static], value: Own, takes: "never \\| any_significant \\| all_significant", builder: "`.auto_shutdown(AutoShutdown::..)`", doc: "stop when significant children end", rule: "S8" },
    Opt { name: "max_children", lists: &[Dynamic], value: Count, takes: "INT", builder: "`.max_children(n)`", doc: "the bound on a dynamic supervisor's children", rule: "S5.4" },
    Opt { name: "size", lists: &[Pool], value: Count, takes: "INT", builder: "`PoolSpec::new(id, size, template)`", doc: "the number of slots", rule: "S14.1" },
    Opt { name: "route", lists: &[Pool], value: Own, takes: "round_robin \\| least_loaded \\| key_hash(f) \\| broadcast", builder: "`.round_robin()`, `.least_loaded()`, `.key_hash(f)`, `.broadcast()`", doc: "which slot a message goes to", rule: "S14.2" },
    Opt { name: "overflow", lists: &[Pool], value: Own, takes: "wait \\| reject \\| drop_newest \\| drop_oldest", builder: "`.overflow(Overflow::..)`", doc: "what a send does when no slot has room", rule: "S14.3" },
    Opt { name: "restart", lists: &[Child], value: Own, takes: "permanent \\| transient \\| temporary", builder: "`.restart(Restart::..)`", doc: "when the child is restarted", rule: "S3.2" },
    Opt { name: "shutdown", lists: &[Child], value: Own, takes: "brutal_kill \\| infinity \\| DURATION", builder: "`.shutdown(Shutdown::..)`", doc: "how long its stop may take", rule: "S6.2" },
    Opt { name: "significant", lists: &[Child], value: Own, takes: "(flag) \\| BOOL", builder: "`.significant(bool)`", doc: "its end counts for auto_shutdown", rule: "S8" },
    Opt { name: "on_exhausted", lists: &[Child], value: Own, takes: "escalate \\| quarantine", builder: "`.on_exhausted(OnExhausted::..)`", doc: "what happens past its own budget", rule: "S18.1" },
    Opt { name: "readiness", lists: &[Child], value: Own, takes: "counts \\| ignored", builder: "`.readiness(Readiness::..)`", doc: "whether it counts for the tree's readiness", rule: "S16.3" },
    Opt { name: "backoff", lists: &[Child], value: Own, takes: "none \\| fixed(D) \\| linear(D, D, D) \\| exponential(D, D)", builder: "`.backoff(Backoff::..)`", doc: "the delay before each restart", rule: "S1.2" },
    Opt { name: "mailbox", lists: &[Child], value: Type, takes: "Type", builder: "`ChildSpec::with_mailbox`, `Template::<A, M>`", doc: "the type of its messages", rule: "S9.8" },
    Opt { name: "mailbox_capacity", lists: &[Child], value: Count, takes: "INT", builder: "`.mailbox_capacity(n)`", doc: "its mailbox's bound (default 1024)", rule: "S9.8" },
    Opt { name: "args", lists: &[Child], value: Type, takes: "Type", builder: "`Template::<A, M>`", doc: "a template's argument type", rule: "S5.4" },
    Opt { name: "decider", lists: &[Child], value: Expr, takes: "expr", builder: "`.decider(f)`", doc: "a fn of the exit reason to a directive", rule: "S10.2" },
    Opt { name: "health", lists: &[Child], value: Own, takes: "probe(..) \\| ping(..)", builder: "`.health(HealthCheck::new(f)..)`, `HealthCheck::mcp_ping()`", doc: "a probe of each incarnation; `ping` for a JSON-RPC process", rule: "S11, S20.4" },
    Opt { name: "heartbeat", lists: &[Child], value: Own, takes: "phi(..)", builder: "`.heartbeat(Heartbeat::every(d)..)`", doc: "judged by its heartbeats", rule: "S12" },
    Opt { name: "depends_on", lists: &[Child], value: Own, takes: "name \\| [name, ..]", builder: "`.depends_on(&breaker)`", doc: "breakers whose opening holds its restarts", rule: "S13.7" },
    Opt { name: "uses", lists: &[Child], value: Own, takes: "name \\| [name, ..]", builder: "`.uses(&Uses::<H>::new(name))`", doc: "earlier nodes and breakers its start expression names", rule: "S17.1" },
    Opt { name: "state", lists: &[Child], value: Type, takes: "Type", builder: "`.state::<T>()`", doc: "state carried across its restarts", rule: "S15" },
    Opt { name: "stdio", lists: &[Process], value: Own, takes: "lines \\| json_rpc", builder: "`ChildSpec::process_lines`, `ChildSpec::process_rpc`", doc: "calls over stdin and stdout in plain lines or JSON-RPC (without it: none, output logged)", rule: "S20.3, S20.4" },
    Opt { name: "ready", lists: &[Process], value: Own, takes: "spawned \\| line(\"text\") \\| after(D) \\| mcp", builder: "`.ready(Ready::..)`", doc: "when an incarnation is up", rule: "S20.1" },
    Opt { name: "ready_timeout", lists: &[Process], value: Duration, takes: "DURATION", builder: "`.ready_timeout(d)`", doc: "how long it may take to be up (default 30s)", rule: "S20.1" },
    Opt { name: "exit_codes", lists: &[Process], value: Own, takes: "[INT => directive, ..]", builder: "`.exit_code(code, Directive::..)`", doc: "what an exit code calls for (`78 => fatal`)", rule: "S20.3" },
    Opt { name: "env_clear", lists: &[Process], value: Own, takes: "(flag)", builder: "`.env_clear()`", doc: "an empty environment but for `env`, instead of the supervisor's", rule: "S20.1" },
    Opt { name: "env", lists: &[Process], value: Expr, takes: "expr", builder: "`.envs(vars)`", doc: "variables of its environment (`[(\"K\", \"v\")]`)", rule: "S20.1" },
    Opt { name: "cwd", lists: &[Process], value: Expr, takes: "expr", builder: "`.current_dir(dir)`", doc: "its working directory", rule: "S20.1" },
    Opt { name: "die_with_supervisor", lists: &[Process], value: Own, takes: "(flag)", builder: "`.die_with_supervisor()`", doc: "killed by the kernel if the supervising process dies (Linux)", rule: "S20.2" },
    Opt { name: "interval", lists: &[Probe, Phi], value: Duration, takes: "DURATION", builder: "`.interval(d)`, `Heartbeat::every(d)`", doc: "the probe's or the heartbeat's interval", rule: "S11.1, S12.6" },
    Opt { name: "timeout", lists: &[Probe], value: Duration, takes: "DURATION", builder: "`.timeout(d)`", doc: "a probe's time limit", rule: "S11.1" },
    Opt { name: "failure_threshold", lists: &[Probe, Breaker], value: Count, takes: "INT", builder: "`.failure_threshold(n)`", doc: "failures in a row that convict, or open", rule: "S11.2, S13.2" },
    Opt { name: "success_threshold", lists: &[Probe, Breaker], value: Count, takes: "INT", builder: "`.success_threshold(n)`", doc: "successes in a row that reset, or close", rule: "S11.2, S13.4" },
    Opt { name: "initial_delay", lists: &[Probe], value: Duration, takes: "DURATION", builder: "`.initial_delay(d)`", doc: "the wait before the first probe", rule: "S11.1" },
    Opt { name: "threshold", lists: &[Phi], value: Number, takes: "FLOAT", builder: "`.threshold(phi)`", doc: "the phi that convicts (default 8)", rule: "S12.3" },
    Opt { name: "window", lists: &[Phi], value: Count, takes: "INT", builder: "`.window(n)`", doc: "the intervals the estimate is made from", rule: "S12.1" },
    Opt { name: "min_std_deviation", lists: &[Phi], value: Duration, takes: "DURATION", builder: "`.min_std_deviation(d)`", doc: "the floor of the deviation", rule: "S12.1" },
    Opt { name: "acceptable_pause", lists: &[Phi], value: Duration, takes: "DURATION", builder: "`.acceptable_pause(d)`", doc: "a pause that is not yet silence", rule: "S12.1" },
    Opt { name: "max_local_pause", lists: &[Phi], value: Duration, takes: "DURATION", builder: "`.max_local_pause(d)`", doc: "how late the judge may wake before it distrusts itself", rule: "S12.4" },
    Opt { name: "call_timeout", lists: &[Breaker], value: Duration, takes: "DURATION", builder: "`.call_timeout(d)`", doc: "a call over it counts as failed", rule: "S13.2" },
    Opt { name: "reset_timeout", lists: &[Breaker], value: Duration, takes: "DURATION", builder: "`.reset_timeout(d)`", doc: "how long it stays open", rule: "S13.3" },
    Opt { name: "max_reset_timeout", lists: &[Breaker], value: Duration, takes: "DURATION", builder: "`.max_reset_timeout(d)`", doc: "the bound of the doubled reset", rule: "S13.3" },
    Opt { name: "half_open_max_calls", lists: &[Breaker], value: Count, takes: "INT", builder: "`.half_open_max_calls(n)`", doc: "trial calls at once when half-open", rule: "S13.4" },
    Opt { name: "jitter", lists: &[Breaker], value: Number, takes: "FLOAT", builder: "`.jitter(f)`", doc: "a random share added to each doubled reset", rule: "S13.3" },
];

/// Former keys and the names they became: one name per concept, the builder's and the rules'
/// (`SEMANTICS.md`). A former key is an error that names its successor, and is read as it.
pub(crate) const RENAMED: &[(&str, &str)] = &[
    ("decide", "decider"),
    ("every", "interval"),
    ("failures", "failure_threshold"),
    ("successes", "success_threshold"),
    ("min_std", "min_std_deviation"),
    ("reset", "reset_timeout"),
    ("max_reset", "max_reset_timeout"),
    ("half_open", "half_open_max_calls"),
];

/// The name a former key became.
pub(crate) fn renamed(old: &str) -> Option<&'static str> {
    RENAMED.iter().find(|(o, _)| *o == old).map(|(_, n)| *n)
}

/// The option called `name`.
pub(crate) fn option(name: &str) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.name == name)
}

/// The names of the options of `list`, in the table's order.
pub(crate) fn names(list: List) -> &'static [&'static str] {
    fn of(list: List) -> Vec<&'static str> {
        OPTIONS
            .iter()
            .filter(|o| o.lists.contains(&list))
            .map(|o| o.name)
            .collect()
    }
    static LISTS: LazyLock<[Vec<&'static str>; 8]> =
        LazyLock::new(|| [Static, Dynamic, Pool, Child, Probe, Phi, Breaker, Process].map(of));
    &LISTS[list as usize]
}

/// The guide's table of options: the macro's, the builder's, what and which rule.
#[cfg(test)]
pub(crate) fn markdown() -> String {
    let mut out = String::from(
        "| option | where | takes | builder | what | rule |\n|---|---|---|---|---|---|\n",
    );
    for o in OPTIONS {
        let lists: Vec<&str> = o
            .lists
            .iter()
            .map(|l| match l {
                Static => "static",
                Dynamic => "dynamic",
                Pool => "pool",
                Child => "child",
                Probe => "probe",
                Phi => "phi",
                Breaker => "breaker",
                Process => "process",
            })
            .collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            o.name,
            lists.join(", "),
            o.takes,
            o.builder,
            o.doc,
            o.rule
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The guide's table is the one this module makes.
    #[test]
    fn the_guide_has_the_table_of_options() {
        let readme = include_str!("../../README.md");
        let table = markdown();
        if std::env::var_os("PRINT_OPTIONS_TABLE").is_some() {
            println!("{table}");
        }
        assert!(
            readme.contains(&table),
            "README.md's table of options differs; it must read:\n{table}"
        );
    }

    // What the guide says an option takes is how the parser reads it.
    #[test]
    fn the_guide_says_how_each_value_is_read() {
        for o in OPTIONS {
            let said = match o.takes {
                "INT" => Value::Count,
                "DURATION" => Value::Duration,
                "FLOAT" => Value::Number,
                "Type" => Value::Type,
                "expr" => Value::Expr,
                _ => Value::Own,
            };
            assert_eq!(o.value, said, "{}", o.name);
        }
    }

    // A former key names an option of the table, and is none itself.
    #[test]
    fn former_keys_name_options_of_the_table() {
        for (old, new) in RENAMED {
            assert!(OPTIONS.iter().any(|o| o.name == *new), "{new}");
            assert!(OPTIONS.iter().all(|o| o.name != *old), "{old}");
        }
    }

    // A name stands once in each list, and every list has its options.
    #[test]
    fn every_list_has_its_options_once() {
        for list in [Static, Dynamic, Pool, Child, Probe, Phi, Breaker] {
            let names = names(list);
            assert!(!names.is_empty(), "{list:?}");
            for (i, n) in names.iter().enumerate() {
                assert!(!names[i + 1..].contains(n), "{n} twice in {list:?}");
            }
        }
    }
}
