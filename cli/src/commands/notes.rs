//! `sce notes push|fetch`.

use clap::{Args, Subcommand};

use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;
use crate::git::{MergeOutcome, fetch_notes, merge_notes, push_notes};

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
///
/// With --json prints {"remote", "notes_ref", "pushed": true, "merged", "conflicts": [{"commit", "kept"}]}.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// The remote (default origin).
    #[arg(default_value = "origin")]
    pub remote: String,
    /// Print what happened as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Get REMOTE's records: fetch them into refs/notes/sce-remotes/REMOTE/… and merge them
/// into the local notes ref; a commit recorded differently on both sides keeps the newer record.
///
/// With --json prints {"remote", "notes_ref", "fetched", "merged", "conflicts": [{"commit", "kept"}]}
/// ("fetched" is false when the remote has no records).
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The remote (default origin).
    #[arg(default_value = "origin")]
    pub remote: String,
    /// Print what happened as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs a notes command.
pub fn run(ctx: &CommandHelper, command: NotesCommand) -> Result<ExitCode, CommandError> {
    let (repo, config, _) = ctx.workspace()?;
    let notes_ref = &config.agent_trace.notes_ref;
    match command {
        NotesCommand::Fetch(args) => {
            if !fetch_notes(repo, &args.remote, notes_ref)? {
                if args.json {
                    println!("{}", json(&args.remote, notes_ref, "fetched", false, &MergeOutcome::default()));
                } else {
                    println!("{} has no {notes_ref}", args.remote);
                }
                return Ok(ExitCode::Ok);
            }
            let outcome = merge_notes(repo, &args.remote, notes_ref)?;
            if args.json {
                println!("{}", json(&args.remote, notes_ref, "fetched", true, &outcome));
            } else {
                report(&outcome, &args.remote);
            }
        }
        NotesCommand::Push(args) => {
            let outcome = push_notes(repo, &args.remote, notes_ref, PUSH_ATTEMPTS)?;
            if args.json {
                println!("{}", json(&args.remote, notes_ref, "pushed", true, &outcome));
            } else {
                report(&outcome, &args.remote);
                println!("pushed {notes_ref} to {}", args.remote);
            }
        }
    }
    Ok(ExitCode::Ok)
}

fn json(remote: &str, notes_ref: &str, done: &str, happened: bool, outcome: &MergeOutcome) -> serde_json::Value {
    let conflicts: Vec<_> =
        outcome.conflicts.iter().map(|(commit, kept)| serde_json::json!({"commit": commit, "kept": kept})).collect();
    let mut out = serde_json::json!({"remote": remote, "notes_ref": notes_ref});
    out[done] = happened.into();
    out["merged"] = outcome.added.into();
    out["conflicts"] = conflicts.into();
    out
}

fn report(outcome: &MergeOutcome, remote: &str) {
    if outcome.added > 0 {
        println!("merged {} record(s) from {remote}", outcome.added);
    }
    for (commit, kept) in &outcome.conflicts {
        println!("commit {commit} has different records here and on {remote}; kept the newer ({kept})");
    }
}
