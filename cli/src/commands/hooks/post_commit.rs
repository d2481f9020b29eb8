//! `sce hooks post-commit`: attribute the commit just made.

use clap::Args;

use crate::commands::{CommandError, start_dir};
use crate::config::Config;
use crate::exit::ExitCode;
use crate::git::Repo;
use crate::pending;
use crate::postcommit::attribute_commit;
use crate::store::Store;

/// Attribute HEAD's added lines to agent sessions and write its Agent Trace record.
///
/// Writes the record to the DB and as a git note. Installed as git's post-commit hook. Never fails the commit:
/// on any problem it prints one line on stderr, marks the commit for
/// `sce trace backfill`, and exits 0.
#[derive(Debug, Args)]
pub struct PostCommitArgs {}

/// Runs the hook; always exits 0.
pub fn run(_args: PostCommitArgs) -> Result<ExitCode, CommandError> {
    if let Err(message) = attribute_head() {
        eprintln!("sce: post-commit: {message}");
    }
    Ok(ExitCode::Ok)
}

fn attribute_head() -> Result<(), String> {
    let repo = Repo::discover(&start_dir(None).map_err(|e| e.message)?).map_err(|e| e.to_string())?;
    if repo.rebase_in_progress() {
        // post-rewrite records every commit of the rebase when it finishes, carrying
        // the old commits' classes; attributing each pick now would be work thrown away.
        tracing::debug!("rebase in progress: leaving the commit to post-rewrite");
        return Ok(());
    }
    let head = repo.resolve_commit("HEAD").map_err(|e| e.to_string())?;
    let config = Config::load_for_hook(repo.location.config_scope());
    crate::logging::apply(&config.logging);
    if !config.hooks.enabled.post_commit {
        return Ok(());
    }
    let paths = repo.location.store_paths(&config);
    if !paths.db.exists() && paths.setup_marker.exists() {
        eprintln!(
            "sce: post-commit: {} was missing; a new one is created, agent events recorded before are gone (see `sce doctor`)",
            paths.db.display()
        );
    }
    let outcome = Store::open_configured(&paths, &config).map_err(|e| e.to_string()).and_then(|store| {
        // Events spooled while the DB was unavailable belong before this commit's attribution.
        if let Err(e) = crate::intake::drain_into(&store, None) {
            tracing::warn!("could not drain the spool: {e}");
        }
        let now = time::OffsetDateTime::now_utc();
        attribute_commit(&repo, &store, &config, head, None, now).map_err(|e| e.to_string())?;
        // Upkeep, after the record is safe: a bounded gc pass, then an empty WAL
        // for the agent hooks that follow. Neither failing concerns the commit.
        let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        if let Err(e) = crate::gc::after_commit(&store, &config, now_ms) {
            tracing::debug!("automatic gc skipped: {e}");
        }
        if let Err(e) = store.checkpoint() {
            tracing::debug!("could not checkpoint the WAL: {e}");
        }
        Ok(())
    });
    if let Err(problem) = outcome {
        let marked = pending::mark(&paths, &head.to_string(), &repo.location.worktree, &problem);
        let tail = match marked {
            Ok(()) => "the commit is kept; run `sce trace backfill` to record it".to_string(),
            Err(e) => format!("the commit is kept, but it could not be marked for backfill ({e})"),
        };
        return Err(format!("{problem}; {tail}"));
    }
    Ok(())
}
