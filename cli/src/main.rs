//! The `sce` binary: parse arguments, run the command, map failures to exit codes.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use clap::Parser;
use sce::commands::{self, Cli};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    sce::logging::init_from_command_line(cli.global.verbose);
    if let Err(error) = sce::config::set_flag_overrides(&cli.global.config) {
        eprintln!("sce: {error}");
        return sce::exit::ExitCode::Usage.into();
    }
    match commands::run(cli) {
        Ok(code) => code.into(),
        Err(error) => {
            eprintln!("sce: {error}");
            error.code.into()
        }
    }
}
