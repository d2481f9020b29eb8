//! `sce hooks claude-code`: one Claude Code hook event.

use std::io::Read;

use clap::Args;
use serde_json::json;

use crate::agents::SessionFiles;
use crate::agents::claude::{self, Capture, Context, HookEvent, TOOL_NAME};
use crate::capture::{Envelope, RawEnvelope};
use crate::commands::CommandError;
use crate::config::Config;
use crate::exit::ExitCode;
use crate::git::Repo;
use crate::intake;

/// Record one Claude Code hook event (JSON on stdin): edits with their model, prompts, answers.
///
/// Installed by `sce setup --claude` for PreToolUse, PostToolUse, PostToolUseFailure,
/// UserPromptSubmit, Stop, SessionStart and SessionEnd. Never in Claude's way: always exits 0 and prints nothing
/// on stdout; on a failure it prints one line on stderr, and events the database could
/// not take are spooled. Outside a repository where sce is set up it does nothing.
#[derive(Debug, Args)]
pub struct ClaudeCodeArgs {}

/// Handles the event; always exits 0.
pub fn run(_args: ClaudeCodeArgs) -> Result<ExitCode, CommandError> {
    if let Err(message) = record() {
        eprintln!("sce: claude-code hook: {message}");
    }
    Ok(ExitCode::Ok)
}

fn record() -> Result<(), String> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).map_err(|e| format!("cannot read the event from stdin: {e}"))?;
    let event = HookEvent::parse(&input).map_err(|e| e.to_string())?;
    let start = match &event.cwd {
        Some(cwd) => cwd.clone(),
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
        files: SessionFiles::new(&paths.dir, TOOL_NAME),
        max_file_bytes: config.attribution.max_file_bytes,
        now_ms: (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64,
    };
    let capture = claude::handle(&event, &context).map_err(|e| e.to_string())?;
    if capture.is_empty() {
        return Ok(());
    }
    let mut envelope = envelope(capture, &repo.location.root)?;
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
fn envelope(capture: Capture, root: &std::path::Path) -> Result<Envelope, String> {
    let mut merged: Option<Envelope> = None;
    for (kind, payloads) in [("message.updated", capture.messages), ("message.part.updated", capture.parts)] {
        if payloads.is_empty() {
            continue;
        }
        let raw = json!({"type": kind, "tool_name": TOOL_NAME, "payloads": payloads}).to_string();
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
