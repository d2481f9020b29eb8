//! Per-file agent views, Agent Trace records and commits awaiting a record.

use turso::Value;

use super::{Store, StoreError, block, texts};

/// Paths looked up per statement.
const LOOKUP_CHUNK: usize = 100;

/// Compresses a view's JSON for storage (views repeat their file's lines).
pub(crate) fn pack_view(json: &str) -> Result<Value, turso::Error> {
    Ok(Value::Blob(texts::compress(json.as_bytes())?))
}

/// Reads a stored view back to its JSON (schema 1 stored the JSON as text).
fn unpack_view(value: Value) -> Result<String, turso::Error> {
    match value {
        Value::Text(json) => Ok(json),
        Value::Blob(data) => {
            let bytes = texts::decompress(&data)?;
            String::from_utf8(bytes).map_err(|_| turso::Error::Error("a stored file view is not UTF-8".into()))
        }
        _ => Err(turso::Error::Error("a stored file view is neither text nor a blob".into())),
    }
}

/// The stored agent view of one file (serialised by `attribution`).
#[derive(Debug, Clone, PartialEq)]
pub struct FileStateRow {
    /// Repo-relative path.
    pub path: String,
    /// The serialised view.
    pub state: String,
    /// The last edit folded into it.
    pub last_seq: i64,
}

/// Everything one post-commit writes, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct CommitWrite {
    /// Views to insert or replace.
    pub states: Vec<FileStateRow>,
    /// Views to delete (the file is gone or moved).
    pub removed_states: Vec<String>,
    /// The record of the commit: (sha, JSON).
    pub record: Option<(String, String)>,
    /// Per file of the commit, the edits that wrote its agent lines (with the record).
    pub line_edits: Vec<(String, super::LineEdits)>,
}

impl Store {
    /// Loads the stored views of `paths` in `worktree`.
    pub fn file_states(&self, worktree: &str, paths: &[String]) -> Result<Vec<FileStateRow>, StoreError> {
        self.with_query_retry(|conn| {
            let mut stmt = block(
                conn.prepare_cached("SELECT path, state, last_seq FROM file_states WHERE worktree = ?1 AND path = ?2"),
            )?;
            let mut out = Vec::new();
            for path in paths {
                let mut rows = block(stmt.query((worktree, path.as_str())))?;
                if let Some(row) = block(rows.next())? {
                    out.push(FileStateRow {
                        path: row.get(0)?,
                        state: unpack_view(row.get_value(1)?)?,
                        last_seq: row.get(2)?,
                    });
                }
            }
            Ok(out)
        })
    }

    /// Which of `paths` have a stored view in `worktree` (index lookups, up to
    /// [`LOOKUP_CHUNK`] paths per statement).
    pub fn paths_with_view(&self, worktree: &str, paths: &[String]) -> Result<Vec<String>, StoreError> {
        self.with_query_retry(|conn| {
            let mut out = Vec::new();
            for chunk in paths.chunks(LOOKUP_CHUNK) {
                let marks: Vec<String> = (2..chunk.len() + 2).map(|i| format!("?{i}")).collect();
                let sql =
                    format!("SELECT path FROM file_states WHERE worktree = ?1 AND path IN ({})", marks.join(", "));
                let mut params = vec![Value::Text(worktree.to_string())];
                params.extend(chunk.iter().map(|p| Value::Text(p.clone())));
                let mut rows = block(block(conn.prepare_cached(&sql))?.query(params))?;
                while let Some(row) = block(rows.next())? {
                    out.push(row.get(0)?);
                }
            }
            Ok(out)
        })
    }

    /// Writes a commit's views and record, and clears its pending marker, atomically.
    pub fn write_commit(&self, worktree: &str, write: &CommitWrite, now_ms: i64) -> Result<(), StoreError> {
        self.transaction(|conn| {
            let mut upsert = block(conn.prepare_cached(
                "INSERT INTO file_states (worktree, path, state, last_seq) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (worktree, path) DO UPDATE SET state = excluded.state, last_seq = excluded.last_seq",
            ))?;
            for s in &write.states {
                block(upsert.execute((worktree, s.path.as_str(), pack_view(&s.state)?, s.last_seq)))?;
            }
            let mut delete = block(conn.prepare_cached("DELETE FROM file_states WHERE worktree = ?1 AND path = ?2"))?;
            for path in &write.removed_states {
                block(delete.execute((worktree, path.as_str())))?;
            }
            // A written view covers every edit of its path (post-commit loaded them all
            // while holding the DB): the path is no longer unfolded. A removed view's path
            // is listed again if it has edits (a view may be rebuilt from them).
            let mut unlist =
                block(conn.prepare_cached("DELETE FROM unfolded_paths WHERE worktree = ?1 AND path = ?2"))?;
            for state in &write.states {
                block(unlist.execute((worktree, state.path.as_str())))?;
            }
            let mut relist = block(conn.prepare_cached(
                "INSERT OR IGNORE INTO unfolded_paths (worktree, path) SELECT ?1, ?2 WHERE EXISTS \
                 (SELECT 1 FROM parts p WHERE p.worktree = ?1 AND p.file_path = ?2 AND p.part_type = 'patch' \
                 AND p.seq > COALESCE((SELECT last_seq FROM file_states s WHERE s.worktree = ?1 AND s.path = ?2), 0))",
            ))?;
            for path in &write.removed_states {
                block(relist.execute((worktree, path.as_str())))?;
            }
            if let Some((sha, record)) = &write.record {
                block(conn.execute(
                    "INSERT INTO records (commit_sha, record, created_ms) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (commit_sha) DO UPDATE SET record = excluded.record, created_ms = excluded.created_ms",
                    (sha.as_str(), record.as_str(), now_ms),
                ))?;
                super::line_edits::write(conn, sha, &write.line_edits)?;
                block(conn.execute("DELETE FROM pending_commits WHERE commit_sha = ?1", [sha.as_str()]))?;
            }
            Ok(())
        })
    }

    /// The stored record of a commit.
    pub fn record(&self, sha: &str) -> Result<Option<String>, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query("SELECT record FROM records WHERE commit_sha = ?1", [sha]))?;
            match block(rows.next())? {
                Some(row) => Ok(Some(row.get(0)?)),
                None => Ok(None),
            }
        })
    }

    /// Calls `visit(sha, record JSON, created_ms)` for every stored record, one row at a
    /// time (memory stays bounded however many commits there are).
    pub fn for_each_record(&self, mut visit: impl FnMut(&str, &str, i64)) -> Result<(), StoreError> {
        self.with_query_retry(|conn| {
            let mut rows =
                block(conn.query("SELECT commit_sha, record, created_ms FROM records ORDER BY created_ms", ()))?;
            while let Some(row) = block(rows.next())? {
                let sha: String = row.get(0)?;
                let record: String = row.get(1)?;
                visit(&sha, &record, row.get(2)?);
            }
            Ok(())
        })
    }

    /// Marks a commit as needing a record (post-commit failed part-way).
    pub fn mark_pending(&self, sha: &str, worktree: &str, reason: &str, now_ms: i64) -> Result<(), StoreError> {
        self.transaction(|conn| {
            block(conn.execute(
                "INSERT INTO pending_commits (commit_sha, worktree, reason, created_ms) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (commit_sha) DO UPDATE SET reason = excluded.reason",
                (sha, worktree, reason, now_ms),
            ))?;
            Ok(())
        })
    }

    /// Commits awaiting a record: (sha, worktree, reason).
    pub fn pending_commits(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows =
                block(conn.query("SELECT commit_sha, worktree, reason FROM pending_commits ORDER BY created_ms", ()))?;
            let mut out = Vec::new();
            while let Some(row) = block(rows.next())? {
                out.push((row.get(0)?, row.get(1)?, row.get(2)?));
            }
            Ok(out)
        })
    }
}
