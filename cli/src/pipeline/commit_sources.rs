//! What the commit being made is made from, noted while git still says so.
//!
//! After `git merge --squash`, `git cherry-pick -n` or `git revert -n`, the
//! commit that follows takes its lines from other commits, but nothing in it
//! says which once the user writes their own message (`commit -m`, `-F`): git
//! deletes `SQUASH_MSG`, `MERGE_MSG` and `REVERT_HEAD` before post-commit runs.
//! Git runs prepare-commit-msg while they exist; [`note`] reads them there and
//! leaves a small file in the worktree's git dir, which post-commit [`take`]s.
//! The note names the commit it was made on top of, so a note left by an
//! aborted commit is never applied to another one.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::git::Repo;
use crate::pipeline::carry::sources_named_in_message;

/// How many commits a `cherry-pick -n`'s message is compared with when looking for the picked commit.
const PICK_SEARCH_LIMIT: usize = 5_000;

/// The note's file name, in the worktree's git dir.
const FILE: &str = "sce-commit-sources.json";

/// Why noting or reading the sources failed.
#[derive(Debug, thiserror::Error)]
pub enum CommitSourcesError {
    /// The note file could not be written or removed.
    #[error("could not write {path}: {source}")]
    Write {
        /// The note file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The note could not be serialized (a bug).
    #[error("could not serialize the commit sources: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// The commits a commit in the making takes its lines from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitSources {
    /// HEAD when the note was made: the new commit's parent.
    pub parent: Option<String>,
    /// Commits whose lines the new commit takes unchanged (oldest first).
    pub sources: Vec<String>,
    /// A commit the new one reverts: its parent's lines come back.
    pub reverts: Option<String>,
}

impl CommitSources {
    /// The source commits that still resolve, oldest first.
    pub fn source_ids(&self, repo: &Repo) -> Vec<gix::ObjectId> {
        self.sources.iter().filter_map(|s| repo.resolve_commit(s).ok()).collect()
    }
}

fn note_path(repo: &Repo) -> PathBuf {
    repo.repo.git_dir().join(FILE)
}

/// Reads what git's state files say the next commit is made from and notes it
/// (or removes a stale note when they say nothing).
pub fn note(repo: &Repo) -> Result<CommitSources, CommitSourcesError> {
    let git_dir = repo.repo.git_dir().to_path_buf();
    let read = |name: &str| std::fs::read_to_string(git_dir.join(name)).ok();
    let mut found = CommitSources { parent: repo.head_commit().map(|id| id.to_string()), ..Default::default() };
    if let Some(squash) = read("SQUASH_MSG") {
        found.sources = sources_named_in_message(repo, &squash).iter().map(ToString::to_string).collect();
    } else if let Some(reverted) = read("REVERT_HEAD") {
        found.reverts = repo.resolve_commit(reverted.trim()).ok().map(|id| id.to_string());
    } else if let Some(message) = read("MERGE_MSG").filter(|_| !git_dir.join("MERGE_HEAD").exists()) {
        // cherry-pick -n: MERGE_MSG holds the picked commit's message and nothing else names it.
        let named = sources_named_in_message(repo, &message);
        found.sources = if named.is_empty() { picked_commit(repo, &message).into_iter().collect() } else { named }
            .iter()
            .map(ToString::to_string)
            .collect();
    }
    let path = note_path(repo);
    if found.sources.is_empty() && found.reverts.is_none() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CommitSourcesError::Write { path, source: e }),
            _ => Ok(found),
        };
    }
    let text = serde_json::to_string(&found)?;
    std::fs::write(&path, text).map_err(|source| CommitSourcesError::Write { path, source })?;
    Ok(found)
}

/// Takes the note for `commit` (made on top of `parent`): the sources when the
/// note was made for it, nothing otherwise. The note is removed either way.
pub fn take(repo: &Repo, parent: Option<gix::ObjectId>) -> CommitSources {
    let path = note_path(repo);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return CommitSources::default();
    };
    if let Err(e) = std::fs::remove_file(&path) {
        tracing::debug!("could not remove {}: {e}", path.display());
    }
    match serde_json::from_str::<CommitSources>(&text) {
        Ok(noted) if noted.parent == parent.map(|p| p.to_string()) => noted,
        Ok(_) => {
            tracing::debug!("commit sources noted for another commit: ignored");
            CommitSources::default()
        }
        Err(e) => {
            tracing::debug!("unreadable commit sources note: {e}");
            CommitSources::default()
        }
    }
}

/// The one commit, on a branch but not in HEAD's history, whose message is
/// `message` (comment lines dropped, as git does); `None` when none or several.
fn picked_commit(repo: &Repo, message: &str) -> Option<gix::ObjectId> {
    let wanted = clean_message(message);
    if wanted.is_empty() {
        return None;
    }
    let head = repo.head_commit()?;
    let tips: Vec<gix::ObjectId> = repo
        .repo
        .references()
        .ok()?
        .local_branches()
        .ok()?
        .filter_map(|r| r.ok()?.peel_to_id().ok().map(|id| id.detach()))
        .collect();
    let walk = repo.repo.rev_walk(tips).with_hidden([head]).all().ok()?;
    let mut found = None;
    for info in walk.take(PICK_SEARCH_LIMIT) {
        let Ok(info) = info else { continue };
        let Ok(text) = repo.commit_message(info.id) else { continue };
        if clean_message(&text) == wanted {
            if found.is_some() {
                return None;
            }
            found = Some(info.id);
        }
    }
    found
}

/// A commit message as git stores it: comment lines and surrounding blank lines dropped.
fn clean_message(message: &str) -> String {
    let kept: Vec<&str> = message.lines().filter(|l| !l.starts_with('#')).map(str::trim_end).collect();
    kept.join("\n").trim().to_string()
}

/// How many commits a revert's restored lines are carried from at most.
const REVERT_SOURCE_LIMIT: usize = 64;

/// The commits that introduced the lines a revert of `reverted` brings back:
/// per path, blame of the reverted commit's parent, which holds them.
pub fn revert_sources(repo: &Repo, reverted: gix::ObjectId, paths: &[&str]) -> Vec<gix::ObjectId> {
    let Some(parent) = repo.first_parent(reverted) else {
        return Vec::new();
    };
    let mut found = vec![parent];
    for path in paths {
        let Ok(lines) = repo.blame(path, parent) else { continue };
        for line in lines {
            if !found.contains(&line.commit) {
                found.push(line.commit);
            }
            if found.len() >= REVERT_SOURCE_LIMIT {
                return found;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::clean_message;

    #[test]
    fn messages_compare_as_git_stores_them() {
        assert_eq!(clean_message("fix: a\n\nbody  \n# Please enter the commit message\n\n"), "fix: a\n\nbody");
    }
}
