//! What a commit changed against its first parent, line by line (gix + imara-diff).

use gix::bstr::ByteSlice;
use gix::diff::blob::{Algorithm, InternedInput, diff_with_slider_heuristics};
use gix::object::tree::diff::ChangeDetached;

use super::{GitError, Repo};

/// Git treats a blob with a NUL byte in its first 8000 bytes as binary; so does sce.
const BINARY_PROBE_LEN: usize = 8000;

/// One file a commit added or modified, with its committed content.
#[derive(Debug, Clone)]
pub struct ChangedFile {
    /// Repo-relative path in the commit.
    pub path: String,
    /// The path in the parent when git's rename detection paired the two.
    pub renamed_from: Option<String>,
    /// The committed content.
    pub content: Vec<u8>,
    /// Per committed line: whether the commit adds it.
    pub added: Vec<bool>,
    /// Lines the commit removes from this file.
    pub removed: usize,
    /// True when the file did not exist in the parent (under any name).
    pub is_new: bool,
}

/// A file-level change that carries no lines to attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// Deleted, with its line count.
    Deleted {
        /// Repo-relative path in the parent.
        path: String,
        /// Lines removed.
        removed: usize,
    },
    /// A binary file (added or modified), skipped.
    Binary {
        /// Repo-relative path.
        path: String,
    },
    /// A file over the size limit (either side), skipped unread.
    Large {
        /// Repo-relative path.
        path: String,
    },
}

/// Everything a commit changed against its first parent.
#[derive(Debug, Clone)]
pub struct CommitChanges {
    /// The commit.
    pub commit: gix::ObjectId,
    /// Its first parent, `None` for a root commit.
    pub parent: Option<gix::ObjectId>,
    /// Text files added or modified.
    pub files: Vec<ChangedFile>,
    /// Deletions and binaries.
    pub other: Vec<FileChange>,
}

fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(BINARY_PROBE_LEN)].contains(&0)
}

impl Repo {
    /// Diffs `commit` against its first parent (the empty tree for a root commit),
    /// with git's default rename detection.
    pub fn commit_changes(&self, commit: gix::ObjectId, max_file_bytes: u64) -> Result<CommitChanges, GitError> {
        let commit_obj = self.repo.find_commit(commit).map_err(GitError::other)?;
        let parent = commit_obj.parent_ids().next().map(|id| id.detach());
        let new_tree = commit_obj.tree().map_err(GitError::other)?;
        let old_tree = match parent {
            Some(p) => Some(self.repo.find_commit(p).map_err(GitError::other)?.tree().map_err(GitError::other)?),
            None => None,
        };
        let mut options = gix::diff::Options::default();
        options.track_rewrites(Some(gix::diff::Rewrites::default()));
        let changes =
            self.repo.diff_tree_to_tree(old_tree.as_ref(), Some(&new_tree), options).map_err(GitError::other)?;
        let mut out = CommitChanges { commit, parent, files: Vec::new(), other: Vec::new() };
        for change in changes {
            match change {
                ChangeDetached::Addition { location, entry_mode, id, .. } if entry_mode.is_blob() => {
                    self.push_text(&mut out, max_file_bytes, location.to_str_lossy().into_owned(), None, None, id)?;
                }
                ChangeDetached::Modification { location, entry_mode, previous_id, id, previous_entry_mode, .. }
                    if entry_mode.is_blob() =>
                {
                    let previous = previous_entry_mode.is_blob().then_some(previous_id);
                    self.push_text(&mut out, max_file_bytes, location.to_str_lossy().into_owned(), None, previous, id)?;
                }
                // A rename or copy: diffed against its source, so moved lines are not "added".
                ChangeDetached::Rewrite { source_location, location, source_id, id, entry_mode, .. }
                    if entry_mode.is_blob() =>
                {
                    let from = source_location.to_str_lossy().into_owned();
                    self.push_text(
                        &mut out,
                        max_file_bytes,
                        location.to_str_lossy().into_owned(),
                        Some(from),
                        Some(source_id),
                        id,
                    )?;
                }
                ChangeDetached::Deletion { location, entry_mode, id, .. } if entry_mode.is_blob() => {
                    let data = self.blob(id)?;
                    let removed = if is_binary(&data) { 0 } else { count_lines(&data) };
                    out.other.push(FileChange::Deleted { path: location.to_str_lossy().into_owned(), removed });
                }
                _ => {} // trees, submodules, symlinks: nothing to attribute
            }
        }
        Ok(out)
    }

    fn blob(&self, id: gix::ObjectId) -> Result<Vec<u8>, GitError> {
        Ok(self.repo.find_blob(id).map_err(GitError::other)?.take_data())
    }

    fn push_text(
        &self,
        out: &mut CommitChanges,
        max_file_bytes: u64,
        path: String,
        renamed_from: Option<String>,
        previous: Option<gix::ObjectId>,
        id: gix::ObjectId,
    ) -> Result<(), GitError> {
        let size = |id: gix::ObjectId| self.repo.find_header(id).map(|h| h.size()).unwrap_or(0);
        if size(id) > max_file_bytes || previous.is_some_and(|p| size(p) > max_file_bytes) {
            out.other.push(FileChange::Large { path });
            return Ok(());
        }
        let content = self.blob(id)?;
        let old = match previous {
            Some(p) => self.blob(p)?,
            None => Vec::new(),
        };
        if is_binary(&content) || is_binary(&old) {
            out.other.push(FileChange::Binary { path });
            return Ok(());
        }
        let (added, removed) = added_lines(&old, &content);
        out.files.push(ChangedFile { path, is_new: previous.is_none(), renamed_from, content, added, removed });
        Ok(())
    }
}

/// Per line of `new`, whether a line diff from `old` adds it; and how many lines it removes.
pub fn added_lines(old: &[u8], new: &[u8]) -> (Vec<bool>, usize) {
    let input = InternedInput::new(old, new);
    let diff = diff_with_slider_heuristics(Algorithm::Myers, &input);
    let added = (0..input.after.len() as u32).map(|i| diff.is_added(i)).collect();
    (added, diff.count_removals() as usize)
}

fn count_lines(data: &[u8]) -> usize {
    let newlines = data.iter().filter(|b| **b == b'\n').count();
    newlines + usize::from(!data.is_empty() && !data.ends_with(b"\n"))
}

impl Repo {
    /// The blob at `path` in `commit`, `None` when the path is not a file there.
    pub fn blob_at(&self, commit: gix::ObjectId, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let tree = self.repo.find_commit(commit).map_err(GitError::other)?.tree().map_err(GitError::other)?;
        match tree.lookup_entry_by_path(path).map_err(GitError::other)? {
            Some(entry) if entry.mode().is_blob() => Ok(Some(self.blob(entry.object_id())?)),
            _ => Ok(None),
        }
    }

    /// Whether `path` exists in `commit`'s tree.
    pub fn path_in_commit(&self, commit: gix::ObjectId, path: &str) -> Result<bool, GitError> {
        let tree = self.repo.find_commit(commit).map_err(GitError::other)?.tree().map_err(GitError::other)?;
        Ok(tree.lookup_entry_by_path(path).map_err(GitError::other)?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_marks_exactly_the_new_side_of_hunks() {
        let (added, removed) = added_lines(b"a\nb\nc\n", b"a\nB\nc\nd\n");
        assert_eq!(added, [false, true, false, true]);
        assert_eq!(removed, 1);
        let (added, removed) = added_lines(b"", b"x\ny");
        assert_eq!((added, removed), (vec![true, true], 0));
    }

    #[test]
    fn counts_lines_with_and_without_final_newline() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a\nb"), 2);
        assert_eq!(count_lines(b"a\nb\n"), 2);
    }
}
