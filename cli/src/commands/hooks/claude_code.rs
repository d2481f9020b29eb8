//! `sce hooks claude-code`: one Claude Code hook event.

use clap::Args;

use super::HookError;
use super::agent_event::{read_event, record_event};
use crate::agents::claude::{self, HookEvent, TOOL_NAME};
use crate::commands::{CommandError, CommandHelper};
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
pub fn run(ctx: &CommandHelper, _args: ClaudeCodeArgs) -> Result<ExitCode, CommandError> {
    super::report("claude-code hook", record(ctx))
}

fn record(ctx: &CommandHelper) -> Result<(), HookError> {
    let event = HookEvent::parse(&read_event()?).map_err(HookError::event)?;
    record_event(ctx, event.cwd.as_deref(), TOOL_NAME, |context| {
        claude::handle(&event, context).map_err(HookError::event)
    })
}
