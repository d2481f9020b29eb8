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

use std::path::Path;

use serde_json::{Value, json};

use crate::capture::{Envelope, EnvelopeError, RawEnvelope};
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

    /// The messages and parts as one validated batch for `tool` (patch paths made
    /// relative to `root`, checked), as hooks and imports both store them; `None`
    /// when there is nothing to store.
    pub fn into_envelope(self, tool: &str, root: &Path) -> Result<Option<Envelope>, EnvelopeError> {
        let mut merged: Option<Envelope> = None;
        for (kind, payloads) in [("message.updated", self.messages), ("message.part.updated", self.parts)] {
            if payloads.is_empty() {
                continue;
            }
            let raw = json!({"type": kind, "tool_name": tool, "payloads": payloads}).to_string();
            let envelope = RawEnvelope::parse(raw.as_bytes())?.into_events(root);
            merged = Some(match merged {
                None => envelope,
                Some(mut first) => {
                    first.attempted += envelope.attempted;
                    first.events.extend(envelope.events);
                    first.diagnostics.extend(envelope.diagnostics);
                    first
                }
            });
        }
        Ok(merged)
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
