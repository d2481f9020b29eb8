//! Attribution scenarios: real `git commit` with the post-commit hook, real DB,
//! records read back through `sce trace show --json` and asserted line by line.

use crate::common::{Agent, TestRepo, counts, line_classes};
use serde_json::{Value, json};

const MODEL_A: &str = "anthropic/claude-sonnet-4-5";
const MODEL_B: &str = "openai/gpt-5.1-codex";

fn validate(record: &Value) {
    let schema: Value = serde_json::from_str(include_str!("../cli/src/record/agent-trace-record.schema.json")).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(record).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "record invalid: {errors:?}\n{record}");
}

/// Commits everything and returns the validated record of HEAD.
fn commit(repo: &TestRepo, msg: &str) -> Value {
    let stderr = repo.commit_all(msg);
    assert!(stderr.is_empty(), "the hook printed: {stderr}");
    let record = repo.record("HEAD");
    validate(&record);
    assert_eq!(record["vcs"]["revision"], repo.head());
    record
}

fn classes(record: &Value, repo: &TestRepo, path: &str) -> Vec<String> {
    line_classes(record, path, repo.read(path).lines().count())
}

fn v(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn rule2_agent_created_file_is_all_ai_and_the_record_is_complete() {
    let repo = TestRepo::with_hook();
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.write("src/hello.py", "def hello():\n    return 'hi'\n\n\nprint(hello())\n");
    let record = commit(&repo, "agent file");
    assert_eq!(classes(&record, &repo, "src/hello.py"), vec!["ai:ses_A"; 5]);
    assert_eq!(record["version"], "0.1.0");
    assert_eq!(record["tool"], json!({"name": "opencode", "version": "1.18.33"}));
    let conversation = &record["files"][0]["conversations"][0];
    assert_eq!(conversation["url"], "urn:sce:session:ses_A");
    assert_eq!(conversation["contributor"], json!({"type": "ai", "model_id": MODEL_A}));
    assert!(conversation["ranges"][0]["content_hash"].as_str().unwrap().starts_with("murmur3:"));
    let meta = &record["metadata"]["sce"];
    assert_eq!(meta["sessions"][0]["id"], "ses_A");
    assert_eq!(meta["sessions"][0]["model"], MODEL_A);
    assert_eq!(meta["git"]["branch"], "main");
    assert_eq!(counts(&record), (5, 0, 0, 0));
    // The same record travels as a git note.
    let note = repo.git_stdout(&["notes", "--ref", "agent-trace", "show", "HEAD"]);
    assert_eq!(serde_json::from_str::<Value>(&note).unwrap(), record);
}

#[test]
fn rule2_agent_edit_of_a_human_file_credits_only_its_lines() {
    let repo = TestRepo::with_hook();
    repo.write("README.md", "# Title\nline one\nline two\nline three\n");
    let first = commit(&repo, "human");
    assert_eq!(counts(&first), (0, 0, 4, 0));
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.edit("README.md", "line two\n", "line two, edited\nline two and a half\n");
    let record = commit(&repo, "agent edit");
    assert_eq!(classes(&record, &repo, "README.md"), v(&["-", "-", "ai:ses_A", "ai:ses_A", "-"]));
    assert_eq!(counts(&record), (2, 0, 0, 1));
}

#[test]
fn rule1_position_not_content_decides() {
    let repo = TestRepo::with_hook();
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.write("a.js", "function a() {\n  return x;\n}\n");
    // A person adds a function of their own with the very same lines, and a file elsewhere.
    let text = repo.read("a.js") + "\nfunction b() {\n  return x;\n}\n";
    repo.write("a.js", &text);
    repo.write("b.js", "}\n\n  return x;\n");
    let record = commit(&repo, "mixed authorship");
    assert_eq!(
        classes(&record, &repo, "a.js"),
        v(&["ai:ses_A", "ai:ses_A", "ai:ses_A", "unknown", "unknown", "unknown", "unknown"])
    );
    assert_eq!(classes(&record, &repo, "b.js"), vec!["unknown"; 3]);
}

#[test]
fn rule3_human_edits_after_the_agent() {
    let repo = TestRepo::with_hook();
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.write(
        "calc.py",
        "def total(items):\n    result = sum(item.price for item in items)\n    log('computed')\n    return result\n",
    );
    // Edit one line lightly, rewrite one completely, delete none, insert one between agent lines.
    repo.write(
        "calc.py",
        "def total(items):\n    result = sum(item.price * item.qty for item in items)\n    # a person's note\n    raise NotImplementedError\n    return result\n",
    );
    let record = commit(&repo, "human on top");
    assert_eq!(classes(&record, &repo, "calc.py"), v(&["ai:ses_A", "mixed:ses_A", "unknown", "unknown", "ai:ses_A"]));
    let mixed = record["files"][0]["conversations"][0]["ranges"][1]["contributor"].clone();
    assert_eq!(mixed, json!({"type": "mixed", "model_id": MODEL_A}));
    assert_eq!(counts(&record), (2, 1, 2, 0));
}

#[test]
fn rule4_partial_staging_attributes_each_hunk_when_it_is_committed() {
    let repo = TestRepo::with_hook();
    let body: String = (1..=30).map(|i| format!("line {i}\n")).collect();
    repo.write("f.txt", &body);
    commit(&repo, "base");
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.edit("f.txt", "line 3\n", "line 3\nagent top\n");
    agent.edit("f.txt", "line 27\n", "line 27\nagent bottom\n");
    // Stage only the first hunk.
    let staged = body.replace("line 3\n", "line 3\nagent top\n");
    let blob = {
        let tmp = repo.root.join(".staged");
        std::fs::write(&tmp, &staged).unwrap();
        let out = repo.git_stdout(&["hash-object", "-w", ".staged"]);
        std::fs::remove_file(tmp).unwrap();
        out.trim().to_string()
    };
    repo.git(&["update-index", "--cacheinfo", &format!("100644,{blob},f.txt")]);
    let out = repo.git(&["commit", "-q", "-m", "first hunk"]);
    assert!(out.stderr.is_empty());
    let record = repo.record("HEAD");
    validate(&record);
    let committed: Vec<&str> = staged.lines().collect();
    let mut expected = vec!["-".to_string(); committed.len()];
    expected[3] = "ai:ses_A".into();
    assert_eq!(line_classes(&record, "f.txt", committed.len()), expected);
    // An unrelated commit in between leaves the pending hunk alone.
    repo.write("other.txt", "x\n");
    repo.git(&["add", "other.txt"]);
    repo.git(&["commit", "-q", "-m", "unrelated"]);
    assert_eq!(counts(&repo.record("HEAD")), (0, 0, 1, 0));
    let record = commit(&repo, "second hunk");
    let lines = classes(&record, &repo, "f.txt");
    assert_eq!(lines.iter().filter(|c| *c != "-").collect::<Vec<_>>(), ["ai:ses_A"]);
    assert_eq!(lines[28], "ai:ses_A");
}

#[test]
fn rule5_each_line_carries_the_session_that_last_wrote_it() {
    let repo = TestRepo::with_hook();
    let a = Agent::new(&repo, "ses_A", MODEL_A);
    let b = Agent::new(&repo, "ses_B", MODEL_B);
    a.write("m.rs", "fn one() {}\nfn two() {}\nfn three() {}\n");
    b.edit("m.rs", "fn two() {}\n", "fn two() { todo!() }\nfn two_and_a_half() {}\n");
    let record = commit(&repo, "two sessions");
    assert_eq!(classes(&record, &repo, "m.rs"), v(&["ai:ses_A", "ai:ses_B", "ai:ses_B", "ai:ses_A"]));
    let conversations = record["files"][0]["conversations"].as_array().unwrap();
    let model_of = |s: &str| {
        conversations.iter().find(|c| c["url"] == format!("urn:sce:session:{s}")).unwrap()["contributor"]["model_id"]
            .clone()
    };
    assert_eq!(model_of("ses_A"), MODEL_A);
    assert_eq!(model_of("ses_B"), MODEL_B);
    assert_eq!(record["metadata"]["sce"]["sessions"].as_array().unwrap().len(), 2);
}

#[test]
fn rule6_reverted_edits_and_agent_deletions() {
    let repo = TestRepo::with_hook();
    repo.write("k.txt", "a\nb\nc\nd\n");
    repo.write("keep.txt", "1\n");
    commit(&repo, "base");
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.edit("k.txt", "b\nc\n", "");
    agent.edit("keep.txt", "1\n", "1\n2\n");
    repo.write("keep.txt", "1\n"); // a person reverts the agent fully
    repo.write("k.txt", &(repo.read("k.txt") + "human\n"));
    let record = commit(&repo, "deletions");
    assert_eq!(classes(&record, &repo, "k.txt"), v(&["-", "-", "unknown"]));
    assert_eq!(counts(&record), (0, 0, 1, 2));
    assert!(record["files"].as_array().unwrap().iter().all(|f| f["path"] != "keep.txt"));
}

#[test]
fn rule7_attribution_follows_a_git_mv() {
    let repo = TestRepo::with_hook();
    repo.write("seed.txt", "seed\n");
    commit(&repo, "base");
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.write("draft.py", "import os\n\ndef main():\n    print(os.getcwd())\n");
    repo.git(&["add", "draft.py"]);
    std::fs::create_dir_all(repo.root.join("tool")).unwrap();
    repo.git(&["mv", "draft.py", "tool/main.py"]);
    let record = commit(&repo, "moved before the first commit");
    assert_eq!(classes(&record, &repo, "tool/main.py"), vec!["ai:ses_A"; 4]);
    // Committed, then moved and extended by a person: moved lines are not added again.
    repo.git(&["mv", "tool/main.py", "tool/cli.py"]);
    repo.write("tool/cli.py", &(repo.read("tool/cli.py") + "main()\n"));
    let record = commit(&repo, "rename");
    assert_eq!(classes(&record, &repo, "tool/cli.py"), v(&["-", "-", "-", "-", "unknown"]));
    agent.edit("tool/cli.py", "main()\n", "main()  # entry\n");
    let record = commit(&repo, "agent edits the renamed file");
    assert_eq!(classes(&record, &repo, "tool/cli.py"), v(&["-", "-", "-", "-", "ai:ses_A"]));
}

#[test]
fn rule8_crlf_no_final_newline_and_binary_files() {
    let repo = TestRepo::with_hook();
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.write("win.txt", "one\r\ntwo\r\nthree\r\n");
    agent.write("tail.txt", "no newline\nat the end");
    std::fs::write(repo.root.join("blob.bin"), [0u8, 1, 2, 3, 0, 255]).unwrap();
    let record = commit(&repo, "odd files");
    assert_eq!(classes(&record, &repo, "win.txt"), vec!["ai:ses_A"; 3]);
    assert_eq!(classes(&record, &repo, "tail.txt"), vec!["ai:ses_A"; 2]);
    assert_eq!(record["metadata"]["sce"]["binary_files_skipped"], 1);
    agent.edit("win.txt", "two\r\n", "TWO\r\n");
    let record = commit(&repo, "crlf edit");
    assert_eq!(classes(&record, &repo, "win.txt"), v(&["-", "ai:ses_A", "-"]));
}

#[test]
fn rule9_patch_only_after_only_and_inconsistent_patches() {
    let repo = TestRepo::with_hook();
    repo.write("p.txt", "alpha\nbeta\ngamma\n");
    repo.write("o.txt", "old content\n");
    commit(&repo, "base");
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    // patch only
    repo.write("p.txt", "alpha\nBETA\ngamma\ndelta\n");
    agent.report(json!({"file_path": "p.txt", "tool": "edit",
        "patch": "--- a/p.txt\n+++ b/p.txt\n@@ -1,3 +1,4 @@\n alpha\n-beta\n+BETA\n gamma\n+delta\n"}));
    // after only: an overwrite
    repo.write("o.txt", "new content\nsecond line\n");
    agent.report(json!({"file_path": "o.txt", "tool": "write", "after": "new content\nsecond line\n"}));
    // a patch whose context matches nothing sce knows: used not at all, never guessed
    repo.write("q.txt", "q1\nq2\n");
    agent.report(json!({"file_path": "q.txt", "tool": "edit", "patch": "@@ -5,2 +5,2 @@\n zzz\n-yyy\n+q2\n"}));
    let record = commit(&repo, "three shapes");
    assert_eq!(classes(&record, &repo, "p.txt"), v(&["-", "ai:ses_A", "-", "ai:ses_A"]));
    assert_eq!(classes(&record, &repo, "o.txt"), v(&["ai:ses_A", "ai:ses_A"]));
    assert_eq!(classes(&record, &repo, "q.txt"), v(&["unknown", "unknown"]));
    assert_eq!(record["metadata"]["sce"]["unplaced_agent_hunks"], 1);
}

#[test]
fn rule10_a_commit_without_agent_activity_gets_a_record_saying_so() {
    let repo = TestRepo::with_hook();
    repo.write("h.txt", "typed\nby hand\n");
    let record = commit(&repo, "human only");
    assert_eq!(counts(&record), (0, 0, 2, 0));
    assert_eq!(record["metadata"]["sce"]["agent_activity"], false);
    assert!(record.get("tool").is_none());
    assert_eq!(classes(&record, &repo, "h.txt"), vec!["unknown"; 2]);
}

#[test]
fn trace_show_summarises_and_reports_missing_records() {
    let repo = TestRepo::with_hook();
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.write("x.txt", "1\n2\n");
    commit(&repo, "one");
    let out = repo.sce(&["trace", "show"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("ai 2 (100%)") && text.contains("ses_A") && text.contains(MODEL_A), "{text}");
    assert!(text.contains("x.txt: 1-2 ai"), "{text}");
    let out = repo.sce(&["trace", "show", "nope"], "");
    assert_eq!(out.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown revision \"nope\""));
    // A commit made without the hook has no record.
    std::fs::remove_file(repo.root.join(".git/hooks/post-commit")).unwrap();
    repo.write("y.txt", "y\n");
    repo.commit_all("no hook");
    let out = repo.sce(&["trace", "show"], "");
    assert_eq!(out.status.code(), Some(7));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("has no Agent Trace record") && stderr.contains("sce trace backfill"), "{stderr}");
    let out = repo.sce(&["trace", "backfill", "HEAD"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(counts(&repo.record("HEAD")), (0, 0, 1, 0));
}

#[test]
fn notes_do_not_disturb_the_users_own_notes() {
    let repo = TestRepo::with_hook();
    repo.write("a.txt", "a\n");
    commit(&repo, "one");
    repo.git(&["notes", "add", "-m", "my own note", "HEAD"]);
    repo.write("b.txt", "b\n");
    commit(&repo, "two");
    repo.git(&["notes", "add", "-m", "another", "HEAD"]);
    assert_eq!(repo.git_stdout(&["notes", "show", "HEAD~1"]).trim(), "my own note");
    assert_eq!(repo.git_stdout(&["notes", "show", "HEAD"]).trim(), "another");
    let listed = repo.git_stdout(&["notes", "--ref", "agent-trace", "list"]);
    assert_eq!(listed.lines().count(), 2);
}

#[test]
fn the_hook_handles_detached_head_merges_worktrees_and_hooks_path() {
    let repo = TestRepo::new();
    let hooks = repo.root.join("my hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    repo.git(&["config", "core.hooksPath", "my hooks"]);
    repo.install_hook();
    assert!(hooks.join("post-commit").exists());
    repo.write("base.txt", "base\n");
    commit(&repo, "root commit");

    // Merge commit: only conflict resolution lines are new against the first parent.
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("base.txt", "base\nside\n");
    commit(&repo, "side");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("base.txt", "base\nmain\n");
    commit(&repo, "main");
    let out = std::process::Command::new("git").args(["merge", "-q", "side"]).current_dir(&repo.root).output().unwrap();
    assert!(!out.status.success(), "expected a conflict");
    repo.write("base.txt", "base\nmain and side\n");
    let record = commit(&repo, "merge");
    assert_eq!(repo.git_stdout(&["rev-list", "--parents", "-n1", "HEAD"]).split_whitespace().count(), 3);
    assert_eq!(classes(&record, &repo, "base.txt"), v(&["-", "unknown"]));

    // Detached HEAD.
    repo.git(&["checkout", "-q", "--detach"]);
    repo.write("d.txt", "detached\n");
    let record = commit(&repo, "detached");
    assert_eq!(record["metadata"]["sce"]["git"]["branch"], Value::Null);

    // A linked worktree shares the DB but keeps its own agent views.
    let wt_path = repo.root.parent().unwrap().join("second tree");
    repo.git(&["worktree", "add", "-q", wt_path.to_str().unwrap(), "-b", "wt"]);
    let wt = TestRepo::at(&wt_path);
    let agent = Agent::new(&wt, "ses_W", MODEL_B);
    agent.write("wt.txt", "from the worktree\n");
    let record = commit(&wt, "in worktree");
    assert_eq!(classes(&record, &wt, "wt.txt"), v(&["ai:ses_W"]));
    assert!(!wt_path.join(".git").is_dir(), "a worktree's .git is a file");
}

#[test]
fn paths_with_spaces_quotes_newlines_dashes_and_backslashes() {
    let repo = TestRepo::with_hook();
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    let odd = ["dir with space/it's \"quoted\".txt", "new\nline.txt", "-leading-dash.txt", "back\\slash.txt"];
    for path in odd {
        agent.write(path, "content\n");
    }
    let record = commit(&repo, "odd paths");
    let paths: Vec<&str> = record["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    for path in odd {
        assert!(paths.contains(&path), "{path:?} missing from {paths:?}");
        assert_eq!(classes(&record, &repo, path), v(&["ai:ses_A"]));
    }
}

#[test]
fn a_failing_hook_keeps_the_commit_and_backfill_records_it_later() {
    let repo = TestRepo::with_hook();
    repo.write("a.txt", "a\n");
    commit(&repo, "first");
    // Make the sce directory unusable: a file where the DB directory should be.
    let sce_dir = repo.sce_dir();
    std::fs::rename(&sce_dir, repo.root.join("../sce-moved")).unwrap();
    std::fs::write(&sce_dir, "not a directory").unwrap();
    repo.write("b.txt", "b\n");
    repo.git(&["add", "-A"]);
    let out = repo.git(&["commit", "-q", "-m", "second"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("sce: post-commit:") && stderr.contains("the commit is kept"), "{stderr}");
    std::fs::remove_file(&sce_dir).unwrap();
    std::fs::rename(repo.root.join("../sce-moved"), &sce_dir).unwrap();
    let out = repo.sce(&["trace", "show"], "");
    assert_eq!(out.status.code(), Some(7));
    let out = repo.sce(&["trace", "backfill"], "");
    // The marker could not be written into the broken directory: backfill by revision instead.
    assert!(out.status.success());
    let out = repo.sce(&["trace", "backfill", "HEAD"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(counts(&repo.record("HEAD")), (0, 0, 1, 0));
}

#[test]
fn rule1_a_discarded_agent_block_leaves_no_credit_behind() {
    let repo = TestRepo::with_hook();
    repo.write("s.rs", "fn main() {\n}\n");
    commit(&repo, "base");
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.edit("s.rs", "}\n", "    if ready {\n        launch();\n    }\n\n}\n");
    repo.git(&["checkout", "--", "s.rs"]); // the person throws the agent's change away
    repo.write("s.rs", "fn main() {\n    while waiting {\n        std::thread::sleep(ONE_SECOND);\n    }\n\n}\n");
    let record = commit(&repo, "own block");
    assert_eq!(classes(&record, &repo, "s.rs"), v(&["-", "unknown", "unknown", "unknown", "unknown", "-"]));
}

#[test]
fn remote_credentials_never_reach_the_record_the_db_or_the_notes() {
    let repo = TestRepo::with_hook();
    repo.git(&["remote", "add", "origin", "https://alice:ghp_SECRETtoken123@example.com/team/app.git"]);
    repo.write("a.txt", "a\n");
    let record = commit(&repo, "with remote");
    assert_eq!(record["metadata"]["sce"]["git"]["remote_url"], "https://example.com/team/app.git");
    let note = repo.git_stdout(&["notes", "--ref", "agent-trace", "show", "HEAD"]);
    assert!(!note.contains("SECRET") && !note.contains("alice"));
    let mut db = Vec::new();
    for entry in std::fs::read_dir(repo.sce_dir()).unwrap() {
        db.extend(std::fs::read(entry.unwrap().path()).unwrap_or_default());
    }
    assert!(!db.windows(6).any(|w| w == b"SECRET"), "token found in the sce directory");
}

#[test]
fn non_utf8_file_names_do_not_break_the_hook() {
    use std::os::unix::ffi::OsStrExt;
    let repo = TestRepo::with_hook();
    std::fs::write(repo.root.join(std::ffi::OsStr::from_bytes(b"bad\xffname.txt")), "x\n").unwrap();
    let record = commit(&repo, "odd bytes");
    assert_eq!(counts(&record), (0, 0, 1, 0));
    assert!(record["files"][0]["path"].as_str().unwrap().starts_with("bad"));
}

#[test]
fn rule7_an_agent_rename_before_the_first_commit_keeps_the_lines() {
    let repo = TestRepo::with_hook();
    repo.write("seed.txt", "seed\n");
    commit(&repo, "base");
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.write("a.py", "one\ntwo\nthree\n");
    std::fs::rename(repo.root.join("a.py"), repo.root.join("b.py")).unwrap();
    repo.write("b.py", "one\nTWO\nthree\n");
    agent.report(json!({"file_path": "b.py", "old_path": "a.py", "status": "renamed", "tool": "apply_patch",
                        "before": "one\ntwo\nthree\n", "after": "one\nTWO\nthree\n"}));
    let record = commit(&repo, "renamed by the agent");
    assert_eq!(classes(&record, &repo, "b.py"), vec!["ai:ses_A"; 3]);
    // The old name starts clean if it comes back.
    repo.write("a.py", "one\n");
    let record = commit(&repo, "a person reuses the old name");
    assert_eq!(classes(&record, &repo, "a.py"), v(&["unknown"]));
}

/// A second session's patch that does not place (a person changed what it names)
/// still says which lines it rewrote: they are never left to the first session,
/// however large the patch (past sce's comparison cap they become unknown).
#[test]
fn an_unplaced_patch_never_leaves_its_rewrites_to_the_earlier_session() {
    let repo = TestRepo::with_hook();
    let a = Agent::new(&repo, "ses_A", MODEL_A);
    a.write("f.rs", "fn main() {\n    let total = compute(a, b);\n}\n");
    // A person changes A's line (sce does not see it); B rewrites the person's line
    // and reports only a patch, which names text sce's view does not have.
    // (Its context names lines the file no longer has, so it places nowhere.)
    let b = Agent::new(&repo, "ses_B", MODEL_B);
    repo.write("f.rs", "fn main() {\n    let total = compute(a, b, c).unwrap_or(0);\n}\n");
    b.report(
        json!({"file_path": "f.rs", "tool": "edit", "patch": "@@ -1,4 +1,4 @@\n fn start() -> u8 {\n     // sum\n\
        -    let total = compute(a, b, c);\n+    let total = compute(a, b, c).unwrap_or(0);\n };\n"}),
    );
    // Large: A wrote 1,000 lines; B's unplaceable hunk removes 1,000 unrelated lines
    // (a million pairs, four times the cap).
    let owned: String = (0..1000).map(|i| format!("let value_{i:04} = compute(alpha, beta);\n")).collect();
    a.write("big.rs", &owned);
    let mut patch = String::from("@@ -1,1001 +1,1 @@\n not in the file\n");
    for i in 0..1000 {
        patch.push_str(&format!("-QWXZ JKVY {i:04} PMB0 QWXZ JKVY PMB0 QWXZ JK\n"));
    }
    b.report(json!({"file_path": "big.rs", "tool": "edit", "patch": patch}));
    let record = commit(&repo, "unplaced patches");
    // (The `}` is trivial and no longer next to an agent line: unknown too.)
    assert_eq!(classes(&record, &repo, "f.rs"), v(&["ai:ses_A", "unknown", "unknown"]));
    assert_eq!(record["metadata"]["sce"]["unplaced_agent_hunks"], 2);
    let big = classes(&record, &repo, "big.rs");
    // Never credited to B, whose hunk said nothing sce could place; A's lines compared
    // within the cap stay A's, the rest are unknown rather than guessed.
    assert!(big.iter().all(|c| c == "ai:ses_A" || c == "unknown"), "{big:?}");
    let kept = big.iter().take_while(|c| *c == "ai:ses_A").count();
    assert!(kept > 0 && kept < 1000, "kept {kept}");
    assert!(big[kept..].iter().all(|c| c == "unknown"));
}

/// A person tweaks an agent's line, then the agent edits another line of the
/// file (reporting before and after): the tweaked line is mixed, as it is when
/// the agent does not edit again before the commit.
#[test]
fn a_person_s_tweak_stays_mixed_when_the_agent_edits_the_file_again() {
    let body =
        "def area(w, h):\n    result = w * h\n    return result\n\n\ndef perimeter(w, h):\n    return 2 * (w + h)\n";
    let tweak = |text: &str| text.replace("    result = w * h\n", "    result = w * h  # ok\n");
    for agent_edits_again in [false, true] {
        let repo = TestRepo::with_hook();
        let agent = Agent::new(&repo, "ses_A", MODEL_A);
        agent.write("geo.py", body);
        repo.write("geo.py", &tweak(body));
        if agent_edits_again {
            agent.edit("geo.py", "    return 2 * (w + h)\n", "    return 2 * w + 2 * h\n");
        }
        let record = commit(&repo, "tweaked");
        let classes = classes(&record, &repo, "geo.py");
        assert_eq!(classes[1], "mixed:ses_A", "agent edits again: {agent_edits_again}: {classes:?}");
        assert_eq!(classes[0], "ai:ses_A");
        assert_eq!(classes[6], "ai:ses_A");
    }
}

/// The agent's patch names a line a person tweaked as context: the patch still
/// places and the tweaked line is mixed.
#[test]
fn a_patch_around_a_person_s_tweak_places_and_keeps_the_line_mixed() {
    let repo = TestRepo::with_hook();
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.write("f.rs", "let a = compute(x);\nlet b = 2;\nlet c = 3;\n");
    repo.write("f.rs", "let a = compute(x, y);\nlet b = 2;\nlet c = 3;\n");
    repo.write("f.rs", "let a = compute(x, y);\nlet b = 20;\nlet c = 3;\n");
    agent.report(json!({"file_path": "f.rs", "tool": "edit",
        "patch": "@@ -1,3 +1,3 @@\n let a = compute(x, y);\n-let b = 2;\n+let b = 20;\n let c = 3;\n"}));
    let record = commit(&repo, "patched");
    assert_eq!(classes(&record, &repo, "f.rs"), v(&["mixed:ses_A", "ai:ses_A", "ai:ses_A"]));
    assert_eq!(record["metadata"]["sce"]["unplaced_agent_hunks"], 0);
}

/// A person appends a blank line and a note; the agent rewrites the lines above
/// with blank lines of its own and leaves the person's alone. The person's blank
/// line is not the agent's (git's diff keeps it where it was).
#[test]
fn a_person_s_blank_line_is_never_credited_to_the_agent() {
    let repo = TestRepo::with_hook();
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.write("notes.py", "import os\nimport sys\nprint(os.getcwd())\n");
    repo.write("notes.py", "import os\nimport sys\nprint(os.getcwd())\n\n# reviewed by a person\n");
    agent.edit(
        "notes.py",
        "import os\nimport sys\nprint(os.getcwd())\n",
        "import os\n\nimport sys\n\n\ndef main():\n    print(os.getcwd(), sys.argv)\n",
    );
    let record = commit(&repo, "rewrite above a note");
    let classes = classes(&record, &repo, "notes.py");
    assert_eq!(repo.read("notes.py").lines().nth(7), Some(""));
    assert_eq!(classes[7..], v(&["unknown", "unknown"]), "{classes:?}");
    assert!(classes[..7].iter().all(|c| c == "ai:ses_A" || c == "unknown"), "{classes:?}");
    assert_eq!(classes[5], "ai:ses_A");
    assert_eq!(classes[6], "ai:ses_A");
}

/// An agent rewrites a README whole, keeping some of its blank lines; nobody
/// touches it: every line the commit adds is the agent's.
#[test]
fn a_whole_file_rewrite_credits_every_added_line_even_blank_ones() {
    let repo = TestRepo::with_hook();
    let old: String = (0..12).map(|i| format!("Old paragraph {i}, written long ago.\n\n")).collect();
    repo.write("README.md", &format!("# Project\n\n{old}"));
    commit(&repo, "person's readme");
    let new: String = (0..30).map(|i| format!("## Section {i}\n\nText of section {i} by the agent.\n\n")).collect();
    let agent = Agent::new(&repo, "ses_A", MODEL_A);
    agent.write("README.md", &format!("# Project\n\n{new}- last\n\n- item\n"));
    let record = commit(&repo, "agent rewrite");
    let classes = classes(&record, &repo, "README.md");
    let added: Vec<&String> = classes.iter().filter(|c| *c != "-").collect();
    assert!(added.len() > 100, "{}", added.len());
    assert!(added.iter().all(|c| *c == "ai:ses_A"), "{classes:?}");
}
