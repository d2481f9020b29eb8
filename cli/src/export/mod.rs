//! Export: agent sessions as a JSON Lines dataset, one scrubbed record per session
//! (`context/export.md`). Streams: the session list holds ids and times only, and each
//! session's messages and parts are loaded, written and dropped before the next.
//! Knows nothing of the command line.

pub mod dataset;
pub mod scrub;
pub mod writer;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::ExportScrubConfig;
use crate::record::session_commits;
use crate::store::{Store, StoreError};
use dataset::{SessionInput, build_record};
use scrub::{ScrubFindings, Scrubber};
use writer::DatasetWriter;

/// How long the export holds the database before letting other sce processes (agent
/// hooks, commits) take a turn: the store's lock is exclusive.
const HOLD_AT_MOST: Duration = Duration::from_millis(200);

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The database could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `--session` named sessions the database does not have.
    #[error(
        "no session {} in this repository's sce database; check the ids (`sce stats --by session` lists sessions with commits)",
        .ids.join(", ")
    )]
    UnknownSessions {
        /// The ids not found.
        ids: Vec<String>,
    },
    /// `--since` is not a date.
    #[error("--since {value:?} is not a date: give RFC 3339 (2025-11-20T08:00:00Z) or YYYY-MM-DD")]
    BadDate {
        /// What was given.
        value: String,
        /// The parse error.
        source: time::error::Parse,
    },
    /// The dataset could not be written.
    #[error("cannot write the dataset to {path}: {source}; check that the directory exists and is writable")]
    Write {
        /// The file, or `stdout`.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A record could not be encoded (a bug).
    #[error("cannot encode the record of session {session}: {source}; please report this")]
    Encode {
        /// The session.
        session: String,
        /// The encoding error.
        source: serde_json::Error,
    },
}

/// What to export and how.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Only sessions active at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Only these sessions (repeats are ignored); all when empty.
    pub sessions: Vec<String>,
    /// Put message texts and diffs in the records.
    pub include_text: bool,
    /// What to scrub beyond secrets.
    pub scrub: ExportScrubConfig,
    /// Keep every finding for the summary (`--check`); otherwise only counts are kept,
    /// so memory does not grow with the number of sessions.
    pub list_findings: bool,
}

/// What one kind of scrubbing found in one session (for `--check`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The kind (`email`, `home-path`, `ip-address`, `keyed-token`, or a secret kind).
    pub kind: String,
    /// The session, as exported.
    pub session_id: String,
    /// Replacements made.
    pub count: u64,
    /// The first value replaced, masked.
    pub excerpt: String,
}

/// What an export did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportSummary {
    /// Sessions written.
    pub exported: u64,
    /// Sessions left out because a person excluded them.
    pub excluded: u64,
    /// Written sessions whose text repeats an earlier one (`duplicate_of` set).
    pub duplicates: u64,
    /// Everything scrubbing replaced, per session and kind (with `list_findings`).
    pub findings: Vec<Finding>,
}

/// Parses `--since`: RFC 3339, or a date (midnight UTC); ms since the epoch.
pub fn parse_since(value: &str) -> Result<i64, ExportError> {
    use time::format_description::well_known::Rfc3339;
    let bad = |source| ExportError::BadDate { value: value.to_string(), source };
    let at = match time::OffsetDateTime::parse(value, &Rfc3339) {
        Ok(at) => at,
        Err(rfc_error) => {
            let Ok(format) = time::format_description::parse_borrowed::<2>("[year]-[month]-[day]") else {
                return Err(bad(rfc_error));
            };
            time::Date::parse(value, &format).map_err(bad)?.midnight().assume_utc()
        }
    };
    Ok((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// The store, reopened whenever it has been held for [`HOLD_AT_MOST`], so a long
/// export never keeps hooks waiting past their retry budget.
struct Lease<'a> {
    open: &'a mut dyn FnMut() -> Result<Store, StoreError>,
    store: Option<Store>,
    since: Instant,
}

impl Lease<'_> {
    fn store(&mut self) -> Result<&Store, StoreError> {
        if self.since.elapsed() > HOLD_AT_MOST {
            // Close first: the lock must be free before the next open waits for its turn.
            self.store = None;
        }
        let store = match self.store.take() {
            Some(store) => store,
            None => {
                let store = (self.open)()?;
                self.since = Instant::now();
                store
            }
        };
        Ok(self.store.insert(store))
    }
}

/// Exports the selected sessions through `writer`, calling `progress(done, total)`
/// after each. Excluded sessions are counted, never written.
pub fn export(
    open: &mut dyn FnMut() -> Result<Store, StoreError>,
    options: &ExportOptions,
    writer: &mut DatasetWriter,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ExportSummary, ExportError> {
    let mut lease = Lease { open, store: None, since: Instant::now() };
    let store = lease.store()?;
    let commits = session_commits(store)?;
    let mut spans = store.session_spans(options.since_ms)?;
    if !options.sessions.is_empty() {
        let wanted: BTreeSet<&str> = options.sessions.iter().map(String::as_str).collect();
        let known: BTreeSet<String> = store.session_spans(None)?.into_iter().map(|s| s.session_id).collect();
        let unknown: Vec<String> = wanted.iter().filter(|id| !known.contains(**id)).map(|id| id.to_string()).collect();
        if !unknown.is_empty() {
            return Err(ExportError::UnknownSessions { ids: unknown });
        }
        spans.retain(|s| wanted.contains(s.session_id.as_str()));
    }
    let scrubber = Scrubber::new(options.scrub);
    let mut summary = ExportSummary::default();
    let mut first_with_hash: HashMap<String, String> = HashMap::new();
    let total = spans.len() as u64;
    for (done, span) in spans.iter().enumerate() {
        let store = lease.store()?;
        let row = store.session_row(&span.session_id)?;
        if row.as_ref().is_some_and(|r| r.excluded) {
            tracing::debug!(session = span.session_id, "excluded from exports");
            summary.excluded += 1;
            progress(done as u64 + 1, total);
            continue;
        }
        let conversation = store.conversation(&span.session_id)?;
        let input = SessionInput {
            span,
            conversation: &conversation,
            row: row.as_ref(),
            commits: commits.get(&span.session_id).map(Vec::as_slice).unwrap_or_default(),
        };
        let mut findings = ScrubFindings::new();
        let mut record = build_record(&input, &scrubber, options.include_text, &mut findings);
        drop(conversation);
        record.scrubbed = findings.iter().map(|(kind, tally)| (kind.clone(), tally.count)).collect();
        if let Some(hash) = &record.content_hash {
            match first_with_hash.get(hash) {
                Some(first) => record.duplicate_of = Some(first.clone()),
                None => {
                    first_with_hash.insert(hash.clone(), record.session_id.clone());
                }
            }
        }
        if writer.write(&record)? {
            summary.exported += 1;
            summary.duplicates += u64::from(record.duplicate_of.is_some());
            let listed = if options.list_findings { findings } else { ScrubFindings::new() };
            summary.findings.extend(listed.into_iter().map(|(kind, tally)| Finding {
                kind,
                session_id: record.session_id.clone(),
                count: tally.count,
                excerpt: tally.excerpt,
            }));
        }
        progress(done as u64 + 1, total);
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_rfc3339_and_dates() {
        assert_eq!(parse_since("2025-11-20").unwrap(), 1_763_596_800_000);
        assert_eq!(parse_since("2025-11-20T00:53:20Z").unwrap(), 1_763_600_000_000);
        assert_eq!(parse_since("2025-11-20T01:53:20+01:00").unwrap(), 1_763_600_000_000);
        let error = parse_since("last tuesday").unwrap_err().to_string();
        assert!(error.contains("RFC 3339") && error.contains("last tuesday"), "{error}");
    }
}
