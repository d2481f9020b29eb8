//! Installing sce into a repository: git hook scripts with managed blocks, and
//! the embedded OpenCode plugin. Knows nothing of clap; reports each change.

mod claude;
mod detect;
mod hooks;
mod plugin;

pub use claude::{
    CLAUDE_EVENTS, ClaudeHooksStatus, LOCAL_SETTINGS, claude_hooks_status, exclude_local_settings, global_settings,
    hook_command, install_claude_hooks, uninstall_claude_hooks,
};
pub use detect::{AgentHint, detect_agents};
pub use hooks::{HookStatus, MANAGED_HOOKS, hook_status, install_hook, uninstall_hook};
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
