//! A fake Anthropic Messages API on 127.0.0.1 for driving the real Claude Code
//! binary offline through a scripted session.
//!
//! `POST /v1/messages` requests that offer the main tool list (a "Bash" or "Edit"
//! tool) are answered from the script: the step is the number of `tool_result`
//! blocks already in the conversation, so retries and side calls cannot derail it.
//! Past the end of the script the answer is a short final text. Any other
//! `/v1/messages` request (titles, probes) gets a short text answer.
//!
//! Replies are HTTP/1.0 and the connection is closed after each one
//! ([`super::fake_http`]), which Claude Code's fetch accepts. With `stream:true`
//! the reply is the SSE sequence `message_start`, per block `content_block_start`
//! / `content_block_delta` (`text_delta`, or `input_json_delta` in 40-character
//! pieces) / `content_block_stop`, `message_delta` (stop_reason) and
//! `message_stop`. The reply's `message.model` is the model the request named.
//!
//! Every request is logged (method, path, body).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::fake_http::{FakeHttp, HttpReply, HttpRequest};

/// One scripted model turn.
#[derive(Clone, Debug)]
pub enum Step {
    /// A `tool_use` block calling `name` with `input` (stop_reason `tool_use`).
    Tool { name: String, input: Value },
    /// A final text answer (stop_reason `end_turn`).
    Text(String),
}

impl Step {
    pub fn tool(name: &str, input: Value) -> Step {
        Step::Tool { name: name.to_string(), input }
    }

    pub fn text(text: &str) -> Step {
        Step::Text(text.to_string())
    }
}

/// How a logged request was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A main-agent `/v1/messages` call answered from the script (`step` = its index).
    Main { step: usize },
    /// A `/v1/messages` call without the main tool list: short text answer.
    Side,
    /// Anything else (count_tokens, HEAD, GET, unknown paths).
    Other,
}

/// One logged request.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The path with its query (`/v1/messages?beta=true`).
    pub path: String,
    /// The parsed JSON body (`Value::Null` when empty; `{"_raw": text}` when not JSON).
    pub body: Value,
    pub kind: Kind,
}

impl Request {
    /// The names of the tools the request offers.
    pub fn tool_names(&self) -> Vec<String> {
        tool_names(&self.body)
    }

    /// Every `tool_result` block in the request's messages, in order.
    pub fn tool_results(&self) -> Vec<Value> {
        tool_results(&self.body)
    }

    /// The model the request asked for.
    pub fn model(&self) -> Option<&str> {
        self.body.get("model").and_then(Value::as_str)
    }

    pub fn is_main(&self) -> bool {
        matches!(self.kind, Kind::Main { .. })
    }
}

/// A running fake server; stopped when dropped.
pub struct FakeAnthropic {
    server: FakeHttp,
    log: Arc<Mutex<Vec<Request>>>,
}

struct Shared {
    steps: Vec<Step>,
    log: Arc<Mutex<Vec<Request>>>,
    counter: AtomicUsize,
}

impl FakeAnthropic {
    /// Binds a free loopback port and serves `steps` from a background thread.
    pub fn start(steps: Vec<Step>) -> FakeAnthropic {
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared { steps, log: log.clone(), counter: AtomicUsize::new(0) };
        let server = FakeHttp::start(
            "fake-anthropic",
            move |request| answer(request, &shared),
            |err| eprintln!("fake-anthropic: connection error: {err}"),
        );
        FakeAnthropic { server, log }
    }

    /// `http://127.0.0.1:PORT`, for `ANTHROPIC_BASE_URL`.
    pub fn base_url(&self) -> String {
        self.server.origin()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// The main-agent `/v1/messages` requests so far.
    pub fn main_requests(&self) -> Vec<Request> {
        self.requests().into_iter().filter(Request::is_main).collect()
    }

    /// A one-line-per-request summary, for assertion messages.
    pub fn summary(&self) -> String {
        self.requests()
            .iter()
            .map(|r| {
                format!(
                    "{} {} kind={:?} model={:?} tool_results={} tools={:?}\n",
                    r.method,
                    r.path,
                    r.kind,
                    r.model(),
                    r.tool_results().len(),
                    r.tool_names()
                )
            })
            .collect()
    }
}

fn tool_names(body: &Value) -> Vec<String> {
    body.get("tools")
        .and_then(Value::as_array)
        .map(|tools| tools.iter().filter_map(|t| t.get("name").and_then(Value::as_str)).map(str::to_string).collect())
        .unwrap_or_default()
}

fn tool_results(body: &Value) -> Vec<Value> {
    let Some(messages) = body.get("messages").and_then(Value::as_array) else { return Vec::new() };
    messages
        .iter()
        .filter_map(|m| m.get("content").and_then(Value::as_array))
        .flatten()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
        .cloned()
        .collect()
}

/// The reply to one request: from the script, a side answer, or the small API surface around it.
fn answer(request: HttpRequest, shared: &Shared) -> HttpReply {
    let body = request.json();
    let route = request.route().trim_end_matches('/').to_string();
    let HttpRequest { method, path, .. } = request;
    let is_messages = method == "POST" && route.ends_with("/v1/messages");
    let names = tool_names(&body);
    let kind = if !is_messages {
        Kind::Other
    } else if names.iter().any(|n| n == "Bash" || n == "Edit") {
        Kind::Main { step: tool_results(&body).len() }
    } else {
        Kind::Side
    };
    shared.log.lock().unwrap().push(Request { method: method.clone(), path: path.clone(), body: body.clone(), kind });

    let reply = match kind {
        Kind::Other => {
            return if method == "HEAD" {
                HttpReply::empty()
            } else if method == "POST" && route.ends_with("/v1/messages/count_tokens") {
                HttpReply::json("200 OK", &json!({"input_tokens": 100}))
            } else {
                let err = json!({"type": "error", "error": {"type": "not_found_error", "message": "fake server"}});
                HttpReply::json("404 Not Found", &err)
            };
        }
        Kind::Side => vec![Step::text("Scripted session")],
        Kind::Main { step } => {
            vec![shared.steps.get(step).cloned().unwrap_or_else(|| Step::text("Done."))]
        }
    };

    let n = shared.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let model = body.get("model").and_then(Value::as_str).unwrap_or("claude-fake").to_string();
    let message_id = format!("msg_fake_{n:04}");
    let content: Vec<Value> = reply
        .iter()
        .enumerate()
        .map(|(i, step)| match step {
            Step::Tool { name, input } => {
                json!({"type": "tool_use", "id": format!("toolu_fake_{n:04}_{i}"), "name": name, "input": input})
            }
            Step::Text(text) => json!({"type": "text", "text": text}),
        })
        .collect();
    let stop_reason = if reply.iter().any(|s| matches!(s, Step::Tool { .. })) { "tool_use" } else { "end_turn" };
    let usage = json!({"input_tokens": 50, "output_tokens": 20, "cache_creation_input_tokens": 0,
                       "cache_read_input_tokens": 0});

    if body.get("stream").and_then(Value::as_bool) != Some(true) {
        let message = json!({"id": message_id, "type": "message", "role": "assistant", "model": model,
                             "content": content, "stop_reason": stop_reason, "stop_sequence": null, "usage": usage});
        return HttpReply::json("200 OK", &message);
    }

    let mut out = String::new();
    let mut event = |name: &str, data: Value| out.push_str(&format!("event: {name}\ndata: {data}\n\n"));
    event(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": message_id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 50, "output_tokens": 1, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0}}}),
    );
    for (i, block) in content.iter().enumerate() {
        if block["type"] == "tool_use" {
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": i, "content_block":
                    {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}}),
            );
            let input = block["input"].to_string();
            let chars: Vec<char> = input.chars().collect();
            for piece in chars.chunks(40) {
                let piece: String = piece.iter().collect();
                event(
                    "content_block_delta",
                    json!({"type": "content_block_delta", "index": i,
                           "delta": {"type": "input_json_delta", "partial_json": piece}}),
                );
            }
        } else {
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}}),
            );
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": i,
                       "delta": {"type": "text_delta", "text": block["text"]}}),
            );
        }
        event("content_block_stop", json!({"type": "content_block_stop", "index": i}));
    }
    event(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null},
               "usage": {"output_tokens": 20}}),
    );
    event("message_stop", json!({"type": "message_stop"}));
    HttpReply::event_stream(out)
}
