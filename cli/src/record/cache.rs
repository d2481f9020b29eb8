//! Records by commit, read from git notes once each: what blame, stats and
//! carrying on rewrites read many lines of many commits through.

use std::collections::HashMap;

use super::TraceRecord;
use crate::git::{Repo, read_note};

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
