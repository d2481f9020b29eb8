//! Per-file agent views, Agent Trace records and commits awaiting a record.

use super::{Store, StoreError, block};

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
                    out.push(FileStateRow { path: row.get(0)?, state: row.get(1)?, last_seq: row.get(2)? });
                }
            }
            Ok(out)
        })
    }

    /// Paths with a stored view in `worktree` that are not in `present` (candidates for a move).
    pub fn state_paths(&self, worktree: &str) -> Result<Vec<String>, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query("SELECT path FROM file_states WHERE worktree = ?1", [worktree]))?;
            let mut out = Vec::new();
            while let Some(row) = block(rows.next())? {
                out.push(row.get(0)?);
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
                block(upsert.execute((worktree, s.path.as_str(), s.state.as_str(), s.last_seq)))?;
            }
            let mut delete = block(conn.prepare_cached("DELETE FROM file_states WHERE worktree = ?1 AND path = ?2"))?;
            for path in &write.removed_states {
                block(delete.execute((worktree, path.as_str())))?;
            }
            if let Some((sha, record)) = &write.record {
                block(conn.execute(
                    "INSERT INTO records (commit_sha, record, created_ms) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (commit_sha) DO UPDATE SET record = excluded.record, created_ms = excluded.created_ms",
                    (sha.as_str(), record.as_str(), now_ms),
                ))?;
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
