//! `sce completion <shell>`.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, CommandError, CommandHelper};
use crate::exit::ExitCode;

/// Print a completion script for your shell, e.g. `sce completion bash > ~/.local/share/bash-completion/completions/sce`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to complete for.
    pub shell: Shell,
}

/// Writes the script to stdout.
pub fn run(_ctx: &CommandHelper, args: CompletionArgs) -> Result<ExitCode, CommandError> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "sce", &mut std::io::stdout());
    Ok(ExitCode::Ok)
}
