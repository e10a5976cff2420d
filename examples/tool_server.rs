//! A small MCP-style tool server over stdio, for the process tests (see `tools/server.rs`).
//!
//! ```text
//! cargo run --example tool_server -- --name search [--strict]
//! {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}
//! ```

#[path = "tools/server.rs"]
mod server;

fn main() {
    let mut name = "tools".to_owned();
    let mut strict = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--name" => name = args.next().unwrap_or(name),
            "--strict" => strict = true,
            _ => {}
        }
    }
    server::serve(&name, strict);
}
