//! `sce setup`, `sce doctor` and `sce demo` against real repositories.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common;
use crate::common::{Agent, TestRepo, counts, problem_names, run_sce};
use serde_json::Value;

fn setup(repo: &TestRepo, args: &[&str]) -> String {
    let mut all = vec!["setup"];
    all.extend_from_slice(args);
    let out = repo.sce(&all, "");
    assert!(out.status.success(), "setup failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Commits with `PATH` limited to git's directory, so only the hook's fallback path can find sce.
fn commit_with_path(repo: &TestRepo, path_env: &str, msg: &str) -> std::process::Output {
    repo.git(&["add", "-A"]);
    let out = std::process::Command::new("git")
        .args(["commit", "-q", "-m", msg])
        .current_dir(&repo.root)
        .env("PATH", path_env)
        .output()
        .unwrap();
    assert!(out.status.success(), "commit failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn git_dir_of_git() -> String {
    let git =
        String::from_utf8(std::process::Command::new("sh").args(["-c", "command -v git"]).output().unwrap().stdout)
            .unwrap();
    Path::new(git.trim()).parent().unwrap().to_string_lossy().into_owned()
}

#[test]
fn setup_installs_hook_and_db_and_is_idempotent() {
    let repo = TestRepo::new();
    let out = setup(&repo, &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("created ") && lines[0].ends_with("hooks/prepare-commit-msg"), "{out}");
    assert!(lines[1].starts_with("created ") && lines[1].ends_with("hooks/post-commit"), "{out}");
    assert!(lines[2].starts_with("created ") && lines[2].ends_with("hooks/post-rewrite"), "{out}");
    assert!(lines[3].starts_with("created ") && lines[3].ends_with("agent-trace.db"), "{out}");
    let hook = repo.root.join(".git/hooks/post-commit");
    assert_eq!(std::fs::metadata(&hook).unwrap().permissions().mode() & 0o111, 0o111);
    let again = setup(&repo, &[]);
    assert!(again.lines().all(|l| l.starts_with("unchanged ")), "{again}");
    // The installed hook records commits (sce found through the fallback path, not PATH).
    Agent::new(&repo, "ses_A", "p/m").write("a.txt", "a\n");
    let out = commit_with_path(&repo, &git_dir_of_git(), "first");
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(counts(&repo.record("HEAD")), (1, 0, 0, 0));
}

#[test]
fn setup_appends_to_existing_hooks_and_uninstall_removes_exactly_its_block() {
    let repo = TestRepo::new();
    let hook = repo.root.join(".git/hooks/post-commit");
    let original = "#!/bin/sh\n# a hand-written hook\necho \"user hook ran\" > user-hook-ran.txt\n";
    std::fs::write(&hook, original).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = setup(&repo, &[]);
    assert!(out.contains("updated ") && out.contains("post-commit"), "{out}");
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.starts_with(original), "the user's hook is kept as it was");
    assert!(text.contains("# >>> sce managed block (post-commit) >>>"));
    repo.write("x.txt", "x\n");
    repo.commit_all("both hooks run");
    assert!(repo.root.join("user-hook-ran.txt").exists());
    assert_eq!(counts(&repo.record("HEAD")).2, 1);
    let out = setup(&repo, &["--uninstall"]);
    assert!(out.contains("removed sce from"), "{out}");
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), original);
    // A hook file sce created is deleted whole.
    let fresh = TestRepo::new();
    setup(&fresh, &[]);
    let out = setup(&fresh, &["--uninstall"]);
    assert!(out.contains("deleted "), "{out}");
    assert!(!fresh.root.join(".git/hooks/post-commit").exists());
}

#[test]
fn setup_honours_core_hooks_path_and_worktrees() {
    let repo = TestRepo::new();
    repo.git(&["config", "core.hooksPath", "hooks dir"]);
    setup(&repo, &[]);
    assert!(repo.root.join("hooks dir/post-commit").exists());
    assert!(!repo.root.join(".git/hooks/post-commit").exists());

    let main = TestRepo::new();
    main.write("a", "a\n");
    main.commit_all("init");
    let wt = main.root.parent().unwrap().join("linked wt");
    main.git(&["worktree", "add", "-q", "--detach", wt.to_str().unwrap()]);
    let linked = TestRepo::at(&wt);
    setup(&linked, &[]);
    assert!(main.root.join(".git/hooks/post-commit").exists(), "hooks of a worktree live in the common dir");
    assert!(main.root.join(".git/sce/agent-trace.db").exists());
}

#[test]
fn a_missing_sce_prints_one_hint_and_never_blocks_the_commit() {
    let repo = TestRepo::new();
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("sce");
    std::fs::copy(common::sce_bin(), &copy).unwrap();
    let out = run_sce(&repo.root, &[], "", &[]);
    drop(out);
    let out = std::process::Command::new(&copy).args(["setup"]).current_dir(&repo.root).output().unwrap();
    assert!(out.status.success());
    drop(copy_dir); // sce is gone
    repo.write("a.txt", "a\n");
    let out = commit_with_path(&repo, &git_dir_of_git(), "no sce");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("sce: not found on PATH"), "{stderr}");
    assert_eq!(repo.git_stdout(&["rev-list", "--count", "HEAD"]).trim(), "1");
}

#[test]
fn setup_opencode_installs_only_the_plugin() {
    let repo = TestRepo::new();
    let out = setup(&repo, &["--opencode", "--no-hooks"]);
    assert!(out.contains(".opencode/plugins/sce-agent-trace.ts"), "{out}");
    let plugin = std::fs::read_to_string(repo.root.join(".opencode/plugins/sce-agent-trace.ts")).unwrap();
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/opencode/sce-agent-trace.ts"))
            .unwrap();
    assert!(plugin == source, "the installed plugin differs from plugins/opencode/sce-agent-trace.ts");
    let entries: Vec<_> = std::fs::read_dir(repo.root.join(".opencode")).unwrap().collect();
    assert_eq!(entries.len(), 1, "nothing else in .opencode");
    assert!(!repo.root.join(".git/hooks/post-commit").exists());
}

#[test]
fn doctor_finds_problems_and_fix_repairs_them() {
    let repo = TestRepo::new();
    let (code, report) = repo.doctor(&[]);
    assert_eq!(code, 8);
    assert_eq!(report["ready"], false);
    assert!(
        problem_names(&report).contains(&"hooks".to_string())
            && problem_names(&report).contains(&"database".to_string())
    );

    setup(&repo, &[]);
    let (code, report) = repo.doctor(&[]);
    assert_eq!((code, problem_names(&report)), (0, vec![]), "{report}");

    // Break things: the hook goes, a commit lands without a record, events wait in the spool.
    repo.write("a.txt", "a\n");
    std::fs::remove_file(repo.root.join(".git/hooks/post-commit")).unwrap();
    repo.commit_all("unrecorded");
    std::fs::write(repo.sce_dir().join("spool.jsonl"), "{\"worktree\":\"\",\"events\":[{\"kind\":\"message\",\"session_id\":\"s\",\"message_id\":\"m\",\"role\":\"user\",\"model_id\":null,\"parent_id\":null,\"time_created_ms\":1,\"time_completed_ms\":null,\"tool_name\":null,\"tool_version\":null}]}\n").unwrap();
    let (code, report) = repo.doctor(&[]);
    assert_eq!(code, 8);
    let mut found = problem_names(&report);
    found.sort();
    assert_eq!(found, ["hooks", "records", "spool"], "{report}");

    let (code, report) = repo.doctor(&["--fix"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["ready"], true);
    assert_eq!(report["repairs"].as_array().unwrap().len(), 3, "{report}");
    assert!(repo.root.join(".git/hooks/post-commit").exists());
    assert_eq!(counts(&repo.record("HEAD")), (0, 0, 1, 0));
    let out = repo.sce(&["doctor"], "");
    assert!(String::from_utf8_lossy(&out.stdout).contains("sce is ready"));
}

#[test]
fn demo_shows_a_record_with_every_class() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_sce(dir.path(), &["demo"], "", &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("lines added: 10  ai 6 (60%)  mixed 1 (10%)  unknown 3 (30%)"), "{text}");
    assert!(text.contains("greet.py: 1 ai, 2 mixed, 3 ai, 4-6 unknown"), "{text}");
    let json_start = text.find("\n{").unwrap();
    let record: Value = serde_json::from_str(text[json_start..].trim()).unwrap();
    assert_eq!(record["version"], "0.1.0");
}
