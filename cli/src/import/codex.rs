//! Codex CLI rollouts (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`) read into
//! an [`ImportedSession`] with the ids `sce hooks codex` gives:
//!
//! - a turn's prompt (`item_completed` `UserMessage`, or an older `user_message`
//!   event): message `<turn_id>`, part `<turn_id>/prompt`;
//! - the turn's last agent message (`AgentMessage`, `agent_message`, else
//!   `task_complete.last_agent_message`): `<turn_id>/answer`, part `…/text` (the
//!   hook's `Stop`); earlier ones `<turn_id>/<item id>`;
//! - the model: `turn_context.model` as `openai/<model>`; the version and git
//!   context: `session_meta` (`cli_version`, `git`); the session id: its `id`.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::jsonl::{Records, SkippedLine, TranscriptError, read_records, time_ms};
use super::{ImportedMessage, ImportedSession, ImportedText};
use crate::agents::codex::{TOOL_NAME, qualified_model};
use crate::capture::Role;
use crate::store::SessionGitContext;

/// The start of the id of a turn the rollout does not name (older Codex versions).
const UNNAMED_TURN: &str = "turn-at-line-";

/// One rollout line: `{timestamp, type, payload}`.
#[derive(Debug, Deserialize)]
struct Line {
    timestamp: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    payload: Value,
}

/// `session_meta`'s payload: the fields sce reads.
#[derive(Debug, Deserialize)]
struct SessionMeta {
    id: Option<String>,
    session_id: Option<String>,
    cwd: Option<String>,
    cli_version: Option<String>,
    git: Option<GitMeta>,
}

/// The git state Codex recorded at the session's start.
#[derive(Debug, Deserialize)]
struct GitMeta {
    commit_hash: Option<String>,
    branch: Option<String>,
    repository_url: Option<String>,
}

fn str_of<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

/// The text of an item's `content` (a list of `{type, text}`) or of `message`.
fn item_text(item: &Value) -> String {
    if let Some(text) = str_of(item, "message") {
        return text.to_string();
    }
    item.get("content")
        .and_then(Value::as_array)
        .map(|blocks| blocks.iter().filter_map(|b| str_of(b, "text")).collect::<Vec<_>>().join(""))
        .unwrap_or_default()
}

/// One agent message of a turn.
struct AgentText {
    item_id: String,
    text: String,
    time_ms: i64,
}

/// One turn being gathered.
#[derive(Default)]
struct Turn {
    id: String,
    model: Option<String>,
    prompts: Vec<(String, String, i64)>,
    answers: Vec<AgentText>,
    last_agent_message: Option<(String, i64)>,
}

/// Reads one rollout.
pub fn read(path: &Path) -> Result<(ImportedSession, Vec<SkippedLine>), TranscriptError> {
    let Records { records: lines, skipped } = read_records::<Line>(path)?;
    let mut session: Option<ImportedSession> = None;
    let mut turns: Vec<Turn> = Vec::new();
    let mut current: Option<String> = None;
    let mut model: Option<String> = None;
    for (line_no, line) in lines {
        let at = line.timestamp.as_deref().and_then(time_ms).unwrap_or(0);
        let payload = &line.payload;
        let payload_type = str_of(payload, "type").unwrap_or_default();
        match (line.kind.as_str(), payload_type) {
            ("session_meta", _) => {
                let Ok(meta) = SessionMeta::deserialize(payload) else { continue };
                let Some(id) = meta.id.or(meta.session_id) else { continue };
                if session.is_some() {
                    continue; // a forked session repeats its parent's meta after its own
                }
                let git = meta.git.map_or_else(SessionGitContext::default, |g| SessionGitContext {
                    remote_url: g.repository_url.map(|u| crate::git::strip_credentials(&u)),
                    branch: g.branch,
                    head_sha: g.commit_hash,
                });
                session = Some(ImportedSession {
                    tool_name: TOOL_NAME.to_string(),
                    tool_version: meta.cli_version,
                    session_id: id,
                    cwd: meta.cwd.map(Into::into),
                    git,
                    messages: Vec::new(),
                    source: path.to_path_buf(),
                });
            }
            ("turn_context", _) => {
                if let Some(turn) = str_of(payload, "turn_id") {
                    current = Some(turn.to_string());
                }
                if let Some(m) = str_of(payload, "model").filter(|m| !m.is_empty()) {
                    model = Some(qualified_model(m));
                }
                if let Some(turn) = current.clone() {
                    turn_mut(&mut turns, &turn).model = model.clone();
                }
            }
            ("event_msg", "task_started") => {
                if let Some(turn) = str_of(payload, "turn_id") {
                    current = Some(turn.to_string());
                }
            }
            ("event_msg", "item_completed") => {
                let item = payload.get("item").unwrap_or(&Value::Null);
                let Some(turn) = str_of(payload, "turn_id").map(str::to_string).or_else(|| current.clone()) else {
                    continue;
                };
                let item_id = str_of(item, "id").map_or_else(|| format!("line-{line_no}"), str::to_string);
                match str_of(item, "type") {
                    Some("UserMessage") => turn_mut(&mut turns, &turn).prompts.push((item_id, item_text(item), at)),
                    Some("AgentMessage") => turn_mut(&mut turns, &turn).answers.push(AgentText {
                        item_id,
                        text: item_text(item),
                        time_ms: at,
                    }),
                    _ => {}
                }
            }
            // Older rollouts name no turns: each prompt starts one, named by its line.
            ("event_msg", "user_message") => {
                let turn = match &current {
                    Some(turn) if !turn.starts_with(UNNAMED_TURN) => turn.clone(),
                    _ => current.insert(format!("{UNNAMED_TURN}{line_no}")).clone(),
                };
                turn_mut(&mut turns, &turn).prompts.push((format!("line-{line_no}"), item_text(payload), at));
            }
            ("event_msg", "agent_message") => {
                let turn = current.get_or_insert_with(|| format!("{UNNAMED_TURN}{line_no}")).clone();
                turn_mut(&mut turns, &turn).answers.push(AgentText {
                    item_id: format!("line-{line_no}"),
                    text: item_text(payload),
                    time_ms: at,
                });
            }
            ("event_msg", "task_complete") => {
                let turn = str_of(payload, "turn_id").map(str::to_string).or_else(|| current.clone());
                if let (Some(turn), Some(text)) = (turn, str_of(payload, "last_agent_message")) {
                    turn_mut(&mut turns, &turn).last_agent_message = Some((text.to_string(), at));
                }
            }
            _ => {}
        }
    }
    let mut session = session.ok_or_else(|| TranscriptError::NoSession { path: path.to_path_buf(), agent: "Codex" })?;
    for turn in turns {
        session.messages.extend(turn_messages(turn, model.as_deref()));
    }
    session.messages.sort_by_key(|m| m.time_ms);
    Ok((session, skipped))
}

/// The `cwd` of a rollout's `session_meta` (its first line), read without the rest.
pub fn session_cwd(path: &Path) -> Option<std::path::PathBuf> {
    use std::io::BufRead;
    let mut first = String::new();
    std::io::BufReader::new(std::fs::File::open(path).ok()?).read_line(&mut first).ok()?;
    let line: Line = serde_json::from_str(&first).ok()?;
    (line.kind == "session_meta").then(|| str_of(&line.payload, "cwd").map(Into::into))?
}

fn turn_mut<'t>(turns: &'t mut Vec<Turn>, id: &str) -> &'t mut Turn {
    match turns.iter().position(|t| t.id == id) {
        Some(index) => &mut turns[index],
        None => {
            turns.push(Turn { id: id.to_string(), ..Turn::default() });
            let last = turns.len() - 1;
            &mut turns[last]
        }
    }
}

/// The messages of one turn with the hooks' ids.
fn turn_messages(mut turn: Turn, session_model: Option<&str>) -> Vec<ImportedMessage> {
    let mut messages = Vec::new();
    let mut seen_prompt = false;
    for (index, (item_id, text, at)) in turn.prompts.iter().enumerate() {
        // Versions that write both an item and an event for one prompt: once.
        if text.trim().is_empty() || turn.prompts[..index].iter().any(|(_, earlier, _)| earlier == text) {
            continue;
        }
        let id = if seen_prompt { format!("{}/{item_id}", turn.id) } else { turn.id.clone() };
        seen_prompt = true;
        messages.push(ImportedMessage {
            message_id: id.clone(),
            role: Role::User,
            model_id: None,
            time_ms: *at,
            texts: vec![ImportedText { part_id: format!("{id}/prompt"), text: text.clone(), time_ms: *at }],
        });
    }
    turn.answers.retain(|a| !a.text.trim().is_empty());
    turn.answers.dedup_by(|later, earlier| later.text == earlier.text);
    if turn.answers.is_empty()
        && let Some((text, at)) = turn.last_agent_message.take().filter(|(t, _)| !t.trim().is_empty())
    {
        turn.answers.push(AgentText { item_id: "answer".into(), text, time_ms: at });
    }
    let model = turn.model.clone().or_else(|| session_model.map(str::to_string));
    let count = turn.answers.len();
    for (index, answer) in turn.answers.into_iter().enumerate() {
        let id =
            if index + 1 == count { format!("{}/answer", turn.id) } else { format!("{}/{}", turn.id, answer.item_id) };
        messages.push(ImportedMessage {
            message_id: id.clone(),
            role: Role::Assistant,
            model_id: model.clone(),
            time_ms: answer.time_ms,
            texts: vec![ImportedText { part_id: format!("{id}/text"), text: answer.text, time_ms: answer.time_ms }],
        });
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_rollouts_without_turn_ids_get_one_turn_per_prompt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.jsonl");
        let lines = [
            r#"{"timestamp":"2025-01-01T00:00:00Z","type":"session_meta","payload":{"id":"s1","cwd":"/w"}}"#,
            r#"{"timestamp":"2025-01-01T00:00:01Z","type":"turn_context","payload":{"model":"gpt-5"}}"#,
            r#"{"timestamp":"2025-01-01T00:00:02Z","type":"event_msg","payload":{"type":"user_message","message":"one"}}"#,
            r#"{"timestamp":"2025-01-01T00:00:03Z","type":"event_msg","payload":{"type":"agent_message","message":"1"}}"#,
            r#"{"timestamp":"2025-01-01T00:00:04Z","type":"event_msg","payload":{"type":"user_message","message":"two"}}"#,
            r#"{"timestamp":"2025-01-01T00:00:05Z","type":"event_msg","payload":{"type":"agent_message","message":"2"}}"#,
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let (s, _) = read(&path).unwrap();
        let ids: Vec<_> = s.messages.iter().map(|m| m.message_id.as_str()).collect();
        assert_eq!(ids, vec!["turn-at-line-3", "turn-at-line-3/answer", "turn-at-line-5", "turn-at-line-5/answer"]);
        assert_eq!(s.messages[3].model_id.as_deref(), Some("openai/gpt-5"));
    }

    #[test]
    fn a_turn_s_prompt_and_answer_get_the_hooks_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.jsonl");
        let lines = [
            r#"{"timestamp":"2026-01-01T00:00:00Z","type":"session_meta","payload":{"id":"s1","cwd":"/w","cli_version":"0.171.0","git":{"commit_hash":"abc","branch":"main","repository_url":"https://u:p@host/r.git"}}}"#,
            r#"{"timestamp":"2026-01-01T00:00:01Z","type":"turn_context","payload":{"turn_id":"t1","model":"gpt-5.5"}}"#,
            r#"{"timestamp":"2026-01-01T00:00:02Z","type":"event_msg","payload":{"type":"item_completed","turn_id":"t1","item":{"type":"UserMessage","id":"i1","content":[{"type":"text","text":"do it"}]}}}"#,
            r#"{"timestamp":"2026-01-01T00:00:03Z","type":"event_msg","payload":{"type":"item_completed","turn_id":"t1","item":{"type":"AgentMessage","id":"m1","content":[{"type":"Text","text":"working"}]}}}"#,
            r#"{"timestamp":"2026-01-01T00:00:04Z","type":"event_msg","payload":{"type":"item_completed","turn_id":"t1","item":{"type":"AgentMessage","id":"m2","content":[{"type":"Text","text":"done"}]}}}"#,
            r#"{"timestamp":"2026-01-01T00:00:05Z","type":"event_msg","payload":{"type":"task_complete","turn_id":"t1","last_agent_message":"done"}}"#,
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let (s, skipped) = read(&path).unwrap();
        assert!(skipped.is_empty());
        assert_eq!(s.session_id, "s1");
        assert_eq!(s.tool_version.as_deref(), Some("0.171.0"));
        assert_eq!(s.git.remote_url.as_deref(), Some("https://host/r.git"));
        assert_eq!(s.git.head_sha.as_deref(), Some("abc"));
        let ids: Vec<_> = s.messages.iter().map(|m| m.message_id.as_str()).collect();
        assert_eq!(ids, vec!["t1", "t1/m1", "t1/answer"]);
        assert_eq!(s.messages[0].texts[0].part_id, "t1/prompt");
        assert_eq!(s.messages[2].model_id.as_deref(), Some("openai/gpt-5.5"));
        assert_eq!(s.messages[2].texts[0].text, "done");
    }
}
