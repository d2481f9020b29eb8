//! Reading history back: `sce blame`, `sce stats`, and sharing records with
//! `sce notes push|fetch` through a real bare remote.

use crate::common::{Agent, TestRepo, run_sce};
use serde_json::Value;

const MODEL_A: &str = "anthropic/claude-sonnet-4-5";
const MODEL_B: &str = "openai/gpt-5.1-codex";

fn blame(repo: &TestRepo, path: &str) -> Vec<Value> {
    let out = repo.sce(&["blame", "--json", path], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn blame_shows_class_model_session_and_commit_per_line() {
    let repo = TestRepo::with_hook();
    repo.write("app.py", "import os\n");
    repo.commit_all("human start");
    let first = repo.head();
    let a = Agent::new(&repo, "ses_A", MODEL_A);
    a.edit("app.py", "import os\n", "import os\n\ndef main():\n    print(os.getcwd())\n");
    repo.commit_all("agent A");
    let second = repo.head();
    let b = Agent::new(&repo, "ses_B", MODEL_B);
    b.edit("app.py", "    print(os.getcwd())\n", "    print(os.getcwd(), flush=True)\n");
    repo.write("app.py", &(repo.read("app.py") + "main()\n"));
    repo.commit_all("agent B and a person");
    let third = repo.head();
    let lines = blame(&repo, "app.py");
    let summary: Vec<(String, Option<String>, Option<String>, String)> = lines
        .iter()
        .map(|l| {
            (
                l["class"].as_str().unwrap().to_string(),
                l["session"].as_str().map(str::to_string),
                l["model"].as_str().map(str::to_string),
                l["commit"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        summary,
        vec![
            ("unknown".into(), None, None, first.clone()),
            ("ai".into(), s("ses_A"), s(MODEL_A), second.clone()),
            ("ai".into(), s("ses_A"), s(MODEL_A), second.clone()),
            ("ai".into(), s("ses_B"), s(MODEL_B), third.clone()),
            ("unknown".into(), None, None, third.clone()),
        ]
    );
    assert_eq!(lines[3]["text"], "    print(os.getcwd(), flush=True)");
    // Each agent line names the tool of its session.
    let tools: Vec<Option<&str>> = lines.iter().map(|l| l["tool"].as_str()).collect();
    assert_eq!(tools, [None, Some("opencode"), Some("opencode"), Some("opencode"), None]);
    // Human output is aligned like git blame; commits without a record say so.
    std::fs::remove_file(repo.root.join(".git/hooks/post-commit")).unwrap();
    repo.write("app.py", &(repo.read("app.py") + "# unrecorded\n"));
    repo.commit_all("no hook");
    let out = repo.sce(&["blame", "app.py"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap();
    assert!(last.contains("no-record") && last.ends_with("6) # unrecorded"), "{text}");
    assert!(text.lines().nth(1).unwrap().contains(&format!("{} ai", &second[..8])), "{text}");
}

#[test]
fn stats_counts_by_group_over_a_range() {
    let repo = TestRepo::with_hook();
    repo.write("seed.txt", "seed\n");
    repo.commit_all("seed");
    let base = repo.head();
    let a = Agent::new(&repo, "ses_A", MODEL_A);
    a.write("a.txt", "1\n2\n3\n");
    repo.commit_all("a");
    let b = Agent::new(&repo, "ses_B", MODEL_B);
    b.write("b.txt", "x\n");
    repo.write("h.txt", "h1\nh2\n");
    repo.commit_all("b and human");
    let range = format!("{base}..HEAD");
    let stats = |by: Option<&str>| -> Value {
        let mut args = vec!["stats", "--json", range.as_str()];
        if let Some(by) = by {
            args.extend(["--by", by]);
        }
        let out = repo.sce(&args, "");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let total = stats(None);
    assert_eq!(total["stats"]["commits"], 2);
    assert_eq!(total["stats"]["groups"]["total"], serde_json::json!({"ai": 4, "mixed": 0, "unknown": 2}));
    let by_model = stats(Some("model"));
    assert_eq!(by_model["stats"]["groups"][MODEL_A]["ai"], 3);
    assert_eq!(by_model["stats"]["groups"][MODEL_B]["ai"], 1);
    assert_eq!(by_model["stats"]["groups"]["-"]["unknown"], 2);
    let by_session = stats(Some("session"));
    assert_eq!(by_session["stats"]["groups"]["ses_B"]["ai"], 1);
    let by_file = stats(Some("file"));
    assert_eq!(by_file["stats"]["groups"]["h.txt"]["unknown"], 2);
    let by_author = stats(Some("author"));
    assert_eq!(by_author["stats"]["groups"]["Test Person <person@example.com>"]["ai"], 4);
    // Human table; default range on the default branch: the last commits.
    let out = repo.sce(&["stats"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("3 commit(s) in the last 100 commits; 0 without a record"), "{text}");
    assert!(text.contains("57.1%"), "{text}"); // 4 ai of 7 lines, the seed included
}

/// A bare remote and two clones set up with sce.
fn remote_and_clones() -> (tempfile::TempDir, TestRepo, TestRepo) {
    let bare = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(bare.path())
        .status()
        .unwrap();
    assert!(status.success());
    let a = TestRepo::with_hook();
    a.git(&["remote", "add", "origin", bare.path().to_str().unwrap()]);
    a.write("shared.txt", "shared\n");
    a.commit_all("shared");
    a.git(&["push", "-q", "origin", "main"]);
    let b = TestRepo::with_hook();
    b.git(&["remote", "add", "origin", bare.path().to_str().unwrap()]);
    b.git(&["fetch", "-q", "origin"]);
    b.git(&["reset", "-q", "--hard", "origin/main"]);
    (bare, a, b)
}

fn remote_notes(bare: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new("git")
        .args(["notes", "--ref", "agent-trace", "list"])
        .current_dir(bare)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.split_whitespace().nth(1).unwrap().to_string()).collect()
}

#[test]
fn notes_push_and_fetch_merge_both_sides_even_when_concurrent() {
    let (bare, a, b) = remote_and_clones();
    a.git(&["notes", "add", "-m", "a personal note", "HEAD"]);
    Agent::new(&a, "ses_A", MODEL_A).write("from_a.txt", "a\n");
    a.commit_all("a work");
    let a_commit = a.head();
    Agent::new(&b, "ses_B", MODEL_B).write("from_b.txt", "b\n");
    b.commit_all("b work");
    let b_commit = b.head();
    // Both push at once: one of them meets a moved remote, merges and retries.
    std::thread::scope(|scope| {
        for repo in [&a, &b] {
            scope.spawn(move || {
                let out = repo.sce(&["notes", "push"], "");
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            });
        }
    });
    let on_remote = remote_notes(bare.path());
    for commit in [&a_commit, &b_commit] {
        assert!(on_remote.contains(commit), "{commit} missing on the remote: {on_remote:?}");
    }
    // Fetch brings the other side's records; the personal notes ref is never pushed.
    let out = a.sce(&["notes", "fetch"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let b_record = a.git_stdout(&["notes", "--ref", "agent-trace", "show", &b_commit]);
    assert!(b_record.contains("ses_B"));
    let refs = std::process::Command::new("git")
        .args(["for-each-ref", "refs/notes"])
        .current_dir(bare.path())
        .output()
        .unwrap();
    let refs = String::from_utf8_lossy(&refs.stdout);
    assert!(refs.contains("refs/notes/agent-trace") && !refs.contains("refs/notes/commits"), "{refs}");
    assert_eq!(a.git_stdout(&["notes", "show", "HEAD~1"]).trim(), "a personal note");
}

#[test]
fn a_commit_recorded_differently_on_both_sides_keeps_the_newer_record() {
    let (bare, a, b) = remote_and_clones();
    let shared = a.head();
    // Both sides have a record of the shared commit; b makes a newer one.
    assert!(a.sce(&["notes", "push"], "").status.success());
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = b.sce(&["trace", "backfill", &shared], "");
    assert!(out.status.success());
    let newer = b.record(&shared)["id"].clone();
    let out = b.sce(&["notes", "push"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains(&format!("commit {shared} has different records here and on origin; kept the newer (local)")),
        "{text}"
    );
    let out = a.sce(&["notes", "fetch"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("kept the newer (remote)"), "{text}");
    assert_eq!(a.record(&shared)["id"], newer);
    assert!(remote_notes(bare.path()).contains(&shared));
}

#[test]
fn blame_colors_only_on_request_and_never_json() {
    let repo = TestRepo::with_hook();
    repo.write("seed.txt", "seed\n");
    repo.commit_all("seed");
    let a = Agent::new(&repo, "ses_A", MODEL_A);
    a.write("a.txt", "1\n2\n");
    repo.commit_all("a");
    let plain = repo.sce(&["blame", "a.txt"], "");
    assert!(plain.status.success(), "{}", String::from_utf8_lossy(&plain.stderr));
    assert!(!plain.stdout.contains(&0x1b), "piped output is plain: {:?}", String::from_utf8_lossy(&plain.stdout));
    let colored = repo.sce(&["blame", "--color", "always", "a.txt"], "");
    let text = String::from_utf8_lossy(&colored.stdout);
    assert!(text.contains("\u{1b}["), "{text:?}");
    let stripped = regex::Regex::new("\u{1b}\\[[0-9;]*m").unwrap().replace_all(&text, "");
    assert_eq!(stripped, String::from_utf8_lossy(&plain.stdout), "color changes nothing but escapes");
    // CLICOLOR_FORCE colors a pipe; NO_COLOR wins over it.
    let forced = run_sce(&repo.root, &["blame", "a.txt"], "", &[("CLICOLOR_FORCE", "1")]);
    assert!(forced.stdout.contains(&0x1b));
    let no_color = run_sce(&repo.root, &["blame", "a.txt"], "", &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert_eq!(no_color.stdout, plain.stdout);
    for args in [&["blame", "--color", "always", "--json", "a.txt"][..], &["stats", "--color", "always", "--json"]] {
        let out = repo.sce(args, "");
        assert!(out.status.success());
        assert!(!out.stdout.contains(&0x1b), "{args:?}: {:?}", String::from_utf8_lossy(&out.stdout));
    }
    // Paging needs a terminal: piped output never goes through the pager.
    let paged = repo.root.join("../paged");
    let pager = format!("cat > '{}'", paged.display());
    let out = run_sce(&repo.root, &["blame", "a.txt"], "", &[("GIT_PAGER", &pager)]);
    assert_eq!(out.stdout, plain.stdout);
    assert!(!paged.exists());
}

#[test]
fn the_repo_flag_works_from_outside_the_repository() {
    let repo = TestRepo::with_hook();
    repo.write("seed.txt", "seed\n");
    repo.commit_all("seed");
    let a = Agent::new(&repo, "ses_A", MODEL_A);
    a.write("a.txt", "1\n2\n");
    repo.commit_all("a");
    let outside = tempfile::tempdir().unwrap();
    let root = repo.root.to_str().unwrap();
    let here = repo.sce(&["blame", "a.txt"], "");
    // Without -R, outside a repository: exit 6.
    assert_eq!(run_sce(outside.path(), &["blame", "a.txt"], "", &[]).status.code(), Some(6));
    for args in [&["-R", root, "blame", "a.txt"][..], &["blame", "--repo", root, "a.txt"]] {
        let out = run_sce(outside.path(), args, "", &[]);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.stdout, here.stdout, "{args:?}");
    }
    let stats_here = repo.sce(&["stats", "--json"], "");
    let out = run_sce(outside.path(), &["-R", root, "stats", "--json"], "", &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, stats_here.stdout);
    // notes: push to a bare remote from outside, then fetch it back, as JSON.
    let remote = outside.path().join("remote.git");
    let init = std::process::Command::new("git").args(["init", "-q", "--bare"]).arg(&remote).output().unwrap();
    assert!(init.status.success());
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    let out = run_sce(outside.path(), &["-R", root, "notes", "push", "--json"], "", &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let pushed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pushed["pushed"], true, "{pushed}");
    assert_eq!(pushed["remote"], "origin", "{pushed}");
    let out = run_sce(outside.path(), &["notes", "fetch", "-R", root, "--json"], "", &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fetched: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fetched["fetched"], true, "{fetched}");
    assert_eq!(fetched["conflicts"], serde_json::json!([]), "{fetched}");
}
