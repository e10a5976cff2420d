//! Values of options: durations, integers, words, shutdowns, backoffs. Each parser is one rule
//! of the docs' table: it takes the value's tokens, reports what is wrong with them at their
//! span, and gives the value, or `None` (the checker then keeps the default in its place).

use proc_macro2::{TokenStream, TokenTree};
use syn::{Ident, Lit};

use crate::check::rules;
use crate::ctxt::{list, Ctxt};
use crate::grammar::{names, List, Value};
use crate::model::{Backoff, BackoffKind, Breaker, Phi, Probe, Route, Shutdown};
use crate::parse::{as_call, first_span, tokens_span};

/// A value read as its option's row of the grammar's table says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Scalar {
    Count(u64),
    Duration(u64),
    Number(f64),
}

impl Scalar {
    pub(crate) fn count(self) -> Option<u64> {
        match self {
            Scalar::Count(n) => Some(n),
            _ => None,
        }
    }

    pub(crate) fn duration(self) -> Option<u64> {
        match self {
            Scalar::Duration(d) => Some(d),
            _ => None,
        }
    }

    pub(crate) fn number(self) -> Option<f64> {
        match self {
            Scalar::Number(f) => Some(f),
            _ => None,
        }
    }
}

/// grammar: a count, a duration or a number is read as the grammar's table says its option takes.
///
/// `None` when it is malformed (reported here) or of another kind.
pub(crate) fn scalar(name: &str, tokens: &TokenStream, cx: &Ctxt) -> Option<Scalar> {
    match crate::grammar::option(name)?.value {
        Value::Count => integer(tokens, name, u32::MAX.into(), cx).map(Scalar::Count),
        Value::Duration => duration(tokens, cx).map(Scalar::Duration),
        Value::Number => float(tokens, name, cx).map(Scalar::Number),
        Value::Type | Value::Expr | Value::Own => None,
    }
}

/// Duration units, smallest first.
pub(crate) const UNITS: &[&str] = &["ns", "us", "ms", "s", "m", "h"];
pub(crate) const SHUTDOWNS: &[&str] = &["brutal_kill", "infinity", "<duration>"];
pub(crate) const BACKOFFS: &[&str] = &["none", "fixed", "linear", "exponential"];

/// The runtime's bound (`supervisor::MAX_DURATION`, 100 years): a longer one could overflow a
/// deadline.
const MAX_NANOS: u64 = 100 * 365 * 24 * 3600 * 1_000_000_000;

/// grammar: a duration is a number and its unit, no space between, at most 100 years (`1.5s`).
pub(crate) fn duration(tokens: &TokenStream, cx: &Ctxt) -> Option<u64> {
    let mut iter = tokens.clone().into_iter();
    let first = iter.next()?;
    if let TokenTree::Punct(p) = &first {
        if p.as_char() == '-' {
            cx.error_at(tokens_span(tokens), "a duration cannot be negative");
            return None;
        }
    }
    if let Some(second) = iter.next() {
        // `5 s`, `1.5.s`: a number and a unit, apart.
        let written: String = tokens
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let hint = match (&first, &second) {
            (TokenTree::Literal(_), TokenTree::Ident(unit))
                if UNITS.contains(&unit.to_string().as_str()) =>
            {
                format!("write the unit right after the number, with no space: `{first}{unit}`")
            }
            (_, TokenTree::Punct(p)) if p.as_char() == '.' => {
                "a duration is one number and its unit, with no dot between them, as in `1.5s`"
                    .to_string()
            }
            _ => "a duration is one number and its unit, as in `5s` or `250ms`".to_string(),
        };
        cx.error_at(
            tokens_span(tokens),
            format!("`{written}` is not a duration\n  help: {hint}"),
        );
        return None;
    }
    let span = first.span();
    let not_a_duration = || {
        cx.error_at(
            span,
            "expected a duration with a unit, as in `5s` or `250ms`",
        )
    };
    let TokenTree::Literal(lit) = first else {
        not_a_duration();
        return None;
    };
    let (digits, suffix) = match Lit::new(lit) {
        Lit::Int(i) => (i.base10_digits().to_string(), i.suffix().to_string()),
        Lit::Float(f) => (f.base10_digits().to_string(), f.suffix().to_string()),
        _ => {
            not_a_duration();
            return None;
        }
    };
    if suffix.is_empty() {
        cx.error_at(
            span,
            format!("duration `{digits}` needs a unit, as in `{digits}s` or `{digits}ms`"),
        );
        return None;
    }
    let unit: f64 = match suffix.as_str() {
        "ns" => 1.0,
        "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        other => {
            cx.unknown(span, "duration unit", other, UNITS);
            return None;
        }
    };
    // Whole numbers are converted exactly; fractions through f64 (sub-nanosecond rounding).
    let nanos = match digits.parse::<u64>() {
        Ok(n) => n.checked_mul(unit as u64),
        Err(_) => digits
            .parse::<f64>()
            .ok()
            .map(|v| v * unit)
            .filter(|v| v.is_finite() && *v < u64::MAX as f64)
            .map(|v| v.round() as u64),
    };
    match nanos {
        Some(n) if n <= MAX_NANOS => Some(n),
        _ => {
            cx.error_at(span, "duration too large: at most 100 years");
            None
        }
    }
}

/// grammar: an integer is a plain integer literal (`_` separators allowed) no larger than `max`.
pub(crate) fn integer(tokens: &TokenStream, what: &str, max: u64, cx: &Ctxt) -> Option<u64> {
    let value = match single_lit(tokens) {
        Some(Lit::Int(i)) if i.suffix().is_empty() => {
            i.base10_parse::<u64>().ok().filter(|n| *n <= max)
        }
        _ => None,
    };
    if value.is_none() {
        cx.error_at(
            tokens_span(tokens),
            format!("`{what}` must be a non-negative integer no larger than {max}"),
        );
    }
    value
}

/// S18.2: a storm limit is a count of restarts `within` a window (`1000 within 60s`).
pub(crate) fn storm_limit(tokens: &TokenStream, cx: &Ctxt) -> Option<(u64, u64)> {
    let items: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let within = items
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i == "within"));
    let Some(at) = within.filter(|&at| at > 0 && at + 1 < items.len()) else {
        cx.error_at(
            tokens_span(tokens),
            "expected `storm_limit = N within D`, such as `storm_limit = 1000 within 60s`",
        );
        return None;
    };
    let count: TokenStream = items[..at].iter().cloned().collect();
    let period: TokenStream = items[at + 1..].iter().cloned().collect();
    let n = integer(&count, "storm_limit", u32::MAX.into(), cx);
    let d = duration(&period, cx);
    if d == Some(0) {
        cx.error_at(
            tokens_span(&period),
            "the storm limit's window must be greater than zero",
        );
        return None;
    }
    Some((n?, d?))
}

/// S20.1: a readiness is `spawned`, `line("text")`, `after(D)` or `mcp`.
pub(crate) fn ready(tokens: &TokenStream, cx: &Ctxt) -> Option<crate::model::ReadyNode> {
    use crate::model::ReadyNode;
    let expected = "expected a readiness: `spawned`, `line(\"text\")`, `after(D)` or `mcp`";
    let items: Vec<TokenTree> = tokens.clone().into_iter().collect();
    match items.as_slice() {
        [TokenTree::Ident(i)] if i == "spawned" => Some(ReadyNode::Spawned),
        [TokenTree::Ident(i)] if i == "mcp" => Some(ReadyNode::Mcp),
        [TokenTree::Ident(i), TokenTree::Group(g)] if i == "line" => {
            match single_lit(&g.stream()) {
                Some(Lit::Str(text)) => Some(ReadyNode::Line(text)),
                _ => {
                    cx.error_at(
                        g.span(),
                        "`line(..)` takes the text of the line, a string literal",
                    );
                    None
                }
            }
        }
        [TokenTree::Ident(i), TokenTree::Group(g)] if i == "after" => {
            duration(&g.stream(), cx).map(ReadyNode::After)
        }
        _ => {
            cx.error_at(tokens_span(tokens), expected);
            None
        }
    }
}

/// S20.3: exit codes are `[INT => directive, ..]`, each directive `restart`, `stop`, `escalate` or `fatal`.
pub(crate) fn exit_codes(tokens: &TokenStream, cx: &Ctxt) -> Vec<(i32, Ident)> {
    let expected = "expected exit codes: `[78 => fatal, 75 => restart]`";
    let items: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let [TokenTree::Group(g)] = items.as_slice() else {
        cx.error_at(tokens_span(tokens), expected);
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in split_top_level_commas(&g.stream()) {
        if entry.is_empty() {
            continue;
        }
        let parts: Vec<TokenTree> = entry.clone().into_iter().collect();
        let arrow = parts.windows(2).position(|w| {
            matches!((&w[0], &w[1]), (TokenTree::Punct(a), TokenTree::Punct(b))
                if a.as_char() == '=' && b.as_char() == '>')
        });
        let Some(at) = arrow else {
            cx.error_at(tokens_span(&entry), expected);
            continue;
        };
        let code: TokenStream = parts[..at].iter().cloned().collect();
        let word_tokens: TokenStream = parts[at + 2..].iter().cloned().collect();
        let Some(code) = integer(&code, "an exit code", 255, cx) else {
            continue;
        };
        let directives = ["restart", "stop", "escalate", "fatal"];
        let Some(w) = word(&word_tokens, "directive", &directives, cx) else {
            continue;
        };
        let variant = match w.as_str() {
            "stop" => "Stop",
            "escalate" => "Escalate",
            "fatal" => "Fatal",
            _ => "Restart",
        };
        let code = i32::try_from(code).unwrap_or(0);
        out.push((code, Ident::new(variant, proc_macro2::Span::call_site())));
    }
    out
}

/// grammar: a word is one of the words its option takes (`permanent`, `any_significant`, ..).
pub(crate) fn word(
    tokens: &TokenStream,
    what: &str,
    expected: &[&str],
    cx: &Ctxt,
) -> Option<String> {
    match single_ident(tokens) {
        Some(i) => {
            let w = i.to_string();
            if expected.contains(&w.as_str()) {
                Some(w)
            } else {
                cx.unknown(i.span(), what, &w, expected);
                None
            }
        }
        None => {
            cx.error_at(
                tokens_span(tokens),
                format!("expected a {what}: one of {}", list(expected)),
            );
            None
        }
    }
}

/// grammar: a flag is given alone, or as `true` or `false`.
pub(crate) fn flag(key: &Ident, value: Option<&TokenStream>, cx: &Ctxt) -> Option<bool> {
    let Some(v) = value else {
        return Some(true);
    };
    match single_lit(v) {
        Some(Lit::Bool(b)) => Some(b.value),
        _ => {
            cx.error_at(
                tokens_span(v),
                format!("`{key}` takes `true` or `false`, or no value"),
            );
            None
        }
    }
}

/// grammar: a shutdown is `brutal_kill`, `infinity` or a duration.
pub(crate) fn shutdown(tokens: &TokenStream, cx: &Ctxt) -> Option<Shutdown> {
    if let Some(i) = single_ident(tokens) {
        return match i.to_string().as_str() {
            "brutal_kill" => Some(Shutdown::BrutalKill),
            "infinity" => Some(Shutdown::Infinity),
            other => {
                cx.unknown(i.span(), "shutdown value", other, SHUTDOWNS);
                None
            }
        };
    }
    duration(tokens, cx).map(Shutdown::Timeout)
}

/// grammar: a backoff is `none`, `fixed(D)`, `linear(D, D, D)` or `exponential(D, D)`.
///
/// Named options follow the durations: `reset_after`, and for `exponential` `multiplier` and
/// `jitter`.
pub(crate) fn backoff(tokens: &TokenStream, cx: &Ctxt) -> Option<Backoff> {
    if let Some(i) = single_ident(tokens) {
        if i != "none" {
            cx.unknown(i.span(), "backoff", &i.to_string(), BACKOFFS);
        }
        return None;
    }
    let Some((name, inner, span)) = as_call(tokens) else {
        cx.error_at(
            tokens_span(tokens),
            "expected a backoff: `fixed(1s)`, `linear(100ms, 100ms, 5s)` or `exponential(100ms, 10s)`",
        );
        return None;
    };
    // Split by hand: the values are token runs (durations, numbers), not expressions.
    let mut positional: Vec<TokenStream> = Vec::new();
    let mut named: Vec<(Ident, TokenStream)> = Vec::new();
    for part in split_commas(&inner) {
        let mut iter = part.clone().into_iter();
        match (iter.next(), iter.next()) {
            (Some(TokenTree::Ident(k)), Some(TokenTree::Punct(p))) if p.as_char() == '=' => {
                named.push((k, iter.collect()));
            }
            _ => positional.push(part),
        }
    }
    let kind_name = name.to_string();
    let (want, shape, options): (usize, &str, &[&str]) = match kind_name.as_str() {
        "fixed" => (1, "fixed(delay)", &["reset_after"]),
        "linear" => (3, "linear(initial, step, max)", &["reset_after"]),
        "exponential" => (
            2,
            "exponential(initial, max)",
            &["multiplier", "jitter", "reset_after"],
        ),
        other => {
            cx.unknown(name.span(), "backoff", other, BACKOFFS);
            return None;
        }
    };
    if positional.len() != want {
        cx.error_at(
            span,
            format!("`{kind_name}` takes {want} duration(s): `{shape}`"),
        );
        return None;
    }
    let ds: Vec<Option<u64>> = positional.iter().map(|t| duration(t, cx)).collect();
    let (mut reset_after, mut multiplier, mut jitter) = (None, None, None);
    for (k, v) in &named {
        let key = k.to_string();
        if !options.contains(&key.as_str()) {
            cx.unknown(k.span(), &format!("`{kind_name}` option"), &key, options);
            continue;
        }
        match key.as_str() {
            "reset_after" => reset_after = duration(v, cx),
            "multiplier" => {
                multiplier = float(v, "multiplier", cx);
                if let Some(m) = multiplier {
                    rules::backoff_multiplier_at_least_one(m, tokens_span(v), cx);
                }
            }
            _ => {
                jitter = float(v, "jitter", cx);
                if let Some(j) = jitter {
                    rules::backoff_jitter_within_0_1(j, tokens_span(v), cx);
                }
            }
        }
    }
    let ds: Vec<u64> = ds.into_iter().collect::<Option<_>>()?;
    let kind = match kind_name.as_str() {
        "fixed" => BackoffKind::Fixed(ds[0]),
        "linear" => BackoffKind::Linear(ds[0], ds[1], ds[2]),
        _ => BackoffKind::Exponential {
            initial: ds[0],
            max: ds[1],
            multiplier,
            jitter,
        },
    };
    let at = first_span(&positional[0]).unwrap_or(span);
    rules::backoff_initial_not_above_max(&kind, at, cx);
    Some(Backoff { kind, reset_after })
}

/// grammar: a probe is `probe(check, interval = D, timeout = D, failure_threshold = N, success_threshold = N, initial_delay = D)`, or `ping(..)` with the same options.
pub(crate) fn probe(tokens: &TokenStream, cx: &Ctxt) -> Option<Probe> {
    let shape = "`probe(check_db, interval = 10s, timeout = 2s, failure_threshold = 3)`";
    let ping = matches!(as_call(tokens), Some((called, _, _)) if called == "ping");
    let name = if ping { "ping" } else { "probe" };
    let (called, parts, _) = call_named(tokens, name, shape, cx)?;
    let mut parts = parts.into_iter().peekable();
    let (expr, span) = if ping {
        (TokenStream::new(), called.span())
    } else {
        let expr = parts.next().filter(|p| !p.is_empty() && !is_named(p));
        let Some(expr) = expr else {
            cx.error_at(
                tokens_span(tokens),
                format!(
                    "a probe starts with its check, an async fn of the `ProbeContext`: {shape}"
                ),
            );
            return None;
        };
        let span = tokens_span(&expr);
        (expr, span)
    };
    let rest: Vec<TokenStream> = parts.collect();
    let mut probe = Probe {
        span,
        expr,
        ping,
        every: None,
        timeout: None,
        failures: None,
        successes: None,
        initial_delay: None,
    };
    let keys = names(List::Probe);
    for (key, value) in named(&rest, "`probe` option", keys, cx) {
        let k = key.to_string();
        let Some(v) = scalar(&k, &value, cx) else {
            continue;
        };
        match k.as_str() {
            "interval" => probe.every = v.duration(),
            "timeout" => probe.timeout = v.duration(),
            "initial_delay" => probe.initial_delay = v.duration(),
            "failure_threshold" => probe.failures = v.count(),
            _ => probe.successes = v.count(),
        }
        if let Some(n) = v.count() {
            rules::counts_are_in_range(n >= 1, &k, "at least 1", &value, cx);
        }
    }
    rules::probe_timing_is_sound(&probe, tokens_span(tokens), cx);
    Some(probe)
}

/// grammar: heartbeats are `phi(interval = D, threshold = F, window = N, min_std_deviation = D, acceptable_pause = D, max_local_pause = D)`.
pub(crate) fn phi(tokens: &TokenStream, cx: &Ctxt) -> Option<Phi> {
    let shape = "`phi(interval = 1s, threshold = 8)`";
    let (_, parts, span) = call_named(tokens, "phi", shape, cx)?;
    let keys = names(List::Phi);
    let mut every = None;
    let mut phi = Phi {
        every: 0,
        threshold: None,
        window: None,
        min_std: None,
        acceptable_pause: None,
        max_local_pause: None,
    };
    for (key, value) in named(&parts, "`phi` option", keys, cx) {
        let k = key.to_string();
        let Some(v) = scalar(&k, &value, cx) else {
            continue;
        };
        match k.as_str() {
            "interval" => every = v.duration().map(|d| (d, tokens_span(&value))),
            "threshold" => {
                phi.threshold = v.number();
                if let Some(t) = phi.threshold {
                    let ok = t.is_finite() && t > 0.0;
                    rules::counts_are_in_range(ok, "threshold", "greater than 0", &value, cx);
                }
            }
            "window" => {
                phi.window = v.count();
                if let Some(w) = phi.window {
                    rules::counts_are_in_range(w >= 2, "window", "at least 2", &value, cx);
                }
            }
            "min_std_deviation" => phi.min_std = v.duration(),
            "acceptable_pause" => phi.acceptable_pause = v.duration(),
            _ => phi.max_local_pause = v.duration(),
        }
    }
    phi.every = rules::heartbeat_interval_is_given(every, span, cx)?;
    Some(phi)
}

/// grammar: a breaker is `breaker(failure_threshold = N, call_timeout = D, reset_timeout = D, max_reset_timeout = D, half_open_max_calls = N, success_threshold = N, jitter = F)`.
pub(crate) fn breaker(name: &Ident, tokens: &TokenStream, cx: &Ctxt) -> Option<Breaker> {
    let shape = "`breaker(failure_threshold = 5, reset_timeout = 30s)`";
    let (_, parts, _) = call_named(tokens, "breaker", shape, cx)?;
    let keys = names(List::Breaker);
    let mut b = Breaker {
        name: name.clone(),
        failures: None,
        call_timeout: None,
        reset: None,
        max_reset: None,
        half_open: None,
        successes: None,
        jitter: None,
    };
    let mut spans = Vec::new();
    for (key, value) in named(&parts, "`breaker` option", keys, cx) {
        let k = key.to_string();
        let Some(v) = scalar(&k, &value, cx) else {
            continue;
        };
        match k.as_str() {
            "failure_threshold" => b.failures = v.count(),
            "half_open_max_calls" => b.half_open = v.count(),
            "success_threshold" => b.successes = v.count(),
            "call_timeout" => b.call_timeout = v.duration(),
            "reset_timeout" => b.reset = v.duration(),
            "max_reset_timeout" => b.max_reset = v.duration(),
            _ => {
                b.jitter = v.number();
                if let Some(j) = b.jitter {
                    rules::backoff_jitter_within_0_1(j, tokens_span(&value), cx);
                }
            }
        }
        if let Some(n) = v.count() {
            rules::counts_are_in_range(n >= 1, &k, "at least 1", &value, cx);
        }
        spans.push((k, tokens_span(&value)));
    }
    let at = |key: &str| spans.iter().find(|(k, _)| k == key).map(|(_, s)| *s);
    rules::breaker_timeouts_are_sound(&b, at("call_timeout"), at("reset_timeout"), cx);
    Some(b)
}

/// grammar: a route is `round_robin`, `least_loaded`, `key_hash(key)` or `broadcast`.
pub(crate) fn route(tokens: &TokenStream, cx: &Ctxt) -> Option<Route> {
    if let Some(i) = single_ident(tokens) {
        return match i.to_string().as_str() {
            "round_robin" => Some(Route::RoundRobin),
            "least_loaded" => Some(Route::LeastLoaded),
            "broadcast" => Some(Route::Broadcast),
            "key_hash" => {
                rules::key_hash_has_a_key(&i, None, cx);
                None
            }
            other => {
                cx.unknown(i.span(), "route", other, rules::ROUTES);
                None
            }
        };
    }
    match as_call(tokens) {
        Some((name, key, _)) if name == "key_hash" => {
            rules::key_hash_has_a_key(&name, Some(&key), cx).then_some(Route::KeyHash(key))
        }
        Some((name, _, _)) => {
            cx.unknown(name.span(), "route", &name.to_string(), rules::ROUTES);
            None
        }
        None => {
            cx.error_at(
                tokens_span(tokens),
                format!("expected a route: one of {}", list(rules::ROUTES)),
            );
            None
        }
    }
}

/// grammar: `depends_on` and `uses` take a name, or several in brackets: `llm`, `[db, llm]`.
pub(crate) fn name_list(key: &str, tokens: &TokenStream, cx: &Ctxt) -> Vec<Ident> {
    let inner = match tokens.clone().into_iter().next() {
        Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Bracket => g.stream(),
        _ => tokens.clone(),
    };
    let mut names = Vec::new();
    for part in split_commas(&inner) {
        match single_ident(&part) {
            Some(name) => names.push(name),
            None => cx.error_at(
                tokens_span(&part),
                match key {
                    "uses" => "`uses` takes the names of nodes or breakers: `db` or `[db, llm]`",
                    _ => "`depends_on` takes breaker names: `llm` or `[llm, search]`",
                },
            ),
        }
    }
    names
}

/// `name(..)` with its top-level parts, or an error showing `shape`.
fn call_named(
    tokens: &TokenStream,
    name: &str,
    shape: &str,
    cx: &Ctxt,
) -> Option<(Ident, Vec<TokenStream>, proc_macro2::Span)> {
    match as_call(tokens) {
        Some((called, inner, span)) if called == name => {
            let parts = split_top_level_commas(&inner)
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect();
            Some((called, parts, span))
        }
        Some((called, _, _)) => {
            cx.error_at(
                called.span(),
                format!("expected `{name}(..)`, not `{called}(..)`: {shape}"),
            );
            None
        }
        None => {
            cx.error_at(tokens_span(tokens), format!("expected {shape}"));
            None
        }
    }
}

fn is_named(part: &TokenStream) -> bool {
    let mut iter = part.clone().into_iter();
    matches!(
        (iter.next(), iter.next()),
        (Some(TokenTree::Ident(_)), Some(TokenTree::Punct(p))) if p.as_char() == '='
    )
}

/// `key = value` parts, each key one of `keys` (with a "did you mean") and given once.
fn named(parts: &[TokenStream], what: &str, keys: &[&str], cx: &Ctxt) -> Vec<(Ident, TokenStream)> {
    let mut seen = std::collections::HashMap::new();
    let mut out = Vec::new();
    for part in parts {
        let mut iter = part.clone().into_iter();
        let (Some(TokenTree::Ident(key)), Some(TokenTree::Punct(eq))) = (iter.next(), iter.next())
        else {
            cx.error_at(
                tokens_span(part),
                format!("expected `key = value`: a {what}"),
            );
            continue;
        };
        if eq.as_char() != '=' {
            cx.error_at(eq.span(), format!("expected `=` after `{key}`"));
            continue;
        }
        let value: TokenStream = iter.collect();
        let key = if keys.contains(&key.to_string().as_str()) {
            key
        } else {
            // Reported, and read as the key it is closest to, so that the one it stands for
            // is not reported missing.
            cx.unknown(key.span(), what, &key.to_string(), keys);
            match crate::suggest::did_you_mean(&key.to_string(), keys) {
                Some(meant) => Ident::new(meant, key.span()),
                None => continue,
            }
        };
        if value.is_empty() {
            cx.error_at(key.span(), format!("`{key} =` needs a value"));
            continue;
        }
        if rules::option_is_given_once(&mut seen, &key, cx) {
            out.push((key, value));
        }
    }
    out
}

/// A number, as in `1.5`, `2` or `-1.0`; one too large for an `f64` is an error here, so that
/// no rule or expansion ever sees an infinity.
fn float(tokens: &TokenStream, what: &str, cx: &Ctxt) -> Option<f64> {
    let mut iter = tokens.clone().into_iter().peekable();
    let negative = matches!(iter.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '-');
    if negative {
        iter.next();
    }
    let magnitude = match single_lit(&iter.collect()) {
        Some(Lit::Float(f)) if f.suffix().is_empty() => f.base10_parse::<f64>().ok(),
        Some(Lit::Int(i)) if i.suffix().is_empty() => i.base10_parse::<f64>().ok(),
        _ => None,
    };
    let Some(magnitude) = magnitude else {
        cx.error_at(
            tokens_span(tokens),
            format!("`{what}` must be a number, as in `1.5`"),
        );
        return None;
    };
    if !rules::numbers_are_finite(magnitude, what, tokens_span(tokens), cx) {
        return None;
    }
    Some(if negative { -magnitude } else { magnitude })
}

fn single_lit(tokens: &TokenStream) -> Option<Lit> {
    let mut iter = tokens.clone().into_iter();
    let tt = iter.next()?;
    if iter.next().is_some() {
        return None;
    }
    match tt {
        TokenTree::Literal(l) => Some(Lit::new(l)),
        TokenTree::Ident(i) if i == "true" || i == "false" => {
            Some(Lit::Bool(syn::LitBool::new(i == "true", i.span())))
        }
        _ => None,
    }
}

fn single_ident(tokens: &TokenStream) -> Option<Ident> {
    let mut iter = tokens.clone().into_iter();
    match (iter.next(), iter.next()) {
        (Some(TokenTree::Ident(i)), None) => Some(i),
        _ => None,
    }
}

fn split_commas(tokens: &TokenStream) -> Vec<TokenStream> {
    let mut parts = Vec::new();
    let mut current = TokenStream::new();
    for tt in tokens.clone() {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                parts.push(std::mem::take(&mut current));
            }
            _ => current.extend([tt]),
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// `tokens` cut at its top-level commas: not inside a group, not between the pipes of a
/// closure's parameters (`|a, b|`), not inside a turbofish (`f::<A, B>`).
pub(crate) fn split_top_level_commas(tokens: &TokenStream) -> Vec<TokenStream> {
    let mut parts = vec![TokenStream::new()];
    let mut in_pipes = false;
    let mut angles = 0usize;
    let mut colons = 0usize;
    for tt in tokens.clone() {
        if let TokenTree::Punct(p) = &tt {
            match p.as_char() {
                '|' => in_pipes = !in_pipes,
                '<' if colons >= 2 || angles > 0 => angles += 1,
                '>' if angles > 0 => angles -= 1,
                ',' if !in_pipes && angles == 0 => {
                    parts.push(TokenStream::new());
                    colons = 0;
                    continue;
                }
                _ => {}
            }
            colons = if p.as_char() == ':' { colons + 1 } else { 0 };
        } else {
            colons = 0;
        }
        if let Some(last) = parts.last_mut() {
            last.extend(std::iter::once(tt));
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T>(src: &str, f: impl Fn(&TokenStream, &Ctxt) -> Option<T>) -> (Option<T>, usize) {
        let cx = Ctxt::new();
        let v = f(&src.parse().unwrap(), &cx);
        let errors = cx.check().err().map_or(0, |e| e.into_iter().count());
        (v, errors)
    }

    #[test]
    fn durations_in_every_unit() {
        for (src, nanos) in [
            ("100ns", 100),
            ("500us", 500_000),
            ("250ms", 250_000_000),
            ("5s", 5_000_000_000),
            ("1.5s", 1_500_000_000),
            ("2m", 120_000_000_000),
            ("1h", 3_600_000_000_000),
            ("1_000ms", 1_000_000_000),
        ] {
            assert_eq!(parse(src, duration), (Some(nanos), 0), "{src}");
        }
        for bad in ["5", "5x", "-1s", "5 s", "1.5.s", "876001h", "\"5s\"", "x"] {
            assert_eq!(parse(bad, duration), (None, 1), "{bad}");
        }
        assert_eq!(parse("876000h", duration).0, Some(MAX_NANOS));
    }

    #[test]
    fn numbers_are_finite_and_may_be_negative() {
        let f = |t: &TokenStream, cx: &Ctxt| float(t, "x", cx);
        assert_eq!(parse("1.5", f), (Some(1.5), 0));
        assert_eq!(parse("2", f), (Some(2.0), 0));
        assert_eq!(parse("-1.0", f), (Some(-1.0), 0));
        for bad in ["1e999", "-1e999", "1.5f32", "x", "- -1.0", "\"1.0\""] {
            assert_eq!(parse(bad, f), (None, 1), "{bad}");
        }
    }

    #[test]
    fn integers_are_bounded() {
        let max = |t: &TokenStream, cx: &Ctxt| integer(t, "n", u32::MAX as u64, cx);
        assert_eq!(parse("4_294_967_295", max), (Some(u32::MAX as u64), 0));
        for bad in ["4294967296", "-1", "1.0", "1u8", "x"] {
            assert_eq!(parse(bad, max), (None, 1), "{bad}");
        }
    }

    #[test]
    fn backoffs_and_their_options() {
        let (b, e) = parse(
            "exponential(100ms, 10s, multiplier = 2, jitter = 0.1)",
            backoff,
        );
        assert_eq!(e, 0);
        assert_eq!(
            b.unwrap().kind,
            BackoffKind::Exponential {
                initial: 100_000_000,
                max: 10_000_000_000,
                multiplier: Some(2.0),
                jitter: Some(0.1)
            }
        );
        assert_eq!(parse("none", backoff), (None, 0));
        assert_eq!(parse("fixed(1s, 2s)", backoff), (None, 1));
        assert_eq!(parse("fixed(1s, jitter = 0.5)", backoff).1, 1);
        assert_eq!(parse("linear(5s, 1s, 1s)", backoff).1, 1);
    }

    #[test]
    fn commas_inside_closures_groups_and_turbofish_do_not_split() {
        let parts = |src: &str| split_top_level_commas(&src.parse().unwrap()).len();
        assert_eq!(parts("run"), 1);
        assert_eq!(parts("run ,"), 2);
        assert_eq!(parts("move | ctx , a | serve (ctx , a , p) ,"), 2);
        assert_eq!(parts("serve :: < A , B >"), 1);
        assert_eq!(parts("|| a || b"), 1);
        assert_eq!(parts("run , other"), 2);
    }
}
