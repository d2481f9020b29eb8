//! Installing sce into a repository: git hook scripts with managed blocks, and
//! the embedded OpenCode plugin. Knows nothing of clap; reports each change.

mod claude;
mod codex;
mod cursor;
mod detect;
mod gemini;
pub mod health;
mod hooks;
mod json_file;
mod pi;
mod plugin;
mod settings_hooks;

pub use claude::{
    CLAUDE_EVENTS, ClaudeHooksStatus, LOCAL_SETTINGS, claude_hooks_status, exclude_local_settings, global_settings,
    hook_command, install_claude_hooks, uninstall_claude_hooks,
};
pub use codex::{
    CODEX_EVENTS, CodexHooksStatus, codex_home, codex_home_installed, codex_hook_command, codex_hooks_status,
    install_codex_hooks, uninstall_codex_hooks,
};
pub use cursor::{
    CURSOR_EVENTS, cursor_hook_command, cursor_hooks_current, cursor_hooks_file, install_cursor_hooks,
    uninstall_cursor_hooks,
};
pub use detect::{AgentHint, detect_agents};
pub use gemini::{
    FolderTrust, GEMINI_EVENTS, GEMINI_PROJECT_SETTINGS, GeminiHooksStatus, folder_trust, gemini_global_settings,
    gemini_hook_command, gemini_hooks_status, install_gemini_hooks, trust_hint, uninstall_gemini_hooks,
};
pub use hooks::{HookStatus, MANAGED_HOOKS, hook_status, install_hook, uninstall_hook};
pub use pi::{
    PI_EXTENSION_PATH, PI_EXTENSION_SOURCE, install_pi_extension, pi_extension_status, uninstall_pi_extension,
};
pub use plugin::{PLUGIN_PATH, PLUGIN_SOURCE, PluginStatus, install_plugin, plugin_status, uninstall_plugin};

/// What an install step did (one line of `sce setup` output each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A file was created.
    Created(String),
    /// sce's block was added to or updated in an existing file.
    Updated(String),
    /// sce's part was removed from a file that stays.
    Removed(String),
    /// A file sce had created was deleted.
    Deleted(String),
    /// Already as it should be.
    Unchanged(String),
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Created(what) => write!(f, "created {what}"),
            Change::Updated(what) => write!(f, "updated {what}"),
            Change::Removed(what) => write!(f, "removed sce from {what}"),
            Change::Deleted(what) => write!(f, "deleted {what}"),
            Change::Unchanged(what) => write!(f, "unchanged {what}"),
        }
    }
}

/// Why an install step failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {path}: {source}")]
pub struct InstallError {
    /// What was being done.
    pub action: &'static str,
    /// The file.
    pub path: std::path::PathBuf,
    /// The I/O error.
    pub source: std::io::Error,
}
