//! The builder rejects what the macro rejects (S1.4, S5.6): one row per compile-time case of
//! `tests/ui/fail`, saying how the builder API handles the same mistake. A rule the builder
//! checks is run here and must give its `SpecRule`; a mistake the builder's types make
//! impossible to write names the type that prevents it; a rule about the macro's own syntax or
//! generated names says so. A new case in `tests/ui/fail` fails this test until it has a row.

use std::time::Duration;

use supervisor::{
    AutoShutdown, Backoff, BackoffRule, BreakerConfig, BreakerRule, ChildContext, ChildSpec,
    CircuitBreaker, Health, HealthCheck, HealthRule, Heartbeat, HeartbeatRule, ProbeContext,
    Restart, SpecRule, SupervisorSpec, Template,
};
use supervisor::{ChildRef, Uses, UsesRule};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

const MS: Duration = Duration::from_millis(1);

fn app() -> SupervisorSpec {
    SupervisorSpec::new("app")
}

fn w(id: &str) -> ChildSpec {
    ChildSpec::worker(id, run)
}

fn probe() -> HealthCheck {
    HealthCheck::new(|_probe: ProbeContext| async { Health::Healthy })
}

/// A ping health check on a process whose stdout is log lines: its mailbox takes no `Rpc`.
#[cfg(all(unix, feature = "process"))]
fn ping_on_a_lines_process() -> Builder {
    Rejects(
        || {
            let tools = supervisor::Process::new("tool-server");
            app()
                .child(ChildSpec::process("tools", tools).health(HealthCheck::mcp_ping()))
                .validate()
        },
        SpecRule::Health(HealthRule::AsksAnotherMailbox),
    )
}

#[cfg(not(all(unix, feature = "process")))]
fn ping_on_a_lines_process() -> Builder {
    CannotBeWritten("`HealthCheck::mcp_ping` and process children need the feature `process`")
}

/// How the builder handles one compile-time rule of the macro.
enum Builder {
    /// Built by hand, validation answers with this rule.
    Rejects(fn() -> Result<(), supervisor::SpecError>, SpecRule),
    /// The builder's types cannot express the mistake (why).
    CannotBeWritten(&'static str),
    /// A rule of the macro's syntax or of the names it generates, with no builder counterpart.
    MacroOnly(&'static str),
}

use Builder::*;

fn cases() -> Vec<(&'static str, Builder)> {
    vec![
        (
            "process_without_program",
            CannotBeWritten("`Process::new` takes the program"),
        ),
        ("unknown_ready", CannotBeWritten("`Ready` is an enum")),
        (
            "exit_codes_malformed",
            CannotBeWritten("`Process::exit_code` takes an `i32` and a `Directive`"),
        ),
        (
            "stdio_on_worker",
            CannotBeWritten("JSON-RPC calls are `ChildSpec::process_rpc`, a process's constructor"),
        ),
        ("ping_on_lines_process", ping_on_a_lines_process()),
        (
            "mailbox_on_process",
            CannotBeWritten("`ChildSpec::process` makes a child without a mailbox; `process_rpc` one of `Rpc`"),
        ),
        (
            "unknown_on_exhausted",
            CannotBeWritten("`OnExhausted` is an enum"),
        ),
        (
            "storm_limit_below_root",
            Rejects(
                || {
                    app()
                        .storm_limit(1000, 60 * 1000 * MS)
                        .child(ChildSpec::supervisor(
                            SupervisorSpec::new("ingest")
                                .storm_limit(100, 10 * 1000 * MS)
                                .child(w("fetch")),
                        ))
                        .validate()
                },
                SpecRule::StormLimitBelowRoot,
            ),
        ),
        (
            "storm_limit_malformed",
            CannotBeWritten("`SupervisorSpec::storm_limit` takes the restarts and the window"),
        ),
        (
            "all_errors_at_once",
            Rejects(
                || app().child(w("db")).child(w("db")).validate(),
                SpecRule::DuplicateId("db".into()),
            ),
        ),
        (
            "auto_shutdown_without_significant",
            Rejects(
                || {
                    app()
                        .auto_shutdown(AutoShutdown::AnySignificant)
                        .child(w("a"))
                        .validate()
                },
                SpecRule::AutoShutdownWithoutSignificant,
            ),
        ),
        (
            "backoff_initial_above_max",
            Rejects(
                || {
                    app()
                        .child(w("a").backoff(Backoff::exponential(10 * MS, MS)))
                        .validate()
                },
                SpecRule::Backoff(BackoffRule::InitialAboveMax),
            ),
        ),
        (
            "backoff_jitter_out_of_range",
            Rejects(
                || {
                    app()
                        .child(w("a").backoff(Backoff::exponential(MS, 10 * MS).jitter(1.5)))
                        .validate()
                },
                SpecRule::Backoff(BackoffRule::JitterOutOfRange),
            ),
        ),
        (
            "backoff_multiplier_below_one",
            Rejects(
                || {
                    app()
                        .child(w("a").backoff(Backoff::exponential(MS, 10 * MS).multiplier(0.5)))
                        .validate()
                },
                SpecRule::Backoff(BackoffRule::MultiplierBelowOne),
            ),
        ),
        (
            "backoff_on_temporary",
            Rejects(
                || {
                    app()
                        .child(
                            w("a")
                                .restart(Restart::Temporary)
                                .backoff(Backoff::fixed(MS)),
                        )
                        .validate()
                },
                SpecRule::BackoffOnTemporary,
            ),
        ),
        (
            "duplicate_id",
            Rejects(
                || app().child(w("db")).child(w("db")).validate(),
                SpecRule::DuplicateId("db".into()),
            ),
        ),
        (
            "duplicate_parameter",
            MacroOnly("tree parameters are the macro's"),
        ),
        (
            "duration_negative",
            CannotBeWritten("`Duration` has no negative values"),
        ),
        (
            "duration_unknown_unit",
            MacroOnly("duration literals are the macro's syntax"),
        ),
        (
            "duration_without_unit",
            MacroOnly("duration literals are the macro's syntax"),
        ),
        (
            "dynamic_significant_template",
            CannotBeWritten("`Template` has no `significant`"),
        ),
        (
            "dynamic_two_templates",
            CannotBeWritten("`SupervisorSpec::dynamic` takes one `Template`"),
        ),
        (
            "dynamic_without_template",
            CannotBeWritten("`SupervisorSpec::dynamic` requires a `Template`"),
        ),
        (
            "id_is_keyword",
            MacroOnly("handle field names are generated by the macro"),
        ),
        (
            "handle_type_names_clash",
            MacroOnly("handle type names are generated by the macro"),
        ),
        (
            "tree_named_self",
            MacroOnly("the tree's type name is the macro's"),
        ),
        (
            "missing_colon_after_id",
            MacroOnly("the tree's syntax is the macro's"),
        ),
        (
            "duration_with_a_space",
            MacroOnly("duration literals are the macro's syntax"),
        ),
        (
            "unknown_root_strategy",
            CannotBeWritten("`Strategy` is an enum"),
        ),
        (
            "syntax_errors_do_not_hide_others",
            MacroOnly("the tree's syntax is the macro's"),
        ),
        (
            "one_typo_one_error",
            CannotBeWritten("`Restart` is an enum: a misspelt restart type does not compile"),
        ),
        (
            "id_not_snake_case",
            MacroOnly("handle field names are generated by the macro"),
        ),
        (
            "mailbox_not_send",
            CannotBeWritten("a mailbox type must implement `Message` (`Send + 'static`)"),
        ),
        (
            "max_children_zero",
            Rejects(
                || {
                    let t = Template::new(|ctx: ChildContext, _n: u32| run(ctx));
                    SupervisorSpec::dynamic("pool", t)
                        .max_children(0)
                        .validate()
                },
                SpecRule::ZeroMaxChildren,
            ),
        ),
        (
            "max_restarts_not_an_integer",
            CannotBeWritten("`intensity` takes a `u32`"),
        ),
        (
            "option_out_of_place",
            CannotBeWritten(
                "`max_children` exists on `DynamicSupervisorSpec` only, `args` on `Template` \
                 only, `mailbox` is a child's type (S5.6)",
            ),
        ),
        (
            "readiness_on_template",
            CannotBeWritten("`readiness` exists on `ChildSpec` only, not on `Template` (S16.3)"),
        ),
        (
            "option_twice",
            MacroOnly("a builder call sets the value it is given"),
        ),
        (
            "supervisor_option_twice",
            MacroOnly("a builder call sets the value it is given"),
        ),
        (
            "parameter_not_clone",
            MacroOnly("tree parameters are the macro's"),
        ),
        (
            "parameter_not_send",
            MacroOnly("tree parameters are the macro's"),
        ),
        (
            "parameter_used_not_clone",
            MacroOnly("tree parameters are the macro's"),
        ),
        (
            "restart_on_root",
            CannotBeWritten("a root is a `SupervisorSpec`, which has no restart type"),
        ),
        (
            "significant_permanent",
            Rejects(
                || {
                    app()
                        .auto_shutdown(AutoShutdown::AnySignificant)
                        .child(w("a").significant(true))
                        .validate()
                },
                SpecRule::SignificantPermanent,
            ),
        ),
        (
            "significant_under_auto_shutdown_never",
            Rejects(
                || {
                    app()
                        .child(w("a").restart(Restart::Transient).significant(true))
                        .validate()
                },
                SpecRule::SignificantWithoutAutoShutdown,
            ),
        ),
        (
            "start_returns_unit",
            CannotBeWritten("a start function's output must implement `IntoExit`"),
        ),
        (
            "start_expression_type_error",
            CannotBeWritten("`ChildSpec::worker` is typed by its start function"),
        ),
        (
            "supervisor_without_children",
            Rejects(
                || {
                    app()
                        .child(ChildSpec::supervisor(SupervisorSpec::new("api")))
                        .validate()
                },
                SpecRule::NoChildren,
            ),
        ),
        (
            "tree_name_not_upper_camel",
            MacroOnly("the tree's type name is the macro's"),
        ),
        (
            "renamed_option",
            MacroOnly("a former key is the macro's syntax; the builder's methods kept their names"),
        ),
        (
            "unknown_child_option",
            MacroOnly("option names are the macro's syntax"),
        ),
        (
            "unknown_node_kind",
            MacroOnly("node kinds are the macro's syntax"),
        ),
        ("unknown_restart", CannotBeWritten("`Restart` is an enum")),
        ("unknown_shutdown", CannotBeWritten("`Shutdown` is an enum")),
        ("unknown_strategy", CannotBeWritten("`Strategy` is an enum")),
        (
            "unknown_supervisor_option",
            MacroOnly("option names are the macro's syntax"),
        ),
        (
            "two_start_expressions",
            CannotBeWritten("a child constructor takes one start function"),
        ),
        (
            "worker_without_start",
            CannotBeWritten("a start function is an argument of every child constructor"),
        ),
        (
            "wrong_message_type_and_misspelt_child",
            MacroOnly("typed handle fields are generated by the macro"),
        ),
        (
            "attribute_on_child",
            MacroOnly("attributes on children are the macro's syntax"),
        ),
        (
            "backoff_malformed",
            CannotBeWritten("`Backoff` is built by its constructors, each with its own arguments"),
        ),
        (
            "child_without_id",
            CannotBeWritten("an id is an argument of every child constructor"),
        ),
        (
            "duration_too_large",
            Rejects(
                || {
                    app()
                        .intensity(3, Duration::from_secs(101 * 365 * 24 * 3600))
                        .child(w("a"))
                        .validate()
                },
                SpecRule::DurationTooLarge("the intensity period"),
            ),
        ),
        (
            "integer_too_large",
            CannotBeWritten("`intensity` takes a `u32`"),
        ),
        (
            "mailbox_capacity_without_mailbox",
            Rejects(
                || app().child(w("a").mailbox_capacity(8)).validate(),
                SpecRule::CapacityWithoutMailbox,
            ),
        ),
        (
            "mailbox_capacity_zero",
            Rejects(
                || {
                    let sink = ChildSpec::<String>::with_mailbox(
                        "a",
                        |mut ctx: ChildContext<String>| async move {
                            while ctx.recv().await.is_some() {}
                            Ok::<(), String>(())
                        },
                    );
                    app().child(sink.mailbox_capacity(0)).validate()
                },
                SpecRule::ZeroMailboxCapacity,
            ),
        ),
        (
            "mailbox_not_a_type",
            CannotBeWritten("a mailbox is a type parameter"),
        ),
        (
            "option_without_value",
            CannotBeWritten("every builder setting takes its value"),
        ),
        (
            "significant_not_a_bool",
            CannotBeWritten("`significant` takes a `bool`"),
        ),
        (
            "template_is_a_supervisor",
            CannotBeWritten("`Template::new` takes a start function, not a supervisor"),
        ),
        (
            "template_with_id",
            CannotBeWritten("`Template::new` takes no id"),
        ),
        (
            "worker_with_children",
            CannotBeWritten("`ChildSpec::worker` has no children"),
        ),
        (
            "breaker_timeouts",
            Rejects(
                || {
                    let config = BreakerConfig::default()
                        .reset_timeout(30 * 1000 * MS)
                        .max_reset_timeout(1000 * MS);
                    app()
                        .child(w("a"))
                        .breaker(CircuitBreaker::new("llm", config))
                        .validate()
                },
                SpecRule::Breaker("llm".into(), BreakerRule::ResetAboveMax),
            ),
        ),
        (
            "float_out_of_range",
            CannotBeWritten("an `f64` argument is a value, never a literal that overflows"),
        ),
        (
            "node_kind_typo_one_error",
            MacroOnly("node kinds are the macro's words; by hand, each is a constructor"),
        ),
        (
            "misspelt_required_option",
            MacroOnly("option names are the macro's; by hand, a misspelt method does not compile"),
        ),
        (
            "pool_messages",
            CannotBeWritten("`PoolSpec::new` takes one `Template`, which is a worker"),
        ),
        (
            "key_hash_type_errors",
            CannotBeWritten("`PoolSpec::key_hash` takes `Fn(&M) -> K` with `K: Hash`: rustc rejects the closure"),
        ),
        (
            "parameter_in_probe_not_clone",
            MacroOnly("tree parameters are the macro's; by hand, a closure captures what it needs"),
        ),
        (
            "breaker_declared_twice",
            MacroOnly("breaker names are the macro's; by hand, two breakers are two values"),
        ),
        (
            "breaker_malformed",
            CannotBeWritten("`BreakerConfig` has one setter per setting"),
        ),
        (
            "breaker_not_declared",
            CannotBeWritten("`depends_on` takes a `&CircuitBreaker`, not a name"),
        ),
        (
            "counts_out_of_range",
            Rejects(
                || {
                    app()
                        .child(w("a").health(probe().failure_threshold(0)))
                        .validate()
                },
                SpecRule::Health(HealthRule::ZeroThreshold),
            ),
        ),
        (
            "args_not_clone",
            Rejects(
                || {
                    let t = Template::temporary(|ctx: ChildContext, n: u32| async move {
                        let _ = (ctx, n);
                        Ok::<(), String>(())
                    });
                    let sessions = SupervisorSpec::dynamic(
                        "sessions",
                        t.restart(Restart::Transient),
                    );
                    app().child(ChildSpec::supervisor(sessions)).validate()
                },
                SpecRule::MovedArgsRestarted,
            ),
        ),
        (
            "breaker_error_without_disposition",
            CannotBeWritten("`CircuitBreaker::call` is the same API in both: rustc rejects the call, once, saying how to declare a disposition"),
        ),
        (
            "mailbox_not_declared",
            CannotBeWritten("`ChildSpec::with_mailbox` and `Template::new` take their types from the function: there is no second declaration to disagree with"),
        ),
        (
            "uses_later_node",
            Rejects(
                || {
                    let cache = Uses::<ChildRef>::new("cache");
                    app()
                        .child(w("api").uses(&cache))
                        .child(w("cache"))
                        .validate()
                },
                SpecRule::Uses("cache".into(), UsesRule::StartsLater("api, cache".into())),
            ),
        ),
        (
            "uses_unknown",
            Rejects(
                || {
                    let typo = Uses::<ChildRef>::new("dbb");
                    app().child(w("db")).child(w("api").uses(&typo)).validate()
                },
                SpecRule::Uses("dbb".into(), UsesRule::Unknown),
            ),
        ),
        (
            "uses_on_supervisor",
            Rejects(
                || {
                    let db = Uses::<ChildRef>::new("db");
                    let web = ChildSpec::supervisor(SupervisorSpec::new("web").child(w("page")));
                    app().child(w("db")).child(web.uses(&db)).validate()
                },
                SpecRule::Uses("db".into(), UsesRule::OnSupervisor),
            ),
        ),
        (
            "uses_not_named",
            MacroOnly(
                "the builder's start function reads what it uses through its context \
                 (`ctx.used(&uses)`); the macro binds names, so a name the start never gives is a mistake",
            ),
        ),
        (
            "uses_not_a_name",
            CannotBeWritten("`Uses::new` takes a name"),
        ),
        (
            "depends_on_not_a_name",
            CannotBeWritten("`depends_on` takes a `&CircuitBreaker`"),
        ),
        (
            "heartbeat_on_supervisor",
            Rejects(
                || {
                    let api = SupervisorSpec::new("api").child(w("a"));
                    app()
                        .child(ChildSpec::supervisor(api).heartbeat(Heartbeat::every(MS)))
                        .validate()
                },
                SpecRule::Heartbeat(HeartbeatRule::OnSupervisor),
            ),
        ),
        (
            "phi_malformed",
            CannotBeWritten("`Heartbeat` has one setter per setting"),
        ),
        (
            "phi_without_interval",
            Rejects(
                || {
                    app()
                        .child(w("a").heartbeat(Heartbeat::every(Duration::ZERO)))
                        .validate()
                },
                SpecRule::Heartbeat(HeartbeatRule::ZeroInterval),
            ),
        ),
        (
            "probe_malformed",
            CannotBeWritten("`HealthCheck::new` takes the probe, and each setting has a setter"),
        ),
        (
            "probe_timeout_not_below_interval",
            Rejects(
                || {
                    app()
                        .child(w("a").health(probe().interval(2 * MS).timeout(2 * MS)))
                        .validate()
                },
                SpecRule::Health(HealthRule::TimeoutNotBelowInterval),
            ),
        ),
        (
            "state_on_supervisor",
            Rejects(
                || {
                    let api = SupervisorSpec::new("api").child(w("a"));
                    app()
                        .child(ChildSpec::supervisor(api).state::<u32>())
                        .validate()
                },
                SpecRule::StateOnSupervisor,
            ),
        ),
        (
            "broadcast_not_clone",
            CannotBeWritten("`PoolSpec::broadcast` exists only for a `Clone` message type"),
        ),
        (
            "key_hash_without_key",
            CannotBeWritten("`PoolSpec::key_hash` takes the key function"),
        ),
        (
            "overflow_outside_a_pool",
            CannotBeWritten("`overflow` and `size` are `PoolSpec` settings; slots get `usize`"),
        ),
        (
            "pool_as_root",
            MacroOnly("a pool root is written with the builder; the macro's root is a supervisor"),
        ),
        (
            "pool_size_zero",
            Rejects(
                || {
                    let t = Template::<usize, String>::new(|_ctx, _slot: usize| async {
                        Ok::<(), String>(())
                    });
                    supervisor::PoolSpec::new("pool", 0, t).validate()
                },
                SpecRule::ZeroPoolSize,
            ),
        ),
        (
            "pool_without_mailbox",
            CannotBeWritten("`PoolSpec<M>` is typed by its slots' mailbox"),
        ),
        (
            "pool_temporary_slots",
            Rejects(
                || {
                    let slot = supervisor::Template::<usize, u32>::new(
                        |mut ctx: ChildContext<u32>, _slot: usize| async move {
                            while ctx.recv().await.is_some() {}
                            Ok::<(), String>(())
                        },
                    )
                    .restart(supervisor::Restart::Temporary);
                    supervisor::PoolSpec::new("pool", 2, slot).validate()
                },
                SpecRule::TemporarySlot,
            ),
        ),
        (
            "unknown_route",
            CannotBeWritten("routes are `PoolSpec` methods"),
        ),
        (
            "zero_period",
            Rejects(
                || app().intensity(3, Duration::ZERO).child(w("a")).validate(),
                SpecRule::ZeroPeriod,
            ),
        ),
    ]
}

// S1.4, S5.6
#[test]
fn every_compile_time_rule_is_enforced_by_the_builder_or_unwritable_with_it() {
    let cases = cases();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/fail");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    files.sort();
    let mut rows: Vec<String> = cases.iter().map(|(n, _)| n.to_string()).collect();
    rows.sort();
    assert_eq!(rows, files, "one row per case of tests/ui/fail");
    for (name, how) in cases {
        match how {
            Rejects(build, rule) => {
                let err = build().expect_err(name);
                assert_eq!(err.rule, rule, "{name}");
            }
            // A rule the builder does not check must say why it need not.
            CannotBeWritten(why) | MacroOnly(why) => assert!(!why.is_empty(), "{name}"),
        }
    }
}
