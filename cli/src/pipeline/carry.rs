//! Carrying line classes across history rewrites (amend, rebase, cherry-pick -x,
//! squash merges): a line the rewrite left unchanged keeps the class, session and
//! model the old commit's record gave it.

use crate::attribution::align::{Step, align};
use crate::attribution::{Author, split_lines};
use crate::git::Repo;
use crate::record::{Class, RecordCache, TraceRecord};

/// A line carried from an old commit: its class there, and where it stood.
#[derive(Debug, Clone, PartialEq)]
pub struct CarriedLine {
    /// The class (and credit) the old commit's record gives it.
    pub class: Class<Author>,
    /// The old commit.
    pub commit: gix::ObjectId,
    /// The file's path in the old commit.
    pub path: String,
    /// Its line (1-based) there.
    pub line: usize,
}

/// The old commits a new commit was made from, with their records.
pub struct CarrySources {
    /// Newest first: when several old commits have the line, the newest wins.
    sources: Vec<(gix::ObjectId, TraceRecord)>,
}

impl CarrySources {
    /// Loads the records of `olds` (oldest first); commits without a record are left out.
    pub fn load(cache: &mut RecordCache<'_>, olds: &[gix::ObjectId]) -> CarrySources {
        let sources = olds.iter().rev().filter_map(|old| cache.get(*old).map(|r| (*old, r.clone()))).collect();
        CarrySources { sources }
    }

    /// True when no old commit has a record.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The commits classes were carried from.
    pub fn commits(&self) -> Vec<String> {
        self.sources.iter().map(|(id, _)| id.to_string()).collect()
    }

    /// Per committed line of `path`: the carried class (and origin) of each added line that an
    /// old commit's version of the file has unchanged and its record classifies.
    /// One line diff per file and old commit, whatever the number of lines.
    pub fn carried(
        &self,
        repo: &Repo,
        path: &str,
        renamed_from: Option<&str>,
        lines: &[String],
        added: &[bool],
    ) -> Vec<Option<CarriedLine>> {
        let mut out = vec![None; lines.len()];
        for (source, record) in &self.sources {
            let Some((old_path, old_lines)) = [Some(path), renamed_from].into_iter().flatten().find_map(|p| {
                let blob = repo.blob_at(*source, p).ok().flatten()?;
                Some((p, split_lines(&String::from_utf8_lossy(&blob))))
            }) else {
                continue;
            };
            for step in align(&old_lines, lines) {
                if let Step::Equal { old, new, len } = step {
                    for k in 0..len {
                        let i = new + k;
                        if added[i] && out[i].is_none() {
                            let line = old + k + 1;
                            out[i] = range_class(record, old_path, line).map(|class| CarriedLine {
                                class,
                                commit: *source,
                                path: old_path.to_string(),
                                line,
                            });
                        }
                    }
                }
            }
        }
        out
    }
}

/// The class `record` gives line `line` (1-based) of `path`, if a range holds it;
/// an ai or mixed line whose session the record does not name is not carried.
fn range_class(record: &TraceRecord, path: &str, line: usize) -> Option<Class<Author>> {
    record.class_at(path, line)?.map(|credit| credit.author()).transpose()
}

/// Commits a commit message says it was made from: `(cherry picked from commit X)`
/// (cherry-pick -x) and `commit X` lines of a squash merge's message.
pub fn sources_named_in_message(repo: &Repo, message: &str) -> Vec<gix::ObjectId> {
    let mut found = Vec::new();
    for line in message.lines() {
        let candidate = line
            .trim()
            .strip_prefix("(cherry picked from commit ")
            .and_then(|rest| rest.strip_suffix(')'))
            .or_else(|| line.strip_prefix("commit "));
        if let Some(hex) =
            candidate.map(str::trim).filter(|h| h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            && let Ok(id) = repo.resolve_commit(hex)
            && !found.contains(&id)
        {
            found.push(id);
        }
    }
    // Oldest first, as rewrite pairs are.
    found.reverse();
    found
}
