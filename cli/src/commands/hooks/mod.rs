//! `sce hooks …`: what git hooks and agent plugins call.

pub mod agent;
mod agent_event;
pub mod claude_code;
pub mod codex;
pub mod conversation_trace;
pub mod cursor;
pub mod gemini;
pub mod post_commit;
pub mod post_rewrite;
pub mod prepare_commit_msg;

use clap::Subcommand;

use super::CommandError;
use crate::exit::ExitCode;

/// Hook entry points.
#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    // Help text: the doc comment of each Args struct.
    ConversationTrace(conversation_trace::ConversationTraceArgs),
    ClaudeCode(claude_code::ClaudeCodeArgs),
    Codex(codex::CodexArgs),
    Gemini(gemini::GeminiArgs),
    Agent(agent::AgentArgs),
    Cursor(cursor::CursorArgs),
    PostCommit(post_commit::PostCommitArgs),
    PostRewrite(post_rewrite::PostRewriteArgs),
    PrepareCommitMsg(prepare_commit_msg::PrepareCommitMsgArgs),
}

/// Runs a hook command.
pub fn run(command: HooksCommand) -> Result<ExitCode, CommandError> {
    match command {
        HooksCommand::ConversationTrace(args) => conversation_trace::run(args),
        HooksCommand::ClaudeCode(args) => claude_code::run(args),
        HooksCommand::Codex(args) => codex::run(args),
        HooksCommand::Gemini(args) => gemini::run(args),
        HooksCommand::Agent(args) => agent::run(args),
        HooksCommand::Cursor(args) => cursor::run(args),
        HooksCommand::PostCommit(args) => post_commit::run(args),
        HooksCommand::PostRewrite(args) => post_rewrite::run(args),
        HooksCommand::PrepareCommitMsg(args) => prepare_commit_msg::run(args),
    }
}
