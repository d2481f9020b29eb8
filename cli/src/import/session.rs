//! What an agent's transcript amounts to once read: sessions with their messages'
//! texts, models and times. Every agent's reader produces these; storing them is
//! agent-neutral. Only conversation and session metadata: never file edits, so an
//! import cannot change attribution.

use std::path::PathBuf;

use crate::capture::Role;
use crate::store::SessionGitContext;

/// One session read from a transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedSession {
    /// The agent tool, as its hooks name it (`claude-code`, `codex`, `gemini-cli`, `pi`, `opencode`).
    pub tool_name: String,
    /// The agent's version, when the transcript says.
    pub tool_version: Option<String>,
    /// The agent's own session id (the one its hooks report, so captures merge).
    pub session_id: String,
    /// The directory the session ran in, when the transcript says.
    pub cwd: Option<PathBuf>,
    /// The git context the transcript recorded at the session's start, if any.
    pub git: SessionGitContext,
    /// Messages in order.
    pub messages: Vec<ImportedMessage>,
    /// The file it was read from.
    pub source: PathBuf,
}

/// One message of an imported session.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedMessage {
    /// The id the agent's hooks would give this message (so a captured one is merged).
    pub message_id: String,
    /// Who spoke.
    pub role: Role,
    /// `provider/model` for assistant messages, when known.
    pub model_id: Option<String>,
    /// When it was created (ms since the epoch).
    pub time_ms: i64,
    /// Its texts (prompt, answer), each a text part.
    pub texts: Vec<ImportedText>,
}

/// One text part of an imported message.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedText {
    /// The id the agent's hooks would give this part.
    pub part_id: String,
    /// The text, as the transcript has it (redacted when stored).
    pub text: String,
    /// When it was written (ms since the epoch).
    pub time_ms: i64,
}
