//! Claude Code: one hook event (JSON on stdin of `sce hooks claude-code`) turned into
//! the messages and parts the envelope path stores.
//!
//! - `Write`, `Edit`, `MultiEdit`: exact before/after from the tool's response
//!   (`originalFile`, and the new content or the replacements applied to it).
//! - Any other tool that may write (`Bash`, `NotebookEdit`, MCP tools, tools this
//!   version does not know): a work-tree snapshot at `PreToolUse`, compared at
//!   `PostToolUse` ([`crate::snapshot`]); each changed file is one edit.
//! - The model: from the transcript (no tool payload carries it in `-p` mode),
//!   else `SessionStart.model`; stored as `anthropic/<model>`.
//! - Prompts (`UserPromptSubmit`) and the final answer (`Stop`) as text parts.

use serde::Deserialize;
use serde_json::{Value, json};

use super::claude_transcript::TranscriptState;
use super::{Capture, Context};
use crate::snapshot::{Snapshot, SnapshotError};

/// The `tool_name` sce records for Claude Code.
pub const TOOL_NAME: &str = "claude-code";

/// Tools that only read: no snapshot, no edit.
const READ_ONLY_TOOLS: &[&str] = &[
    "Read",
    "Glob",
    "Grep",
    "LS",
    "WebFetch",
    "WebSearch",
    "TodoWrite",
    "TodoRead",
    "NotebookRead",
    "BashOutput",
    "KillShell",
    "KillBash",
    "ExitPlanMode",
    "AskUserQuestion",
    "ListMcpResourcesTool",
    "ReadMcpResourceTool",
    "Skill",
    "SlashCommand",
    // A subagent's own tool calls fire their own hooks (with `agent_id`).
    "Agent",
    "Task",
];

/// One Claude Code hook event: the fields sce reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HookEvent {
    /// Which event.
    pub hook_event_name: String,
    /// The session.
    pub session_id: String,
    /// The session's transcript (JSON lines).
    pub transcript_path: Option<std::path::PathBuf>,
    /// Where Claude runs.
    pub cwd: Option<std::path::PathBuf>,
    /// The prompt this event belongs to.
    pub prompt_id: Option<String>,
    /// Tool events: the tool.
    pub tool_name: Option<String>,
    /// Tool events: its input.
    #[serde(default)]
    pub tool_input: Value,
    /// PostToolUse: what the tool returned.
    #[serde(default)]
    pub tool_response: Value,
    /// Tool events: the call's id.
    pub tool_use_id: Option<String>,
    /// UserPromptSubmit: the prompt.
    pub prompt: Option<String>,
    /// Stop: the final answer.
    pub last_assistant_message: Option<String>,
    /// SessionStart (interactive): the model.
    pub model: Option<String>,
    /// A subagent's call: its id.
    pub agent_id: Option<String>,
    /// A subagent's call: its kind.
    pub agent_type: Option<String>,
}

/// Why an event could not be turned into events to store.
#[derive(Debug, thiserror::Error)]
pub enum ClaudeError {
    /// The payload is not a Claude Code hook event.
    #[error("the hook payload is not a Claude Code event ({0}); is this hook registered for Claude Code?")]
    Payload(#[from] serde_json::Error),
    /// The work-tree snapshot failed.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
}

impl HookEvent {
    /// Parses one payload.
    pub fn parse(input: &[u8]) -> Result<HookEvent, ClaudeError> {
        Ok(serde_json::from_slice(input)?)
    }
}

/// `anthropic/<model>` (models.dev form), unless the id already names a provider.
pub fn qualified_model(model: &str) -> String {
    if model.contains('/') { model.to_string() } else { format!("anthropic/{model}") }
}

fn str_field<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

/// `original` with `old` replaced by `new` (every occurrence when `all`), as Claude's
/// Edit does; `None` when `old` is not there (the tool normalised it, say).
fn replaced(original: &str, old: &str, new: &str, all: bool) -> Option<String> {
    if old.is_empty() || !original.contains(old) {
        return None;
    }
    Some(if all { original.replace(old, new) } else { original.replacen(old, new, 1) })
}

/// Handles one event: remembers what later events need, and returns what to store.
pub fn handle(event: &HookEvent, ctx: &Context<'_>) -> Result<Capture, ClaudeError> {
    let mut capture = Capture::default();
    match event.hook_event_name.as_str() {
        "SessionStart" => {
            if let Some(model) = &event.model {
                let path = ctx.files.transcript_state(&event.session_id);
                let mut state = TranscriptState::load(&path);
                state.model = Some(model.clone());
                let _ = state.save(&path);
            }
        }
        "SessionEnd" => ctx.files.forget_session(&event.session_id),
        "UserPromptSubmit" => {
            if let Some(prompt) = event.prompt.as_deref().filter(|p| !p.is_empty()) {
                let id = event.prompt_id.clone().unwrap_or_else(|| format!("prompt-{}", ctx.now_ms));
                capture.messages.push(json!({"session_id": event.session_id, "message_id": id, "role": "user",
                    "time_created_ms": ctx.now_ms}));
                capture.parts.push(json!({"session_id": event.session_id, "message_id": id,
                    "part_id": format!("{id}/prompt"), "part_type": "text", "text": prompt, "time_ms": ctx.now_ms}));
            }
        }
        "Stop" | "SubagentStop" => {
            if let Some(text) = event.last_assistant_message.as_deref().filter(|t| !t.is_empty()) {
                let (model, version) = transcript_model(event, ctx, None);
                let id = format!("{}/answer", event.prompt_id.as_deref().unwrap_or(&event.session_id));
                let id = match &event.agent_id {
                    Some(agent) => format!("{agent}/{id}"),
                    None => id,
                };
                capture.messages.push(assistant_message(event, &id, model.as_deref(), version.as_deref(), ctx));
                capture.parts.push(json!({"session_id": event.session_id, "message_id": id,
                    "part_id": format!("{id}/text"), "part_type": "text", "text": text, "time_ms": ctx.now_ms}));
            }
        }
        "PreToolUse" => {
            if let (Some(tool), Some(call)) = (&event.tool_name, &event.tool_use_id)
                && needs_snapshot(tool)
            {
                let snapshot = Snapshot::take(&ctx.repo.location.root, ctx.max_file_bytes)?;
                snapshot.save(&ctx.files.snapshot(&event.session_id, call))?;
            }
        }
        // A failed tool may have changed files before it failed (`sed -i … && false`).
        "PostToolUse" | "PostToolUseFailure" => capture = tool_edits(event, ctx)?,
        _ => {}
    }
    Ok(capture)
}

fn needs_snapshot(tool: &str) -> bool {
    !matches!(tool, "Write" | "Edit" | "MultiEdit") && !READ_ONLY_TOOLS.contains(&tool)
}

/// The model (qualified) and Claude Code version for a tool call, from the transcript.
fn transcript_model(event: &HookEvent, ctx: &Context<'_>, call: Option<&str>) -> (Option<String>, Option<String>) {
    let path = ctx.files.transcript_state(&event.session_id);
    let mut state = TranscriptState::load(&path);
    if let Some(transcript) = &event.transcript_path {
        match state.advance(transcript) {
            Ok(()) => {
                let _ = state.save(&path);
            }
            Err(e) => tracing::debug!("cannot read the transcript {}: {e}", transcript.display()),
        }
    }
    (state.model_for(call).map(qualified_model), state.version.clone())
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

/// The edits one finished tool call made.
fn tool_edits(event: &HookEvent, ctx: &Context<'_>) -> Result<Capture, ClaudeError> {
    let (Some(tool), Some(call)) = (event.tool_name.as_deref(), event.tool_use_id.as_deref()) else {
        return Ok(Capture::default());
    };
    let changes: Vec<(String, Option<String>, Option<String>, &str)> = match tool {
        "Write" | "Edit" | "MultiEdit" => exact_edit(tool, event, ctx).into_iter().collect(),
        _ if READ_ONLY_TOOLS.contains(&tool) => Vec::new(),
        _ => match Snapshot::take_saved(&ctx.files.snapshot(&event.session_id, call))? {
            Some(snapshot) => snapshot
                .changes(ctx.repo, ctx.max_file_bytes)?
                .into_iter()
                .map(|c| {
                    let status = c.status();
                    (c.path, c.before, c.after, status)
                })
                .collect(),
            None => Vec::new(),
        },
    };
    let mut capture = Capture::default();
    if changes.is_empty() {
        return Ok(capture);
    }
    let (model, version) = transcript_model(event, ctx, Some(call));
    // A subagent's edits belong to the session that ran it; its id stays in the part ids.
    let message_id = match &event.agent_id {
        Some(agent) => format!("{agent}/{call}"),
        None => call.to_string(),
    };
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
        if let Some(kind) = &event.agent_type {
            part["agent_type"] = json!(kind);
        }
        capture.parts.push(part);
    }
    Ok(capture)
}

/// (path, before, after, status) of a Write, Edit or MultiEdit, from its response;
/// the file as it is now when the response lacks what is needed.
fn exact_edit(
    tool: &str,
    event: &HookEvent,
    ctx: &Context<'_>,
) -> Option<(String, Option<String>, Option<String>, &'static str)> {
    let response = &event.tool_response;
    let input = &event.tool_input;
    let path = str_field(response, "filePath").or_else(|| str_field(input, "file_path"))?.to_string();
    let before = str_field(response, "originalFile").map(str::to_string);
    let after = match tool {
        "Write" => str_field(response, "content").or_else(|| str_field(input, "content")).map(str::to_string),
        "Edit" => before.as_deref().and_then(|original| {
            replaced(
                original,
                str_field(response, "oldString").or_else(|| str_field(input, "old_string"))?,
                str_field(response, "newString").or_else(|| str_field(input, "new_string"))?,
                response
                    .get("replaceAll")
                    .or_else(|| input.get("replace_all"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            )
        }),
        _ => before.as_deref().and_then(|original| {
            input.get("edits")?.as_array()?.iter().try_fold(original.to_string(), |text, edit| {
                replaced(
                    &text,
                    str_field(edit, "old_string")?,
                    str_field(edit, "new_string")?,
                    edit.get("replace_all").and_then(Value::as_bool).unwrap_or(false),
                )
            })
        }),
    };
    let after = after.or_else(|| {
        let full = ctx.repo.location.root.join(&path);
        std::fs::read_to_string(if std::path::Path::new(&path).is_absolute() {
            std::path::PathBuf::from(&path)
        } else {
            full
        })
        .ok()
    })?;
    let status = if before.is_none() && str_field(response, "type") == Some("create") { "added" } else { "modified" };
    Some((path, before, Some(after), status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_replaces_once_or_everywhere_as_claude_does() {
        assert_eq!(replaced("a b a", "a", "x", false).as_deref(), Some("x b a"));
        assert_eq!(replaced("a b a", "a", "x", true).as_deref(), Some("x b x"));
        assert_eq!(replaced("a b a", "z", "x", false), None);
    }

    #[test]
    fn models_are_qualified_once() {
        assert_eq!(qualified_model("claude-sonnet-4-5"), "anthropic/claude-sonnet-4-5");
        assert_eq!(qualified_model("bedrock/claude"), "bedrock/claude");
    }

    #[test]
    fn only_tools_that_may_write_are_snapshotted() {
        assert!(needs_snapshot("Bash"));
        assert!(needs_snapshot("NotebookEdit"));
        assert!(needs_snapshot("mcp__files__write"));
        assert!(!needs_snapshot("Edit"));
        assert!(!needs_snapshot("Read"));
    }
}
