//! `sce setup`.

use std::path::PathBuf;

use clap::Args;

use crate::commands::{CommandError, start_dir};
use crate::config::Config;
use crate::exit::ExitCode;
use crate::git::Repo;
use crate::install::{self, Change, MANAGED_HOOKS};
use crate::store::Store;

/// Install sce in a repository: its git hooks, its database, and the agents' hooks or plugins.
///
/// Hooks go where git runs them (core.hooksPath honoured). An existing hook keeps its
/// content: sce appends a marked block, and running setup again changes nothing.
/// With no agent flag, setup says (on stderr) which agents it finds here and the flag for each.
/// Prints one line per change.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The repository (default: the current directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Also install the OpenCode plugin as .opencode/plugins/sce-agent-trace.ts.
    #[arg(long)]
    pub opencode: bool,
    /// Also install Claude Code hooks in .claude/settings.local.json (git ignores it via .git/info/exclude).
    #[arg(long)]
    pub claude: bool,
    /// With --claude (or --uninstall): Claude Code's user settings (~/.claude/settings.json), for every repository.
    #[arg(long)]
    pub global: bool,
    /// Do not install git hooks.
    #[arg(long)]
    pub no_hooks: bool,
    /// Remove sce's hook blocks (and hook files sce created), the plugin and sce's Claude hooks; keeps the database.
    #[arg(long, conflicts_with_all = ["opencode", "claude", "no_hooks"])]
    pub uninstall: bool,
}

/// The Claude settings files setup works on: the repository's personal one, and
/// with `global` the user's (last).
fn claude_settings(repo: &Repo, global: bool) -> Result<Vec<PathBuf>, CommandError> {
    let mut files = vec![repo.location.root.join(install::LOCAL_SETTINGS)];
    if global {
        files.push(install::global_settings().ok_or_else(|| {
            CommandError::new(ExitCode::Usage, "--global needs HOME to find ~/.claude/settings.json")
        })?);
    }
    Ok(files)
}

fn install_failed(e: install::InstallError) -> CommandError {
    CommandError::new(ExitCode::Internal, e)
}

/// Installs or uninstalls.
pub fn run(args: SetupArgs) -> Result<ExitCode, CommandError> {
    let repo = Repo::discover(&start_dir(args.repo.as_deref())?)?;
    let hooks_dir = repo.hooks_dir();
    let config = Config::load(Some(repo.location.config_scope()))?;
    crate::logging::apply(&config.logging);
    let paths = repo.location.store_paths(&config);
    if args.uninstall {
        let mut changed = false;
        for hook in MANAGED_HOOKS {
            if let Some(change) = install::uninstall_hook(&hooks_dir, hook).map_err(install_failed)? {
                println!("{change}");
                changed = true;
            }
        }
        if let Some(change) = install::uninstall_plugin(&repo.location.root).map_err(install_failed)? {
            println!("{change}");
            changed = true;
        }
        for settings in claude_settings(&repo, args.global)? {
            if let Some(change) =
                install::uninstall_claude_hooks(&settings, Some(&paths.dir)).map_err(install_failed)?
            {
                println!("{change}");
                changed = true;
            }
        }
        let _ = std::fs::remove_file(&paths.setup_marker);
        if !changed {
            println!("nothing to remove");
        }
        println!("kept {} (delete it to remove what sce recorded)", paths.db.display());
        return Ok(ExitCode::Ok);
    }
    let sce_bin = std::env::current_exe()
        .map_err(|e| CommandError::new(ExitCode::Internal, format!("cannot find the sce binary's path: {e}")))?;
    if !args.no_hooks {
        for hook in MANAGED_HOOKS {
            let (change, warning) = install::install_hook(&hooks_dir, hook, &sce_bin).map_err(install_failed)?;
            println!("{change}");
            if let Some(warning) = warning {
                eprintln!("sce: warning: {warning}");
            }
        }
    }
    if args.opencode {
        println!("{}", install::install_plugin(&repo.location.root).map_err(install_failed)?);
    }
    if args.claude {
        paths.ensure_dir().map_err(|e| {
            CommandError::new(ExitCode::StorageFailed, format!("cannot create {}: {e}", paths.dir.display()))
        })?;
        for settings in claude_settings(&repo, args.global)?.into_iter().rev().take(1) {
            println!(
                "{}",
                install::install_claude_hooks(&settings, &sce_bin, Some(&paths.dir)).map_err(install_failed)?
            );
        }
        if !args.global
            && let Some(change) = install::exclude_local_settings(&repo.location.common_dir).map_err(install_failed)?
        {
            println!("{change}");
        }
    }
    let existed = paths.db.exists();
    Store::open_configured(&paths, &config)?;
    println!(
        "{}",
        if existed {
            Change::Unchanged(paths.db.display().to_string())
        } else {
            Change::Created(paths.db.display().to_string())
        }
    );
    if !paths.setup_marker.exists() {
        let marker = serde_json::json!({
            "head": repo.head_commit().map(|id| id.to_string()),
            "time_ms": time::OffsetDateTime::now_utc().unix_timestamp() * 1000,
        });
        std::fs::write(&paths.setup_marker, marker.to_string()).map_err(|e| {
            CommandError::new(ExitCode::StorageFailed, format!("cannot write {}: {e}", paths.setup_marker.display()))
        })?;
        println!("{}", Change::Created(paths.setup_marker.display().to_string()));
    }
    // Hints, not changes: on stderr, so stdout stays one line per change.
    if !args.opencode && !args.claude {
        for hint in crate::install::detect_agents(&repo.location.root) {
            eprintln!("sce: {hint}");
        }
    }
    Ok(ExitCode::Ok)
}
