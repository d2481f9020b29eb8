//! `sce hooks cursor` fed events shaped exactly as Cursor documents its hooks
//! (`.cursor/hooks.json` version 1), through the real binary, a real git repository
//! and the real DB. No Cursor binary runs here: this adapter is not yet proven by a
//! real Cursor.

use crate::common;
use crate::common::{TestRepo, line_classes, run_sce};
use serde_json::{Value, json};

/// Runs the hook; returns (stdout, stderr) and asserts it exited 0.
fn hook(repo: &TestRepo, event: &Value) -> (String, String) {
    let out = run_sce(&repo.root, &["hooks", "cursor"], &event.to_string(), &[]);
    assert_eq!(out.status.code(), Some(0));
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_cursor_session_s_edits_and_shell_changes_are_attributed() {
    let repo = TestRepo::with_hook();
    assert!(repo.sce(&["setup"], "").status.success());
    repo.write("main.ts", "const foo = 1;\nconst bar = 2;\n");
    repo.commit_all("base");
    let root = repo.root.to_str().unwrap().to_string();
    let common = json!({"conversation_id": "conv-123", "generation_id": "gen-456", "workspace_roots": [root],
                        "model": "gpt-5", "cursor_version": "2.0.77", "user_email": "dev@example.com"});
    let event = |name: &str, extra: Value| {
        let mut e = common.clone();
        e["hook_event_name"] = json!(name);
        for (k, v) in extra.as_object().unwrap() {
            e[k] = v.clone();
        }
        e
    };
    let (out, err) = hook(&repo, &event("beforeSubmitPrompt", json!({"prompt": "Bump foo", "attachments": []})));
    assert_eq!((out.trim(), err.as_str()), ("{\"continue\":true}", ""));
    // The agent's edit is on disk when afterFileEdit fires.
    repo.write("main.ts", "const foo = 2;\nconst bar = 2;\n");
    let edit = json!({"file_path": format!("{root}/main.ts"),
                      "edits": [{"old_string": "const foo = 1", "new_string": "const foo = 2"}]});
    let (out, err) = hook(&repo, &event("afterFileEdit", edit));
    assert_eq!((out.trim(), err.as_str()), ("{}", ""));
    let shell = json!({"command": "echo 'export {}' >> main.ts", "cwd": root});
    hook(&repo, &event("beforeShellExecution", shell.clone()));
    repo.write("main.ts", &(repo.read("main.ts") + "export {}\n"));
    let mut after = shell;
    after["output"] = json!("");
    after["duration"] = json!(12);
    hook(&repo, &event("afterShellExecution", after));
    hook(&repo, &event("afterAgentResponse", json!({"text": "Bumped foo."})));
    hook(&repo, &event("stop", json!({"status": "completed", "loop_count": 1})));
    repo.write("main.ts", &(repo.read("main.ts") + "// by hand\n"));
    repo.commit_all("cursor's work");
    let record = repo.record("HEAD");
    assert_eq!(line_classes(&record, "main.ts", 4), ["ai:conv-123", "-", "ai:conv-123", "unknown"], "{record}");
    let session = &record["metadata"]["sce"]["sessions"][0];
    assert_eq!(session["model"], "openai/gpt-5");
    assert_eq!(session["tool"], "cursor");
    assert_eq!(session["tool_version"], "2.0.77");
    // stats groups the lines by the agent tool that wrote them.
    let out = repo.sce(&["stats", "HEAD~1..HEAD", "--by", "tool", "--json"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["stats"]["groups"]["cursor"]["ai"], 2, "{stats}");
    assert_eq!(stats["stats"]["groups"]["-"]["unknown"], 1, "{stats}");
}

#[test]
fn setup_cursor_merges_into_the_user_hooks_and_a_missing_sce_still_answers() {
    let repo = TestRepo::new();
    let home = tempfile::tempdir().unwrap();
    let env = [("HOME", home.path().to_str().unwrap())];
    let file = home.path().join(".cursor/hooks.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let theirs = json!({"version": 1, "hooks": {"afterFileEdit": [{"command": "./format.sh"}]}});
    std::fs::write(&file, theirs.to_string()).unwrap();
    assert!(run_sce(&repo.root, &["setup", "--cursor"], "", &env).status.success());
    let hooks: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(hooks["hooks"]["afterFileEdit"].as_array().unwrap().len(), 2, "{hooks}");
    assert_eq!(hooks["hooks"]["stop"].as_array().unwrap().len(), 1, "{hooks}");
    let out = run_sce(&repo.root, &["setup", "--cursor"], "", &env);
    assert!(String::from_utf8_lossy(&out.stdout).contains("unchanged"), "{out:?}");
    // With sce gone, the command still gives Cursor its answer.
    let command = hooks["hooks"]["stop"][0]["command"].as_str().unwrap().replace(common::sce_bin(), "/gone/sce");
    let out = std::process::Command::new("sh").args(["-c", &command]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "{}");
    // Uninstall with --global: the file as it was.
    assert!(run_sce(&repo.root, &["setup", "--uninstall", "--global"], "", &env).status.success());
    let hooks: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(hooks, theirs);
}
