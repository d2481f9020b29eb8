//! A fake Anthropic Messages API on 127.0.0.1 for driving the real Claude Code
//! binary offline through a scripted session.
//!
//! `POST /v1/messages` requests that offer the main tool list (a "Bash" or "Edit"
//! tool) are answered from the script: the step is the number of `tool_result`
//! blocks already in the conversation, so retries and side calls cannot derail it.
//! Past the end of the script the answer is a short final text. Any other
//! `/v1/messages` request (titles, probes) gets a short text answer.
//!
//! Replies are HTTP/1.0 and the connection is closed after each one (the SSE
//! stream ends on close), which Claude Code's fetch accepts. With `stream:true`
//! the reply is the SSE sequence `message_start`, per block `content_block_start`
//! / `content_block_delta` (`text_delta`, or `input_json_delta` in 40-character
//! pieces) / `content_block_stop`, `message_delta` (stop_reason) and
//! `message_stop`. The reply's `message.model` is the model the request named.
//!
//! Every request is logged (method, path, body).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

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
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    steps: Vec<Step>,
    log: Arc<Mutex<Vec<Request>>>,
    counter: AtomicUsize,
}

impl FakeAnthropic {
    /// Binds a free loopback port and serves `steps` from a background thread.
    pub fn start(steps: Vec<Step>) -> FakeAnthropic {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared { steps, log: log.clone(), counter: AtomicUsize::new(0) });
        let stop_flag = stop.clone();
        let acceptor = std::thread::Builder::new()
            .name("fake-anthropic".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stop_flag.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = conn else { continue };
                    let shared = shared.clone();
                    std::thread::spawn(move || {
                        if let Err(err) = serve(stream, &shared) {
                            eprintln!("fake-anthropic: connection error: {err}");
                        }
                    });
                }
            })
            .unwrap();
        FakeAnthropic { addr, log, stop, acceptor: Some(acceptor) }
    }

    /// `http://127.0.0.1:PORT`, for `ANTHROPIC_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
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

impl Drop for FakeAnthropic {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(handle) = self.acceptor.take() {
            let _ = handle.join();
        }
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

/// One HTTP request as read from the socket.
struct RawRequest {
    method: String,
    path: String,
    body: Vec<u8>,
}

/// Reads one HTTP request (a `content-length` or chunked body).
fn read_request(stream: &TcpStream) -> std::io::Result<RawRequest> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let get = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
            if size == 0 {
                // Trailers, then the empty line.
                loop {
                    let mut t = String::new();
                    if reader.read_line(&mut t)? == 0 || t.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0; size + 2]; // data + CRLF
            reader.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(len, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(RawRequest { method, path, body })
}

fn serve(mut stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let RawRequest { method, path, body: raw } = read_request(&stream)?;
    if method.is_empty() {
        return Ok(()); // the wake-up connection from Drop, or a probe
    }
    let body = if raw.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&raw).unwrap_or_else(|_| json!({"_raw": String::from_utf8_lossy(&raw)}))
    };
    let route = path.split('?').next().unwrap_or_default().trim_end_matches('/');
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
            if method == "HEAD" {
                stream.write_all(b"HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n")?;
            } else if method == "POST" && route.ends_with("/v1/messages/count_tokens") {
                write_json(&mut stream, "200 OK", &json!({"input_tokens": 100}))?;
            } else {
                let err = json!({"type": "error", "error": {"type": "not_found_error", "message": "fake server"}});
                write_json(&mut stream, "404 Not Found", &err)?;
            }
            return finish(stream);
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
        write_json(&mut stream, "200 OK", &message)?;
        return finish(stream);
    }

    let mut out = Vec::new();
    out.extend_from_slice(b"HTTP/1.0 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n");
    let mut event = |name: &str, data: Value| {
        out.extend_from_slice(format!("event: {name}\ndata: {data}\n\n").as_bytes());
    };
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
    stream.write_all(&out)?;
    finish(stream)
}

fn write_json(stream: &mut TcpStream, status: &str, value: &Value) -> std::io::Result<()> {
    let data = value.to_string();
    let head = format!("HTTP/1.0 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", data.len());
    stream.write_all(head.as_bytes())?;
    stream.write_all(data.as_bytes())
}

/// Flushes and closes: with HTTP/1.0 the end of the connection ends the reply.
fn finish(mut stream: TcpStream) -> std::io::Result<()> {
    stream.flush()?;
    let _ = stream.shutdown(Shutdown::Write);
    Ok(())
}
