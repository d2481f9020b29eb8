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
    // A variant over an Args struct is documented with `#[doc = concat!(…)]`: rustdoc
    // reads it, clap does not, so its help text stays the Args struct's doc comment
    // (a `///` here would replace it).
    #[doc = concat!("Takes the OpenCode plugin's and pi extension's envelopes of agent events.")]
    ConversationTrace(conversation_trace::ConversationTraceArgs),
    #[doc = concat!("Takes Claude Code's hook events.")]
    ClaudeCode(claude_code::ClaudeCodeArgs),
    #[doc = concat!("Takes Codex CLI's hook events.")]
    Codex(codex::CodexArgs),
    #[doc = concat!("Takes Gemini CLI's hook events.")]
    Gemini(gemini::GeminiArgs),
    #[doc = concat!("Takes the events of any other agent, in sce's own contract.")]
    Agent(agent::AgentArgs),
    #[doc = concat!("Takes Cursor's hook events.")]
    Cursor(cursor::CursorArgs),
    #[doc = concat!("Git's post-commit hook: attributes the new commit and writes its record.")]
    PostCommit(post_commit::PostCommitArgs),
    #[doc = concat!("Git's post-rewrite hook: gives amended and rebased commits their records.")]
    PostRewrite(post_rewrite::PostRewriteArgs),
    #[doc = concat!("Git's prepare-commit-msg hook: notes what a squash or pick -n takes its lines from.")]
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
