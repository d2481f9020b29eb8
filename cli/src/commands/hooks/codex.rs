//! `sce hooks codex`: one Codex CLI hook event.

use std::io::Read;

use clap::Args;

use super::agent_event::record_event;
use crate::agents::codex::{self, HookEvent, TOOL_NAME};
use crate::commands::CommandError;
use crate::exit::ExitCode;

/// Record one Codex CLI hook event (JSON on stdin): edits with their model, prompts, answers.
///
/// Installed by `sce setup --codex` in $CODEX_HOME/hooks.json (default ~/.codex) for
/// SessionStart, UserPromptSubmit, PreToolUse, PostToolUse, Stop and SessionEnd, and
/// trusted in $CODEX_HOME/config.toml. apply_patch edits are exact; other tools are
/// captured by comparing the work tree before and after the call. Never in Codex's
/// way: always exits 0 and prints nothing on stdout (Codex would read it as hook
/// output); on a failure it prints one line on stderr, and events the database could
/// not take are spooled. Outside a repository where sce is set up it does nothing.
#[derive(Debug, Args)]
pub struct CodexArgs {}

/// Handles the event; always exits 0.
pub fn run(_args: CodexArgs) -> Result<ExitCode, CommandError> {
    if let Err(message) = record() {
        eprintln!("sce: codex hook: {message}");
    }
    Ok(ExitCode::Ok)
}

fn record() -> Result<(), String> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).map_err(|e| format!("cannot read the event from stdin: {e}"))?;
    let event = HookEvent::parse(&input).map_err(|e| e.to_string())?;
    record_event(event.cwd.clone(), TOOL_NAME, |context| codex::handle(&event, context).map_err(|e| e.to_string()))
}
