//! Cursor: one hook event (JSON on stdin of `sce hooks cursor`, as `.cursor/hooks.json`
//! version 1 runs hooks) turned into messages and parts.
//!
//! - `afterFileEdit` (`file_path`, `edits[]` of `old_string`/`new_string`): the file
//!   is read as it is now (the after); the before is that text with the edits undone,
//!   last first, when each `new_string` is there to undo (else only the after is sent).
//! - `beforeShellExecution`/`afterShellExecution` and `beforeMCPExecution`/
//!   `afterMCPExecution`: the core snapshot, paired by conversation, generation and
//!   the command (or tool and input), since Cursor gives no call id.
//! - `beforeSubmitPrompt` and `afterAgentResponse`: text parts.
//!
//! The model (`model`, optional in Cursor's payloads) is stored as provider/model:
//! Cursor names models without a provider, so well-known families get theirs
//! (`gpt-`/`o3` → openai, `claude-` → anthropic, `gemini-` → google), others `cursor/`.
//! Not yet proven by a real Cursor (none runs here): the payloads follow Cursor's
//! documented hook schema.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Capture, Context};
use crate::snapshot::{Snapshot, SnapshotError};

/// The `tool_name` sce records for Cursor.
pub const TOOL_NAME: &str = "cursor";

/// One edit of an `afterFileEdit`.
#[derive(Debug, Clone, Deserialize)]
pub struct CursorEdit {
    /// The text replaced.
    pub old_string: String,
    /// The text put in its place.
    pub new_string: String,
}

/// One Cursor hook event: the fields sce reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CursorEvent {
    /// Which event.
    pub hook_event_name: String,
    /// The conversation (sce's session).
    pub conversation_id: String,
    /// The generation (one agent turn).
    pub generation_id: Option<String>,
    /// The model, when Cursor says.
    pub model: Option<String>,
    /// Cursor's version.
    pub cursor_version: Option<String>,
    /// The workspace folders; the first is where the agent works.
    #[serde(default)]
    pub workspace_roots: Vec<std::path::PathBuf>,
    /// Shell events: the command.
    pub command: Option<String>,
    /// Shell events: where it runs.
    pub cwd: Option<std::path::PathBuf>,
    /// MCP events: the tool.
    pub tool_name: Option<String>,
    /// MCP events: its input.
    #[serde(default)]
    pub tool_input: Value,
    /// afterFileEdit: the file.
    pub file_path: Option<String>,
    /// afterFileEdit: the replacements.
    #[serde(default)]
    pub edits: Vec<CursorEdit>,
    /// beforeSubmitPrompt: the prompt.
    pub prompt: Option<String>,
    /// afterAgentResponse: the answer.
    pub text: Option<String>,
}

/// Why an event could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum CursorError {
    /// Not a Cursor hook event.
    #[error("the hook payload is not a Cursor event ({0}); is this hook registered for Cursor?")]
    Payload(#[from] serde_json::Error),
    /// The work-tree snapshot failed.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
}

impl CursorEvent {
    /// Parses one payload.
    pub fn parse(input: &[u8]) -> Result<CursorEvent, CursorError> {
        Ok(serde_json::from_slice(input)?)
    }

    /// Where the agent works: the shell's cwd, else the first workspace root.
    pub fn workdir(&self) -> Option<std::path::PathBuf> {
        self.cwd.clone().or_else(|| self.workspace_roots.first().cloned())
    }

    /// What Cursor expects on stdout: `beforeSubmitPrompt` must be let through
    /// explicitly; every other event takes an empty object (no decision).
    pub fn reply(&self) -> &'static str {
        if self.hook_event_name == "beforeSubmitPrompt" { "{\"continue\":true}" } else { "{}" }
    }
}

/// `provider/model` for a Cursor model name.
pub fn qualified_model(model: &str) -> String {
    if model.contains('/') {
        return model.to_string();
    }
    let provider = if model.starts_with("gpt-") || model.starts_with("o3") || model.starts_with("o4") {
        "openai"
    } else if model.starts_with("claude-") {
        "anthropic"
    } else if model.starts_with("gemini-") {
        "google"
    } else {
        "cursor"
    };
    format!("{provider}/{model}")
}

/// The key pairing a before-event with its after-event.
fn pairing_key(event: &CursorEvent) -> String {
    let what = match &event.command {
        Some(command) => command.clone(),
        None => format!("{}:{}", event.tool_name.as_deref().unwrap_or_default(), event.tool_input),
    };
    format!("{}/{what}", event.generation_id.as_deref().unwrap_or_default())
}

/// `after` with the edits undone, last first; `None` when one cannot be.
fn undo_edits(after: &str, edits: &[CursorEdit]) -> Option<String> {
    edits.iter().rev().try_fold(after.to_string(), |text, edit| {
        (!edit.new_string.is_empty() && text.contains(&edit.new_string))
            .then(|| text.replacen(&edit.new_string, &edit.old_string, 1))
    })
}

/// Handles one event: snapshots, and what to store.
pub fn handle(event: &CursorEvent, ctx: &Context<'_>) -> Result<Capture, CursorError> {
    let mut capture = Capture::default();
    let session = &event.conversation_id;
    let model = event.model.as_deref().map(qualified_model);
    let turn = event.generation_id.clone().unwrap_or_else(|| format!("turn-{}", ctx.now_ms));
    let message = |id: &str, role: &str| {
        json!({"session_id": session, "message_id": id, "role": role, "model_id": model,
               "time_created_ms": ctx.now_ms, "tool_name": TOOL_NAME, "tool_version": event.cursor_version})
    };
    let mut edits: Vec<(String, Option<String>, Option<String>, &str)> = Vec::new();
    match event.hook_event_name.as_str() {
        "beforeSubmitPrompt" | "afterAgentResponse" => {
            let (text, role) = if event.hook_event_name == "beforeSubmitPrompt" {
                (event.prompt.as_deref(), "user")
            } else {
                (event.text.as_deref(), "assistant")
            };
            if let Some(text) = text.filter(|t| !t.is_empty()) {
                let id = format!("{turn}/{role}");
                capture.messages.push(message(&id, role));
                capture.parts.push(json!({"session_id": session, "message_id": id, "part_id": format!("{id}/text"),
                    "part_type": "text", "text": text, "time_ms": ctx.now_ms}));
            }
            return Ok(capture);
        }
        "beforeShellExecution" | "beforeMCPExecution" => {
            let snapshot = Snapshot::take(&ctx.repo.location.root, ctx.max_file_bytes)?;
            snapshot.save(&ctx.files.snapshot(session, &pairing_key(event)))?;
            return Ok(capture);
        }
        "afterShellExecution" | "afterMCPExecution" => {
            if let Some(snapshot) = Snapshot::take_saved(&ctx.files.snapshot(session, &pairing_key(event)))? {
                for change in snapshot.changes(ctx.repo, ctx.max_file_bytes)? {
                    let status = change.status();
                    edits.push((change.path, change.before, change.after, status));
                }
            }
        }
        "afterFileEdit" => {
            if let Some(path) = &event.file_path {
                let full = ctx.repo.location.root.join(path);
                if let Ok(after) = std::fs::read_to_string(&full) {
                    let before = undo_edits(&after, &event.edits);
                    edits.push((path.clone(), before, Some(after), "modified"));
                }
            }
        }
        "stop" => ctx.files.forget_session(session),
        _ => {}
    }
    if edits.is_empty() {
        return Ok(capture);
    }
    let id = format!("{turn}/{}/{}", event.hook_event_name, ctx.now_ms);
    capture.messages.push(message(&id, "assistant"));
    let tool = match event.hook_event_name.as_str() {
        "afterFileEdit" => "edit",
        "afterShellExecution" => "shell",
        _ => event.tool_name.as_deref().unwrap_or("mcp"),
    };
    for (n, (path, before, after, status)) in edits.into_iter().enumerate() {
        let mut part = json!({"session_id": session, "message_id": id, "part_id": format!("{id}/{n}"),
            "part_type": "patch", "tool": tool, "file_path": path, "status": status, "time_ms": ctx.now_ms});
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
    Ok(capture)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_are_undone_last_first() {
        let edits = vec![
            CursorEdit { old_string: "a".into(), new_string: "b".into() },
            CursorEdit { old_string: "b".into(), new_string: "c".into() },
        ];
        assert_eq!(undo_edits("x c", &edits).as_deref(), Some("x a"));
        assert_eq!(undo_edits("x z", &edits), None);
    }

    #[test]
    fn models_get_their_provider() {
        assert_eq!(qualified_model("gpt-5"), "openai/gpt-5");
        assert_eq!(qualified_model("claude-4.5-sonnet"), "anthropic/claude-4.5-sonnet");
        assert_eq!(qualified_model("composer-1"), "cursor/composer-1");
        assert_eq!(qualified_model("x/y"), "x/y");
    }
}
