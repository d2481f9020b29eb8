//! Intake: stores a validated envelope, draining the spool first, and spools
//! it durably when the DB cannot be reached. Nothing acknowledged is lost.

use serde::Serialize;

use super::session_context;
use crate::capture::{Envelope, ItemDiagnostic};
use crate::config::Config;
use crate::git::Repo;
use crate::store::{Spool, SpoolError, SpooledBatch, Store, StoreError, StorePaths};

/// What happened to an envelope; printed as one JSON line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntakeReport {
    /// Items in the envelope.
    pub attempted: usize,
    /// Items now in the DB.
    pub persisted: usize,
    /// Items refused (see diagnostics).
    pub skipped: usize,
    /// Items written to the spool because the DB could not be reached.
    pub spooled: usize,
    /// One entry per skipped item.
    pub diagnostics: Vec<ItemDiagnostic>,
    /// Why the DB was not used, when items were spooled.
    #[serde(skip)]
    pub db_problem: Option<String>,
    /// Spooled batches from earlier calls that this call stored.
    #[serde(skip)]
    pub drained: usize,
}

impl IntakeReport {
    /// The report of an envelope before (or without) storing its events.
    pub fn not_stored(envelope: Envelope) -> IntakeReport {
        IntakeReport {
            attempted: envelope.attempted,
            persisted: 0,
            skipped: envelope.diagnostics.len(),
            spooled: 0,
            diagnostics: envelope.diagnostics,
            db_problem: None,
            drained: 0,
        }
    }
}

/// The events could be neither stored nor spooled.
#[derive(Debug, thiserror::Error)]
#[error("could not store the events ({db}) nor spool them ({spool})")]
pub struct IntakeError {
    /// Why the DB failed.
    pub db: Box<StoreError>,
    /// Why the spool failed.
    pub spool: SpoolError,
}

/// Stores `envelope`'s events for `worktree`, or spools them.
pub fn ingest(
    paths: &StorePaths,
    config: &Config,
    worktree: &str,
    envelope: Envelope,
) -> Result<IntakeReport, IntakeError> {
    ingest_events(paths, config, worktree, None, envelope)
}

/// Stores `envelope`'s events for the worktree of `repo`, or spools them; a
/// session sce first hears of gets the git context it starts in (the hooks' path).
pub fn ingest_in_repo(
    paths: &StorePaths,
    config: &Config,
    repo: &Repo,
    envelope: Envelope,
) -> Result<IntakeReport, IntakeError> {
    ingest_events(paths, config, &repo.location.worktree, Some(repo), envelope)
}

fn ingest_events(
    paths: &StorePaths,
    config: &Config,
    worktree: &str,
    repo: Option<&Repo>,
    mut envelope: Envelope,
) -> Result<IntakeReport, IntakeError> {
    let events = std::mem::take(&mut envelope.events);
    let mut report = IntakeReport::not_stored(envelope);
    if events.is_empty() {
        return Ok(report);
    }
    match store_with_drain(paths, config, worktree, repo, &events) {
        Ok(drained) => {
            report.persisted = events.len();
            report.drained = drained;
        }
        Err(db) => {
            let spool = Spool::new(paths);
            let batch = SpooledBatch { worktree: worktree.to_string(), events };
            match spool.append(&batch) {
                Ok(()) => {
                    report.spooled = batch.events.len();
                    report.db_problem = Some(db.to_string());
                }
                Err(spool) => return Err(IntakeError { db: Box::new(db), spool }),
            }
        }
    }
    tracing::debug!(persisted = report.persisted, spooled = report.spooled, drained = report.drained, "intake done");
    Ok(report)
}

/// Opens the DB and stores spooled batches, then `events`, in one transaction;
/// with a repository, then notes the git context of sessions new to sce.
/// Returns how many spooled batches were drained.
fn store_with_drain(
    paths: &StorePaths,
    config: &Config,
    worktree: &str,
    repo: Option<&Repo>,
    events: &[crate::capture::CapturedEvent],
) -> Result<usize, StoreError> {
    // Closing the store truncates the WAL if this call grew it past the bound.
    let store = Store::open_configured(paths, config)?;
    let drained = drain_into(&store, Some((worktree, events)))?;
    if let Some(repo) = repo {
        let now_ms = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        session_context::note_new_sessions(&store, repo, events, now_ms);
    }
    Ok(drained)
}

/// Stores every spooled batch (and `then`, if given) in one transaction and
/// empties the spool. The caller holds the DB open, so no other process can
/// drain at the same time. Returns the number of spooled batches stored.
pub fn drain_into(store: &Store, then: Option<(&str, &[crate::capture::CapturedEvent])>) -> Result<usize, StoreError> {
    let spool = Spool::new(store.paths());
    if spool.is_empty() {
        if let Some((worktree, events)) = then {
            store.ingest(worktree, events)?;
        }
        return Ok(0);
    }
    let drain = match spool.begin_drain() {
        Ok(drain) => drain,
        Err(e) => {
            // The spool stays as it is; store the new events and leave it for later.
            tracing::warn!("cannot read the spool, leaving it for a later call: {e}");
            if let Some((worktree, events)) = then {
                store.ingest(worktree, events)?;
            }
            return Ok(0);
        }
    };
    let mut batches: Vec<(&str, &[crate::capture::CapturedEvent])> =
        drain.batches.iter().map(|b| (b.worktree.as_str(), b.events.as_slice())).collect();
    if let Some(batch) = then {
        batches.push(batch);
    }
    store.ingest_batches(&batches)?;
    let drained = drain.batches.len();
    if let Err(e) = drain.finish() {
        // Stored twice is harmless (upserts); lost is not. Leave it for the next call.
        tracing::warn!("stored the spool but could not empty it: {e}");
    }
    Ok(drained)
}
