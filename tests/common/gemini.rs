//! Runs the real Gemini CLI (pinned version) offline in `-p` mode against a fake
//! Gemini server (see `fake_gemini.rs`), with an isolated HOME.
//!
//! The CLI is `bundle/gemini.js` of `@google/gemini-cli@0.61.0` (pure JS, run with the
//! system `node` ≥ 20), fetched once with `npm pack` into the test cache
//! (`common::npm_cache`), or the file named by `SCE_GEMINI_JS`. The test crate must
//! have `mod common;` at its root.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

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
    // Output goes to anonymous files, not pipes: hook or tool processes that outlive
    // the agent cannot keep a reader blocked.
    let stdout = tempfile::tempfile().unwrap();
    let stderr = tempfile::tempfile().unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(&js)
        .arg("-p")
        .arg(prompt)
        .args(["--yolo", "--output-format", "stream-json", "-m", model])
        .current_dir(project_dir)
        .stdin(Stdio::null())
        .stdout(stdout.try_clone().unwrap())
        .stderr(stderr.try_clone().unwrap())
        .process_group(0);
    for (name, _) in std::env::vars_os() {
        let n = name.to_string_lossy();
        if n.starts_with("GEMINI_") || n.starts_with("GOOGLE_") || n.starts_with("XDG_") || n.starts_with("CLAUDE") {
            cmd.env_remove(&name);
        }
    }
    cmd.env("HOME", home_dir)
        .env("XDG_CONFIG_HOME", home_dir.join(".config"))
        .env("GOOGLE_GEMINI_BASE_URL", base_url)
        .env("GEMINI_API_KEY", "fake-gemini-key-for-tests")
        .env("GEMINI_CLI_NO_RELAUNCH", "true");
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run node {}: {e}", js.display()));
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            timed_out = true;
            // The whole group: node and the hooks and shells it started.
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |mut f: File| {
        let mut buf = Vec::new();
        f.seek(SeekFrom::Start(0)).unwrap();
        f.read_to_end(&mut buf).unwrap();
        buf
    };
    let mut stderr = read(stderr);
    if timed_out {
        stderr.extend_from_slice(format!("\n[test harness] gemini killed after {TIMEOUT:?}\n").as_bytes());
    }
    Output { status, stdout: read(stdout), stderr }
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
