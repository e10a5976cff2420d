//! Seeded fault injection over a 3-level tree, checking the supervision rules as it runs.
//!
//! ```text
//! cargo run --release --features testkit --example chaos -- --faults 100000 --seed 7
//! cargo run --release --features testkit --example chaos -- --faults 100000 --seed 7 --multi-thread
//! ```
//!
//! On the default current-thread runtime the clock is paused (virtual time: exact, fast, and
//! the restart intensity is checked against a model); `--multi-thread` runs on two worker
//! threads in real time. Exits with status 1 if any rule was broken.

mod harness;

use std::time::Instant;

fn main() {
    let mut config = harness::Config {
        seed: 7,
        faults: 10_000,
        senders: 4,
        paused_clock: true,
    };
    let mut multi = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} takes a number"))
        };
        match arg.as_str() {
            "--faults" => config.faults = value("--faults"),
            "--seed" => config.seed = value("--seed"),
            "--senders" => config.senders = value("--senders") as u32,
            "--multi-thread" => multi = true,
            other => panic!("unknown argument {other}; see the example's docs"),
        }
    }
    let runtime = if multi {
        config.paused_clock = false;
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
    };
    let runtime = runtime.expect("a tokio runtime");
    // Injected panics are expected by the thousand: keep them out of the output.
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let report = runtime.block_on(harness::run(&config));
    println!(
        "seed {} on {}: {:.1} s",
        config.seed,
        if multi {
            "multi_thread(2)"
        } else {
            "current_thread (paused clock)"
        },
        started.elapsed().as_secs_f64()
    );
    println!("{report}");
    if !report.violations.is_empty() {
        std::process::exit(1);
    }
}
