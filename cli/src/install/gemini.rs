//! Gemini CLI's hooks: sce's entries in a Gemini settings file
//! (`.gemini/settings.json` in a repository, `~/.gemini/settings.json` for every
//! repository), merged into what is there. Other hooks and settings stay untouched;
//! installing again changes nothing; uninstalling removes exactly sce's entries, and
//! the file only if sce created it and nothing else is left in it.
//!
//! Gemini runs a project's hooks only once the folder is trusted (recorded by Gemini
//! in `~/.gemini/trustedFolders.json`). sce does not record that trust itself: it
//! would also enable everything else the repository's `.gemini/` configures (MCP
//! servers, other hooks, commands), which is the person's decision. [`folder_trust`]
//! says what Gemini will decide, for setup and doctor to report.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::json_file::read_object;
use super::settings_hooks::{HooksStatus, SettingsHooks};
use super::{Change, InstallError};

/// The Gemini CLI events sce listens to. `BeforeModel` is left out on purpose: it
/// carries the whole conversation on every model call, and the transcript names the
/// model for far less.
pub const GEMINI_EVENTS: &[&str] =
    &["SessionStart", "BeforeAgent", "BeforeTool", "AfterTool", "AfterAgent", "SessionEnd"];

/// What every sce hook command contains (how sce finds its own entries).
const MARK: &str = " hooks gemini";

/// The name sce's hook entries carry (Gemini shows it, and can disable hooks by it).
const HOOK_NAME: &str = "sce";

/// The per-repository settings file, relative to the repository root.
pub const GEMINI_PROJECT_SETTINGS: &str = ".gemini/settings.json";

/// A marker beside sce's data saying sce created the settings file.
const CREATED_MARKER: &str = "gemini-settings-created";

/// How long Gemini lets one sce hook run, in milliseconds.
const TIMEOUT_MS: u64 = 30_000;

/// How Gemini's settings hold sce's hooks.
const HOOKS: SettingsHooks = SettingsHooks {
    events: GEMINI_EVENTS,
    args: MARK,
    created_marker: CREATED_MARKER,
    group: |command| {
        json!({"matcher": ".*", "hooks": [{"type": "command", "name": HOOK_NAME, "command": command,
                                           "timeout": TIMEOUT_MS}]})
    },
};

/// The hook command: runs `sce_bin` if it is still there, else does nothing, silently.
pub fn gemini_hook_command(sce_bin: &Path) -> String {
    HOOKS.command(sce_bin)
}

/// The state of sce's entries in a Gemini settings file.
pub type GeminiHooksStatus = HooksStatus;

/// The state of sce's hooks in the settings file at `path`.
pub fn gemini_hooks_status(path: &Path, sce_bin: &Path) -> GeminiHooksStatus {
    HOOKS.status(path, sce_bin)
}

/// Adds (or updates) sce's entry for every event in the settings file at `path`.
/// `sce_dir`: where to remember that sce created the file (for uninstall).
pub fn install_gemini_hooks(path: &Path, sce_bin: &Path, sce_dir: Option<&Path>) -> Result<Change, InstallError> {
    HOOKS.install(path, sce_bin, sce_dir)
}

/// Removes sce's entries from the settings file at `path` (and the file, if sce
/// created it and nothing else is left in it).
pub fn uninstall_gemini_hooks(path: &Path, sce_dir: Option<&Path>) -> Result<Option<Change>, InstallError> {
    HOOKS.uninstall(path, sce_dir)
}

/// Gemini's user directory: `$GEMINI_CLI_HOME/.gemini`, else `~/.gemini`.
fn gemini_home() -> Option<PathBuf> {
    std::env::var_os("GEMINI_CLI_HOME")
        .or_else(|| std::env::var_os("HOME"))
        .map(|home| PathBuf::from(home).join(".gemini"))
}

/// `~/.gemini/settings.json`, for `--global`.
pub fn gemini_global_settings() -> Option<PathBuf> {
    gemini_home().map(|dir| dir.join("settings.json"))
}

/// Whether Gemini CLI will treat a folder as trusted (and so run its project hooks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderTrust {
    /// Folder trust is turned off in the user's settings: every folder is trusted.
    Disabled,
    /// `trustedFolders.json` trusts it (the rule's path).
    Trusted(String),
    /// `trustedFolders.json` distrusts it (the rule's path).
    Distrusted(String),
    /// No rule: Gemini asks (interactive) or refuses to run (headless) unless told to trust it.
    Unknown,
}

/// What Gemini CLI 0.61 decides for `folder` from the user's settings
/// (`security.folderTrust.enabled`) and `trustedFolders.json`
/// (`$GEMINI_CLI_TRUSTED_FOLDERS_PATH` overrides its place): the longest matching
/// rule wins; `TRUST_PARENT` covers the rule's parent directory.
pub fn folder_trust(folder: &Path) -> FolderTrust {
    let settings = gemini_global_settings().and_then(|p| read_object(&p).ok().flatten());
    if settings
        .as_ref()
        .and_then(|s| s.get("security"))
        .and_then(|s| s.get("folderTrust"))
        .and_then(|f| f.get("enabled"))
        == Some(&Value::Bool(false))
    {
        return FolderTrust::Disabled;
    }
    let file = std::env::var_os("GEMINI_CLI_TRUSTED_FOLDERS_PATH")
        .map(PathBuf::from)
        .or_else(|| gemini_home().map(|dir| dir.join("trustedFolders.json")));
    let Some(rules) = file.and_then(|f| read_object(&f).ok().flatten()) else { return FolderTrust::Unknown };
    trust_from_rules(&rules, folder)
}

/// The decision of `trustedFolders.json`'s `rules` for `folder`: the longest matching
/// rule wins; `TRUST_PARENT` covers the rule's parent directory.
fn trust_from_rules(rules: &Map<String, Value>, folder: &Path) -> FolderTrust {
    let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let folder = real(folder);
    let mut best: Option<(usize, &str, &str)> = None;
    for (rule, level) in rules {
        let Some(level) = level.as_str() else { continue };
        let rule_path = Path::new(rule);
        let effective = if level == "TRUST_PARENT" { rule_path.parent().unwrap_or(rule_path) } else { rule_path };
        if folder.starts_with(real(effective)) && best.is_none_or(|(len, _, _)| rule.len() > len) {
            best = Some((rule.len(), rule.as_str(), level));
        }
    }
    match best {
        Some((_, rule, "TRUST_FOLDER" | "TRUST_PARENT")) => FolderTrust::Trusted(rule.to_string()),
        Some((_, rule, "DO_NOT_TRUST")) => FolderTrust::Distrusted(rule.to_string()),
        _ => FolderTrust::Unknown,
    }
}

/// What to tell a person whose project hooks Gemini may not run; `None` when it will.
pub fn trust_hint(folder: &Path) -> Option<String> {
    let how = "trust it in Gemini CLI (it asks on first start; `/permissions` changes it), or run it with \
               --skip-trust or GEMINI_CLI_TRUST_WORKSPACE=true; sce does not grant trust, which would also \
               enable everything else .gemini/ configures";
    match folder_trust(folder) {
        FolderTrust::Disabled | FolderTrust::Trusted(_) => None,
        FolderTrust::Distrusted(rule) => Some(format!(
            "Gemini CLI ignores the project hooks in {}: ~/.gemini/trustedFolders.json distrusts {rule}; {how}",
            folder.display()
        )),
        FolderTrust::Unknown => Some(format!(
            "Gemini CLI runs the project hooks in {} only once the folder is trusted, and it is not yet; {how}",
            folder.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installing_merges_and_uninstalling_removes_exactly_sce_s_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let theirs = json!({"general": {"vimMode": true}, "hooks": {"BeforeTool": [{"matcher": "write_file",
            "hooks": [{"type": "command", "command": "their-linter"}]}]}});
        std::fs::write(&path, theirs.to_string()).unwrap();
        let bin = Path::new("/opt/it's/sce");
        assert_eq!(install_gemini_hooks(&path, bin, None).unwrap(), Change::Updated(path.display().to_string()));
        assert_eq!(gemini_hooks_status(&path, bin), GeminiHooksStatus::Current);
        assert_eq!(install_gemini_hooks(&path, bin, None).unwrap(), Change::Unchanged(path.display().to_string()));
        let settings: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(settings["hooks"]["BeforeTool"].as_array().unwrap().len(), 2);
        assert_eq!(settings["hooks"]["AfterTool"][0]["hooks"][0]["timeout"], 30000);
        assert_eq!(gemini_hooks_status(&path, Path::new("/other/sce")), GeminiHooksStatus::Outdated);
        uninstall_gemini_hooks(&path, None).unwrap();
        let settings: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(settings, theirs);
    }

    #[test]
    fn the_longest_trust_rule_wins_as_in_gemini() {
        let rules = |v: Value| v.as_object().unwrap().clone();
        let folder = Path::new("/nonexistent/work/repo");
        assert_eq!(trust_from_rules(&rules(json!({})), folder), FolderTrust::Unknown);
        assert_eq!(
            trust_from_rules(&rules(json!({"/nonexistent/work": "TRUST_FOLDER"})), folder),
            FolderTrust::Trusted("/nonexistent/work".into())
        );
        assert_eq!(
            trust_from_rules(&rules(json!({"/nonexistent/work/other": "TRUST_PARENT"})), folder),
            FolderTrust::Trusted("/nonexistent/work/other".into())
        );
        assert_eq!(
            trust_from_rules(
                &rules(json!({"/nonexistent/work": "TRUST_FOLDER", "/nonexistent/work/repo": "DO_NOT_TRUST"})),
                folder
            ),
            FolderTrust::Distrusted("/nonexistent/work/repo".into())
        );
        assert_eq!(
            trust_from_rules(&rules(json!({"/nonexistent/work/repo2": "TRUST_FOLDER"})), folder),
            FolderTrust::Unknown
        );
    }

    #[test]
    fn the_command_quotes_the_path() {
        assert_eq!(
            gemini_hook_command(Path::new("/a b/it's")),
            "test -x '/a b/it'\\''s' && '/a b/it'\\''s' hooks gemini || true"
        );
    }
}
