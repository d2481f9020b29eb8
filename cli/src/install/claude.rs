//! Claude Code's hooks: sce's entries in a Claude settings file
//! (`.claude/settings.local.json` in a repository, `~/.claude/settings.json` for
//! every repository), merged into what is there. Other hooks and settings stay
//! untouched; installing again changes nothing; uninstalling removes exactly sce's
//! entries, and the file only if sce created it and nothing else is left in it.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::settings_hooks::{HooksStatus, SettingsHooks};
use super::{Change, InstallError};

/// The Claude Code events sce listens to.
pub const CLAUDE_EVENTS: &[&str] =
    &["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "PostToolUseFailure", "Stop", "SessionEnd"];

/// What every sce hook command contains (how sce finds its own entries).
const MARK: &str = " hooks claude-code";

/// The per-repository settings file, relative to the repository root (personal: git ignores it).
pub const LOCAL_SETTINGS: &str = ".claude/settings.local.json";

/// A marker beside sce's data saying sce created the settings file.
const CREATED_MARKER: &str = "claude-settings-created";

/// How Claude's settings hold sce's hooks.
const HOOKS: SettingsHooks = SettingsHooks {
    events: CLAUDE_EVENTS,
    args: MARK,
    created_marker: CREATED_MARKER,
    group: |command| json!({"matcher": "*", "hooks": [{"type": "command", "command": command}]}),
};

/// The hook command: runs `sce_bin` if it is still there, else does nothing, silently.
pub fn hook_command(sce_bin: &Path) -> String {
    HOOKS.command(sce_bin)
}

/// The state of sce's entries in a Claude settings file.
pub type ClaudeHooksStatus = HooksStatus;

/// The state of sce's hooks in the settings file at `path`.
pub fn claude_hooks_status(path: &Path, sce_bin: &Path) -> ClaudeHooksStatus {
    HOOKS.status(path, sce_bin)
}

/// Adds (or updates) sce's entry for every event in the settings file at `path`.
/// `sce_dir`: where to remember that sce created the file (for uninstall).
pub fn install_claude_hooks(path: &Path, sce_bin: &Path, sce_dir: Option<&Path>) -> Result<Change, InstallError> {
    HOOKS.install(path, sce_bin, sce_dir)
}

/// Removes sce's entries from the settings file at `path` (and the file, if sce
/// created it and nothing else is left in it).
pub fn uninstall_claude_hooks(path: &Path, sce_dir: Option<&Path>) -> Result<Option<Change>, InstallError> {
    HOOKS.uninstall(path, sce_dir)
}

/// Makes git ignore the personal settings file without touching the user's
/// `.gitignore`: a line in `<git common dir>/info/exclude`.
pub fn exclude_local_settings(common_dir: &Path) -> Result<Option<Change>, InstallError> {
    let exclude = common_dir.join("info").join("exclude");
    let line = format!("/{LOCAL_SETTINGS}");
    let text = std::fs::read_to_string(&exclude).unwrap_or_default();
    if text.lines().any(|l| l.trim() == line) {
        return Ok(None);
    }
    if let Some(dir) = exclude.parent() {
        std::fs::create_dir_all(dir).map_err(|source| InstallError { action: "create", path: dir.into(), source })?;
    }
    let mut new = text;
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    new.push_str(&format!("# sce setup --claude: Claude Code's personal settings hold sce's hooks\n{line}\n"));
    std::fs::write(&exclude, new).map_err(|source| InstallError { action: "write", path: exclude.clone(), source })?;
    Ok(Some(Change::Updated(exclude.display().to_string())))
}

/// `~/.claude/settings.json`, for `--global`.
pub fn global_settings() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".claude").join("settings.json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn installing_merges_and_uninstalling_removes_exactly_sce_s_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let theirs = json!({"model": "opus", "hooks": {"PreToolUse": [{"matcher": "Bash",
            "hooks": [{"type": "command", "command": "their-linter"}]}]}});
        std::fs::write(&path, theirs.to_string()).unwrap();
        let bin = Path::new("/opt/it's/sce");
        assert_eq!(install_claude_hooks(&path, bin, None).unwrap(), Change::Updated(path.display().to_string()));
        assert_eq!(claude_hooks_status(&path, bin), ClaudeHooksStatus::Current);
        assert_eq!(install_claude_hooks(&path, bin, None).unwrap(), Change::Unchanged(path.display().to_string()));
        let settings: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(settings["hooks"]["PreToolUse"].as_array().unwrap().len(), 2);
        assert_eq!(settings["model"], "opus");
        assert_eq!(claude_hooks_status(&path, Path::new("/other/sce")), ClaudeHooksStatus::Outdated);
        uninstall_claude_hooks(&path, None).unwrap();
        let settings: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(settings, theirs);
    }

    #[test]
    fn the_command_quotes_the_path() {
        assert_eq!(
            hook_command(Path::new("/a b/it's")),
            "test -x '/a b/it'\\''s' && '/a b/it'\\''s' hooks claude-code || true"
        );
    }
}
