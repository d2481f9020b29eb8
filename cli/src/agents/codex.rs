//! Codex CLI: one hook event (JSON on stdin of `sce hooks codex`) turned into the
//! messages and parts the envelope path stores.
//!
//! - `apply_patch`: exact. At `PreToolUse` the patch (`tool_input.command`) names
//!   the files; their texts are kept for the call. At `PostToolUse` each file's text
//!   now is its after; a file with nothing kept (no `PreToolUse` seen) gets its
//!   before by undoing the patch's hunks on it.
//! - Any other tool that may write (`Bash`, which is what Codex calls
//!   `exec_command` and `shell`, MCP tools, tools this version does not know): a
//!   work-tree snapshot at `PreToolUse`, compared at `PostToolUse` ([`crate::snapshot`]).
//! - The model: `model` in every payload but `SessionEnd`; stored as `openai/<model>`.
//!   The version: `cli_version` of the rollout's first record, when it is readable.
//! - Prompts (`UserPromptSubmit`) and the final answer (`Stop`) as text parts.

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::codex_patch::{self, FileOp};
use super::{Capture, Context};
use crate::snapshot::{Snapshot, SnapshotError};

/// The `tool_name` sce records for Codex CLI.
pub const TOOL_NAME: &str = "codex";

/// The tool whose input is a patch.
const APPLY_PATCH: &str = "apply_patch";

/// Tools that only read: no snapshot, no edit.
const READ_ONLY_TOOLS: &[&str] =
    &["update_plan", "view_image", "web_search", "read_file", "list_dir", "grep_files", "request_user_input"];

/// One Codex CLI hook event: the fields sce reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HookEvent {
    /// Which event.
    pub hook_event_name: String,
    /// The session (Codex's thread id).
    pub session_id: String,
    /// The session's rollout file (JSON lines).
    pub transcript_path: Option<PathBuf>,
    /// Where Codex runs; patch paths are relative to it.
    pub cwd: Option<PathBuf>,
    /// The turn this event belongs to.
    pub turn_id: Option<String>,
    /// The model (no provider).
    pub model: Option<String>,
    /// Tool events: the tool.
    pub tool_name: Option<String>,
    /// Tool events: its input (`command`: the patch or the shell command).
    #[serde(default)]
    pub tool_input: Value,
    /// Tool events: the call's id.
    pub tool_use_id: Option<String>,
    /// UserPromptSubmit: the prompt.
    pub prompt: Option<String>,
    /// Stop: the final answer.
    pub last_assistant_message: Option<String>,
}

/// Why an event could not be turned into events to store.
#[derive(Debug, thiserror::Error)]
pub enum CodexError {
    /// The payload is not a Codex hook event.
    #[error("the hook payload is not a Codex event ({0}); is this hook registered for Codex?")]
    Payload(#[from] serde_json::Error),
    /// The work-tree snapshot failed.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// The files kept for a patch could not be written.
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
    pub fn parse(input: &[u8]) -> Result<HookEvent, CodexError> {
        Ok(serde_json::from_slice(input)?)
    }
}

/// `openai/<model>` (models.dev form), unless the id already names a provider.
pub fn qualified_model(model: &str) -> String {
    if model.contains('/') { model.to_string() } else { format!("openai/{model}") }
}

/// The texts of a patch's files before the call, by absolute path (`None`: absent).
#[derive(Debug, Default, Serialize, Deserialize)]
struct PatchBefore {
    files: BTreeMap<String, Option<String>>,
}

/// Handles one event: remembers what later events need, and returns what to store.
pub fn handle(event: &HookEvent, ctx: &Context<'_>) -> Result<Capture, CodexError> {
    let mut capture = Capture::default();
    match event.hook_event_name.as_str() {
        "SessionEnd" => ctx.files.forget_session(&event.session_id),
        "UserPromptSubmit" => {
            if let Some(prompt) = event.prompt.as_deref().filter(|p| !p.is_empty()) {
                let id = event.turn_id.clone().unwrap_or_else(|| format!("prompt-{}", ctx.now_ms));
                capture.messages.push(json!({"session_id": event.session_id, "message_id": id, "role": "user",
                    "time_created_ms": ctx.now_ms}));
                capture.parts.push(json!({"session_id": event.session_id, "message_id": id,
                    "part_id": format!("{id}/prompt"), "part_type": "text", "text": prompt, "time_ms": ctx.now_ms}));
            }
        }
        "Stop" => {
            if let Some(text) = event.last_assistant_message.as_deref().filter(|t| !t.is_empty()) {
                let id = format!("{}/answer", event.turn_id.as_deref().unwrap_or(&event.session_id));
                capture.messages.push(assistant_message(event, &id, ctx));
                capture.parts.push(json!({"session_id": event.session_id, "message_id": id,
                    "part_id": format!("{id}/text"), "part_type": "text", "text": text, "time_ms": ctx.now_ms}));
            }
        }
        "PreToolUse" => {
            if let (Some(tool), Some(call)) = (&event.tool_name, &event.tool_use_id) {
                let state = ctx.files.snapshot(&event.session_id, call);
                if tool == APPLY_PATCH {
                    let before = PatchBefore {
                        files: patch_paths(event)
                            .into_iter()
                            .map(|path| {
                                let text = read_text(Path::new(&path), ctx.max_file_bytes);
                                (path, text)
                            })
                            .collect(),
                    };
                    save(&state, &before)?;
                } else if !READ_ONLY_TOOLS.contains(&tool.as_str()) {
                    Snapshot::take(&ctx.repo.location.root, ctx.max_file_bytes)?.save(&state)?;
                }
            }
        }
        "PostToolUse" => capture = tool_edits(event, ctx)?,
        _ => {}
    }
    Ok(capture)
}

fn save(path: &Path, before: &PatchBefore) -> Result<(), CodexError> {
    let io = |source| CodexError::State { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, serde_json::to_vec(before).unwrap_or_default()).map_err(io)
}

/// Loads and removes what `PreToolUse` kept for a patch.
fn take_saved(path: &Path) -> Option<PatchBefore> {
    let bytes = std::fs::read(path).ok()?;
    let _ = std::fs::remove_file(path);
    serde_json::from_slice(&bytes).ok()
}

fn read_text(path: &Path, max_bytes: u64) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > max_bytes {
        return None;
    }
    String::from_utf8(std::fs::read(path).ok()?).ok()
}

/// The directory patch paths are relative to.
fn base_dir(event: &HookEvent) -> PathBuf {
    event.cwd.clone().unwrap_or_else(|| std::env::current_dir().unwrap_or_default())
}

fn absolute(event: &HookEvent, path: &str) -> String {
    base_dir(event).join(path).to_string_lossy().into_owned()
}

fn patch_ops(event: &HookEvent) -> Vec<FileOp> {
    let patch = event.tool_input.get("command").or_else(|| event.tool_input.get("input")).and_then(Value::as_str);
    match patch.map(codex_patch::parse) {
        Some(Ok(ops)) => ops,
        Some(Err(e)) => {
            tracing::debug!("cannot read the patch: {e}");
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// Every file (absolute) a patch reads or writes.
fn patch_paths(event: &HookEvent) -> Vec<String> {
    let mut paths = Vec::new();
    for op in patch_ops(event) {
        paths.push(absolute(event, op.path()));
        if let FileOp::Update { move_to: Some(to), .. } = &op {
            paths.push(absolute(event, to));
        }
    }
    paths
}

/// (path, before, after) of each file a finished patch changed.
fn patch_edits(event: &HookEvent, ctx: &Context<'_>, call: &str) -> Vec<(String, Option<String>, Option<String>)> {
    let saved = take_saved(&ctx.files.snapshot(&event.session_id, call));
    let now = |path: &str| read_text(Path::new(path), ctx.max_file_bytes);
    let kept = |path: &str| saved.as_ref().and_then(|s| s.files.get(path).cloned());
    let mut edits = Vec::new();
    for op in patch_ops(event) {
        let path = absolute(event, op.path());
        match op {
            FileOp::Add { content, .. } => {
                let before = kept(&path).flatten();
                edits.push((path.clone(), before, now(&path).or(Some(content))));
            }
            FileOp::Delete { .. } => {
                if let Some(before) = kept(&path).flatten() {
                    edits.push((path.clone(), Some(before), now(&path)));
                }
            }
            FileOp::Update { move_to, chunks, .. } => {
                let target = move_to.as_deref().map(|to| absolute(event, to)).unwrap_or_else(|| path.clone());
                let after = now(&target);
                let before = match kept(&path) {
                    Some(before) => before,
                    // Nothing kept: undo the hunks; a file they do not fit (the patch
                    // failed, or was not applied as written) is left out.
                    None => match after.as_deref().and_then(|a| codex_patch::apply(a, &chunks, true)) {
                        Some(before) => Some(before),
                        None => continue,
                    },
                };
                let after = after.or_else(|| before.as_deref().and_then(|b| codex_patch::apply(b, &chunks, false)));
                if target == path {
                    edits.push((path, before, after));
                } else {
                    edits.push((path.clone(), before, now(&path)));
                    edits.push((target.clone(), kept(&target).flatten(), after));
                }
            }
        }
    }
    edits
}

/// `cli_version` of the rollout's first record (`session_meta`).
fn codex_version(event: &HookEvent) -> Option<String> {
    let file = std::fs::File::open(event.transcript_path.as_ref()?).ok()?;
    let mut line = String::new();
    std::io::BufReader::new(file).take(4 << 20).read_line(&mut line).ok()?;
    let record: Value = serde_json::from_str(&line).ok()?;
    record["payload"]["cli_version"].as_str().map(str::to_string)
}

fn assistant_message(event: &HookEvent, id: &str, ctx: &Context<'_>) -> Value {
    json!({"session_id": event.session_id, "message_id": id, "role": "assistant",
           "model_id": event.model.as_deref().map(qualified_model), "time_created_ms": ctx.now_ms,
           "tool_name": TOOL_NAME, "tool_version": codex_version(event)})
}

/// The edits one finished tool call made.
fn tool_edits(event: &HookEvent, ctx: &Context<'_>) -> Result<Capture, CodexError> {
    let (Some(tool), Some(call)) = (event.tool_name.as_deref(), event.tool_use_id.as_deref()) else {
        return Ok(Capture::default());
    };
    let changes: Vec<(String, Option<String>, Option<String>)> = match tool {
        APPLY_PATCH => patch_edits(event, ctx, call),
        _ if READ_ONLY_TOOLS.contains(&tool) => Vec::new(),
        _ => match Snapshot::take_saved(&ctx.files.snapshot(&event.session_id, call))? {
            Some(snapshot) => snapshot
                .changes(ctx.repo, ctx.max_file_bytes)?
                .into_iter()
                .map(|c| (ctx.repo.location.root.join(&c.path).to_string_lossy().into_owned(), c.before, c.after))
                .collect(),
            None => Vec::new(),
        },
    };
    let changes: Vec<_> = changes.into_iter().filter(|(_, before, after)| before != after).collect();
    let mut capture = Capture::default();
    if changes.is_empty() {
        return Ok(capture);
    }
    capture.messages.push(assistant_message(event, call, ctx));
    for (n, (path, before, after)) in changes.into_iter().enumerate() {
        let status = match (&before, &after) {
            (None, _) => "added",
            (_, None) => "deleted",
            _ => "modified",
        };
        let mut part = json!({"session_id": event.session_id, "message_id": call,
            "part_id": format!("{call}/{n}"), "part_type": "patch", "tool": tool, "file_path": path,
            "status": status, "time_ms": ctx.now_ms});
        if let Some(before) = before {
            part["before"] = json!(before);
        }
        if let Some(after) = after {
            part["after"] = json!(after);
        }
        capture.parts.push(part);
    }
    Ok(capture)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_qualified_once() {
        assert_eq!(qualified_model("gpt-5.5"), "openai/gpt-5.5");
        assert_eq!(qualified_model("azure/gpt-5"), "azure/gpt-5");
    }
}
