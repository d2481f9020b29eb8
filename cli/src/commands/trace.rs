//! `sce trace show|backfill`.

use clap::{Args, Subcommand};

use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;
use crate::git::read_note;
use crate::output::{Painter, Tone};
use crate::pipeline::commit::attribute_or_mark;
use crate::record::TraceRecord;
use crate::store::{Store, pending};

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
///
/// On a terminal the summary is colored (--color) and goes through the pager (--no-pager).
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The commit (default HEAD).
    #[arg(default_value = "HEAD")]
    pub rev: String,
    /// Print the exact record as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Produce records for commits that lack one: those post-commit could not finish, or the REVs given.
///
/// A commit that still cannot be recorded stays marked for the next backfill; exits 4 then.
/// With --json prints {"recorded": [sha…], "failed": [{"commit", "error"}]}.
#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// Commits to (re)attribute; default: every commit marked as pending.
    pub revs: Vec<String>,
    /// Print what was recorded and what failed as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs a trace command.
pub fn run(ctx: &CommandHelper, command: TraceCommand) -> Result<ExitCode, CommandError> {
    match command {
        TraceCommand::Show(args) => show(ctx, args),
        TraceCommand::Backfill(args) => backfill(ctx, args),
    }
}

fn show(ctx: &CommandHelper, args: ShowArgs) -> Result<ExitCode, CommandError> {
    let (repo, config, paths) = ctx.workspace()?;
    let commit = repo.resolve_commit(&args.rev)?;
    let text = match read_note(repo, &config.agent_trace.notes_ref, commit)? {
        Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        None => {
            let stored = if paths.db.exists() {
                Store::open_configured(paths, config)?.record(&commit.to_string())?
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
    let ui = ctx.ui(args.json);
    if args.json {
        ui.print(&format!("{text}\n"));
        return Ok(ExitCode::Ok);
    }
    let record: TraceRecord = serde_json::from_str(&text).map_err(|e| {
        CommandError::with_source(ExitCode::Internal, format!("the record of {commit} is not readable: {e}"), e)
    })?;
    ui.page(&summary(&record, &commit.to_string(), ui.painter()));
    Ok(ExitCode::Ok)
}

/// A short human summary of a record.
fn summary(record: &TraceRecord, sha: &str, paint: Painter) -> String {
    use std::fmt::Write;
    let counts = record.line_counts();
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint.paint(Tone::Commit, &format!("commit {sha}")));
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
            let class = entry.class.to_string();
            parts.push((
                range.start_line,
                format!("{span} {}", paint.paint(super::blame::tone_of(entry.class.name()), &class)),
            ));
        }
        parts.sort();
        let ranges: Vec<String> = parts.into_iter().map(|(_, p)| p).collect();
        let _ = writeln!(out, "  {}: {}", file.path, ranges.join(", "));
    }
    out
}

fn backfill(ctx: &CommandHelper, args: BackfillArgs) -> Result<ExitCode, CommandError> {
    let (repo, config, paths) = ctx.workspace()?;
    let store = Store::open_configured(paths, config)?;
    crate::pipeline::intake::drain_into(&store, None)?;
    let mut targets: Vec<gix::ObjectId> = Vec::new();
    if args.revs.is_empty() {
        let marked = pending::list(paths).map_err(|e| {
            CommandError::with_source(ExitCode::StorageFailed, format!("cannot read the pending list: {e}"), e)
        })?;
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
    let mut failed = Vec::new();
    for commit in &targets {
        match attribute_or_mark(repo, &store, paths, config, *commit, None, time::OffsetDateTime::now_utc()) {
            Ok(_) => {
                if !args.json {
                    println!("recorded {commit}");
                }
                done.push(commit.to_string());
            }
            Err(unrecorded) => {
                eprintln!("sce: {commit}: {unrecorded}");
                failed.push(serde_json::json!({"commit": commit.to_string(), "error": unrecorded.reason.to_string()}));
            }
        }
    }
    pending::clear(paths, &done).map_err(|e| {
        CommandError::with_source(ExitCode::StorageFailed, format!("cannot update the pending list: {e}"), e)
    })?;
    if args.json {
        println!("{}", serde_json::json!({"recorded": done, "failed": failed}));
    } else if targets.is_empty() {
        println!("nothing to backfill");
    }
    Ok(if failed.is_empty() { ExitCode::Ok } else { ExitCode::StorageFailed })
}
