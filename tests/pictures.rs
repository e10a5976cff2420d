//! Pictures of trees (text, Mermaid, DOT): from a tree's description, from a spec built by
//! hand, and from a running tree, with escaping that no id can break.

mod common;

use common::{settle, S};
use supervisor::{
    supervision_tree, Backoff, BoxError, ChildContext, ChildSpec, Health, Picture, ProbeContext,
    Restart, Supervisor, SupervisorSpec,
};

#[allow(dead_code, clippy::all)]
#[path = "../examples/flagship.rs"]
mod flagship;

async fn idle(ctx: ChildContext) -> Result<(), BoxError> {
    ctx.cancelled().await;
    Ok(())
}

fn spec() -> SupervisorSpec {
    SupervisorSpec::new("app")
        .child(ChildSpec::worker("db", idle).restart(Restart::Transient))
        .child(ChildSpec::supervisor(
            SupervisorSpec::new("api")
                .strategy(supervisor::Strategy::RestForOne)
                .child(ChildSpec::with_mailbox(
                    "listener",
                    |mut ctx: ChildContext<String>| async move {
                        while ctx.recv().await.is_some() {}
                        Ok::<(), BoxError>(())
                    },
                )),
        ))
}

#[test]
fn a_hand_built_spec_in_three_formats() {
    let p = Picture::from(&spec());
    assert_eq!(
        p.text(),
        "app (one_for_one, 3 in 5s)\n\
         ├── db [transient]\n\
         └── api (rest_for_one, 3 in 5s)\n    \
             └── listener <String>\n"
    );
    assert_eq!(
        p.mermaid(),
        "flowchart TD\n    \
         n0[\"app (one_for_one, 3 in 5s)\"]\n    \
         n1(\"db [transient]\")\n    \
         n2[\"api (rest_for_one, 3 in 5s)\"]\n    \
         n3(\"listener #lt;String#gt;\")\n    \
         n0 --> n1\n    \
         n0 --> n2\n    \
         n2 --> n3\n"
    );
    assert_eq!(
        p.dot(),
        "digraph \"app\" {\n    \
         node [fontname=\"Helvetica\"];\n    \
         n0 [label=\"app (one_for_one, 3 in 5s)\", shape=box];\n    \
         n1 [label=\"db [transient]\", shape=ellipse];\n    \
         n2 [label=\"api (rest_for_one, 3 in 5s)\", shape=box];\n    \
         n3 [label=\"listener <String>\", shape=ellipse];\n    \
         n0 -> n1;\n    \
         n0 -> n2;\n    \
         n2 -> n3;\n\
         }\n"
    );
}

supervision_tree! {
    Odd: one_for_one {
        end: worker(idle),
        o: worker(idle),
        x: worker(idle),
        subgraph: dynamic { worker(|ctx, _q: String| idle(ctx)) [args = String] },
    }
}

// Ids that are Mermaid keywords or edge markers (`end`, `o`, `x`) and quotes cannot break a
// chart: nodes are numbered, labels are quoted and escaped.
#[test]
fn ids_cannot_break_a_chart() {
    let m = Picture::from(&Odd::TREE).mermaid();
    for line in m.lines().skip(1) {
        let line = line.trim();
        assert!(
            line.starts_with('n')
                && (line.contains("[\"") || line.contains("(\"") || line.contains(" --> ")),
            "{line}"
        );
    }
    assert!(m.contains("n1(\"end\")") && m.contains("n2(\"o\")") && m.contains("n3(\"x\")"));
    assert!(m.contains("n4[[\"subgraph (dynamic, 3 in 5s)\"]]"));
    assert!(m.contains("n5(\"#lt;template#gt;\")"));
    let quoted = SupervisorSpec::new("a\"b\\c").child(ChildSpec::worker("q", idle));
    let p = Picture::from(&quoted);
    assert!(p
        .mermaid()
        .contains("n0[\"a#quot;b\\c (one_for_one, 3 in 5s)\"]"));
    assert!(p.dot().starts_with("digraph \"a\\\"b\\\\c\" {"));
}

// A running tree, pictured with each child's state, incarnation, restarts, in colour.
#[tokio::test(start_paused = true)]
async fn a_live_tree_is_pictured_with_its_states() {
    let spec = SupervisorSpec::new("app")
        .child(ChildSpec::worker("db", idle))
        .child(
            ChildSpec::worker("flaky", |_ctx: ChildContext| async move {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                Err::<(), BoxError>("down".into())
            })
            .backoff(Backoff::fixed(10 * S)),
        );
    let app = Supervisor::start(spec).await.unwrap();
    tokio::time::sleep(S).await;
    settle().await;
    let p = app.root().picture().await;
    assert_eq!(
        p.text(),
        "app (one_for_one, 3 in 5s)\n\
         ├── db [running, incarnation 0]\n\
         └── flaky [backoff] [restarting, incarnation 0, 1 restart] [last exit: down]\n"
    );
    let m = p.mermaid();
    assert!(m.contains("class n1 running;"), "{m}");
    assert!(m.contains("class n2 restarting;"), "{m}");
    assert!(p.dot().contains("n2 [label=\"flaky [backoff] [restarting, incarnation 0, 1 restart] [last exit: down]\", shape=ellipse, style=filled, fillcolor=\"#fff3cd\", color=\"#b26a00\"];"));
    app.shutdown().await.unwrap();
}

/// The README shows the flagship tree as a Mermaid chart: the one the crate draws.
#[test]
fn the_readme_chart_is_the_flagship_tree() {
    let readme = include_str!("../README.md");
    let chart = readme
        .split("```mermaid\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("the README has a mermaid chart");
    assert_eq!(chart, Picture::from(&flagship::Service::TREE).mermaid());
}

/// Beats for three seconds, then falls silent without exiting.
async fn beats_then_silent(ctx: ChildContext) -> Result<(), BoxError> {
    for _ in 0..3 {
        ctx.heartbeat();
        tokio::time::sleep(S).await;
    }
    ctx.cancelled().await;
    Ok(())
}

async fn unwell(_probe: ProbeContext) -> Health {
    Health::degraded("slow disk")
}

supervision_tree! {
    Watched: one_for_one {
        judged: worker(beats_then_silent) [heartbeat = phi(interval = 1s, threshold = 16)],
        probed: worker(idle) [health = probe(unwell, interval = 1s, timeout = 500ms)],
    }
    breakers {
        llm: breaker(failure_threshold = 1, reset_timeout = 1m),
        search: breaker(),
    }
}

// A live picture from the tree's handle: health, phi, and the breakers with their states.
#[tokio::test(start_paused = true)]
async fn a_live_picture_shows_health_phi_and_breakers() {
    let app = Watched::start().await.unwrap();
    let llm = app.breaker("llm").unwrap();
    let _ = llm
        .call(async { Err::<(), _>(std::io::Error::other("down")) })
        .await;
    // Three beats a second apart, then 2 s of silence: phi has grown, short of the threshold.
    tokio::time::sleep(5 * S).await;
    settle().await;
    let p = app.picture().await;
    let text = p.text();
    let phi = app.judged.phi().expect("judged");
    assert!(phi > 0.0 && phi < 16.0, "{phi}");
    let report = app.health_report().await;
    assert_eq!(
        report.children[0].phi,
        Some(phi),
        "S16.3: the report's detail has phi"
    );
    assert_eq!(report.children[1].phi, None);
    assert_eq!(
        text,
        format!(
            "watched (one_for_one, 3 in 5s)\n\
             ├── judged [heartbeat every 1s] [running, incarnation 0, phi {phi:.1}]\n\
             └── probed [probe every 1s] [running, incarnation 0, degraded]\n\
             breaker llm [open]\n\
             breaker search [closed]\n"
        )
    );
    let m = p.mermaid();
    assert!(m.contains("b0{{\"breaker llm [open]\"}}"), "{m}");
    assert!(
        m.contains("class b0 unhealthy;") && m.contains("class b1 running;"),
        "{m}"
    );
    assert!(m.contains("class n2 degraded;"), "{m}");
    let d = p.dot();
    assert!(
        d.contains("b0 [label=\"breaker llm [open]\", shape=hexagon, style=filled, fillcolor=\"#fde2e1\", color=\"#c62828\"];"),
        "{d}"
    );
    app.shutdown().await.unwrap();
}

async fn slot(mut ctx: ChildContext<u32>, _slot: usize) -> Result<(), BoxError> {
    while ctx.recv().await.is_some() {}
    Ok(())
}

fn classify(_reason: &supervisor::ExitReason) -> supervisor::Directive {
    supervisor::Directive::Restart
}

supervision_tree! {
    Agents: one_for_one {
        agent: worker(idle) [
            decider = classify,
            health = probe(unwell, interval = 2s, timeout = 1s),
            heartbeat = phi(interval = 1s),
            depends_on = [llm, search],
            state = Vec<String>,
        ],
        tools: pool(size = 3, route = least_loaded, overflow = reject) {
            worker(slot) [mailbox = u32]
        },
    }
    breakers {
        llm: breaker(failure_threshold = 3),
        search: breaker(),
    }
}

// S10-S15 in `TREE` and its pictures: deciders, probes, heartbeats, carried state, a pool's
// routing and overflow, the tree's breakers, and "depends on" edges to them.
#[test]
fn the_tree_description_carries_the_whole_grammar() {
    let tree = Agents::TREE;
    Agents::spec().validate().unwrap();
    assert_eq!(tree.breakers, ["llm", "search"]);
    let agent = &tree.root.children[0];
    assert!(agent.watching.decider);
    assert_eq!(agent.watching.probe_every, Some(2 * S));
    assert_eq!(agent.watching.heartbeat_every, Some(S));
    assert_eq!(agent.watching.depends_on, ["llm", "search"]);
    assert_eq!(agent.state, Some("Vec<String>"));
    assert!(matches!(
        tree.root.children[1].kind,
        supervisor::NodeKind::Pool {
            size: 3,
            route: supervisor::RouteKind::LeastLoaded,
            overflow: supervisor::Overflow::Reject,
            ..
        }
    ));
    let p = Picture::from(&tree);
    assert_eq!(
        p.text(),
        "agents (one_for_one, 3 in 5s)\n\
         ├── agent [decide] [probe every 2s] [heartbeat every 1s] [state Vec<String>] [depends on llm, search]\n\
         └── tools (pool of 3, least_loaded, overflow reject, 3 in 5s)\n    \
         └── <slot> <u32>\n\
         breaker llm\n\
         breaker search\n"
    );
    let mermaid = p.mermaid();
    assert!(mermaid.contains("    b0{{\"breaker llm\"}}\n"), "{mermaid}");
    assert!(
        mermaid.contains("    n1 -.->|depends on| b0\n    n1 -.->|depends on| b1\n"),
        "{mermaid}"
    );
    let dot = p.dot();
    assert!(
        dot.contains("    n1 -> b1 [style=dashed, label=\"depends on\"];\n"),
        "{dot}"
    );
}

// The same from a spec built by hand: a breaker a child depends on is drawn, declared or not.
#[test]
fn a_hand_built_spec_draws_its_breakers_and_what_depends_on_them() {
    let llm = supervisor::CircuitBreaker::new("llm", supervisor::BreakerConfig::default());
    let spec = SupervisorSpec::new("app").child(
        ChildSpec::worker("agent", idle)
            .depends_on(&llm)
            .heartbeat(supervisor::Heartbeat::every(S)),
    );
    let p = Picture::from(&spec);
    assert_eq!(
        p.text(),
        "app (one_for_one, 3 in 5s)\n└── agent [heartbeat every 1s] [depends on llm]\nbreaker llm\n"
    );
    assert!(p.mermaid().contains("    n1 -.->|depends on| b0\n"));
}

supervision_tree! {
    Fleet: one_for_one {
        sessions: dynamic(max_children = 8) {
            worker(|ctx, _user: String| idle(ctx)) [args = String, restart = temporary]
        },
    }
}

/// A picture's text with what it says of the running tree (states, breaker states) left out.
fn labels_only(text: &str) -> String {
    const LIVE: &[&str] = &[
        "[running",
        "[starting",
        "[restarting",
        "[stopping",
        "[stopped",
        "[gone",
        "[closed]",
        "[open]",
        "[half-open]",
    ];
    let mut out = String::new();
    for line in text.lines() {
        let mut line = line.to_owned();
        for word in LIVE {
            if let Some(at) = line.find(&format!(" {word}")) {
                let end = line[at..].find(']').map_or(line.len(), |e| at + e + 1);
                line.replace_range(at..end, "");
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

// A live picture draws the static one's shapes and labels: kinds, strategies, intensities, a
// pool's routing and overflow, probes, heartbeats, carried state, "depends on" edges; a pool's
// slots and a dynamic supervisor's children each as their template.
#[tokio::test(start_paused = true)]
async fn a_live_picture_draws_the_shapes_and_labels_of_the_static_one() {
    let app = Agents::start().await.unwrap();
    settle().await;
    let live = app.picture().await;
    let drawn = Picture::from(&Agents::TREE);
    let slots = "    ├── 0 <u32>\n    ├── 1 <u32>\n    └── 2 <u32>\n";
    assert_eq!(
        labels_only(&live.text()),
        drawn.text().replace("    └── <slot> <u32>\n", slots)
    );
    // The pool keeps its shape in both charts.
    let pool = "n2[[\"tools (pool of 3, least_loaded, overflow reject, 3 in 5s)";
    assert!(drawn.mermaid().contains(pool), "{}", drawn.mermaid());
    assert!(live.mermaid().contains(pool), "{}", live.mermaid());
    assert!(live.mermaid().contains("n1 -.->|depends on| b0"));
    app.shutdown().await.unwrap();

    let fleet = Fleet::start().await.unwrap();
    for user in ["ada", "bob"] {
        fleet.sessions.start_child(user.to_owned()).await.unwrap();
    }
    settle().await;
    let live = fleet.picture().await;
    let drawn = Picture::from(&Fleet::TREE).text();
    let template = drawn
        .lines()
        .last()
        .unwrap()
        .trim_start_matches("    └── <template>");
    let text = labels_only(&live.text());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[..2], drawn.lines().collect::<Vec<_>>()[..2], "{text}");
    assert_eq!(lines.len(), 4, "{text}");
    for line in &lines[2..] {
        assert!(line.ends_with(template), "{line} ends as {template:?}");
    }
    fleet.shutdown().await.unwrap();
}

supervision_tree! {
    Crawler: one_for_one {
        fetch: worker(idle) [restart = transient, backoff = fixed(1s)],
        parse: worker(idle) [restart = transient, backoff = fixed(1s)],
        store: worker(idle) [shutdown = 30s],
    }
}

// Children declared alike share one const of their policies: the description and the spec
// still give each its own, the same as written one by one.
#[test]
fn children_declared_alike_keep_their_policies() {
    let tree = Crawler::TREE;
    for child in &tree.root.children[..2] {
        assert_eq!(child.restart, Restart::Transient, "{}", child.id);
        assert_eq!(child.backoff, Backoff::fixed(S), "{}", child.id);
    }
    assert_eq!(tree.root.children[2].restart, Restart::Permanent);
    assert_eq!(
        Picture::from(&Crawler::spec()).text(),
        Picture::from(&tree).text()
    );
    assert_eq!(
        Picture::from(&tree).text(),
        "crawler (one_for_one, 3 in 5s)\n\
         ├── fetch [transient] [backoff]\n\
         ├── parse [transient] [backoff]\n\
         └── store\n"
    );
}

/// Compares `got` with the golden file `tests/golden/{name}`; `UPDATE_GOLDEN=1` rewrites it.
fn golden(name: &str, got: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(
        got, want,
        "{name} differs from its golden file (UPDATE_GOLDEN=1 rewrites it)"
    );
}

// The flagship tree as SVG: the same shapes and labels as the other formats, laid out here.
#[test]
fn the_flagship_tree_as_svg() {
    let svg = Picture::from(&flagship::Service::TREE).svg();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(
        svg.contains("data-path=\"service/ingest/fetcher\""),
        "{svg}"
    );
    golden("flagship.svg", &svg);
}

// A running tree as SVG: states as CSS classes, a node's line as its tooltip, escaped.
#[tokio::test(start_paused = true)]
async fn a_live_tree_as_svg() {
    let app = Supervisor::start(spec()).await.unwrap();
    settle().await;
    let svg = app.root().picture().await.svg();
    assert!(
        svg.contains("<g class=\"node worker running\" data-path=\"app/db\"><title>db [transient] [running, incarnation 0]</title>"),
        "{svg}"
    );
    golden("live.svg", &svg);
    let quoted = SupervisorSpec::new("a<b>&\"c\"").child(ChildSpec::worker("q", idle));
    let svg = Picture::from(&quoted).svg();
    assert!(
        svg.contains("data-path=\"a&lt;b&gt;&amp;&quot;c&quot;\""),
        "{svg}"
    );
    app.shutdown().await.unwrap();
}
