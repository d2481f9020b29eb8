//! Gemini CLI: one hook event (JSON on stdin of `sce hooks gemini`) turned into the
//! messages and parts the envelope path stores.
//!
//! - `write_file`, `replace`: exact before/after from the tool's response
//!   (`tool_response.returnDisplay.originalContent` / `newContent`).
//! - `run_shell_command`, MCP tools and tools this version does not know: a
//!   work-tree snapshot at `BeforeTool`, compared at `AfterTool`
//!   ([`crate::snapshot`]). Gemini's tool hooks carry no call id, so snapshots wait
//!   in a per-session queue and an `AfterTool` takes the oldest one of its tool.
//! - The model: from the session's transcript (`"type":"gemini"` records carry
//!   `model`), read incrementally; `BeforeModel`'s `llm_request.model` when that
//!   event is sent (setup does not register it: it carries the whole conversation
//!   on every model call). Stored as `google/<model>` unless the id has a `/`.
//! - Gemini CLI's version: no payload carries it; it is read once per session from
//!   the `package.json` beside the running `gemini.js` (Linux `/proc`), else unknown.
//! - Prompts (`BeforeAgent`) and answers (`AfterAgent`) as text parts.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Capture, Context};
use crate::snapshot::{Snapshot, SnapshotError};

/// The `tool_name` sce records for Gemini CLI.
pub const TOOL_NAME: &str = "gemini-cli";

/// Tools that only read (or write outside the work tree): no snapshot, no edit.
const READ_ONLY_TOOLS: &[&str] = &[
    "read_file",
    "read_many_files",
    "glob",
    "grep_search",
    "search_file_content",
    "list_directory",
    "google_web_search",
    "web_fetch",
    "save_memory",
    "write_todos",
    "activate_skill",
    "ask_user",
    "get_internal_docs",
    "enter_plan_mode",
    "exit_plan_mode",
    "complete_task",
    "update_topic",
    "list_mcp_resources",
    "read_mcp_resource",
    "tracker_add_dependency",
    "tracker_create_task",
    "tracker_get_task",
    "tracker_list_tasks",
    "tracker_update_task",
    "tracker_visualize",
];

/// Tools whose response carries the file before and after.
const EXACT_TOOLS: &[&str] = &["write_file", "replace"];

/// How many unfinished snapshotted calls a session may have queued.
const MAX_QUEUED: usize = 64;

/// One Gemini CLI hook event: the fields sce reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HookEvent {
    /// Which event.
    pub hook_event_name: String,
    /// The session.
    pub session_id: String,
    /// The session's transcript (JSON lines).
    pub transcript_path: Option<PathBuf>,
    /// Where Gemini runs.
    pub cwd: Option<PathBuf>,
    /// When the event fired (ISO 8601).
    pub timestamp: Option<String>,
    /// Tool events: the tool.
    pub tool_name: Option<String>,
    /// Tool events: its input.
    #[serde(default)]
    pub tool_input: Value,
    /// AfterTool: what the tool returned (`llmContent`, `returnDisplay`).
    #[serde(default)]
    pub tool_response: Value,
    /// BeforeAgent / AfterAgent: the prompt.
    pub prompt: Option<String>,
    /// AfterAgent: the final answer.
    pub prompt_response: Option<String>,
    /// BeforeModel / AfterModel / BeforeToolSelection: the request (only its model is read).
    pub llm_request: Option<LlmRequest>,
}

/// The part of `llm_request` sce reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LlmRequest {
    /// The model the request goes to.
    pub model: Option<String>,
}

/// Why an event could not be turned into events to store.
#[derive(Debug, thiserror::Error)]
pub enum GeminiError {
    /// The payload is not a Gemini CLI hook event.
    #[error("the hook payload is not a Gemini CLI event ({0}); is this hook registered for Gemini CLI?")]
    Payload(#[from] serde_json::Error),
    /// The work-tree snapshot failed.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// The per-session state could not be written.
    #[error("cannot write {path}: {source}")]
    State {
        /// The state file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl HookEvent {
    /// Parses one payload.
    pub fn parse(input: &[u8]) -> Result<HookEvent, GeminiError> {
        Ok(serde_json::from_slice(input)?)
    }
}

/// `google/<model>`, unless the id already names a provider.
pub fn qualified_model(model: &str) -> String {
    if model.contains('/') { model.to_string() } else { format!("google/{model}") }
}

/// What one session remembers between hook calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct SessionState {
    /// Bytes of the transcript read so far (always at a line end).
    offset: u64,
    /// The latest model seen (unqualified, as Gemini names it).
    model: Option<String>,
    /// Gemini CLI's version, once found (`Some("")`: looked, not found).
    version: Option<String>,
    /// Snapshotted calls not finished yet, oldest first: (tool, sequence number).
    queue: Vec<(String, u64)>,
    /// The next sequence number.
    next: u64,
}

impl SessionState {
    fn load(path: &Path) -> SessionState {
        std::fs::read(path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default()
    }

    fn save(&self, path: &Path) -> Result<(), GeminiError> {
        let failed = |source| GeminiError::State { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        let text = serde_json::to_vec(self).map_err(|e| failed(std::io::Error::other(e)))?;
        // Written beside and renamed: a concurrent hook never reads half a file.
        let temp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&temp, text).map_err(failed)?;
        std::fs::rename(&temp, path).map_err(failed)
    }

    /// Reads what was appended to the transcript since the last call: the latest
    /// `"type":"gemini"` record's model. A shorter file (rewritten) is read again.
    fn advance(&mut self, transcript: &Path) -> std::io::Result<()> {
        let mut file = std::fs::File::open(transcript)?;
        let len = file.metadata()?.len();
        if len < self.offset {
            self.offset = 0;
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut bytes = Vec::new();
        file.take(len - self.offset).read_to_end(&mut bytes)?;
        let Some(end) = bytes.iter().rposition(|b| *b == b'\n') else { return Ok(()) };
        for line in bytes[..end].split(|b| *b == b'\n') {
            // Only gemini records name the model; most lines are skipped unparsed.
            if !contains(line, b"\"gemini\"") || !contains(line, b"\"model\"") {
                continue;
            }
            if let Ok(record) = serde_json::from_slice::<TranscriptRecord>(line)
                && record.kind.as_deref() == Some("gemini")
                && let Some(model) = record.model.filter(|m| !m.is_empty())
            {
                self.model = Some(model);
            }
        }
        self.offset += end as u64 + 1;
        Ok(())
    }
}

#[derive(Deserialize)]
struct TranscriptRecord {
    #[serde(rename = "type")]
    kind: Option<String>,
    model: Option<String>,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn str_field<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

/// Handles one event: remembers what later events need, and returns what to store.
pub fn handle(event: &HookEvent, ctx: &Context<'_>) -> Result<Capture, GeminiError> {
    let mut capture = Capture::default();
    let state_path = ctx.files.transcript_state(&event.session_id);
    // Gemini may run hooks of parallel tool calls at once: one at a time per session,
    // so the queue and the offsets stay whole.
    let _lock = match event.hook_event_name.as_str() {
        "BeforeTool" | "AfterTool" | "AfterAgent" | "BeforeModel" | "BeforeToolSelection" | "AfterModel" => {
            lock_session(&state_path)
        }
        _ => None,
    };
    match event.hook_event_name.as_str() {
        // A started, resumed or cleared session has no call under way: a queue left by
        // an interrupted run must not pair with the next calls.
        "SessionStart" | "SessionEnd" => ctx.files.forget_session(&event.session_id),
        "BeforeModel" | "BeforeToolSelection" | "AfterModel" => {
            if let Some(model) = event.llm_request.as_ref().and_then(|r| r.model.clone()).filter(|m| !m.is_empty()) {
                let mut state = SessionState::load(&state_path);
                if state.model.as_deref() != Some(model.as_str()) {
                    state.model = Some(model);
                    state.save(&state_path)?;
                }
            }
        }
        "BeforeAgent" => {
            if let Some(prompt) = event.prompt.as_deref().filter(|p| !p.is_empty()) {
                let id = format!("prompt-{}", event.timestamp.as_deref().unwrap_or(&ctx.now_ms.to_string()));
                capture.messages.push(json!({"session_id": event.session_id, "message_id": id, "role": "user",
                    "time_created_ms": ctx.now_ms}));
                capture.parts.push(json!({"session_id": event.session_id, "message_id": id,
                    "part_id": format!("{id}/prompt"), "part_type": "text", "text": prompt, "time_ms": ctx.now_ms}));
            }
        }
        "AfterAgent" => {
            if let Some(text) = event.prompt_response.as_deref().filter(|t| !t.is_empty()) {
                let mut state = SessionState::load(&state_path);
                let (model, version) = session_model(event, &mut state);
                let _ = state.save(&state_path);
                let id = format!("answer-{}", event.timestamp.as_deref().unwrap_or(&ctx.now_ms.to_string()));
                capture.messages.push(assistant_message(event, &id, model.as_deref(), version.as_deref(), ctx));
                capture.parts.push(json!({"session_id": event.session_id, "message_id": id,
                    "part_id": format!("{id}/text"), "part_type": "text", "text": text, "time_ms": ctx.now_ms}));
            }
        }
        "BeforeTool" => {
            if let Some(tool) = event.tool_name.as_deref()
                && needs_snapshot(tool)
            {
                let snapshot = Snapshot::take(&ctx.repo.location.root, ctx.max_file_bytes)?;
                let mut state = SessionState::load(&state_path);
                let seq = state.next;
                state.next += 1;
                snapshot.save(&ctx.files.snapshot(&event.session_id, &seq.to_string()))?;
                state.queue.push((tool.to_string(), seq));
                // A call whose AfterTool never came (cancelled) must not pile up.
                while state.queue.len() > MAX_QUEUED {
                    let (_, old) = state.queue.remove(0);
                    let _ = std::fs::remove_file(ctx.files.snapshot(&event.session_id, &old.to_string()));
                }
                state.save(&state_path)?;
            }
        }
        "AfterTool" => capture = tool_edits(event, ctx, &state_path)?,
        _ => {}
    }
    Ok(capture)
}

/// An exclusive lock on the session's state, held until the file is dropped; `None`
/// (go on unlocked) when it cannot be taken.
fn lock_session(state_path: &Path) -> Option<std::fs::File> {
    let path = state_path.with_extension("lock");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).ok()?;
    }
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).ok()?;
    file.lock().ok()?;
    Some(file)
}

fn needs_snapshot(tool: &str) -> bool {
    !EXACT_TOOLS.contains(&tool) && !READ_ONLY_TOOLS.contains(&tool)
}

/// The session's model (qualified) and Gemini CLI's version, brought up to date.
fn session_model(event: &HookEvent, state: &mut SessionState) -> (Option<String>, Option<String>) {
    if let Some(transcript) = &event.transcript_path
        && let Err(e) = state.advance(transcript)
    {
        tracing::debug!("cannot read the transcript {}: {e}", transcript.display());
    }
    if state.version.is_none() {
        state.version = Some(running_version().unwrap_or_default());
    }
    (state.model.as_deref().map(qualified_model), state.version.clone().filter(|v| !v.is_empty()))
}

/// The version of the Gemini CLI that runs this hook: the `package.json` of the
/// `@google/gemini-cli` package whose script an ancestor process runs.
fn running_version() -> Option<String> {
    let mut pid = std::os::unix::process::parent_id();
    for _ in 0..6 {
        if pid <= 1 {
            return None;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        for arg in cmdline.split(|b| *b == 0).skip(1).take(8) {
            let arg = String::from_utf8_lossy(arg);
            if !arg.contains("gemini") {
                continue;
            }
            let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap_or_default();
            if let Some(version) = std::fs::canonicalize(cwd.join(arg.as_ref())).ok().and_then(|p| package_version(&p))
            {
                return Some(version);
            }
        }
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        pid = status.lines().find_map(|l| l.strip_prefix("PPid:")).and_then(|p| p.trim().parse().ok())?;
    }
    None
}

/// The version in the nearest `package.json` above `script` naming `@google/gemini-cli`.
fn package_version(script: &Path) -> Option<String> {
    for dir in script.ancestors().skip(1).take(3) {
        let Ok(text) = std::fs::read_to_string(dir.join("package.json")) else { continue };
        let package: Value = serde_json::from_str(&text).ok()?;
        if package["name"] == "@google/gemini-cli" {
            return package["version"].as_str().map(str::to_string);
        }
    }
    None
}

fn assistant_message(
    event: &HookEvent,
    id: &str,
    model: Option<&str>,
    version: Option<&str>,
    ctx: &Context<'_>,
) -> Value {
    json!({"session_id": event.session_id, "message_id": id, "role": "assistant", "model_id": model,
           "time_created_ms": ctx.now_ms, "tool_name": TOOL_NAME, "tool_version": version})
}

type FileChange = (String, Option<String>, Option<String>, &'static str);

/// The edits one finished tool call made.
fn tool_edits(event: &HookEvent, ctx: &Context<'_>, state_path: &Path) -> Result<Capture, GeminiError> {
    let Some(tool) = event.tool_name.as_deref() else { return Ok(Capture::default()) };
    let mut state = SessionState::load(state_path);
    let (changes, call): (Vec<FileChange>, String) = if EXACT_TOOLS.contains(&tool) {
        (exact_edit(event).into_iter().collect(), format!("{}", state.next))
    } else if READ_ONLY_TOOLS.contains(&tool) {
        return Ok(Capture::default());
    } else {
        // The oldest unfinished call of this tool: Gemini gives no call id to pair them.
        let Some(index) = state.queue.iter().position(|(t, _)| t == tool) else { return Ok(Capture::default()) };
        let (_, seq) = state.queue.remove(index);
        let file = ctx.files.snapshot(&event.session_id, &seq.to_string());
        let changes = match Snapshot::take_saved(&file)? {
            Some(snapshot) => snapshot
                .changes(ctx.repo, ctx.max_file_bytes)?
                .into_iter()
                .map(|c| {
                    let status = c.status();
                    (c.path, c.before, c.after, status)
                })
                .collect(),
            None => Vec::new(),
        };
        let _ = std::fs::remove_file(&file);
        (changes, seq.to_string())
    };
    if EXACT_TOOLS.contains(&tool) {
        state.next += 1;
    }
    let (model, version) = session_model(event, &mut state);
    state.save(state_path)?;
    let mut capture = Capture::default();
    if changes.is_empty() {
        return Ok(capture);
    }
    let message_id = format!("{}/tool-{call}", event.session_id);
    capture.messages.push(assistant_message(event, &message_id, model.as_deref(), version.as_deref(), ctx));
    for (n, (path, before, after, status)) in changes.into_iter().enumerate() {
        let mut part = json!({"session_id": event.session_id, "message_id": message_id,
            "part_id": format!("{message_id}/{n}"), "part_type": "patch", "tool": tool, "file_path": path,
            "status": status, "time_ms": ctx.now_ms});
        if let Some(before) = before {
            part["before"] = json!(before);
        }
        match after {
            Some(after) => part["after"] = json!(after),
            None if status == "deleted" => {}
            None => continue,
        }
        capture.parts.push(part);
    }
    Ok(capture)
}

/// (path, before, after, status) of a `write_file` or `replace`, from its response.
/// A response without `newContent` (the tool failed: `returnDisplay` is its error text)
/// changed nothing.
fn exact_edit(event: &HookEvent) -> Option<FileChange> {
    let display = &event.tool_response["returnDisplay"];
    let path = str_field(display, "filePath").or_else(|| str_field(&event.tool_input, "file_path"))?.to_string();
    let after = str_field(display, "newContent")?.to_string();
    let new_file = display.get("isNewFile").and_then(Value::as_bool).unwrap_or(false);
    let before = if new_file { None } else { str_field(display, "originalContent").map(str::to_string) };
    if before.as_deref() == Some(after.as_str()) {
        return None;
    }
    Some((path, before, Some(after), if new_file { "added" } else { "modified" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_qualified_once() {
        assert_eq!(qualified_model("gemini-2.5-pro"), "google/gemini-2.5-pro");
        assert_eq!(qualified_model("vertex/gemini-2.5-pro"), "vertex/gemini-2.5-pro");
    }

    #[test]
    fn only_tools_that_may_write_are_snapshotted() {
        assert!(needs_snapshot("run_shell_command"));
        assert!(needs_snapshot("mcp_files_write"));
        assert!(!needs_snapshot("replace"));
        assert!(!needs_snapshot("read_file"));
    }

    #[test]
    fn the_transcript_is_read_incrementally_to_a_line_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(
            &path,
            "{\"sessionId\":\"s\"}\n{\"type\":\"gemini\",\"model\":\"gemini-2.5-pro\"}\n{\"type\":\"gem",
        )
        .unwrap();
        let mut state = SessionState::default();
        state.advance(&path).unwrap();
        assert_eq!(state.model.as_deref(), Some("gemini-2.5-pro"));
        let read = state.offset;
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("ini\",\"model\":\"gemini-2.5-flash\"}\n");
        std::fs::write(&path, text).unwrap();
        state.advance(&path).unwrap();
        assert_eq!(state.model.as_deref(), Some("gemini-2.5-flash"));
        assert!(state.offset > read);
    }
}
