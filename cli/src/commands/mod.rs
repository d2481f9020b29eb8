//! The command line: one file per subcommand. Each file holds the clap `Args`
//! (whose doc comment is the help text) and a `run` that wires domain modules,
//! given the [`CommandHelper`] that opens the repository, configuration and
//! store paths once.

pub mod blame;
pub mod completion;
pub mod config;
pub mod context;
pub mod demo;
pub mod doctor;
pub mod export;
pub mod gc;
pub mod hooks;
pub mod import;
pub mod notes;
pub mod sessions;
pub mod setup;
pub mod stats;
pub mod trace;
pub mod why;

use clap::{Parser, Subcommand};

pub use context::{CommandHelper, ContextError, GlobalArgs};

use crate::exit::ExitCode;

/// sce records, for every git commit, which lines an AI coding agent wrote,
/// in which session, with which model.
#[derive(Debug, Parser)]
#[command(name = "sce", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Flags every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    // A variant over an Args struct is documented with `#[doc = concat!(…)]`: rustdoc
    // reads it, clap does not, so its help text stays the Args struct's doc comment
    // (a `///` here would replace it).
    #[doc = concat!("Installs what feeds the records: git hooks and the agents' integrations.")]
    Setup(setup::SetupArgs),
    /// Show, check and create sce's configuration.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    #[doc = concat!("Finds, and with --fix repairs, whatever keeps commits from getting records.")]
    Doctor(doctor::DoctorArgs),
    #[doc = concat!("Keeps the store bounded: removes what retention no longer needs.")]
    Gc(gc::GcArgs),
    #[doc = concat!("Says who wrote each line of a file: a person or an agent's session.")]
    Blame(blame::BlameArgs),
    #[doc = concat!("Says why lines are there: the agent's edit and the prompt behind each.")]
    Why(why::WhyArgs),
    #[doc = concat!("Sums the records of a range of commits: the AI share of the added lines.")]
    Stats(stats::StatsArgs),
    #[doc = concat!("Lists the agent sessions sce captured, shows one, excludes one from exports.")]
    Sessions(sessions::SessionsArgs),
    #[doc = concat!("Imports an agent's own session files: the conversation hooks did not capture.")]
    Import(import::ImportArgs),
    #[doc = concat!("Writes agent sessions as a scrubbed JSON Lines dataset, one record per session.")]
    Export(export::ExportArgs),
    /// Share Agent Trace records with a remote (push, fetch).
    #[command(subcommand)]
    Notes(notes::NotesCommand),
    #[doc = concat!("Shows the whole flow on a scratch repository, without a real agent.")]
    Demo(demo::DemoArgs),
    /// Entry points called by git hooks and agent plugins.
    #[command(subcommand)]
    Hooks(hooks::HooksCommand),
    /// Show Agent Trace records of commits.
    #[command(subcommand)]
    Trace(trace::TraceCommand),
    #[doc = concat!("Shell completions, so that subcommands and flags tab-complete.")]
    Completion(completion::CompletionArgs),
}

/// A failure a command reports: an error for stderr (its sources kept) and an exit code.
#[derive(Debug)]
pub struct CommandError {
    /// The process exit code.
    pub code: ExitCode,
    error: Box<dyn std::error::Error + Send + Sync + 'static>,
}

/// A message with the error it was made from.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
struct Message {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl CommandError {
    /// An error with a given exit code and message.
    pub fn new(code: ExitCode, message: impl std::fmt::Display) -> CommandError {
        CommandError { code, error: Box::new(Message { message: message.to_string(), source: None }) }
    }

    /// An error with a message saying what failed, keeping the error it came from as its source.
    pub fn with_source(
        code: ExitCode,
        message: impl std::fmt::Display,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> CommandError {
        CommandError { code, error: Box::new(Message { message: message.to_string(), source: Some(Box::new(source)) }) }
    }

    /// `error` itself, with a given exit code.
    pub fn from_error(code: ExitCode, error: impl std::error::Error + Send + Sync + 'static) -> CommandError {
        CommandError { code, error: Box::new(error) }
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for CommandError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

impl From<crate::git::GitError> for CommandError {
    fn from(e: crate::git::GitError) -> Self {
        CommandError::from_error(ExitCode::Git, e)
    }
}

impl From<crate::git::SyncError> for CommandError {
    fn from(e: crate::git::SyncError) -> Self {
        CommandError::from_error(ExitCode::Git, e)
    }
}

impl From<crate::git::NoteError> for CommandError {
    fn from(e: crate::git::NoteError) -> Self {
        CommandError::from_error(ExitCode::Git, e)
    }
}

impl From<crate::config::ConfigError> for CommandError {
    fn from(e: crate::config::ConfigError) -> Self {
        CommandError::from_error(ExitCode::Config, e)
    }
}

impl From<crate::store::StoreError> for CommandError {
    fn from(e: crate::store::StoreError) -> Self {
        CommandError::from_error(ExitCode::StorageFailed, e)
    }
}

impl From<crate::install::InstallError> for CommandError {
    fn from(e: crate::install::InstallError) -> Self {
        CommandError::from_error(ExitCode::Internal, e)
    }
}

impl From<ContextError> for CommandError {
    fn from(e: ContextError) -> Self {
        let code = match &e {
            ContextError::Cwd(_) => ExitCode::Internal,
            ContextError::Git(_) => ExitCode::Git,
            ContextError::Config(_) => ExitCode::Config,
        };
        CommandError::from_error(code, e)
    }
}

/// Runs the parsed command in its context.
pub fn run(cli: Cli) -> Result<ExitCode, CommandError> {
    let ctx = CommandHelper::new(&cli.global);
    match cli.command {
        Command::Hooks(command) => hooks::run(&ctx, command),
        Command::Trace(command) => trace::run(&ctx, command),
        Command::Completion(args) => completion::run(&ctx, args),
        Command::Setup(args) => setup::run(&ctx, args),
        Command::Config(command) => config::run(&ctx, command),
        Command::Doctor(args) => doctor::run(&ctx, args),
        Command::Gc(args) => gc::run(&ctx, args),
        Command::Blame(args) => blame::run(&ctx, args),
        Command::Why(args) => why::run(&ctx, args),
        Command::Stats(args) => stats::run(&ctx, args),
        Command::Sessions(args) => sessions::run(&ctx, args),
        Command::Import(args) => import::run(&ctx, args),
        Command::Export(args) => export::run(&ctx, args),
        Command::Notes(command) => notes::run(&ctx, command),
        Command::Demo(args) => demo::run(&ctx, args),
    }
}
