//! Reading provenance back: which class, model and session a committed line has,
//! from the records of the commits that introduced the lines.

use std::collections::HashMap;

use serde::Serialize;

use crate::git::{BlamedLine, GitError, Repo, read_note};
use crate::record::{METADATA_KEY, TraceRecord};

/// A line's provenance as its record tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineProvenance {
    /// 1-based line number.
    pub line: usize,
    /// The commit that introduced the line.
    pub commit: String,
    /// ai, mixed, unknown — or `None` when that commit has no record.
    pub class: Option<String>,
    /// `provider/model` of an ai or mixed line.
    pub model: Option<String>,
    /// The agent session of an ai or mixed line.
    pub session: Option<String>,
    /// The agent tool of that session (`claude-code`, `codex`, `opencode`, …).
    pub tool: Option<String>,
    /// The line's text.
    pub text: String,
}

/// Records by commit, read once each.
pub struct RecordCache<'r> {
    repo: &'r Repo,
    notes_ref: String,
    records: HashMap<gix::ObjectId, Option<TraceRecord>>,
}

impl<'r> RecordCache<'r> {
    /// A cache reading notes under `notes_ref`.
    pub fn new(repo: &'r Repo, notes_ref: &str) -> RecordCache<'r> {
        RecordCache { repo, notes_ref: notes_ref.to_string(), records: HashMap::new() }
    }

    /// The record of `commit`, if it has one (unreadable notes count as none).
    pub fn get(&mut self, commit: gix::ObjectId) -> Option<&TraceRecord> {
        let (repo, notes_ref) = (self.repo, &self.notes_ref);
        self.records
            .entry(commit)
            .or_insert_with(|| {
                read_note(repo, notes_ref, commit).ok().flatten().and_then(|bytes| serde_json::from_slice(&bytes).ok())
            })
            .as_ref()
    }
}

/// The class, model and session a record gives line `line` (1-based) of `path`.
pub fn class_of_line(record: &TraceRecord, path: &str, line: usize) -> (String, Option<String>, Option<String>) {
    let sessions: Vec<String> = record
        .metadata
        .as_ref()
        .and_then(|m| m.get(METADATA_KEY))
        .and_then(|m| m.get("sessions"))
        .and_then(|s| s.as_array())
        .map(|list| list.iter().filter_map(|s| s.get("id").and_then(|i| i.as_str()).map(str::to_string)).collect())
        .unwrap_or_default();
    let line = line as u64;
    for file in record.files.iter().filter(|f| f.path == path) {
        for conversation in &file.conversations {
            for range in &conversation.ranges {
                if range.start_line <= line && line <= range.end_line {
                    let contributor = range.contributor.as_ref().or(conversation.contributor.as_ref());
                    let kind = contributor.map_or_else(|| "unknown".to_string(), |c| c.kind.clone());
                    let model = contributor.and_then(|c| c.model_id.clone());
                    let session = conversation
                        .url
                        .as_ref()
                        .and_then(|url| sessions.iter().find(|s| url.contains(s.as_str())).cloned());
                    return (kind, model, session);
                }
            }
        }
    }
    ("unknown".into(), None, None)
}

/// The agent tool of `session` in `record` (from its `metadata.sce.sessions`).
pub fn tool_of_session(record: &TraceRecord, session: &str) -> Option<String> {
    record
        .metadata
        .as_ref()?
        .get(METADATA_KEY)?
        .get("sessions")?
        .as_array()?
        .iter()
        .find(|s| s.get("id").and_then(|i| i.as_str()) == Some(session))?
        .get("tool")?
        .as_str()
        .map(str::to_string)
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
            let (class, model, session) = class_of_line(record, &line.source_path, line.source_line);
            let tool = session.as_deref().and_then(|s| tool_of_session(record, s));
            (Some(class), model, session, tool)
        }
        None => (None, None, None, None),
    };
    LineProvenance { line: line.line, commit: line.commit.to_string(), class, model, session, tool, text: line.text }
}
