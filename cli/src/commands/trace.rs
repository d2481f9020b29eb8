//! `sce trace show|backfill`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::commands::{CommandError, start_dir};
use crate::config::Config;
use crate::exit::ExitCode;
use crate::git::{Repo, read_note};
use crate::pipeline::commit::attribute_commit;
use crate::record::TraceRecord;
use crate::store::pending;
use crate::store::{Store, StorePaths};

/// Agent Trace records.
#[derive(Debug, Subcommand)]
pub enum TraceCommand {
    // A variant over an Args struct is documented with `#[doc = concat!(…)]`: rustdoc
    // reads it, clap does not, so its help text stays the Args struct's doc comment
    // (a `///` here would replace it).
    #[doc = concat!("Shows the record of one commit.")]
    Show(ShowArgs),
    #[doc = concat!("Makes the records that post-commit could not.")]
    Backfill(BackfillArgs),
}

/// Show the Agent Trace record of a commit: a summary, or the exact record with --json.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The commit (default HEAD).
    #[arg(default_value = "HEAD")]
    pub rev: String,
    /// Print the exact record as JSON.
    #[arg(long)]
    pub json: bool,
    /// The repository (default: the current directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
}

/// Produce records for commits that lack one: those post-commit could not finish, or the REVs given.
#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// Commits to (re)attribute; default: every commit marked as pending.
    pub revs: Vec<String>,
    /// The repository (default: the current directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
}

/// Runs a trace command.
pub fn run(command: TraceCommand) -> Result<ExitCode, CommandError> {
    match command {
        TraceCommand::Show(args) => show(args),
        TraceCommand::Backfill(args) => backfill(args),
    }
}

fn open(repo_arg: Option<&std::path::Path>) -> Result<(Repo, Config, StorePaths), CommandError> {
    let repo = Repo::discover(&start_dir(repo_arg)?)?;
    let config = Config::load(Some(repo.location.config_scope()))?;
    crate::logging::apply(&config.logging);
    let paths = repo.location.store_paths(&config);
    Ok((repo, config, paths))
}

fn show(args: ShowArgs) -> Result<ExitCode, CommandError> {
    let (repo, config, paths) = open(args.repo.as_deref())?;
    let commit = repo.resolve_commit(&args.rev)?;
    let text = match read_note(&repo, &config.agent_trace.notes_ref, commit)
        .map_err(|e| CommandError::new(ExitCode::Git, e))?
    {
        Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        None => {
            let stored = if paths.db.exists() {
                Store::open_configured(&paths, &config)?.record(&commit.to_string())?
            } else {
                None
            };
            stored.ok_or_else(|| {
                CommandError::new(
                    ExitCode::NotFound,
                    format!(
                        "commit {commit} has no Agent Trace record (no note under {} and none in the DB); \
                         run `sce trace backfill {}` to produce one",
                        config.agent_trace.notes_ref, args.rev
                    ),
                )
            })?
        }
    };
    if args.json {
        println!("{text}");
        return Ok(ExitCode::Ok);
    }
    let record: TraceRecord = serde_json::from_str(&text)
        .map_err(|e| CommandError::new(ExitCode::Internal, format!("the record of {commit} is not readable: {e}")))?;
    print!("{}", summary(&record, &commit.to_string()));
    Ok(ExitCode::Ok)
}

/// A short human summary of a record.
fn summary(record: &TraceRecord, sha: &str) -> String {
    use std::fmt::Write;
    let counts = record.line_counts();
    let mut out = String::new();
    let _ = writeln!(out, "commit {sha}");
    let (ai, mixed, unknown, total) = (counts.ai, counts.mixed, counts.unknown, counts.added());
    let pct = |n: usize| if total == 0 { 0.0 } else { n as f64 * 100.0 / total as f64 };
    let _ = writeln!(
        out,
        "lines added: {total}  ai {ai} ({:.0}%)  mixed {mixed} ({:.0}%)  unknown {unknown} ({:.0}%)  removed {}",
        pct(ai),
        pct(mixed),
        pct(unknown),
        counts.removed
    );
    for s in record.sessions() {
        let _ = writeln!(
            out,
            "session {}  model {}  tool {}  lines {}",
            s.id,
            s.model.as_deref().unwrap_or("-"),
            s.tool.as_deref().unwrap_or("-"),
            s.lines
        );
    }
    for file in &record.files {
        let mut parts = Vec::new();
        for entry in record.file_ranges(file) {
            let range = entry.range;
            let span = if range.start_line == range.end_line {
                range.start_line.to_string()
            } else {
                format!("{}-{}", range.start_line, range.end_line)
            };
            parts.push((range.start_line, format!("{span} {}", entry.class)));
        }
        parts.sort();
        let ranges: Vec<String> = parts.into_iter().map(|(_, p)| p).collect();
        let _ = writeln!(out, "  {}: {}", file.path, ranges.join(", "));
    }
    out
}

fn backfill(args: BackfillArgs) -> Result<ExitCode, CommandError> {
    let (repo, config, paths) = open(args.repo.as_deref())?;
    let store = Store::open_configured(&paths, &config)?;
    crate::pipeline::intake::drain_into(&store, None)?;
    let mut targets: Vec<gix::ObjectId> = Vec::new();
    if args.revs.is_empty() {
        let marked = pending::list(&paths)
            .map_err(|e| CommandError::new(ExitCode::StorageFailed, format!("cannot read the pending list: {e}")))?;
        for p in marked.iter().map(|p| p.sha.clone()).chain(store.pending_commits()?.into_iter().map(|p| p.0)) {
            if let Ok(id) = repo.resolve_commit(&p)
                && !targets.contains(&id)
            {
                targets.push(id);
            }
        }
    } else {
        for rev in &args.revs {
            targets.push(repo.resolve_commit(rev)?);
        }
    }
    let mut done = Vec::new();
    let mut failed = 0;
    for commit in &targets {
        match attribute_commit(&repo, &store, &config, *commit, None, time::OffsetDateTime::now_utc()) {
            Ok(_) => {
                println!("recorded {commit}");
                done.push(commit.to_string());
            }
            Err(e) => {
                eprintln!("sce: {commit}: {e}");
                failed += 1;
            }
        }
    }
    pending::clear(&paths, &done)
        .map_err(|e| CommandError::new(ExitCode::StorageFailed, format!("cannot update the pending list: {e}")))?;
    if targets.is_empty() {
        println!("nothing to backfill");
    }
    Ok(if failed == 0 { ExitCode::Ok } else { ExitCode::StorageFailed })
}
