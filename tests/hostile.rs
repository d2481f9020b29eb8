//! Hostile and odd input: secrets in conversation text, huge files and envelopes,
//! deep JSON, paths that try to leave the repository, and paths that try to
//! inject into hook scripts.

use crate::common;
use crate::common::{Agent, TestRepo, counts, run_sce};
use sce::store::{Store, StorePaths};
use serde_json::{Value, json};

fn snapshot(repo: &TestRepo) -> String {
    let paths = StorePaths::in_common_dir(repo.sce_dir().parent().unwrap());
    Store::open(&paths, &Default::default()).unwrap().snapshot().unwrap().join("\n")
}

fn text_part(part: &str, text: &str) -> Value {
    json!({"type": "message.part.updated", "payloads": [{"session_id": "s", "message_id": "m", "part_id": part,
        "part_type": "text", "text": text, "time_ms": 1}]})
}

#[test]
fn secrets_in_text_parts_are_redacted_before_they_are_stored() {
    let repo = TestRepo::new();
    let secret = "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij";
    repo.send(&text_part("p1", &format!("use token {secret} and password=hunter2hunter2")));
    repo.send(&json!({"type": "message.part.updated", "payloads": [{"session_id": "s", "message_id": "m",
        "part_id": "p2", "part_type": "tool", "time_ms": 1, "output": "AWS AKIAIOSFODNN7EXAMPLE"}]}));
    let db = snapshot(&repo);
    assert!(!db.contains(secret) && !db.contains("hunter2") && !db.contains("AKIAIOSFODNN7EXAMPLE"), "{db}");
    assert!(db.contains("[REDACTED:github-token]") && db.contains("[REDACTED:aws-access-key-id]"));
    // Configurable off.
    repo.write(".sce/config.json", r#"{"capture": {"redact_secrets": false}}"#);
    repo.send(&text_part("p3", &format!("kept {secret}")));
    assert!(snapshot(&repo).contains(secret));
}

#[test]
fn files_over_the_size_limit_are_skipped_and_counted() {
    let repo = TestRepo::with_hook();
    repo.write(".sce/config.json", r#"{"attribution": {"max_file_bytes": 1000000}}"#);
    let agent = Agent::new(&repo, "ses_A", "p/m");
    let big: String = (0..200_000).map(|i| format!("{i}\n")).collect(); // ≈1.3 MB
    agent.write("big.txt", &big);
    agent.write("small.txt", "small\n");
    let record = {
        repo.commit_all("big");
        repo.record("HEAD")
    };
    assert_eq!(record["metadata"]["sce"]["large_files_skipped"], 1);
    let paths: Vec<&str> = record["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"small.txt") && !paths.contains(&"big.txt"), "{paths:?}");
}

#[test]
fn a_fifty_megabyte_envelope_is_stored_whole() {
    let repo = TestRepo::new();
    let text = "0123456789abcdef".repeat(50 * 1024 * 1024 / 16);
    let report = repo.send(&text_part("huge", &text));
    assert_eq!(report["persisted"], 1);
    let paths = StorePaths::in_common_dir(repo.sce_dir().parent().unwrap());
    let store = Store::open(&paths, &Default::default()).unwrap();
    assert_eq!(store.integrity_problems().unwrap(), None);
}

#[test]
fn deeply_nested_json_is_refused_cleanly() {
    let repo = TestRepo::new();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let out = repo.sce(&["hooks", "conversation-trace"], &deep);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not valid JSON") && stderr.lines().count() == 1, "{stderr}");
    let nested_item = format!(
        r#"{{"type":"message.part.updated","payloads":[{{"session_id":"s","message_id":"m","part_id":"p","part_type":"x","time_ms":1,"deep":{}1{}}}]}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    assert_eq!(repo.send(&serde_json::from_str(&nested_item).unwrap())["persisted"], 1);
}

#[test]
fn paths_that_leave_the_repository_are_rejected_per_item() {
    let repo = TestRepo::new();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.root.join("escape")).unwrap();
    std::fs::create_dir_all(repo.root.join("inside")).unwrap();
    std::os::unix::fs::symlink(repo.root.join("inside"), repo.root.join("fine")).unwrap();
    let patch = |part: &str, path: &str| {
        json!({"session_id": "s", "message_id": "m", "part_id": part, "part_type": "patch", "file_path": path,
               "after": "x\n", "time_ms": 1})
    };
    let report = repo.send(&json!({"type": "message.part.updated", "payloads": [
        patch("a", "../../etc/passwd"), patch("b", "/etc/passwd"), patch("c", "escape/secret.txt"),
        patch("d", "fine/ok.txt"), patch("e", "src/../../x"), patch("f", "-rf dir/odd \"name\".txt")]}));
    assert_eq!(report["persisted"], 2, "{report}");
    let errors: Vec<String> =
        report["diagnostics"].as_array().unwrap().iter().map(|d| d["error"].as_str().unwrap().to_string()).collect();
    assert!(errors[2].contains("through a symbolic link"), "{errors:?}");
    assert!(
        errors.iter().take(2).chain(errors.iter().skip(3)).all(|e| e.contains("outside the repository")),
        "{errors:?}"
    );
    assert!(!outside.path().join("secret.txt").exists());
}

#[test]
fn hook_scripts_cannot_be_injected_through_paths_or_branch_names() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("a $(touch injected) 'b' \"c\" `touch injected2`");
    std::fs::create_dir_all(&root).unwrap();
    let repo = TestRepo::at(&root);
    repo.git(&["init", "-q", "-b", "main"]);
    repo.git(&["config", "user.name", "T"]);
    repo.git(&["config", "user.email", "t@example.com"]);
    let bin_dir = root.join("bin $(touch injected3)");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let sce = bin_dir.join("sce");
    std::fs::copy(common::sce_bin(), &sce).unwrap();
    let out = std::process::Command::new(&sce).arg("setup").current_dir(&root).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    repo.git(&["checkout", "-q", "-b", "x$(touch${IFS}injected4)"]);
    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    let git_dir = std::process::Command::new("sh").args(["-c", "command -v git"]).output().unwrap();
    let git_dir = std::path::Path::new(String::from_utf8_lossy(&git_dir.stdout).trim()).parent().unwrap().to_path_buf();
    let out = std::process::Command::new("git")
        .args(["commit", "-q", "-m", "m"])
        .current_dir(&root)
        .env("PATH", git_dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    for name in ["injected", "injected2", "injected3", "injected4"] {
        assert!(!root.join(name).exists() && !base.path().join(name).exists(), "{name} was created");
    }
    let record = run_sce(&root, &["trace", "show", "--json"], "", &[]);
    let record: Value = serde_json::from_slice(&record.stdout).unwrap();
    assert_eq!(counts(&record).2, 1);
}

#[test]
fn symlinks_and_submodules_in_a_commit_are_left_alone() {
    let sub = TestRepo::new();
    sub.write("lib.txt", "lib\n");
    sub.commit_all("sub");
    let repo = TestRepo::with_hook();
    std::os::unix::fs::symlink("target.txt", repo.root.join("link.txt")).unwrap();
    repo.write("target.txt", "t\n");
    let out = std::process::Command::new("git")
        .args(["-c", "protocol.file.allow=always", "submodule", "add", "-q"])
        .arg(&sub.root)
        .arg("vendor/sub")
        .current_dir(&repo.root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = repo.commit_all("symlink and submodule");
    assert!(stderr.is_empty(), "{stderr}");
    let record = repo.record("HEAD");
    let paths: Vec<&str> = record["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"target.txt") && paths.contains(&".gitmodules"), "{paths:?}");
    assert!(!paths.contains(&"link.txt") && !paths.contains(&"vendor/sub"), "{paths:?}");
}

#[test]
fn a_hundred_megabyte_file_is_skipped_by_default() {
    let repo = TestRepo::with_hook();
    let line = "a fairly ordinary line of generated text, repeated many times over\n";
    let big = line.repeat(100 * 1024 * 1024 / line.len() + 1);
    std::fs::write(repo.root.join("huge.log"), &big).unwrap();
    repo.write("small.txt", "small\n");
    let stderr = repo.commit_all("huge");
    assert!(stderr.is_empty(), "{stderr}");
    let record = repo.record("HEAD");
    assert_eq!(record["metadata"]["sce"]["large_files_skipped"], 1);
    assert_eq!(counts(&record).2, 1, "only small.txt is attributed");
}
