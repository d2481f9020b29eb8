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
//! Replies are HTTP/1.0 and the connection is closed after each one (the SSE stream ends
//! on close), which Node's fetch accepts. A streamed reply is one `data:` event holding a
//! whole `GenerateContentResponse` (`candidates[0].content.parts`: a `functionCall`
//! with an id, or a text; `finishReason: STOP`; `usageMetadata`; `modelVersion` = the
//! model the path named).
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

impl FakeGemini {
    /// Binds a free loopback port and serves `steps` from a background thread.
    pub fn start(steps: Vec<Step>) -> FakeGemini {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared { steps, log: log.clone(), counter: AtomicUsize::new(0) });
        let stop_flag = stop.clone();
        let acceptor = std::thread::Builder::new()
            .name("fake-gemini".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stop_flag.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = conn else { continue };
                    let shared = shared.clone();
                    std::thread::spawn(move || {
                        if let Err(err) = serve(stream, &shared) {
                            eprintln!("fake-gemini: connection error: {err}");
                        }
                    });
                }
            })
            .unwrap();
        FakeGemini { addr, log, stop, acceptor: Some(acceptor) }
    }

    /// `http://127.0.0.1:PORT`, for `GOOGLE_GEMINI_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
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

impl Drop for FakeGemini {
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
    let route = path.split('?').next().unwrap_or_default();
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
            if method == "POST" && rpc == "countTokens" {
                write_json(&mut stream, "200 OK", &json!({"totalTokens": 100}))?;
            } else {
                let err = json!({"error": {"code": 404, "message": "fake server", "status": "NOT_FOUND"}});
                write_json(&mut stream, "404 Not Found", &err)?;
            }
            return finish(stream);
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
        write_json(&mut stream, "200 OK", &reply)?;
        return finish(stream);
    }
    let head = "HTTP/1.0 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n";
    stream.write_all(head.as_bytes())?;
    stream.write_all(format!("data: {reply}\r\n\r\n").as_bytes())?;
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
