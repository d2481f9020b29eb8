//! End-to-end with the real Codex CLI binary, offline: the project's fake Responses
//! API server (`common/fake_responses.rs`) scripts the model, and `common/codex.rs`
//! runs `codex exec` in a temp git repository with an isolated HOME and CODEX_HOME.
//! sce's hooks run because `sce setup --codex` trusted them, not through
//! `--dangerously-bypass-hook-trust`.
//!
//! Codex is fetched once with `npm pack @openai/codex@0.171.0-linux-x64` into the test
//! cache (`common/npm_cache.rs`), or taken from `SCE_CODEX_BIN`.

use std::path::Path;
use std::time::Instant;

use crate::common::codex::{CODEX_VERSION, DEFAULT_MODEL, describe, run_codex, thread_id, write_config};
use crate::common::fake_responses::{FakeResponses, Step};
use crate::common::{TestRepo, line_classes, run_sce};

/// `sce setup --codex`; a session that adds a file and edits it (apply_patch), edits a
/// file a person wrote (apply_patch), changes a file and makes one with the shell
/// tool; a person's edits on top; a commit; the record, line by line.
#[test]
fn sce_records_a_real_codex_session_line_by_line() {
    let repo = TestRepo::new();
    let scratch = tempfile::Builder::new().prefix("sce-codex-").tempdir().unwrap();
    let home = scratch.path().join("home");
    let codex_home = home.join(".codex");
    std::fs::create_dir_all(&home).unwrap();

    repo.write("person.py", "def f():\n    return 1\n");
    repo.commit_all("a person's file");

    let root = repo.root.to_str().unwrap().to_string();
    let server = FakeResponses::start(vec![
        Step::Patch("*** Begin Patch\n*** Add File: new.py\n+print('one')\n+print('two')\n+print('three')\n*** End Patch".into()),
        Step::Patch(
            "*** Begin Patch\n*** Update File: new.py\n@@\n print('one')\n-print('two')\n+print(2)\n print('three')\n*** End Patch"
                .into(),
        ),
        Step::Patch("*** Begin Patch\n*** Update File: person.py\n@@ def f():\n-    return 1\n+    return 10\n*** End Patch".into()),
        Step::Shell {
            command: "sed -i 's/three/THREE/' new.py && printf 'x = 1\\ny = 2\\n' > gen.py".into(),
            workdir: root.clone(),
        },
    ]);
    write_config(&codex_home, &server.base_url(), DEFAULT_MODEL);
    let env = [("HOME", home.to_str().unwrap()), ("CODEX_HOME", codex_home.to_str().unwrap())];
    let setup = run_sce(&repo.root, &["setup", "--codex"], "", &env);
    assert!(setup.status.success(), "{}", String::from_utf8_lossy(&setup.stderr));

    let started = Instant::now();
    let out = run_codex(&repo.root, &home, &codex_home, "Do the scripted work.");
    eprintln!("codex session took {:.2?}", started.elapsed());
    let context = || format!("{}\n--- requests\n{}", describe(&out), server.requests_text());
    assert!(out.status.success(), "codex failed\n{}", context());
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("dangerously-bypass-hook-trust"),
        "hook trust was bypassed\n{}",
        context()
    );
    let session = thread_id(&out).unwrap_or_else(|| panic!("no thread.started event\n{}", context()));
    assert_eq!(repo.read("new.py"), "print('one')\nprint(2)\nprint('THREE')\n", "{}", context());
    assert_eq!(repo.read("person.py"), "def f():\n    return 10\n", "{}", context());
    assert_eq!(repo.read("gen.py"), "x = 1\ny = 2\n", "{}", context());
    let answers: Vec<String> =
        server.requests().iter().filter_map(|r| r["answer"].as_str().map(str::to_string)).collect();
    assert!(answers.iter().any(|a| a == "final"), "{}", context());
    assert!(answers.iter().any(|a| a == "tool:apply_patch"), "{}", context());
    assert!(server.requests().iter().all(|r| r["model"].is_null() || r["model"] == DEFAULT_MODEL), "{}", context());

    // A person, while no tool runs.
    repo.write("new.py", &repo.read("new.py").replace("print('one')", "print('one!')"));
    repo.write("person.py", &(repo.read("person.py") + "# by hand\n"));
    let stderr = repo.commit_all("codex's work");
    assert_eq!(stderr, "", "the hook printed: {stderr}");
    let record = repo.record("HEAD");
    let ai = format!("ai:{session}");
    let mixed = format!("mixed:{session}");
    assert_eq!(line_classes(&record, "new.py", 3), [mixed.as_str(), &ai, &ai], "{record}\n{}", context());
    assert_eq!(line_classes(&record, "person.py", 3), ["-", ai.as_str(), "unknown"], "{record}");
    assert_eq!(line_classes(&record, "gen.py", 2), [ai.as_str(), &ai], "{record}");
    let sessions = record["metadata"]["sce"]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{record}");
    assert_eq!(sessions[0]["model"], format!("openai/{DEFAULT_MODEL}"));
    assert_eq!(sessions[0]["tool"], "codex");
    assert_eq!(sessions[0]["tool_version"], CODEX_VERSION);

    // Uninstall leaves Codex's config as the test wrote it.
    let out = run_sce(&repo.root, &["setup", "--uninstall"], "", &env);
    assert!(out.status.success());
    let config = std::fs::read_to_string(codex_home.join("config.toml")).unwrap();
    assert!(!config.contains("hooks.state"), "{config}");
    assert!(!Path::new(&codex_home.join("hooks.json")).exists());
}

/// The control: the same hooks without sce's trust entries are skipped by Codex
/// (silently), so nothing is recorded; the trust `sce setup --codex` writes is what
/// makes them run.
#[test]
fn without_sce_s_trust_entries_codex_skips_the_hooks() {
    let repo = TestRepo::new();
    repo.write("README.md", "readme\n");
    repo.commit_all("base");
    let scratch = tempfile::Builder::new().prefix("sce-codex-").tempdir().unwrap();
    let home = scratch.path().join("home");
    let codex_home = home.join(".codex");
    std::fs::create_dir_all(&home).unwrap();
    let server = FakeResponses::start(vec![Step::Patch(
        "*** Begin Patch\n*** Add File: new.py\n+print('one')\n*** End Patch".into(),
    )]);
    write_config(&codex_home, &server.base_url(), DEFAULT_MODEL);
    let env = [("HOME", home.to_str().unwrap()), ("CODEX_HOME", codex_home.to_str().unwrap())];
    assert!(run_sce(&repo.root, &["setup", "--codex"], "", &env).status.success());
    let config = std::fs::read_to_string(codex_home.join("config.toml")).unwrap();
    std::fs::write(
        codex_home.join("config.toml"),
        config.replace("trusted_hash = \"sha256:", "trusted_hash = \"sha256:0"),
    )
    .unwrap();
    let doctor = run_sce(&repo.root, &["doctor", "--json"], "", &env);
    let report: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
    let check = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "codex").unwrap().clone();
    assert_eq!(check["status"], "problem", "{check}");

    let out = run_codex(&repo.root, &home, &codex_home, "Do the scripted work.");
    let context = || format!("{}\n--- requests\n{}", describe(&out), server.requests_text());
    assert!(out.status.success(), "codex failed\n{}", context());
    assert_eq!(repo.read("new.py"), "print('one')\n", "{}", context());
    repo.commit_all("untracked work");
    let record = repo.record("HEAD");
    assert_eq!(line_classes(&record, "new.py", 1), ["unknown"], "{record}");
}
