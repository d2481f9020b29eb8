//! What every agent hook command does around its agent's mapping: find the
//! repository, do nothing unless sce is set up there, and store what the event
//! amounts to through the envelope path (validation, redaction, spool).

use std::io::Read;
use std::path::Path;

use super::HookError;
use crate::agents::{Capture, Context, SessionFiles};
use crate::commands::{CommandHelper, ContextError};
use crate::pipeline::intake;

/// The event on stdin.
pub(crate) fn read_event() -> Result<Vec<u8>, HookError> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).map_err(|source| HookError::Stdin { what: "the event", source })?;
    Ok(input)
}

/// Finds the repository at `cwd` (else `-R`, else the current directory); if sce
/// is set up there, lets `handle` turn the event into a capture and stores it for `tool`.
pub(crate) fn record_event(
    ctx: &CommandHelper,
    cwd: Option<&Path>,
    tool: &str,
    handle: impl FnOnce(&Context<'_>) -> Result<Capture, HookError>,
) -> Result<(), HookError> {
    // Not in a repository, or sce is not set up in it: nothing to do.
    let repo = match ctx.repo_from(cwd) {
        Ok(repo) => repo,
        Err(ContextError::Git(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let config = ctx.hook_config()?;
    let paths = ctx.paths()?;
    if !paths.dir.is_dir() || !config.hooks.enabled.conversation_trace {
        return Ok(());
    }
    let context = Context {
        repo,
        files: SessionFiles::new(&paths.dir, tool),
        max_file_bytes: config.attribution.max_file_bytes,
        now_ms: (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64,
    };
    let capture = handle(&context)?;
    if capture.is_empty() {
        return Ok(());
    }
    let mut envelope = capture.into_envelope(tool, &repo.location.root)?.ok_or(HookError::NothingToStore)?;
    if config.capture.redact_secrets {
        envelope.redact_secrets();
    }
    for problem in &envelope.diagnostics {
        tracing::debug!("skipped: {problem:?}");
    }
    let report = intake::ingest_in_repo(paths, config, repo, envelope)?;
    if let Some(problem) = report.db_problem {
        return Err(HookError::Spooled { spooled: report.spooled, problem });
    }
    Ok(())
}
