//! A fake Gemini API (generativelanguage `v1beta`) on 127.0.0.1 for driving the real
//! Gemini CLI offline through a scripted session.
//!
//! `POST /v1beta/models/<model>:streamGenerateContent?alt=sse` and `:generateContent`
//! requests that offer the main tool list (a `write_file` function declaration) are
//! answered from the script: the step is the number of `functionResponse` parts already
//! in `contents`, so retries and side calls cannot derail it. Past the end of the script
//! the answer is a short final text. Any other generate request (routing classifier,
//! next-speaker check) gets a small JSON text that satisfies the CLI's JSON side prompts;
//! `:countTokens` gets a count.
//!
//! Replies are HTTP/1.0 and the connection is closed after each one
//! ([`super::fake_http`]), which Node's fetch accepts. A streamed reply is one `data:` event holding a
//! whole `GenerateContentResponse` (`candidates[0].content.parts`: a `functionCall`
//! with an id, or a text; `finishReason: STOP`; `usageMetadata`; `modelVersion` = the
//! model the path named).
//!
//! Every request is logged (method, path, body).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::fake_http::{FakeHttp, HttpReply, HttpRequest};

/// One scripted model turn.
#[derive(Clone, Debug)]
pub enum Step {
    /// A `functionCall` part calling `name` with `args`.
    Tool { name: String, args: Value },
    /// A final text answer.
    Text(String),
}

impl Step {
    pub fn tool(name: &str, args: Value) -> Step {
        Step::Tool { name: name.to_string(), args }
    }

    pub fn text(text: &str) -> Step {
        Step::Text(text.to_string())
    }
}

/// How a logged request was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A main-agent generate call answered from the script (`step` = its index).
    Main { step: usize },
    /// A generate call without the main tool list: a short (JSON) text answer.
    Side,
    /// Anything else (countTokens, GET, unknown paths).
    Other,
}

/// One logged request.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The path with its query.
    pub path: String,
    /// The parsed JSON body (`Value::Null` when empty; `{"_raw": text}` when not JSON).
    pub body: Value,
    /// The model the path names (`/models/<model>:<rpc>`).
    pub model: Option<String>,
    pub kind: Kind,
}

impl Request {
    /// The names of the functions the request offers.
    pub fn tool_names(&self) -> Vec<String> {
        tool_names(&self.body)
    }

    /// Every `functionResponse` in the request's contents, in order.
    pub fn function_responses(&self) -> Vec<Value> {
        function_responses(&self.body)
    }

    pub fn is_main(&self) -> bool {
        matches!(self.kind, Kind::Main { .. })
    }
}

/// A running fake server; stopped when dropped.
pub struct FakeGemini {
    server: FakeHttp,
    log: Arc<Mutex<Vec<Request>>>,
}

struct Shared {
    steps: Vec<Step>,
    log: Arc<Mutex<Vec<Request>>>,
    counter: AtomicUsize,
}

impl FakeGemini {
    /// Binds a free loopback port and serves `steps` from a background thread.
    pub fn start(steps: Vec<Step>) -> FakeGemini {
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared { steps, log: log.clone(), counter: AtomicUsize::new(0) };
        let server = FakeHttp::start(
            "fake-gemini",
            move |request| answer(request, &shared),
            |err| eprintln!("fake-gemini: connection error: {err}"),
        );
        FakeGemini { server, log }
    }

    /// `http://127.0.0.1:PORT`, for `GOOGLE_GEMINI_BASE_URL`.
    pub fn base_url(&self) -> String {
        self.server.origin()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// The main-agent generate requests so far.
    pub fn main_requests(&self) -> Vec<Request> {
        self.requests().into_iter().filter(Request::is_main).collect()
    }

    /// A one-line-per-request summary, for assertion messages.
    pub fn summary(&self) -> String {
        self.requests()
            .iter()
            .map(|r| {
                format!(
                    "{} {} kind={:?} model={:?} function_responses={} tools={}\n",
                    r.method,
                    r.path,
                    r.kind,
                    r.model,
                    r.function_responses().len(),
                    r.tool_names().len()
                )
            })
            .collect()
    }
}

fn tool_names(body: &Value) -> Vec<String> {
    let Some(tools) = body.get("tools").and_then(Value::as_array) else { return Vec::new() };
    tools
        .iter()
        .filter_map(|t| t.get("functionDeclarations").or_else(|| t.get("function_declarations")))
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|f| f.get("name").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

fn function_responses(body: &Value) -> Vec<Value> {
    let Some(contents) = body.get("contents").and_then(Value::as_array) else { return Vec::new() };
    contents
        .iter()
        .filter_map(|c| c.get("parts").and_then(Value::as_array))
        .flatten()
        .filter_map(|p| p.get("functionResponse").or_else(|| p.get("function_response")))
        .cloned()
        .collect()
}

/// What the CLI's JSON side prompts (routing, next speaker) accept.
fn side_json() -> Value {
    json!({"reasoning": "scripted fake", "next_speaker": "user", "model_choice": "flash",
           "complexity_reasoning": "simple", "complexity_score": 1})
}

/// The reply to one request: from the script, a side answer, or the small API surface around it.
fn answer(request: HttpRequest, shared: &Shared) -> HttpReply {
    let body = request.json();
    let route = request.route().to_string();
    let HttpRequest { method, path, .. } = request;
    let (model, rpc) = match route.rsplit_once("/models/").and_then(|(_, rest)| rest.split_once(':')) {
        Some((model, rpc)) => (Some(model.to_string()), rpc.to_string()),
        None => (None, String::new()),
    };
    let generate = method == "POST" && (rpc == "streamGenerateContent" || rpc == "generateContent");
    let kind = if !generate {
        Kind::Other
    } else if tool_names(&body).iter().any(|n| n == "write_file") {
        Kind::Main { step: function_responses(&body).len() }
    } else {
        Kind::Side
    };
    shared.log.lock().unwrap().push(Request {
        method: method.clone(),
        path: path.clone(),
        body: body.clone(),
        model: model.clone(),
        kind,
    });

    let n = shared.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let parts = match kind {
        Kind::Other => {
            return if method == "POST" && rpc == "countTokens" {
                HttpReply::json("200 OK", &json!({"totalTokens": 100}))
            } else {
                let err = json!({"error": {"code": 404, "message": "fake server", "status": "NOT_FOUND"}});
                HttpReply::json("404 Not Found", &err)
            };
        }
        Kind::Side => {
            let config = &body["generationConfig"];
            let wants_json = config["responseMimeType"] == "application/json"
                || !config["responseJsonSchema"].is_null()
                || !config["responseSchema"].is_null();
            let text = if wants_json { side_json().to_string() } else { "Scripted session".to_string() };
            vec![json!({"text": text})]
        }
        Kind::Main { step } => match shared.steps.get(step).cloned().unwrap_or_else(|| Step::text("Done.")) {
            Step::Tool { name, args } => {
                vec![json!({"functionCall": {"id": format!("fc_fake_{n}"), "name": name, "args": args}})]
            }
            Step::Text(text) => vec![json!({"text": text})],
        },
    };
    let reply = json!({
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 50, "candidatesTokenCount": 20, "totalTokenCount": 70},
        "modelVersion": model.as_deref().unwrap_or("gemini-fake"),
        "responseId": format!("fake-{n:04}"),
    });
    if rpc == "generateContent" {
        return HttpReply::json("200 OK", &reply);
    }
    HttpReply::event_stream(format!("data: {reply}\r\n\r\n"))
}
