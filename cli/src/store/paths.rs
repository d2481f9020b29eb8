//! Where sce keeps its files: `<git common dir>/sce/`.

use std::path::{Path, PathBuf};

/// The files of one repository's sce directory.
#[derive(Debug, Clone)]
pub struct StorePaths {
    /// `<git common dir>/sce`, shared by all worktrees.
    pub dir: PathBuf,
    /// The Turso database.
    pub db: PathBuf,
    /// Envelopes that could not reach the database, one JSON line each.
    pub spool: PathBuf,
    /// Guards the spool between appenders and the drainer.
    pub spool_lock: PathBuf,
    /// sce processes queue on this lock to take turns at the DB.
    pub db_lock: PathBuf,
    /// What `sce setup` recorded: the HEAD it was run at.
    pub setup_marker: PathBuf,
    /// Empty files marking the sessions whose git context this DB knows (beside the
    /// DB, emptied with a new one), so hooks need not ask the DB.
    pub sessions_known: PathBuf,
}

impl StorePaths {
    /// The paths under a repository's git common dir.
    pub fn in_common_dir(common_dir: &Path) -> StorePaths {
        let dir = common_dir.join("sce");
        StorePaths {
            db: dir.join("agent-trace.db"),
            spool: dir.join("spool.jsonl"),
            spool_lock: dir.join("spool.lock"),
            setup_marker: dir.join("setup.json"),
            db_lock: dir.join("agent-trace.db.lock"),
            sessions_known: dir.join("agent-trace.db.sessions-known"),
            dir,
        }
    }

    /// Puts the DB at `db_path` (relative paths are relative to the git common dir), if given.
    pub fn with_db_path(mut self, db_path: Option<&str>) -> StorePaths {
        if let Some(path) = db_path.filter(|p| !p.is_empty()) {
            let common_dir = self.dir.parent().map(Path::to_path_buf).unwrap_or_default();
            self.db = common_dir.join(path);
            let beside = |suffix: &str| {
                let mut path = self.db.as_os_str().to_owned();
                path.push(suffix);
                PathBuf::from(path)
            };
            self.db_lock = beside(".lock");
            self.sessions_known = beside(".sessions-known");
        }
        self
    }

    /// Creates the directory, private to the user (0700).
    pub fn ensure_dir(&self) -> std::io::Result<()> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&self.dir)
    }
}
