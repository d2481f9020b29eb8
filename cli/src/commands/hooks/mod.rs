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

use super::{CommandError, CommandHelper, ContextError};
use crate::exit::ExitCode;
use crate::pipeline::commit::Unrecorded;

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
pub fn run(ctx: &CommandHelper, command: HooksCommand) -> Result<ExitCode, CommandError> {
    match command {
        HooksCommand::ConversationTrace(args) => conversation_trace::run(ctx, args),
        HooksCommand::ClaudeCode(args) => claude_code::run(ctx, args),
        HooksCommand::Codex(args) => codex::run(ctx, args),
        HooksCommand::Gemini(args) => gemini::run(ctx, args),
        HooksCommand::Agent(args) => agent::run(ctx, args),
        HooksCommand::Cursor(args) => cursor::run(ctx, args),
        HooksCommand::PostCommit(args) => post_commit::run(ctx, args),
        HooksCommand::PostRewrite(args) => post_rewrite::run(ctx, args),
        HooksCommand::PrepareCommitMsg(args) => prepare_commit_msg::run(ctx, args),
    }
}

/// Why a hook could not do its work: the one line it prints on stderr before exiting 0.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// stdin could not be read.
    #[error("cannot read {what} from stdin: {source}")]
    Stdin {
        /// What the hook was reading.
        what: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// The repository or its configuration could not be opened.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// git failed.
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    /// The agent's event is not understood, or capturing it failed.
    #[error(transparent)]
    Event(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The batch made of the event is invalid.
    #[error(transparent)]
    Envelope(#[from] crate::capture::EnvelopeError),
    /// The event mapped to nothing to store.
    #[error("nothing to store")]
    NothingToStore,
    /// The events could be neither stored nor spooled.
    #[error(transparent)]
    Intake(#[from] crate::pipeline::intake::IntakeError),
    /// The DB failed: the events wait in the spool.
    #[error("spooled {spooled} event(s) for later: {problem}")]
    Spooled {
        /// How many.
        spooled: usize,
        /// Why the DB was not used.
        problem: String,
    },
    /// What the commit being made is made from could not be noted.
    #[error(transparent)]
    CommitSources(#[from] crate::pipeline::commit_sources::CommitSourcesError),
    /// Commits were left without a record (and marked for backfill, or said why not).
    #[error("{}", unrecorded_line(.0))]
    Unrecorded(Vec<Unrecorded>),
}

impl HookError {
    /// An agent's own error about its event.
    pub(crate) fn event(e: impl std::error::Error + Send + Sync + 'static) -> HookError {
        HookError::Event(Box::new(e))
    }
}

/// One line for commits left without a record: the reason alone for one, each
/// commit named for several.
fn unrecorded_line(unrecorded: &[Unrecorded]) -> String {
    match unrecorded {
        [one] => one.to_string(),
        many => many.iter().map(|u| format!("{}: {u}", u.commit)).collect::<Vec<_>>().join("; "),
    }
}

/// Prints a hook's failure in one line (`sce: <hook>: …`); hooks never fail their caller.
pub(crate) fn report(hook: &str, outcome: Result<(), HookError>) -> Result<ExitCode, CommandError> {
    if let Err(e) = outcome {
        eprintln!("sce: {hook}: {e}");
    }
    Ok(ExitCode::Ok)
}
