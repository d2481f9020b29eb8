//! End-to-end with the real OpenCode binary: `sce setup --opencode`, one scripted
//! session (offline, against a fake model on loopback), a human edit on top,
//! `git commit`, and the record asserted line by line; then `sce import opencode`
//! of OpenCode's own database merges with what the plugin captured.
//!
//! Everything it needs is in the project's tests: OpenCode (`opencode-linux-x64@1.18.33`)
//! is fetched once with `npm pack` into the tests' cache outside the repository and
//! checked against the registry's integrity (`common/npm_cache.rs`; or taken from
//! `SCE_OPENCODE_BIN`); the fake OpenAI-compatible model is `common/fake_openai.rs`
//! and the session runner `common/opencode.rs`.

use crate::common;
use crate::common::{TestRepo, counts, line_classes};
use serde_json::{Value, json};

/// Runs one scripted session in `repo`; returns OpenCode's session id.
fn run_session(repo: &TestRepo, steps: &Value, model: &str) -> String {
    common::opencode::run_session(&repo.root, steps, model).id
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
    let run = common::opencode::run_session(&repo.root, &steps, "gpt-5.1-codex");
    let session = run.id.as_str();
    let record = commit_and_read(&repo);
    let ai = format!("ai:{session}");
    assert_eq!(classes(&record, &repo, "src/added.py"), [&ai, &ai].map(String::from));
    assert_eq!(classes(&record, &repo, "README.md"), ["-", "-", &ai, "-"].map(String::from));
    let model = &record["metadata"]["sce"]["sessions"][0]["model"];
    assert_eq!(model, "fake/gpt-5.1-codex");

    // OpenCode's own database holds what the plugin sent, under the same ids: importing
    // it finds this repository's session and adds nothing (and never changes the record).
    let data_home = run.data_home.to_str().unwrap();
    let out = common::run_sce(&repo.root, &["import", "opencode", "--json"], "", &[("XDG_DATA_HOME", data_home)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sessions"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["sessions"][0]["session_id"], session, "{report}");
    assert_eq!(report["totals"]["new_messages"], 0, "{report}");
    assert_eq!(report["totals"]["new_texts"], 0, "{report}");
    assert_eq!(repo.record("HEAD"), record);
}
