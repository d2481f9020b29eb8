//! `sce hooks agent`: the contract for any agent sce has no adapter for.

use clap::Args;

use super::HookError;
use super::agent_event::{read_event, record_event};
use crate::agents::generic::{self, AgentEvent};
use crate::commands::{CommandError, CommandHelper};
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
pub fn run(ctx: &CommandHelper, _args: AgentArgs) -> Result<ExitCode, CommandError> {
    super::report("agent hook", record(ctx))
}

fn record(ctx: &CommandHelper) -> Result<(), HookError> {
    let event = AgentEvent::parse(&read_event()?).map_err(HookError::event)?;
    let tool = event.agent.clone();
    record_event(ctx, event.cwd.as_deref(), &tool, |context| generic::handle(&event, context).map_err(HookError::event))
}
