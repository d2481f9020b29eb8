//! `sce hooks codex`: one Codex CLI hook event.

use clap::Args;

use super::HookError;
use super::agent_event::{read_event, record_event};
use crate::agents::codex::{self, HookEvent, TOOL_NAME};
use crate::commands::{CommandError, CommandHelper};
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
pub fn run(ctx: &CommandHelper, _args: CodexArgs) -> Result<ExitCode, CommandError> {
    super::report("codex hook", record(ctx))
}

fn record(ctx: &CommandHelper) -> Result<(), HookError> {
    let event = HookEvent::parse(&read_event()?).map_err(HookError::event)?;
    record_event(ctx, event.cwd.as_deref(), TOOL_NAME, |context| {
        codex::handle(&event, context).map_err(HookError::event)
    })
}
