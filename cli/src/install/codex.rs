//! Codex CLI's hooks: sce's entries in `$CODEX_HOME/hooks.json` (default
//! `~/.codex`), merged into what is there, and the trust Codex needs before it runs
//! them: one `[hooks.state."<hooks.json>:<event>:<group>:<handler>"]` table with
//! `trusted_hash` per entry, in a marked block of `$CODEX_HOME/config.toml`.
//! Codex skips a user hook silently until that hash (SHA-256 of the hook's
//! normalized identity, as Codex 0.171 computes it) is recorded.
//!
//! Other hooks, settings and trust entries stay untouched; installing again changes
//! nothing; uninstalling removes exactly sce's entries and block, and a file only if
//! sce created it and nothing else is left in it. Codex reads these for every
//! repository; the hook does nothing where sce is not set up.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::{Change, InstallError};

/// The Codex events sce listens to, with their snake_case trust labels.
pub const CODEX_EVENTS: &[(&str, &str)] = &[
    ("SessionStart", "session_start"),
    ("UserPromptSubmit", "user_prompt_submit"),
    ("PreToolUse", "pre_tool_use"),
    ("PostToolUse", "post_tool_use"),
    ("Stop", "stop"),
    ("SessionEnd", "session_end"),
];

/// What every sce hook command contains (how sce finds its own entries).
const MARK: &str = " hooks codex";

/// The hook timeout, seconds (Codex clamps SessionEnd's to 3).
fn timeout(event: &str) -> u64 {
    if event == "SessionEnd" { 3 } else { 30 }
}

const BLOCK_START: &str = "# >>> sce: trust for sce's hooks in hooks.json (sce setup --codex)";
const BLOCK_END: &str = "# <<< sce";

/// Markers beside sce's data: sce created the file (for uninstall).
const HOOKS_CREATED: &str = "codex-hooks-created";
const CONFIG_CREATED: &str = "codex-config-created";
/// Marker beside sce's data: which Codex home `sce setup --codex` wrote to.
const SETUP_MARKER: &str = "codex-setup";

/// `$CODEX_HOME`, else `~/.codex`.
pub fn codex_home() -> Option<PathBuf> {
    match std::env::var_os("CODEX_HOME").filter(|v| !v.is_empty()) {
        Some(home) => Some(PathBuf::from(home)),
        None => std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|home| PathBuf::from(home).join(".codex")),
    }
}

/// The Codex home `sce setup --codex` wrote to from the repository whose sce directory is `sce_dir`.
pub fn codex_home_installed(sce_dir: &Path) -> Option<PathBuf> {
    std::fs::read_to_string(sce_dir.join(SETUP_MARKER)).ok().map(|p| PathBuf::from(p.trim_end_matches('\n')))
}

/// The hook command: runs `sce_bin` if it is still there, else does nothing, silently.
pub fn codex_hook_command(sce_bin: &Path) -> String {
    super::settings_hooks::guarded_command(sce_bin, MARK)
}

/// The state of sce's Codex hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodexHooksStatus {
    /// No sce entry.
    Missing,
    /// Some events lack sce's entry, it runs another sce binary, or Codex would not trust it.
    Outdated,
    /// Every event has sce's entry for this binary, trusted.
    Current,
}

fn hooks_file(home: &Path) -> PathBuf {
    home.join("hooks.json")
}

fn config_file(home: &Path) -> PathBuf {
    home.join("config.toml")
}

fn read_hooks(path: &Path) -> Result<Option<Map<String, Value>>, InstallError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(InstallError { action: "read", path: path.into(), source }),
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        _ => Err(InstallError {
            action: "understand",
            path: path.into(),
            source: std::io::Error::other("not a JSON object; fix or move the file, then run setup again"),
        }),
    }
}

fn write(path: &Path, text: &str) -> Result<(), InstallError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| InstallError { action: "create", path: dir.into(), source })?;
    }
    std::fs::write(path, text).map_err(|source| InstallError { action: "write", path: path.into(), source })
}

fn is_sce_entry(group: &Value) -> bool {
    group["hooks"]
        .as_array()
        .is_some_and(|hooks| hooks.iter().any(|h| h["command"].as_str().is_some_and(|c| c.contains(MARK))))
}

/// `sha256:<hex>` of the hook's normalized identity: compact JSON with sorted keys, as Codex hashes it.
pub fn trust_hash(event_label: &str, command: &str, timeout_sec: u64) -> String {
    // serde_json keeps insertion order here: the keys are written sorted.
    let identity = json!({"event_name": event_label,
        "hooks": [{"async": false, "command": command, "timeout": timeout_sec, "type": "command"}]});
    let digest = sha256(identity.to_string().as_bytes());
    format!("sha256:{}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// The trust entries sce's groups need: (key, hash), from the hooks file as it is.
fn trust_entries(hooks_path: &Path, hooks: &Map<String, Value>) -> Vec<(String, String)> {
    let mut entries = Vec::new();
    let Some(events) = hooks.get("hooks").and_then(Value::as_object) else { return entries };
    for (event, label) in CODEX_EVENTS {
        let groups = events.get(*event).and_then(Value::as_array);
        for (index, group) in groups.into_iter().flatten().enumerate() {
            if !is_sce_entry(group) {
                continue;
            }
            let handler = &group["hooks"][0];
            let (Some(command), Some(seconds)) = (handler["command"].as_str(), handler["timeout"].as_u64()) else {
                continue;
            };
            let key = format!("{}:{label}:{index}:0", hooks_path.display());
            entries.push((key, trust_hash(label, command, seconds.max(1))));
        }
    }
    entries
}

fn trust_block(entries: &[(String, String)]) -> String {
    let mut block = format!("{BLOCK_START}\n");
    for (key, hash) in entries {
        let key = serde_json::to_string(key).unwrap_or_default();
        let hash = serde_json::to_string(hash).unwrap_or_default();
        block.push_str(&format!("[hooks.state.{key}]\ntrusted_hash = {hash}\n"));
    }
    block.push_str(BLOCK_END);
    block.push('\n');
    block
}

/// `text` without sce's block; `None` when it has none.
fn without_block(text: &str) -> Option<String> {
    let start = text.find(BLOCK_START)?;
    let end = text[start..].find(BLOCK_END).map(|e| start + e + BLOCK_END.len())?;
    let end = if text[end..].starts_with('\n') { end + 1 } else { end };
    Some(format!("{}{}", &text[..start], &text[end..]))
}

/// `text` without tables named by one of `headers` (trust Codex or a person wrote for the
/// same keys: a second table of the same name would make the file invalid).
fn without_tables(text: &str, headers: &[String]) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') || trimmed == BLOCK_START {
            skipping = headers.iter().any(|h| h == trimmed);
        }
        if !skipping {
            out.push_str(line);
        }
    }
    out
}

/// The state of sce's hooks and their trust in the Codex home `home`.
pub fn codex_hooks_status(home: &Path, sce_bin: &Path) -> CodexHooksStatus {
    let hooks_path = hooks_file(home);
    let Ok(Some(hooks)) = read_hooks(&hooks_path) else { return CodexHooksStatus::Missing };
    let command = codex_hook_command(sce_bin);
    let mut found = 0;
    let mut current = 0;
    for (event, _) in CODEX_EVENTS {
        let groups = hooks.get("hooks").and_then(|h| h.get(*event)).and_then(Value::as_array);
        for group in groups.into_iter().flatten().filter(|g| is_sce_entry(g)) {
            found += 1;
            if group["hooks"][0]["command"] == command && group["hooks"][0]["timeout"] == timeout(event) {
                current += 1;
            }
        }
    }
    if found == 0 {
        return CodexHooksStatus::Missing;
    }
    let config = std::fs::read_to_string(config_file(home)).unwrap_or_default();
    let trusted = config.contains(&trust_block(&trust_entries(&hooks_path, &hooks)));
    if found == CODEX_EVENTS.len() && current == found && trusted {
        CodexHooksStatus::Current
    } else {
        CodexHooksStatus::Outdated
    }
}

/// Adds (or updates) sce's entry for every event in `home/hooks.json` and trusts them
/// in `home/config.toml`. `sce_dir`: where to remember what sce created (for uninstall).
pub fn install_codex_hooks(home: &Path, sce_bin: &Path, sce_dir: Option<&Path>) -> Result<Vec<Change>, InstallError> {
    let hooks_path = hooks_file(home);
    let config_path = config_file(home);
    if let Some(dir) = sce_dir {
        let _ = std::fs::write(dir.join(SETUP_MARKER), home.to_string_lossy().as_bytes());
    }
    if codex_hooks_status(home, sce_bin) == CodexHooksStatus::Current {
        return Ok(vec![
            Change::Unchanged(hooks_path.display().to_string()),
            Change::Unchanged(config_path.display().to_string()),
        ]);
    }
    let mut changes = Vec::new();
    let existing = read_hooks(&hooks_path)?;
    let created = existing.is_none();
    let mut settings = existing.unwrap_or_default();
    let hooks = settings.entry("hooks").or_insert_with(|| json!({}));
    if !hooks.is_object() {
        *hooks = json!({});
    }
    let command = codex_hook_command(sce_bin);
    for (event, _) in CODEX_EVENTS {
        let groups = hooks.as_object_mut().map(|h| h.entry(*event).or_insert_with(|| json!([])));
        let Some(groups) = groups else { continue };
        if !groups.is_array() {
            *groups = json!([]);
        }
        if let Some(list) = groups.as_array_mut() {
            list.retain(|g| !is_sce_entry(g));
            list.push(json!({"hooks": [{"type": "command", "command": command, "timeout": timeout(event)}]}));
        }
    }
    let mut text = serde_json::to_string_pretty(&settings).unwrap_or_default();
    text.push('\n');
    write(&hooks_path, &text)?;
    if created && let Some(dir) = sce_dir {
        let _ = std::fs::write(dir.join(HOOKS_CREATED), hooks_path.to_string_lossy().as_bytes());
    }
    let shown = hooks_path.display().to_string();
    changes.push(if created { Change::Created(shown) } else { Change::Updated(shown) });

    let entries = trust_entries(&hooks_path, &settings);
    let config = match std::fs::read_to_string(&config_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(InstallError { action: "read", path: config_path, source }),
    };
    let config_created = config.is_none();
    let old = config.unwrap_or_default();
    let base = without_block(&old).unwrap_or_else(|| old.clone());
    let headers: Vec<String> = entries
        .iter()
        .map(|(key, _)| format!("[hooks.state.{}]", serde_json::to_string(key).unwrap_or_default()))
        .collect();
    let mut new = without_tables(&base, &headers);
    while new.ends_with("\n\n") {
        new.pop();
    }
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    if !new.is_empty() {
        new.push('\n');
    }
    new.push_str(&trust_block(&entries));
    let shown = config_path.display().to_string();
    if new == old {
        changes.push(Change::Unchanged(shown));
    } else {
        write(&config_path, &new)?;
        if config_created && let Some(dir) = sce_dir {
            let _ = std::fs::write(dir.join(CONFIG_CREATED), config_path.to_string_lossy().as_bytes());
        }
        changes.push(if config_created { Change::Created(shown) } else { Change::Updated(shown) });
    }
    Ok(changes)
}

fn created_by_sce(sce_dir: Option<&Path>, marker: &str, path: &Path) -> bool {
    sce_dir.map(|d| d.join(marker)).and_then(|m| std::fs::read_to_string(m).ok()).is_some_and(|p| Path::new(&p) == path)
}

/// Removes sce's entries from `home/hooks.json` and its trust block from
/// `home/config.toml` (and a file, if sce created it and nothing else is left in it).
pub fn uninstall_codex_hooks(home: &Path, sce_dir: Option<&Path>) -> Result<Vec<Change>, InstallError> {
    let mut changes = Vec::new();
    let hooks_path = hooks_file(home);
    if let Some(mut settings) = read_hooks(&hooks_path)? {
        let mut removed = false;
        if let Some(hooks) = settings.get_mut("hooks").and_then(Value::as_object_mut) {
            for (event, _) in CODEX_EVENTS {
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
        if removed {
            if settings.is_empty() && created_by_sce(sce_dir, HOOKS_CREATED, &hooks_path) {
                std::fs::remove_file(&hooks_path).map_err(|source| InstallError {
                    action: "delete",
                    path: hooks_path.clone(),
                    source,
                })?;
                changes.push(Change::Deleted(hooks_path.display().to_string()));
            } else {
                let mut text = serde_json::to_string_pretty(&settings).unwrap_or_default();
                text.push('\n');
                write(&hooks_path, &text)?;
                changes.push(Change::Removed(hooks_path.display().to_string()));
            }
        }
    }
    let config_path = config_file(home);
    if let Ok(text) = std::fs::read_to_string(&config_path)
        && let Some(mut rest) = without_block(&text)
    {
        if rest.ends_with("\n\n") {
            rest.pop();
        }
        if rest.trim().is_empty() && created_by_sce(sce_dir, CONFIG_CREATED, &config_path) {
            std::fs::remove_file(&config_path).map_err(|source| InstallError {
                action: "delete",
                path: config_path.clone(),
                source,
            })?;
            changes.push(Change::Deleted(config_path.display().to_string()));
        } else {
            write(&config_path, &rest)?;
            changes.push(Change::Removed(config_path.display().to_string()));
        }
    }
    if let Some(dir) = sce_dir {
        for marker in [HOOKS_CREATED, CONFIG_CREATED, SETUP_MARKER] {
            let _ = std::fs::remove_file(dir.join(marker));
        }
    }
    Ok(changes)
}

/// SHA-256, as Codex hashes a hook's identity.
fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_standard_vectors() {
        let hex = |d: [u8; 32]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(hex(sha256(b"")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hex(sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(hex(sha256(long)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    }

    #[test]
    fn trust_hashes_are_the_ones_codex_0_171_computes() {
        // Values `codex app-server` `hooks/list` reported as currentHash for these hooks.
        assert_eq!(
            trust_hash("pre_tool_use", "test -x '/a b/sce' && '/a b/sce' hooks codex || true", 30),
            "sha256:cb717b4aa96a9402735193e72da328cd35bd4afec52ffdd72a72c5c00a2e9c87"
        );
        assert_eq!(
            trust_hash("session_end", "x hooks codex", 3),
            "sha256:b9d314e4c3cdc6a9e9a70d9243899ebe608ab0499130d51e64d151fde4ec07ba"
        );
    }

    #[test]
    fn installing_merges_trusts_and_uninstalling_removes_exactly_sce_s_part() {
        let home = tempfile::tempdir().unwrap();
        let sce_dir = tempfile::tempdir().unwrap();
        let theirs = json!({"hooks": {"PreToolUse": [{"matcher": "Bash",
            "hooks": [{"type": "command", "command": "their-linter"}]}]}});
        std::fs::write(home.path().join("hooks.json"), theirs.to_string()).unwrap();
        let config = "model = \"gpt-5.5\"\n\n[projects.\"/x\"]\ntrust_level = \"trusted\"\n";
        std::fs::write(home.path().join("config.toml"), config).unwrap();
        let bin = Path::new("/opt/it's/sce");
        install_codex_hooks(home.path(), bin, Some(sce_dir.path())).unwrap();
        assert_eq!(codex_hooks_status(home.path(), bin), CodexHooksStatus::Current);
        let again = install_codex_hooks(home.path(), bin, Some(sce_dir.path())).unwrap();
        assert!(again.iter().all(|c| matches!(c, Change::Unchanged(_))), "{again:?}");
        let written = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
        assert!(written.starts_with(config), "{written}");
        let key = format!("{}:pre_tool_use:1:0", home.path().join("hooks.json").display());
        assert!(written.contains(&format!("[hooks.state.\"{key}\"]")), "{written}");
        assert_eq!(codex_hooks_status(home.path(), Path::new("/other/sce")), CodexHooksStatus::Outdated);
        uninstall_codex_hooks(home.path(), Some(sce_dir.path())).unwrap();
        let hooks: Value =
            serde_json::from_str(&std::fs::read_to_string(home.path().join("hooks.json")).unwrap()).unwrap();
        assert_eq!(hooks, theirs);
        assert_eq!(std::fs::read_to_string(home.path().join("config.toml")).unwrap(), config);
    }

    #[test]
    fn files_sce_created_go_with_uninstall() {
        let home = tempfile::tempdir().unwrap();
        let sce_dir = tempfile::tempdir().unwrap();
        let codex = home.path().join(".codex");
        install_codex_hooks(&codex, Path::new("/bin/sce"), Some(sce_dir.path())).unwrap();
        assert_eq!(codex_home_installed(sce_dir.path()), Some(codex.clone()));
        uninstall_codex_hooks(&codex, Some(sce_dir.path())).unwrap();
        assert!(!codex.join("hooks.json").exists() && !codex.join("config.toml").exists());
    }
}
