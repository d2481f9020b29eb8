//! Which commits each session contributed lines to, read from the records in the
//! local DB: what `sce sessions` and `sce export` report per session.

use std::collections::BTreeMap;

use super::{Class, TraceRecord};
use crate::store::{Store, StoreError};

/// One commit a session has lines in, and how many.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionCommit {
    /// The commit.
    pub sha: String,
    /// Lines the agent wrote as committed.
    pub ai: u64,
    /// The agent's lines a person then edited.
    pub mixed: u64,
    /// When the record was written (ms since the epoch).
    pub recorded_ms: i64,
}

/// Session id → the commits it has lines in, oldest record first. Reads every
/// record once, one at a time; a record that does not parse is skipped (doctor
/// reports those).
pub fn session_commits(store: &Store) -> Result<BTreeMap<String, Vec<SessionCommit>>, StoreError> {
    let mut by_session: BTreeMap<String, Vec<SessionCommit>> = BTreeMap::new();
    store.for_each_record(|sha, json, recorded_ms| {
        let Ok(record) = serde_json::from_str::<TraceRecord>(json) else {
            tracing::debug!(sha, "a stored record does not parse");
            return;
        };
        let mut counts: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for entry in record.ranges() {
            let Some(session) = entry.class.credit().and_then(|c| c.session).map(|s| s.id.as_str()) else { continue };
            let count = counts.entry(session).or_default();
            match entry.class {
                Class::Ai(_) => count.0 += entry.range.line_count(),
                Class::Mixed(_) => count.1 += entry.range.line_count(),
                Class::Unknown => {}
            }
        }
        for (session, (ai, mixed)) in counts {
            by_session.entry(session.to_string()).or_default().push(SessionCommit {
                sha: sha.to_string(),
                ai,
                mixed,
                recorded_ms,
            });
        }
    })?;
    Ok(by_session)
}
