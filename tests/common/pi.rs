//! Runs one real pi session offline: `@mariozechner/pi-coding-agent` (fetched once into
//! the tests' npm cache with its dependencies, or `$SCE_PI_JS`) against the scripted
//! fake model ([`super::fake_openai`], OpenAI Chat Completions) on loopback.
//!
//! pi is pure JS with ~190 dependencies: the package from [`super::npm_cache::package_dir`]
//! (checked against the registry's integrity) is copied beside it and given its
//! production dependencies by `npm install --omit=dev --ignore-scripts` (their versions
//! are those pi's `package.json` ranges resolve to), once, in a temp dir renamed into
//! place. The session: `node dist/cli.js -p --mode json --offline --provider fake
//! --model fake-coder PROMPT` in the project, stdin from /dev/null, HOME a fresh temp dir
//! holding `~/.pi/agent/models.json` (provider `fake` → the fake server), killed with its
//! process group after `$SCE_PI_TIMEOUT` seconds (default 180). Extensions load as a real
//! install does: from the project's `.pi/extensions/`; they find sce through `SCE_BIN`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::fake_openai::FakeOpenAi;

/// The pi release the tests drive (extension events change between releases).
pub const PI_VERSION: &str = "0.73.1";
const PI_PACKAGE: &str = "@mariozechner/pi-coding-agent";

/// pi's `dist/cli.js`: `$SCE_PI_JS`, else from the tests' npm cache (dependencies installed once).
pub fn pi_cli() -> PathBuf {
    if let Some(js) = std::env::var_os("SCE_PI_JS").filter(|b| !b.is_empty()) {
        return PathBuf::from(js);
    }
    static IN_PROCESS: Mutex<()> = Mutex::new(());
    let _guard = IN_PROCESS.lock().unwrap_or_else(|e| e.into_inner());
    let package = super::npm_cache::package_dir(PI_PACKAGE, PI_VERSION);
    let entry = package.parent().unwrap().to_path_buf();
    let installed = entry.join("installed");
    let cli = installed.join("dist/cli.js");
    if installed.join("node_modules").is_dir() && cli.is_file() {
        return cli;
    }
    let temp = tempfile::Builder::new().prefix(".tmp-installed-").tempdir_in(&entry).unwrap();
    let copy = Command::new("cp").arg("-R").arg(package.join(".")).arg(temp.path()).status().unwrap();
    assert!(copy.success(), "cannot copy {} to {}", package.display(), temp.path().display());
    let out = Command::new("npm")
        .args(["install", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(temp.path())
        .output()
        .unwrap_or_else(|e| panic!("npm is needed to install pi's dependencies: {e}"));
    assert!(
        out.status.success(),
        "`npm install --omit=dev` for {PI_PACKAGE}@{PI_VERSION} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let temp = temp.keep();
    if std::fs::rename(&temp, &installed).is_err() {
        // Another process installed it first: use theirs.
        let _ = std::fs::remove_dir_all(&temp);
    }
    assert!(cli.is_file(), "{PI_PACKAGE}@{PI_VERSION} has no {}", cli.display());
    cli
}

/// What one session left behind.
#[expect(dead_code, reason = "kept for a scenario to inspect: the scenarios read only the id and requests today")]
pub struct Session {
    /// pi's session id (from the `session` line of `--mode json`).
    pub id: String,
    /// `--mode json` output: one JSON event per line.
    pub stdout: String,
    pub stderr: String,
    /// The fake model's request log (see [`FakeOpenAi::requests`]).
    pub requests: Vec<Value>,
}

/// Runs one scripted session in the git repository `project`: `steps` are the tool
/// calls the fake model makes, in order (`{PROJ}` expands to the project path). Panics,
/// with pi's output and the model's request log, unless pi exits 0 after the model's
/// final answer.
pub fn run_session(project: &Path, steps: &Value) -> Session {
    let cli = pi_cli();
    let project = std::path::absolute(project).unwrap();
    let fake = FakeOpenAi::start(steps, &project);
    let work = tempfile::Builder::new().prefix("sce-pi-").tempdir().unwrap();
    let home = work.path().join("home");
    let agent_dir = home.join(".pi/agent");
    std::fs::create_dir_all(&agent_dir).unwrap();
    let models = json!({"providers": {"fake": {
        "baseUrl": fake.base_url(),
        "api": "openai-completions",
        "apiKey": "FAKE_OPENAI_API_KEY",
        "compat": {"supportsDeveloperRole": false, "supportsReasoningEffort": false},
        "models": [{"id": "fake-coder", "name": "Fake Coder", "contextWindow": 128_000, "maxTokens": 8192}]
    }}});
    std::fs::write(agent_dir.join("models.json"), models.to_string()).unwrap();
    let stdout_path = work.path().join("run.out");
    let stderr_path = work.path().join("run.err");
    let mut command = Command::new("node");
    command
        .arg(&cli)
        .args(["-p", "--mode", "json", "--offline", "--provider", "fake", "--model", "fake-coder"])
        .arg("Follow the scripted steps.")
        .current_dir(&project)
        .env("PWD", &project)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env_remove("PI_CODING_AGENT_DIR")
        .env("PI_OFFLINE", "1")
        .env("FAKE_OPENAI_API_KEY", "sk-fake")
        .env("SCE_BIN", super::sce_bin())
        .env("SCE_PI_LOG", work.path().join("extension.log"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap());
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot run node {}: {e}", cli.display()));

    let limit = Duration::from_secs(std::env::var("SCE_PI_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(180));
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
    let extension_log = std::fs::read_to_string(work.path().join("extension.log")).unwrap_or_default();
    let report = |what: &str| {
        format!(
            "{what}\n--- pi stderr:\n{stderr}\n--- pi stdout:\n{stdout}\n--- extension log:\n{extension_log}\n--- fake model requests:\n{}",
            fake.requests_text()
        )
    };
    match status {
        None => panic!("{}", report(&format!("pi did not finish within {limit:?}"))),
        Some(status) if !status.success() => panic!("{}", report(&format!("pi failed: {status}"))),
        Some(_) => {}
    }
    assert!(
        fake.finished(),
        "{}",
        report(&format!("pi ended before the model's final answer ({} steps)", fake.step_count()))
    );
    assert!(extension_log.is_empty(), "{}", report("the extension reported problems"));
    let id = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "session")
        .and_then(|v| v["id"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("{}", report("no session line in pi's output")));
    eprintln!("pi session {id}\n--- pi stderr:\n{stderr}\n--- fake model requests:\n{}", fake.requests_text());
    Session { id, stdout, stderr, requests: fake.requests() }
}
