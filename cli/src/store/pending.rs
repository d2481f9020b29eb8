//! Commits awaiting a record, marked in a plain file so that a marker can be
//! left even when the DB itself is what failed.

use std::io::Write;

use crate::store::StorePaths;

/// File name of the marker list inside the sce directory.
const PENDING_FILE: &str = "pending-commits";

/// One commit awaiting a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCommit {
    /// Full sha.
    pub sha: String,
    /// The worktree it was made in.
    pub worktree: String,
}

/// Appends a marker line (`sha<TAB>worktree<TAB>reason`), synced to disk.
pub fn mark(paths: &StorePaths, sha: &str, worktree: &str, reason: &str) -> std::io::Result<()> {
    paths.ensure_dir()?;
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(paths.dir.join(PENDING_FILE))?;
    let reason: String = reason.chars().map(|c| if c == '\n' || c == '\t' { ' ' } else { c }).collect();
    writeln!(file, "{sha}\t{worktree}\t{reason}")?;
    file.sync_all()
}

/// Every marked commit, oldest first, without duplicates.
pub fn list(paths: &StorePaths) -> std::io::Result<Vec<PendingCommit>> {
    let text = match std::fs::read_to_string(paths.dir.join(PENDING_FILE)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out: Vec<PendingCommit> = Vec::new();
    for line in text.lines() {
        let mut fields = line.split('\t');
        let (Some(sha), Some(worktree)) = (fields.next(), fields.next()) else { continue };
        if sha.len() >= 40 && !out.iter().any(|p| p.sha == sha) {
            out.push(PendingCommit { sha: sha.into(), worktree: worktree.into() });
        }
    }
    Ok(out)
}

/// Removes the given commits from the markers (rewrites the file atomically).
pub fn clear(paths: &StorePaths, done: &[String]) -> std::io::Result<()> {
    let file = paths.dir.join(PENDING_FILE);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let kept: String = text
        .lines()
        .filter(|line| !done.iter().any(|sha| line.split('\t').next() == Some(sha.as_str())))
        .map(|line| format!("{line}\n"))
        .collect();
    let tmp = paths.dir.join(format!("{PENDING_FILE}.tmp"));
    std::fs::write(&tmp, kept)?;
    std::fs::rename(tmp, file)
}
