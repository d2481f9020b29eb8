//! Runs the real Codex CLI binary (pinned version) offline with `codex exec` against
//! a fake Responses API server (see `fake_responses.rs`), with an isolated HOME and
//! CODEX_HOME.
//!
//! The binary is `vendor/x86_64-unknown-linux-musl/bin/codex` of
//! `@openai/codex@0.171.0-linux-x64`, fetched once with `npm pack` into the test
//! cache (`common::npm_cache`), or the file named by `SCE_CODEX_BIN`. The test crate
//! must have `mod common;` at its root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

use super::agent_run::{clear_env, run_agent};

pub const CODEX_PACKAGE: &str = "@openai/codex";
pub const CODEX_VERSION: &str = "0.171.0";
/// The platform build's version on npm.
pub const CODEX_PACKAGE_VERSION: &str = "0.171.0-linux-x64";
/// A model slug in 0.171's bundled catalog (an unknown one gets no apply_patch tool).
pub const DEFAULT_MODEL: &str = "gpt-5.5";
/// A session is killed (with its process group) after this long.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// The Codex binary: `$SCE_CODEX_BIN`, else the pinned package from the npm cache.
pub fn codex_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("SCE_CODEX_BIN") {
        let bin = PathBuf::from(bin);
        assert!(bin.is_file(), "SCE_CODEX_BIN={} is not a file", bin.display());
        return bin;
    }
    let bin = crate::common::npm_cache::package_dir(CODEX_PACKAGE, CODEX_PACKAGE_VERSION)
        .join("vendor/x86_64-unknown-linux-musl/bin/codex");
    assert!(bin.is_file(), "{CODEX_PACKAGE}@{CODEX_PACKAGE_VERSION} has no codex binary at {}", bin.display());
    bin
}

/// `$CODEX_HOME/config.toml` pointing Codex at `base_url` with `model`, no approvals,
/// no sandbox, no analytics, no retries.
pub fn write_config(codex_home: &Path, base_url: &str, model: &str) {
    std::fs::create_dir_all(codex_home).unwrap();
    let config = format!(
        "model = \"{model}\"\nmodel_provider = \"fake\"\napproval_policy = \"never\"\n\
         sandbox_mode = \"danger-full-access\"\n\n[model_providers.fake]\nname = \"Fake Responses API\"\n\
         base_url = \"{base_url}\"\nwire_api = \"responses\"\nenv_key = \"FAKE_OPENAI_API_KEY\"\n\
         request_max_retries = 0\nstream_max_retries = 0\n\n[analytics]\nenabled = false\n"
    );
    std::fs::write(codex_home.join("config.toml"), config).unwrap();
}

/// Runs one `codex exec --json PROMPT` in `project_dir` with `HOME=home_dir` and
/// `CODEX_HOME=codex_home`. No `--dangerously-bypass-hook-trust`: hooks run only if
/// trusted in config.toml. Stdout is the JSON event stream. The child gets no
/// `OPENAI_*`, `CODEX_*` or `XDG_*` variable from the test's environment. After
/// `TIMEOUT` the process group is killed and a line saying so is appended to stderr.
pub fn run_codex(project_dir: &Path, home_dir: &Path, codex_home: &Path, prompt: &str) -> Output {
    let bin = codex_bin();
    let mut cmd = Command::new(&bin);
    cmd.args(["exec", "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "-C"])
        .arg(project_dir)
        .arg(prompt)
        .current_dir(project_dir);
    clear_env(&mut cmd, &["OPENAI_", "CODEX_", "XDG_"], &[]);
    cmd.env("HOME", home_dir)
        .env("CODEX_HOME", codex_home)
        .env("XDG_CONFIG_HOME", home_dir.join(".config"))
        .env("FAKE_OPENAI_API_KEY", "sk-fake-key-for-tests");
    run_agent(cmd, "codex", TIMEOUT)
}

/// The JSON events of a session's stdout (lines that are not JSON are skipped).
pub fn events(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// The session (thread) id from the stream's `thread.started` event.
pub fn thread_id(output: &Output) -> Option<String> {
    events(output)
        .iter()
        .find(|e| e["type"] == "thread.started")
        .and_then(|e| e["thread_id"].as_str())
        .map(str::to_string)
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
