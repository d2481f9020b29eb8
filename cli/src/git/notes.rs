//! Agent Trace records as git notes, one per commit, through gix.

use super::Repo;

/// Why a note could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    /// The notes ref name is not valid.
    #[error("invalid notes ref {0:?}: use a full name such as refs/notes/agent-trace")]
    BadRef(String),
    /// gix failed to read or write.
    #[error("git notes under {notes_ref}: {message}")]
    Git {
        /// The notes ref.
        notes_ref: String,
        /// What failed.
        message: String,
    },
}

/// How often a note write is retried when another process moved the notes ref meanwhile.
const NOTE_WRITE_ATTEMPTS: usize = 5;

/// A ref lock file older than this was left by a process that died holding it (a
/// note write holds it for milliseconds): it is removed, or no note could ever be
/// written again.
const STALE_LOCK: std::time::Duration = std::time::Duration::from_secs(2);

/// Removes the notes ref's lock file if a dead writer left it; true if it did.
fn remove_stale_lock(repo: &Repo, notes_ref: &str) -> bool {
    let lock = repo.location.common_dir.join(format!("{notes_ref}.lock"));
    let stale = std::fs::metadata(&lock)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE_LOCK));
    if stale && std::fs::remove_file(&lock).is_ok() {
        tracing::debug!("removed {}, left by a process that died while writing a note", lock.display());
        return true;
    }
    false
}

/// Writes `data` as the note of `commit` under `notes_ref` (a full ref name),
/// replacing any note there. Touches no other notes ref. Retries when another
/// writer updated the ref concurrently (the update is compare-and-swap).
pub fn write_note(repo: &Repo, notes_ref: &str, commit: gix::ObjectId, data: &[u8]) -> Result<(), NoteError> {
    let name: &gix::refs::FullNameRef = notes_ref.try_into().map_err(|_| NoteError::BadRef(notes_ref.to_string()))?;
    let mut last = String::new();
    for _ in 0..NOTE_WRITE_ATTEMPTS {
        let mut platform = repo
            .repo
            .notes()
            .map_err(|e| NoteError::Git { notes_ref: notes_ref.into(), message: e.to_string() })?
            .with_commit_message("sce: Agent Trace record");
        match platform.replace_at_ref(name, commit, data) {
            Ok(_) => return Ok(()),
            Err(e) => {
                last = format!("{e:?}");
                remove_stale_lock(repo, notes_ref);
            }
        }
    }
    Err(NoteError::Git { notes_ref: notes_ref.into(), message: last })
}

/// Reads the note of `commit` under `notes_ref`, if any.
pub fn read_note(repo: &Repo, notes_ref: &str, commit: gix::ObjectId) -> Result<Option<Vec<u8>>, NoteError> {
    let git = |e: gix::Error| NoteError::Git { notes_ref: notes_ref.into(), message: e.to_string() };
    let mut platform = repo.repo.notes().map_err(git)?.with_refs([notes_ref]).map_err(git)?;
    let notes = platform.get(commit).map_err(git)?;
    Ok(notes.into_iter().next().map(|note| note.blob.data.clone()))
}
