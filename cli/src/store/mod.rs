//! Store: the embedded Turso database in the git common dir, its migrations,
//! retry policy, spool, and the queries the rest of sce needs.
//!
//! Locking: every sce process opens the DB in Turso's default mode, which holds
//! an exclusive lock while the DB is open (see context/decisions/0001-db-locking-mode.md).
//! Processes keep it open for milliseconds; contenders retry the open.

mod conversation;
mod conversation_read;
mod events;
mod gc;
mod line_edits;
mod migrate;
mod paths;
pub mod pending;
mod records;
pub mod retention;
mod retry;
mod session_list;
mod sessions;
mod spool;
mod texts;
mod turn;
mod turns;
mod upkeep;

use std::path::PathBuf;

pub use conversation::{Conversation, ConversationMessage, ConversationPart, EditTexts, SessionSpan};
pub use conversation_read::{MessageFields, StoredConversation, StoredText};
pub use events::{StoredEdit, StoredMessage};
pub use gc::{GcPlan, GcReport};
pub use line_edits::LineEdits;
pub use migrate::SCHEMA_VERSION;
pub use paths::StorePaths;
pub use records::{CommitWrite, FileStateRow};
pub use retry::{GaveUp, is_transient, with_retry};
pub use session_list::{SessionPrompt, SessionSummary};
pub use sessions::{SessionGitContext, SessionRow};
pub use spool::{Spool, SpoolDrain, SpoolError, SpooledBatch};
pub use turns::{EditPart, SessionText};
pub use upkeep::{DEFAULT_WAL_MAX_BYTES, DbSizes};

use crate::config::DatabaseRetry;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The sce directory cannot be created.
    #[error("cannot create {path}: {source}; check the permissions of the repository's git directory")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The DB stayed locked, busy or failing transiently (I/O) past the retry budget.
    #[error(
        "the sce database {path} could not be used for {elapsed_ms} ms ({attempts} attempts): {last}; \
             check `sce doctor`"
    )]
    Unavailable {
        /// The DB file.
        path: PathBuf,
        /// Attempts made.
        attempts: u32,
        /// Time spent.
        elapsed_ms: u128,
        /// The last error.
        last: turso::Error,
    },
    /// The DB is not usable: corrupt, not a database, read-only, or a bug in a query.
    #[error("the sce database {path} failed: {source}; run `sce doctor` to check it")]
    Failed {
        /// The DB file.
        path: PathBuf,
        /// The error.
        source: turso::Error,
    },
    /// A stored value cannot be read back.
    #[error("the sce database {path} holds a value sce cannot read ({what}); run `sce doctor`")]
    BadValue {
        /// The DB file.
        path: PathBuf,
        /// What was being read.
        what: String,
    },
}

impl StoreError {
    /// True when waiting and trying again later may succeed (so spooling makes sense).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }

    fn from_gave_up(path: &std::path::Path, gave_up: GaveUp) -> StoreError {
        if gave_up.transient {
            StoreError::Unavailable {
                path: path.to_path_buf(),
                attempts: gave_up.attempts,
                elapsed_ms: gave_up.elapsed_ms,
                last: gave_up.last,
            }
        } else {
            StoreError::Failed { path: path.to_path_buf(), source: gave_up.last }
        }
    }
}

/// An open sce database. Holds the exclusive lock until dropped.
pub struct Store {
    // Kept alive for as long as the connection: dropping it releases the lock.
    _db: turso::Database,
    conn: turso::Connection,
    paths: StorePaths,
    retry: DatabaseRetry,
    /// Past this many WAL bytes the store checkpoints and truncates the WAL when it closes.
    wal_max_bytes: u64,
    // Declared last so it is released last: the next process's turn starts only
    // once this one's DB handles are closed.
    _turn: std::fs::File,
}

/// Runs a turso future to completion; turso is runtime-agnostic and its I/O is synchronous underneath.
fn block<F: std::future::Future>(future: F) -> F::Output {
    pollster::block_on(future)
}

impl Store {
    /// Opens (creating if needed) the DB, waiting out other processes' locks per
    /// the `connection_open` policy, and applies pending migrations.
    pub fn open(paths: &StorePaths, retry: &DatabaseRetry) -> Result<Store, StoreError> {
        paths.ensure_dir().map_err(|source| StoreError::CreateDir { path: paths.dir.clone(), source })?;
        let turn =
            turn::wait_for_turn(&paths.db_lock, std::time::Duration::from_millis(retry.connection_open.timeout_ms))
                .map_err(|e| match e {
                    turn::TurnError::TimedOut => StoreError::Unavailable {
                        path: paths.db.clone(),
                        attempts: 1,
                        elapsed_ms: u128::from(retry.connection_open.timeout_ms),
                        last: turso::Error::Busy("another sce process kept its turn at the database".into()),
                    },
                    turn::TurnError::Io(source) => StoreError::CreateDir { path: paths.db_lock.clone(), source },
                })?;
        let db_path = paths.db.to_string_lossy().into_owned();
        // Other programs that open the DB do not take turns: retry the open for them.
        let (db, conn) = with_retry(&retry.connection_open, || {
            let db = block(turso::Builder::new_local(&db_path).build())?;
            let conn = db.connect()?;
            // Temporary tables stay in memory: a temp file costs a directory and two fsyncs per process.
            block(conn.execute("PRAGMA temp_store = MEMORY", ()))?;
            // The lock may only show on first access: touch the DB inside the retry.
            block(conn.query("PRAGMA user_version", ()))?;
            Ok((db, conn))
        })
        .map_err(|gave_up| StoreError::from_gave_up(&paths.db, gave_up))?;
        #[cfg(unix)]
        restrict_permissions(&paths.db);
        tracing::debug!(db = %paths.db.display(), "opened the database");
        let store = Store {
            _db: db,
            conn,
            paths: paths.clone(),
            retry: *retry,
            wal_max_bytes: DEFAULT_WAL_MAX_BYTES,
            _turn: turn,
        };
        store.migrate()?;
        Ok(store)
    }

    /// Opens the store as the configuration says: its retry policy and WAL bound.
    pub fn open_configured(paths: &StorePaths, config: &crate::config::Config) -> Result<Store, StoreError> {
        Ok(Store::open(paths, &config.policies.database_retry.agent_trace_db)?
            .with_wal_max_bytes(config.retention.wal_max_bytes))
    }

    /// The files this store uses.
    pub fn paths(&self) -> &StorePaths {
        &self.paths
    }

    /// Runs `work` under the query retry policy (outside any transaction).
    fn with_query_retry<T>(
        &self,
        mut work: impl FnMut(&turso::Connection) -> Result<T, turso::Error>,
    ) -> Result<T, StoreError> {
        with_retry(&self.retry.query, || work(&self.conn))
            .map_err(|gave_up| StoreError::from_gave_up(&self.paths.db, gave_up))
    }

    /// Runs `work` in one `BEGIN IMMEDIATE` transaction; on a transient error the
    /// whole transaction is rolled back and run again, so `work` must be idempotent.
    pub(crate) fn transaction<T>(
        &self,
        work: impl FnMut(&turso::Connection) -> Result<T, turso::Error>,
    ) -> Result<T, StoreError> {
        self.transaction_ending(true, work)
    }

    /// Like [`Store::transaction`], but rolled back at the end unless `commit`: a dry
    /// run does the real work and reports it, leaving the DB as it was.
    pub(crate) fn transaction_ending<T>(
        &self,
        commit: bool,
        mut work: impl FnMut(&turso::Connection) -> Result<T, turso::Error>,
    ) -> Result<T, StoreError> {
        let end = if commit { "COMMIT" } else { "ROLLBACK" };
        self.with_query_retry(|conn| {
            block(conn.execute("BEGIN IMMEDIATE", ()))?;
            match work(conn) {
                Ok(value) => match block(conn.execute(end, ())) {
                    Ok(_) => Ok(value),
                    Err(e) => {
                        let _ = block(conn.execute("ROLLBACK", ()));
                        Err(e)
                    }
                },
                Err(e) => {
                    let _ = block(conn.execute("ROLLBACK", ()));
                    Err(e)
                }
            }
        })
    }

    /// Runs `PRAGMA integrity_check`; `Ok(None)` when the DB is sound, else what it found.
    pub fn integrity_problems(&self) -> Result<Option<String>, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query("PRAGMA integrity_check", ()))?;
            let mut found = Vec::new();
            while let Some(row) = block(rows.next())? {
                let line: String = row.get(0)?;
                if line != "ok" {
                    found.push(line);
                }
            }
            Ok(if found.is_empty() { None } else { Some(found.join("; ")) })
        })
    }

    /// Counts the rows of a table (for diagnostics and tests).
    pub fn count(&self, table: CountedTable) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM {}", table.name());
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query(&sql, ()))?;
            match block(rows.next())? {
                Some(row) => row.get::<i64>(0),
                None => Ok(0),
            }
        })
    }
}

/// Tables whose size is reported.
#[derive(Debug, Clone, Copy)]
pub enum CountedTable {
    /// Agent messages.
    Messages,
    /// Message parts.
    Parts,
    /// Agent Trace records.
    Records,
    /// Commits awaiting a record.
    PendingCommits,
    /// Stored edit texts (each distinct text once).
    Texts,
    /// Edits whose texts are still kept.
    EditTexts,
    /// Per-file agent views.
    FileStates,
}

impl CountedTable {
    fn name(self) -> &'static str {
        match self {
            CountedTable::Messages => "messages",
            CountedTable::Parts => "parts",
            CountedTable::Records => "records",
            CountedTable::PendingCommits => "pending_commits",
            CountedTable::Texts => "texts",
            CountedTable::EditTexts => "edit_texts",
            CountedTable::FileStates => "file_states",
        }
    }
}

/// Makes the DB and its WAL readable by the owner only; best effort.
#[cfg(unix)]
fn restrict_permissions(db: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    for path in [db.to_path_buf(), PathBuf::from(wal)] {
        if let Ok(meta) = std::fs::metadata(&path)
            && meta.permissions().mode() & 0o077 != 0
        {
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        }
    }
}

impl Store {
    /// Every row of every data table as text, in a stable order: lets tests and
    /// `doctor` compare two states of the DB exactly.
    pub fn snapshot(&self) -> Result<Vec<String>, StoreError> {
        const TABLES: &[(&str, &str)] = &[
            ("messages", "session_id, message_id"),
            ("parts", "seq"),
            ("file_states", "worktree, path"),
            ("records", "commit_sha"),
            ("pending_commits", "commit_sha"),
            ("texts", "id"),
            ("edit_texts", "seq"),
            ("unfolded_paths", "worktree, path"),
            ("counters", "name"),
        ];
        let mut out = Vec::new();
        for (table, order) in TABLES {
            let sql = format!("SELECT * FROM {table} ORDER BY {order}");
            let rows = self.with_query_retry(|conn| {
                let mut rows = block(conn.query(&sql, ()))?;
                let mut lines = Vec::new();
                while let Some(row) = block(rows.next())? {
                    let values: Vec<String> =
                        (0..row.column_count()).map(|i| format!("{:?}", row.get_value(i).ok())).collect();
                    lines.push(format!("{table}: {}", values.join(" | ")));
                }
                Ok(lines)
            })?;
            out.extend(rows);
        }
        Ok(out)
    }
}
