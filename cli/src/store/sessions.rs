//! Sessions as sce knows them beyond their messages: the git context they started
//! in, whether a person excluded them from exports, where an import found them.

use turso::Value;

use super::{Store, StoreError, block};

/// The git state a session started in.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionGitContext {
    /// The remote URL (`origin`, else the first remote), credentials stripped.
    pub remote_url: Option<String>,
    /// The branch checked out (None when detached).
    pub branch: Option<String>,
    /// The commit HEAD pointed at.
    pub head_sha: Option<String>,
}

/// One row of the `sessions` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionRow {
    /// The agent's own session id.
    pub session_id: String,
    /// The agent tool, when known.
    pub tool_name: Option<String>,
    /// The git context it started in.
    pub git: SessionGitContext,
    /// When the git context was resolved; None: never.
    pub context_ms: Option<i64>,
    /// True when a person excluded the session from exports.
    pub excluded: bool,
    /// The transcript an import last read it from.
    pub imported_from: Option<String>,
}

fn opt(value: &Option<String>) -> Value {
    value.as_ref().map_or(Value::Null, |s| Value::Text(s.clone()))
}

impl Store {
    /// The sessions among `ids` whose git context is still to resolve: no row yet, or
    /// a row (an exclusion, an import without git context) that has none.
    pub fn sessions_without_context(&self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        self.with_query_retry(|conn| {
            let mut stmt =
                block(conn.prepare_cached("SELECT 1 FROM sessions WHERE session_id = ?1 AND context_ms IS NOT NULL"))?;
            let mut missing = Vec::new();
            for id in ids {
                let mut rows = block(stmt.query((id.as_str(),)))?;
                if block(rows.next())?.is_none() {
                    missing.push(id.clone());
                }
            }
            Ok(missing)
        })
    }

    /// Records a session's git context unless one is already known (the first one
    /// seen is the one the session started in); creates the row if needed.
    pub fn record_git_context(
        &self,
        session_id: &str,
        tool_name: Option<&str>,
        git: &SessionGitContext,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let params = vec![
            Value::Text(session_id.into()),
            tool_name.map_or(Value::Null, |t| Value::Text(t.into())),
            opt(&git.remote_url),
            opt(&git.branch),
            opt(&git.head_sha),
            Value::Integer(now_ms),
        ];
        self.transaction(|conn| {
            block(conn.execute(
                "INSERT INTO sessions (session_id, tool_name, remote_url, branch, head_sha, context_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (session_id) DO UPDATE SET \
                 tool_name = COALESCE(sessions.tool_name, excluded.tool_name), \
                 remote_url = CASE WHEN sessions.context_ms IS NULL THEN excluded.remote_url ELSE sessions.remote_url END, \
                 branch = CASE WHEN sessions.context_ms IS NULL THEN excluded.branch ELSE sessions.branch END, \
                 head_sha = CASE WHEN sessions.context_ms IS NULL THEN excluded.head_sha ELSE sessions.head_sha END, \
                 context_ms = COALESCE(sessions.context_ms, excluded.context_ms)",
                params.clone(),
            ))?;
            Ok(())
        })
    }

    /// Marks a session excluded from (or included in) exports; false when sce has
    /// never heard of the session.
    pub fn set_session_excluded(&self, session_id: &str, excluded: bool) -> Result<bool, StoreError> {
        self.transaction(|conn| {
            let known = {
                let mut rows = block(conn.query(
                    "SELECT 1 FROM messages WHERE session_id = ?1 UNION SELECT 1 FROM sessions WHERE session_id = ?1 LIMIT 1",
                    (session_id,),
                ))?;
                block(rows.next())?.is_some()
            };
            if known {
                block(conn.execute(
                    "INSERT INTO sessions (session_id, excluded) VALUES (?1, ?2) \
                     ON CONFLICT (session_id) DO UPDATE SET excluded = excluded.excluded",
                    (session_id, i64::from(excluded)),
                ))?;
            }
            Ok(known)
        })
    }

    /// Remembers the transcript an import read a session from.
    pub fn record_import_source(&self, session_id: &str, tool_name: &str, path: &str) -> Result<(), StoreError> {
        self.transaction(|conn| {
            block(conn.execute(
                "INSERT INTO sessions (session_id, tool_name, imported_from) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (session_id) DO UPDATE SET imported_from = excluded.imported_from, \
                 tool_name = COALESCE(sessions.tool_name, excluded.tool_name)",
                (session_id, tool_name, path),
            ))?;
            Ok(())
        })
    }

    /// The row of one session, if any.
    pub fn session_row(&self, session_id: &str) -> Result<Option<SessionRow>, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query(
                "SELECT session_id, tool_name, remote_url, branch, head_sha, context_ms, excluded, imported_from \
                 FROM sessions WHERE session_id = ?1",
                (session_id,),
            ))?;
            match block(rows.next())? {
                Some(row) => Ok(Some(session_row(&row)?)),
                None => Ok(None),
            }
        })
    }
}

/// Reads a `sessions` row selected as in [`Store::session_row`].
pub(crate) fn session_row(row: &turso::Row) -> Result<SessionRow, turso::Error> {
    Ok(SessionRow {
        session_id: row.get(0)?,
        tool_name: row.get(1)?,
        git: SessionGitContext { remote_url: row.get(2)?, branch: row.get(3)?, head_sha: row.get(4)? },
        context_ms: row.get(5)?,
        excluded: row.get::<i64>(6)? != 0,
        imported_from: row.get(7)?,
    })
}
