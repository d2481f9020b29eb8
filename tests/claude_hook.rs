//! `sce hooks claude-code` fed the hook payloads of a real Claude Code 2.1.332
//! session (tests/fixtures/claude-2.1.332), through the real binary, a real git
//! repository and the real DB: the tools' effects are replayed on the work tree
//! between PreToolUse and PostToolUse, as Claude makes them.

use std::path::Path;

use crate::common;
use crate::common::{TestRepo, line_classes, run_sce};
use sce::store::{Store, StorePaths};
use serde_json::Value;

const FIXTURES: &str = "tests/fixtures/claude-2.1.332";
const MODEL: &str = "anthropic/claude-sonnet-4-5-20250929";

fn fixture(name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(FIXTURES);
    std::fs::read_to_string(root.join(name)).unwrap()
}

/// A sample payload with its paths moved into `repo` and its transcript at `transcript`.
fn payload(name: &str, repo: &TestRepo, transcript: &Path) -> String {
    common::samples::hook_payload("claude-2.1.332", name, &repo.root, transcript)
}

/// Runs the hook with one event; asserts it stayed out of Claude's way.
fn hook(repo: &TestRepo, event: &str) -> String {
    let out = run_sce(&repo.root, &["hooks", "claude-code"], event, &[]);
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
    std::fs::write(home.path().join("transcript.jsonl"), fixture("transcript.jsonl")).unwrap();
    (repo, home)
}

#[test]
fn a_real_session_s_write_edit_and_bash_are_attributed_line_by_line() {
    let (repo, home) = set_up();
    let transcript = home.path().join("transcript.jsonl");
    for name in [
        "001-SessionStart.json",
        "002-UserPromptSubmit.json",
        "003-PreToolUse.json",
        "004-PostToolUse.json",
        "005-PostToolBatch.json",
        "006-PreToolUse.json",
        "007-PostToolUse.json",
        "008-PostToolBatch.json",
        "009-PreToolUse.json",
        "010-PostToolUse.json",
        "011-PostToolBatch.json",
        "012-MessageDisplay.json",
        "013-Stop.json",
        "014-SessionEnd.json",
    ] {
        // What each tool did, between its PreToolUse and its PostToolUse.
        common::samples::claude_sample_tool_effect(&repo, name);
        assert_eq!(hook(&repo, &payload(name, &repo, &transcript)), "", "{name}");
    }
    // A person's line, written while no tool ran.
    repo.write("hello.py", &(repo.read("hello.py") + "print('by hand')\n"));
    repo.commit_all("claude's work");
    let record = repo.record("HEAD");
    let session = "dff65d53-3e8c-4d31-891f-004a17920fde";
    let ai = format!("ai:{session}");
    assert_eq!(line_classes(&record, "hello.py", 5), vec![ai.as_str(), &ai, &ai, &ai, "unknown"]);
    let sessions = &record["metadata"]["sce"]["sessions"];
    assert_eq!(sessions[0]["model"], MODEL, "{record}");
    assert_eq!(sessions[0]["tool"], "claude-code");
    assert_eq!(sessions[0]["tool_version"], "2.1.332");
    // The prompt and the final answer are stored for the conversation features.
    let paths = StorePaths::in_common_dir(repo.sce_dir().parent().unwrap());
    let store = Store::open(&paths, &Default::default()).unwrap();
    let snapshot = store.snapshot().unwrap().join("\n");
    assert!(snapshot.contains("Create hello.py, edit it, then modify it with the shell."));
    assert!(snapshot.contains("All done: created, edited and shell-modified hello.py."));
    // The session's state files are gone with the session.
    let agents = paths.dir.join("agents/claude-code");
    assert_eq!(std::fs::read_dir(&agents).map(|d| d.count()).unwrap_or(0), 0);
}

#[test]
fn a_bash_call_credits_only_what_changed_during_it() {
    let (repo, home) = set_up();
    let transcript = home.path().join("transcript.jsonl");
    repo.write("notes.txt", "a person's draft\n");
    repo.write("tracked.txt", "one\ntwo\n");
    repo.commit_all("tracked");
    repo.write("notes.txt", "a person's draft, edited before the call\n");
    hook(&repo, &payload("009-PreToolUse.json", &repo, &transcript));
    // The command: edits a tracked file, creates one, deletes one.
    repo.write("tracked.txt", "one\nTWO\n");
    repo.write("made.txt", "made by the command\n");
    std::fs::remove_file(repo.root.join("README.md")).unwrap();
    hook(&repo, &payload("010-PostToolUse.json", &repo, &transcript));
    repo.commit_all("after bash");
    let record = repo.record("HEAD");
    let ai = "ai:dff65d53-3e8c-4d31-891f-004a17920fde";
    assert_eq!(line_classes(&record, "tracked.txt", 2), vec!["-", ai]);
    assert_eq!(line_classes(&record, "made.txt", 1), vec![ai]);
    assert_eq!(line_classes(&record, "notes.txt", 1), vec!["unknown"], "edited before the call, not by it");
}

#[test]
fn it_does_nothing_where_sce_is_not_set_up_and_never_gets_in_the_way() {
    let repo = TestRepo::new();
    let home = tempfile::tempdir().unwrap();
    let transcript = home.path().join("transcript.jsonl");
    assert_eq!(hook(&repo, &payload("004-PostToolUse.json", &repo, &transcript)), "");
    assert!(!repo.sce_dir().exists(), "the hook created sce's directory");
    // Outside any repository.
    let out = run_sce(home.path(), &["hooks", "claude-code"], &fixture("004-PostToolUse.json"), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    // Not a hook payload: one line on stderr, exit 0, nothing on stdout.
    let (repo, _home) = set_up();
    let stderr = hook(&repo, "not json");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not a Claude Code event"), "{stderr}");
}

#[test]
fn setup_claude_merges_into_the_settings_and_uninstall_takes_out_exactly_its_entries() {
    let repo = TestRepo::new();
    let theirs = serde_json::json!({"permissions": {"allow": ["Bash(ls)"]},
        "hooks": {"PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "their-formatter"}]}]}});
    repo.write(".claude/settings.local.json", &theirs.to_string());
    let out = repo.sce(&["setup", "--claude"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let settings: Value = serde_json::from_str(&repo.read(".claude/settings.local.json")).unwrap();
    assert_eq!(settings["permissions"], theirs["permissions"]);
    let post = settings["hooks"]["PostToolUse"].as_array().unwrap();
    assert_eq!(post.len(), 2, "{settings}");
    assert!(post[1]["hooks"][0]["command"].as_str().unwrap().contains("hooks claude-code"));
    for event in
        ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "PostToolUseFailure", "Stop", "SessionEnd"]
    {
        assert!(settings["hooks"][event].is_array(), "{event} missing: {settings}");
    }
    // Git ignores the personal settings file, through .git/info/exclude.
    let status = repo.git_stdout(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(!status.contains("settings.local.json"), "{status}");
    // Again: nothing changes.
    let again = String::from_utf8_lossy(&repo.sce(&["setup", "--claude"], "").stdout).into_owned();
    assert!(again.contains("unchanged") && again.contains("settings.local.json"), "{again}");
    let (_, report) = repo.doctor(&[]);
    let claude = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "claude").unwrap().clone();
    assert_eq!(claude["status"], "ok", "{claude}");
    // Uninstall: the file is as the person left it.
    assert!(repo.sce(&["setup", "--uninstall"], "").status.success());
    let settings: Value = serde_json::from_str(&repo.read(".claude/settings.local.json")).unwrap();
    assert_eq!(settings, theirs);
}

#[test]
fn a_settings_file_sce_created_goes_with_uninstall_and_a_missing_sce_is_a_silent_no_op() {
    let repo = TestRepo::new();
    assert!(repo.sce(&["setup", "--claude"], "").status.success());
    let settings: Value = serde_json::from_str(&repo.read(".claude/settings.local.json")).unwrap();
    let command = settings["hooks"]["PostToolUse"][0]["hooks"][0]["command"].as_str().unwrap().to_string();
    // The command, run by a shell as Claude runs it, with sce gone from where it was.
    let moved = command.replace(common::sce_bin(), "/nonexistent/sce");
    let out = std::process::Command::new("sh").args(["-c", &moved]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    assert!(repo.sce(&["setup", "--uninstall"], "").status.success());
    assert!(!repo.root.join(".claude/settings.local.json").exists());
    assert!(!repo.root.join(".claude").exists());
}

#[test]
fn setup_without_an_agent_flag_names_the_agents_it_finds() {
    let repo = TestRepo::new();
    std::fs::create_dir_all(repo.root.join(".claude")).unwrap();
    let out = repo.sce(&["setup"], "");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("found Claude Code (.claude/ in this repository): run `sce setup --claude`"), "{stderr}");
    assert!(!repo.root.join(".claude/settings.local.json").exists(), "setup installed without being asked");
}

#[test]
fn global_hooks_go_to_the_user_settings_and_doctor_repairs_outdated_ones() {
    let repo = TestRepo::new();
    let home = tempfile::tempdir().unwrap();
    let home_env = [("HOME", home.path().to_str().unwrap())];
    let out = run_sce(&repo.root, &["setup", "--claude", "--global"], "", &home_env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let global = home.path().join(".claude/settings.json");
    let settings: Value = serde_json::from_str(&std::fs::read_to_string(&global).unwrap()).unwrap();
    assert!(settings["hooks"]["PostToolUse"][0]["hooks"][0]["command"].as_str().unwrap().contains("hooks claude-code"));
    assert!(!repo.root.join(".claude").exists(), "--global wrote into the repository");
    // Hooks that run another sce binary: doctor says so and --fix rewrites them.
    let stale = std::fs::read_to_string(&global).unwrap().replace(common::sce_bin(), "/old/place/sce");
    std::fs::write(&global, stale).unwrap();
    let out = run_sce(&repo.root, &["doctor", "--json"], "", &home_env);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let claude = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "claude").unwrap().clone();
    assert_eq!(claude["status"], "problem", "{claude}");
    assert!(run_sce(&repo.root, &["doctor", "--fix"], "", &home_env).status.success());
    let out = run_sce(&repo.root, &["doctor", "--json"], "", &home_env);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let claude = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "claude").unwrap().clone();
    assert_eq!(claude["status"], "ok", "{claude}");
    // Uninstall --global takes them out again.
    assert!(run_sce(&repo.root, &["setup", "--uninstall", "--global"], "", &home_env).status.success());
    let settings = std::fs::read_to_string(&global).unwrap_or_default();
    assert!(!settings.contains("hooks claude-code"), "{settings}");
}

#[test]
fn a_failed_bash_call_s_changes_are_still_recorded() {
    let (repo, home) = set_up();
    let transcript = home.path().join("transcript.jsonl");
    hook(&repo, &payload("009-PreToolUse.json", &repo, &transcript));
    repo.write("half.txt", "written before the command failed\n");
    let failed =
        payload("010-PostToolUse.json", &repo, &transcript).replace("\"PostToolUse\"", "\"PostToolUseFailure\"");
    assert!(failed.contains("PostToolUseFailure"));
    hook(&repo, &failed);
    repo.commit_all("after a failed command");
    let record = repo.record("HEAD");
    assert_eq!(line_classes(&record, "half.txt", 1), vec!["ai:dff65d53-3e8c-4d31-891f-004a17920fde"]);
}

#[test]
fn setup_all_installs_for_every_agent_it_detects_and_only_those() {
    let repo = TestRepo::new();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.root.join(".claude")).unwrap();
    std::fs::create_dir_all(repo.root.join(".pi")).unwrap();
    let env = [("HOME", home.path().to_str().unwrap()), ("PATH", "/usr/bin:/bin")];
    let out = run_sce(&repo.root, &["setup", "--all"], "", &env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(repo.root.join(".claude/settings.local.json").exists());
    assert!(repo.root.join(".pi/extensions/sce-agent-trace.ts").exists());
    assert!(!repo.root.join(".opencode").exists(), "installed for an agent it did not detect");
    assert!(!home.path().join(".codex").exists() && !home.path().join(".cursor").exists());
}
