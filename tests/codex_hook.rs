//! `sce hooks codex` fed the hook payloads of a real Codex CLI 0.171.0 session
//! (tests/fixtures/codex-0.171.0), through the real binary, a real git repository
//! and the real DB: the tools' effects are replayed on the work tree between
//! PreToolUse and PostToolUse, as Codex makes them. Also `sce setup --codex`:
//! the hooks in `$CODEX_HOME/hooks.json` and their trust in `config.toml`.

use std::path::Path;

use crate::common;
use crate::common::{TestRepo, line_classes, run_sce};
use sce::store::{Store, StorePaths};
use serde_json::{Value, json};

const FIXTURES: &str = "tests/fixtures/codex-0.171.0";
const SESSION: &str = "01a22a2a-9b10-7313-9e49-8c27690e4f6c";

fn fixture(name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(FIXTURES);
    std::fs::read_to_string(root.join(name)).unwrap()
}

/// A sample payload with its paths moved into `repo` and its rollout at `transcript`.
fn payload(name: &str, repo: &TestRepo, transcript: &Path) -> Value {
    let mut event: Value = serde_json::from_str(&fixture(name)).unwrap();
    if event.get("transcript_path").is_some() {
        event["transcript_path"] = Value::String(transcript.to_string_lossy().into_owned());
    }
    serde_json::from_str(&event.to_string().replace("/home/user/proj", repo.root.to_str().unwrap())).unwrap()
}

/// Runs the hook with one event; asserts it stayed out of Codex's way; returns stderr.
fn hook(repo: &TestRepo, event: &str) -> String {
    let out = run_sce(&repo.root, &["hooks", "codex"], event, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "the hook printed on stdout: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn set_up() -> (TestRepo, tempfile::TempDir) {
    let repo = TestRepo::with_hook();
    assert!(repo.sce(&["setup"], "").status.success());
    repo.write("README.md", "readme\n");
    repo.commit_all("base");
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("rollout.jsonl"), fixture("rollout-session_meta.jsonl")).unwrap();
    (repo, home)
}

#[test]
fn a_real_session_s_patches_and_shell_command_are_attributed_line_by_line() {
    let (repo, home) = set_up();
    let transcript = home.path().join("rollout.jsonl");
    for name in [
        "001-SessionStart.json",
        "002-UserPromptSubmit.json",
        "003-PreModelRequest.json",
        "004-PostModelRequest.json",
        "005-PreToolUse.json",
        "006-PostToolUse.json",
        "009-PreToolUse.json",
        "010-PostToolUse.json",
        "013-PreToolUse.json",
        "014-PostToolUse.json",
        "017-Stop.json",
        "019-SessionEnd.json",
    ] {
        // What each tool did, between its PreToolUse and its PostToolUse.
        match name {
            "006-PostToolUse.json" => repo.write("hello.py", "print('hello')\nprint('world')\nprint('three')\n"),
            "010-PostToolUse.json" => {
                repo.write("hello.py", &repo.read("hello.py").replace("print('world')", "print('edited world')"))
            }
            "014-PostToolUse.json" => repo
                .write("hello.py", &(repo.read("hello.py").replace("three", "THREE") + "print('appended by shell')\n")),
            _ => {}
        }
        assert_eq!(hook(&repo, &payload(name, &repo, &transcript).to_string()), "", "{name}");
    }
    // A person's line, written while no tool ran.
    repo.write("hello.py", &(repo.read("hello.py") + "print('by hand')\n"));
    repo.commit_all("codex's work");
    let record = repo.record("HEAD");
    let ai = format!("ai:{SESSION}");
    assert_eq!(line_classes(&record, "hello.py", 5), vec![ai.as_str(), &ai, &ai, &ai, "unknown"], "{record}");
    let sessions = &record["metadata"]["sce"]["sessions"];
    assert_eq!(sessions[0]["model"], "openai/gpt-5.5", "{record}");
    assert_eq!(sessions[0]["tool"], "codex");
    assert_eq!(sessions[0]["tool_version"], "0.171.0");
    // The prompt and the final answer are stored for the conversation features.
    let paths = StorePaths::in_common_dir(repo.sce_dir().parent().unwrap());
    let store = Store::open(&paths, &Default::default()).unwrap();
    let snapshot = store.snapshot().unwrap().join("\n");
    assert!(snapshot.contains("Create hello.py, edit it, then modify it with the shell."));
    assert!(snapshot.contains("All done: created, edited and shell-modified hello.py."));
    // The session's state files are gone with the session.
    let agents = paths.dir.join("agents/codex");
    assert_eq!(std::fs::read_dir(&agents).map(|d| d.count()).unwrap_or(0), 0);
}

/// A PreToolUse/PostToolUse pair for an apply_patch call with `patch`.
fn patch_events(repo: &TestRepo, transcript: &Path, call: &str, patch: &str) -> (String, String) {
    let mut pre = payload("009-PreToolUse.json", repo, transcript);
    let mut post = payload("010-PostToolUse.json", repo, transcript);
    for event in [&mut pre, &mut post] {
        event["tool_input"] = json!({"command": patch});
        event["tool_use_id"] = json!(call);
    }
    (pre.to_string(), post.to_string())
}

#[test]
fn a_patch_that_updates_a_person_s_file_deletes_one_and_moves_one_is_exact() {
    let (repo, home) = set_up();
    let transcript = home.path().join("rollout.jsonl");
    repo.write("person.py", "def f():\n    x = 1\n    return x\n");
    repo.write("gone.txt", "to be deleted\n");
    repo.write("old_name.py", "a = 1\nb = 2\n");
    repo.commit_all("a person's files");
    let patch = "*** Begin Patch\n*** Update File: person.py\n@@ def f():\n     x = 1\n-    return x\n+    return x * 10\n\
                 *** Delete File: gone.txt\n*** Update File: old_name.py\n*** Move to: src/new_name.py\n@@\n a = 1\n-b = 2\n+b = 20\n\
                 *** End Patch";
    let (pre, post) = patch_events(&repo, &transcript, "call_multi", patch);
    hook(&repo, &pre);
    // What Codex's apply_patch does.
    repo.write("person.py", "def f():\n    x = 1\n    return x * 10\n");
    std::fs::remove_file(repo.root.join("gone.txt")).unwrap();
    std::fs::remove_file(repo.root.join("old_name.py")).unwrap();
    repo.write("src/new_name.py", "a = 1\nb = 20\n");
    assert_eq!(hook(&repo, &post), "");
    repo.commit_all("the patch");
    let record = repo.record("HEAD");
    let ai = format!("ai:{SESSION}");
    assert_eq!(line_classes(&record, "person.py", 3), vec!["-", "-", ai.as_str()], "{record}");
    assert_eq!(line_classes(&record, "src/new_name.py", 2), vec![ai.as_str(), &ai], "{record}");
}

#[test]
fn a_patch_without_its_pre_tool_use_gets_its_before_by_undoing_the_hunks() {
    let (repo, home) = set_up();
    let transcript = home.path().join("rollout.jsonl");
    repo.write("hello.py", "print('hello')\nprint('world')\nprint('three')\n");
    repo.commit_all("hello");
    repo.write("hello.py", "print('hello')\nprint('edited world')\nprint('three')\n");
    // Only the PostToolUse: the PreToolUse hook did not run (installed mid-call, say).
    hook(&repo, &payload("010-PostToolUse.json", &repo, &transcript).to_string());
    repo.commit_all("edited");
    let record = repo.record("HEAD");
    assert_eq!(line_classes(&record, "hello.py", 3), vec!["-", &format!("ai:{SESSION}"), "-"], "{record}");
    // A patch whose hunks are not in the file (it failed): nothing is credited.
    repo.write("hello.py", &(repo.read("hello.py") + "print('by hand')\n"));
    let failed = "*** Begin Patch\n*** Update File: hello.py\n@@\n-print('zzz')\n+print('yyy')\n*** End Patch";
    let (_, post) = patch_events(&repo, &transcript, "call_failed", failed);
    assert_eq!(hook(&repo, &post), "");
    repo.commit_all("by hand");
    let record = repo.record("HEAD");
    assert_eq!(line_classes(&record, "hello.py", 4), vec!["-", "-", "-", "unknown"], "{record}");
}

#[test]
fn a_shell_call_credits_only_what_changed_during_it() {
    let (repo, home) = set_up();
    let transcript = home.path().join("rollout.jsonl");
    repo.write("notes.txt", "a person's draft\n");
    repo.write("tracked.txt", "one\ntwo\n");
    repo.commit_all("tracked");
    repo.write("notes.txt", "a person's draft, edited before the call\n");
    hook(&repo, &payload("013-PreToolUse.json", &repo, &transcript).to_string());
    repo.write("tracked.txt", "one\nTWO\n");
    repo.write("made.txt", "made by the command\n");
    hook(&repo, &payload("014-PostToolUse.json", &repo, &transcript).to_string());
    repo.commit_all("after the shell");
    let record = repo.record("HEAD");
    let ai = format!("ai:{SESSION}");
    assert_eq!(line_classes(&record, "tracked.txt", 2), vec!["-", ai.as_str()]);
    assert_eq!(line_classes(&record, "made.txt", 1), vec![ai.as_str()]);
    assert_eq!(line_classes(&record, "notes.txt", 1), vec!["unknown"], "edited before the call, not by it");
}

#[test]
fn it_does_nothing_where_sce_is_not_set_up_and_never_gets_in_the_way() {
    let repo = TestRepo::new();
    let home = tempfile::tempdir().unwrap();
    let transcript = home.path().join("rollout.jsonl");
    assert_eq!(hook(&repo, &payload("006-PostToolUse.json", &repo, &transcript).to_string()), "");
    assert!(!repo.sce_dir().exists(), "the hook created sce's directory");
    let out = run_sce(home.path(), &["hooks", "codex"], &fixture("006-PostToolUse.json"), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    // Not a hook payload: one line on stderr, exit 0, nothing on stdout.
    let (repo, _home) = set_up();
    let stderr = hook(&repo, "not json");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not a Codex event"), "{stderr}");
    // A patch sce cannot read: nothing recorded, nothing said.
    let (pre, post) = patch_events(&repo, &home.path().join("rollout.jsonl"), "call_bad", "*** Frobnicate");
    assert_eq!(hook(&repo, &pre), "");
    assert_eq!(hook(&repo, &post), "");
}

fn codex_check(report: &Value) -> Value {
    report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "codex").unwrap().clone()
}

#[test]
fn setup_codex_installs_and_trusts_its_hooks_and_uninstall_takes_out_exactly_them() {
    let repo = TestRepo::new();
    let home = tempfile::tempdir().unwrap();
    let codex_home = home.path().join("codex home");
    std::fs::create_dir_all(&codex_home).unwrap();
    let theirs = json!({"hooks": {"PostToolUse": [{"matcher": "apply_patch",
        "hooks": [{"type": "command", "command": "their-formatter"}]}]}});
    std::fs::write(codex_home.join("hooks.json"), theirs.to_string()).unwrap();
    let config = "model = \"gpt-5.5\"\n\n[features]\nhooks = true\n";
    std::fs::write(codex_home.join("config.toml"), config).unwrap();
    let env = [("HOME", home.path().to_str().unwrap()), ("CODEX_HOME", codex_home.to_str().unwrap())];

    let out = run_sce(&repo.root, &["setup", "--codex"], "", &env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hooks: Value = serde_json::from_str(&std::fs::read_to_string(codex_home.join("hooks.json")).unwrap()).unwrap();
    let post = hooks["hooks"]["PostToolUse"].as_array().unwrap();
    assert_eq!(post.len(), 2, "{hooks}");
    assert_eq!(post[0], theirs["hooks"]["PostToolUse"][0]);
    for event in ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop", "SessionEnd"] {
        let groups = hooks["hooks"][event].as_array().unwrap_or_else(|| panic!("{event} missing: {hooks}"));
        assert!(groups.last().unwrap()["hooks"][0]["command"].as_str().unwrap().contains("hooks codex"));
    }
    // Trust, keyed by hooks.json, event, group and handler.
    let written = std::fs::read_to_string(codex_home.join("config.toml")).unwrap();
    assert!(written.starts_with(config), "{written}");
    let key = format!("[hooks.state.\"{}:post_tool_use:1:0\"]", codex_home.join("hooks.json").display());
    assert!(written.contains(&key), "{written}");
    assert_eq!(written.matches("trusted_hash = \"sha256:").count(), 6, "{written}");
    // Nothing in the repository.
    assert_eq!(repo.git_stdout(&["status", "--porcelain", "--untracked-files=all"]), "");
    // Again: nothing changes.
    let again = run_sce(&repo.root, &["setup", "--codex"], "", &env);
    let again = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(again.contains("unchanged") && again.contains("hooks.json"), "{again}");

    let doctor = |args: &[&str]| {
        let mut all = vec!["doctor", "--json"];
        all.extend_from_slice(args);
        serde_json::from_slice::<Value>(&run_sce(&repo.root, &all, "", &env).stdout).unwrap()
    };
    assert_eq!(codex_check(&doctor(&[]))["status"], "ok", "{}", doctor(&[]));
    // Trust lost (Codex would skip the hooks): doctor says so and --fix restores it.
    let untrusted = std::fs::read_to_string(codex_home.join("config.toml")).unwrap().replace("sha256:", "sha256:00");
    std::fs::write(codex_home.join("config.toml"), untrusted).unwrap();
    assert_eq!(codex_check(&doctor(&[]))["status"], "problem");
    assert!(run_sce(&repo.root, &["doctor", "--fix"], "", &env).status.success());
    assert_eq!(codex_check(&doctor(&[]))["status"], "ok");

    // Uninstall: both files as the person left them.
    let out = run_sce(&repo.root, &["setup", "--uninstall"], "", &env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hooks: Value = serde_json::from_str(&std::fs::read_to_string(codex_home.join("hooks.json")).unwrap()).unwrap();
    assert_eq!(hooks, theirs);
    assert_eq!(std::fs::read_to_string(codex_home.join("config.toml")).unwrap(), config);
}

#[test]
fn codex_home_defaults_to_dot_codex_and_files_sce_created_go_with_uninstall() {
    let repo = TestRepo::new();
    let home = tempfile::tempdir().unwrap();
    let env = [("HOME", home.path().to_str().unwrap())];
    let out = run_sce(&repo.root, &["setup", "--codex"], "", &env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let codex = home.path().join(".codex");
    assert!(codex.join("hooks.json").is_file() && codex.join("config.toml").is_file());
    // The command, run by a shell as Codex runs it, with sce gone from where it was.
    let hooks: Value = serde_json::from_str(&std::fs::read_to_string(codex.join("hooks.json")).unwrap()).unwrap();
    let command = hooks["hooks"]["PostToolUse"][0]["hooks"][0]["command"].as_str().unwrap();
    let moved = command.replace(common::sce_bin(), "/nonexistent/sce");
    let out = std::process::Command::new("sh").args(["-c", &moved]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    assert!(run_sce(&repo.root, &["setup", "--uninstall"], "", &env).status.success());
    assert!(!codex.join("hooks.json").exists() && !codex.join("config.toml").exists());
}
