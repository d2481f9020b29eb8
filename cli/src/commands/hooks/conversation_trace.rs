//! `sce hooks conversation-trace`: envelope intake.

use std::io::Read;

use clap::Args;

use crate::capture::RawEnvelope;
use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;
use crate::pipeline::intake;

/// Store one batch envelope of agent events read from stdin.
///
/// The envelope is one JSON object: {"type": "message.updated" | "message.part.updated",
/// "payloads": [...], "tool_name"?, "tool_version"?, "cwd"?}. Prints one JSON line:
/// {"attempted","persisted","skipped","spooled","diagnostics"}. Exit 0 when the envelope
/// was understood (even with skipped items), 3 when it is invalid, 4 when its events
/// could be neither stored nor spooled, 6 when the directory is not in a git repository.
/// The repository is `-R/--repo`, else the envelope's `cwd`, else the current directory's.
#[derive(Debug, Args)]
pub struct ConversationTraceArgs {}

/// Reads, validates, stores or spools, and reports.
pub fn run(ctx: &CommandHelper, _args: ConversationTraceArgs) -> Result<ExitCode, CommandError> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).map_err(|e| {
        CommandError::with_source(ExitCode::InvalidInput, format!("cannot read the envelope from stdin: {e}"), e)
    })?;
    let raw = RawEnvelope::parse(&input).map_err(|e| CommandError::from_error(ExitCode::InvalidInput, e))?;
    let repo = ctx.repo_from(raw.cwd.as_deref())?;
    let location = &repo.location;
    // Intake never refuses events over a bad config: it warns and uses what is valid.
    let config = ctx.hook_config()?;
    let mut envelope = raw.into_events(&location.root);
    if config.capture.redact_secrets {
        envelope.redact_secrets();
    }
    if !config.hooks.enabled.conversation_trace {
        eprintln!("sce: intake is switched off (hooks.enabled.conversation_trace = false); nothing was stored");
        let report = intake::IntakeReport::not_stored(envelope);
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
        return Ok(ExitCode::Ok);
    }
    let paths = ctx.paths()?;
    let report = intake::ingest_in_repo(paths, config, repo, envelope)
        .map_err(|e| CommandError::from_error(ExitCode::StorageFailed, e))?;
    if let Some(problem) = &report.db_problem {
        eprintln!("sce: spooled {} event(s) for later: {problem}", report.spooled);
    }
    let line = serde_json::to_string(&report)
        .map_err(|e| CommandError::with_source(ExitCode::Internal, format!("cannot print the report: {e}"), e))?;
    println!("{line}");
    Ok(ExitCode::Ok)
}
