//! Writing captured events and reading back what attribution needs.

use turso::Value;

use super::{Store, StoreError, block};
use crate::capture::{CapturedEvent, MessageEvent, PartEvent};

const UPSERT_MESSAGE: &str = "INSERT INTO messages (session_id, message_id, role, model_id, parent_id, \
     time_created_ms, time_completed_ms, tool_name, tool_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
     ON CONFLICT (session_id, message_id) DO UPDATE SET role = excluded.role, \
     model_id = COALESCE(excluded.model_id, messages.model_id), \
     parent_id = COALESCE(excluded.parent_id, messages.parent_id), \
     time_created_ms = excluded.time_created_ms, \
     time_completed_ms = COALESCE(excluded.time_completed_ms, messages.time_completed_ms), \
     tool_name = COALESCE(excluded.tool_name, messages.tool_name), \
     tool_version = COALESCE(excluded.tool_version, messages.tool_version)";

// A re-sent part replaces the stored one unless it is older: replaying an old
// envelope after a newer one then changes nothing.
const UPSERT_PART: &str = "INSERT INTO parts (session_id, part_id, message_id, part_type, time_ms, worktree, \
     text, file_path, old_path, edit_tool, status, patch, before_text, after_text, tool_name, tool_version, raw) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) \
     ON CONFLICT (session_id, part_id) DO UPDATE SET message_id = excluded.message_id, \
     part_type = excluded.part_type, time_ms = excluded.time_ms, worktree = excluded.worktree, \
     text = excluded.text, file_path = excluded.file_path, old_path = excluded.old_path, \
     edit_tool = excluded.edit_tool, status = excluded.status, patch = excluded.patch, \
     before_text = excluded.before_text, after_text = excluded.after_text, \
     tool_name = COALESCE(excluded.tool_name, parts.tool_name), \
     tool_version = COALESCE(excluded.tool_version, parts.tool_version), raw = excluded.raw \
     WHERE excluded.time_ms >= parts.time_ms";

/// An agent file edit as stored, joined with its message's model.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEdit {
    /// Arrival order.
    pub seq: i64,
    /// The session that made it.
    pub session_id: String,
    /// The `provider/model` of its message, if known.
    pub model_id: Option<String>,
    /// The agent tool (e.g. `opencode`).
    pub tool_name: Option<String>,
    /// The agent tool's version.
    pub tool_version: Option<String>,
    /// When it happened.
    pub time_ms: i64,
    /// Repo-relative path.
    pub file_path: String,
    /// Previous path of a rename.
    pub old_path: Option<String>,
    /// added | modified | deleted | renamed.
    pub status: Option<String>,
    /// Unified diff of the file.
    pub patch: Option<String>,
    /// Content before.
    pub before: Option<String>,
    /// Content after.
    pub after: Option<String>,
}

/// A stored message (for `trace show` and tests).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    /// The session.
    pub session_id: String,
    /// The message.
    pub message_id: String,
    /// user | assistant.
    pub role: String,
    /// `provider/model`.
    pub model_id: Option<String>,
}

fn text(value: &Option<String>) -> Value {
    match value {
        Some(s) => Value::Text(s.clone()),
        None => Value::Null,
    }
}

fn message_params(m: &MessageEvent) -> Vec<Value> {
    vec![
        Value::Text(m.session_id.clone()),
        Value::Text(m.message_id.clone()),
        Value::Text(m.role.as_str().into()),
        text(&m.model_id),
        text(&m.parent_id),
        Value::Integer(m.time_created_ms),
        m.time_completed_ms.map_or(Value::Null, Value::Integer),
        text(&m.tool_name),
        text(&m.tool_version),
    ]
}

fn part_params(p: &PartEvent, worktree: &str) -> Vec<Value> {
    let edit = p.edit.as_ref();
    let field = |f: fn(&crate::capture::PatchEdit) -> &Option<String>| edit.map_or(Value::Null, |e| text(f(e)));
    // Text and patch parts live in typed columns; only other types need the raw JSON.
    let raw = if p.text.is_none() && edit.is_none() { Value::Text(p.raw.to_string()) } else { Value::Null };
    vec![
        Value::Text(p.session_id.clone()),
        Value::Text(p.part_id.clone()),
        Value::Text(p.message_id.clone()),
        Value::Text(p.part_type.clone()),
        Value::Integer(p.time_ms),
        Value::Text(worktree.into()),
        text(&p.text),
        edit.map_or(Value::Null, |e| Value::Text(e.file_path.clone())),
        field(|e| &e.old_path),
        field(|e| &e.tool),
        field(|e| &e.status),
        field(|e| &e.patch),
        field(|e| &e.before),
        field(|e| &e.after),
        text(&p.tool_name),
        text(&p.tool_version),
        raw,
    ]
}

impl Store {
    /// Stores a batch of events from one worktree in one transaction. Idempotent:
    /// storing the same batch again leaves the DB as it was.
    pub fn ingest(&self, worktree: &str, events: &[CapturedEvent]) -> Result<(), StoreError> {
        self.ingest_batches(&[(worktree, events)])
    }

    /// Stores several batches, in order, in one transaction (spool drain + the new batch).
    pub fn ingest_batches(&self, batches: &[(&str, &[CapturedEvent])]) -> Result<(), StoreError> {
        self.transaction(|conn| {
            let mut upsert_message = block(conn.prepare_cached(UPSERT_MESSAGE))?;
            let mut upsert_part = block(conn.prepare_cached(UPSERT_PART))?;
            for (worktree, events) in batches {
                for event in events.iter() {
                    match event {
                        CapturedEvent::Message(m) => block(upsert_message.execute(message_params(m)))?,
                        CapturedEvent::Part(p) => block(upsert_part.execute(part_params(p, worktree)))?,
                    };
                }
            }
            Ok(())
        })
    }

    /// Agent edits of `paths` in `worktree` that arrived after `after_seq[path]`,
    /// oldest first, each with the model of its message.
    pub fn edits_for_paths(&self, worktree: &str, paths: &[(String, i64)]) -> Result<Vec<StoredEdit>, StoreError> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        self.with_query_retry(|conn| {
            let mut edits = Vec::new();
            let mut stmt = block(conn.prepare_cached(
                "SELECT p.seq, p.session_id, m.model_id, COALESCE(p.tool_name, m.tool_name), \
                 COALESCE(p.tool_version, m.tool_version), p.time_ms, p.file_path, p.old_path, p.status, \
                 p.patch, p.before_text, p.after_text \
                 FROM parts p LEFT JOIN messages m ON m.session_id = p.session_id AND m.message_id = p.message_id \
                 WHERE p.worktree = ?1 AND p.file_path = ?2 AND p.seq > ?3 AND p.part_type = 'patch' \
                 ORDER BY p.seq",
            ))?;
            for (path, after_seq) in paths {
                let mut rows = block(stmt.query((worktree, path.as_str(), *after_seq)))?;
                while let Some(row) = block(rows.next())? {
                    edits.push(StoredEdit {
                        seq: row.get(0)?,
                        session_id: row.get(1)?,
                        model_id: row.get(2)?,
                        tool_name: row.get(3)?,
                        tool_version: row.get(4)?,
                        time_ms: row.get(5)?,
                        file_path: row.get(6)?,
                        old_path: row.get(7)?,
                        status: row.get(8)?,
                        patch: row.get(9)?,
                        before: row.get(10)?,
                        after: row.get(11)?,
                    });
                }
            }
            edits.sort_by_key(|e| e.seq);
            Ok(edits)
        })
    }

    /// Paths in `worktree` with agent edits newer than any state sce holds for them.
    pub fn paths_with_new_edits(&self, worktree: &str) -> Result<Vec<(String, i64)>, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query(
                "SELECT p.file_path, COALESCE(s.last_seq, 0) FROM parts p \
                 LEFT JOIN file_states s ON s.worktree = p.worktree AND s.path = p.file_path \
                 WHERE p.worktree = ?1 AND p.part_type = 'patch' AND p.seq > COALESCE(s.last_seq, 0) \
                 GROUP BY p.file_path",
                [worktree],
            ))?;
            let mut out = Vec::new();
            while let Some(row) = block(rows.next())? {
                out.push((row.get(0)?, row.get(1)?));
            }
            Ok(out)
        })
    }

    /// All messages of a session, for display and tests.
    pub fn messages_of_session(&self, session_id: &str) -> Result<Vec<StoredMessage>, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query(
                "SELECT session_id, message_id, role, model_id FROM messages WHERE session_id = ?1 ORDER BY message_id",
                [session_id],
            ))?;
            let mut out = Vec::new();
            while let Some(row) = block(rows.next())? {
                out.push(StoredMessage {
                    session_id: row.get(0)?,
                    message_id: row.get(1)?,
                    role: row.get(2)?,
                    model_id: row.get(3)?,
                });
            }
            Ok(out)
        })
    }
}
