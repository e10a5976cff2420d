//! Seeded fault injection (see `examples/chaos/harness.rs` for the faults and the checks):
//! a bounded number of seeds on the paused clock, where the restart intensity is checked
//! against a model too, and a short pass on a multi-thread runtime. Long runs:
//! `cargo run --release --features testkit --example chaos -- --faults 100000 --seed 7 [--multi-thread]`.

#[path = "../examples/chaos/harness.rs"]
mod harness;

use harness::{run, Config};

// S3, S4.1, S4.3, S6.3, S9.4, S9.8, S10-S15, S18.1, S18.3, checked together under random
// faults.
#[tokio::test(start_paused = true)]
async fn seeded_fault_schedules_break_no_rule() {
    for seed in 1..=6 {
        let config = Config {
            seed,
            faults: 4_000,
            senders: 4,
            paused_clock: true,
        };
        let report = run(&config).await;
        assert_eq!(report.total_faults(), config.faults);
        assert!(report.violations.is_empty(), "seed {seed}:\n{report}");
        // The schedule did what it is for: restarts, kills, failed starts, undelivered mail.
        assert!(report.restart_decisions > 0 && report.killed > 0 && report.failed_starts > 0);
        assert!(report.received > 0);
        // And the features: convictions by probe and heartbeat, restarts held by a breaker,
        // calls answered, dropped and crashed.
        assert!(
            report.convictions > 0 && report.held_restarts > 0,
            "{report}"
        );
        // Budgets and pauses: quarantines and pauses took effect (S18.1, S18.3).
        assert!(report.quarantines > 0 && report.pauses > 0, "{report}");
        for outcome in [
            "Answer -> answered",
            "Drop -> unanswered",
            "Panic -> exited",
        ] {
            assert!(
                report.calls.get(outcome) > Some(&0),
                "no {outcome}:\n{report}"
            );
        }
    }
}

// The same on two worker threads, in real time (the intensity model needs exact times).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_multi_thread_fault_schedule_breaks_no_rule() {
    let config = Config {
        seed: 11,
        faults: 300,
        senders: 4,
        paused_clock: false,
    };
    let report = run(&config).await;
    assert_eq!(report.total_faults(), config.faults);
    assert!(report.violations.is_empty(), "{report}");
}
