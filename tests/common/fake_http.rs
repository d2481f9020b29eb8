//! The HTTP plumbing every fake model server shares: a loopback HTTP/1.0 server
//! (std::net only; one short-lived thread per connection; every reply closes its
//! connection), reading a request (`Content-Length` or chunked body), writing a
//! reply. Each fake API (`fake_anthropic`, `fake_gemini`, `fake_openai`,
//! `fake_responses`) is only its handler: what to answer to a request.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

/// One request as read from the socket.
pub struct HttpRequest {
    pub method: String,
    /// The path with its query (`/v1/messages?beta=true`).
    pub path: String,
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The path without its query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// The body as JSON: `Value::Null` when empty, `{"_raw": text}` when not JSON.
    pub fn json(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.body).unwrap_or_else(|_| json!({"_raw": String::from_utf8_lossy(&self.body)}))
    }
}

/// What to send back.
pub struct HttpReply {
    /// `200 OK`, `404 Not Found`, …
    pub status: &'static str,
    /// `None`: no content type (an empty reply).
    pub content_type: Option<&'static str>,
    pub body: Vec<u8>,
}

impl HttpReply {
    /// A JSON body.
    pub fn json(status: &'static str, value: &Value) -> HttpReply {
        HttpReply { status, content_type: Some("application/json"), body: value.to_string().into_bytes() }
    }

    /// A whole server-sent event stream.
    pub fn event_stream(body: String) -> HttpReply {
        HttpReply { status: "200 OK", content_type: Some("text/event-stream"), body: body.into_bytes() }
    }

    /// `200 OK` with nothing.
    pub fn empty() -> HttpReply {
        HttpReply { status: "200 OK", content_type: None, body: Vec::new() }
    }
}

/// A running loopback server; stopped when dropped.
pub struct FakeHttp {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeHttp {
    /// Binds a free loopback port and answers every request with `handler` from a
    /// background thread named `name`. A request that cannot be read is reported
    /// to `on_error` (and not answered).
    pub fn start(
        name: &str,
        handler: impl Fn(HttpRequest) -> HttpReply + Send + Sync + 'static,
        on_error: impl Fn(std::io::Error) + Send + Sync + 'static,
    ) -> FakeHttp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port for the fake model");
        let addr = listener.local_addr().unwrap();
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&stopping);
        let handler = Arc::new(handler);
        let on_error = Arc::new(on_error);
        let connection = format!("{name}-conn");
        let acceptor = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (handler, on_error) = (Arc::clone(&handler), Arc::clone(&on_error));
                    let _ = std::thread::Builder::new().name(connection.clone()).spawn(move || {
                        if let Err(e) = serve(stream, &*handler) {
                            on_error(e);
                        }
                    });
                }
            })
            .unwrap();
        FakeHttp { addr, stopping, acceptor: Some(acceptor) }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FakeHttp {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the acceptor blocked in accept(); it sees `stopping` and returns.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Reads one request, answers it and closes the connection (with HTTP/1.0 the end
/// of the connection ends the reply).
fn serve(mut stream: TcpStream, handler: &dyn Fn(HttpRequest) -> HttpReply) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let Some(request) = read_request(&mut BufReader::new(stream.try_clone()?))? else {
        return Ok(()); // the wake-up connection from Drop, or a probe
    };
    let reply = handler(request);
    let mut head = format!("HTTP/1.0 {}\r\n", reply.status);
    if let Some(content_type) = reply.content_type {
        head.push_str(&format!("Content-Type: {content_type}\r\nCache-Control: no-cache\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", reply.body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(&reply.body)?;
    stream.flush()?;
    let _ = stream.shutdown(Shutdown::Write);
    Ok(())
}

/// The request line's method and path, and the body; `None` for a connection
/// that sent nothing.
fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<HttpRequest>> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut words = line.split_whitespace();
    let Some(method) = words.next().map(str::to_string) else { return Ok(None) };
    let path = words.next().unwrap_or("/").to_string();
    let (mut length, mut chunked) = (0usize, false);
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(bad("the request ended inside its headers"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().map_err(|_| bad("bad Content-Length"))?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = line.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size, 16).map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                // Trailers, then the empty line.
                loop {
                    line.clear();
                    if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..])?;
            line.clear();
            reader.read_line(&mut line)?; // the CRLF after the chunk
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(Some(HttpRequest { method, path, body }))
}
