//! Writing captured events and reading back what attribution needs.

use turso::Value;

use super::{Store, StoreError, block, texts};
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
// A new part takes the next seq from the counter: seqs are never reused, even
// after gc removed the newest parts, so `seq <= last_seq` always means "folded".
const INSERT_PART: &str = "INSERT INTO parts (session_id, part_id, message_id, part_type, time_ms, worktree, \
     text, file_path, old_path, edit_tool, status, tool_name, tool_version, raw, seq) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

// A part sent again replaces the stored one (the caller checked it is not older); its seq stays.
const UPDATE_PART: &str = "UPDATE parts SET message_id = ?3, part_type = ?4, time_ms = ?5, worktree = ?6, \
     text = ?7, file_path = ?8, old_path = ?9, edit_tool = ?10, status = ?11, \
     tool_name = COALESCE(?12, tool_name), tool_version = COALESCE(?13, tool_version), raw = ?14 \
     WHERE seq = ?15 AND session_id = ?1 AND part_id = ?2";

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
        text(&p.tool_name),
        text(&p.tool_version),
        raw,
    ]
}

/// Upserts one part unless the stored one is newer; an edit's texts are interned
/// and its path listed as unfolded.
fn ingest_part(conn: &turso::Connection, p: &PartEvent, worktree: &str) -> Result<(), turso::Error> {
    let mut existing =
        block(conn.prepare_cached("SELECT seq, time_ms FROM parts WHERE session_id = ?1 AND part_id = ?2"))?;
    let mut rows = block(existing.query((p.session_id.as_str(), p.part_id.as_str())))?;
    let stored: Option<(i64, i64)> = match block(rows.next())? {
        Some(row) => Some((row.get(0)?, row.get(1)?)),
        None => None,
    };
    drop(rows);
    // Replaying an older version of a part after a newer one changes nothing.
    if stored.is_some_and(|(_, time_ms)| time_ms > p.time_ms) {
        return Ok(());
    }
    let seq = match stored {
        Some((seq, _)) => seq,
        None => next_part_seq(conn)?,
    };
    let mut params = part_params(p, worktree);
    params.push(Value::Integer(seq));
    let sql = if stored.is_some() { UPDATE_PART } else { INSERT_PART };
    block(block(conn.prepare_cached(sql))?.execute(params))?;
    if stored.is_some() {
        // A part sent again replaces its texts; the old ones go unless another edit shares them.
        let mut old =
            block(conn.prepare_cached("SELECT before_id, after_id, patch_id FROM edit_texts WHERE seq = ?1"))?;
        let mut rows = block(old.query([seq]))?;
        let mut old_ids = Vec::new();
        if let Some(row) = block(rows.next())? {
            for i in 0..3 {
                if let Value::Integer(id) = row.get_value(i)? {
                    old_ids.push(id);
                }
            }
        }
        drop(rows);
        let mut clear = block(conn.prepare_cached("DELETE FROM edit_texts WHERE seq = ?1"))?;
        block(clear.execute([seq]))?;
        store_edit_texts(conn, p, worktree, seq)?;
        texts::remove_unreferenced(conn, &old_ids)?;
        return Ok(());
    }
    store_edit_texts(conn, p, worktree, seq)
}

/// The next part seq, from the counter that outlives deleted parts.
fn next_part_seq(conn: &turso::Connection) -> Result<i64, turso::Error> {
    let mut read = block(conn.prepare_cached("SELECT value FROM counters WHERE name = 'part_seq'"))?;
    let mut rows = block(read.query(()))?;
    let last: i64 = match block(rows.next())? {
        Some(row) => row.get(0)?,
        None => 0,
    };
    drop(rows);
    let next = last + 1;
    let mut write = block(conn.prepare_cached(
        "INSERT INTO counters (name, value) VALUES ('part_seq', ?1) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    ))?;
    block(write.execute([next]))?;
    Ok(next)
}

/// Interns the texts of a patch part's edit and lists its path as unfolded.
fn store_edit_texts(conn: &turso::Connection, p: &PartEvent, worktree: &str, seq: i64) -> Result<(), turso::Error> {
    let Some(edit) = p.edit.as_ref() else { return Ok(()) };
    // Attribution reads the patch only when no `after` was reported: keep nothing it never reads.
    let patch = if edit.after.is_some() { None } else { edit.patch.as_deref() };
    let ids = texts::intern_edit(conn, edit.before.as_deref(), edit.after.as_deref(), patch)?;
    if ids.iter().any(Option::is_some) {
        let [before, after, patch] = ids.map(|id| id.map_or(Value::Null, Value::Integer));
        let ids = (seq, before, after, patch);
        let mut insert = block(
            conn.prepare_cached("INSERT INTO edit_texts (seq, before_id, after_id, patch_id) VALUES (?1, ?2, ?3, ?4)"),
        )?;
        block(insert.execute(ids))?;
    }
    let mut unfolded =
        block(conn.prepare_cached("INSERT OR IGNORE INTO unfolded_paths (worktree, path) VALUES (?1, ?2)"))?;
    block(unfolded.execute((worktree, edit.file_path.as_str())))?;
    Ok(())
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
            for (worktree, events) in batches {
                for event in events.iter() {
                    match event {
                        CapturedEvent::Message(m) => {
                            block(upsert_message.execute(message_params(m)))?;
                        }
                        CapturedEvent::Part(p) => ingest_part(conn, p, worktree)?,
                    }
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
            let mut text_ids = Vec::new();
            let mut stmt = block(conn.prepare_cached(
                "SELECT p.seq, p.session_id, m.model_id, COALESCE(p.tool_name, m.tool_name), \
                 COALESCE(p.tool_version, m.tool_version), p.time_ms, p.file_path, p.old_path, p.status, \
                 e.patch_id, e.before_id, e.after_id \
                 FROM parts p LEFT JOIN messages m ON m.session_id = p.session_id AND m.message_id = p.message_id \
                 LEFT JOIN edit_texts e ON e.seq = p.seq \
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
                        patch: None,
                        before: None,
                        after: None,
                    });
                    text_ids.push([row.get_value(9)?, row.get_value(10)?, row.get_value(11)?]);
                }
            }
            // One reader for the batch: consecutive edits of a file share their bases.
            let mut reader = texts::TextReader::default();
            for (edit, [patch, before, after]) in edits.iter_mut().zip(text_ids) {
                edit.patch = reader.read(conn, patch)?;
                edit.before = reader.read(conn, before)?;
                edit.after = reader.read(conn, after)?;
            }
            edits.sort_by_key(|e| e.seq);
            Ok(edits)
        })
    }

    /// Paths in `worktree` with agent edits newer than any view sce holds of them,
    /// each with the last edit its view covers (0 without a view). Reads the short
    /// list of unfolded paths, never every stored edit.
    pub fn paths_with_new_edits(&self, worktree: &str) -> Result<Vec<(String, i64)>, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query(
                "SELECT u.path, COALESCE(s.last_seq, 0) FROM unfolded_paths u \
                 LEFT JOIN file_states s ON s.worktree = u.worktree AND s.path = u.path \
                 WHERE u.worktree = ?1 AND EXISTS (SELECT 1 FROM parts p WHERE p.worktree = u.worktree \
                 AND p.file_path = u.path AND p.part_type = 'patch' AND p.seq > COALESCE(s.last_seq, 0)) \
                 ORDER BY u.path",
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
