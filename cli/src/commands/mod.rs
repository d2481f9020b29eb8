//! The command line: one file per subcommand. Each file holds the clap `Args`
//! (whose doc comment is the help text) and a `run` that wires domain modules.

pub mod blame;
pub mod completion;
pub mod config;
pub mod demo;
pub mod doctor;
pub mod gc;
pub mod hooks;
pub mod notes;
pub mod setup;
pub mod stats;
pub mod trace;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::exit::ExitCode;

/// sce records, for every git commit, which lines an AI coding agent wrote,
/// in which session, with which model.
#[derive(Debug, Parser)]
#[command(name = "sce", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Log what sce does on stderr (-v debug, -vv trace). Quiet by default.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Set a configuration key for this run, e.g. -c logging.level=debug (highest precedence; repeatable).
    #[arg(short = 'c', long = "config", global = true, value_name = "KEY=VALUE")]
    pub config: Vec<String>,
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
    #[doc = concat!("Sums the records of a range of commits: the AI share of the added lines.")]
    Stats(stats::StatsArgs),
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

/// A failure a command reports: a message for stderr and an exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    /// The one-line message, naming what was wrong and what to do.
    pub message: String,
    /// The process exit code.
    pub code: ExitCode,
}

impl CommandError {
    /// An error with a given exit code.
    pub fn new(code: ExitCode, message: impl std::fmt::Display) -> CommandError {
        CommandError { message: message.to_string(), code }
    }
}

impl From<crate::git::GitError> for CommandError {
    fn from(e: crate::git::GitError) -> Self {
        CommandError::new(ExitCode::Git, e)
    }
}

impl From<crate::config::ConfigError> for CommandError {
    fn from(e: crate::config::ConfigError) -> Self {
        CommandError::new(ExitCode::Config, e)
    }
}

impl From<crate::store::StoreError> for CommandError {
    fn from(e: crate::store::StoreError) -> Self {
        CommandError::new(ExitCode::StorageFailed, e)
    }
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<ExitCode, CommandError> {
    match cli.command {
        Command::Hooks(command) => hooks::run(command),
        Command::Trace(command) => trace::run(command),
        Command::Completion(args) => completion::run(args),
        Command::Setup(args) => setup::run(args),
        Command::Config(command) => config::run(command),
        Command::Doctor(args) => doctor::run(args),
        Command::Gc(args) => gc::run(args),
        Command::Blame(args) => blame::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Notes(command) => notes::run(command),
        Command::Demo(args) => demo::run(args),
    }
}

/// The directory a command works in: `--repo` if given, else the process cwd.
pub(crate) fn start_dir(repo: Option<&Path>) -> Result<PathBuf, CommandError> {
    match repo {
        Some(path) => Ok(path.to_path_buf()),
        None => std::env::current_dir()
            .map_err(|e| CommandError::new(ExitCode::Internal, format!("cannot read the current directory: {e}"))),
    }
}
