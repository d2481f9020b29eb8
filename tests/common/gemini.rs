//! Runs the real Gemini CLI (pinned version) offline in `-p` mode against a fake
//! Gemini server (see `fake_gemini.rs`), with an isolated HOME.
//!
//! The CLI is `bundle/gemini.js` of `@google/gemini-cli@0.61.0` (pure JS, run with the
//! system `node` ≥ 20), fetched once with `npm pack` into the test cache
//! (`common::npm_cache`), or the file named by `SCE_GEMINI_JS`. The test crate must
//! have `mod common;` at its root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};

use super::agent_run::{clear_env, run_agent};

pub const GEMINI_PACKAGE: &str = "@google/gemini-cli";
pub const GEMINI_VERSION: &str = "0.61.0";
/// A session is killed (with its process group) after this long.
pub const TIMEOUT: Duration = Duration::from_secs(180);

/// The CLI bundle: `$SCE_GEMINI_JS`, else the pinned package from the npm cache.
pub fn gemini_js() -> PathBuf {
    if let Some(js) = std::env::var_os("SCE_GEMINI_JS") {
        let js = PathBuf::from(js);
        assert!(js.is_file(), "SCE_GEMINI_JS={} is not a file", js.display());
        return js;
    }
    let js = crate::common::npm_cache::package_dir(GEMINI_PACKAGE, GEMINI_VERSION).join("bundle/gemini.js");
    assert!(js.is_file(), "{GEMINI_PACKAGE}@{GEMINI_VERSION} has no bundle/gemini.js at {}", js.display());
    js
}

/// Writes the user settings the offline runs need into `home_dir/.gemini/settings.json`
/// (merged into what is there): API-key auth (else the base-URL variable selects an
/// auth type headless mode refuses), no telemetry, usage statistics or update checks.
pub fn write_user_settings(home_dir: &Path) {
    let path = home_dir.join(".gemini/settings.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut settings: Value =
        std::fs::read_to_string(&path).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_else(|| json!({}));
    settings["security"]["auth"] = json!({"selectedType": "gemini-api-key"});
    settings["privacy"] = json!({"usageStatisticsEnabled": false});
    settings["telemetry"] = json!({"enabled": false});
    settings["general"] = json!({"enableAutoUpdate": false, "enableAutoUpdateNotification": false});
    std::fs::write(&path, serde_json::to_string_pretty(&settings).unwrap()).unwrap();
}

/// Records, as Gemini itself does when a person accepts the trust dialog, that
/// `folder` is trusted (`home_dir/.gemini/trustedFolders.json`).
pub fn trust_folder(home_dir: &Path, folder: &Path) {
    let path = home_dir.join(".gemini/trustedFolders.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let trusted = json!({folder.to_str().unwrap(): "TRUST_FOLDER"});
    std::fs::write(&path, serde_json::to_string_pretty(&trusted).unwrap()).unwrap();
}

/// Runs one `gemini -p PROMPT --yolo` session in `project_dir` with `HOME=home_dir`,
/// talking to `base_url`, requesting `model`. Stdout is the stream-json event stream.
///
/// The child gets no `GEMINI_*`, `GOOGLE_*` or `XDG_*` variable from the test's
/// environment. After `TIMEOUT` the process group is killed and a line saying so is
/// appended to stderr (the status is then not a success).
pub fn run_gemini(project_dir: &Path, home_dir: &Path, base_url: &str, model: &str, prompt: &str) -> Output {
    let js = gemini_js();
    let mut cmd = Command::new("node");
    cmd.arg(&js)
        .arg("-p")
        .arg(prompt)
        .args(["--yolo", "--output-format", "stream-json", "-m", model])
        .current_dir(project_dir);
    clear_env(&mut cmd, &["GEMINI_", "GOOGLE_", "XDG_", "CLAUDE"], &[]);
    cmd.env("HOME", home_dir)
        .env("XDG_CONFIG_HOME", home_dir.join(".config"))
        .env("GOOGLE_GEMINI_BASE_URL", base_url)
        .env("GEMINI_API_KEY", "fake-gemini-key-for-tests")
        .env("GEMINI_CLI_NO_RELAUNCH", "true");
    run_agent(cmd, "gemini", TIMEOUT)
}

/// The stream-json events of a session's stdout (lines that are not JSON are skipped).
pub fn stream_events(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// The session id from the `init` event.
pub fn session_id(output: &Output) -> Option<String> {
    stream_events(output)
        .into_iter()
        .find(|e| e["type"] == "init")
        .and_then(|e| e["session_id"].as_str().map(str::to_string))
}

/// The final `result` event.
pub fn result_event(output: &Output) -> Option<Value> {
    stream_events(output).into_iter().rev().find(|e| e["type"] == "result")
}

/// Exit status, stdout and stderr, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
