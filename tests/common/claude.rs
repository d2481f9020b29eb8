//! Runs the real Claude Code binary (pinned version) offline in `-p` mode against
//! a fake Anthropic server (see `fake_anthropic.rs`), with an isolated HOME.
//!
//! The binary is the file `claude` of `@anthropic-ai/claude-code-linux-x64@2.1.332`,
//! fetched once with `npm pack` into the test cache (`common::npm_cache`), or the
//! file named by `SCE_CLAUDE_BIN`. The test crate must have `mod common;` at its root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};

use super::agent_run::{clear_env, run_agent};

pub const CLAUDE_PACKAGE: &str = "@anthropic-ai/claude-code-linux-x64";
pub const CLAUDE_VERSION: &str = "2.1.332";
/// A session is killed (with its process group) after this long.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// The hook events `sce setup --claude` registers.
pub const SCE_HOOK_EVENTS: [&str; 6] =
    ["PreToolUse", "PostToolUse", "UserPromptSubmit", "Stop", "SessionStart", "SessionEnd"];

/// The Claude Code binary: `$SCE_CLAUDE_BIN`, else the pinned package from the npm cache.
pub fn claude_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("SCE_CLAUDE_BIN") {
        let bin = PathBuf::from(bin);
        assert!(bin.is_file(), "SCE_CLAUDE_BIN={} is not a file", bin.display());
        return bin;
    }
    let bin = crate::common::npm_cache::package_dir(CLAUDE_PACKAGE, CLAUDE_VERSION).join("claude");
    assert!(bin.is_file(), "{CLAUDE_PACKAGE}@{CLAUDE_VERSION} has no `claude` file at {}", bin.display());
    bin
}

/// Runs one `claude -p PROMPT` session in `project_dir` with `HOME=home_dir`, talking to
/// `base_url`, requesting `model`. Stdout is the stream-json event stream.
pub fn run_claude(project_dir: &Path, home_dir: &Path, base_url: &str, model: &str, prompt: &str) -> Output {
    run_claude_with(project_dir, home_dir, base_url, model, prompt, &[])
}

/// `run_claude` with extra environment variables (set last, so they can override).
///
/// The child gets no `ANTHROPIC_*`, `CLAUDE*` or `XDG_*` variable from the test's
/// environment; `XDG_CONFIG_HOME` points inside `home_dir`. After `TIMEOUT` the
/// process group is killed and a line saying so is appended to stderr (the status
/// is then not a success).
pub fn run_claude_with(
    project_dir: &Path,
    home_dir: &Path,
    base_url: &str,
    model: &str,
    prompt: &str,
    env: &[(&str, &str)],
) -> Output {
    let bin = claude_bin();
    std::fs::create_dir_all(home_dir.join("tmp")).unwrap();
    let mut cmd = Command::new(&bin);
    cmd.arg("-p")
        .arg(prompt)
        .args(["--output-format", "stream-json", "--verbose", "--permission-mode", "bypassPermissions"])
        .arg("--model")
        .arg(model)
        .current_dir(project_dir);
    clear_env(&mut cmd, &["ANTHROPIC_", "CLAUDE", "XDG_"], &["IS_SANDBOX"]);
    cmd.env("HOME", home_dir)
        .env("XDG_CONFIG_HOME", home_dir.join(".config"))
        // Its per-session scratch dirs (else left behind in /tmp/claude-<uid>/).
        .env("CLAUDE_CODE_TMPDIR", home_dir.join("tmp"))
        .env("ANTHROPIC_BASE_URL", base_url)
        .env("ANTHROPIC_API_KEY", "sk-ant-fake-key-for-tests")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        // As root, bypassPermissions is refused unless IS_SANDBOX is exactly "1".
        .env("IS_SANDBOX", "1")
        .envs(env.iter().copied());
    run_agent(cmd, "claude", TIMEOUT)
}

/// The stream-json events of a session's stdout (lines that are not JSON are skipped).
pub fn stream_events(output: &Output) -> Vec<Value> {
    parse_jsonl(&String::from_utf8_lossy(&output.stdout))
}

/// The session id from the stream's `system`/`init` event.
pub fn session_id(output: &Output) -> Option<String> {
    stream_events(output)
        .iter()
        .find(|e| e["type"] == "system" && e["subtype"] == "init")
        .and_then(|e| e["session_id"].as_str())
        .map(str::to_string)
}

/// The final `result` event of the stream.
pub fn result_event(output: &Output) -> Option<Value> {
    stream_events(output).into_iter().rev().find(|e| e["type"] == "result")
}

/// Stdout and stderr, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status: {}\n--- stderr\n{}\n--- stdout\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    )
}

/// Every session transcript under `home_dir/.claude/projects/*/`.
pub fn transcripts(home_dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(projects) = std::fs::read_dir(home_dir.join(".claude/projects")) else { return found };
    for project in projects.flatten() {
        let Ok(files) = std::fs::read_dir(project.path()) else { continue };
        for file in files.flatten() {
            if file.path().extension().is_some_and(|e| e == "jsonl") {
                found.push(file.path());
            }
        }
    }
    found.sort();
    found
}

/// The records of a JSON-lines file (lines that are not JSON are skipped).
pub fn read_jsonl(path: &Path) -> Vec<Value> {
    parse_jsonl(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
}

pub fn parse_jsonl(text: &str) -> Vec<Value> {
    text.lines().filter(|l| !l.trim().is_empty()).filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// `s` single-quoted for a POSIX shell (hook commands are run by a shell).
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A Claude settings object registering `command(event)` as a command hook for each
/// event (tool events with matcher `*`). Write it to `<proj>/.claude/settings.json`
/// (or `settings.local.json`, or `HOME/.claude/settings.json`).
pub fn hook_settings(events: &[&str], command: impl Fn(&str) -> String) -> Value {
    let mut hooks = serde_json::Map::new();
    for event in events {
        let mut group = json!({"hooks": [{"type": "command", "command": command(event)}]});
        if matches!(
            *event,
            "PreToolUse" | "PostToolUse" | "PostToolUseFailure" | "PermissionRequest" | "PermissionDenied"
        ) {
            group["matcher"] = json!("*");
        }
        hooks.insert(event.to_string(), json!([group]));
    }
    json!({"hooks": hooks})
}

/// Writes `settings` as `<project_dir>/.claude/<file>`.
pub fn write_project_settings(project_dir: &Path, file: &str, settings: &Value) {
    let dir = project_dir.join(".claude");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(file), serde_json::to_string_pretty(settings).unwrap()).unwrap();
}
