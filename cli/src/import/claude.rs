//! Claude Code transcripts (`~/.claude/projects/<cwd>/<session>.jsonl`) read into
//! an [`ImportedSession`] with the ids `sce hooks claude-code` gives:
//!
//! - a prompt (a `user` record with text; not a tool result, `isMeta`, a compaction's
//!   summary or an interruption note): message `<promptId>`, part `<promptId>/prompt`;
//! - a turn's last assistant text: message `<promptId>/answer`, part `…/text` (the
//!   hook's `Stop`); earlier texts of the turn: `<promptId>/<message id>`;
//! - a subagent's (`isSidechain`, `agentId`): the same ids prefixed by `<agentId>/`,
//!   its prompts are left out (the hook stores none);
//! - the model: `message.model` as `anthropic/<model>` (`<synthetic>` skipped); the
//!   version: the records' `version`; git context: `gitBranch`; the cwd: `cwd`.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::jsonl::{Records, SkippedLine, TranscriptError, read_records, time_ms};
use super::{ImportedMessage, ImportedSession, ImportedText};
use crate::agents::claude::{TOOL_NAME, qualified_model};
use crate::capture::Role;

/// The fields of a transcript record sce reads; other record types are skipped.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(rename = "type")]
    kind: String,
    session_id: Option<String>,
    uuid: Option<String>,
    prompt_id: Option<String>,
    timestamp: Option<String>,
    cwd: Option<String>,
    git_branch: Option<String>,
    version: Option<String>,
    #[serde(default)]
    is_sidechain: bool,
    #[serde(default)]
    is_meta: bool,
    #[serde(default)]
    is_compact_summary: bool,
    #[serde(default)]
    is_visible_in_transcript_only: bool,
    agent_id: Option<String>,
    message: Option<Message>,
}

/// An Anthropic-format message.
#[derive(Debug, Deserialize)]
struct Message {
    id: Option<String>,
    model: Option<String>,
    #[serde(default)]
    content: Value,
}

/// The text blocks of a message's content (a string or a list of blocks);
/// `None` when it holds a tool result (a user record that is no prompt).
fn texts(content: &Value) -> Option<Vec<String>> {
    match content {
        Value::String(text) => Some(vec![text.clone()]),
        Value::Array(blocks) => {
            if blocks.iter().any(|b| b.get("type").and_then(Value::as_str) == Some("tool_result")) {
                return None;
            }
            Some(
                blocks
                    .iter()
                    .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                    .filter_map(|b| b.get("text").and_then(Value::as_str).map(str::to_string))
                    .collect(),
            )
        }
        _ => None,
    }
}

/// One assistant message being gathered (Claude writes one record per content block).
struct Answer {
    key: String,
    prefix: String,
    turn: String,
    model: Option<String>,
    time_ms: i64,
    texts: Vec<String>,
}

/// Reads one transcript.
pub fn read(path: &Path) -> Result<(ImportedSession, Vec<SkippedLine>), TranscriptError> {
    let Records { records, skipped } = read_records::<Record>(path)?;
    let mut session: Option<ImportedSession> = None;
    let mut prompts: Vec<ImportedMessage> = Vec::new();
    let mut answers: Vec<Answer> = Vec::new();
    let mut turn: Option<String> = None;
    for (line, record) in records {
        if !matches!(record.kind.as_str(), "user" | "assistant") {
            continue;
        }
        let Some(session_id) = record.session_id.as_deref() else { continue };
        let session = session.get_or_insert_with(|| ImportedSession {
            tool_name: TOOL_NAME.to_string(),
            tool_version: None,
            session_id: session_id.to_string(),
            cwd: None,
            git: Default::default(),
            messages: Vec::new(),
            source: path.to_path_buf(),
        });
        if session.cwd.is_none() {
            session.cwd = record.cwd.as_deref().map(Into::into);
        }
        if session.git.branch.is_none() {
            session.git.branch = record.git_branch.clone().filter(|b| !b.is_empty() && b != "HEAD");
        }
        if record.version.is_some() {
            session.tool_version = record.version.clone();
        }
        let at = record.timestamp.as_deref().and_then(time_ms).unwrap_or(0);
        let Some(message) = &record.message else { continue };
        let prefix = match (&record.agent_id, record.is_sidechain) {
            (Some(agent), true) => format!("{agent}/"),
            _ => String::new(),
        };
        if record.kind == "user" {
            if let Some(prompt_id) = &record.prompt_id {
                turn = Some(prompt_id.clone());
            }
            let Some(texts) = texts(&message.content) else { continue };
            let text = texts.join("\n\n");
            // Not typed by a person: context Claude adds, a compaction's summary, an interruption note.
            let not_a_prompt = record.is_meta
                || record.is_compact_summary
                || record.is_visible_in_transcript_only
                || text.starts_with("[Request interrupted by user");
            if not_a_prompt || record.is_sidechain || text.trim().is_empty() {
                continue;
            }
            let id = record.prompt_id.clone().or_else(|| record.uuid.clone()).unwrap_or_else(|| format!("line-{line}"));
            turn = Some(id.clone());
            if prompts.iter().any(|p| p.message_id == id) {
                continue;
            }
            prompts.push(ImportedMessage {
                message_id: id.clone(),
                role: Role::User,
                model_id: None,
                time_ms: at,
                texts: vec![ImportedText { part_id: format!("{id}/prompt"), text, time_ms: at }],
            });
        } else {
            let key = message.id.clone().or_else(|| record.uuid.clone()).unwrap_or_else(|| format!("line-{line}"));
            let texts = texts(&message.content).unwrap_or_default();
            let model = message.model.as_deref().filter(|m| !m.is_empty() && *m != "<synthetic>").map(qualified_model);
            let turn = turn.clone().unwrap_or_else(|| session.session_id.clone());
            match answers.iter_mut().find(|a| a.key == key && a.prefix == prefix) {
                Some(answer) => {
                    answer.texts.extend(texts);
                    answer.model = answer.model.take().or(model);
                }
                None => answers.push(Answer { key, prefix, turn, model, time_ms: at, texts }),
            }
        }
    }
    let mut session =
        session.ok_or_else(|| TranscriptError::NoSession { path: path.to_path_buf(), agent: "Claude Code" })?;
    session.messages = merge_turns(prompts, answers);
    Ok((session, skipped))
}

/// Prompts and answers in time order; the last text-bearing answer of each turn
/// (per subagent) takes the hook's `<turn>/answer` id.
fn merge_turns(prompts: Vec<ImportedMessage>, answers: Vec<Answer>) -> Vec<ImportedMessage> {
    let answers: Vec<Answer> = answers.into_iter().filter(|a| a.texts.iter().any(|t| !t.trim().is_empty())).collect();
    let mut messages = prompts;
    for (index, answer) in answers.iter().enumerate() {
        let last_of_turn =
            !answers[index + 1..].iter().any(|later| later.turn == answer.turn && later.prefix == answer.prefix);
        let id = if last_of_turn {
            format!("{}{}/answer", answer.prefix, answer.turn)
        } else {
            format!("{}{}/{}", answer.prefix, answer.turn, answer.key)
        };
        let text = answer.texts.iter().filter(|t| !t.trim().is_empty()).cloned().collect::<Vec<_>>().join("\n\n");
        messages.push(ImportedMessage {
            message_id: id.clone(),
            role: Role::Assistant,
            model_id: answer.model.clone(),
            time_ms: answer.time_ms,
            texts: vec![ImportedText { part_id: format!("{id}/text"), text, time_ms: answer.time_ms }],
        });
    }
    messages.sort_by_key(|m| m.time_ms);
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(lines: &[&str]) -> ImportedSession {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        std::fs::write(&path, lines.join("\n")).unwrap();
        read(&path).unwrap().0
    }

    #[test]
    fn a_prompt_and_its_last_answer_get_the_hooks_ids() {
        let s = session(&[
            r#"{"type":"user","sessionId":"s1","promptId":"p1","uuid":"u1","timestamp":"2026-01-01T00:00:00Z","cwd":"/w","gitBranch":"main","version":"2.1.0","message":{"role":"user","content":"do it"}}"#,
            r#"{"type":"assistant","sessionId":"s1","uuid":"u2","timestamp":"2026-01-01T00:00:01Z","message":{"id":"m1","model":"claude-x","content":[{"type":"text","text":"first"},{"type":"tool_use","id":"t1"}]}}"#,
            r#"{"type":"user","sessionId":"s1","promptId":"p1","uuid":"u3","timestamp":"2026-01-01T00:00:02Z","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1"}]}}"#,
            r#"{"type":"assistant","sessionId":"s1","uuid":"u4","timestamp":"2026-01-01T00:00:03Z","message":{"id":"m2","model":"<synthetic>","content":[{"type":"text","text":"done"}]}}"#,
            r#"{"type":"last-prompt","sessionId":"s1"}"#,
        ]);
        assert_eq!(s.session_id, "s1");
        assert_eq!(s.tool_version.as_deref(), Some("2.1.0"));
        assert_eq!(s.git.branch.as_deref(), Some("main"));
        let ids: Vec<_> = s.messages.iter().map(|m| m.message_id.as_str()).collect();
        assert_eq!(ids, vec!["p1", "p1/m1", "p1/answer"]);
        assert_eq!(s.messages[0].texts[0].part_id, "p1/prompt");
        assert_eq!(s.messages[1].model_id.as_deref(), Some("anthropic/claude-x"));
        assert_eq!(s.messages[2].model_id, None, "<synthetic> is no model");
        assert_eq!(s.messages[2].texts[0].text, "done");
    }

    #[test]
    fn a_file_without_a_session_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        std::fs::write(&path, "{\"type\":\"summary\"}\n").unwrap();
        assert!(matches!(read(&path), Err(TranscriptError::NoSession { .. })));
    }
}
