//! Faults, with real processes: a damaged, deleted, truncated, read-only or full
//! database; `kill -9` of intake and of post-commit at random points; concurrent
//! commits in two worktrees while intake is busy. The commit always succeeds,
//! nothing acknowledged is lost, and `sce doctor --fix` recovers what it can.

use std::process::{Command, Stdio};

use crate::common;
use crate::common::{Agent, TestRepo, counts, problem_names};
use sce::store::{CountedTable, Store, StorePaths};
use serde_json::{Value, json};

fn paths(repo: &TestRepo) -> StorePaths {
    StorePaths::in_common_dir(repo.sce_dir().parent().unwrap())
}

fn message(id: &str) -> Value {
    json!({"type": "message.updated", "payloads": [{"session_id": "ses_f", "message_id": id, "role": "user",
           "time_created_ms": 1}]})
}

/// Commits everything; asserts git succeeded and returns the hook's stderr.
fn commit(repo: &TestRepo, msg: &str) -> String {
    repo.git(&["add", "-A"]);
    let out = repo.git(&["commit", "-q", "-m", msg]);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn doctor(repo: &TestRepo, fix: bool) -> (i32, Value) {
    repo.doctor(if fix { &["--fix"] } else { &[] })
}

/// Damages the DB with `damage`, then checks the whole recovery story.
fn recovery_after(damage: impl Fn(&std::path::Path)) {
    let repo = TestRepo::new();
    assert!(repo.sce(&["setup"], "").status.success());
    repo.write("a.txt", "a\n");
    assert_eq!(commit(&repo, "before"), "");
    damage(&paths(&repo).db);
    // Intake: acknowledged through the spool.
    let out = repo.sce(&["hooks", "conversation-trace"], &message("while-broken").to_string());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["spooled"], 1, "{report}");
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    // A commit still succeeds, with one line on stderr.
    repo.write("b.txt", "b\n");
    let stderr = commit(&repo, "while broken");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("sce trace backfill"), "{stderr}");
    // doctor names it; --fix recovers.
    let (code, report) = doctor(&repo, false);
    assert_eq!(code, 8);
    assert!(problem_names(&report).contains(&"database".to_string()), "{report}");
    let (code, report) = doctor(&repo, true);
    assert_eq!(code, 0, "{report}");
    assert_eq!(counts(&repo.record("HEAD")), (0, 0, 1, 0));
    let store = Store::open(&paths(&repo), &Default::default()).unwrap();
    assert_eq!(store.messages_of_session("ses_f").unwrap().len(), 1, "the spooled event is stored once");
    assert_eq!(store.integrity_problems().unwrap(), None);
}

#[test]
fn a_database_replaced_with_garbage_is_survived_and_repaired() {
    recovery_after(|db| std::fs::write(db, vec![0x5a; 64 * 1024]).unwrap());
}

#[test]
fn a_truncated_database_is_survived_and_repaired() {
    recovery_after(|db| {
        let bytes = std::fs::read(db).unwrap();
        std::fs::write(db, &bytes[..bytes.len().min(100)]).unwrap();
    });
}

#[test]
fn a_deleted_database_is_recreated_and_said_so() {
    let repo = TestRepo::new();
    assert!(repo.sce(&["setup"], "").status.success());
    std::fs::remove_file(paths(&repo).db).unwrap();
    repo.write("a.txt", "a\n");
    let stderr = commit(&repo, "after deletion");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("was missing"), "{stderr}");
    assert_eq!(counts(&repo.record("HEAD")), (0, 0, 1, 0));
    assert_eq!(doctor(&repo, false).0, 0);
}

/// Runs `f` with `path` made immutable (chattr +i), which even root cannot write.
fn with_immutable(path: &std::path::Path, f: impl FnOnce()) {
    let set = Command::new("chattr").arg("+i").arg(path).status();
    assert!(set.is_ok_and(|s| s.success()), "chattr +i is needed for the read-only test (root, ext4)");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let _ = Command::new("chattr").arg("-i").arg(path).status();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn a_read_only_database_never_blocks_a_commit() {
    let repo = TestRepo::new();
    assert!(repo.sce(&["setup"], "").status.success());
    let db = paths(&repo).db;
    with_immutable(&db, || {
        let out = repo.sce(&["hooks", "conversation-trace"], &message("ro").to_string());
        assert_eq!(out.status.code(), Some(0));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["persisted"].as_u64().unwrap() + report["spooled"].as_u64().unwrap(), 1, "{report}");
        repo.write("a.txt", "a\n");
        let stderr = commit(&repo, "read-only");
        assert!(stderr.lines().count() <= 1, "{stderr}");
    });
    let (code, report) = doctor(&repo, true);
    assert_eq!(code, 0, "{report}");
    assert_eq!(counts(&repo.record("HEAD")), (0, 0, 1, 0));
    let store = Store::open(&paths(&repo), &Default::default()).unwrap();
    assert_eq!(store.messages_of_session("ses_f").unwrap().len(), 1);
}

#[test]
fn a_full_disk_refuses_to_acknowledge_and_never_blocks_a_commit() {
    let repo = TestRepo::new();
    let sce_dir = repo.sce_dir();
    std::fs::create_dir_all(&sce_dir).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"]).arg(&sce_dir).status();
    assert!(mounted.is_ok_and(|s| s.success()), "a tmpfs mount is needed for the full-disk test (root)");
    let result = std::panic::catch_unwind(|| {
        assert!(repo.sce(&["setup"], "").status.success());
        // Fill the disk.
        let filler = sce_dir.join("filler");
        let _ = std::fs::write(&filler, vec![0u8; 4 * 1024 * 1024]);
        let big = json!({"type": "message.part.updated", "payloads": [{"session_id": "s", "message_id": "m",
            "part_id": "p", "part_type": "text", "text": "x".repeat(512 * 1024), "time_ms": 1}]});
        let out = repo.sce(&["hooks", "conversation-trace"], &big.to_string());
        assert_eq!(out.status.code(), Some(4), "not acknowledged: {}", String::from_utf8_lossy(&out.stderr));
        repo.write("a.txt", "a\n");
        let stderr = commit(&repo, "disk full");
        assert!(stderr.lines().count() <= 1, "{stderr}");
        assert_eq!(repo.git_stdout(&["rev-list", "--count", "HEAD"]).trim(), "1");
        std::fs::remove_file(&filler).unwrap();
        let (code, report) = doctor(&repo, true);
        assert_eq!(code, 0, "{report}");
        assert_eq!(counts(&repo.record("HEAD")), (0, 0, 1, 0));
    });
    let _ = Command::new("umount").arg(&sce_dir).status();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn kill_9_at_random_points_loses_nothing_acknowledged() {
    let repo = TestRepo::new();
    assert!(repo.sce(&["setup"], "").status.success());
    repo.write("seed.txt", "seed\n");
    commit(&repo, "seed");
    let mut acknowledged = Vec::new();
    let mut unmarked_commits = Vec::new();
    for round in 0..200u64 {
        let part = format!("p{round}");
        let envelope = json!({"type": "message.part.updated", "payloads": [{"session_id": "ses_k", "message_id": "m",
            "part_id": part, "part_type": "text", "text": format!("round {round} {}", "y".repeat(2000)), "time_ms": 1}]});
        let mut child = Command::new(common::sce_bin())
            .args(["hooks", "conversation-trace"])
            .current_dir(&repo.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        let _ = child.stdin.take().unwrap().write_all(envelope.to_string().as_bytes());
        std::thread::sleep(std::time::Duration::from_micros(fastrand_like(round) % 60_000));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        if let Ok(report) = serde_json::from_slice::<Value>(&out.stdout)
            && report["persisted"].as_u64().unwrap_or(0) + report["spooled"].as_u64().unwrap_or(0) == 1
        {
            acknowledged.push(round);
        }
        // Every tenth round, kill a post-commit mid-flight.
        if round % 10 == 0 {
            repo.write("k.txt", &format!("{round}\n"));
            repo.git(&["add", "-A"]);
            repo.git(&["-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", &format!("k{round}")]);
            let mut hook = Command::new(common::sce_bin())
                .args(["hooks", "post-commit"])
                .current_dir(&repo.root)
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_micros(fastrand_like(round + 7) % 30_000));
            let _ = hook.kill();
            let _ = hook.wait();
            unmarked_commits.push(repo.head());
        }
    }
    assert!(!acknowledged.is_empty());
    // Drain anything spooled, then check: sound DB, every acknowledged event exactly once.
    repo.send(&message("after"));
    let store = Store::open(&paths(&repo), &Default::default()).unwrap();
    assert_eq!(store.integrity_problems().unwrap(), None);
    let snapshot = store.snapshot().unwrap().join("\n");
    for round in &acknowledged {
        assert_eq!(snapshot.matches(&format!("\"round {round} ")).count(), 1, "round {round}");
    }
    drop(store);
    // Every commit has a record, or doctor lists it and --fix produces it.
    let (_, report) = doctor(&repo, true);
    assert_eq!(report["ready"], true, "{report}");
    for commit in unmarked_commits {
        assert_eq!(repo.record(&commit)["vcs"]["revision"], commit);
    }
}

/// A cheap deterministic spread of delays.
fn fastrand_like(seed: u64) -> u64 {
    seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) >> 33
}

#[test]
fn concurrent_commits_in_two_worktrees_while_intake_is_busy() {
    let repo = TestRepo::new();
    assert!(repo.sce(&["setup"], "").status.success());
    repo.write("base.txt", "base\n");
    commit(&repo, "base");
    let wt_path = repo.root.parent().unwrap().join("second");
    repo.git(&["worktree", "add", "-q", "-b", "second", wt_path.to_str().unwrap()]);
    let second = TestRepo::at(&wt_path);
    std::thread::scope(|scope| {
        for (tree, name) in [(&repo, "main"), (&second, "second")] {
            scope.spawn(move || {
                let agent = Agent::new(tree, &format!("ses_{name}"), "p/m");
                for n in 0..8 {
                    agent.write(&format!("{name}-{n}.txt"), &format!("{name} {n}\n"));
                    let stderr = commit(tree, &format!("{name} {n}"));
                    assert!(stderr.is_empty(), "{stderr}");
                }
            });
        }
        scope.spawn(|| {
            for n in 0..100 {
                let report = repo.send(&message(&format!("busy-{n}")));
                assert_eq!(report["persisted"].as_u64().unwrap() + report["spooled"].as_u64().unwrap(), 1);
            }
        });
    });
    for (tree, name) in [(&repo, "main"), (&second, "second")] {
        for n in 0..8 {
            let rev = format!("HEAD~{}", 7 - n);
            let record = tree.record(&rev);
            let file =
                record["files"].as_array().unwrap().iter().find(|f| f["path"] == format!("{name}-{n}.txt")).cloned();
            let file = file.unwrap_or_else(|| panic!("{name} {n}: {record}"));
            assert_eq!(file["conversations"][0]["url"], format!("urn:sce:session:ses_{name}"));
        }
    }
    let store = Store::open(&paths(&repo), &Default::default()).unwrap();
    assert_eq!(store.integrity_problems().unwrap(), None);
    assert!(store.count(CountedTable::Messages).unwrap() >= 100);
}

/// Runs sce with `args` (and `env`), kills it after `delay_us`; returns its stdout.
fn run_and_kill(repo: &TestRepo, args: &[&str], env: &[(&str, &str)], stdin: &str, delay_us: u64) -> Vec<u8> {
    let mut child = Command::new(common::sce_bin())
        .args(args)
        .envs(env.iter().copied())
        .current_dir(&repo.root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    // Kill it at `delay_us`, unless it has finished by then.
    let deadline = std::time::Instant::now() + std::time::Duration::from_micros(delay_us);
    while std::time::Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    let _ = child.kill();
    child.wait_with_output().unwrap().stdout
}

#[test]
fn kill_9_during_checkpoint_and_gc_loses_nothing_acknowledged() {
    let repo = TestRepo::new();
    assert!(repo.sce(&["setup"], "").status.success());
    repo.write("seed.txt", "seed\n");
    commit(&repo, "seed");
    // A WAL bound of 0: every process checkpoints and truncates the WAL as it closes;
    // retention 0: every gc strips every folded edit.
    // Commits do no gc of their own, so texts pile up until each `sce gc` frees enough to compact.
    let env = [
        ("SCE_RETENTION_WAL_MAX_BYTES", "0"),
        ("SCE_RETENTION_EDIT_TEXTS_DAYS", "0"),
        ("SCE_RETENTION_AUTO_GC", "false"),
    ];
    let mut acknowledged = Vec::new();
    #[derive(Debug, Default)]
    struct GcRuns {
        killed: u32,
        finished: u32,
        compacted: u32,
    }
    let mut gc_runs = GcRuns::default();
    for round in 0..120u64 {
        let file = format!("f{}.txt", round % 5);
        let before = std::fs::read_to_string(repo.root.join(&file)).unwrap_or_default();
        // Incompressible texts, so stripped ones free enough pages for gc to compact.
        let noise: String = {
            let mut x = fastrand_like(round) | 1;
            (1..=120_000)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // Lines of 80 characters: attribution's cost follows lines, not bytes.
                    if i % 80 == 0 { '\n' } else { char::from(b'a' + (x % 26) as u8) }
                })
                .collect()
        };
        // A whole new file each time: nothing for a delta to share with the before.
        let after = format!("round {round} {noise}\n");
        let envelope = json!({"type": "message.part.updated", "payloads": [
            {"session_id": "ses_k", "message_id": "m", "part_id": format!("t{round}"), "part_type": "text",
             "text": format!("round {round} {}", "y".repeat(2000)), "time_ms": 1},
            {"session_id": "ses_k", "message_id": "m", "part_id": format!("e{round}"), "part_type": "patch",
             "file_path": file, "before": before, "after": after, "time_ms": 1}]});
        let stdout = run_and_kill(
            &repo,
            &["hooks", "conversation-trace"],
            &env,
            &envelope.to_string(),
            // Every other intake is killed within 30 ms (opening, storing or checkpointing); the rest finish.
            if round % 2 == 0 { fastrand_like(round) % 30_000 } else { 5_000_000 },
        );
        if let Ok(report) = serde_json::from_slice::<Value>(&stdout)
            && report["persisted"].as_u64().unwrap_or(0) + report["spooled"].as_u64().unwrap_or(0) == 2
        {
            acknowledged.push(round);
            repo.write(&file, &after);
        }
        if round % 12 == 11 {
            // A commit whose hook (attribution, gc pass, checkpoint) is killed mid-flight, or not…
            repo.git(&["add", "-A"]);
            repo.git(&["-c", "core.hooksPath=/dev/null", "commit", "-q", "--allow-empty", "-m", &format!("k{round}")]);
            let delay = if round % 24 == 11 { fastrand_like(round + 3) % 200_000 } else { 10_000_000 };
            run_and_kill(&repo, &["hooks", "post-commit"], &env, "", delay);
            // …and a full gc (compaction included) killed mid-flight, or not.
            // Every other gc is killed within its first 20 ms; the rest run to the end (and compact).
            let delay = if round % 24 == 11 { fastrand_like(round + 5) % 20_000 } else { 10_000_000 };
            let out = run_and_kill(&repo, &["gc", "--json"], &env, "", delay);
            match serde_json::from_slice::<Value>(&out) {
                Ok(report) if report["compacted"] == true => gc_runs.compacted += 1,
                Ok(_) => gc_runs.finished += 1,
                Err(_) => gc_runs.killed += 1,
            }
        }
    }
    assert!(acknowledged.len() > 10, "too few rounds got through: {}", acknowledged.len());
    assert!(gc_runs.killed > 0 && gc_runs.compacted > 0, "gc was not both killed and compacting: {gc_runs:?}");
    // The next calls find a sound DB: nothing half-done is left in the way.
    repo.send(&message("after"));
    let out = repo.sce(&["gc", "--json"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!paths(&repo).dir.join("agent-trace.db.compacting").exists(), "a compaction was left behind");
    let store = Store::open(&paths(&repo), &Default::default()).unwrap();
    assert_eq!(store.integrity_problems().unwrap(), None);
    assert_eq!(store.unfolded_edits_missing_texts().unwrap(), 0, "gc removed texts a commit still needs");
    let snapshot = store.snapshot().unwrap().join("\n");
    for round in &acknowledged {
        assert_eq!(snapshot.matches(&format!("\"round {round} ")).count(), 1, "round {round}");
        assert_eq!(snapshot.matches(&format!("\"e{round}\"")).count(), 1, "edit of round {round}");
    }
    drop(store);
    // Every commit gets its record, and the last agent edits are still attributed.
    let (_, report) = doctor(&repo, true);
    assert_eq!(report["ready"], true, "{report}");
    repo.git(&["add", "-A"]);
    let out = repo.git(&["commit", "-q", "--allow-empty", "-m", "final"]);
    assert!(out.status.success());
    let store = Store::open(&paths(&repo), &Default::default()).unwrap();
    assert_eq!(store.integrity_problems().unwrap(), None);
}

#[test]
fn a_notes_lock_left_by_a_killed_writer_does_not_block_notes_forever() {
    let repo = TestRepo::new();
    assert!(repo.sce(&["setup"], "").status.success());
    repo.write("a.txt", "a\n");
    commit(&repo, "first");
    // What a writer killed between taking the ref lock and committing it leaves behind.
    let lock = repo.root.join(".git/refs/notes/agent-trace.lock");
    std::fs::write(&lock, "").unwrap();
    // A fresh lock may belong to a live writer: it is respected (the commit is marked for backfill).
    repo.write("b.txt", "b\n");
    let stderr = commit(&repo, "while locked");
    assert!(stderr.contains("sce trace backfill"), "{stderr}");
    // Once it is old enough to be a dead writer's, the next note clears it.
    let aged = Command::new("touch").args(["-d", "1 minute ago"]).arg(&lock).status().unwrap();
    assert!(aged.success());
    repo.write("c.txt", "c\n");
    assert_eq!(commit(&repo, "after"), "");
    assert!(!lock.exists());
    assert_eq!(repo.record("HEAD")["vcs"]["revision"], repo.head());
    let (_, report) = doctor(&repo, true);
    assert_eq!(report["ready"], true, "{report}");
}
