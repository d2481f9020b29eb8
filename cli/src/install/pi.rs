//! The pi extension, embedded in the binary so `sce setup --pi` works from anywhere.

use std::path::Path;

use super::{Change, InstallError, PluginStatus};

/// Where the extension goes, relative to the repository root (pi loads `.pi/extensions/*.ts`).
pub const PI_EXTENSION_PATH: &str = ".pi/extensions/sce-agent-trace.ts";

/// The extension source, from `plugins/pi/` at build time.
pub const PI_EXTENSION_SOURCE: &str = include_str!("../../../plugins/pi/sce-agent-trace.ts");

/// The state of the pi extension in `repo_root`.
pub fn pi_extension_status(repo_root: &Path) -> PluginStatus {
    match std::fs::read_to_string(repo_root.join(PI_EXTENSION_PATH)) {
        Ok(text) if text == PI_EXTENSION_SOURCE => PluginStatus::Current,
        Ok(_) => PluginStatus::Outdated,
        Err(_) => PluginStatus::Missing,
    }
}

/// Writes the extension file (and nothing else) into the repository.
pub fn install_pi_extension(repo_root: &Path) -> Result<Change, InstallError> {
    let path = repo_root.join(PI_EXTENSION_PATH);
    let shown = path.display().to_string();
    let status = pi_extension_status(repo_root);
    if status == PluginStatus::Current {
        return Ok(Change::Unchanged(shown));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| InstallError { action: "create", path: dir.into(), source })?;
    }
    std::fs::write(&path, PI_EXTENSION_SOURCE).map_err(|source| InstallError {
        action: "write",
        path: path.clone(),
        source,
    })?;
    Ok(if status == PluginStatus::Missing { Change::Created(shown) } else { Change::Updated(shown) })
}

/// Deletes the extension file if present.
pub fn uninstall_pi_extension(repo_root: &Path) -> Result<Option<Change>, InstallError> {
    let path = repo_root.join(PI_EXTENSION_PATH);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(Some(Change::Deleted(path.display().to_string()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(InstallError { action: "delete", path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_is_idempotent_and_uninstall_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(pi_extension_status(dir.path()), PluginStatus::Missing);
        assert!(matches!(install_pi_extension(dir.path()).unwrap(), Change::Created(_)));
        assert_eq!(pi_extension_status(dir.path()), PluginStatus::Current);
        assert!(matches!(install_pi_extension(dir.path()).unwrap(), Change::Unchanged(_)));
        std::fs::write(dir.path().join(PI_EXTENSION_PATH), "old").unwrap();
        assert_eq!(pi_extension_status(dir.path()), PluginStatus::Outdated);
        assert!(matches!(install_pi_extension(dir.path()).unwrap(), Change::Updated(_)));
        assert!(matches!(uninstall_pi_extension(dir.path()).unwrap(), Some(Change::Deleted(_))));
        assert!(uninstall_pi_extension(dir.path()).unwrap().is_none());
    }
}
