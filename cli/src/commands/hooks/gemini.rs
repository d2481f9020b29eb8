//! `sce hooks gemini`: one Gemini CLI hook event.

use std::io::Read;

use clap::Args;

use super::agent_event::record_event;
use crate::agents::gemini::{self, HookEvent, TOOL_NAME};
use crate::commands::CommandError;
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
pub fn run(_args: GeminiArgs) -> Result<ExitCode, CommandError> {
    if let Err(message) = record() {
        eprintln!("sce: gemini hook: {message}");
    }
    Ok(ExitCode::Ok)
}

fn record() -> Result<(), String> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).map_err(|e| format!("cannot read the event from stdin: {e}"))?;
    let event = HookEvent::parse(&input).map_err(|e| e.to_string())?;
    record_event(event.cwd.clone(), TOOL_NAME, |context| gemini::handle(&event, context).map_err(|e| e.to_string()))
}
