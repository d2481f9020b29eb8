//! `sce hooks prepare-commit-msg`: note what the commit being made is made from.

use clap::Args;

use crate::commands::{CommandError, start_dir};
use crate::exit::ExitCode;
use crate::git::Repo;
use crate::pipeline::commit_sources;

/// Note which commits the commit being made takes its lines from (after
/// `git merge --squash`, `cherry-pick -n` or `revert -n`), so that post-commit
/// carries their attribution whatever message the commit gets.
///
/// Installed as git's prepare-commit-msg hook. Leaves the message alone and
/// never fails the commit: on a problem it prints one line on stderr and exits 0.
#[derive(Debug, Args)]
pub struct PrepareCommitMsgArgs {
    /// The commit message file (git passes it; sce does not change it).
    pub message_file: Option<String>,
    /// Where the message comes from (`message`, `template`, `merge`, `squash`, `commit`).
    pub source: Option<String>,
    /// The commit the message comes from, for `commit`.
    pub commit: Option<String>,
}

/// Runs the hook; always exits 0.
pub fn run(_args: PrepareCommitMsgArgs) -> Result<ExitCode, CommandError> {
    let outcome = start_dir(None)
        .map_err(|e| e.message)
        .and_then(|dir| Repo::discover(&dir).map_err(|e| e.to_string()))
        .and_then(|repo| commit_sources::note(&repo).map_err(|e| e.to_string()));
    match outcome {
        Ok(noted) => tracing::debug!(?noted, "noted the commit's sources"),
        Err(message) => eprintln!("sce: prepare-commit-msg: {message}"),
    }
    Ok(ExitCode::Ok)
}
