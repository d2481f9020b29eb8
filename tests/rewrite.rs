//! History rewrites keep attribution: amend, rebase (plain and interactive with
//! reorder/squash/fixup/drop), cherry-pick (-x and --no-commit), merge --squash,
//! reset --soft — each through real git with the hooks `sce setup` installs.

use crate::common::{Agent, TestRepo, counts, line_classes};
use serde_json::Value;

const MODEL: &str = "anthropic/claude-sonnet-4-5";

fn setup_repo() -> TestRepo {
    let repo = TestRepo::new();
    let out = repo.sce(&["setup"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    repo.write("base.txt", "base\n");
    repo.commit_all("base");
    repo
}

fn git_env(repo: &TestRepo, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(&repo.root)
        .envs(env.iter().copied())
        .env("XDG_CONFIG_HOME", repo.root.join(".no-global-config"))
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("sce:"), "the hooks complained: {stderr}");
    out
}

fn classes_at(repo: &TestRepo, rev: &str, path: &str) -> Vec<String> {
    let record = repo.record(rev);
    let content = repo.git_stdout(&["show", &format!("{rev}:{path}")]);
    line_classes(&record, path, content.lines().count())
}

fn carried_from(repo: &TestRepo, rev: &str) -> Value {
    repo.record(rev)["metadata"]["sce"]["carried_from"].clone()
}

fn v(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn amend_of_a_partially_staged_change_keeps_both_hunks() {
    let repo = setup_repo();
    let body: String = (1..=20).map(|i| format!("line {i}\n")).collect();
    repo.write("f.txt", &body);
    repo.commit_all("body");
    let agent = Agent::new(&repo, "ses_A", MODEL);
    agent.edit("f.txt", "line 2\n", "line 2\nagent top\n");
    agent.edit("f.txt", "line 18\n", "line 18\nagent bottom\n");
    // First commit only the top hunk.
    let staged = body.replace("line 2\n", "line 2\nagent top\n");
    std::fs::write(repo.root.join(".staged"), &staged).unwrap();
    let blob = repo.git_stdout(&["hash-object", "-w", ".staged"]).trim().to_string();
    std::fs::remove_file(repo.root.join(".staged")).unwrap();
    repo.git(&["update-index", "--cacheinfo", &format!("100644,{blob},f.txt")]);
    repo.git(&["commit", "-q", "-m", "top"]);
    let old = repo.head();
    // Then amend with the bottom hunk.
    repo.git(&["add", "f.txt"]);
    git_env(&repo, &["commit", "-q", "--amend", "--no-edit"], &[]);
    let lines = classes_at(&repo, "HEAD", "f.txt");
    let credited: Vec<usize> = lines.iter().enumerate().filter(|(_, c)| *c != "-").map(|(i, _)| i + 1).collect();
    assert_eq!(credited, [3, 20]);
    assert!(lines.iter().filter(|c| *c != "-").all(|c| c == "ai:ses_A"), "{lines:?}");
    assert_eq!(carried_from(&repo, "HEAD"), serde_json::json!([old]));
    // The old record is still there.
    assert_eq!(counts(&repo.record(&old)), (1, 0, 0, 0));
}

#[test]
fn rebase_onto_a_moved_base_carries_every_commit() {
    let repo = setup_repo();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let agent = Agent::new(&repo, "ses_A", MODEL);
    agent.write("a.py", "def a():\n    return 1\n");
    repo.commit_all("a");
    agent.write("b.py", "def b():\n    return 2\n");
    repo.write("b.py", &(repo.read("b.py") + "# person\n"));
    repo.commit_all("b");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("base.txt", "base\nmoved on\n");
    repo.commit_all("main moves");
    repo.git(&["checkout", "-q", "feature"]);
    let old_tip = repo.head();
    git_env(&repo, &["rebase", "-q", "main"], &[]);
    assert_ne!(repo.head(), old_tip);
    assert_eq!(classes_at(&repo, "HEAD~1", "a.py"), v(&["ai:ses_A", "ai:ses_A"]));
    assert_eq!(classes_at(&repo, "HEAD", "b.py"), v(&["ai:ses_A", "ai:ses_A", "unknown"]));
    assert_eq!(carried_from(&repo, "HEAD"), serde_json::json!([old_tip]));
}

#[test]
fn interactive_rebase_with_reorder_squash_fixup_and_drop() {
    let repo = setup_repo();
    let a = Agent::new(&repo, "ses_A", MODEL);
    let b = Agent::new(&repo, "ses_B", "openai/gpt-5.1-codex");
    a.write("one.txt", "one\n");
    repo.commit_all("one");
    b.write("two.txt", "two\n");
    repo.commit_all("two");
    a.write("three.txt", "three\n");
    repo.commit_all("three");
    a.edit("three.txt", "three\n", "three, fixed\n");
    repo.commit_all("three fix");
    repo.write("four.txt", "four by hand\n");
    repo.commit_all("four");
    repo.write("drop.txt", "dropped\n");
    repo.commit_all("drop me");
    // Todo (oldest first): one two three "three fix" four "drop me" →
    // three, fixup "three fix", one, squash two, four; "drop me" dropped.
    let script = "awk '/ one$/{one=$0; next} / two$/{two=$0; next} / three fix$/{fix=$0; next} / three$/{three=$0; next} / four$/{print three; sub(/^pick/, \"fixup\", fix); print fix; print one; sub(/^pick/, \"squash\", two); print two; print; next} / drop me$/{next} {print}' \"$1\" > \"$1.new\" && mv \"$1.new\" \"$1\"";
    let editor = format!("sh -c '{}' --", script.replace('\'', "'\\''"));
    git_env(&repo, &["rebase", "-q", "-i", "HEAD~6"], &[("GIT_SEQUENCE_EDITOR", &editor), ("GIT_EDITOR", "true")]);
    let subjects = repo.git_stdout(&["log", "--format=%s", "-3"]);
    assert!(subjects.starts_with("four\n") && !repo.root.join("drop.txt").exists(), "{subjects}");
    // HEAD~1 is one+two squashed: each file keeps its own session.
    assert_eq!(classes_at(&repo, "HEAD~1", "one.txt"), v(&["ai:ses_A"]));
    assert_eq!(classes_at(&repo, "HEAD~1", "two.txt"), v(&["ai:ses_B"]));
    assert_eq!(carried_from(&repo, "HEAD~1").as_array().unwrap().len(), 2);
    // HEAD~2 is three with its fixup: the agent's fixed line.
    assert_eq!(repo.git_stdout(&["show", "HEAD~2:three.txt"]), "three, fixed\n");
    assert_eq!(classes_at(&repo, "HEAD~2", "three.txt"), v(&["ai:ses_A"]));
    assert_eq!(carried_from(&repo, "HEAD~2").as_array().unwrap().len(), 2);
    assert_eq!(classes_at(&repo, "HEAD", "four.txt"), v(&["unknown"]));
}

#[test]
fn cherry_picks_keep_attribution() {
    let repo = setup_repo();
    repo.git(&["checkout", "-q", "-b", "topic"]);
    let agent = Agent::new(&repo, "ses_A", MODEL);
    agent.write("pick.rs", "fn picked() {}\n");
    repo.write("pick.rs", &(repo.read("pick.rs") + "// human\n"));
    repo.commit_all("to pick");
    let picked = repo.head();
    agent.write("later.rs", "fn later() {}\n");
    repo.commit_all("later");
    let later = repo.head();
    repo.git(&["checkout", "-q", "main"]);
    git_env(&repo, &["cherry-pick", "-x", &picked], &[]);
    assert_eq!(classes_at(&repo, "HEAD", "pick.rs"), v(&["ai:ses_A", "unknown"]));
    assert_eq!(carried_from(&repo, "HEAD"), serde_json::json!([picked]));
    // --no-commit followed by a commit: attributed from the captured edits.
    git_env(&repo, &["cherry-pick", "--no-commit", &later], &[]);
    git_env(&repo, &["commit", "-q", "-m", "picked by hand"], &[]);
    assert_eq!(classes_at(&repo, "HEAD", "later.rs"), v(&["ai:ses_A"]));
}

#[test]
fn merge_squash_and_reset_soft_keep_attribution() {
    let repo = setup_repo();
    repo.git(&["checkout", "-q", "-b", "squashme"]);
    let agent = Agent::new(&repo, "ses_A", MODEL);
    agent.write("s1.txt", "s1\n");
    repo.commit_all("s1");
    agent.write("s2.txt", "s2\n");
    repo.write("s2.txt", "s2\nhuman\n");
    repo.commit_all("s2");
    repo.git(&["checkout", "-q", "main"]);
    git_env(&repo, &["merge", "--squash", "-q", "squashme"], &[]);
    git_env(&repo, &["commit", "-q", "--no-edit"], &[]);
    assert_eq!(classes_at(&repo, "HEAD", "s1.txt"), v(&["ai:ses_A"]));
    assert_eq!(classes_at(&repo, "HEAD", "s2.txt"), v(&["ai:ses_A", "unknown"]));
    assert_eq!(carried_from(&repo, "HEAD").as_array().unwrap().len(), 2);

    agent.write("r1.txt", "r1\n");
    repo.commit_all("r1");
    agent.write("r2.txt", "r2\n");
    repo.commit_all("r2");
    repo.git(&["reset", "-q", "--soft", "HEAD~2"]);
    git_env(&repo, &["commit", "-q", "-m", "r1 and r2 together"], &[]);
    assert_eq!(classes_at(&repo, "HEAD", "r1.txt"), v(&["ai:ses_A"]));
    assert_eq!(classes_at(&repo, "HEAD", "r2.txt"), v(&["ai:ses_A"]));
}

#[test]
fn rebase_keeps_each_commits_own_session_after_a_later_session_rewrote_the_line() {
    let repo = setup_repo();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let a = Agent::new(&repo, "ses_A", MODEL);
    let b = Agent::new(&repo, "ses_B", "openai/gpt-5.1-codex");
    a.write("calc.py", "x = compute(1)\n");
    repo.commit_all("A writes");
    b.edit("calc.py", "compute(1)", "compute(2)");
    repo.commit_all("B rewrites");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("base.txt", "base\nmoved\n");
    repo.commit_all("main moves");
    repo.git(&["checkout", "-q", "feature"]);
    git_env(&repo, &["rebase", "-q", "main"], &[]);
    // The agents' view now holds B's line; the first commit must still credit A.
    assert_eq!(classes_at(&repo, "HEAD~1", "calc.py"), v(&["ai:ses_A"]));
    assert_eq!(classes_at(&repo, "HEAD", "calc.py"), v(&["ai:ses_B"]));
}

/// A linked worktree of `repo` on a new branch from `start`: its own (empty)
/// agents' views, so attribution there can only come from carried records.
fn fresh_worktree(repo: &TestRepo, name: &str, start: &str) -> TestRepo {
    let path = repo.root.parent().unwrap().join(name);
    repo.git(&["worktree", "add", "-q", "-b", name, path.to_str().unwrap(), start]);
    TestRepo::at(&path)
}

/// A feature branch: an agent's file with a line a person tweaked, and an
/// agent's file main changes too (a conflict for the squash merge).
fn feature_branch(repo: &TestRepo) -> String {
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let agent = Agent::new(repo, "ses_A", MODEL);
    agent.write("tweak.py", "alpha = compute(1)\nbeta = compute(2)\ngamma = compute(3)\n");
    repo.write("tweak.py", "alpha = compute(1)\nbeta = compute(2)  # checked\ngamma = compute(3)\n");
    repo.commit_all("feature: tweak");
    let tweak = repo.head();
    agent.write("both.txt", "shared head\nagent line one\nagent line two\nshared tail\n");
    repo.commit_all("feature: both");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("both.txt", "shared head\nmain's own line\nshared tail\n");
    repo.commit_all("main: both");
    tweak
}

/// `git merge --squash` then `git commit -m` (or `-F`): nothing in the message
/// names the squashed commits, yet their lines keep their classes; lines an
/// agent left untouched while resolving the conflict stay the first agent's.
#[test]
fn a_squash_merge_committed_with_its_own_message_keeps_attribution() {
    let repo = setup_repo();
    feature_branch(&repo);
    for (name, commit_args) in
        [("squash-m", vec!["commit", "-q", "-m", "our own words"]), ("squash-f", vec!["commit", "-q", "-F", "msg.txt"])]
    {
        let wt = fresh_worktree(&repo, name, "main");
        let out = std::process::Command::new("git")
            .args(["merge", "--squash", "-q", "feature"])
            .current_dir(&wt.root)
            .output()
            .unwrap();
        assert!(!out.status.success(), "expected a conflict");
        // A second agent resolves the conflict: it keeps the feature's lines and main's, and adds one.
        let resolver = Agent::new(&wt, "ses_R", MODEL);
        resolver.write(
            "both.txt",
            "shared head\nmain's own line\nagent line one\nagent line two\nresolved by an agent\nshared tail\n",
        );
        std::fs::write(wt.root.parent().unwrap().join("msg.txt"), "from a file\n").unwrap();
        std::fs::copy(wt.root.parent().unwrap().join("msg.txt"), wt.root.join("msg.txt")).unwrap();
        wt.git(&["add", "-A"]);
        wt.git(&["reset", "-q", "--", "msg.txt"]);
        git_env(&wt, &commit_args, &[]);
        assert_eq!(classes_at(&wt, "HEAD", "tweak.py"), v(&["ai:ses_A", "mixed:ses_A", "ai:ses_A"]), "{name}");
        assert_eq!(
            classes_at(&wt, "HEAD", "both.txt"),
            v(&["-", "-", "ai:ses_A", "ai:ses_A", "ai:ses_R", "-"]),
            "{name}"
        );
        assert_eq!(carried_from(&wt, "HEAD").as_array().unwrap().len(), 2, "{name}");
    }
}

/// `cherry-pick -n` and `revert -n`, each committed with the user's own message:
/// the picked commit's lines and the lines the revert brings back keep their classes.
#[test]
fn picks_and_reverts_without_commit_keep_attribution_whatever_the_message() {
    let repo = setup_repo();
    let tweak = feature_branch(&repo);
    let wt = fresh_worktree(&repo, "pick-n", "main");
    git_env(&wt, &["cherry-pick", "-n", &tweak], &[]);
    git_env(&wt, &["commit", "-q", "-m", "picked, in my words"], &[]);
    assert_eq!(classes_at(&wt, "HEAD", "tweak.py"), v(&["ai:ses_A", "mixed:ses_A", "ai:ses_A"]));
    assert_eq!(carried_from(&wt, "HEAD"), serde_json::json!([tweak]));

    // A person deletes the agent's lines on main; a revert without commit brings them back.
    let agent = Agent::new(&repo, "ses_A", MODEL);
    agent.write("gone.py", "def kept():\n    return 1\n\n\ndef dropped():\n    return 2\n");
    repo.commit_all("agent code");
    repo.write("gone.py", "def kept():\n    return 1\n");
    repo.commit_all("person drops a function");
    let drop = repo.head();
    let wt = fresh_worktree(&repo, "revert-n", "main");
    git_env(&wt, &["revert", "-n", &drop], &[]);
    git_env(&wt, &["commit", "-q", "-m", "bring it back"], &[]);
    assert_eq!(classes_at(&wt, "HEAD", "gone.py"), v(&["-", "-", "ai:ses_A", "ai:ses_A", "ai:ses_A", "ai:ses_A"]));
    // A commit made after an aborted attempt does not inherit its sources.
    git_env(&wt, &["cherry-pick", "-n", &tweak], &[]);
    wt.git(&["reset", "-q", "--hard"]);
    wt.write("plain.txt", "plain\n");
    wt.git(&["add", "plain.txt"]);
    git_env(&wt, &["commit", "-q", "-m", "unrelated"], &[]);
    assert!(carried_from(&wt, "HEAD").is_null() || carried_from(&wt, "HEAD") == serde_json::json!([]));
}
