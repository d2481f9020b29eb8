//! A scripted OpenAI Responses API server on loopback, for driving the real Codex
//! CLI with no network (the project's own; nothing outside the repository).
//!
//! HTTP/1.0 on `127.0.0.1:<port chosen at run time>` ([`super::fake_http`]). `POST …/responses`:
//!
//! - a request offering tools (Codex's main tool list) whose `input` already holds N
//!   tool outputs (`function_call_output`, `custom_tool_call_output`) gets step N of
//!   the script, streamed as server-sent events (`response.created`,
//!   `response.output_item.added`/`.done`, `response.completed`); counting outputs
//!   keeps retries and side calls from derailing the script;
//! - [`Step::Patch`] is an `apply_patch` call in the form the request offers it (a
//!   freeform `custom` tool: `custom_tool_call` with the patch as `input`; a function
//!   tool: `function_call` with `{"input": patch}`); [`Step::Shell`] is a
//!   `function_call` to whichever of `exec_command`, `shell_command`, `shell` is offered;
//! - after the last step, and for requests with no tools, a final assistant text.
//!
//! `GET …/models` gets an empty list. Every request is logged ([`FakeResponses::requests`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::fake_http::{FakeHttp, HttpReply, HttpRequest};

/// The final text once every scripted step has its tool output.
pub const FINAL_TEXT: &str = "All done.";

/// One scripted model turn.
#[derive(Debug, Clone)]
pub enum Step {
    /// An `apply_patch` call with this patch text.
    Patch(String),
    /// A shell call running this command in `workdir`.
    Shell {
        /// The command line.
        command: String,
        /// Where it runs.
        workdir: String,
    },
}

/// A running fake Responses API server; stopped when dropped.
pub struct FakeResponses {
    server: FakeHttp,
    state: Arc<State>,
}

struct State {
    steps: Vec<Step>,
    requests: Mutex<Vec<Value>>,
    responses: AtomicUsize,
}

impl FakeResponses {
    /// Starts a server playing `steps`, then a final text.
    pub fn start(steps: Vec<Step>) -> FakeResponses {
        let state = Arc::new(State { steps, requests: Mutex::new(Vec::new()), responses: AtomicUsize::new(0) });
        let shared = Arc::clone(&state);
        let errors = Arc::clone(&state);
        let server = FakeHttp::start(
            "fake-responses",
            move |request| serve(&shared, request),
            move |e| errors.log(json!({"error": e.to_string()})),
        );
        FakeResponses { server, state }
    }

    /// The base URL for a Codex model provider: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.origin())
    }

    /// One JSON object per request so far: `method`, `path`, `model`, `stream`,
    /// `tools` (names offered), `step` (outputs counted), `answer`; or `error`.
    pub fn requests(&self) -> Vec<Value> {
        self.state.requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The request log as text, one JSON line per request (for failure messages).
    pub fn requests_text(&self) -> String {
        self.requests().iter().map(|r| format!("{r}\n")).collect()
    }
}

impl State {
    fn log(&self, entry: Value) {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).push(entry);
    }
}

/// Answers one request (and logs it).
fn serve(state: &State, request: HttpRequest) -> HttpReply {
    let route = request.route().to_string();
    let HttpRequest { method, path, body } = request;
    if method == "POST" && route.ends_with("/responses") {
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let (body, mut entry) = answer(state, &request);
        entry.insert("method".into(), json!(method));
        entry.insert("path".into(), json!(path));
        state.log(Value::Object(entry));
        HttpReply::event_stream(body)
    } else if method == "GET" && route.ends_with("/models") {
        state.log(json!({"method": method, "path": path, "answer": "models"}));
        HttpReply::json("200 OK", &json!({"object": "list", "data": [], "models": []}))
    } else {
        state.log(json!({"method": method, "path": path, "answer": "not found"}));
        HttpReply::json("404 Not Found", &json!({"error": {"message": "fake server: not found", "type": "not_found"}}))
    }
}

/// The output item for step `step` of the script, given the tools the request offers.
fn item(state: &State, tools: &[Value], step: usize) -> (String, Value) {
    let offered = |name: &str| tools.iter().find(|t| t["name"] == name || t["function"]["name"] == name);
    let call_id = format!("call_fake_{step}");
    match state.steps.get(step) {
        Some(Step::Patch(patch)) => {
            let label = "tool:apply_patch".to_string();
            if offered("apply_patch").is_some_and(|t| t["type"] == "custom") {
                return (
                    label,
                    json!({"type": "custom_tool_call", "id": format!("ctc_{step}"), "status": "completed",
                    "call_id": call_id, "name": "apply_patch", "input": patch}),
                );
            }
            let arguments = json!({"input": patch}).to_string();
            (
                label,
                json!({"type": "function_call", "id": format!("fc_{step}"), "status": "completed",
                "call_id": call_id, "name": "apply_patch", "arguments": arguments}),
            )
        }
        Some(Step::Shell { command, workdir }) => {
            let (name, args) = if offered("exec_command").is_some() {
                ("exec_command", json!({"cmd": command, "workdir": workdir}))
            } else if offered("shell_command").is_some() {
                ("shell_command", json!({"command": command, "workdir": workdir}))
            } else {
                ("shell", json!({"command": ["bash", "-lc", command], "workdir": workdir}))
            };
            (
                format!("tool:{name}"),
                json!({"type": "function_call", "id": format!("fc_{step}"),
                "status": "completed", "call_id": call_id, "name": name, "arguments": args.to_string()}),
            )
        }
        None => (
            "final".to_string(),
            json!({"type": "message", "id": format!("msg_{step}"), "status": "completed",
            "role": "assistant", "content": [{"type": "output_text", "text": FINAL_TEXT, "annotations": []}]}),
        ),
    }
}

/// The SSE body answering one `/responses` request, and its log fields.
fn answer(state: &State, request: &Value) -> (String, serde_json::Map<String, Value>) {
    let tools = request["tools"].as_array().cloned().unwrap_or_default();
    let outputs = request["input"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|i| i["type"] == "function_call_output" || i["type"] == "custom_tool_call_output")
        .count();
    let step = if tools.is_empty() { usize::MAX } else { outputs };
    let (label, item) = item(state, &tools, step);
    let mut entry = serde_json::Map::new();
    entry.insert("model".into(), request["model"].clone());
    entry.insert("stream".into(), request["stream"].clone());
    let names: Vec<Value> =
        tools.iter().map(|t| t.get("name").cloned().unwrap_or_else(|| t["function"]["name"].clone())).collect();
    entry.insert("tools".into(), Value::Array(names));
    entry.insert("step".into(), json!(outputs));
    entry.insert("answer".into(), json!(label));

    let n = state.responses.fetch_add(1, Ordering::SeqCst) + 1;
    let created = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let response = json!({"id": format!("resp_fake_{n:04}"), "object": "response", "created_at": created,
        "status": "in_progress", "model": request["model"], "output": []});
    let usage = json!({"input_tokens": 50, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 20,
        "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 70});
    let mut events = vec![
        json!({"type": "response.created", "response": response}),
        json!({"type": "response.in_progress", "response": response}),
    ];
    let mut added = item.clone();
    if item["type"] == "message" {
        added["content"] = json!([]);
        added["status"] = json!("in_progress");
    }
    events.push(json!({"type": "response.output_item.added", "output_index": 0, "item": added}));
    let id = item["id"].clone();
    match item["type"].as_str() {
        Some("message") => {
            let part = item["content"][0].clone();
            events.push(json!({"type": "response.content_part.added", "item_id": id, "output_index": 0,
                "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}));
            events.push(json!({"type": "response.output_text.delta", "item_id": id, "output_index": 0,
                "content_index": 0, "delta": part["text"]}));
            events.push(json!({"type": "response.output_text.done", "item_id": id, "output_index": 0,
                "content_index": 0, "text": part["text"]}));
            events.push(json!({"type": "response.content_part.done", "item_id": id, "output_index": 0,
                "content_index": 0, "part": part}));
        }
        Some("function_call") => {
            events.push(json!({"type": "response.function_call_arguments.delta", "item_id": id, "output_index": 0,
                "delta": item["arguments"]}));
            events.push(json!({"type": "response.function_call_arguments.done", "item_id": id, "output_index": 0,
                "arguments": item["arguments"]}));
        }
        _ => {
            events.push(json!({"type": "response.custom_tool_call_input.delta", "item_id": id, "output_index": 0,
                "delta": item["input"]}));
            events.push(json!({"type": "response.custom_tool_call_input.done", "item_id": id, "output_index": 0,
                "input": item["input"]}));
        }
    }
    events.push(json!({"type": "response.output_item.done", "output_index": 0, "item": item}));
    let mut done = response.clone();
    done["status"] = json!("completed");
    done["output"] = json!([item]);
    done["usage"] = usage;
    events.push(json!({"type": "response.completed", "response": done}));
    let mut body = String::new();
    for (seq, mut event) in events.into_iter().enumerate() {
        event["sequence_number"] = json!(seq);
        body.push_str(&format!("event: {}\ndata: {event}\n\n", event["type"].as_str().unwrap_or("")));
    }
    (body, entry)
}
