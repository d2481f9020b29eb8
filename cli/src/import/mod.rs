//! Importing agents' own session files (transcripts) into the DB: conversation
//! text and session metadata that hooks did not capture, merged with what they did.
//!
//! Each agent has a reader (`claude`, `codex`, `gemini`, `pi`) that turns one file
//! into an [`ImportedSession`] with the ids the agent's hooks give, so a session
//! captured by hooks is merged, not duplicated; [`discover`] finds the files in the
//! agents' usual places; [`apply`] stores what is new. Only messages and text
//! parts are stored, never edits: an import cannot change attribution.

pub mod apply;
pub mod claude;
pub mod codex;
pub mod discover;
pub mod gemini;
pub mod jsonl;
pub mod merge;
pub mod opencode;
pub mod pi;
mod session;

use std::path::{Path, PathBuf};

use serde_json::json;

pub use apply::{ImportError, SessionImport, import_sessions};
pub use discover::AgentHomes;
pub use jsonl::{SkippedLine, TranscriptError};
pub use merge::Additions;
pub use session::{ImportedMessage, ImportedSession, ImportedText};

use crate::agents::Capture;

/// The agents whose transcripts sce reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    /// Claude Code.
    Claude,
    /// Codex CLI.
    Codex,
    /// Gemini CLI.
    Gemini,
    /// pi.
    Pi,
    /// OpenCode (its sessions live in one SQLite database, not in transcripts).
    OpenCode,
}

impl Agent {
    /// The tool name its hooks record.
    pub fn tool_name(self) -> &'static str {
        match self {
            Agent::Claude => crate::agents::claude::TOOL_NAME,
            Agent::Codex => crate::agents::codex::TOOL_NAME,
            Agent::Gemini => crate::agents::gemini::TOOL_NAME,
            Agent::Pi => pi::TOOL_NAME,
            Agent::OpenCode => opencode::TOOL_NAME,
        }
    }
}

/// One transcript read: its session, what scoping needs, and the lines skipped.
#[derive(Debug, Clone)]
pub struct TranscriptRead {
    /// The session.
    pub session: ImportedSession,
    /// Gemini's `projectHash` (the sha256 of the project's directory).
    pub project_hash: Option<String>,
    /// Lines that were not records.
    pub skipped: Vec<SkippedLine>,
}

/// Reads one transcript of `agent`.
pub fn read_transcript(agent: Agent, path: &Path) -> Result<TranscriptRead, TranscriptError> {
    let (session, project_hash, skipped) = match agent {
        Agent::Claude => claude::read(path).map(|(s, k)| (s, None, k))?,
        Agent::Codex => codex::read(path).map(|(s, k)| (s, None, k))?,
        Agent::Gemini => gemini::read(path)?,
        Agent::Pi => pi::read(path).map(|(s, k)| (s, None, k))?,
        Agent::OpenCode => {
            let mut sessions = opencode::read(path, None)?.into_iter();
            let session = sessions
                .next()
                .ok_or_else(|| TranscriptError::NoSession { path: path.to_path_buf(), agent: "opencode" })?;
            (session, None, Vec::new())
        }
    };
    Ok(TranscriptRead { session, project_hash, skipped })
}

/// The transcripts found, and those that could not be read.
#[derive(Debug, Default)]
pub struct Collected {
    /// Transcripts read (in scope).
    pub transcripts: Vec<TranscriptRead>,
    /// Files that could not be read at all.
    pub failures: Vec<TranscriptError>,
}

/// Reads the transcripts at `paths` (files, or directories searched for `*.jsonl`,
/// and Gemini's older `session-*.json`)
/// whatever directory they ran in; without paths, those in `agent`'s usual place
/// that ran inside one of `roots` (this repository's work trees).
pub fn collect(agent: Agent, paths: &[PathBuf], homes: &AgentHomes, roots: &[PathBuf]) -> Collected {
    if agent == Agent::OpenCode {
        return collect_opencode(paths, homes, roots);
    }
    let mut collected = Collected::default();
    if paths.is_empty() {
        let hashes: Vec<String> = roots.iter().map(|r| gemini::project_hash(r)).collect();
        for file in discover::usual_files(agent, homes, roots) {
            if agent == Agent::Codex && codex::session_cwd(&file).is_some_and(|cwd| !discover::is_inside(&cwd, roots)) {
                continue;
            }
            match read_transcript(agent, &file) {
                Ok(read) => {
                    let in_scope = match &read.session.cwd {
                        Some(cwd) => discover::is_inside(cwd, roots),
                        None => read.project_hash.as_ref().is_some_and(|h| hashes.contains(h)),
                    };
                    if in_scope {
                        collected.transcripts.push(read);
                    }
                }
                Err(TranscriptError::NoSession { path, .. }) => {
                    tracing::debug!("{}: no session in it, left alone", path.display());
                }
                Err(e) => collected.failures.push(e),
            }
        }
        return collected;
    }
    for path in paths {
        let files = if path.is_dir() {
            match agent {
                Agent::Gemini => discover::files_under(path, 4, &gemini::is_chat_file),
                _ => discover::files_under(path, 4, &|name: &str| name.ends_with(".jsonl")),
            }
        } else {
            vec![path.clone()]
        };
        for file in files {
            match read_transcript(agent, &file) {
                Ok(read) => collected.transcripts.push(read),
                Err(e) => collected.failures.push(e),
            }
        }
    }
    collected
}

/// OpenCode's sessions: from the databases of its data directory (those that ran in
/// one of `roots`), or every session of each database (or data directory) in `paths`.
fn collect_opencode(paths: &[PathBuf], homes: &AgentHomes, roots: &[PathBuf]) -> Collected {
    let mut collected = Collected::default();
    let mut seen = std::collections::BTreeSet::new();
    let mut keep =
        |collected: &mut Collected, found: Result<Vec<ImportedSession>, opencode::OpenCodeImportError>| match found {
            Ok(sessions) => {
                for session in sessions.into_iter().filter(|s| !s.messages.is_empty()) {
                    if seen.insert(session.session_id.clone()) {
                        collected.transcripts.push(TranscriptRead { session, project_hash: None, skipped: Vec::new() });
                    }
                }
            }
            Err(e) => collected.failures.push(e.into()),
        };
    if paths.is_empty() {
        let Some(data_dir) = homes.opencode_data.clone() else { return collected };
        for root in roots {
            keep(&mut collected, opencode::read_all(&data_dir, Some(root)));
        }
        return collected;
    }
    for path in paths {
        let found = if path.is_dir() { opencode::read_all(path, None) } else { opencode::read(path, None) };
        keep(&mut collected, found);
    }
    collected
}

/// A model id the envelope accepts (`provider/model`); others are left out rather
/// than costing the message.
fn provider_model(model: &Option<String>) -> Option<&str> {
    model.as_deref().filter(|m| m.split_once('/').is_some_and(|(p, n)| !p.is_empty() && !n.is_empty()))
}

impl ImportedSession {
    /// The session's messages and text parts as hooks send them (no patch parts).
    pub fn to_capture(&self) -> Capture {
        let mut capture = Capture::default();
        for message in &self.messages {
            let mut payload = json!({"session_id": self.session_id, "message_id": message.message_id,
                "role": message.role.as_str(), "time_created_ms": message.time_ms.max(0),
                "tool_name": self.tool_name});
            if let Some(model) = provider_model(&message.model_id) {
                payload["model_id"] = json!(model);
            }
            if let Some(version) = &self.tool_version {
                payload["tool_version"] = json!(version);
            }
            capture.messages.push(payload);
            for text in &message.texts {
                capture.parts.push(json!({"session_id": self.session_id, "message_id": message.message_id,
                    "part_id": text.part_id, "part_type": "text", "text": text.text,
                    "time_ms": text.time_ms.max(0)}));
            }
        }
        capture
    }
}
