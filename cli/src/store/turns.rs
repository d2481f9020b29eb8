//! Reading back what `sce why` shows: one stored edit, and the texts of its
//! session (prompts and answers) to find the turn the edit was made in.

use super::{Store, StoreError, block};

/// A stored edit (a patch part) as `why` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditPart {
    /// The part's seq.
    pub seq: i64,
    /// Its session.
    pub session_id: String,
    /// The message (tool call's turn) it belongs to.
    pub message_id: String,
    /// When it was made (ms since the epoch).
    pub time_ms: i64,
    /// The agent's tool that made it (`Edit`, `apply_patch`, `bash`, …).
    pub edit_tool: Option<String>,
    /// The file it changed.
    pub file_path: Option<String>,
    /// added | modified | deleted | renamed.
    pub status: Option<String>,
}

/// A text of a session: a prompt (user) or an answer (assistant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionText {
    /// `user` or `assistant`.
    pub role: String,
    /// Its message.
    pub message_id: String,
    /// The message's `provider/model`, for answers.
    pub model_id: Option<String>,
    /// The text (redacted at intake).
    pub text: String,
    /// When it was written (ms since the epoch).
    pub time_ms: i64,
}

impl Store {
    /// The stored edit with seq `seq`, unless retention removed it.
    pub fn edit_part(&self, seq: i64) -> Result<Option<EditPart>, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query(
                "SELECT seq, session_id, message_id, time_ms, edit_tool, file_path, status FROM parts \
                 WHERE seq = ?1 AND part_type = 'patch'",
                (seq,),
            ))?;
            match block(rows.next())? {
                Some(row) => Ok(Some(EditPart {
                    seq: row.get(0)?,
                    session_id: row.get(1)?,
                    message_id: row.get(2)?,
                    time_ms: row.get(3)?,
                    edit_tool: row.get(4)?,
                    file_path: row.get(5)?,
                    status: row.get(6)?,
                })),
                None => Ok(None),
            }
        })
    }

    /// Every prompt and answer of a session, in the order they were written.
    pub fn session_texts(&self, session_id: &str) -> Result<Vec<SessionText>, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query(
                "SELECT m.role, p.message_id, m.model_id, p.text, p.time_ms FROM parts p \
                 JOIN messages m ON m.session_id = p.session_id AND m.message_id = p.message_id \
                 WHERE p.session_id = ?1 AND p.part_type = 'text' AND p.text IS NOT NULL \
                 ORDER BY p.time_ms, p.seq",
                (session_id,),
            ))?;
            let mut texts = Vec::new();
            while let Some(row) = block(rows.next())? {
                texts.push(SessionText {
                    role: row.get(0)?,
                    message_id: row.get(1)?,
                    model_id: row.get(2)?,
                    text: row.get(3)?,
                    time_ms: row.get(4)?,
                });
            }
            Ok(texts)
        })
    }

    /// True when this DB holds the record of commit `sha` (it was made here).
    pub fn has_record(&self, sha: &str) -> Result<bool, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query("SELECT 1 FROM records WHERE commit_sha = ?1", (sha,)))?;
            Ok(block(rows.next())?.is_some())
        })
    }
}
