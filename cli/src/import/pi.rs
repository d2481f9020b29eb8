//! pi session files (`~/.pi/agent/sessions/--<cwd>--/<time>_<id>.jsonl`) read into
//! an [`ImportedSession`]: a `session` entry (`id`, `cwd`), then entries linked by
//! `id`/`parentId`, of which `message` entries (user and assistant) are read;
//! `model_change` gives the model of answers that name none.
//!
//! sce's pi extension sends prompts and answers through `sce hooks agent`, which
//! names them by the time they arrive: an import names them `prompt-<entry id>` and
//! `answer-<entry id>` (parts `…/text`, as the contract's), and a text the hooks
//! already stored is recognised by its content. Models are `provider/model`, as the
//! extension sends them.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::jsonl::{Records, SkippedLine, TranscriptError, read_records, time_ms};
use super::{ImportedMessage, ImportedSession, ImportedText};
use crate::capture::Role;

/// The `agent` sce's pi extension reports, recorded as the tool.
pub const TOOL_NAME: &str = "pi";

/// One entry: the fields sce reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    timestamp: Option<String>,
    cwd: Option<String>,
    provider: Option<String>,
    model_id: Option<String>,
    message: Option<Message>,
}

/// A pi message.
#[derive(Debug, Deserialize)]
struct Message {
    role: String,
    #[serde(default)]
    content: Value,
    provider: Option<String>,
    model: Option<String>,
}

/// `provider/id`, as the extension's `modelId` makes it.
fn model_id(provider: Option<&str>, id: Option<&str>) -> Option<String> {
    let id = id.filter(|i| !i.is_empty())?;
    Some(match provider.filter(|p| !p.is_empty()) {
        Some(provider) => format!("{provider}/{id}"),
        None => id.to_string(),
    })
}

/// The text blocks of a message's content, joined as the extension joins them.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

/// Reads one session file.
pub fn read(path: &Path) -> Result<(ImportedSession, Vec<SkippedLine>), TranscriptError> {
    let Records { records: entries, skipped } = read_records::<Entry>(path)?;
    let mut session: Option<ImportedSession> = None;
    let mut model: Option<String> = None;
    for (line, entry) in entries {
        match entry.kind.as_str() {
            "session" => {
                if let (None, Some(id)) = (&session, &entry.id) {
                    session = Some(ImportedSession {
                        tool_name: TOOL_NAME.to_string(),
                        tool_version: None,
                        session_id: id.clone(),
                        cwd: entry.cwd.as_deref().map(Into::into),
                        git: Default::default(),
                        messages: Vec::new(),
                        source: path.to_path_buf(),
                    });
                }
            }
            "model_change" => model = model_id(entry.provider.as_deref(), entry.model_id.as_deref()).or(model),
            "message" => {
                let (Some(session), Some(message)) = (session.as_mut(), &entry.message) else { continue };
                let (role, prefix) = match message.role.as_str() {
                    "user" => (Role::User, "prompt"),
                    "assistant" => (Role::Assistant, "answer"),
                    _ => continue,
                };
                let text = content_text(&message.content);
                if text.trim().is_empty() {
                    continue;
                }
                let at = entry.timestamp.as_deref().and_then(time_ms).unwrap_or(0);
                let id = format!("{prefix}-{}", entry.id.clone().unwrap_or_else(|| format!("line-{line}")));
                let model_id = match role {
                    Role::Assistant => {
                        model_id(message.provider.as_deref(), message.model.as_deref()).or_else(|| model.clone())
                    }
                    Role::User => None,
                };
                session.messages.push(ImportedMessage {
                    message_id: id.clone(),
                    role,
                    model_id,
                    time_ms: at,
                    texts: vec![ImportedText { part_id: format!("{id}/text"), text, time_ms: at }],
                });
            }
            _ => {}
        }
    }
    let session = session.ok_or_else(|| TranscriptError::NoSession { path: path.to_path_buf(), agent: "pi" })?;
    Ok((session, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_and_answers_are_read_with_their_model() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let lines = [
            r#"{"type":"session","version":3,"id":"s1","timestamp":"2026-01-01T00:00:00Z","cwd":"/w"}"#,
            r#"{"type":"model_change","id":"a","timestamp":"2026-01-01T00:00:00Z","provider":"fake","modelId":"coder"}"#,
            r#"{"type":"message","id":"e1","timestamp":"2026-01-01T00:00:01Z","message":{"role":"user","content":[{"type":"text","text":"do it"}]}}"#,
            r#"{"type":"message","id":"e2","timestamp":"2026-01-01T00:00:02Z","message":{"role":"assistant","content":[{"type":"toolCall","id":"c"}],"provider":"fake","model":"coder"}}"#,
            r#"{"type":"message","id":"e3","timestamp":"2026-01-01T00:00:03Z","message":{"role":"toolResult","content":[{"type":"text","text":"ok"}]}}"#,
            r#"{"type":"message","id":"e4","timestamp":"2026-01-01T00:00:04Z","message":{"role":"assistant","content":[{"type":"text","text":"done"}]}}"#,
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let (s, _) = read(&path).unwrap();
        assert_eq!(s.session_id, "s1");
        assert_eq!(s.cwd.as_deref(), Some(Path::new("/w")));
        let ids: Vec<_> = s.messages.iter().map(|m| m.message_id.as_str()).collect();
        assert_eq!(ids, vec!["prompt-e1", "answer-e4"]);
        assert_eq!(s.messages[1].texts[0].part_id, "answer-e4/text");
        assert_eq!(s.messages[1].model_id.as_deref(), Some("fake/coder"), "from model_change");
    }
}
