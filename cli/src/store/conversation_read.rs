//! Reading back one session's conversation as stored (its messages and text
//! parts), so an import can tell what it would add from what is already there.

use super::{Store, StoreError, block};

/// A stored message: the fields an import may fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFields {
    /// The message id.
    pub message_id: String,
    /// `user` or `assistant`.
    pub role: String,
    /// `provider/model`, when known.
    pub model_id: Option<String>,
    /// The agent tool, when known.
    pub tool_name: Option<String>,
    /// The agent tool's version, when known.
    pub tool_version: Option<String>,
    /// When the message was created (ms since the epoch).
    pub time_created_ms: i64,
    /// True when it has edits (`patch` parts): its fields are what attribution reads.
    pub has_edits: bool,
}

/// A stored text part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredText {
    /// The part id.
    pub part_id: String,
    /// The message it belongs to.
    pub message_id: String,
    /// Its text, as stored (redacted when the configuration says so).
    pub text: String,
    /// When it was written (ms since the epoch); a part is replaced only by a newer one.
    pub time_ms: i64,
}

/// One session's messages and text parts, in arrival order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredConversation {
    /// Its messages.
    pub messages: Vec<MessageFields>,
    /// Its text parts.
    pub texts: Vec<StoredText>,
}

impl Store {
    /// The messages and text parts stored for `session_id` (empty when none).
    pub fn session_conversation(&self, session_id: &str) -> Result<StoredConversation, StoreError> {
        self.with_query_retry(|conn| {
            let mut conversation = StoredConversation::default();
            let mut rows = block(conn.query(
                "SELECT m.message_id, m.role, m.model_id, m.tool_name, m.tool_version, m.time_created_ms, \
                 EXISTS (SELECT 1 FROM parts p WHERE p.session_id = m.session_id \
                         AND p.message_id = m.message_id AND p.part_type = 'patch') \
                 FROM messages m WHERE m.session_id = ?1 ORDER BY m.time_created_ms, m.message_id",
                (session_id,),
            ))?;
            while let Some(row) = block(rows.next())? {
                conversation.messages.push(MessageFields {
                    message_id: row.get(0)?,
                    role: row.get(1)?,
                    model_id: row.get(2)?,
                    tool_name: row.get(3)?,
                    tool_version: row.get(4)?,
                    time_created_ms: row.get(5)?,
                    has_edits: row.get::<i64>(6)? != 0,
                });
            }
            drop(rows);
            let mut rows = block(conn.query(
                "SELECT part_id, message_id, text, time_ms FROM parts \
                 WHERE session_id = ?1 AND part_type = 'text' AND text IS NOT NULL ORDER BY seq",
                (session_id,),
            ))?;
            while let Some(row) = block(rows.next())? {
                conversation.texts.push(StoredText {
                    part_id: row.get(0)?,
                    message_id: row.get(1)?,
                    text: row.get(2)?,
                    time_ms: row.get(3)?,
                });
            }
            Ok(conversation)
        })
    }
}
