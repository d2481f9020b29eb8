//! Retention: the configured policy turned into gc passes — a bounded one after
//! every commit, a complete one for `sce gc` — and compaction when enough of the DB
//! is free pages.

use crate::config::{Config, RetentionConfig};
use crate::store::{DbSizes, GcPlan, GcReport, Store, StoreError, StorePaths};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The gc plan the retention policy gives at `now_ms`: complete, or bounded to
/// `auto_gc_items` as a hook runs it.
pub fn plan(retention: &RetentionConfig, now_ms: i64, bounded: bool, dry_run: bool) -> GcPlan {
    let days_ago = |days: u32| now_ms.saturating_sub(i64::from(days) * DAY_MS);
    GcPlan {
        edit_texts_before_ms: days_ago(retention.edit_texts_days),
        conversations_before_ms: (retention.conversations_days > 0).then(|| days_ago(retention.conversations_days)),
        max_items: bounded.then_some(retention.auto_gc_items as usize),
        dry_run,
    }
}

/// The bounded pass a post-commit hook runs after recording its commit, if `auto_gc` is on.
pub fn after_commit(store: &Store, config: &Config, now_ms: i64) -> Result<Option<GcReport>, StoreError> {
    if !config.retention.auto_gc {
        return Ok(None);
    }
    store.gc(&plan(&config.retention, now_ms, true, false)).map(Some)
}

/// What `sce gc` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct GcOutcome {
    /// True when nothing was changed.
    pub dry_run: bool,
    /// What was (or would be) removed.
    #[serde(flatten)]
    pub removed: GcReport,
    /// Sizes before.
    pub before: DbSizes,
    /// Sizes after (the same as before in a dry run).
    pub after: DbSizes,
    /// Whether the DB was rewritten without its free pages (or would be, in a dry run).
    pub compacted: bool,
}

/// Agent hooks keep per-session state (transcript offsets, snapshots) until the
/// session ends; a session that never ended leaves it behind. Files untouched for a
/// week go.
fn remove_stale_agent_state(sce_dir: &std::path::Path, now_ms: i64) {
    let Ok(agents) = std::fs::read_dir(sce_dir.join("agents")) else { return };
    let cutoff =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(now_ms.saturating_sub(7 * DAY_MS).max(0) as u64);
    for agent in agents.flatten() {
        let Ok(files) = std::fs::read_dir(agent.path()) else { continue };
        for file in files.flatten() {
            if file.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < cutoff) {
                let _ = std::fs::remove_file(file.path());
            }
        }
    }
}

/// Runs a complete gc pass, truncates the WAL, and compacts the DB when at least a
/// quarter of it (and 1 MiB) is free pages. A dry run changes nothing.
pub fn collect(paths: &StorePaths, config: &Config, now_ms: i64, dry_run: bool) -> Result<GcOutcome, StoreError> {
    let store = Store::open_configured(paths, config)?;
    let before = store.sizes()?;
    let removed = store.gc(&plan(&config.retention, now_ms, false, dry_run))?;
    if dry_run {
        // Pages a real run would free: what the removed rows take, at least (estimate).
        let would_free = before.free_bytes() + removed.text_bytes_removed;
        let compacted = DbSizes { free_pages: would_free / before.page_size.max(1), ..before }.compaction_worthwhile();
        return Ok(GcOutcome { dry_run, removed, before, after: before, compacted });
    }
    store.checkpoint()?;
    remove_stale_agent_state(&paths.dir, now_ms);
    let compacted = store.sizes()?.compaction_worthwhile();
    if compacted {
        store.compact()?;
    } else {
        drop(store);
    }
    let after = Store::open_configured(paths, config)?.sizes()?;
    Ok(GcOutcome { dry_run, removed, before, after, compacted })
}
