//! `sce hooks post-commit`: attribute the commit just made.

use clap::Args;

use crate::commands::{CommandError, start_dir};
use crate::config::Config;
use crate::exit::ExitCode;
use crate::git::Repo;
use crate::pipeline::commit::attribute_commit;
use crate::pipeline::commit_sources::CommitSources;
use crate::store::Store;
use crate::store::pending;

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
    // Always taken, so that a note never outlives the commit it was made for.
    let noted = crate::pipeline::commit_sources::take(&repo, repo.first_parent(head));
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
        if let Err(e) = crate::pipeline::intake::drain_into(&store, None) {
            tracing::warn!("could not drain the spool: {e}");
        }
        let now = time::OffsetDateTime::now_utc();
        let carry_from = carry_sources(&repo, head, &noted);
        attribute_commit(&repo, &store, &config, head, carry_from.as_deref(), now).map_err(|e| e.to_string())?;
        // Upkeep, after the record is safe: a bounded gc pass, then an empty WAL
        // for the agent hooks that follow. Neither failing concerns the commit.
        let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        if let Err(e) = crate::store::retention::after_commit(&store, &config, now_ms) {
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

/// The commits HEAD's lines are carried from: those its message names, plus
/// those prepare-commit-msg noted (a squash merge, a pick or a revert committed
/// with the user's own message). `None` leaves the message alone to decide.
fn carry_sources(repo: &Repo, head: gix::ObjectId, noted: &CommitSources) -> Option<Vec<gix::ObjectId>> {
    if noted.sources.is_empty() && noted.reverts.is_none() {
        return None;
    }
    let message = repo.commit_message(head).unwrap_or_default();
    let mut sources = crate::pipeline::carry::sources_named_in_message(repo, &message);
    if let Some(reverted) = noted.reverts.as_deref().and_then(|r| repo.resolve_commit(r).ok()) {
        let changes = repo.commit_changes(head, u64::MAX).map(|c| c.files).unwrap_or_default();
        let paths: Vec<&str> = changes.iter().map(|f| f.path.as_str()).collect();
        sources.extend(crate::pipeline::commit_sources::revert_sources(repo, reverted, &paths));
    }
    for source in noted.source_ids(repo) {
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
    Some(sources)
}
