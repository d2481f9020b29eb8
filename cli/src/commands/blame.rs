//! `sce blame`.

use std::path::PathBuf;

use clap::Args;

use crate::commands::{CommandError, start_dir};
use crate::config::Config;
use crate::exit::ExitCode;
use crate::git::Repo;
use crate::report::blame::blame_file;

/// Show, per line of a file, whether an agent wrote it (ai / mixed / unknown), with which
/// model, in which session, and the commit that introduced it (git blame semantics).
///
/// Lines from commits without an Agent Trace record show "no-record".
#[derive(Debug, Args)]
pub struct BlameArgs {
    /// The file, relative to the current directory.
    pub file: PathBuf,
    /// The revision to blame (default HEAD).
    #[arg(long, default_value = "HEAD")]
    pub rev: String,
    /// Print one JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// Blames and prints.
pub fn run(args: BlameArgs) -> Result<ExitCode, CommandError> {
    let cwd = start_dir(None)?;
    let repo = Repo::discover(&cwd)?;
    let config = Config::load(Some(repo.location.config_scope()))?;
    crate::logging::apply(&config.logging);
    let absolute = if args.file.is_absolute() { args.file.clone() } else { cwd.join(&args.file) };
    let path = crate::capture::normalize_repo_path(&absolute.to_string_lossy(), &repo.location.root)
        .map_err(|e| CommandError::new(ExitCode::Git, format!("{}: {e}", args.file.display())))?;
    let commit = repo.resolve_commit(&args.rev)?;
    let lines = blame_file(&repo, &config.agent_trace.notes_ref, &path, commit)?;
    let mut out = String::new();
    if args.json {
        for line in &lines {
            out.push_str(&serde_json::to_string(line).unwrap_or_default());
            out.push('\n');
        }
    } else {
        let width = lines.len().to_string().len();
        let model_width = lines.iter().filter_map(|l| l.model.as_ref()).map(String::len).max().unwrap_or(1);
        let session_width = lines.iter().filter_map(|l| l.session.as_ref()).map(String::len).max().unwrap_or(1);
        let tool_width = lines.iter().filter_map(|l| l.tool.as_ref()).map(String::len).max().unwrap_or(1);
        for line in &lines {
            let class = line.class.map_or("no-record", |c| c.name());
            out.push_str(&format!(
                "{} {class:<9} {:<tool_width$} {:<model_width$} {:<session_width$} {:>width$}) {}\n",
                &line.commit[..8],
                line.tool.as_deref().unwrap_or("-"),
                line.model.as_deref().unwrap_or("-"),
                line.session.as_deref().unwrap_or("-"),
                line.line,
                line.text
            ));
        }
    }
    use std::io::Write;
    // A closed pipe (e.g. `| head`) is not an error worth reporting.
    let _ = std::io::stdout().write_all(out.as_bytes());
    Ok(ExitCode::Ok)
}
