//! Storing imported sessions: each session's messages and texts through the
//! envelope path hooks use (validation, redaction, intake), only what the DB does
//! not already hold (see [`super::merge`]); its git context (first one wins) and
//! the file it came from. A second import of the same files stores nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ImportedSession;
use super::merge::{Additions, additions};
use crate::capture::{CapturedEvent, Envelope, EnvelopeError, EnvelopeKind};
use crate::config::Config;
use crate::pipeline::intake::{self, IntakeError};
use crate::store::{Store, StoreError, StorePaths};

/// Why sessions could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A session could not be made into an envelope.
    #[error("cannot turn session {session_id} into events: {source}")]
    Envelope {
        /// The session.
        session_id: String,
        /// Why.
        source: EnvelopeError,
    },
    /// The DB could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The events could be neither stored nor spooled.
    #[error(transparent)]
    Intake(#[from] IntakeError),
}

/// What importing one session did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionImport {
    /// The agent tool (`claude-code`, `codex`, `gemini-cli`, `pi`).
    pub tool_name: String,
    /// The agent's session id.
    pub session_id: String,
    /// The transcript read.
    pub source: PathBuf,
    /// What it adds.
    #[serde(flatten)]
    pub added: Additions,
    /// Messages left out: older than `retention.conversations_days`, gc would remove them.
    pub past_retention: usize,
}

/// Where imported sessions are stored.
pub struct ImportTarget<'a> {
    /// The store's files.
    pub paths: &'a StorePaths,
    /// The configuration (redaction, retries).
    pub config: &'a Config,
    /// The work tree root (what envelopes resolve paths against).
    pub root: &'a Path,
    /// The worktree name parts are stored for.
    pub worktree: &'a str,
    /// Now, ms since the epoch (when a git context is recorded).
    pub now_ms: i64,
}

/// Stores what `sessions` add (nothing when `dry_run`), and reports it per session.
/// Sessions read twice (the same id in two files) are merged first.
pub fn import_sessions(
    target: &ImportTarget<'_>,
    sessions: Vec<ImportedSession>,
    dry_run: bool,
) -> Result<Vec<SessionImport>, ImportError> {
    let mut sessions = merge_same_sessions(sessions);
    let past_retention: Vec<usize> = sessions.iter_mut().map(|s| drop_past_retention(s, target)).collect();
    let mut reports = Vec::new();
    let mut events: Vec<CapturedEvent> = Vec::new();
    {
        // A dry run creates no DB where there is none yet: nothing is stored then.
        let store = if dry_run && !target.paths.db.exists() {
            None
        } else {
            Some(Store::open_configured(target.paths, target.config)?)
        };
        for (session, past_retention) in sessions.iter().zip(past_retention) {
            let (stored, row) = match &store {
                Some(store) => {
                    (store.session_conversation(&session.session_id)?, store.session_row(&session.session_id)?)
                }
                None => Default::default(),
            };
            let (new_events, mut added) = additions(session_events(session, target)?, &stored);
            let git = &session.git;
            let has_context = git.remote_url.is_some() || git.branch.is_some() || git.head_sha.is_some();
            if has_context && row.as_ref().is_none_or(|r| r.context_ms.is_none()) {
                added.filled.insert("git_context".to_string(), 1);
            }
            if let (false, Some(store)) = (dry_run, &store) {
                // Before intake, so that the transcript's context (the session's start) is the first one seen.
                if has_context {
                    store.record_git_context(&session.session_id, Some(&session.tool_name), git, target.now_ms)?;
                }
                let source = session.source.to_string_lossy();
                if row.as_ref().and_then(|r| r.imported_from.as_deref()) != Some(source.as_ref()) {
                    store.record_import_source(&session.session_id, &session.tool_name, &source)?;
                }
            }
            events.extend(new_events);
            reports.push(SessionImport {
                tool_name: session.tool_name.clone(),
                session_id: session.session_id.clone(),
                source: session.source.clone(),
                added,
                past_retention,
            });
        }
    } // the store is closed: intake opens it again
    if !dry_run && !events.is_empty() {
        let envelope =
            Envelope { kind: EnvelopeKind::MessageUpdated, attempted: events.len(), events, diagnostics: Vec::new() };
        let report = intake::ingest(target.paths, target.config, target.worktree, envelope)?;
        if let Some(problem) = report.db_problem {
            tracing::warn!(
                "the DB was busy ({problem}): {} events spooled, stored by the next sce command",
                report.spooled
            );
        }
    }
    Ok(reports)
}

/// Removes the messages gc would remove at once (`retention.conversations_days`); how many.
fn drop_past_retention(session: &mut ImportedSession, target: &ImportTarget<'_>) -> usize {
    let days = i64::from(target.config.retention.conversations_days);
    if days == 0 {
        return 0;
    }
    let kept_from_ms = target.now_ms - days * 24 * 3600 * 1000;
    let before = session.messages.len();
    session.messages.retain(|m| m.time_ms >= kept_from_ms);
    before - session.messages.len()
}

/// The session's messages and texts as validated events, redacted as configured.
fn session_events(session: &ImportedSession, target: &ImportTarget<'_>) -> Result<Vec<CapturedEvent>, ImportError> {
    let envelope = session
        .to_capture()
        .into_envelope(&session.tool_name, target.root)
        .map_err(|source| ImportError::Envelope { session_id: session.session_id.clone(), source })?;
    let Some(mut envelope) = envelope else { return Ok(Vec::new()) };
    if target.config.capture.redact_secrets {
        envelope.redact_secrets();
    }
    for problem in &envelope.diagnostics {
        tracing::debug!(session = session.session_id, "left out: {problem:?}");
    }
    Ok(envelope.events)
}

/// One session per (tool, id): a session continued in another file keeps every
/// message once (the later file's version of a message wins).
fn merge_same_sessions(sessions: Vec<ImportedSession>) -> Vec<ImportedSession> {
    let mut merged: BTreeMap<(String, String), ImportedSession> = BTreeMap::new();
    let mut order = Vec::new();
    for session in sessions {
        let key = (session.tool_name.clone(), session.session_id.clone());
        match merged.get_mut(&key) {
            Some(first) => {
                for message in session.messages {
                    match first.messages.iter_mut().find(|m| m.message_id == message.message_id) {
                        Some(earlier) => *earlier = message,
                        None => first.messages.push(message),
                    }
                }
                first.tool_version = session.tool_version.or(first.tool_version.take());
                first.source = session.source;
            }
            None => {
                order.push(key.clone());
                merged.insert(key, session);
            }
        }
    }
    order.into_iter().filter_map(|key| merged.remove(&key)).collect()
}
