//! `sce setup`.

use std::path::PathBuf;

use clap::Args;

use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;
use crate::git::Repo;
use crate::install::{self, Change, MANAGED_HOOKS};
use crate::output::{Painter, Tone};
use crate::store::Store;

/// Install sce in a repository: its git hooks, its database, and the agents' hooks or plugins.
///
/// Hooks go where git runs them (core.hooksPath honoured). An existing hook keeps its
/// content: sce appends a marked block, and running setup again changes nothing.
/// With no agent flag, setup says (on stderr) which agents it finds here and the flag for each.
/// Prints one line per change (colored on a terminal, --color); with --json one object:
/// {"changes": [{"change": "created"|"updated"|"removed"|"deleted"|"unchanged", "what"}], "kept"?}.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Also install the OpenCode plugin as .opencode/plugins/sce-agent-trace.ts.
    #[arg(long)]
    pub opencode: bool,
    /// Also install Claude Code hooks in .claude/settings.local.json (git ignores it via .git/info/exclude).
    #[arg(long)]
    pub claude: bool,
    /// Also install Cursor hooks in ~/.cursor/hooks.json (user-level; they do nothing where sce is not set up).
    #[arg(long)]
    pub cursor: bool,
    /// Also install Codex CLI hooks in $CODEX_HOME/hooks.json (default ~/.codex, user-level; they do
    /// nothing where sce is not set up) and trust them in $CODEX_HOME/config.toml.
    #[arg(long)]
    pub codex: bool,
    /// Also install Gemini CLI hooks in .gemini/settings.json (~/.gemini/settings.json with --global).
    /// Gemini runs a project's hooks only in a folder it trusts; setup says when it does not yet.
    #[arg(long)]
    pub gemini: bool,
    /// Also install the pi extension as .pi/extensions/sce-agent-trace.ts.
    #[arg(long)]
    pub pi: bool,
    /// Install for every agent setup detects here (what plain `sce setup` lists).
    #[arg(long)]
    pub all: bool,
    /// With --claude: Claude Code's user settings (~/.claude/settings.json), for every repository; with
    /// --uninstall: also sce's user-level Claude, Cursor, Codex and Gemini hooks; with --gemini:
    /// ~/.gemini/settings.json.
    #[arg(long)]
    pub global: bool,
    /// Do not install git hooks.
    #[arg(long)]
    pub no_hooks: bool,
    /// Remove sce's hook blocks (and hook files sce created), the plugin and sce's agent hooks (Codex's when
    /// this repository's setup installed them); keeps the database.
    #[arg(long, conflicts_with_all = ["opencode", "claude", "cursor", "codex", "gemini", "pi", "all", "no_hooks"])]
    pub uninstall: bool,
    /// Print the changes as one JSON object instead of one line each.
    #[arg(long)]
    pub json: bool,
}

/// The changes setup makes: printed one line each as they happen, or gathered for --json.
struct Changes {
    json: Option<Vec<serde_json::Value>>,
    paint: Painter,
}

impl Changes {
    fn push(&mut self, change: Change) {
        let (name, what, tone) = match &change {
            Change::Created(what) => ("created", what, Tone::Good),
            Change::Updated(what) => ("updated", what, Tone::Good),
            Change::Removed(what) => ("removed", what, Tone::Bad),
            Change::Deleted(what) => ("deleted", what, Tone::Bad),
            Change::Unchanged(what) => ("unchanged", what, Tone::Dim),
        };
        match &mut self.json {
            Some(list) => list.push(serde_json::json!({"change": name, "what": what})),
            None => println!("{}", self.paint.paint(tone, &change.to_string())),
        }
    }

    /// Prints the gathered changes (for --json), with `kept` when given.
    fn finish(self, kept: Option<&std::path::Path>) {
        if let Some(list) = self.json {
            let mut out = serde_json::json!({"changes": list});
            if let Some(kept) = kept {
                out["kept"] = kept.display().to_string().into();
            }
            println!("{out}");
        }
    }
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

/// The Gemini settings files setup works on: the repository's, and with `global`
/// the user's (last).
fn gemini_settings(repo: &Repo, global: bool) -> Result<Vec<PathBuf>, CommandError> {
    let mut files = vec![repo.location.root.join(install::GEMINI_PROJECT_SETTINGS)];
    if global {
        files.push(install::gemini_global_settings().ok_or_else(|| {
            CommandError::new(ExitCode::Usage, "--global needs HOME to find ~/.gemini/settings.json")
        })?);
    }
    Ok(files)
}

/// Installs or uninstalls.
pub fn run(ctx: &CommandHelper, mut args: SetupArgs) -> Result<ExitCode, CommandError> {
    let repo = ctx.repo()?;
    if args.all {
        for hint in crate::install::detect_agents(&repo.location.root) {
            match hint.flag {
                "--claude" => args.claude = true,
                "--opencode" => args.opencode = true,
                "--codex" => args.codex = true,
                "--gemini" => args.gemini = true,
                "--cursor" => args.cursor = true,
                "--pi" => args.pi = true,
                _ => {}
            }
        }
    }
    let hooks_dir = repo.hooks_dir();
    let (_, config, paths) = ctx.workspace()?;
    let mut out = Changes { json: args.json.then(Vec::new), paint: ctx.ui(args.json).painter() };
    if args.uninstall {
        let mut changed = false;
        for hook in MANAGED_HOOKS {
            if let Some(change) = install::uninstall_hook(&hooks_dir, hook)? {
                out.push(change);
                changed = true;
            }
        }
        if let Some(change) = install::uninstall_plugin(&repo.location.root)? {
            out.push(change);
            changed = true;
        }
        if let Some(change) = install::uninstall_pi_extension(&repo.location.root)? {
            out.push(change);
            changed = true;
        }
        // Cursor's hooks are user-level: they go only with --global.
        if args.global
            && let Some(file) = install::cursor_hooks_file()
            && let Some(change) = install::uninstall_cursor_hooks(&file)?
        {
            out.push(change);
            changed = true;
        }
        // Codex's hooks are user-level: they go when this repository's setup put them
        // there, or with --global.
        let codex_homes = install::codex_home_installed(&paths.dir)
            .into_iter()
            .chain(install::codex_home().filter(|_| args.global))
            .collect::<std::collections::BTreeSet<_>>();
        for home in codex_homes {
            for change in install::uninstall_codex_hooks(&home, Some(&paths.dir))? {
                out.push(change);
                changed = true;
            }
        }
        for settings in claude_settings(repo, args.global)? {
            if let Some(change) = install::uninstall_claude_hooks(&settings, Some(&paths.dir))? {
                out.push(change);
                changed = true;
            }
        }
        for settings in gemini_settings(repo, args.global)? {
            if let Some(change) = install::uninstall_gemini_hooks(&settings, Some(&paths.dir))? {
                out.push(change);
                changed = true;
            }
        }
        let _ = std::fs::remove_file(&paths.setup_marker);
        if args.json {
            out.finish(Some(&paths.db));
            return Ok(ExitCode::Ok);
        }
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
            let (change, warning) = install::install_hook(&hooks_dir, hook, &sce_bin)?;
            out.push(change);
            if let Some(warning) = warning {
                eprintln!("sce: warning: {warning}");
            }
        }
    }
    if args.opencode {
        out.push(install::install_plugin(&repo.location.root)?);
    }
    if args.pi {
        out.push(install::install_pi_extension(&repo.location.root)?);
    }
    if args.claude {
        paths.ensure_dir().map_err(|e| {
            CommandError::new(ExitCode::StorageFailed, format!("cannot create {}: {e}", paths.dir.display()))
        })?;
        for settings in claude_settings(repo, args.global)?.into_iter().rev().take(1) {
            out.push(install::install_claude_hooks(&settings, &sce_bin, Some(&paths.dir))?);
        }
        if !args.global
            && let Some(change) = install::exclude_local_settings(&repo.location.common_dir)?
        {
            out.push(change);
        }
    }
    if args.codex {
        paths.ensure_dir().map_err(|e| {
            CommandError::new(ExitCode::StorageFailed, format!("cannot create {}: {e}", paths.dir.display()))
        })?;
        let home = install::codex_home()
            .ok_or_else(|| CommandError::new(ExitCode::Usage, "--codex needs CODEX_HOME or HOME to find ~/.codex"))?;
        for change in install::install_codex_hooks(&home, &sce_bin, Some(&paths.dir))? {
            out.push(change);
        }
    }
    if args.gemini {
        paths.ensure_dir().map_err(|e| {
            CommandError::new(ExitCode::StorageFailed, format!("cannot create {}: {e}", paths.dir.display()))
        })?;
        for settings in gemini_settings(repo, args.global)?.into_iter().rev().take(1) {
            out.push(install::install_gemini_hooks(&settings, &sce_bin, Some(&paths.dir))?);
        }
        // Not a change: on stderr. User-level hooks run wherever Gemini does.
        if !args.global
            && let Some(hint) = install::trust_hint(&repo.location.root)
        {
            eprintln!("sce: note: {hint}");
        }
    }
    let existed = paths.db.exists();
    Store::open_configured(paths, config)?;
    out.push(if existed {
        Change::Unchanged(paths.db.display().to_string())
    } else {
        Change::Created(paths.db.display().to_string())
    });
    if !paths.setup_marker.exists() {
        let marker = serde_json::json!({
            "head": repo.head_commit().map(|id| id.to_string()),
            "time_ms": time::OffsetDateTime::now_utc().unix_timestamp() * 1000,
        });
        std::fs::write(&paths.setup_marker, marker.to_string()).map_err(|e| {
            CommandError::new(ExitCode::StorageFailed, format!("cannot write {}: {e}", paths.setup_marker.display()))
        })?;
        out.push(Change::Created(paths.setup_marker.display().to_string()));
    }
    // Hints, not changes: on stderr, so stdout stays one line per change.
    if args.cursor {
        let file = install::cursor_hooks_file()
            .ok_or_else(|| CommandError::new(ExitCode::Usage, "--cursor needs HOME to find ~/.cursor/hooks.json"))?;
        out.push(install::install_cursor_hooks(&file, &sce_bin)?);
    }
    if !args.opencode && !args.claude && !args.cursor && !args.codex && !args.gemini && !args.pi {
        for hint in crate::install::detect_agents(&repo.location.root) {
            eprintln!("sce: {hint}");
        }
    }
    out.finish(None);
    Ok(ExitCode::Ok)
}
