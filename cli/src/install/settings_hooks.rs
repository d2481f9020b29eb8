//! sce's entries in an agent's JSON settings file of the shape Claude Code and
//! Gemini CLI share (`{"hooks": {EVENT: [{"matcher", "hooks": [{"type": "command",
//! "command", …}]}]}}`), merged into what is there. Other hooks and settings stay
//! untouched; installing again changes nothing; uninstalling removes exactly sce's
//! entries, and the file only if sce created it and nothing else is left in it.

use std::path::Path;

use serde_json::{Value, json};

use super::json_file::{read_object, write_object};
use super::{Change, InstallError};

/// The shell-quoted `sce_bin` (single quotes), for hook commands.
pub(crate) fn quoted_bin(sce_bin: &Path) -> String {
    format!("'{}'", sce_bin.to_string_lossy().replace('\'', "'\\''"))
}

/// A hook command that runs `sce_bin` with `args` (e.g. ` hooks claude-code`) if it is
/// still there, else does nothing, silently: removing sce never breaks the agent.
pub(crate) fn guarded_command(sce_bin: &Path, args: &str) -> String {
    let quoted = quoted_bin(sce_bin);
    format!("test -x {quoted} && {quoted}{args} || true")
}

/// The state of sce's entries in a settings file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HooksStatus {
    /// No sce entry.
    Missing,
    /// Some events lack sce's entry, or it runs another sce binary.
    Outdated,
    /// Every event has sce's entry for this binary.
    Current,
}

/// How one agent's settings file holds sce's hooks.
pub(crate) struct SettingsHooks {
    /// The events sce listens to.
    pub events: &'static [&'static str],
    /// The arguments of sce's command (` hooks claude-code`): how sce finds its entries.
    pub args: &'static str,
    /// A marker file beside sce's data saying sce created the settings file.
    pub created_marker: &'static str,
    /// The group sce adds to each event, given its command.
    pub group: fn(&str) -> Value,
}

impl SettingsHooks {
    /// The hook command for `sce_bin`.
    pub fn command(&self, sce_bin: &Path) -> String {
        guarded_command(sce_bin, self.args)
    }

    fn is_sce_entry(&self, group: &Value) -> bool {
        group["hooks"]
            .as_array()
            .is_some_and(|hooks| hooks.iter().any(|h| h["command"].as_str().is_some_and(|c| c.contains(self.args))))
    }

    /// The state of sce's hooks in the settings file at `path`.
    pub fn status(&self, path: &Path, sce_bin: &Path) -> HooksStatus {
        let Ok(Some(settings)) = read_object(path) else { return HooksStatus::Missing };
        let command = self.command(sce_bin);
        let mut found = 0;
        let mut current = 0;
        for event in self.events {
            let groups = settings.get("hooks").and_then(|h| h.get(*event)).and_then(Value::as_array);
            for group in groups.into_iter().flatten().filter(|g| self.is_sce_entry(g)) {
                found += 1;
                if group["hooks"][0]["command"] == command {
                    current += 1;
                }
            }
        }
        match (found, current) {
            (0, _) => HooksStatus::Missing,
            (f, c) if f == self.events.len() && c == f => HooksStatus::Current,
            _ => HooksStatus::Outdated,
        }
    }

    /// Adds (or updates) sce's entry for every event in the settings file at `path`.
    /// `sce_dir`: where to remember that sce created the file (for uninstall).
    pub fn install(&self, path: &Path, sce_bin: &Path, sce_dir: Option<&Path>) -> Result<Change, InstallError> {
        let shown = path.display().to_string();
        if self.status(path, sce_bin) == HooksStatus::Current {
            return Ok(Change::Unchanged(shown));
        }
        let existing = read_object(path)?;
        let created = existing.is_none();
        let mut settings = existing.unwrap_or_default();
        let hooks = settings.entry("hooks").or_insert_with(|| json!({}));
        if !hooks.is_object() {
            *hooks = json!({});
        }
        let command = self.command(sce_bin);
        for event in self.events {
            let groups = hooks.as_object_mut().map(|h| h.entry(*event).or_insert_with(|| json!([])));
            let Some(groups) = groups else { continue };
            if !groups.is_array() {
                *groups = json!([]);
            }
            if let Some(list) = groups.as_array_mut() {
                list.retain(|g| !self.is_sce_entry(g));
                list.push((self.group)(&command));
            }
        }
        write_object(path, &settings)?;
        if created && let Some(dir) = sce_dir {
            let _ = std::fs::write(dir.join(self.created_marker), path.to_string_lossy().as_bytes());
        }
        Ok(if created { Change::Created(shown) } else { Change::Updated(shown) })
    }

    /// Removes sce's entries from the settings file at `path` (and the file, if sce
    /// created it and nothing else is left in it).
    pub fn uninstall(&self, path: &Path, sce_dir: Option<&Path>) -> Result<Option<Change>, InstallError> {
        let Some(mut settings) = read_object(path)? else { return Ok(None) };
        let mut removed = false;
        if let Some(hooks) = settings.get_mut("hooks").and_then(Value::as_object_mut) {
            for event in self.events {
                if let Some(list) = hooks.get_mut(*event).and_then(Value::as_array_mut) {
                    let before = list.len();
                    list.retain(|g| !self.is_sce_entry(g));
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
        let marker = sce_dir.map(|d| d.join(self.created_marker));
        let sce_created =
            marker.as_ref().and_then(|m| std::fs::read_to_string(m).ok()).is_some_and(|p| Path::new(&p) == path);
        if settings.is_empty() && sce_created {
            std::fs::remove_file(path).map_err(|source| InstallError {
                action: "delete",
                path: path.into(),
                source,
            })?;
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
}
