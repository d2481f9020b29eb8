//! Schema migrations, applied in order inside one transaction each and counted by
//! `PRAGMA user_version`. A step is SQL, optionally followed by a data move that
//! needs Rust (hashing, compression).

use turso::{Connection, Value};

use super::{Store, StoreError, block, texts};

/// A data move run inside a migration's transaction.
type DataMove = fn(&Connection) -> Result<(), turso::Error>;

/// One schema version.
struct Migration {
    /// DDL (and SQL data moves).
    sql: &'static str,
    /// Data moves SQL cannot express, run after `sql` in the same transaction.
    then: Option<DataMove>,
}

/// The migrations, in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[Migration] = &[
    Migration { sql: include_str!("../../migrations/0001_init.sql"), then: None },
    Migration { sql: include_str!("../../migrations/0002_compact_edits.sql"), then: Some(compact_edits) },
    Migration { sql: include_str!("../../migrations/0003_conversations.sql"), then: None },
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

impl Store {
    /// Applies the migrations this DB has not had yet.
    pub(super) fn migrate(&self) -> Result<(), StoreError> {
        let current = self.user_version()?;
        if current as usize > SCHEMA_VERSION {
            return Err(StoreError::BadValue {
                path: self.paths.db.clone(),
                what: format!(
                    "schema version {current}, newer than this sce knows ({SCHEMA_VERSION}); install a newer sce"
                ),
            });
        }
        if current == 0 {
            // A new DB knows no session yet: markers of an old one must not say otherwise.
            let _ = std::fs::remove_dir_all(&self.paths.sessions_known);
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let version = index + 1;
            self.transaction(|conn| {
                block(conn.execute_batch(migration.sql))?;
                if let Some(then) = migration.then {
                    then(conn)?;
                }
                block(conn.execute(&format!("PRAGMA user_version = {version}"), ()))?;
                Ok(())
            })?;
            tracing::debug!(version, "migrated the database");
        }
        Ok(())
    }

    /// The schema version stored in the DB.
    pub fn user_version(&self) -> Result<i64, StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query("PRAGMA user_version", ()))?;
            match block(rows.next())? {
                Some(row) => row.get::<i64>(0),
                None => Ok(0),
            }
        })
    }
}

/// 1 → 2: edit texts move out of `parts` into content-addressed `texts` (a patch is
/// kept only when no `after` was reported), views are compressed, and the paths with
/// edits not yet folded into a view are listed in `unfolded_paths`.
fn compact_edits(conn: &Connection) -> Result<(), turso::Error> {
    let mut moved = Vec::new();
    {
        let mut rows = block(conn.query(
            "SELECT seq, before_text, after_text, patch FROM parts \
             WHERE before_text IS NOT NULL OR after_text IS NOT NULL OR patch IS NOT NULL ORDER BY seq",
            (),
        ))?;
        while let Some(row) = block(rows.next())? {
            let text = |i| -> Result<Option<String>, turso::Error> { row.get(i) };
            moved.push((row.get::<i64>(0)?, text(1)?, text(2)?, text(3)?));
        }
    }
    for (seq, before, after, patch) in moved {
        let patch = if after.is_some() { None } else { patch };
        let [before, after, patch] = texts::intern_edit(conn, before.as_deref(), after.as_deref(), patch.as_deref())?
            .map(|id| id.map_or(Value::Null, Value::Integer));
        let ids = (seq, before, after, patch);
        block(conn.execute(
            "INSERT OR REPLACE INTO edit_texts (seq, before_id, after_id, patch_id) VALUES (?1, ?2, ?3, ?4)",
            ids,
        ))?;
    }
    for column in ["before_text", "after_text", "patch"] {
        block(conn.execute(&format!("ALTER TABLE parts DROP COLUMN {column}"), ()))?;
    }

    let mut views = Vec::new();
    {
        let mut rows = block(conn.query("SELECT worktree, path, state FROM file_states", ()))?;
        while let Some(row) = block(rows.next())? {
            views.push((row.get::<String>(0)?, row.get::<String>(1)?, row.get_value(2)?));
        }
    }
    for (worktree, path, state) in views {
        if let Value::Text(json) = state {
            let packed = super::records::pack_view(&json)?;
            block(conn.execute(
                "UPDATE file_states SET state = ?1 WHERE worktree = ?2 AND path = ?3",
                (packed, worktree.as_str(), path.as_str()),
            ))?;
        }
    }

    block(conn.execute(
        "INSERT OR IGNORE INTO unfolded_paths (worktree, path) \
         SELECT DISTINCT p.worktree, p.file_path FROM parts p \
         LEFT JOIN file_states s ON s.worktree = p.worktree AND s.path = p.file_path \
         WHERE p.part_type = 'patch' AND p.file_path IS NOT NULL AND p.seq > COALESCE(s.last_seq, 0)",
        (),
    ))?;
    Ok(())
}
