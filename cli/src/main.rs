//! The `sce` binary: parse arguments, run the command, map failures to exit codes.

use clap::Parser;
use sce::commands::{self, Cli};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match commands::run(cli) {
        Ok(code) => code.into(),
        Err(error) => {
            eprintln!("sce: {}", error.message);
            error.code.into()
        }
    }
}

/// Quiet by default: warnings only, unless -v or `SCE_LOG` asks for more.
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "sce=debug",
        _ => "sce=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SCE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}
