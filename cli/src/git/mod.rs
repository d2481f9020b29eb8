//! Git access through gix: finding the repository, commit diffs, blobs, notes.

mod blame;
mod diff;
mod history;
mod notes;
mod notes_sync;

use std::path::{Path, PathBuf};

pub use blame::BlamedLine;
pub use diff::{ChangedFile, CommitChanges, FileChange};
pub use notes::{NoteError, read_note, write_note};
pub use notes_sync::{MergeOutcome, SyncError, fetch_notes, merge_notes, push_notes, tracking_ref};

/// A boxed error kept as the source of a [`GitError`].
pub type BoxedError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a git operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// No repository at or above the path.
    #[error("{path} is not inside a git repository; run sce from a repository or pass --repo")]
    NotARepo {
        /// Where discovery started.
        path: PathBuf,
        /// The discovery error.
        source: BoxedError,
    },
    /// A bare repository has no working tree for agents to edit.
    #[error("{0} is a bare repository; sce needs a working tree")]
    Bare(PathBuf),
    /// A revision does not resolve to a commit.
    #[error("unknown revision {rev:?}: {source}")]
    UnknownRevision {
        /// The revision as given.
        rev: String,
        /// Why.
        source: BoxedError,
    },
    /// Blaming a file failed.
    #[error("git: cannot blame {path}: {source}")]
    Blame {
        /// The repository-relative path.
        path: String,
        /// Why.
        source: BoxedError,
    },
    /// Reading objects or refs failed.
    #[error("git: {0}")]
    Other(#[source] BoxedError),
}

impl GitError {
    pub(crate) fn other(e: impl std::error::Error + Send + Sync + 'static) -> GitError {
        GitError::Other(Box::new(e))
    }
}

/// Where a repository's parts are.
#[derive(Debug, Clone)]
pub struct RepoLocation {
    /// The working tree root.
    pub root: PathBuf,
    /// The git dir shared by all worktrees (holds `sce/`).
    pub common_dir: PathBuf,
    /// Names the worktree: empty for the main one, the worktree's name for linked ones.
    pub worktree: String,
}

impl RepoLocation {
    /// The configuration files and caches of this repository.
    pub fn config_scope(&self) -> crate::config::Scope<'_> {
        crate::config::Scope { repo_root: &self.root, common_dir: &self.common_dir }
    }

    /// Where sce keeps its files here, with the DB where the configuration says.
    pub fn store_paths(&self, config: &crate::config::Config) -> crate::store::StorePaths {
        crate::store::StorePaths::in_common_dir(&self.common_dir).with_db_path(config.agent_trace.db_path.as_deref())
    }
}

/// An open repository.
pub struct Repo {
    /// The gix handle.
    pub repo: gix::Repository,
    /// Its paths.
    pub location: RepoLocation,
}

impl Repo {
    /// Finds the repository containing `path`, honouring `GIT_DIR` and friends as git does in hooks.
    pub fn discover(path: &Path) -> Result<Repo, GitError> {
        let repo = gix::ThreadSafeRepository::discover_with_environment_overrides(path)
            .map_err(|e| GitError::NotARepo { path: path.to_path_buf(), source: Box::new(e) })?
            .to_thread_local();
        let Some(root) = repo.workdir().map(Path::to_path_buf) else {
            return Err(GitError::Bare(repo.git_dir().to_path_buf()));
        };
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        let common_dir = repo.common_dir().to_path_buf();
        let worktree = if repo.git_dir() == repo.common_dir() {
            String::new()
        } else {
            repo.git_dir().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        };
        Ok(Repo { repo, location: RepoLocation { root, common_dir, worktree } })
    }

    /// Resolves a revision to a full commit id.
    pub fn resolve_commit(&self, rev: &str) -> Result<gix::ObjectId, GitError> {
        let id = self
            .repo
            .rev_parse_single(rev)
            .map_err(|e| GitError::UnknownRevision { rev: rev.into(), source: Box::new(e) })?;
        let object = id.object().map_err(GitError::other)?;
        let commit =
            object.peel_to_commit().map_err(|e| GitError::UnknownRevision { rev: rev.into(), source: Box::new(e) })?;
        Ok(commit.id)
    }

    /// The repository's `core.pager`, when set.
    pub fn configured_pager(&self) -> Option<String> {
        self.repo.config_snapshot().string("core.pager").map(|v| v.to_string())
    }

    /// The directory git runs hooks from: `core.hooksPath` (relative to the
    /// working tree root, `~` expanded) or `<common dir>/hooks`.
    pub fn hooks_dir(&self) -> PathBuf {
        let config = self.repo.config_snapshot();
        match config.trusted_path("core.hooksPath") {
            Ok(Some(path)) if !path.as_os_str().is_empty() => {
                if path.is_absolute() {
                    path
                } else {
                    self.location.root.join(path)
                }
            }
            _ => self.location.common_dir.join("hooks"),
        }
    }

    /// The commit HEAD points at, `None` in a repository without commits.
    pub fn head_commit(&self) -> Option<gix::ObjectId> {
        self.repo.head_id().ok().map(|id| id.detach())
    }

    /// The first parent of `commit`, `None` for a root commit (or one that cannot be read).
    pub fn first_parent(&self, commit: gix::ObjectId) -> Option<gix::ObjectId> {
        self.repo.find_commit(commit).ok()?.parent_ids().next().map(|id| id.detach())
    }

    /// Whether a rebase is under way in this worktree (git keeps its state in the git dir).
    pub fn rebase_in_progress(&self) -> bool {
        let git_dir = self.repo.git_dir();
        git_dir.join("rebase-merge").exists() || git_dir.join("rebase-apply").exists()
    }

    /// The full message of a commit.
    pub fn commit_message(&self, commit: gix::ObjectId) -> Result<String, GitError> {
        let commit = self.repo.find_commit(commit).map_err(GitError::other)?;
        let message = commit.message_raw().map_err(GitError::other)?;
        Ok(String::from_utf8_lossy(message).into_owned())
    }

    /// The short branch name HEAD points at, `None` when detached.
    pub fn branch(&self) -> Option<String> {
        self.repo.head_name().ok().flatten().map(|name| name.shorten().to_string())
    }

    /// The URL of the `origin` remote (or the only remote), credentials removed.
    pub fn remote_url(&self) -> Option<String> {
        let config = self.repo.config_snapshot();
        let url = config
            .string("remote.origin.url")
            .or_else(|| {
                let names = self.repo.remote_names();
                let first = names.iter().next()?.to_string();
                config.string(format!("remote.{first}.url").as_str())
            })?
            .to_string();
        Some(strip_credentials(&url))
    }
}

/// Removes `user:password@` from a URL so no credential is ever stored.
pub fn strip_credentials(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let after = &url[scheme_end + 3..];
    let host_end = after.find('/').unwrap_or(after.len());
    match after[..host_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..scheme_end + 3], &after[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::strip_credentials;

    #[test]
    fn credentials_are_stripped_from_urls() {
        assert_eq!(strip_credentials("https://user:tok@github.com/a/b.git"), "https://github.com/a/b.git");
        assert_eq!(strip_credentials("https://tok@host/x@y"), "https://host/x@y");
        assert_eq!(strip_credentials("git@github.com:a/b.git"), "git@github.com:a/b.git");
        assert_eq!(strip_credentials("ssh://git@host/repo"), "ssh://host/repo");
    }
}
