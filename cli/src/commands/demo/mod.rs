//! `sce demo`.

pub mod script;

use clap::Args;

use crate::commands::demo::script::run_demo;
use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;

/// See sce work without any agent installed: a throwaway repository, a short agent
/// session sent through the real intake, a human edit, a commit through the real
/// hook, then the Agent Trace summary and record.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo repository and print where it is.
    #[arg(long)]
    pub keep: bool,
}

/// Runs the demo in a temp dir.
pub fn run(_ctx: &CommandHelper, args: DemoArgs) -> Result<ExitCode, CommandError> {
    let sce = std::env::current_exe()
        .map_err(|e| CommandError::new(ExitCode::Internal, format!("cannot find the sce binary's path: {e}")))?;
    let dir = tempfile::Builder::new()
        .prefix("sce-demo-")
        .tempdir()
        .map_err(|e| CommandError::new(ExitCode::Internal, format!("cannot create a temp dir: {e}")))?;
    let (summary, record) = run_demo(&sce, dir.path(), &mut |line| println!("{line}"))
        .map_err(|e| CommandError::new(ExitCode::Internal, e))?;
    println!("\n5. `sce trace show` says:\n");
    print!("{summary}");
    println!("\n6. The Agent Trace record (also in `git notes --ref agent-trace show HEAD`):\n");
    let pretty = serde_json::from_str::<serde_json::Value>(&record)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or(record);
    println!("{pretty}");
    if args.keep {
        let kept = dir.keep();
        println!("\nThe demo repository is kept at {}", kept.display());
    }
    Ok(ExitCode::Ok)
}
