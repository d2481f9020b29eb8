//! Which stored edit last wrote each agent line of a commit, kept beside the
//! record (never in it: records travel, seqs are this DB's). `sce why` follows a
//! committed line to the edit, and from there to the conversation.

use serde::{Deserialize, Serialize};

use super::{Store, StoreError, block};

/// The edits behind one file's agent lines in one commit, as runs of lines
/// written by one edit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LineEdits {
    /// `[first_line, last_line, seq]`, 1-based and inclusive, ascending, disjoint.
    runs: Vec<[i64; 3]>,
}

impl LineEdits {
    /// Runs from one entry per committed line (index 0 is line 1): the edit that
    /// wrote it, or `None`.
    pub fn from_lines(edits: &[Option<i64>]) -> LineEdits {
        let mut runs: Vec<[i64; 3]> = Vec::new();
        for (index, edit) in edits.iter().enumerate() {
            let Some(seq) = *edit else { continue };
            let line = index as i64 + 1;
            match runs.last_mut() {
                Some(run) if run[1] + 1 == line && run[2] == seq => run[1] = line,
                _ => runs.push([line, line, seq]),
            }
        }
        LineEdits { runs }
    }

    /// The edit that wrote line `line` (1-based), if known.
    pub fn at(&self, line: usize) -> Option<i64> {
        let line = line as i64;
        let index = self.runs.partition_point(|run| run[1] < line);
        self.runs.get(index).filter(|run| run[0] <= line).map(|run| run[2])
    }

    /// True when no line has a known edit.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }
}

impl Store {
    /// The edits behind `path`'s agent lines in commit `sha`, when this DB recorded them.
    pub fn line_edits(&self, sha: &str, path: &str) -> Result<Option<LineEdits>, StoreError> {
        let json: Option<String> = self.with_query_retry(|conn| {
            let mut rows =
                block(conn.query("SELECT runs FROM line_edits WHERE commit_sha = ?1 AND path = ?2", (sha, path)))?;
            match block(rows.next())? {
                Some(row) => Ok(Some(row.get(0)?)),
                None => Ok(None),
            }
        })?;
        json.map(|json| {
            serde_json::from_str(&json).map_err(|e| StoreError::BadValue {
                path: self.paths.db.clone(),
                what: format!("the line edits of {path} in {sha}: {e}"),
            })
        })
        .transpose()
    }
}

/// Writes one commit's line edits (replacing any earlier ones of that commit), inside the commit's transaction.
pub(super) fn write(conn: &turso::Connection, sha: &str, files: &[(String, LineEdits)]) -> Result<(), turso::Error> {
    block(conn.execute("DELETE FROM line_edits WHERE commit_sha = ?1", (sha,)))?;
    let mut insert = block(conn.prepare_cached("INSERT INTO line_edits (commit_sha, path, runs) VALUES (?1, ?2, ?3)"))?;
    for (path, edits) in files.iter().filter(|(_, edits)| !edits.is_empty()) {
        let runs = serde_json::to_string(edits).map_err(|e| turso::Error::Error(e.to_string()))?;
        block(insert.execute((sha, path.as_str(), runs)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::LineEdits;

    #[test]
    fn runs_answer_per_line() {
        let edits = LineEdits::from_lines(&[Some(4), Some(4), None, Some(9), Some(4)]);
        assert_eq!(serde_json::to_string(&edits).unwrap(), "[[1,2,4],[4,4,9],[5,5,4]]");
        let found: Vec<_> = (1..=6).map(|line| edits.at(line)).collect();
        assert_eq!(found, [Some(4), Some(4), None, Some(9), Some(4), None]);
        assert!(LineEdits::from_lines(&[None, None]).is_empty());
    }
}
