//! The spool: envelopes that could not reach the DB, appended durably and
//! drained, in order, by the next process that reaches it.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::StorePaths;
use crate::capture::CapturedEvent;

/// One acknowledged batch waiting for the DB.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpooledBatch {
    /// The worktree the events came from.
    pub worktree: String,
    /// The validated events.
    pub events: Vec<CapturedEvent>,
}

/// Why the spool failed.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// Opening, locking, writing or syncing the spool failed.
    #[error("cannot write the spool {path}: {source}")]
    Io {
        /// The spool or its lock file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An event could not be serialised (a bug).
    #[error("cannot serialise a spooled batch: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// The spool of one repository.
pub struct Spool {
    paths: StorePaths,
}

/// The spool held exclusively while it is drained.
pub struct SpoolDrain {
    _lock: File,
    spool: PathBuf,
    /// The batches waiting, oldest first.
    pub batches: Vec<SpooledBatch>,
    /// Lines that could not be read (a write cut short before it was acknowledged).
    pub unreadable_lines: usize,
}

impl Spool {
    /// The spool in a repository's sce directory.
    pub fn new(paths: &StorePaths) -> Spool {
        Spool { paths: paths.clone() }
    }

    fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> SpoolError + '_ {
        move |source| SpoolError::Io { path: path.to_path_buf(), source }
    }

    fn lock(&self) -> Result<File, SpoolError> {
        self.paths.ensure_dir().map_err(Self::io(&self.paths.dir))?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.paths.spool_lock)
            .map_err(Self::io(&self.paths.spool_lock))?;
        lock.lock().map_err(Self::io(&self.paths.spool_lock))?;
        Ok(lock)
    }

    /// Appends one batch and syncs it to disk before returning: once this
    /// returns, the batch survives a crash.
    pub fn append(&self, batch: &SpooledBatch) -> Result<(), SpoolError> {
        let mut line = serde_json::to_vec(batch)?;
        line.push(b'\n');
        let _lock = self.lock()?;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.paths.spool)
            .map_err(Self::io(&self.paths.spool))?;
        file.write_all(&line).map_err(Self::io(&self.paths.spool))?;
        file.sync_all().map_err(Self::io(&self.paths.spool))?;
        Ok(())
    }

    /// True when nothing waits; cheap (one `stat`), so every call can check.
    pub fn is_empty(&self) -> bool {
        std::fs::metadata(&self.paths.spool).map_or(true, |m| m.len() == 0)
    }

    /// Locks the spool and reads every batch. Call [`SpoolDrain::finish`] once
    /// they are stored; until then appenders wait.
    pub fn begin_drain(&self) -> Result<SpoolDrain, SpoolError> {
        let lock = self.lock()?;
        let mut batches = Vec::new();
        let mut unreadable_lines = 0;
        match File::open(&self.paths.spool) {
            Ok(file) => {
                for line in BufReader::new(file).split(b'\n') {
                    let line = line.map_err(Self::io(&self.paths.spool))?;
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    match serde_json::from_slice(&line) {
                        Ok(batch) => batches.push(batch),
                        Err(e) => {
                            tracing::warn!("skipping an unreadable spool line: {e}");
                            unreadable_lines += 1;
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SpoolError::Io { path: self.paths.spool.clone(), source: e }),
        }
        Ok(SpoolDrain { _lock: lock, spool: self.paths.spool.clone(), batches, unreadable_lines })
    }
}

impl SpoolDrain {
    /// Empties the spool once its batches are safely in the DB.
    pub fn finish(self) -> Result<(), SpoolError> {
        let file = OpenOptions::new().write(true).truncate(true).open(&self.spool);
        match file {
            Ok(file) => file.sync_all().map_err(|source| SpoolError::Io { path: self.spool.clone(), source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(SpoolError::Io { path: self.spool.clone(), source }),
        }
    }
}
