//! Agents whose hooks sce reads directly (rather than through a plugin that sends
//! envelopes): each turns one hook event into the same messages and parts the
//! envelope path stores, so attribution, records, blame and stats need nothing
//! agent-specific.

pub mod claude;
pub mod claude_transcript;
pub mod codex;
pub mod codex_patch;
pub mod cursor;
pub mod gemini;
pub mod generic;
mod session_files;

pub use session_files::SessionFiles;

use serde_json::Value;

use crate::git::Repo;

/// What one event amounts to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Capture {
    /// `message.updated` payloads.
    pub messages: Vec<Value>,
    /// `message.part.updated` payloads.
    pub parts: Vec<Value>,
}

impl Capture {
    /// True when there is nothing to store.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.parts.is_empty()
    }
}

/// What handling an event needs from around it.
pub struct Context<'a> {
    /// The repository the event's `cwd` is in.
    pub repo: &'a Repo,
    /// Where the hook keeps state between calls.
    pub files: SessionFiles,
    /// Files larger than this are not captured.
    pub max_file_bytes: u64,
    /// Now, ms since the epoch.
    pub now_ms: i64,
}
