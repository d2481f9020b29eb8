//! End-to-end with the real OpenCode binary: `sce setup --opencode`, one scripted
//! session (offline, against a fake model on loopback), a human edit on top,
//! `git commit`, and the record asserted line by line.
//!
//! OpenCode is fetched once with `npm pack opencode-linux-x64@1.18.33` into
//! `target/opencode-cache/` (or taken from `SCE_OPENCODE_BIN`). The fake model
//! server and session runner are the project's shared ones (`../shared/opencode-offline`
//! beside the checkout, or `$SCE_SHARED_DIR/opencode-offline`; `.ci/run` sets it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TestRepo, counts, line_classes};
use serde_json::{Value, json};

const OPENCODE_VERSION: &str = "1.18.33";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The shared offline runner: `$SCE_SHARED_DIR/opencode-offline`, else
/// `../shared/opencode-offline` beside the checkout.
fn offline_kit() -> PathBuf {
    let shared = std::env::var_os("SCE_SHARED_DIR").map_or_else(|| workspace().join("../shared"), PathBuf::from);
    let kit = shared.join("opencode-offline");
    assert!(
        kit.join("run-session.sh").exists(),
        "the offline OpenCode kit is missing at {} (set SCE_SHARED_DIR to the shared directory)",
        kit.display()
    );
    kit
}

/// The OpenCode binary, fetched from the npm registry on first use.
fn opencode_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("SCE_OPENCODE_BIN") {
        return PathBuf::from(bin);
    }
    let cache = workspace().join("target/opencode-cache");
    let bin = cache.join(OPENCODE_VERSION).join("package/bin/opencode");
    if bin.exists() {
        return bin;
    }
    let dir = cache.join(OPENCODE_VERSION);
    std::fs::create_dir_all(&dir).unwrap();
    let spec = format!("opencode-linux-x64@{OPENCODE_VERSION}");
    let out = Command::new("npm")
        .args(["pack", &spec, "--silent", "--pack-destination"])
        .arg(&dir)
        .output()
        .expect("npm is needed to fetch OpenCode for the end-to-end test");
    assert!(out.status.success(), "npm pack {spec} failed: {}", String::from_utf8_lossy(&out.stderr));
    let tarball = dir.join(format!("opencode-linux-x64-{OPENCODE_VERSION}.tgz"));
    let status = Command::new("tar").arg("xzf").arg(&tarball).current_dir(&dir).status().unwrap();
    assert!(status.success() && bin.exists(), "could not unpack {}", tarball.display());
    let _ = std::fs::remove_file(tarball);
    bin
}

/// Runs one scripted session in `repo`; returns OpenCode's session id.
fn run_session(repo: &TestRepo, steps: &Value, model: &str) -> String {
    let work = tempfile::tempdir().unwrap();
    let script = work.path().join("script.json");
    std::fs::write(&script, steps.to_string()).unwrap();
    let out = Command::new("bash")
        .arg(offline_kit().join("run-session.sh"))
        .arg(&repo.root)
        .arg(&script)
        .env("OPENCODE_BIN", opencode_bin())
        .env("MODEL_ID", model)
        .env("WORK", work.path())
        .env("SCE_BIN", common::sce_bin())
        .output()
        .unwrap();
    let log = |name: &str| std::fs::read_to_string(work.path().join(name)).unwrap_or_default();
    assert!(
        out.status.success(),
        "opencode run failed: {}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        log("run.err"),
        log("run.out")
    );
    // `opencode run --format json` prints events carrying the session id.
    let session = log("run.out")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| v.get("sessionID").and_then(|s| s.as_str()).map(str::to_string))
        .unwrap_or_else(|| panic!("no session id in OpenCode's output:\n{}", log("run.out")));
    assert!(session.starts_with("ses_"), "{session}");
    session
}

fn setup_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "# Project\nline one\nline two\nline three\n");
    repo.write("src/human.py", "def human():\n    return 1\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "human start"]);
    let out = repo.sce(&["setup", "--opencode"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    repo
}

fn commit_and_read(repo: &TestRepo) -> Value {
    repo.git(&["add", "-A"]);
    let out = repo.git(&["commit", "-q", "-m", "session"]);
    assert!(out.stderr.is_empty(), "hook said: {}", String::from_utf8_lossy(&out.stderr));
    repo.record("HEAD")
}

fn classes(record: &Value, repo: &TestRepo, path: &str) -> Vec<String> {
    line_classes(record, path, repo.read(path).lines().count())
}

#[test]
fn a_real_opencode_session_is_attributed_line_by_line() {
    let repo = setup_repo();
    let steps = json!([
        {"tool": "write", "args": {"filePath": "{PROJ}/src/hello.py",
            "content": "def hello():\n    return 'hi'\n\n\nprint(hello())\n"}},
        {"tool": "read", "args": {"filePath": "{PROJ}/README.md"}},
        {"tool": "edit", "args": {"filePath": "{PROJ}/README.md", "oldString": "line two",
            "newString": "line two, edited\nline two and a half"}},
        {"tool": "read", "args": {"filePath": "{PROJ}/src/hello.py"}},
        {"tool": "edit", "args": {"filePath": "{PROJ}/src/hello.py", "oldString": "return 'hi'",
            "newString": "return 'hello, world'"}},
        {"tool": "read", "args": {"filePath": "{PROJ}/src/human.py"}},
        {"tool": "edit", "args": {"filePath": "{PROJ}/src/human.py", "oldString": "    return 1",
            "newString": "    return 2  # agent"}},
        {"tool": "bash", "args": {"command": "printf 'x = 1\\ny = 2\\n' > src/extra.py && printf 'appended by bash\\n' >> README.md",
            "description": "change files from the shell"}}
    ]);
    let session = run_session(&repo, &steps, "fake-model");
    // A person edits on top: a new line in the agent's file, and one in the README.
    repo.write("src/hello.py", &repo.read("src/hello.py").replace("\n\nprint", "\n# human comment\n\nprint"));
    repo.write("README.md", &(repo.read("README.md") + "human line\n"));
    let record = commit_and_read(&repo);

    let ai = format!("ai:{session}");
    assert_eq!(classes(&record, &repo, "src/hello.py"), [&ai, &ai, &ai, "unknown", &ai, &ai].map(String::from));
    assert_eq!(
        classes(&record, &repo, "README.md"),
        ["-", "-", &ai, &ai, "-", &ai, "unknown"].map(String::from),
        "README: {}",
        repo.read("README.md")
    );
    assert_eq!(classes(&record, &repo, "src/human.py"), ["-", &ai].map(String::from));
    assert_eq!(classes(&record, &repo, "src/extra.py"), [&ai, &ai].map(String::from));
    let conversation =
        record["files"].as_array().unwrap().iter().find(|f| f["path"] == "src/hello.py").unwrap()["conversations"][0]
            .clone();
    assert_eq!(conversation["contributor"]["model_id"], "fake/fake-model");
    assert_eq!(conversation["url"], format!("urn:sce:session:{session}"));
    assert_eq!(record["tool"]["name"], "opencode");
    let (ai_lines, mixed, _, _) = counts(&record);
    assert_eq!((ai_lines, mixed), (11, 0));
}

#[test]
fn apply_patch_sessions_are_attributed_too() {
    let repo = setup_repo();
    let patch = "*** Begin Patch\n*** Add File: src/added.py\n+def added():\n+    return 'new'\n*** Update File: README.md\n@@\n line one\n-line two\n+line 2 via apply_patch\n line three\n*** End Patch";
    let steps = json!([
        {"tool": "read", "args": {"filePath": "{PROJ}/README.md"}},
        {"tool": "apply_patch", "args": {"patchText": patch}}
    ]);
    let session = run_session(&repo, &steps, "gpt-5.1-codex");
    let record = commit_and_read(&repo);
    let ai = format!("ai:{session}");
    assert_eq!(classes(&record, &repo, "src/added.py"), [&ai, &ai].map(String::from));
    assert_eq!(classes(&record, &repo, "README.md"), ["-", "-", &ai, "-"].map(String::from));
    let model = &record["metadata"]["sce"]["sessions"][0]["model"];
    assert_eq!(model, "fake/gpt-5.1-codex");
}
