//! `sce hooks agent`: the contract for any agent sce has no adapter for.

use std::io::Read;

use clap::Args;

use super::agent_event::record_event;
use crate::agents::generic::{self, AgentEvent};
use crate::commands::CommandError;
use crate::exit::ExitCode;

/// Record one event of any coding agent (JSON on stdin), for agents sce has no adapter for.
///
/// Call it around each tool call and for prompts and answers:
///   {"event": "pre_tool", "agent": "my-agent", "session_id": "s-1", "tool_call_id": "c-7", "tool_name": "shell"}
///   {"event": "post_tool", "agent": "my-agent", "session_id": "s-1", "tool_call_id": "c-7", "tool_name": "shell",
///    "model": "openai/gpt-5.1"}
/// A post_tool may carry exact edits instead: "files": [{"path": "a.py", "before": "…", "after": "…"}]
/// (no "before": created; no "after": deleted); without them sce compares the work tree
/// with the snapshot it took at that call's pre_tool. Other events: "prompt" and
/// "response" (with "text"), "session_end". Optional: "agent_version", "cwd" (default:
/// the current directory), "model" (provider/model). Always exits 0 and prints nothing
/// on stdout; a problem is one line on stderr. Does nothing where sce is not set up.
#[derive(Debug, Args)]
pub struct AgentArgs {}

/// Handles the event; always exits 0.
pub fn run(_args: AgentArgs) -> Result<ExitCode, CommandError> {
    if let Err(message) = record() {
        eprintln!("sce: agent hook: {message}");
    }
    Ok(ExitCode::Ok)
}

fn record() -> Result<(), String> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).map_err(|e| format!("cannot read the event from stdin: {e}"))?;
    let event = AgentEvent::parse(&input).map_err(|e| e.to_string())?;
    let tool = event.agent.clone();
    record_event(event.cwd.clone(), &tool, |context| generic::handle(&event, context).map_err(|e| e.to_string()))
}
