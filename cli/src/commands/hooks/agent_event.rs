//! What every agent hook command does around its agent's mapping: find the
//! repository, do nothing unless sce is set up there, and store what the event
//! amounts to through the envelope path (validation, redaction, spool).

use std::path::PathBuf;

use serde_json::json;

use crate::agents::{Capture, Context, SessionFiles};
use crate::capture::{Envelope, RawEnvelope};
use crate::config::Config;
use crate::git::Repo;
use crate::pipeline::intake;

/// Finds the repository at `cwd` (else the current directory); if sce is set up
/// there, lets `handle` turn the event into a capture and stores it for `tool`.
pub(crate) fn record_event(
    cwd: Option<PathBuf>,
    tool: &str,
    handle: impl FnOnce(&Context<'_>) -> Result<Capture, String>,
) -> Result<(), String> {
    let start = match cwd {
        Some(cwd) => cwd,
        None => std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?,
    };
    // Not in a repository, or sce is not set up in it: nothing to do.
    let Ok(repo) = Repo::discover(&start) else { return Ok(()) };
    let config = Config::load_for_hook(repo.location.config_scope());
    crate::logging::apply(&config.logging);
    let paths = repo.location.store_paths(&config);
    if !paths.dir.is_dir() || !config.hooks.enabled.conversation_trace {
        return Ok(());
    }
    let context = Context {
        repo: &repo,
        files: SessionFiles::new(&paths.dir, tool),
        max_file_bytes: config.attribution.max_file_bytes,
        now_ms: (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64,
    };
    let capture = handle(&context)?;
    if capture.is_empty() {
        return Ok(());
    }
    let mut envelope = envelope(capture, tool, &repo.location.root)?;
    if config.capture.redact_secrets {
        envelope.redact_secrets();
    }
    for problem in &envelope.diagnostics {
        tracing::debug!("skipped: {problem:?}");
    }
    let report = intake::ingest(&paths, &config, &repo.location.worktree, envelope).map_err(|e| e.to_string())?;
    if let Some(problem) = &report.db_problem {
        return Err(format!("spooled {} event(s) for later: {problem}", report.spooled));
    }
    Ok(())
}

/// The messages and parts as one validated batch (paths made repo-relative, checked).
fn envelope(capture: Capture, tool: &str, root: &std::path::Path) -> Result<Envelope, String> {
    let mut merged: Option<Envelope> = None;
    for (kind, payloads) in [("message.updated", capture.messages), ("message.part.updated", capture.parts)] {
        if payloads.is_empty() {
            continue;
        }
        let raw = json!({"type": kind, "tool_name": tool, "payloads": payloads}).to_string();
        let envelope = RawEnvelope::parse(raw.as_bytes()).map_err(|e| e.to_string())?.into_events(root);
        merged = Some(match merged {
            None => envelope,
            Some(mut first) => {
                first.attempted += envelope.attempted;
                first.events.extend(envelope.events);
                first.diagnostics.extend(envelope.diagnostics);
                first
            }
        });
    }
    merged.ok_or_else(|| "nothing to store".to_string())
}
