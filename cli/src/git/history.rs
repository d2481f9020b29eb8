//! Walking history: the commits of a range, with their authors.

use super::{GitError, Repo};

/// How many commits the default range holds when there is no branch point.
pub const DEFAULT_COMMIT_LIMIT: usize = 100;

impl Repo {
    /// The default branch: `origin/HEAD`'s target, else `main`, else `master`.
    fn default_branch(&self) -> Option<gix::ObjectId> {
        let candidates = ["refs/remotes/origin/HEAD", "refs/heads/main", "refs/heads/master"];
        candidates.iter().find_map(|name| {
            let mut reference = self.repo.try_find_reference(*name).ok()??;
            reference.peel_to_id().ok().map(|id| id.detach())
        })
    }

    /// Commits of `range` (`A..B`, or a revision and its ancestors), newest first,
    /// with `Name <email>` of their authors. Without a range: the current branch
    /// since it left the default branch, or the last 100 commits.
    pub fn commits_in(&self, range: Option<&str>) -> Result<(Vec<(gix::ObjectId, String)>, String), GitError> {
        let (tip, hidden, limit, described) = match range {
            Some(range) => match range.split_once("..") {
                Some((from, to)) => {
                    let to = if to.is_empty() { "HEAD" } else { to };
                    (self.resolve_commit(to)?, Some(self.resolve_commit(from)?), usize::MAX, range.to_string())
                }
                None => (self.resolve_commit(range)?, None, usize::MAX, range.to_string()),
            },
            None => {
                let head = self.resolve_commit("HEAD")?;
                let base = self
                    .default_branch()
                    .filter(|default| *default != head)
                    .and_then(|default| self.repo.merge_base(head, default).ok().flatten().map(|id| id.detach()))
                    .filter(|base| *base != head);
                match base {
                    Some(base) => (head, Some(base), usize::MAX, format!("{}..HEAD", &base.to_string()[..8])),
                    None => (head, None, DEFAULT_COMMIT_LIMIT, format!("the last {DEFAULT_COMMIT_LIMIT} commits")),
                }
            }
        };
        let mut walk = self.repo.rev_walk([tip]);
        if let Some(hidden) = hidden {
            walk = walk.with_hidden([hidden]);
        }
        let mut commits = Vec::new();
        for info in walk.all().map_err(GitError::other)?.take(limit) {
            let info = info.map_err(GitError::other)?;
            let commit = info.object().map_err(GitError::other)?;
            let author =
                commit.author().map(|a| format!("{} <{}>", a.name, a.email)).unwrap_or_else(|_| "unknown".into());
            commits.push((info.id, author));
        }
        Ok((commits, described))
    }
}
