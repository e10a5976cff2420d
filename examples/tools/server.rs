//! An MCP-style tool server: newline-delimited JSON-RPC 2.0 on stdin and stdout, logs on
//! stderr. Methods: `initialize`, `ping`, `tools/list`, `tools/call` with the tools `echo`,
//! `add`, `slow` (answers after `ms`), `fail` (an error object), `crash` (exits with code 3
//! before answering), `pid` (its process id). Notifications are logged to stderr. Strict, it
//! refuses every request but `initialize` and `ping` until `notifications/initialized` came, as
//! an MCP server may.

use std::io::{BufRead, Write};

use serde_json::{json, Value};

/// Serves JSON-RPC on stdin and stdout until stdin ends.
pub fn serve(name: &str, strict: bool) {
    let name = name.to_owned();
    let mut initialized = !strict;
    eprintln!("{name}: ready");
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            eprintln!("{name}: not JSON: {line}");
            continue;
        };
        let method = message["method"].as_str().unwrap_or("");
        let Some(id) = message.get("id").cloned() else {
            eprintln!("{name}: notification {method}");
            initialized |= method == "notifications/initialized";
            continue;
        };
        let params = &message["params"];
        let answer = match method {
            "initialize" | "ping" => answer(&name, method, params),
            _ if !initialized => Err(json!({"code": -32002, "message": "not initialized"})),
            _ => answer(&name, method, params),
        };
        let reply = match answer {
            Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
        };
        if writeln!(stdout, "{reply}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
}

/// The answer to a request of `method`.
fn answer(name: &str, method: &str, params: &Value) -> Result<Value, Value> {
    match method {
        "initialize" => Ok(json!({
            "protocolVersion": "2025-06-18",
            "serverInfo": {"name": name, "version": "1.0.0"},
            "capabilities": {"tools": {}},
        })),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({"tools": [
            {"name": "echo"}, {"name": "add"}, {"name": "slow"}, {"name": "fail"},
            {"name": "crash"}, {"name": "pid"},
        ]})),
        "tools/call" => call(name, &params["name"], &params["arguments"]),
        other => Err(json!({"code": -32601, "message": format!("no method {other}")})),
    }
}

fn call(name: &str, tool: &Value, args: &Value) -> Result<Value, Value> {
    let text = |t: String| json!({"content": [{"type": "text", "text": t}]});
    match tool.as_str().unwrap_or("") {
        "echo" => Ok(text(args["text"].as_str().unwrap_or("").to_owned())),
        "add" => {
            let sum = args["a"].as_i64().unwrap_or(0) + args["b"].as_i64().unwrap_or(0);
            Ok(text(sum.to_string()))
        }
        "slow" => {
            let ms = args["ms"].as_u64().unwrap_or(100);
            std::thread::sleep(std::time::Duration::from_millis(ms));
            Ok(text(format!("slept {ms} ms")))
        }
        "fail" => {
            Err(json!({"code": -32000, "message": "the tool failed", "data": {"tool": "fail"}}))
        }
        "crash" => {
            eprintln!("{name}: crashing as asked");
            std::process::exit(3);
        }
        "pid" => Ok(text(std::process::id().to_string())),
        other => Err(json!({"code": -32602, "message": format!("no tool {other}")})),
    }
}
