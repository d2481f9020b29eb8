//! The contract for any other agent (`sce hooks agent`): one JSON event per call,
//! around each tool call and for prompts and answers. An agent, an extension or a
//! small wrapper script can speak it; sce does the snapshots and the storage.
//!
//! ```json
//! {"event": "pre_tool", "agent": "my-agent", "agent_version": "1.2.0",
//!  "session_id": "s-1", "tool_call_id": "c-7", "tool_name": "shell", "cwd": "/path/to/repo"}
//! {"event": "post_tool", "agent": "my-agent", "session_id": "s-1", "tool_call_id": "c-7",
//!  "tool_name": "shell", "model": "openai/gpt-5.1", "cwd": "/path/to/repo"}
//! {"event": "post_tool", "agent": "my-agent", "session_id": "s-1", "tool_call_id": "c-8",
//!  "tool_name": "write", "model": "openai/gpt-5.1",
//!  "files": [{"path": "src/a.py", "before": "old text", "after": "new text"}]}
//! {"event": "prompt", "agent": "my-agent", "session_id": "s-1", "text": "Fix the bug"}
//! {"event": "response", "agent": "my-agent", "session_id": "s-1", "model": "openai/gpt-5.1", "text": "Fixed."}
//! {"event": "session_end", "agent": "my-agent", "session_id": "s-1"}
//! ```
//!
//! A `post_tool` with `files` is exact (a file without `after` was deleted, without
//! `before` created); without `files`, sce compares the work tree with the snapshot it
//! took at that call's `pre_tool`. `model` is `provider/model`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Capture, Context};
use crate::snapshot::{Snapshot, SnapshotError};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A tool is about to run.
    PreTool,
    /// A tool finished (or failed).
    PostTool,
    /// The person's prompt.
    Prompt,
    /// The agent's answer.
    Response,
    /// The session is over: sce forgets its state.
    SessionEnd,
}

/// One file a tool changed, as the agent reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct FileEdit {
    /// Repo-relative, or absolute inside the repository.
    pub path: String,
    /// Content before; absent when the tool created the file.
    pub before: Option<String>,
    /// Content after; absent when the tool deleted the file.
    pub after: Option<String>,
}

/// One event of the contract.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentEvent {
    /// What happened.
    pub event: EventKind,
    /// The agent's name, recorded as the session's tool (e.g. `pi`).
    pub agent: String,
    /// The agent's version.
    pub agent_version: Option<String>,
    /// The agent's session.
    pub session_id: String,
    /// `provider/model`.
    pub model: Option<String>,
    /// Where the agent works (default: the hook's working directory).
    pub cwd: Option<std::path::PathBuf>,
    /// The tool call (pre_tool and post_tool).
    pub tool_call_id: Option<String>,
    /// The tool.
    pub tool_name: Option<String>,
    /// Exact edits (post_tool).
    pub files: Option<Vec<FileEdit>>,
    /// The prompt or the answer.
    pub text: Option<String>,
}

/// Why an event could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum AgentEventError {
    /// Not an event of the contract.
    #[error("the event does not follow sce's agent contract ({0}); see `sce hooks agent --help`")]
    Payload(#[from] serde_json::Error),
    /// A tool event without its call id.
    #[error("a {0} event needs tool_call_id")]
    NoCallId(&'static str),
    /// The work-tree snapshot failed.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
}

impl AgentEvent {
    /// Parses one event.
    pub fn parse(input: &[u8]) -> Result<AgentEvent, AgentEventError> {
        Ok(serde_json::from_slice(input)?)
    }
}

/// Handles one event: snapshots, and what to store.
pub fn handle(event: &AgentEvent, ctx: &Context<'_>) -> Result<Capture, AgentEventError> {
    let mut capture = Capture::default();
    let session = &event.session_id;
    let message = |id: &str, role: &str| {
        json!({"session_id": session, "message_id": id, "role": role, "model_id": event.model,
               "time_created_ms": ctx.now_ms, "tool_name": event.agent, "tool_version": event.agent_version})
    };
    match event.event {
        EventKind::SessionEnd => ctx.files.forget_session(session),
        EventKind::Prompt | EventKind::Response => {
            let Some(text) = event.text.as_deref().filter(|t| !t.is_empty()) else { return Ok(capture) };
            let (role, kind) =
                if event.event == EventKind::Prompt { ("user", "prompt") } else { ("assistant", "answer") };
            let id = format!("{kind}-{}", ctx.now_ms);
            capture.messages.push(message(&id, role));
            capture.parts.push(json!({"session_id": session, "message_id": id, "part_id": format!("{id}/text"),
                "part_type": "text", "text": text, "time_ms": ctx.now_ms}));
        }
        EventKind::PreTool => {
            let call = event.tool_call_id.as_deref().ok_or(AgentEventError::NoCallId("pre_tool"))?;
            if event.files.is_none() {
                Snapshot::take(&ctx.repo.location.root, ctx.max_file_bytes)?
                    .save(&ctx.files.snapshot(session, call))?;
            }
        }
        EventKind::PostTool => {
            let call = event.tool_call_id.as_deref().ok_or(AgentEventError::NoCallId("post_tool"))?;
            let snapshot = Snapshot::take_saved(&ctx.files.snapshot(session, call))?;
            let edits: Vec<(String, Option<String>, Option<String>)> = match (&event.files, snapshot) {
                (Some(files), _) => files.iter().map(|f| (f.path.clone(), f.before.clone(), f.after.clone())).collect(),
                (None, Some(snapshot)) => snapshot
                    .changes(ctx.repo, ctx.max_file_bytes)?
                    .into_iter()
                    .map(|c| (c.path, c.before, c.after))
                    .collect(),
                (None, None) => Vec::new(),
            };
            if edits.is_empty() {
                return Ok(capture);
            }
            capture.messages.push(message(call, "assistant"));
            for (n, (path, before, after)) in edits.into_iter().enumerate() {
                let status = match (&before, &after) {
                    (None, Some(_)) => "added",
                    (Some(_), None) => "deleted",
                    _ => "modified",
                };
                let mut part = json!({"session_id": session, "message_id": call, "part_id": format!("{call}/{n}"),
                    "part_type": "patch", "tool": event.tool_name, "file_path": path, "status": status,
                    "time_ms": ctx.now_ms});
                if let Some(before) = before {
                    part["before"] = Value::String(before);
                }
                match after {
                    Some(after) => part["after"] = Value::String(after),
                    None if status == "deleted" => {}
                    None => continue,
                }
                capture.parts.push(part);
            }
        }
    }
    Ok(capture)
}
