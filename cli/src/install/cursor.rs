//! Cursor's hooks: sce's entries in `~/.cursor/hooks.json` (version 1: events →
//! lists of `{"command": …}`), merged into what is there; uninstall removes exactly
//! them. User-level rather than the repository's `.cursor/hooks.json`, which is
//! usually committed and shared: the command names this machine's sce binary. The
//! hook does nothing in repositories where sce is not set up.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::json_file::{read_object, write_object};
use super::{Change, InstallError};

/// The Cursor events sce listens to.
pub const CURSOR_EVENTS: &[&str] = &[
    "beforeSubmitPrompt",
    "afterFileEdit",
    "beforeShellExecution",
    "afterShellExecution",
    "beforeMCPExecution",
    "afterMCPExecution",
    "afterAgentResponse",
    "stop",
];

const MARK: &str = " hooks cursor";

/// `~/.cursor/hooks.json`.
pub fn cursor_hooks_file() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cursor").join("hooks.json"))
}

/// The command: runs `sce_bin` if it is still there; else answers `{}` (no decision).
pub fn cursor_hook_command(sce_bin: &Path) -> String {
    let quoted = super::settings_hooks::quoted_bin(sce_bin);
    format!("if test -x {quoted}; then exec {quoted}{MARK}; else echo '{{}}'; fi")
}

fn is_sce_entry(entry: &Value) -> bool {
    entry["command"].as_str().is_some_and(|c| c.contains(MARK))
}

/// Whether every event has sce's entry for `sce_bin` (`Some(false)`: some are
/// missing or run another binary; `None`: no sce entry at all).
pub fn cursor_hooks_current(path: &Path, sce_bin: &Path) -> Option<bool> {
    let file = read_object(path).ok().flatten()?;
    let command = cursor_hook_command(sce_bin);
    let entries: Vec<&Value> = CURSOR_EVENTS
        .iter()
        .filter_map(|e| file.get("hooks").and_then(|h| h.get(*e)).and_then(Value::as_array))
        .flatten()
        .filter(|entry| is_sce_entry(entry))
        .collect();
    if entries.is_empty() {
        return None;
    }
    Some(entries.len() == CURSOR_EVENTS.len() && entries.iter().all(|e| e["command"] == command))
}

/// Adds (or updates) sce's entry for every event.
pub fn install_cursor_hooks(path: &Path, sce_bin: &Path) -> Result<Change, InstallError> {
    let shown = path.display().to_string();
    if cursor_hooks_current(path, sce_bin) == Some(true) {
        return Ok(Change::Unchanged(shown));
    }
    let existing = read_object(path)?;
    let created = existing.is_none();
    let mut file = existing.unwrap_or_default();
    file.entry("version").or_insert(json!(1));
    let hooks = file.entry("hooks").or_insert_with(|| json!({}));
    if !hooks.is_object() {
        *hooks = json!({});
    }
    let command = cursor_hook_command(sce_bin);
    for event in CURSOR_EVENTS {
        if let Some(list) = hooks.as_object_mut().map(|h| h.entry(*event).or_insert_with(|| json!([]))) {
            if !list.is_array() {
                *list = json!([]);
            }
            if let Some(list) = list.as_array_mut() {
                list.retain(|e| !is_sce_entry(e));
                list.push(json!({"command": command}));
            }
        }
    }
    write_object(path, &file)?;
    Ok(if created { Change::Created(shown) } else { Change::Updated(shown) })
}

/// Removes sce's entries (and the file, when nothing but an empty shell is left).
pub fn uninstall_cursor_hooks(path: &Path) -> Result<Option<Change>, InstallError> {
    let Some(mut file) = read_object(path)? else { return Ok(None) };
    let mut removed = false;
    if let Some(hooks) = file.get_mut("hooks").and_then(Value::as_object_mut) {
        for event in CURSOR_EVENTS {
            if let Some(list) = hooks.get_mut(*event).and_then(Value::as_array_mut) {
                let before = list.len();
                list.retain(|e| !is_sce_entry(e));
                removed |= list.len() != before;
                if list.is_empty() {
                    hooks.remove(*event);
                }
            }
        }
    }
    if !removed {
        return Ok(None);
    }
    let empty = file.get("hooks").and_then(Value::as_object).is_none_or(Map::is_empty)
        && file.keys().all(|k| k == "hooks" || k == "version");
    if empty {
        std::fs::remove_file(path).map_err(|source| InstallError { action: "delete", path: path.into(), source })?;
        return Ok(Some(Change::Deleted(path.display().to_string())));
    }
    write_object(path, &file)?;
    Ok(Some(Change::Removed(path.display().to_string())))
}
