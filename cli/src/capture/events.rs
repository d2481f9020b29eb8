//! The normalised events capture hands to the store.

use serde::{Deserialize, Serialize};

/// Who wrote a message in an agent session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The person driving the agent.
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// The wire and DB spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One message of an agent session (`message.updated`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageEvent {
    /// The agent's session id.
    pub session_id: String,
    /// The message id, unique within the session.
    pub message_id: String,
    /// User or assistant.
    pub role: Role,
    /// `provider/model` of an assistant message.
    pub model_id: Option<String>,
    /// The message this one answers.
    pub parent_id: Option<String>,
    /// When the message was created, ms since the epoch.
    pub time_created_ms: i64,
    /// When the message completed, ms since the epoch.
    pub time_completed_ms: Option<i64>,
    /// The agent tool (e.g. `opencode`).
    pub tool_name: Option<String>,
    /// The agent tool's version.
    pub tool_version: Option<String>,
}

/// A file change an agent made, as reported in a `patch` part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchEdit {
    /// Repo-relative path with `/` separators.
    pub file_path: String,
    /// Repo-relative previous path of a rename.
    pub old_path: Option<String>,
    /// The agent tool that made the change (edit, write, apply_patch, bash…).
    pub tool: Option<String>,
    /// added | modified | deleted | renamed.
    pub status: Option<String>,
    /// Unified diff of this one file.
    pub patch: Option<String>,
    /// Full content before the edit.
    pub before: Option<String>,
    /// Full content after the edit.
    pub after: Option<String>,
}

/// One part of a message (`message.part.updated`): text, reasoning, a patch, or opaque.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartEvent {
    /// The agent's session id.
    pub session_id: String,
    /// The message the part belongs to.
    pub message_id: String,
    /// The part id, unique within the session.
    pub part_id: String,
    /// text, reasoning, patch, or any other type the agent reports.
    pub part_type: String,
    /// When the part was produced, ms since the epoch.
    pub time_ms: i64,
    /// The text of a text or reasoning part.
    pub text: Option<String>,
    /// The file change of a patch part.
    pub edit: Option<PatchEdit>,
    /// The agent tool (e.g. `opencode`).
    pub tool_name: Option<String>,
    /// The agent tool's version.
    pub tool_version: Option<String>,
    /// The item exactly as received, kept so that nothing the agent said is lost.
    pub raw: serde_json::Value,
}

/// A validated event of either kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CapturedEvent {
    /// From a `message.updated` envelope.
    Message(MessageEvent),
    /// From a `message.part.updated` envelope.
    Part(Box<PartEvent>),
}
