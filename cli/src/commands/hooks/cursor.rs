//! `sce hooks cursor`: one Cursor hook event.

use clap::Args;

use super::HookError;
use super::agent_event::{read_event, record_event};
use crate::agents::cursor::{self, CursorEvent, TOOL_NAME};
use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;

/// Record one Cursor hook event (JSON on stdin, as `.cursor/hooks.json` runs hooks).
///
/// Installed by `sce setup --cursor` for beforeSubmitPrompt, afterFileEdit,
/// before/afterShellExecution, before/afterMCPExecution, afterAgentResponse and stop.
/// Always exits 0 and answers Cursor on stdout with no decision of its own
/// (`{}`, or `{"continue":true}` for beforeSubmitPrompt); a problem is one line on
/// stderr. Does nothing where sce is not set up. Not yet proven by a real Cursor.
#[derive(Debug, Args)]
pub struct CursorArgs {}

/// Handles the event; always exits 0.
pub fn run(ctx: &CommandHelper, _args: CursorArgs) -> Result<ExitCode, CommandError> {
    let event = read_event().and_then(|input| CursorEvent::parse(&input).map_err(HookError::event));
    let outcome = match &event {
        Ok(event) => record_event(ctx, event.workdir().as_deref(), TOOL_NAME, |context| {
            cursor::handle(event, context).map_err(HookError::event)
        }),
        Err(_) => Ok(()),
    };
    // Cursor reads the reply; it must come whatever happened.
    println!("{}", event.as_ref().map_or("{}", CursorEvent::reply));
    super::report("cursor hook", event.map(|_| ()).and(outcome))
}
