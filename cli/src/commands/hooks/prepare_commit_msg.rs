//! `sce hooks prepare-commit-msg`: note what the commit being made is made from.

use clap::Args;

use super::HookError;
use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;
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
pub fn run(ctx: &CommandHelper, _args: PrepareCommitMsgArgs) -> Result<ExitCode, CommandError> {
    super::report("prepare-commit-msg", note(ctx))
}

fn note(ctx: &CommandHelper) -> Result<(), HookError> {
    let noted = commit_sources::note(ctx.repo()?)?;
    tracing::debug!(?noted, "noted the commit's sources");
    Ok(())
}
