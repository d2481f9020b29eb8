//! Reading provenance back: which class, model and session a committed line has,
//! from the records of the commits that introduced the lines.

use serde::Serialize;

use crate::git::{BlamedLine, GitError, Repo};
use crate::record::{Class, RecordCache};

/// A line's provenance as its record tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineProvenance {
    /// 1-based line number.
    pub line: usize,
    /// The commit that introduced the line.
    pub commit: String,
    /// ai, mixed, unknown — or `None` when that commit has no record.
    pub class: Option<Class<()>>,
    /// `provider/model` of an ai or mixed line.
    pub model: Option<String>,
    /// The agent session of an ai or mixed line.
    pub session: Option<String>,
    /// The agent tool of that session (`claude-code`, `codex`, `opencode`, …).
    pub tool: Option<String>,
    /// The line's text.
    pub text: String,
    /// The file's path in the introducing commit (differs after renames).
    #[serde(skip)]
    pub source_path: String,
    /// The line's number in that commit's version of the file.
    #[serde(skip)]
    pub source_line: usize,
}

/// Provenance of every line of `path` at `commit`.
pub fn blame_file(
    repo: &Repo,
    notes_ref: &str,
    path: &str,
    commit: gix::ObjectId,
) -> Result<Vec<LineProvenance>, GitError> {
    let blamed = repo.blame(path, commit)?;
    let mut cache = RecordCache::new(repo, notes_ref);
    Ok(blamed.into_iter().map(|line| provenance_of(&mut cache, line)).collect())
}

fn provenance_of(cache: &mut RecordCache<'_>, line: BlamedLine) -> LineProvenance {
    let (class, model, session, tool) = match cache.get(line.commit) {
        Some(record) => {
            let class = record.class_at(&line.source_path, line.source_line).unwrap_or(Class::Unknown);
            let credit = class.credit();
            (
                Some(class.kind()),
                credit.and_then(|c| c.model).map(str::to_string),
                credit.and_then(|c| c.session_id()).map(str::to_string),
                credit.and_then(|c| c.tool()).map(str::to_string),
            )
        }
        None => (None, None, None, None),
    };
    LineProvenance {
        line: line.line,
        commit: line.commit.to_string(),
        class,
        model,
        session,
        tool,
        text: line.text,
        source_path: line.source_path,
        source_line: line.source_line,
    }
}
