//! Runs one real OpenCode session offline: the pinned binary (fetched once into the
//! tests' npm cache, or `$SCE_OPENCODE_BIN`) against the scripted fake model
//! ([`super::fake_openai`]) on loopback.
//!
//! OpenCode gets its configuration through `OPENCODE_CONFIG_CONTENT` (a `fake`
//! provider, `@ai-sdk/openai-compatible`, pointed at the fake server; edits, bash and
//! other directories allowed; no autoupdate or sharing), so nothing is written into
//! the project; HOME and the XDG dirs are a fresh temp dir, models and LSP downloads
//! are off, and npm is offline (OpenCode's startup install in its config dirs would
//! otherwise stall ~70 s without a network). `opencode run --format json` runs in the
//! project (cwd and `PWD`, which OpenCode resolves paths against) with stdin from
//! /dev/null, killed with its process group after `$SCE_OPENCODE_TIMEOUT` seconds
//! (default 180). Plugins load as a real install does: from the project's
//! `.opencode/plugins/`. They find sce through `SCE_BIN`, set to the binary under test.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::fake_openai::FakeOpenAi;

/// The OpenCode release the tests drive (event shapes change between releases).
pub const OPENCODE_VERSION: &str = "1.18.33";

/// The OpenCode binary: `$SCE_OPENCODE_BIN`, else `package/bin/opencode` of
/// `opencode-linux-x64@OPENCODE_VERSION` from the tests' npm cache.
pub fn opencode_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("SCE_OPENCODE_BIN").filter(|b| !b.is_empty()) {
        return PathBuf::from(bin);
    }
    let bin = super::npm_cache::package_dir("opencode-linux-x64", OPENCODE_VERSION).join("bin/opencode");
    assert!(bin.is_file(), "opencode-linux-x64@{OPENCODE_VERSION} has no {}", bin.display());
    bin
}

/// What one session left behind.
#[expect(dead_code, reason = "kept for a scenario to inspect: the scenarios read only the id today")]
pub struct Session {
    /// OpenCode's session id (`ses_…`).
    pub id: String,
    /// `opencode run --format json` output: one JSON event per line.
    pub stdout: String,
    pub stderr: String,
    /// The fake model's request log (see [`FakeOpenAi::requests`]).
    pub requests: Vec<Value>,
    /// The session's `XDG_DATA_HOME` (OpenCode's own database is in `opencode/`).
    pub data_home: std::path::PathBuf,
    /// Keeps the session's home (and OpenCode's database) until the session is dropped.
    _work: tempfile::TempDir,
}

/// Runs one scripted session in the git repository `project`: `steps` are the tool
/// calls the fake model makes, in order (`{PROJ}` expands to the project path), and
/// `model` the model id it is offered as (`gpt-5.1-codex` makes OpenCode offer
/// `apply_patch` instead of `edit`/`write`). Panics, with OpenCode's output and the
/// model's request log, unless OpenCode exits 0 after the model's final answer.
pub fn run_session(project: &Path, steps: &Value, model: &str) -> Session {
    let bin = opencode_bin();
    let project = std::path::absolute(project).unwrap();
    let fake = FakeOpenAi::start(steps, &project);
    let work = tempfile::Builder::new().prefix("sce-opencode-").tempdir().unwrap();
    let home = work.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let config = json!({
        "autoupdate": false,
        "share": "disabled",
        "model": format!("fake/{model}"),
        "small_model": format!("fake/{model}"),
        "permission": {"edit": "allow", "bash": "allow", "external_directory": "allow"},
        "plugin": [],
        "provider": {"fake": {
            "npm": "@ai-sdk/openai-compatible",
            "options": {"baseURL": fake.base_url(), "apiKey": "x"},
            "models": {model: {"tool_call": true, "limit": {"context": 100_000, "output": 4096}}}
        }}
    });
    let stdout_path = work.path().join("run.out");
    let stderr_path = work.path().join("run.err");
    let mut command = Command::new(&bin);
    command
        .args(["run", "--format", "json", "Follow the scripted steps."])
        .current_dir(&project)
        // OpenCode takes its directory from PWD (a shell's `cd` sets it; `current_dir` does not).
        .env("PWD", &project)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env_remove("OPENCODE_CONFIG")
        .env_remove("OPENCODE_CONFIG_DIR")
        .env("OPENCODE_CONFIG_CONTENT", config.to_string())
        .env("OPENCODE_DISABLE_AUTOUPDATE", "1")
        .env("OPENCODE_DISABLE_MODELS_FETCH", "1")
        .env("OPENCODE_DISABLE_LSP_DOWNLOAD", "1")
        .env("OPENCODE_DISABLE_SHARE", "1")
        .env("OPENCODE_DISABLE_CLAUDE_CODE", "1")
        .env("OPENCODE_DISABLE_EXTERNAL_SKILLS", "1")
        .env("npm_config_offline", "true")
        .env("SCE_BIN", super::sce_bin())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap());
    // Its own process group, so a timeout also ends what OpenCode started.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot run OpenCode {}: {e}", bin.display()));

    let limit =
        Duration::from_secs(std::env::var("SCE_OPENCODE_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(180));
    let started = Instant::now();
    let status: Option<ExitStatus> = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let report = |what: &str| {
        format!(
            "{what}\n--- opencode stderr:\n{stderr}\n--- opencode stdout:\n{stdout}\n--- fake model requests:\n{}",
            fake.requests_text()
        )
    };
    match status {
        None => panic!("{}", report(&format!("opencode run did not finish within {limit:?}"))),
        Some(status) if !status.success() => panic!("{}", report(&format!("opencode run failed: {status}"))),
        Some(_) => {}
    }
    assert!(
        fake.finished(),
        "{}",
        report(&format!("opencode run ended before the model's final answer ({} steps)", fake.step_count()))
    );
    // `opencode run --format json` prints events carrying the session id.
    let id = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| v.get("sessionID").and_then(|s| s.as_str()).map(str::to_string))
        .unwrap_or_else(|| panic!("{}", report("no session id in OpenCode's output")));
    assert!(id.starts_with("ses_"), "{id}");
    // Shown by the test harness if the test fails later on (e.g. on the record).
    eprintln!("{}", report(&format!("opencode run: session {id}")));
    let data_home = home.join(".local/share");
    Session { id, stdout, stderr, requests: fake.requests(), data_home, _work: work }
}
