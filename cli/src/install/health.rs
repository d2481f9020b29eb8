//! Health checks behind `sce doctor`: is this repository ready to record, and
//! what can be repaired safely.

use serde::Serialize;

use crate::config::Config;
use crate::git::{Repo, read_note};
use crate::install::{HookStatus, MANAGED_HOOKS, PluginStatus, hook_status, plugin_status};
use crate::store::{Spool, Store, StoreError, StorePaths};

/// How many commits since setup are checked for a record at most.
const MAX_COMMITS_CHECKED: usize = 1000;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Worth knowing, not a problem.
    Info,
    /// sce is not ready: something must be done.
    Problem,
}

/// What a problem needs to be repaired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Repair {
    /// Reinstall sce's hook blocks.
    InstallHooks,
    /// Reinstall the OpenCode plugin.
    InstallPlugin,
    /// Reinstall the pi extension.
    InstallPiExtension,
    /// Rewrite sce's Cursor hooks in ~/.cursor/hooks.json.
    InstallCursorHooks,
    /// Rewrite sce's Claude Code hooks in this settings file.
    InstallClaudeHooks(std::path::PathBuf),
    /// Rewrite sce's Codex CLI hooks and their trust in this Codex home.
    InstallCodexHooks(std::path::PathBuf),
    /// Rewrite sce's Gemini CLI hooks in this settings file.
    InstallGeminiHooks(std::path::PathBuf),
    /// Create the database (and apply its migrations).
    CreateDatabase,
    /// Move a damaged database aside and start a new one.
    ReplaceDatabase,
    /// Store the spooled batches.
    DrainSpool,
    /// Produce records for these commits.
    Backfill(Vec<String>),
}

/// One check's result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Short name, e.g. `hooks`.
    pub name: &'static str,
    /// Ok, info or problem.
    pub status: Status,
    /// What was found, and what to do about a problem.
    pub detail: String,
    /// The repair `--fix` would apply, if it can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repair: Option<Repair>,
}

impl Check {
    fn new(name: &'static str, status: Status, detail: impl Into<String>) -> Check {
        Check { name, status, detail: detail.into(), repair: None }
    }

    fn repairable(mut self, repair: Repair) -> Check {
        self.repair = Some(repair);
        self
    }
}

/// Runs every check.
pub fn run_checks(repo: &Repo, sce_bin: &std::path::Path) -> Vec<Check> {
    let mut checks = Vec::new();
    let (config, config_check) = match Config::load(Some(repo.location.config_scope())) {
        Ok(config) => (config, Check::new("config", Status::Ok, "configuration is valid")),
        Err(e) => (Config::default(), Check::new("config", Status::Problem, format!("{e}; fix the file"))),
    };
    let paths = repo.location.store_paths(&config);

    let hooks_dir = repo.hooks_dir();
    for hook in MANAGED_HOOKS {
        let check = match hook_status(&hooks_dir, hook, sce_bin) {
            HookStatus::Current => Check::new("hooks", Status::Ok, format!("{hook} hook installed")),
            HookStatus::Outdated => {
                Check::new("hooks", Status::Problem, format!("{hook} hook in {} is outdated", hooks_dir.display()))
                    .repairable(Repair::InstallHooks)
            }
            HookStatus::Missing => Check::new(
                "hooks",
                Status::Problem,
                format!("{hook} hook missing in {}; run `sce setup`", hooks_dir.display()),
            )
            .repairable(Repair::InstallHooks),
        };
        checks.push(check);
    }

    checks.push(match plugin_status(&repo.location.root) {
        PluginStatus::Current => Check::new("plugin", Status::Ok, "OpenCode plugin installed"),
        PluginStatus::Outdated => {
            Check::new("plugin", Status::Problem, "OpenCode plugin is outdated").repairable(Repair::InstallPlugin)
        }
        PluginStatus::Missing => Check::new(
            "plugin",
            Status::Info,
            "OpenCode plugin not installed (run `sce setup --opencode` if you use OpenCode)",
        ),
    });
    checks.push(match crate::install::pi_extension_status(&repo.location.root) {
        PluginStatus::Current => Check::new("pi", Status::Ok, "pi extension installed"),
        PluginStatus::Outdated => {
            Check::new("pi", Status::Problem, "pi extension is outdated").repairable(Repair::InstallPiExtension)
        }
        PluginStatus::Missing => {
            Check::new("pi", Status::Info, "pi extension not installed (run `sce setup --pi` if you use pi)")
        }
    });
    checks.push(claude_hooks(repo, sce_bin));
    checks.push(codex_hooks(&paths.dir, sce_bin));
    checks.push(gemini_hooks(repo, sce_bin));
    if let Some(check) = cursor_hooks(sce_bin) {
        checks.push(check);
    }
    checks.push(config_check);

    let store = if paths.db.exists() {
        match Store::open_configured(&paths, &config) {
            Ok(store) => match store.integrity_problems() {
                Ok(None) => {
                    checks.push(Check::new(
                        "database",
                        Status::Ok,
                        format!("{} opens and is intact", paths.db.display()),
                    ));
                    Some(store)
                }
                Ok(Some(found)) => {
                    checks.push(
                        Check::new(
                            "database",
                            Status::Problem,
                            format!("{} fails its integrity check ({found})", paths.db.display()),
                        )
                        .repairable(Repair::ReplaceDatabase),
                    );
                    None
                }
                Err(e) => {
                    checks.push(Check::new("database", Status::Problem, e.to_string()));
                    None
                }
            },
            Err(e) => {
                let damaged = looks_damaged(&e);
                let check = Check::new("database", Status::Problem, e.to_string());
                checks.push(if damaged { check.repairable(Repair::ReplaceDatabase) } else { check });
                None
            }
        }
    } else {
        checks.push(
            Check::new("database", Status::Problem, format!("{} does not exist", paths.db.display()))
                .repairable(Repair::CreateDatabase),
        );
        None
    };

    let spool = Spool::new(&paths);
    checks.push(if spool.is_empty() {
        Check::new("spool", Status::Ok, "spool is empty")
    } else {
        Check::new("spool", Status::Problem, format!("{} holds events not yet in the database", paths.spool.display()))
            .repairable(Repair::DrainSpool)
    });

    if let Some(store) = store.as_ref() {
        checks.push(storage(store, &config));
    }
    checks.push(missing_records(repo, &paths, &config, store.as_ref()));
    checks
}

/// sce's Cursor hooks, when ~/.cursor/hooks.json has any.
fn cursor_hooks(sce_bin: &std::path::Path) -> Option<Check> {
    let file = crate::install::cursor_hooks_file()?;
    Some(match crate::install::cursor_hooks_current(&file, sce_bin)? {
        true => Check::new("cursor", Status::Ok, format!("Cursor hooks installed in {}", file.display())),
        false => Check::new(
            "cursor",
            Status::Problem,
            format!("sce's Cursor hooks in {} are incomplete or run another sce binary", file.display()),
        )
        .repairable(Repair::InstallCursorHooks),
    })
}

/// sce's Codex CLI hooks and their trust, in the Codex home setup wrote to (else `$CODEX_HOME`, `~/.codex`).
fn codex_hooks(sce_dir: &std::path::Path, sce_bin: &std::path::Path) -> Check {
    let Some(home) = crate::install::codex_home_installed(sce_dir).or_else(crate::install::codex_home) else {
        return Check::new("codex", Status::Info, "Codex CLI hooks not checked: neither CODEX_HOME nor HOME is set");
    };
    match crate::install::codex_hooks_status(&home, sce_bin) {
        crate::install::CodexHooksStatus::Current => {
            Check::new("codex", Status::Ok, format!("Codex CLI hooks installed and trusted in {}", home.display()))
        }
        crate::install::CodexHooksStatus::Outdated => Check::new(
            "codex",
            Status::Problem,
            format!(
                "sce's Codex CLI hooks in {} are incomplete, run another sce binary or are not trusted",
                home.display()
            ),
        )
        .repairable(Repair::InstallCodexHooks(home)),
        crate::install::CodexHooksStatus::Missing => Check::new(
            "codex",
            Status::Info,
            "Codex CLI hooks not installed (run `sce setup --codex` if you use Codex CLI)",
        ),
    }
}

/// sce's Claude Code hooks, in the repository's personal settings or the user's.
fn claude_hooks(repo: &Repo, sce_bin: &std::path::Path) -> Check {
    let files = std::iter::once(repo.location.root.join(crate::install::LOCAL_SETTINGS))
        .chain(crate::install::global_settings());
    let mut found = None;
    for file in files {
        match crate::install::claude_hooks_status(&file, sce_bin) {
            crate::install::ClaudeHooksStatus::Current => {
                return Check::new("claude", Status::Ok, format!("Claude Code hooks installed in {}", file.display()));
            }
            crate::install::ClaudeHooksStatus::Outdated => found = found.or(Some(file)),
            crate::install::ClaudeHooksStatus::Missing => {}
        }
    }
    match found {
        Some(file) => Check::new(
            "claude",
            Status::Problem,
            format!("sce's Claude Code hooks in {} are incomplete or run another sce binary", file.display()),
        )
        .repairable(Repair::InstallClaudeHooks(file)),
        None => Check::new(
            "claude",
            Status::Info,
            "Claude Code hooks not installed (run `sce setup --claude` if you use Claude Code)",
        ),
    }
}

/// sce's Gemini CLI hooks, in the repository's settings or the user's; and whether
/// Gemini trusts the folder (it ignores a project's hooks until it does).
fn gemini_hooks(repo: &Repo, sce_bin: &std::path::Path) -> Check {
    use crate::install::GeminiHooksStatus;
    let project = repo.location.root.join(crate::install::GEMINI_PROJECT_SETTINGS);
    let mut found = None;
    for file in std::iter::once(project.clone()).chain(crate::install::gemini_global_settings()) {
        match crate::install::gemini_hooks_status(&file, sce_bin) {
            GeminiHooksStatus::Current if file == project => {
                return match crate::install::trust_hint(&repo.location.root) {
                    None => {
                        Check::new("gemini", Status::Ok, format!("Gemini CLI hooks installed in {}", file.display()))
                    }
                    Some(hint) => Check::new(
                        "gemini",
                        Status::Info,
                        format!("Gemini CLI hooks installed in {}, but {hint}", file.display()),
                    ),
                };
            }
            GeminiHooksStatus::Current => {
                return Check::new("gemini", Status::Ok, format!("Gemini CLI hooks installed in {}", file.display()));
            }
            GeminiHooksStatus::Outdated => found = found.or(Some(file)),
            GeminiHooksStatus::Missing => {}
        }
    }
    match found {
        Some(file) => Check::new(
            "gemini",
            Status::Problem,
            format!("sce's Gemini CLI hooks in {} are incomplete or run another sce binary", file.display()),
        )
        .repairable(Repair::InstallGeminiHooks(file)),
        None => Check::new(
            "gemini",
            Status::Info,
            "Gemini CLI hooks not installed (run `sce setup --gemini` if you use Gemini CLI)",
        ),
    }
}

/// The DB's size, whether its WAL is bounded, whether `sce gc` would help, and
/// whether every edit no commit has folded yet still has its texts.
fn storage(store: &Store, config: &Config) -> Check {
    let mib = |b: u64| format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0));
    let (sizes, missing) = match (store.sizes(), store.unfolded_edits_missing_texts()) {
        (Ok(sizes), Ok(missing)) => (sizes, missing),
        (Err(e), _) | (_, Err(e)) => return Check::new("storage", Status::Problem, e.to_string()),
    };
    if missing > 0 {
        return Check::new(
            "storage",
            Status::Problem,
            format!(
                "{missing} agent edits not yet committed have lost their texts; their lines will be unknown \
                 (report this as a bug)"
            ),
        );
    }
    let mut detail = format!("database {} + WAL {}", mib(sizes.db_bytes), mib(sizes.wal_bytes));
    let mut status = Status::Ok;
    if sizes.wal_bytes > config.retention.wal_max_bytes.saturating_mul(4).max(4 * 1024 * 1024) {
        detail += &format!(
            "; the WAL is past its bound ({}): the next sce process truncates it",
            mib(config.retention.wal_max_bytes)
        );
        status = Status::Info;
    }
    if sizes.compaction_worthwhile() {
        detail += &format!("; {} of it is free pages: `sce gc` would return them to the disk", mib(sizes.free_bytes()));
        status = Status::Info;
    } else if !config.retention.auto_gc {
        detail += "; retention.auto_gc is off: run `sce gc` now and then";
        status = Status::Info;
    }
    Check::new("storage", status, detail)
}

/// Whether an open failure means the file itself is damaged (so replacing it is
/// the repair), as opposed to a lock, a permission or a bug.
fn looks_damaged(error: &StoreError) -> bool {
    let StoreError::Failed { source, .. } = error else { return false };
    if matches!(source, turso::Error::Corrupt(_) | turso::Error::NotAdb(_)) {
        return true;
    }
    let message = source.to_string().to_ascii_lowercase();
    ["short read", "corrupt", "malformed", "not a database", "invalid page", "invalid header"]
        .iter()
        .any(|sign| message.contains(sign))
}

/// Commits since setup (and commits marked pending) without a record.
fn missing_records(repo: &Repo, paths: &StorePaths, config: &Config, store: Option<&Store>) -> Check {
    let Some(head) = repo.head_commit() else {
        return Check::new("records", Status::Ok, "no commits yet");
    };
    let setup_head = std::fs::read_to_string(&paths.setup_marker)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("head").and_then(|h| h.as_str()).map(str::to_string))
        .and_then(|h| gix::ObjectId::from_hex(h.as_bytes()).ok());
    if !paths.setup_marker.exists() {
        return Check::new("records", Status::Info, "sce setup has not been run here; commits are not checked");
    }
    let mut walk = repo.repo.rev_walk([head]);
    if let Some(setup) = setup_head {
        walk = walk.with_hidden([setup]);
    }
    let mut missing = Vec::new();
    let mut checked = 0;
    if let Ok(iter) = walk.all() {
        for info in iter.take(MAX_COMMITS_CHECKED).flatten() {
            checked += 1;
            let has_note = read_note(repo, &config.agent_trace.notes_ref, info.id).ok().flatten().is_some();
            let in_db = || store.and_then(|s| s.record(&info.id.to_string()).ok().flatten()).is_some();
            if !has_note && !in_db() {
                missing.push(info.id.to_string());
            }
        }
    }
    for pending in crate::store::pending::list(paths).unwrap_or_default() {
        if !missing.contains(&pending.sha)
            && read_note(
                repo,
                &config.agent_trace.notes_ref,
                gix::ObjectId::from_hex(pending.sha.as_bytes()).unwrap_or(head),
            )
            .ok()
            .flatten()
            .is_none()
        {
            missing.push(pending.sha);
        }
    }
    if missing.is_empty() {
        Check::new("records", Status::Ok, format!("all {checked} commit(s) since setup have a record"))
    } else {
        Check::new(
            "records",
            Status::Problem,
            format!("{} commit(s) lack a record (first: {}); run `sce trace backfill`", missing.len(), missing[0]),
        )
        .repairable(Repair::Backfill(missing))
    }
}
