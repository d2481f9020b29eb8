//! The git context a session started in (remote, branch, HEAD), resolved once,
//! when a hook first stores an event of a session sce knows no git context for. Best
//! effort: a failure is logged at debug and never reaches the hook.
//!
//! Asking the DB costs a statement per hook process (≈ 0.4 ms, most of it preparing
//! it); a session whose context is known leaves an empty marker file instead
//! (`StorePaths::sessions_known`), so the hooks of a running session only stat a file.
//! The DB stays the truth: a missing marker only means asking it again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::capture::CapturedEvent;
use crate::git::Repo;
use crate::store::{SessionGitContext, Store, StoreError};

/// The repository's git state now: what a session starting now starts in.
pub fn current_git_context(repo: &Repo) -> SessionGitContext {
    SessionGitContext {
        remote_url: repo.remote_url(),
        branch: repo.branch(),
        head_sha: repo.head_commit().map(|id| id.to_string()),
    }
}

/// Records the git context of the sessions in `events` that have no `sessions`
/// row yet (how many, and the time it took, are logged at debug). One indexed lookup per session id of the batch; git is read only
/// when a session is new, and then once for all of them. Never fails: a problem
/// is logged at debug (the events are stored already).
pub fn note_new_sessions(store: &Store, repo: &Repo, events: &[CapturedEvent], now_ms: i64) {
    let started = std::time::Instant::now();
    match try_note_new_sessions(store, repo, events, now_ms) {
        Ok(new) => tracing::debug!(new, elapsed_us = started.elapsed().as_micros(), "session git context checked"),
        Err(e) => tracing::debug!("could not record the git context of new sessions: {e}"),
    }
}

fn try_note_new_sessions(
    store: &Store,
    repo: &Repo,
    events: &[CapturedEvent],
    now_ms: i64,
) -> Result<usize, StoreError> {
    let tools = sessions_with_tool(events);
    if tools.is_empty() {
        return Ok(0);
    }
    let dir = &store.paths().sessions_known;
    let unmarked: Vec<String> = tools.keys().filter(|id| !marker(dir, id).exists()).cloned().collect();
    if unmarked.is_empty() {
        return Ok(0);
    }
    let new = store.sessions_without_context(&unmarked)?;
    let count = new.len();
    if !new.is_empty() {
        let git = current_git_context(repo);
        for id in &new {
            let tool = tools.get(id).and_then(|t| t.as_deref());
            store.record_git_context(id, tool, &git, now_ms)?;
            tracing::debug!(session = id, branch = ?git.branch, "recorded the git context of a new session");
        }
    }
    for id in &unmarked {
        mark(dir, id);
    }
    Ok(count)
}

/// The marker of a session whose git context is known: named by a hash of its
/// id (an agent's id may hold any character).
fn marker(markers: &Path, session: &str) -> PathBuf {
    let hash = blake3::hash(session.as_bytes()).to_hex();
    markers.join(&hash.as_str()[..32])
}

/// Leaves the marker; a failure only costs a DB lookup next time.
fn mark(markers: &Path, session: &str) {
    let path = marker(markers, session);
    if let Err(e) = std::fs::create_dir_all(markers).and_then(|()| std::fs::write(&path, b"")) {
        tracing::debug!("cannot write {}: {e}", path.display());
    }
}

/// The session ids of `events`, each with the first tool name reported for it.
fn sessions_with_tool(events: &[CapturedEvent]) -> BTreeMap<String, Option<String>> {
    let mut tools: BTreeMap<String, Option<String>> = BTreeMap::new();
    for event in events {
        let (session, tool) = match event {
            CapturedEvent::Message(m) => (&m.session_id, &m.tool_name),
            CapturedEvent::Part(p) => (&p.session_id, &p.tool_name),
        };
        let known = tools.entry(session.clone()).or_default();
        if known.is_none() {
            known.clone_from(tool);
        }
    }
    tools
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{MessageEvent, PartEvent, Role};

    fn message(session: &str, tool: Option<&str>) -> CapturedEvent {
        CapturedEvent::Message(MessageEvent {
            session_id: session.into(),
            message_id: "m".into(),
            role: Role::User,
            model_id: None,
            parent_id: None,
            time_created_ms: 0,
            time_completed_ms: None,
            tool_name: tool.map(Into::into),
            tool_version: None,
        })
    }

    fn part(session: &str, tool: Option<&str>) -> CapturedEvent {
        CapturedEvent::Part(Box::new(PartEvent {
            session_id: session.into(),
            message_id: "m".into(),
            part_id: "p".into(),
            part_type: "text".into(),
            time_ms: 0,
            text: Some("hi".into()),
            edit: None,
            tool_name: tool.map(Into::into),
            tool_version: None,
            raw: serde_json::Value::Null,
        }))
    }

    #[test]
    fn each_session_of_a_batch_once_with_the_first_tool_it_names() {
        let events = [message("a", None), part("a", Some("pi")), message("b", Some("codex")), part("a", Some("x"))];
        let tools = sessions_with_tool(&events);
        assert_eq!(tools.len(), 2);
        assert_eq!(tools["a"].as_deref(), Some("pi"));
        assert_eq!(tools["b"].as_deref(), Some("codex"));
        assert!(sessions_with_tool(&[]).is_empty());
    }
}
