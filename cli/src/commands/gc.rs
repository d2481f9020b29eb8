//! `sce gc`.

use clap::Args;

use crate::commands::{CommandError, start_dir};
use crate::config::Config;
use crate::exit::ExitCode;
use crate::git::Repo;
use crate::store::retention::{GcOutcome, collect};

/// Remove what attribution no longer needs from sce's database, and reclaim the space.
///
/// Applies the `retention.*` policy at once: folded agent edits (already in sce's
/// view of their file and in a commit's record) lose their file texts after
/// `retention.edit_texts_days`; with `retention.conversations_days` set, older
/// messages and parts go too. Never removes edits no commit has folded yet, views or
/// records. Then truncates the WAL and, when at least a quarter of the database
/// (and 1 MiB) is free, rewrites it smaller. Each commit already runs a small bounded
/// pass (`retention.auto_gc`); run this to catch up at once.
#[derive(Debug, Args)]
pub struct GcArgs {
    /// Report what would be removed; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Collects and reports.
pub fn run(args: GcArgs) -> Result<ExitCode, CommandError> {
    let repo = Repo::discover(&start_dir(None)?)?;
    let config = Config::load(Some(repo.location.config_scope()))?;
    crate::logging::apply(&config.logging);
    let paths = repo.location.store_paths(&config);
    if !paths.db.exists() {
        return Err(CommandError::new(
            ExitCode::NotFound,
            format!("{} does not exist: nothing to collect (run `sce setup` to start recording)", paths.db.display()),
        ));
    }
    let now_ms = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    let outcome = collect(&paths, &config, now_ms, args.dry_run)?;
    if args.json {
        let json = serde_json::to_string_pretty(&outcome)
            .map_err(|e| CommandError::new(ExitCode::Internal, format!("cannot print the report: {e}")))?;
        println!("{json}");
    } else {
        print!("{}", describe(&outcome));
    }
    Ok(ExitCode::Ok)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn describe(outcome: &GcOutcome) -> String {
    let r = &outcome.removed;
    let verb = if outcome.dry_run { "would remove" } else { "removed" };
    let mut out = format!(
        "{verb}: texts of {} folded edits ({} distinct texts, {} compressed), {} parts, {} messages\n",
        r.edits_stripped,
        r.texts_removed,
        mib(r.text_bytes_removed),
        r.parts_removed,
        r.messages_removed
    );
    let size = |s: &crate::store::DbSizes| format!("{} + WAL {}", mib(s.db_bytes), mib(s.wal_bytes));
    if outcome.dry_run {
        out += &format!("database: {}", size(&outcome.before));
        if outcome.compacted {
            out += "; gc would rewrite it without its free pages";
        }
        out += "\n";
    } else {
        out += &format!("database: {} before, {} after", size(&outcome.before), size(&outcome.after));
        if outcome.compacted {
            out += " (rewritten without its free pages)";
        }
        out += "\n";
    }
    out
}
