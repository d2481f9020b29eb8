//! A scripted, OpenAI-compatible model server on loopback, for driving a real agent
//! binary with no network (the project's own; nothing outside the repository).
//!
//! HTTP/1.0 on `127.0.0.1:<port chosen at run time>` ([`super::fake_http`]). It speaks Chat Completions, streamed as server-sent events when
//! the request asks for `stream` (else one JSON body):
//!
//! - a request offering tools (the agent's main tool list) that carries N tool
//!   results gets step N of the script as one tool call; once every step has its
//!   result, a final text ("All edits done.") that ends the session;
//! - a request offering no tools (title generation and the like) gets a short text;
//! - `GET` (model listing) gets a one-model list.
//!
//! The script is a JSON list of steps `{"tool": NAME, "args": {...}}`; `{PROJ}` in any
//! string of `args` is replaced by the project path. Every request is logged
//! ([`FakeOpenAi::requests`]) for assertions and failure messages.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::fake_http::{FakeHttp, HttpReply, HttpRequest};

/// The final text once every scripted step has its tool result.
pub const FINAL_TEXT: &str = "All edits done.";
/// The answer to requests that offer no tools (e.g. the session title).
pub const TITLE_TEXT: &str = "Scripted session";

/// A running fake model server; stopped when dropped.
pub struct FakeOpenAi {
    server: FakeHttp,
    state: Arc<State>,
}

struct State {
    steps: Vec<(String, Value)>,
    requests: Mutex<Vec<Value>>,
}

impl FakeOpenAi {
    /// Starts a server playing `script` (a JSON list of `{"tool", "args"}` steps), with
    /// `{PROJ}` in the steps' arguments replaced by `project`.
    pub fn start(script: &Value, project: &Path) -> FakeOpenAi {
        let project = project.to_str().expect("the project path is UTF-8");
        let steps = script
            .as_array()
            .expect("the script is a JSON list of steps")
            .iter()
            .map(|step| {
                let tool = step["tool"].as_str().unwrap_or_else(|| panic!("a step without a tool: {step}"));
                (tool.to_string(), expand(&step["args"], project))
            })
            .collect();
        let state = Arc::new(State { steps, requests: Mutex::new(Vec::new()) });
        let shared = Arc::clone(&state);
        let errors = Arc::clone(&state);
        let server = FakeHttp::start(
            "fake-openai",
            move |request| serve(&shared, request),
            move |e| errors.log(json!({"error": e.to_string()})),
        );
        FakeOpenAi { server, state }
    }

    /// The base URL an OpenAI-compatible client is given: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.origin())
    }

    /// The number of scripted steps.
    pub fn step_count(&self) -> usize {
        self.state.steps.len()
    }

    /// One JSON object per request so far, in arrival order: `method`, `path`, `stream`,
    /// `tools_offered`, `tool_results`, `answer` (`"tool:NAME"`, `"final"`, `"title"`,
    /// `"models"`) and `last` (the request's last message); or `error` for a request
    /// that could not be read or answered.
    pub fn requests(&self) -> Vec<Value> {
        self.state.requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The request log as text, one JSON line per request (for failure messages).
    pub fn requests_text(&self) -> String {
        self.requests().iter().map(|r| format!("{r}\n")).collect()
    }

    /// Whether the model has given its final answer, i.e. every step's result came back.
    pub fn finished(&self) -> bool {
        self.requests().iter().any(|r| r["answer"] == "final")
    }
}

impl State {
    fn log(&self, entry: Value) {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).push(entry);
    }
}

/// Replaces `{PROJ}` in every string of `value`.
fn expand(value: &Value, project: &str) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace("{PROJ}", project)),
        Value::Array(items) => Value::Array(items.iter().map(|v| expand(v, project)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), expand(v, project))).collect()),
        other => other.clone(),
    }
}

/// Reads one request from `stream`, answers it and closes the connection.
/// Answers one request (and logs it).
fn serve(state: &State, request: HttpRequest) -> HttpReply {
    let HttpRequest { method, path, body } = request;
    let (content_type, body) = if method == "POST" {
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let (content_type, reply, fields) = answer(state, &request);
        let mut entry = serde_json::Map::new();
        entry.insert("method".into(), json!(method));
        entry.insert("path".into(), json!(path));
        entry.extend(fields);
        state.log(Value::Object(entry));
        (content_type, reply)
    } else {
        state.log(json!({"method": method, "path": path, "answer": "models"}));
        let models = json!({"object": "list", "data": [{"id": "fake-model", "object": "model"}]});
        ("application/json", models.to_string())
    };
    HttpReply { status: "200 OK", content_type: Some(content_type), body: body.into_bytes() }
}

/// What the scripted model says to a chat request: content type, body, and the log
/// fields (tools offered, tool results counted, the answer given, the last message).
fn answer(state: &State, request: &Value) -> (&'static str, String, serde_json::Map<String, Value>) {
    let messages = request["messages"].as_array().map(Vec::as_slice).unwrap_or_default();
    let tools: Vec<String> = request["tools"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t["function"]["name"].as_str().map(str::to_string))
        .collect();
    let done = messages.iter().filter(|m| m["role"] == "tool").count();
    let stream = request["stream"].as_bool().unwrap_or(false);

    // The assistant's message (content and tool calls) and why it stopped.
    let (label, content, call, finish) = if tools.is_empty() {
        ("title".to_string(), Some(TITLE_TEXT), None, "stop")
    } else if let Some((name, args)) = state.steps.get(done) {
        let call = json!({"id": format!("call_{done}"), "type": "function",
                          "function": {"name": name, "arguments": args.to_string()}});
        (format!("tool:{name}"), None, Some(call), "tool_calls")
    } else {
        ("final".to_string(), Some(FINAL_TEXT), None, "stop")
    };
    let mut entry = serde_json::Map::new();
    entry.insert("stream".into(), json!(stream));
    entry.insert("tools_offered".into(), json!(tools));
    entry.insert("tool_results".into(), json!(done));
    entry.insert("answer".into(), json!(label));
    entry.insert("last".into(), messages.last().cloned().unwrap_or(Value::Null));

    let usage = json!({"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120});
    let created = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if !stream {
        let mut message = json!({"role": "assistant", "content": content});
        if let Some(call) = &call {
            message["tool_calls"] = json!([call]);
        }
        let body = json!({"id": "chatcmpl-fake", "object": "chat.completion", "created": created,
                          "model": "fake-model",
                          "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                          "usage": usage});
        return ("application/json", body.to_string(), entry);
    }
    let chunk = |delta: Value, finish: Option<&str>, usage: Option<&Value>| {
        let mut c = json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created,
                           "model": "fake-model",
                           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        if let Some(usage) = usage {
            c["usage"] = usage.clone();
        }
        format!("data: {c}\n\n")
    };
    let first = match call {
        Some(mut call) => {
            call.as_object_mut().unwrap().insert("index".into(), json!(0));
            json!({"role": "assistant", "content": null, "tool_calls": [call]})
        }
        None => json!({"role": "assistant", "content": content}),
    };
    let body = chunk(first, None, None) + &chunk(json!({}), Some(finish), Some(&usage)) + "data: [DONE]\n\n";
    ("text/event-stream", body, entry)
}
