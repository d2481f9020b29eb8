//! `sce export`.

use std::path::PathBuf;

use clap::Args;

use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;
use crate::export::writer::{DatasetWriter, Destination};
use crate::export::{ExportError, ExportOptions, ExportSummary, export, parse_since};
use crate::store::Store;

/// Export agent sessions as a JSON Lines dataset, one scrubbed record per session.
///
/// Each line holds a session's tool, models, times, git context (remote, branch, HEAD
/// at start), its messages (roles, times, text counts), the files its tool calls
/// changed, the commits and lines credited to it, and a BLAKE3 hash of its text with
/// the first session of the export whose text is the same (`duplicate_of`). Message
/// texts and diffs are included only with --include-text. Every string is scrubbed
/// first: the secret shapes intake redacts, and (per `export.scrub.*`) e-mail
/// addresses, user names in home paths, IP addresses and high-entropy tokens next to
/// key names. Sessions a person excluded are never exported. A summary goes to
/// stderr. The format: context/export.md and context/export-session.schema.json.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only sessions active at or after DATE (RFC 3339, or YYYY-MM-DD for midnight UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<i64>,
    /// Only these sessions (repeatable; an id given twice is exported once).
    #[arg(long = "session", value_name = "ID", num_args = 1..)]
    pub sessions: Vec<String>,
    /// Write the dataset to FILE instead of stdout; FILE is replaced only once the
    /// export is complete.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Include message texts and diffs, scrubbed; without it records carry counts only.
    #[arg(long)]
    pub include_text: bool,
    /// Write no dataset: list what scrubbing would replace (kind, session, count, masked excerpt).
    #[arg(long)]
    pub check: bool,
    /// Print JSON: with --check the findings on stdout, otherwise the summary on stderr.
    #[arg(long)]
    pub json: bool,
}

impl From<ExportError> for CommandError {
    fn from(e: ExportError) -> Self {
        let code = match &e {
            ExportError::Store(_) => ExitCode::StorageFailed,
            ExportError::UnknownSessions { .. } => ExitCode::NotFound,
            ExportError::BadDate { .. } => ExitCode::Usage,
            ExportError::Write { .. } | ExportError::Encode { .. } => ExitCode::Internal,
        };
        CommandError::from_error(code, e)
    }
}

/// Exports, or with `--check` lists what would be scrubbed.
pub fn run(ctx: &CommandHelper, args: ExportArgs) -> Result<ExitCode, CommandError> {
    let (_, config, paths) = ctx.workspace()?;
    if !paths.db.exists() {
        return Err(CommandError::new(
            ExitCode::NotFound,
            format!("{} does not exist: nothing to export (run `sce setup` to start recording)", paths.db.display()),
        ));
    }
    let options = ExportOptions {
        since_ms: args.since,
        sessions: args.sessions.clone(),
        include_text: args.include_text,
        scrub: config.export.scrub,
        list_findings: args.check,
    };
    let destination = match (&args.out, args.check) {
        (_, true) => Destination::Discard,
        (Some(path), false) => Destination::File(path.clone()),
        (None, false) => Destination::Stdout,
    };
    let mut writer = DatasetWriter::create(&destination)?;
    let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("exporting sessions {bar:30} {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut open = || Store::open_configured(paths, config);
    let summary = export(&mut open, &options, &mut writer, &mut |done, total| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // A reader that stopped reading (`sce export | head`) is no failure.
    let summary = match summary {
        Err(e) if reader_went_away(&e) => return Ok(ExitCode::Ok),
        other => other?,
    };
    match writer.finish() {
        Err(e) if reader_went_away(&e) => return Ok(ExitCode::Ok),
        other => other?,
    }
    if args.check {
        print_findings(&summary, args.json)?;
    }
    let target = match &destination {
        Destination::Stdout => "stdout".to_string(),
        Destination::File(path) => path.display().to_string(),
        Destination::Discard => "nowhere (--check)".to_string(),
    };
    if args.json && !args.check {
        let json = serde_json::json!({"exported": summary.exported, "excluded": summary.excluded,
                                      "duplicates": summary.duplicates, "to": target});
        eprintln!("{json}");
    } else {
        let verb = if args.check { "would export" } else { "exported" };
        eprintln!(
            "{verb} {} sessions ({} excluded, {} duplicates) to {target}",
            summary.exported, summary.excluded, summary.duplicates
        );
    }
    Ok(ExitCode::Ok)
}

fn reader_went_away(e: &ExportError) -> bool {
    matches!(e, ExportError::Write { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
}

fn print_findings(summary: &ExportSummary, json: bool) -> Result<(), CommandError> {
    if json {
        let out = serde_json::to_string_pretty(&serde_json::json!({"findings": summary.findings}))
            .map_err(|e| CommandError::with_source(ExitCode::Internal, "cannot print the findings", e))?;
        println!("{out}");
        return Ok(());
    }
    if summary.findings.is_empty() {
        println!("nothing to scrub");
        return Ok(());
    }
    let kind_width = summary.findings.iter().map(|f| f.kind.len()).max().unwrap_or(4).max(4);
    let session_width = summary.findings.iter().map(|f| f.session_id.len()).max().unwrap_or(7).max(7);
    println!("{:<kind_width$}  {:<session_width$}  {:>5}  excerpt", "kind", "session", "count");
    for f in &summary.findings {
        println!("{:<kind_width$}  {:<session_width$}  {:>5}  {}", f.kind, f.session_id, f.count, f.excerpt);
    }
    Ok(())
}
