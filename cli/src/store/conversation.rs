//! Reading conversations back whole, one session at a time: what `sce export` streams.
//! Sessions are listed first (ids and time bounds only), then each is loaded on its
//! own, so memory follows the largest session, never the whole store.

use turso::Value;

use super::{Store, StoreError, block, texts};

/// One session as the messages and parts tables know it: its id and time bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSpan {
    /// The agent's session id.
    pub session_id: String,
    /// The earliest message or part time (ms since the epoch).
    pub first_ms: i64,
    /// The latest message (creation or completion) or part time.
    pub last_ms: i64,
}

/// A message of a conversation, with its parts in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationMessage {
    /// The message id.
    pub message_id: String,
    /// `user` or `assistant`.
    pub role: String,
    /// `provider/model`, for assistant messages.
    pub model_id: Option<String>,
    /// When it was created.
    pub time_created_ms: i64,
    /// When it was completed, if known.
    pub time_completed_ms: Option<i64>,
    /// The agent tool.
    pub tool_name: Option<String>,
    /// The agent tool's version.
    pub tool_version: Option<String>,
    /// Its parts, oldest first.
    pub parts: Vec<ConversationPart>,
}

/// The texts an edit still has; retention may have removed them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditTexts {
    /// The file before the edit.
    pub before: Option<String>,
    /// The file after the edit.
    pub after: Option<String>,
    /// The unified diff the agent reported (kept only when it reported no `after`).
    pub patch: Option<String>,
}

/// A part of a message as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationPart {
    /// Arrival order.
    pub seq: i64,
    /// `text`, `reasoning`, `patch` or another agent type.
    pub part_type: String,
    /// When it happened.
    pub time_ms: i64,
    /// The text of text and reasoning parts.
    pub text: Option<String>,
    /// The file a patch part changed (repo-relative).
    pub file_path: Option<String>,
    /// The previous path of a rename.
    pub old_path: Option<String>,
    /// The agent tool that made the edit (`edit`, `write`, `bash`, …).
    pub edit_tool: Option<String>,
    /// added | modified | deleted | renamed.
    pub status: Option<String>,
    /// The texts of a patch part; `None` when none are kept any more.
    pub edit_texts: Option<EditTexts>,
}

/// Messages of one session, in order, each with its parts; parts whose message
/// was never reported come last under a message of their own id, role `unknown`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation {
    /// The messages, by creation time.
    pub messages: Vec<ConversationMessage>,
}

impl Store {
    /// Every session with messages or parts, oldest first (by first activity, then
    /// id), with its time bounds; only sessions active at or after `since_ms` when given.
    pub fn session_spans(&self, since_ms: Option<i64>) -> Result<Vec<SessionSpan>, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query(
                "SELECT session_id, MIN(first_ms), MAX(last_ms) FROM ( \
                 SELECT session_id, time_created_ms AS first_ms, \
                 MAX(time_created_ms, COALESCE(time_completed_ms, time_created_ms)) AS last_ms FROM messages \
                 UNION ALL SELECT session_id, time_ms AS first_ms, time_ms AS last_ms FROM parts) \
                 GROUP BY session_id",
                (),
            ))?;
            let mut spans = Vec::new();
            while let Some(row) = block(rows.next())? {
                let span = SessionSpan { session_id: row.get(0)?, first_ms: row.get(1)?, last_ms: row.get(2)? };
                if since_ms.is_none_or(|since| span.last_ms >= since) {
                    spans.push(span);
                }
            }
            spans.sort_by(|a, b| (a.first_ms, &a.session_id).cmp(&(b.first_ms, &b.session_id)));
            Ok(spans)
        })
    }

    /// The whole conversation of one session: messages by creation time, each with
    /// its parts in arrival order, the texts of its edits read back.
    pub fn conversation(&self, session_id: &str) -> Result<Conversation, StoreError> {
        self.with_query_retry(|conn| {
            let mut messages = Vec::new();
            let mut rows = block(conn.query(
                "SELECT message_id, role, model_id, time_created_ms, time_completed_ms, tool_name, tool_version \
                 FROM messages WHERE session_id = ?1 ORDER BY time_created_ms, message_id",
                [session_id],
            ))?;
            while let Some(row) = block(rows.next())? {
                messages.push(ConversationMessage {
                    message_id: row.get(0)?,
                    role: row.get(1)?,
                    model_id: row.get(2)?,
                    time_created_ms: row.get(3)?,
                    time_completed_ms: row.get(4)?,
                    tool_name: row.get(5)?,
                    tool_version: row.get(6)?,
                    parts: Vec::new(),
                });
            }
            drop(rows);
            let mut rows = block(conn.query(
                "SELECT p.seq, p.message_id, p.part_type, p.time_ms, p.text, p.file_path, p.old_path, p.edit_tool, \
                 p.status, e.seq, e.before_id, e.after_id, e.patch_id \
                 FROM parts p LEFT JOIN edit_texts e ON e.seq = p.seq WHERE p.session_id = ?1 ORDER BY p.seq",
                [session_id],
            ))?;
            let mut parts: Vec<(String, ConversationPart, Option<[Value; 3]>)> = Vec::new();
            while let Some(row) = block(rows.next())? {
                let has_texts = !matches!(row.get_value(9)?, Value::Null);
                let ids =
                    if has_texts { Some([row.get_value(10)?, row.get_value(11)?, row.get_value(12)?]) } else { None };
                let part = ConversationPart {
                    seq: row.get(0)?,
                    part_type: row.get(2)?,
                    time_ms: row.get(3)?,
                    text: row.get(4)?,
                    file_path: row.get(5)?,
                    old_path: row.get(6)?,
                    edit_tool: row.get(7)?,
                    status: row.get(8)?,
                    edit_texts: None,
                };
                parts.push((row.get(1)?, part, ids));
            }
            drop(rows);
            let mut index: std::collections::HashMap<String, usize> =
                messages.iter().enumerate().map(|(at, m)| (m.message_id.clone(), at)).collect();
            let mut reader = texts::TextReader::default();
            for (message_id, mut part, ids) in parts {
                if let Some([before, after, patch]) = ids {
                    part.edit_texts = Some(EditTexts {
                        before: reader.read(conn, before)?,
                        after: reader.read(conn, after)?,
                        patch: reader.read(conn, patch)?,
                    });
                }
                match index.get(&message_id) {
                    Some(&at) => messages[at].parts.push(part),
                    None => {
                        index.insert(message_id.clone(), messages.len());
                        messages.push(ConversationMessage {
                            message_id,
                            role: "unknown".into(),
                            model_id: None,
                            time_created_ms: part.time_ms,
                            time_completed_ms: None,
                            tool_name: None,
                            tool_version: None,
                            parts: vec![part],
                        });
                    }
                }
            }
            Ok(Conversation { messages })
        })
    }
}
