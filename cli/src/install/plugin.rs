//! The OpenCode plugin, embedded in the binary so `sce setup --opencode` works from anywhere.

use std::path::Path;

use super::{Change, InstallError};

/// Where the plugin goes, relative to the repository root (OpenCode loads `.opencode/plugins/*.ts`).
pub const PLUGIN_PATH: &str = ".opencode/plugins/sce-agent-trace.ts";

/// The plugin source, from `plugins/opencode/` at build time (so the crate builds
/// from this workspace, e.g. `cargo install --path cli`, not from a crates.io package).
pub const PLUGIN_SOURCE: &str = include_str!("../../../plugins/opencode/sce-agent-trace.ts");

/// The state of the installed plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginStatus {
    /// Not installed.
    Missing,
    /// Installed, but not the version this sce embeds.
    Outdated,
    /// Installed and current.
    Current,
}

/// The state of the plugin in `repo_root`.
pub fn plugin_status(repo_root: &Path) -> PluginStatus {
    match std::fs::read_to_string(repo_root.join(PLUGIN_PATH)) {
        Ok(text) if text == PLUGIN_SOURCE => PluginStatus::Current,
        Ok(_) => PluginStatus::Outdated,
        Err(_) => PluginStatus::Missing,
    }
}

/// Writes the plugin file (and nothing else) into the repository.
pub fn install_plugin(repo_root: &Path) -> Result<Change, InstallError> {
    let path = repo_root.join(PLUGIN_PATH);
    let shown = path.display().to_string();
    let status = plugin_status(repo_root);
    if status == PluginStatus::Current {
        return Ok(Change::Unchanged(shown));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| InstallError { action: "create", path: dir.into(), source })?;
    }
    std::fs::write(&path, PLUGIN_SOURCE).map_err(|source| InstallError {
        action: "write",
        path: path.clone(),
        source,
    })?;
    Ok(if status == PluginStatus::Missing { Change::Created(shown) } else { Change::Updated(shown) })
}

/// Deletes the plugin file if present.
pub fn uninstall_plugin(repo_root: &Path) -> Result<Option<Change>, InstallError> {
    let path = repo_root.join(PLUGIN_PATH);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(Some(Change::Deleted(path.display().to_string()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(InstallError { action: "delete", path, source }),
    }
}
