//! `sce hooks gemini` fed the hook payloads of a real Gemini CLI 0.61.0 session
//! (tests/fixtures/gemini-0.61.0), through the real binary, a real git repository and
//! the real DB: the tools' effects are replayed on the work tree between BeforeTool
//! and AfterTool, as Gemini makes them.

use std::path::Path;

use crate::common;
use crate::common::{TestRepo, line_classes, run_sce};
use sce::store::{Store, StorePaths};
use serde_json::Value;

const FIXTURES: &str = "tests/fixtures/gemini-0.61.0";
const SESSION: &str = "6fcb748c-8ea0-4edc-9516-573a8e080442";
const MODEL: &str = "google/gemini-2.5-pro";

fn fixture(name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(FIXTURES);
    std::fs::read_to_string(root.join(name)).unwrap()
}

/// A sample payload with its paths moved into `repo` and its transcript at `transcript`.
fn payload(name: &str, repo: &TestRepo, transcript: &Path) -> String {
    let mut event: Value = serde_json::from_str(&fixture(name)).unwrap();
    event["transcript_path"] = Value::String(transcript.to_string_lossy().into_owned());
    event.to_string().replace("/home/user/proj", repo.root.to_str().unwrap())
}

/// Runs the hook with one event; asserts it stayed out of Gemini's way (exit 0,
/// nothing on stdout: Gemini would read it as the hook's decision).
fn hook(repo: &TestRepo, event: &str) -> String {
    let out = run_sce(&repo.root, &["hooks", "gemini"], event, &[]);
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

fn all_events() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(FIXTURES);
    let mut names: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.ends_with(".env.json"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_real_session_s_write_replace_and_shell_are_attributed_line_by_line() {
    let (repo, home) = set_up();
    let transcript = home.path().join("transcript.jsonl");
    let names = all_events();
    assert_eq!(names.len(), 26);
    for name in &names {
        // What each tool did, between its BeforeTool and its AfterTool.
        match name.as_str() {
            "008-AfterTool.json" => repo.write("hello.py", "print('hello')\nprint('world')\nprint('three')\n"),
            "014-AfterTool.json" => {
                repo.write("hello.py", &repo.read("hello.py").replace("print('world')", "print('edited world')"))
            }
            "020-AfterTool.json" => repo
                .write("hello.py", &(repo.read("hello.py").replace("three", "THREE") + "print('appended by shell')\n")),
            _ => {}
        }
        assert_eq!(hook(&repo, &payload(name, &repo, &transcript)), "", "{name}");
    }
    // A person's line, written while no tool ran.
    repo.write("hello.py", &(repo.read("hello.py") + "print('by hand')\n"));
    repo.commit_all("gemini's work");
    let record = repo.record("HEAD");
    let ai = format!("ai:{SESSION}");
    assert_eq!(line_classes(&record, "hello.py", 5), vec![ai.as_str(), &ai, &ai, &ai, "unknown"]);
    let sessions = &record["metadata"]["sce"]["sessions"];
    assert_eq!(sessions[0]["model"], MODEL, "{record}");
    assert_eq!(sessions[0]["tool"], "gemini-cli");
    // The prompt and the final answer are stored for the conversation features.
    let paths = StorePaths::in_common_dir(repo.sce_dir().parent().unwrap());
    let store = Store::open(&paths, &Default::default()).unwrap();
    let snapshot = store.snapshot().unwrap().join("\n");
    assert!(snapshot.contains("Create hello.py, edit it, then modify it with the shell."));
    assert!(snapshot.contains("All done: created, edited and shell-modified hello.py."));
    // The session's state files are gone with the session.
    let agents = paths.dir.join("agents/gemini-cli");
    assert_eq!(std::fs::read_dir(&agents).map(|d| d.count()).unwrap_or(0), 0);
}

#[test]
fn the_model_comes_from_before_model_when_there_is_no_transcript() {
    let (repo, _home) = set_up();
    let nowhere = repo.root.join("no-such-transcript.jsonl");
    let before_model = payload("004-BeforeModel.json", &repo, &nowhere).replace("gemini-2.5-pro", "gemini-9-ultra");
    hook(&repo, &before_model);
    repo.write("hello.py", "print('hello')\nprint('world')\nprint('three')\n");
    hook(&repo, &payload("008-AfterTool.json", &repo, &nowhere));
    repo.commit_all("one write");
    let record = repo.record("HEAD");
    assert_eq!(record["metadata"]["sce"]["sessions"][0]["model"], "google/gemini-9-ultra", "{record}");
}

#[test]
fn shell_calls_pair_in_order_and_credit_only_what_changed_during_each() {
    let (repo, home) = set_up();
    let transcript = home.path().join("transcript.jsonl");
    repo.write("notes.txt", "a person's draft\n");
    repo.write("tracked.txt", "one\ntwo\n");
    repo.commit_all("tracked");
    repo.write("notes.txt", "a person's draft, edited before the call\n");
    let before = payload("019-BeforeTool.json", &repo, &transcript);
    let after = payload("020-AfterTool.json", &repo, &transcript);
    // First call: edits a tracked file, creates one, deletes one.
    hook(&repo, &before);
    repo.write("tracked.txt", "one\nTWO\n");
    repo.write("made.txt", "made by the command\n");
    std::fs::remove_file(repo.root.join("README.md")).unwrap();
    hook(&repo, &after);
    // Between the calls, a person edits.
    repo.write("person.txt", "typed by a person\n");
    // Second call (no call id: paired with its own BeforeTool, not the first one's).
    hook(&repo, &before);
    repo.write("second.txt", "made by the second command\n");
    hook(&repo, &after);
    // An AfterTool with no BeforeTool left: nothing to compare, nothing credited.
    repo.write("late.txt", "after every call\n");
    hook(&repo, &after);
    repo.commit_all("after the shell");
    let record = repo.record("HEAD");
    let ai = format!("ai:{SESSION}");
    assert_eq!(line_classes(&record, "tracked.txt", 2), vec!["-", ai.as_str()]);
    assert_eq!(line_classes(&record, "made.txt", 1), vec![ai.as_str()]);
    assert_eq!(line_classes(&record, "second.txt", 1), vec![ai.as_str()]);
    assert_eq!(line_classes(&record, "notes.txt", 1), vec!["unknown"], "edited before the call, not by it");
    assert_eq!(line_classes(&record, "person.txt", 1), vec!["unknown"], "written between the calls");
    assert_eq!(line_classes(&record, "late.txt", 1), vec!["unknown"]);
}

#[test]
fn it_does_nothing_where_sce_is_not_set_up_and_never_gets_in_the_way() {
    let repo = TestRepo::new();
    let home = tempfile::tempdir().unwrap();
    let transcript = home.path().join("transcript.jsonl");
    assert_eq!(hook(&repo, &payload("008-AfterTool.json", &repo, &transcript)), "");
    assert!(!repo.sce_dir().exists(), "the hook created sce's directory");
    // Outside any repository.
    let out = run_sce(home.path(), &["hooks", "gemini"], &fixture("008-AfterTool.json"), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    // Not a hook payload: one line on stderr (not JSON: Gemini shows it, allows the call), exit 0.
    let (repo, _home) = set_up();
    let stderr = hook(&repo, "not json");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not a Gemini CLI event"), "{stderr}");
    assert!(serde_json::from_str::<Value>(&stderr).is_err());
}

#[test]
fn setup_gemini_merges_into_the_settings_and_uninstall_takes_out_exactly_its_entries() {
    let repo = TestRepo::new();
    let home = tempfile::tempdir().unwrap();
    let home_env = [("HOME", home.path().to_str().unwrap())];
    let theirs = serde_json::json!({"general": {"vimMode": true},
        "hooks": {"AfterTool": [{"matcher": "write_file", "hooks": [{"type": "command", "command": "their-formatter"}]}]}});
    repo.write(".gemini/settings.json", &theirs.to_string());
    let out = run_sce(&repo.root, &["setup", "--gemini"], "", &home_env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The folder is not trusted: setup says so, and records no trust itself.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("only once the folder is trusted"), "{stderr}");
    assert!(!home.path().join(".gemini/trustedFolders.json").exists());
    let settings: Value = serde_json::from_str(&repo.read(".gemini/settings.json")).unwrap();
    assert_eq!(settings["general"], theirs["general"]);
    let after = settings["hooks"]["AfterTool"].as_array().unwrap();
    assert_eq!(after.len(), 2, "{settings}");
    assert!(after[1]["hooks"][0]["command"].as_str().unwrap().contains("hooks gemini"));
    for event in ["SessionStart", "BeforeAgent", "BeforeTool", "AfterTool", "AfterAgent", "SessionEnd"] {
        assert!(settings["hooks"][event].is_array(), "{event} missing: {settings}");
    }
    assert!(settings["hooks"]["BeforeModel"].is_null(), "BeforeModel carries the whole conversation");
    // Again: nothing changes.
    let again = run_sce(&repo.root, &["setup", "--gemini"], "", &home_env);
    let again = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(again.contains("unchanged") && again.contains(".gemini/settings.json"), "{again}");
    // Doctor: installed, but not trusted yet; then trusted (as Gemini records it).
    let doctor = |env: &[(&str, &str)]| {
        let out = run_sce(&repo.root, &["doctor", "--json"], "", env);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "gemini").unwrap().clone()
    };
    let gemini = doctor(&home_env);
    assert_eq!(gemini["status"], "info", "{gemini}");
    assert!(gemini["detail"].as_str().unwrap().contains("trusted"), "{gemini}");
    let trusted = serde_json::json!({repo.root.to_str().unwrap(): "TRUST_FOLDER"});
    std::fs::create_dir_all(home.path().join(".gemini")).unwrap();
    std::fs::write(home.path().join(".gemini/trustedFolders.json"), trusted.to_string()).unwrap();
    assert_eq!(doctor(&home_env)["status"], "ok");
    // Uninstall: the file is as the person left it.
    assert!(run_sce(&repo.root, &["setup", "--uninstall"], "", &home_env).status.success());
    let settings: Value = serde_json::from_str(&repo.read(".gemini/settings.json")).unwrap();
    assert_eq!(settings, theirs);
}

#[test]
fn global_hooks_go_to_the_user_settings_and_doctor_repairs_outdated_ones() {
    let repo = TestRepo::new();
    let home = tempfile::tempdir().unwrap();
    let home_env = [("HOME", home.path().to_str().unwrap())];
    let out = run_sce(&repo.root, &["setup", "--gemini", "--global"], "", &home_env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let global = home.path().join(".gemini/settings.json");
    let settings: Value = serde_json::from_str(&std::fs::read_to_string(&global).unwrap()).unwrap();
    assert!(settings["hooks"]["AfterTool"][0]["hooks"][0]["command"].as_str().unwrap().contains("hooks gemini"));
    assert!(!repo.root.join(".gemini").exists(), "--global wrote into the repository");
    // The command, run by a shell as Gemini runs it, with sce gone: a silent no-op.
    let command = settings["hooks"]["AfterTool"][0]["hooks"][0]["command"].as_str().unwrap();
    let moved = command.replace(common::sce_bin(), "/nonexistent/sce");
    let out = std::process::Command::new("sh").args(["-c", &moved]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    // Hooks that run another sce binary: doctor says so and --fix rewrites them.
    let stale = std::fs::read_to_string(&global).unwrap().replace(common::sce_bin(), "/old/place/sce");
    std::fs::write(&global, stale).unwrap();
    let check = || {
        let out = run_sce(&repo.root, &["doctor", "--json"], "", &home_env);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "gemini").unwrap().clone()
    };
    assert_eq!(check()["status"], "problem");
    assert!(run_sce(&repo.root, &["doctor", "--fix"], "", &home_env).status.success());
    assert_eq!(check()["status"], "ok");
    // Uninstall --global takes them out, and the file sce created with them.
    assert!(run_sce(&repo.root, &["setup", "--uninstall", "--global"], "", &home_env).status.success());
    assert!(!global.exists(), "{}", std::fs::read_to_string(&global).unwrap_or_default());
}

#[test]
fn a_failed_replace_credits_nothing() {
    let (repo, home) = set_up();
    let transcript = home.path().join("transcript.jsonl");
    // A person's file; the replace fails (its old_string is not there).
    repo.write("hello.py", "print('hello')\nprint('typed by a person')\n");
    let mut failed: Value = serde_json::from_str(&payload("014-AfterTool.json", &repo, &transcript)).unwrap();
    failed["tool_response"] = serde_json::json!({"llmContent": "Failed to edit, 0 occurrences found",
        "returnDisplay": "Error: Failed to edit, could not find the string to replace.", "error": {"message": "no match"}});
    hook(&repo, &payload("013-BeforeTool.json", &repo, &transcript));
    hook(&repo, &failed.to_string());
    repo.commit_all("a person's work");
    let record = repo.record("HEAD");
    assert_eq!(line_classes(&record, "hello.py", 2), vec!["unknown", "unknown"], "{record}");
}

#[test]
fn a_call_interrupted_before_a_session_restarts_is_not_paired_with_a_later_one() {
    let (repo, home) = set_up();
    let transcript = home.path().join("transcript.jsonl");
    hook(&repo, &payload("019-BeforeTool.json", &repo, &transcript));
    // Gemini was killed during the call; the person edits; the session is resumed.
    repo.write("person.txt", "typed by a person\n");
    hook(&repo, &payload("001-SessionStart.json", &repo, &transcript).replace("startup", "resume"));
    hook(&repo, &payload("020-AfterTool.json", &repo, &transcript));
    repo.commit_all("a person's work");
    let record = repo.record("HEAD");
    assert_eq!(line_classes(&record, "person.txt", 1), vec!["unknown"], "{record}");
}
