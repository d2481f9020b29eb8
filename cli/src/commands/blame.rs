//! `sce blame`.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;
use crate::output::Tone;
use crate::report::blame::blame_file;

/// Show, per line of a file, whether an agent wrote it (ai / mixed / unknown), with which
/// model, in which session, and the commit that introduced it (git blame semantics).
///
/// Lines from commits without an Agent Trace record show "no-record". On a terminal the
/// classes are colored (--color) and long output goes through the pager (--no-pager).
#[derive(Debug, Args)]
pub struct BlameArgs {
    /// The file, relative to the current directory (to the repository's root with -R when
    /// the current directory is outside it).
    pub file: PathBuf,
    /// The revision to blame (default HEAD).
    #[arg(long, default_value = "HEAD")]
    pub rev: String,
    /// Print one JSON object per line: {"line","commit","class","tool","model","session","text"}.
    #[arg(long)]
    pub json: bool,
}

/// Blames and prints.
pub fn run(ctx: &CommandHelper, args: BlameArgs) -> Result<ExitCode, CommandError> {
    let (repo, config, _) = ctx.workspace()?;
    let path = repo_path(ctx, &args.file)?;
    let commit = repo.resolve_commit(&args.rev)?;
    let lines = blame_file(repo, &config.agent_trace.notes_ref, &path, commit)?;
    let ui = ctx.ui(args.json);
    let mut out = String::new();
    if args.json {
        for line in &lines {
            out.push_str(&serde_json::to_string(line).unwrap_or_default());
            out.push('\n');
        }
        ui.print(&out);
        return Ok(ExitCode::Ok);
    }
    let paint = ui.painter();
    let width = lines.len().to_string().len();
    let model_width = lines.iter().filter_map(|l| l.model.as_ref()).map(String::len).max().unwrap_or(1);
    let session_width = lines.iter().filter_map(|l| l.session.as_ref()).map(String::len).max().unwrap_or(1);
    let tool_width = lines.iter().filter_map(|l| l.tool.as_ref()).map(String::len).max().unwrap_or(1);
    for line in &lines {
        let (class, tone) = match line.class {
            None => ("no-record", Tone::Dim),
            Some(c) => (c.name(), tone_of(c.name())),
        };
        out.push_str(&format!(
            "{} {} {:<tool_width$} {:<model_width$} {:<session_width$} {:>width$}) {}\n",
            paint.paint(Tone::Commit, &line.commit[..8]),
            paint.paint(tone, &format!("{class:<9}")),
            line.tool.as_deref().unwrap_or("-"),
            line.model.as_deref().unwrap_or("-"),
            line.session.as_deref().unwrap_or("-"),
            line.line,
            line.text
        ));
    }
    ui.page(&out);
    Ok(ExitCode::Ok)
}

/// `file` as a repo-relative path: relative to the current directory, or to the
/// repository's root with -R when the current directory is outside it.
pub(crate) fn repo_path(ctx: &CommandHelper, file: &Path) -> Result<String, CommandError> {
    let cwd = ctx.cwd()?;
    let root = &ctx.repo()?.location.root;
    let absolute = if file.is_absolute() {
        file.to_path_buf()
    } else if ctx.repo_arg().is_some() && !std::fs::canonicalize(&cwd).unwrap_or_else(|_| cwd.clone()).starts_with(root)
    {
        root.join(file)
    } else {
        cwd.join(file)
    };
    crate::capture::normalize_repo_path(&absolute.to_string_lossy(), root)
        .map_err(|e| CommandError::with_source(ExitCode::Git, format!("{}: {e}", file.display()), e))
}

/// The tone of a line class by its name (ai, mixed, unknown).
pub(crate) fn tone_of(class: &str) -> Tone {
    match class {
        "ai" => Tone::Ai,
        "mixed" => Tone::Mixed,
        _ => Tone::Unknown,
    }
}
