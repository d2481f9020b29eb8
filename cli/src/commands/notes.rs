//! `sce notes push|fetch`.

use clap::{Args, Subcommand};

use crate::commands::{CommandError, start_dir};
use crate::config::Config;
use crate::exit::ExitCode;
use crate::git::{MergeOutcome, Repo, fetch_notes, merge_notes, push_notes};

/// How often a push is retried when the remote's notes moved meanwhile.
const PUSH_ATTEMPTS: usize = 5;

/// Share Agent Trace records (the notes ref) with a remote.
#[derive(Debug, Subcommand)]
pub enum NotesCommand {
    // A variant over an Args struct is documented with `#[doc = concat!(…)]`: rustdoc
    // reads it, clap does not, so its help text stays the Args struct's doc comment
    // (a `///` here would replace it).
    #[doc = concat!("Sends the records to a remote, so others see them.")]
    Push(RemoteArgs),
    #[doc = concat!("Brings a remote's records in, merged with the local ones.")]
    Fetch(FetchArgs),
}

/// Send the records to REMOTE: fetch and merge the remote's first, then push without
/// force, merging again and retrying if the remote moved meanwhile.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// The remote (default origin).
    #[arg(default_value = "origin")]
    pub remote: String,
}

/// Get REMOTE's records: fetch them into refs/notes/sce-remotes/REMOTE/… and merge them
/// into the local notes ref; a commit recorded differently on both sides keeps the newer record.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The remote (default origin).
    #[arg(default_value = "origin")]
    pub remote: String,
}

/// Runs a notes command.
pub fn run(command: NotesCommand) -> Result<ExitCode, CommandError> {
    let repo = Repo::discover(&start_dir(None)?)?;
    let config = Config::load(Some(repo.location.config_scope()))?;
    crate::logging::apply(&config.logging);
    let notes_ref = &config.agent_trace.notes_ref;
    let failed = |e: crate::git::SyncError| CommandError::new(ExitCode::Git, e);
    match command {
        NotesCommand::Fetch(args) => {
            if !fetch_notes(&repo, &args.remote, notes_ref).map_err(failed)? {
                println!("{} has no {notes_ref}", args.remote);
                return Ok(ExitCode::Ok);
            }
            report(&merge_notes(&repo, &args.remote, notes_ref).map_err(failed)?, &args.remote);
        }
        NotesCommand::Push(args) => {
            let outcome = push_notes(&repo, &args.remote, notes_ref, PUSH_ATTEMPTS).map_err(failed)?;
            report(&outcome, &args.remote);
            println!("pushed {notes_ref} to {}", args.remote);
        }
    }
    Ok(ExitCode::Ok)
}

fn report(outcome: &MergeOutcome, remote: &str) {
    if outcome.added > 0 {
        println!("merged {} record(s) from {remote}", outcome.added);
    }
    for (commit, kept) in &outcome.conflicts {
        println!("commit {commit} has different records here and on {remote}; kept the newer ({kept})");
    }
}
