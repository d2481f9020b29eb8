//! `sce doctor`.

use clap::Args;

use crate::commands::{CommandError, CommandHelper};
use crate::config::Config;
use crate::exit::ExitCode;
use crate::git::Repo;
use crate::install::health::{Check, Repair, Status, run_checks};
use crate::install::{self, MANAGED_HOOKS};
use crate::output::{Painter, Tone};
use crate::store::Store;

/// Check that sce is ready in this repository, and repair what can be repaired.
///
/// Checks the hooks, the OpenCode plugin, the pi extension, the database (opens, integrity), the
/// configuration, the spool, and commits since setup that lack a record. Exits 8
/// when something is not ready. On a terminal the statuses are colored (--color).
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Repair what can be repaired safely: reinstall hooks and plugin, drain the spool, backfill records.
    #[arg(long)]
    pub fix: bool,
    /// Print the checks as JSON: {"ready", "checks": [{"name", "status", "detail", …}], "repairs"}.
    #[arg(long)]
    pub json: bool,
}

/// Runs the checks (and repairs).
pub fn run(ctx: &CommandHelper, args: DoctorArgs) -> Result<ExitCode, CommandError> {
    let repo = ctx.repo()?;
    let sce_bin = std::env::current_exe().map_err(|e| {
        CommandError::with_source(ExitCode::Internal, format!("cannot find the sce binary's path: {e}"), e)
    })?;
    let mut checks = run_checks(repo, &sce_bin);
    let mut repaired = Vec::new();
    if args.fix {
        for check in &checks {
            if let Some(repair) = &check.repair {
                repaired.push(apply(repo, &sce_bin, repair));
            }
        }
        checks = run_checks(repo, &sce_bin);
    }
    let ready = !checks.iter().any(|c| c.status == Status::Problem);
    if args.json {
        let out = serde_json::json!({"ready": ready, "checks": checks, "repairs": repaired});
        println!("{out}");
    } else {
        let paint = ctx.ui(false).painter();
        for line in &repaired {
            println!("{}{line}", paint.paint(Tone::Info, "fix      "));
        }
        for check in &checks {
            print_check(check, paint);
        }
        println!(
            "{}",
            if ready {
                paint.paint(Tone::Good, "sce is ready")
            } else {
                paint.paint(Tone::Bad, "sce is not ready: see the problems above")
            }
        );
    }
    Ok(if ready { ExitCode::Ok } else { ExitCode::NotReady })
}

fn print_check(check: &Check, paint: Painter) {
    let (status, tone) = match check.status {
        Status::Ok => ("ok", Tone::Good),
        Status::Info => ("info", Tone::Info),
        Status::Problem => ("PROBLEM", Tone::Bad),
    };
    println!("{} {:<9} {}", paint.paint(tone, &format!("{status:<8}")), check.name, check.detail);
}

/// Applies one repair; returns a line saying what happened.
fn apply(repo: &Repo, sce_bin: &std::path::Path, repair: &Repair) -> String {
    let config = Config::load(Some(repo.location.config_scope())).unwrap_or_default();
    let paths = repo.location.store_paths(&config);
    let open = || Store::open_configured(&paths, &config);
    match repair {
        Repair::InstallHooks => MANAGED_HOOKS
            .iter()
            .map(|hook| match install::install_hook(&repo.hooks_dir(), hook, sce_bin) {
                Ok((change, _)) => change.to_string(),
                Err(e) => format!("could not install the {hook} hook: {e}"),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Repair::InstallCursorHooks => {
            match install::cursor_hooks_file().map(|f| install::install_cursor_hooks(&f, sce_bin)) {
                Some(Ok(change)) => change.to_string(),
                Some(Err(e)) => format!("could not install the Cursor hooks: {e}"),
                None => "could not find ~/.cursor/hooks.json (HOME is not set)".to_string(),
            }
        }
        Repair::InstallClaudeHooks(file) => match install::install_claude_hooks(file, sce_bin, Some(&paths.dir)) {
            Ok(change) => change.to_string(),
            Err(e) => format!("could not install the Claude Code hooks: {e}"),
        },
        Repair::InstallGeminiHooks(file) => match install::install_gemini_hooks(file, sce_bin, Some(&paths.dir)) {
            Ok(change) => change.to_string(),
            Err(e) => format!("could not install the Gemini CLI hooks: {e}"),
        },
        Repair::InstallCodexHooks(home) => match install::install_codex_hooks(home, sce_bin, Some(&paths.dir)) {
            Ok(changes) => changes.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
            Err(e) => format!("could not install the Codex CLI hooks: {e}"),
        },
        Repair::InstallPlugin => match install::install_plugin(&repo.location.root) {
            Ok(change) => change.to_string(),
            Err(e) => format!("could not install the plugin: {e}"),
        },
        Repair::InstallPiExtension => match install::install_pi_extension(&repo.location.root) {
            Ok(change) => change.to_string(),
            Err(e) => format!("could not install the pi extension: {e}"),
        },
        Repair::CreateDatabase => match open() {
            Ok(_) => format!("created {}", paths.db.display()),
            Err(e) => format!("could not create the database: {e}"),
        },
        Repair::ReplaceDatabase => {
            let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
            let aside = paths.db.with_extension(format!("db.damaged-{stamp}"));
            let mut wal = paths.db.as_os_str().to_owned();
            wal.push("-wal");
            let moved = std::fs::rename(&paths.db, &aside);
            let _ =
                std::fs::rename(std::path::PathBuf::from(&wal), aside.with_extension(format!("damaged-{stamp}-wal")));
            match moved.map_err(|e| e.to_string()).and_then(|()| open().map_err(|e| e.to_string())) {
                Ok(_) => format!(
                    "moved the damaged database aside to {} and started a new one; events stored only in it are not recovered, records in git notes are kept",
                    aside.display()
                ),
                Err(e) => format!("could not replace the damaged database: {e}"),
            }
        }
        Repair::DrainSpool => match open().and_then(|store| crate::pipeline::intake::drain_into(&store, None)) {
            Ok(n) => format!("stored {n} spooled batch(es)"),
            Err(e) => format!("could not drain the spool: {e}"),
        },
        Repair::Backfill(shas) => {
            let store = match open() {
                Ok(store) => store,
                Err(e) => return format!("could not backfill: {e}"),
            };
            let mut done = Vec::new();
            let mut failed = Vec::new();
            for sha in shas {
                let outcome = gix::ObjectId::from_hex(sha.as_bytes()).map_err(|e| e.to_string()).and_then(|id| {
                    crate::pipeline::commit::attribute_commit(
                        repo,
                        &store,
                        &config,
                        id,
                        None,
                        time::OffsetDateTime::now_utc(),
                    )
                    .map_err(|e| e.to_string())
                });
                match outcome {
                    Ok(_) => done.push(sha.clone()),
                    Err(e) => failed.push(format!("{sha}: {e}")),
                }
            }
            let _ = crate::store::pending::clear(&paths, &done);
            if failed.is_empty() {
                format!("backfilled {} record(s)", done.len())
            } else {
                format!("backfilled {} record(s); could not: {}", done.len(), failed.join("; "))
            }
        }
    }
}
