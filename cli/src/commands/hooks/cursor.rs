//! `sce hooks cursor`: one Cursor hook event.

use std::io::Read;

use clap::Args;

use super::agent_event::record_event;
use crate::agents::cursor::{self, CursorEvent, TOOL_NAME};
use crate::commands::CommandError;
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
pub fn run(_args: CursorArgs) -> Result<ExitCode, CommandError> {
    let mut input = Vec::new();
    let read = std::io::stdin().read_to_end(&mut input);
    let event = read
        .map_err(|e| format!("cannot read the event from stdin: {e}"))
        .and_then(|_| CursorEvent::parse(&input).map_err(|e| e.to_string()));
    let outcome = event.as_ref().map_err(Clone::clone).and_then(|event| {
        record_event(event.workdir(), TOOL_NAME, |context| cursor::handle(event, context).map_err(|e| e.to_string()))
    });
    // Cursor reads the reply; it must come whatever happened.
    println!("{}", event.as_ref().map_or("{}", CursorEvent::reply));
    if let Err(message) = outcome {
        eprintln!("sce: cursor hook: {message}");
    }
    Ok(ExitCode::Ok)
}
