//! Edits made without a diff (a shell command, an MCP tool, any tool an agent
//! reports nothing about): a snapshot of the work tree before the tool call,
//! compared with the work tree after it. Agent-neutral; keyed by the agent's
//! session and tool call.
//!
//! Cheap in large repositories: only files git reports as changed or untracked are
//! read and kept (a clean file's content before the call is its blob in HEAD), and a
//! kept file is read again after the call only when its size or mtime changed.
//! What it cannot tell: a person's edit made in the same work tree while the tool
//! runs looks like the tool's.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::git::Repo;

/// Why a snapshot could not be taken or compared.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// `git status` could not run or failed.
    #[error("git status failed in {root}: {message}")]
    Status {
        /// The work tree.
        root: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The snapshot file could not be written or read.
    #[error("cannot {action} the snapshot {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The snapshot file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The snapshot file is not what sce wrote.
    #[error("the snapshot {path} is unreadable: {source}")]
    Format {
        /// The snapshot file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
}

/// One file git saw as changed or untracked when the snapshot was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct KeptFile {
    /// Size and mtime (ns) then; `None` when the file did not exist (deleted in the work tree).
    stat: Option<(u64, i128)>,
    /// Its text then; `None` when absent, binary or larger than the limit.
    text: Option<String>,
}

/// The work tree's changed and untracked files before a tool call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    files: BTreeMap<String, KeptFile>,
}

/// One file a tool call changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedText {
    /// Repo-relative path.
    pub path: String,
    /// Its text before the call; `None` when it did not exist.
    pub before: Option<String>,
    /// Its text after the call; `None` when it was deleted.
    pub after: Option<String>,
}

impl ChangedText {
    /// added | modified | deleted, as patch parts say.
    pub fn status(&self) -> &'static str {
        match (&self.before, &self.after) {
            (None, Some(_)) => "added",
            (Some(_), None) => "deleted",
            _ => "modified",
        }
    }
}

/// Paths git reports as changed (staged or not), deleted or untracked; ignored files are left out.
fn dirty_paths(root: &Path) -> Result<BTreeSet<String>, SnapshotError> {
    // The git binary, not gix: `git status` honours the user's fsmonitor and untracked
    // cache, which keep it at milliseconds in large work trees.
    let out = Command::new("git")
        .args(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--ignore-submodules"])
        .current_dir(root)
        .output()
        .map_err(|e| SnapshotError::Status { root: root.to_path_buf(), message: e.to_string() })?;
    if !out.status.success() {
        return Err(SnapshotError::Status {
            root: root.to_path_buf(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(out
        .stdout
        .split(|b| *b == 0)
        .filter(|entry| entry.len() > 3)
        .filter_map(|entry| std::str::from_utf8(&entry[3..]).ok())
        .map(str::to_string)
        .collect())
}

fn stat(path: &Path) -> Option<(u64, i128)> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    meta.is_file().then(|| (meta.len(), i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec())))
}

fn read_text(path: &Path, max_bytes: u64) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > max_bytes {
        return None;
    }
    String::from_utf8(std::fs::read(path).ok()?).ok()
}

impl Snapshot {
    /// Takes the snapshot of `root`'s changed and untracked files (texts up to `max_bytes`).
    pub fn take(root: &Path, max_bytes: u64) -> Result<Snapshot, SnapshotError> {
        let files = dirty_paths(root)?
            .into_iter()
            .map(|path| {
                let full = root.join(&path);
                let kept = KeptFile { stat: stat(&full), text: read_text(&full, max_bytes) };
                (path, kept)
            })
            .collect();
        Ok(Snapshot { files })
    }

    /// The files whose text differs now from before the call: those kept in the
    /// snapshot and changed since, and those clean then (before = HEAD's blob) and not now.
    pub fn changes(&self, repo: &Repo, max_bytes: u64) -> Result<Vec<ChangedText>, SnapshotError> {
        let root = &repo.location.root;
        let now = dirty_paths(root)?;
        let head = repo.head_commit();
        let mut changed = Vec::new();
        for path in now.iter().chain(self.files.keys()).collect::<BTreeSet<_>>() {
            let full = root.join(path);
            let before = match self.files.get(path) {
                Some(kept) => {
                    if kept.stat.is_some() && kept.stat == stat(&full) {
                        continue; // same size and mtime: untouched
                    }
                    if kept.stat.is_some() && kept.text.is_none() {
                        continue; // binary or too large then: nothing to compare with
                    }
                    kept.text.clone()
                }
                None => head
                    .and_then(|head| repo.blob_at(head, path).ok().flatten())
                    .and_then(|blob| String::from_utf8(blob).ok()),
            };
            let after = read_text(&full, max_bytes);
            if after.is_none() && full.exists() {
                continue; // binary or too large now
            }
            if before != after {
                changed.push(ChangedText { path: path.clone(), before, after });
            }
        }
        Ok(changed)
    }

    /// Saves the snapshot at `path` (0600, in sce's private directory).
    pub fn save(&self, path: &Path) -> Result<(), SnapshotError> {
        let io = |action, source| SnapshotError::Io { action, path: path.to_path_buf(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
        }
        let json =
            serde_json::to_vec(self).map_err(|source| SnapshotError::Format { path: path.to_path_buf(), source })?;
        std::fs::write(path, json).map_err(|e| io("write", e))
    }

    /// Loads and removes the snapshot saved at `path`; `None` when there is none.
    pub fn take_saved(path: &Path) -> Result<Option<Snapshot>, SnapshotError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(SnapshotError::Io { action: "read", path: path.to_path_buf(), source }),
        };
        let _ = std::fs::remove_file(path);
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| SnapshotError::Format { path: path.to_path_buf(), source })
    }
}
