//! `sce hooks gemini`: one Gemini CLI hook event.

use clap::Args;

use super::HookError;
use super::agent_event::{read_event, record_event};
use crate::agents::gemini::{self, HookEvent, TOOL_NAME};
use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;

/// Record one Gemini CLI hook event (JSON on stdin): edits with their model, prompts, answers.
///
/// Installed by `sce setup --gemini` for SessionStart, BeforeAgent, BeforeTool, AfterTool,
/// AfterAgent and SessionEnd. Never in Gemini's way: always exits 0 and prints nothing on
/// stdout (Gemini would read it as the hook's decision); on a failure it prints one line on
/// stderr, which Gemini shows as a message, and events the database could not take are
/// spooled. Outside a repository where sce is set up it does nothing.
#[derive(Debug, Args)]
pub struct GeminiArgs {}

/// Handles the event; always exits 0.
pub fn run(ctx: &CommandHelper, _args: GeminiArgs) -> Result<ExitCode, CommandError> {
    super::report("gemini hook", record(ctx))
}

fn record(ctx: &CommandHelper) -> Result<(), HookError> {
    let event = HookEvent::parse(&read_event()?).map_err(HookError::event)?;
    record_event(ctx, event.cwd.as_deref(), TOOL_NAME, |context| {
        gemini::handle(&event, context).map_err(HookError::event)
    })
}
