//! Keeping the DB's cost flat: a bounded WAL (every open reads the whole WAL in
//! Turso's exclusive mode, so no process may leave a large one behind), sizes for
//! `sce doctor` and `sce gc`, and compaction that returns free pages to the disk.

use std::path::{Path, PathBuf};

use super::{Store, StoreError, block};

/// WAL size past which a closing process checkpoints and truncates it: reading a
/// WAL this size on open costs well under a millisecond.
pub const DEFAULT_WAL_MAX_BYTES: u64 = 1024 * 1024;

/// Compaction is worth it when at least this share of the pages is free…
const COMPACT_FREE_SHARE: f64 = 0.25;
/// …and the free pages add up to at least this many bytes.
const COMPACT_MIN_FREE_BYTES: u64 = 1024 * 1024;

/// Sizes of the DB files and pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DbSizes {
    /// The DB file, in bytes.
    pub db_bytes: u64,
    /// The WAL file, in bytes (0 when absent).
    pub wal_bytes: u64,
    /// Pages in the DB.
    pub page_count: u64,
    /// Pages on the freelist (reusable, or returned to the disk by compaction).
    pub free_pages: u64,
    /// Bytes per page.
    pub page_size: u64,
}

impl DbSizes {
    /// Bytes on the freelist.
    pub fn free_bytes(&self) -> u64 {
        self.free_pages * self.page_size
    }

    /// Whether compacting would return enough space to the disk to be worth its cost.
    pub fn compaction_worthwhile(&self) -> bool {
        self.page_count > 0
            && self.free_bytes() >= COMPACT_MIN_FREE_BYTES
            && self.free_pages as f64 / self.page_count as f64 >= COMPACT_FREE_SHARE
    }
}

/// The WAL file beside a DB file.
pub(crate) fn wal_path(db: &Path) -> PathBuf {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

impl Store {
    /// Sets the WAL size past which closing this store truncates the WAL.
    pub fn with_wal_max_bytes(mut self, bytes: u64) -> Store {
        self.wal_max_bytes = bytes;
        self
    }

    /// Copies the WAL into the DB and truncates it, so the next open reads nothing of it.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.with_query_retry(|conn| {
            let mut rows = block(conn.query("PRAGMA wal_checkpoint(TRUNCATE)", ()))?;
            while block(rows.next())?.is_some() {}
            Ok(())
        })
    }

    /// Checkpoints when the WAL has grown past the bound; what every process does as it closes.
    pub fn checkpoint_if_large(&self) -> Result<bool, StoreError> {
        if file_len(&wal_path(&self.paths.db)) <= self.wal_max_bytes {
            return Ok(false);
        }
        self.checkpoint()?;
        Ok(true)
    }

    /// The sizes of the DB, its WAL and its freelist.
    pub fn sizes(&self) -> Result<DbSizes, StoreError> {
        let pragma = |name: &str| -> Result<u64, StoreError> {
            self.with_query_retry(|conn| {
                let mut rows = block(conn.query(format!("PRAGMA {name}"), ()))?;
                match block(rows.next())? {
                    Some(row) => Ok(row.get::<i64>(0)?.max(0) as u64),
                    None => Ok(0),
                }
            })
        };
        Ok(DbSizes {
            db_bytes: file_len(&self.paths.db),
            wal_bytes: file_len(&wal_path(&self.paths.db)),
            page_count: pragma("page_count")?,
            free_pages: pragma("freelist_count")?,
            page_size: pragma("page_size")?,
        })
    }

    /// Rewrites the DB without its free pages (`VACUUM INTO` a file beside it, then
    /// an atomic rename), holding this process's turn throughout so no sce process
    /// sees the switch. A crash leaves either the old DB or the new one, whole.
    pub fn compact(self) -> Result<(), StoreError> {
        let paths = self.paths.clone();
        let compacted = compacted_path(&paths.db);
        let io = |e: std::io::Error| StoreError::Failed {
            path: paths.db.clone(),
            source: turso::Error::Error(format!("compacting into {}: {e}", compacted.display())),
        };
        remove_if_present(&compacted).map_err(io)?;
        remove_if_present(&wal_path(&compacted)).map_err(io)?;
        self.checkpoint()?;
        // Turso takes VACUUM INTO's path verbatim between quotes (no '' escape): a path
        // with a quote goes through a quote-free link to the directory instead.
        let link = quote_free_dir(&paths.dir).map_err(io)?;
        let target = match &link {
            Some(link) => link.path().join("dir").join(compacted.file_name().unwrap_or_default()),
            None => compacted.clone(),
        };
        let target = target.to_string_lossy().into_owned();
        if target.contains(['\'', '"']) {
            return Err(StoreError::Failed {
                path: paths.db.clone(),
                source: turso::Error::Error(
                    "cannot compact: the database's path and the temp dir both contain quotes".into(),
                ),
            });
        }
        block(self.conn.execute(format!("VACUUM INTO '{target}'"), ()))
            .map_err(|source| StoreError::Failed { path: paths.db.clone(), source })?;
        drop(link);
        // Close the old DB (its WAL is empty after the checkpoint) but keep the turn:
        // a duplicate handle shares the kernel lock.
        let turn = self._turn.try_clone().map_err(io)?;
        drop(self);
        std::fs::File::open(&compacted).and_then(|f| f.sync_all()).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&compacted, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
        std::fs::rename(&compacted, &paths.db).map_err(io)?;
        if let Some(dir) = paths.db.parent() {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        let wal = wal_path(&paths.db);
        if file_len(&wal) == 0 {
            let _ = std::fs::remove_file(&wal);
        }
        let _ = remove_if_present(&wal_path(&compacted));
        drop(turn);
        Ok(())
    }
}

/// When `dir`'s path has a quote: a temp dir holding a link `dir` to it.
fn quote_free_dir(dir: &Path) -> std::io::Result<Option<tempfile::TempDir>> {
    if !dir.to_string_lossy().contains(['\'', '"']) {
        return Ok(None);
    }
    let link = tempfile::Builder::new().prefix("sce-compact-").tempdir()?;
    #[cfg(unix)]
    std::os::unix::fs::symlink(std::path::absolute(dir)?, link.path().join("dir"))?;
    Ok(Some(link))
}

/// Where compaction writes the new DB before renaming it over the old one.
pub(crate) fn compacted_path(db: &Path) -> PathBuf {
    let mut path = db.as_os_str().to_owned();
    path.push(".compacting");
    PathBuf::from(path)
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // No process pays for a WAL an earlier one left: whoever grew it past the bound truncates it.
        match self.checkpoint_if_large() {
            Ok(true) => tracing::debug!("checkpointed and truncated the WAL"),
            Ok(false) => {}
            Err(e) => tracing::debug!("could not checkpoint the WAL: {e}"),
        }
    }
}
