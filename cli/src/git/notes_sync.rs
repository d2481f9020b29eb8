//! Sharing the notes ref with a remote: fetch into a tracking ref, merge without
//! losing either side, push without force.
//!
//! Fetching and pushing use the `git` binary: gix (as built here, without its
//! network client features) cannot talk to remotes. Merging is done with gix.

use std::collections::BTreeMap;
use std::process::Command;

use gix::bstr::ByteSlice;
use gix::refs::transaction::PreviousValue;

use super::{GitError, Repo};

/// What a merge of the remote's notes did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeOutcome {
    /// Records only the remote had, now added.
    pub added: usize,
    /// Commits with different records on both sides: (commit, which side was kept).
    pub conflicts: Vec<(String, &'static str)>,
    /// Whether the local ref moved.
    pub updated: bool,
}

/// Why a push did not go through.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A git command failed.
    #[error("`git {command}` failed: {stderr}")]
    Git {
        /// The command line (without `git`).
        command: String,
        /// What git said.
        stderr: String,
    },
    /// Reading or writing objects failed.
    #[error(transparent)]
    Repo(#[from] GitError),
    /// Every attempt met a remote that had moved on meanwhile.
    #[error("the remote's {notes_ref} kept moving; gave up after {attempts} attempts")]
    Rejected {
        /// The notes ref.
        notes_ref: String,
        /// Attempts made.
        attempts: usize,
    },
}

fn git(repo: &Repo, args: &[&str]) -> Result<std::process::Output, SyncError> {
    Command::new("git")
        .args(args)
        .current_dir(&repo.location.root)
        .output()
        .map_err(|e| SyncError::Git { command: args.join(" "), stderr: e.to_string() })
}

/// The tracking ref for `remote`'s copy of `notes_ref`: `refs/notes/sce-remotes/<remote>/<name>`.
pub fn tracking_ref(remote: &str, notes_ref: &str) -> String {
    let name = notes_ref.strip_prefix("refs/notes/").unwrap_or(notes_ref);
    format!("refs/notes/sce-remotes/{remote}/{name}")
}

/// Every (annotated commit, note blob) of a notes tree, fanout or not.
fn notes_of(repo: &Repo, tree: gix::ObjectId) -> Result<BTreeMap<gix::ObjectId, gix::ObjectId>, GitError> {
    fn walk(
        repo: &Repo,
        tree: gix::ObjectId,
        prefix: &str,
        out: &mut BTreeMap<gix::ObjectId, gix::ObjectId>,
    ) -> Result<(), GitError> {
        let tree = repo.repo.find_tree(tree).map_err(GitError::other)?;
        for entry in tree.iter() {
            let entry = entry.map_err(GitError::other)?;
            let name = format!("{prefix}{}", entry.filename().to_str_lossy());
            if entry.mode().is_tree() {
                walk(repo, entry.oid().to_owned(), &name, out)?;
            } else if let Ok(id) = gix::ObjectId::from_hex(name.as_bytes()) {
                out.insert(id, entry.oid().to_owned());
            }
        }
        Ok(())
    }
    let mut out = BTreeMap::new();
    walk(repo, tree, "", &mut out)?;
    Ok(out)
}

fn ref_target(repo: &Repo, name: &str) -> Result<Option<gix::ObjectId>, GitError> {
    match repo.repo.try_find_reference(name).map_err(GitError::other)? {
        Some(mut reference) => Ok(Some(reference.peel_to_id().map_err(GitError::other)?.detach())),
        None => Ok(None),
    }
}

fn tree_of(repo: &Repo, commit: gix::ObjectId) -> Result<gix::ObjectId, GitError> {
    Ok(repo.repo.find_commit(commit).map_err(GitError::other)?.tree_id().map_err(GitError::other)?.detach())
}

/// The `timestamp` of a record blob (RFC 3339 sorts as text).
fn timestamp_of(repo: &Repo, blob: gix::ObjectId) -> String {
    repo.repo
        .find_blob(blob)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b.data).ok())
        .and_then(|v| v.get("timestamp").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_default()
}

/// Fetches `remote`'s notes ref into its tracking ref (never touching the local one).
/// Returns false when the remote has no such ref.
pub fn fetch_notes(repo: &Repo, remote: &str, notes_ref: &str) -> Result<bool, SyncError> {
    let refspec = format!("+{notes_ref}:{}", tracking_ref(remote, notes_ref));
    let out = git(repo, &["fetch", "--quiet", "--no-tags", remote, &refspec])?;
    if out.status.success() {
        return Ok(true);
    }
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if stderr.contains("couldn't find remote ref") {
        return Ok(false);
    }
    Err(SyncError::Git { command: format!("fetch {remote} {refspec}"), stderr })
}

/// Merges the tracking ref into the local notes ref: records only one side has are
/// kept; a commit with different records on both sides keeps the newer record.
pub fn merge_notes(repo: &Repo, remote: &str, notes_ref: &str) -> Result<MergeOutcome, SyncError> {
    let Some(theirs) = ref_target(repo, &tracking_ref(remote, notes_ref))? else {
        return Ok(MergeOutcome::default());
    };
    let ours = ref_target(repo, notes_ref)?;
    let Some(ours) = ours else {
        repo.repo
            .reference(notes_ref, theirs, PreviousValue::MustNotExist, "sce: notes from remote")
            .map_err(GitError::other)?;
        let added = notes_of(repo, tree_of(repo, theirs)?)?.len();
        return Ok(MergeOutcome { added, conflicts: Vec::new(), updated: true });
    };
    if ours == theirs || repo.repo.merge_base(ours, theirs).ok().flatten().is_some_and(|b| b.detach() == theirs) {
        return Ok(MergeOutcome::default());
    }
    let our_notes = notes_of(repo, tree_of(repo, ours)?)?;
    let their_notes = notes_of(repo, tree_of(repo, theirs)?)?;
    let mut state =
        gix::note::plumbing::State::new(tree_of(repo, ours)?, &repo.repo.objects).map_err(GitError::other)?;
    let mut outcome = MergeOutcome { updated: true, ..MergeOutcome::default() };
    for (commit, their_blob) in &their_notes {
        match our_notes.get(commit) {
            None => {
                state.edit(*commit, Some(*their_blob), &repo.repo.objects).map_err(GitError::other)?;
                outcome.added += 1;
            }
            Some(our_blob) if our_blob != their_blob => {
                if timestamp_of(repo, *their_blob) > timestamp_of(repo, *our_blob) {
                    state.edit(*commit, Some(*their_blob), &repo.repo.objects).map_err(GitError::other)?;
                    outcome.conflicts.push((commit.to_string(), "remote"));
                } else {
                    outcome.conflicts.push((commit.to_string(), "local"));
                }
            }
            Some(_) => {}
        }
    }
    let tree = state.write(&repo.repo.objects).map_err(GitError::other)?;
    let merge = repo
        .repo
        .new_commit(format!("sce: merge {remote}'s {notes_ref}"), tree, [ours, theirs])
        .map_err(GitError::other)?;
    repo.repo
        .reference(
            notes_ref,
            merge.id,
            PreviousValue::MustExistAndMatch(gix::refs::Target::Object(ours)),
            "sce: merge notes",
        )
        .map_err(GitError::other)?;
    Ok(outcome)
}

/// Pushes the local notes ref without force, fetching and merging first and again
/// after each rejection, up to `attempts` times.
pub fn push_notes(repo: &Repo, remote: &str, notes_ref: &str, attempts: usize) -> Result<MergeOutcome, SyncError> {
    let mut total = MergeOutcome::default();
    for _ in 0..attempts {
        if fetch_notes(repo, remote, notes_ref)? {
            let merged = merge_notes(repo, remote, notes_ref)?;
            total.added += merged.added;
            total.conflicts.extend(merged.conflicts);
        }
        if ref_target(repo, notes_ref)?.is_none() {
            return Ok(total);
        }
        let refspec = format!("{notes_ref}:{notes_ref}");
        let out = git(repo, &["push", "--quiet", remote, &refspec])?;
        if out.status.success() {
            return Ok(total);
        }
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let rejected = ["non-fast-forward", "fetch first", "rejected", "stale info", "cannot lock ref"];
        if !rejected.iter().any(|r| stderr.contains(r)) {
            return Err(SyncError::Git { command: format!("push {remote} {refspec}"), stderr });
        }
        // Someone pushed meanwhile: wait a little (with jitter) and merge again.
        std::thread::sleep(std::time::Duration::from_millis(fastrand::u64(20..200)));
    }
    Err(SyncError::Rejected { notes_ref: notes_ref.to_string(), attempts })
}
