//! Calls to a process child over its stdin and stdout (S20.4), as newline-delimited JSON-RPC 2.0
//! or as plain lines: the messages its mailbox takes and the errors a call ends with.

use std::fmt;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::call::{CallError, Reply};
use crate::health::{Health, HealthCheck, ProbeContext};
use crate::node::Node;

/// A message to a process child that speaks JSON-RPC 2.0 over its stdin and stdout (S20.4).
/// Sent while the child restarts, it waits in the mailbox for the next process.
#[derive(Debug)]
#[non_exhaustive]
pub enum Rpc {
    /// A notification: one line, no answer.
    Notify {
        /// The method.
        method: String,
        /// Its parameters.
        params: Value,
    },
    /// A request, answered by the line that carries its id.
    Request {
        /// The method.
        method: String,
        /// Its parameters.
        params: Value,
        /// Where its answer goes: the result, or the error object the process answered.
        reply: Reply<Result<Value, RpcError>>,
    },
}

impl Rpc {
    /// A request of `method` with `params`, answered through `reply`.
    pub fn request(
        method: impl Into<String>,
        params: Value,
        reply: Reply<Result<Value, RpcError>>,
    ) -> Self {
        Rpc::Request {
            method: method.into(),
            params,
            reply,
        }
    }

    /// A notification of `method` with `params`.
    pub fn notify(method: impl Into<String>, params: Value) -> Self {
        Rpc::Notify {
            method: method.into(),
            params,
        }
    }
}

/// A message to a process child that speaks in plain lines (S20.4): each is written to its
/// stdin as one line; a call is answered by the next line of its stdout that no earlier call
/// took. Sent while the child restarts, it waits in the mailbox for the next process.
#[derive(Debug)]
#[non_exhaustive]
pub enum Line {
    /// A line, no answer. (Not named `Send`: a public item of that name would make the
    /// compiler spell out `std::marker::Send` in every error of a crate that depends on this.)
    Write(String),
    /// A line answered by the next line of the process's output.
    Call {
        /// The line, without its newline.
        line: String,
        /// Where its answer goes.
        reply: Reply<Result<String, LineError>>,
    },
}

/// How a call of a line to a process child failed.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// The call did not get an answer (S14.4): a timeout, the child gone, the process exited
    /// holding it (with its exit).
    #[error(transparent)]
    Call(#[from] CallError),
    /// The text holds a line break: a line protocol cannot carry it, and its answer would be
    /// taken for another's.
    #[error("a line to a process holds a line break")]
    NotOneLine,
}

/// Whether `text` can go as one line.
pub(crate) fn one_line(text: &str) -> bool {
    !text.contains(['\n', '\r'])
}

/// The error object a process answered a request with (JSON-RPC 2.0 section 5.1).
#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    /// Its code.
    pub code: i64,
    /// Its message.
    pub message: String,
    /// Its data, if any.
    pub data: Option<Value>,
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error {}: {}", self.code, self.message)
    }
}

impl std::error::Error for RpcError {}

/// How a request to a process child failed.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The call did not get an answer (S14.4): a timeout, the child gone, the process exited
    /// holding it (with its exit).
    #[error(transparent)]
    Call(#[from] CallError),
    /// The process answered with an error object.
    #[error(transparent)]
    Rpc(#[from] RpcError),
}

impl HealthCheck {
    /// A check whose probe sends `method` with `params` to a process child as a JSON-RPC request
    /// (S20.4): healthy when it is answered with a result, unhealthy when it is answered with an
    /// error object, when the process exits holding it, or when no answer comes within the
    /// check's timeout. The request waits in the mailbox behind the calls already there, so a
    /// process too busy to answer in time counts as unhealthy. Fits only a child made with
    /// [`ChildSpec::process_rpc`](crate::ChildSpec::process_rpc); on another,
    /// [`HealthRule::AsksAnotherMailbox`](crate::HealthRule::AsksAnotherMailbox).
    pub fn rpc(method: impl Into<String>, params: Value) -> Self {
        let method: Arc<str> = Arc::from(method.into());
        HealthCheck::new(move |ctx: ProbeContext| {
            let tx = ctx
                .child()
                .and_then(|node| node.downcast_ref::<Node>())
                .and_then(|node| node.mailbox::<Rpc>())
                .map(|mailbox| mailbox.tx.clone());
            let (method, params) = (Arc::clone(&method), params.clone());
            async move {
                let Some(tx) = tx else {
                    return Health::unhealthy("the child takes no JSON-RPC requests");
                };
                let (reply, answer) = crate::call::reply();
                let request = Rpc::request(method.as_ref(), params, reply);
                if tx.send(request).await.is_err() {
                    return Health::unhealthy("the child is gone");
                }
                match answer.await {
                    Ok(Ok(Ok(_))) => Health::Healthy,
                    Ok(Ok(Err(error))) => Health::unhealthy(format!("{method} answered {error}")),
                    Ok(Err(_)) | Err(_) => {
                        Health::unhealthy(format!("{method} was not answered: the process exited"))
                    }
                }
            }
        })
        .asking::<Rpc>()
    }

    /// MCP's `ping` as the probe: [`rpc`](Self::rpc)`("ping", {})`.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use std::time::Duration;
    /// use supervisor::{ChildSpec, HealthCheck, Process};
    ///
    /// let tool = ChildSpec::process_rpc("search", Process::new("search-server")).health(
    ///     HealthCheck::mcp_ping()
    ///         .interval(Duration::from_secs(30))
    ///         .timeout(Duration::from_secs(5)),
    /// );
    /// # }
    /// ```
    pub fn mcp_ping() -> Self {
        HealthCheck::rpc("ping", json!({}))
    }
}

/// What the runner makes of a line of the process's stdout.
pub(crate) enum Incoming {
    /// The answer to request `id`.
    Answer(u64, Result<Value, RpcError>),
    /// A request of the process's own, which is refused (method not found).
    Request(Value),
    /// A notification, or a line that is not JSON-RPC: logged.
    Other,
}

pub(crate) fn parse(line: &str) -> Incoming {
    let Ok(Value::Object(mut message)) = serde_json::from_str::<Value>(line) else {
        return Incoming::Other;
    };
    let id = message.get("id").cloned();
    if message.contains_key("method") {
        return match id {
            Some(id) if !id.is_null() => Incoming::Request(id),
            _ => Incoming::Other,
        };
    }
    let Some(id) = id.and_then(|id| id.as_u64()) else {
        return Incoming::Other;
    };
    if let Some(error) = message.remove("error") {
        let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
        let text = error.get("message").and_then(Value::as_str).unwrap_or("");
        return Incoming::Answer(
            id,
            Err(RpcError {
                code,
                message: text.to_owned(),
                data: error.get("data").cloned(),
            }),
        );
    }
    Incoming::Answer(id, Ok(message.remove("result").unwrap_or(Value::Null)))
}

/// The line of a request.
/// Parameters of `null` are left out, as JSON-RPC 2.0 allows only a structure there.
pub(crate) fn request_line(id: u64, method: &str, params: &Value) -> Vec<u8> {
    let mut message = json!({"jsonrpc": "2.0", "id": id, "method": method});
    if !params.is_null() {
        message["params"] = params.clone();
    }
    line(&message)
}

/// The line of a notification; parameters of `null` are left out.
pub(crate) fn notify_line(method: &str, params: &Value) -> Vec<u8> {
    let mut message = json!({"jsonrpc": "2.0", "method": method});
    if !params.is_null() {
        message["params"] = params.clone();
    }
    line(&message)
}

/// The refusal of a request the process made of its supervisor.
pub(crate) fn refusal_line(id: &Value) -> Vec<u8> {
    line(&json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": -32601, "message": "method not found"},
    }))
}

fn line(value: &Value) -> Vec<u8> {
    let mut bytes = value.to_string().into_bytes();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    // S20.4: answers by id, results and error objects; requests of the process's own; the rest.
    #[test]
    fn lines_are_read_as_json_rpc() {
        let Incoming::Answer(7, Ok(v)) = parse(r#"{"jsonrpc":"2.0","id":7,"result":{"a":1}}"#)
        else {
            panic!("an answer");
        };
        assert_eq!(v, json!({"a": 1}));
        let Incoming::Answer(8, Err(e)) =
            parse(r#"{"jsonrpc":"2.0","id":8,"error":{"code":-32000,"message":"no"}}"#)
        else {
            panic!("an error answer");
        };
        assert_eq!((e.code, e.message.as_str()), (-32000, "no"));
        assert!(matches!(
            parse(r#"{"jsonrpc":"2.0","id":"x","method":"sampling"}"#),
            Incoming::Request(_)
        ));
        assert!(matches!(
            parse(r#"{"jsonrpc":"2.0","method":"log"}"#),
            Incoming::Other
        ));
        assert!(matches!(parse("listening on 8080"), Incoming::Other));
        assert_eq!(
            request_line(1, "ping", &json!({})),
            b"{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"params\":{}}\n"
        );
        assert_eq!(
            notify_line("notifications/initialized", &Value::Null),
            b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
        );
    }
}
