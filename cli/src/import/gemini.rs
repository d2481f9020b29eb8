//! Gemini CLI chats (`~/.gemini/tmp/<project>/chats/session-*.jsonl`) read into an
//! [`ImportedSession`]. The first line is a header (`sessionId`, `projectHash`);
//! then `user` and `gemini` records (a record may be written again with the same
//! `id`: the last one wins) and `$set` updates (skipped). Older versions wrote one
//! JSON document (`session-*.json`): the header's fields and `messages`, read alike.
//!
//! `sce hooks gemini` names prompts and answers by the hook's own timestamp, which
//! no transcript record carries: an import names them `prompt-<record id>` and
//! `answer-<record id>`, and a text the hooks already stored is recognised by its
//! content (see the import's merge). A `gemini` record's `model` is stored as
//! `google/<model>`. The project's directory is the `.project_root` file next to
//! `chats/`, when Gemini wrote one.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::jsonl::{Records, SkippedLine, TranscriptError, read_records, time_ms};
use super::{ImportedMessage, ImportedSession, ImportedText};
use crate::agents::gemini::{TOOL_NAME, qualified_model};
use crate::capture::Role;

/// A header or a message record: the fields sce reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    session_id: Option<String>,
    project_hash: Option<String>,
    id: Option<String>,
    timestamp: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    content: Value,
    model: Option<String>,
}

/// The text of a record's `content`: a string, or parts with `text` (none for a
/// user record that returns a function's result).
fn content_text(content: &Value) -> Option<String> {
    match content {
        Value::String(text) => Some(text.clone()),
        Value::Array(parts) => {
            if parts.iter().any(|p| p.get("functionResponse").is_some()) {
                return None;
            }
            Some(parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join(""))
        }
        _ => None,
    }
}

/// The sha256 of a project's directory, as Gemini names it in `projectHash`.
pub fn project_hash(dir: &Path) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(dir.to_string_lossy().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// An older chat file (`session-*.json`): the header's fields and every message.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Conversation {
    session_id: Option<String>,
    project_hash: Option<String>,
    #[serde(default)]
    messages: Vec<Record>,
}

/// The records of an older chat file: its header, then its messages.
fn document_records(path: &Path) -> Result<Records<Record>, TranscriptError> {
    let bytes = std::fs::read(path).map_err(|source| TranscriptError::Read { path: path.to_path_buf(), source })?;
    let conversation: Conversation = serde_json::from_slice(&bytes).map_err(|source| TranscriptError::NotJson {
        path: path.to_path_buf(),
        agent: "Gemini CLI",
        source,
    })?;
    let header = Record {
        session_id: conversation.session_id,
        project_hash: conversation.project_hash,
        id: None,
        timestamp: None,
        kind: None,
        content: Value::Null,
        model: None,
    };
    let records = std::iter::once(header).chain(conversation.messages).enumerate().collect();
    Ok(Records { records, skipped: Vec::new() })
}

/// True for the names of Gemini CLI's chat files (JSON lines, or one JSON document).
pub fn is_chat_file(name: &str) -> bool {
    name.ends_with(".jsonl") || (name.starts_with("session-") && name.ends_with(".json"))
}

/// Reads one chat file; also returns its `projectHash`.
pub fn read(path: &Path) -> Result<(ImportedSession, Option<String>, Vec<SkippedLine>), TranscriptError> {
    let Records { records, skipped } = if path.extension().is_some_and(|e| e == "json") {
        document_records(path)?
    } else {
        read_records::<Record>(path)?
    };
    let mut session: Option<ImportedSession> = None;
    let mut hash = None;
    for (_, record) in records {
        if record.kind.is_none() {
            // The header (and `$set` updates, which have no session id).
            if let (None, Some(id)) = (&session, &record.session_id) {
                let cwd = path
                    .parent()
                    .and_then(Path::parent)
                    .and_then(|dir| std::fs::read_to_string(dir.join(".project_root")).ok())
                    .map(|root| root.trim().into());
                hash = record.project_hash.clone();
                session = Some(ImportedSession {
                    tool_name: TOOL_NAME.to_string(),
                    tool_version: None,
                    session_id: id.clone(),
                    cwd,
                    git: Default::default(),
                    messages: Vec::new(),
                    source: path.to_path_buf(),
                });
            }
            continue;
        }
        let Some(session) = session.as_mut() else { continue };
        let (Some(kind), Some(record_id)) = (record.kind.as_deref(), record.id.as_deref()) else { continue };
        let (role, prefix, suffix) = match kind {
            "user" => (Role::User, "prompt", "prompt"),
            "gemini" => (Role::Assistant, "answer", "text"),
            _ => continue,
        };
        let Some(text) = content_text(&record.content).filter(|t| !t.trim().is_empty()) else { continue };
        let at = record.timestamp.as_deref().and_then(time_ms).unwrap_or(0);
        let id = format!("{prefix}-{record_id}");
        let message = ImportedMessage {
            message_id: id.clone(),
            role,
            model_id: record.model.as_deref().filter(|m| !m.is_empty()).map(qualified_model),
            time_ms: at,
            texts: vec![ImportedText { part_id: format!("{id}/{suffix}"), text, time_ms: at }],
        };
        match session.messages.iter_mut().find(|m| m.message_id == id) {
            Some(earlier) => *earlier = message,
            None => session.messages.push(message),
        }
    }
    let session =
        session.ok_or_else(|| TranscriptError::NoSession { path: path.to_path_buf(), agent: "Gemini CLI" })?;
    Ok((session, hash, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_and_answers_are_read_and_rewrites_replace() {
        let dir = tempfile::tempdir().unwrap();
        let chats = dir.path().join("proj/chats");
        std::fs::create_dir_all(&chats).unwrap();
        std::fs::write(dir.path().join("proj/.project_root"), "/w\n").unwrap();
        let path = chats.join("session-x.jsonl");
        let lines = [
            r#"{"sessionId":"s1","projectHash":"h","startTime":"2026-01-01T00:00:00Z","kind":"main"}"#,
            r#"{"$set":{"lastUpdated":"2026-01-01T00:00:00Z"}}"#,
            r#"{"id":"u1","timestamp":"2026-01-01T00:00:01Z","type":"user","content":[{"text":"do it"}]}"#,
            r#"{"id":"g1","timestamp":"2026-01-01T00:00:02Z","type":"gemini","content":"","model":"gemini-2.5-pro"}"#,
            r#"{"id":"u2","timestamp":"2026-01-01T00:00:03Z","type":"user","content":[{"functionResponse":{"id":"c"}}]}"#,
            r#"{"id":"g2","timestamp":"2026-01-01T00:00:04Z","type":"gemini","content":"draft","model":"gemini-2.5-pro"}"#,
            r#"{"id":"g2","timestamp":"2026-01-01T00:00:04Z","type":"gemini","content":"done","model":"gemini-2.5-pro"}"#,
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let (s, hash, _) = read(&path).unwrap();
        assert_eq!(hash.as_deref(), Some("h"));
        assert_eq!(s.session_id, "s1");
        assert_eq!(s.cwd.as_deref(), Some(Path::new("/w")));
        let ids: Vec<_> = s.messages.iter().map(|m| m.message_id.as_str()).collect();
        assert_eq!(ids, vec!["prompt-u1", "answer-g2"]);
        assert_eq!(s.messages[1].texts[0].text, "done");
        assert_eq!(s.messages[1].model_id.as_deref(), Some("google/gemini-2.5-pro"));
    }

    #[test]
    fn an_older_single_document_chat_is_read_alike() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session-x.json");
        std::fs::write(
            &path,
            r#"{"sessionId":"s1","projectHash":"h","messages":[
                {"id":"u1","timestamp":"2025-01-01T00:00:01Z","type":"user","content":"do it"},
                {"id":"g1","timestamp":"2025-01-01T00:00:02Z","type":"gemini","content":"done","model":"gemini-2.5-pro"}]}"#,
        )
        .unwrap();
        let (s, hash, _) = read(&path).unwrap();
        assert_eq!((s.session_id.as_str(), hash.as_deref()), ("s1", Some("h")));
        let ids: Vec<_> = s.messages.iter().map(|m| m.message_id.as_str()).collect();
        assert_eq!(ids, vec!["prompt-u1", "answer-g1"]);
        std::fs::write(&path, "{not json").unwrap();
        assert!(matches!(read(&path), Err(TranscriptError::NotJson { .. })));
    }

    #[test]
    fn the_project_hash_is_the_directory_s_sha256() {
        assert_eq!(project_hash(Path::new("/")), "8a5edab282632443219e051e4ade2d1d5bbc671c781051bf1437897cbdfea0f1");
    }
}
