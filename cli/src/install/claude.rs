//! Claude Code's hooks: sce's entries in a Claude settings file
//! (`.claude/settings.local.json` in a repository, `~/.claude/settings.json` for
//! every repository), merged into what is there. Other hooks and settings stay
//! untouched; installing again changes nothing; uninstalling removes exactly sce's
//! entries, and the file only if sce created it and nothing else is left in it.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::json_file::{read_object, write_object};
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

/// The hook command: runs `sce_bin` if it is still there, else does nothing, silently.
pub fn hook_command(sce_bin: &Path) -> String {
    let quoted = format!("'{}'", sce_bin.to_string_lossy().replace('\'', "'\\''"));
    format!("test -x {quoted} && {quoted}{MARK} || true")
}

/// The state of sce's entries in a settings file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaudeHooksStatus {
    /// No sce entry.
    Missing,
    /// Some events lack sce's entry, or it runs another sce binary.
    Outdated,
    /// Every event has sce's entry for this binary.
    Current,
}

fn is_sce_entry(group: &Value) -> bool {
    group["hooks"]
        .as_array()
        .is_some_and(|hooks| hooks.iter().any(|h| h["command"].as_str().is_some_and(|c| c.contains(MARK))))
}

/// The state of sce's hooks in the settings file at `path`.
pub fn claude_hooks_status(path: &Path, sce_bin: &Path) -> ClaudeHooksStatus {
    let Ok(Some(settings)) = read_object(path) else { return ClaudeHooksStatus::Missing };
    let command = hook_command(sce_bin);
    let mut found = 0;
    let mut current = 0;
    for event in CLAUDE_EVENTS {
        let groups = settings.get("hooks").and_then(|h| h.get(*event)).and_then(Value::as_array);
        for group in groups.into_iter().flatten().filter(|g| is_sce_entry(g)) {
            found += 1;
            if group["hooks"][0]["command"] == command {
                current += 1;
            }
        }
    }
    match (found, current) {
        (0, _) => ClaudeHooksStatus::Missing,
        (f, c) if f == CLAUDE_EVENTS.len() && c == f => ClaudeHooksStatus::Current,
        _ => ClaudeHooksStatus::Outdated,
    }
}

/// Adds (or updates) sce's entry for every event in the settings file at `path`.
/// `sce_dir`: where to remember that sce created the file (for uninstall).
pub fn install_claude_hooks(path: &Path, sce_bin: &Path, sce_dir: Option<&Path>) -> Result<Change, InstallError> {
    let shown = path.display().to_string();
    if claude_hooks_status(path, sce_bin) == ClaudeHooksStatus::Current {
        return Ok(Change::Unchanged(shown));
    }
    let existing = read_object(path)?;
    let created = existing.is_none();
    let mut settings = existing.unwrap_or_default();
    let hooks = settings.entry("hooks").or_insert_with(|| json!({}));
    if !hooks.is_object() {
        *hooks = json!({});
    }
    let command = hook_command(sce_bin);
    for event in CLAUDE_EVENTS {
        let groups = hooks.as_object_mut().map(|h| h.entry(*event).or_insert_with(|| json!([])));
        let Some(groups) = groups else { continue };
        if !groups.is_array() {
            *groups = json!([]);
        }
        if let Some(list) = groups.as_array_mut() {
            list.retain(|g| !is_sce_entry(g));
            list.push(json!({"matcher": "*", "hooks": [{"type": "command", "command": command}]}));
        }
    }
    write_object(path, &settings)?;
    if created && let Some(dir) = sce_dir {
        let _ = std::fs::write(dir.join(CREATED_MARKER), path.to_string_lossy().as_bytes());
    }
    Ok(if created { Change::Created(shown) } else { Change::Updated(shown) })
}

/// Removes sce's entries from the settings file at `path` (and the file, if sce
/// created it and nothing else is left in it).
pub fn uninstall_claude_hooks(path: &Path, sce_dir: Option<&Path>) -> Result<Option<Change>, InstallError> {
    let Some(mut settings) = read_object(path)? else { return Ok(None) };
    let mut removed = false;
    if let Some(hooks) = settings.get_mut("hooks").and_then(Value::as_object_mut) {
        for event in CLAUDE_EVENTS {
            if let Some(list) = hooks.get_mut(*event).and_then(Value::as_array_mut) {
                let before = list.len();
                list.retain(|g| !is_sce_entry(g));
                removed |= list.len() != before;
                if list.is_empty() {
                    hooks.remove(*event);
                }
            }
        }
        if hooks.is_empty() {
            settings.remove("hooks");
        }
    }
    if !removed {
        return Ok(None);
    }
    let marker = sce_dir.map(|d| d.join(CREATED_MARKER));
    let sce_created =
        marker.as_ref().and_then(|m| std::fs::read_to_string(m).ok()).is_some_and(|p| Path::new(&p) == path);
    if settings.is_empty() && sce_created {
        std::fs::remove_file(path).map_err(|source| InstallError { action: "delete", path: path.into(), source })?;
        if let Some(marker) = marker {
            let _ = std::fs::remove_file(marker);
        }
        if let Some(dir) = path.parent() {
            let _ = std::fs::remove_dir(dir); // only if empty
        }
        return Ok(Some(Change::Deleted(path.display().to_string())));
    }
    write_object(path, &settings)?;
    Ok(Some(Change::Removed(path.display().to_string())))
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
