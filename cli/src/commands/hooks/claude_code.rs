//! `sce hooks claude-code`: one Claude Code hook event.

use std::io::Read;

use clap::Args;

use super::agent_event::record_event;
use crate::agents::claude::{self, HookEvent, TOOL_NAME};
use crate::commands::CommandError;
use crate::exit::ExitCode;

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
    record_event(event.cwd.clone(), TOOL_NAME, |context| claude::handle(&event, context).map_err(|e| e.to_string()))
}
