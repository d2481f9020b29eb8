//! Storage that stays flat as history grows, through the real binary, real
//! repositories and the real DB: the WAL stays bounded, edit texts are stored once,
//! gc never changes what a commit is attributed, and a DB written by the previous
//! release is migrated.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common;
use crate::common::{Agent, TestRepo, line_classes, run_sce};
use sce::store::{CountedTable, SCHEMA_VERSION, Store, StorePaths};
use serde_json::{Value, json};

const MODEL: &str = "anthropic/claude-sonnet-4-5";
const WAL_BOUND: u64 = 4 * 1024 * 1024;

fn paths(repo: &TestRepo) -> StorePaths {
    StorePaths::in_common_dir(repo.sce_dir().parent().unwrap())
}

fn wal(repo: &TestRepo) -> PathBuf {
    let mut wal = paths(repo).db.into_os_string();
    wal.push("-wal");
    PathBuf::from(wal)
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// A ~1.6 KB source file whose lines depend on `seed`.
fn source(seed: usize) -> String {
    (0..40).map(|i| format!("    value_{i} = compute(item_{seed}, offset={});\n", (seed * 31 + i) % 997)).collect()
}

/// Commits everything through the hook; asserts it printed nothing.
fn commit(repo: &TestRepo, msg: &str) -> Value {
    let stderr = repo.commit_all(msg);
    assert_eq!(stderr, "", "the hook printed: {stderr}");
    repo.record("HEAD")
}

/// Installs post-commit and post-rewrite hooks that run sce with `env` set (e.g.
/// `SCE_RETENTION_AUTO_GC=false`: the test's events are dated 2025, past the default
/// retention, so each commit's automatic gc would drop their texts at once).
fn hooks_with_env(repo: &TestRepo, env: &str) {
    let hooks = repo.root.join(repo.git_stdout(&["rev-parse", "--git-path", "hooks"]).trim());
    std::fs::create_dir_all(&hooks).unwrap();
    for hook in ["post-commit", "post-rewrite"] {
        let script = hooks.join(hook);
        let args = if hook == "post-commit" { "post-commit" } else { "post-rewrite \"$1\"" };
        std::fs::write(&script, format!("#!/bin/sh\n{env} exec '{}' hooks {args}\n", common::sce_bin())).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn count(repo: &TestRepo, table: CountedTable) -> i64 {
    Store::open(&paths(repo), &Default::default()).unwrap().count(table).unwrap()
}

#[test]
fn the_wal_stays_under_its_bound_over_10000_intakes() {
    let repo = TestRepo::with_hook();
    repo.write("seed.txt", "seed\n");
    commit(&repo, "seed");
    let root = repo.root.clone();
    let files = 50;
    let send = |n: usize, before: &str, after: &str| {
        let envelope = json!({"type": "message.part.updated", "tool_name": "opencode", "payloads": [{
            "session_id": format!("ses_{}", n % 7), "message_id": "msg_1", "part_id": format!("prt_{n:05}"),
            "part_type": "patch", "tool": "edit", "file_path": format!("src/f{}.py", n % files),
            "before": before, "after": after, "time_ms": 1_763_600_000_000u64 + n as u64}]});
        let out = run_sce(&root, &["hooks", "conversation-trace"], &envelope.to_string(), &[]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["persisted"], 1, "{report}");
    };
    let mut largest = 0;
    for thousand in 0..10 {
        // Two producers at once, as two agents would be; each checks the WAL after its process.
        let largest_seen: u64 = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..2)
                .map(|worker| {
                    let send = &send;
                    let repo = &repo;
                    scope.spawn(move || {
                        let mut largest = 0;
                        for i in (worker..1000).step_by(2) {
                            let n = thousand * 1000 + i;
                            send(n, &source(n), &source(n + files));
                            largest = largest.max(size(&wal(repo)));
                        }
                        largest
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).max().unwrap()
        });
        largest = largest.max(largest_seen);
        // A commit now and then folds the edits, as a person working would.
        for f in 0..files {
            repo.write(&format!("src/f{f}.py"), &source(thousand * 1000 + f));
        }
        commit(&repo, &format!("after {thousand}k intakes"));
        largest = largest.max(size(&wal(&repo)));
    }
    assert!(largest <= WAL_BOUND, "the WAL reached {largest} bytes (bound {WAL_BOUND})");
    assert_eq!(count(&repo, CountedTable::Parts), 10_000);
    let store = Store::open(&paths(&repo), &Default::default()).unwrap();
    assert_eq!(store.integrity_problems().unwrap(), None);
}

#[test]
fn an_edit_text_is_stored_once() {
    let repo = TestRepo::new();
    hooks_with_env(&repo, "SCE_RETENTION_AUTO_GC=false");
    repo.write("seed.txt", "seed\n");
    commit(&repo, "seed");
    let agent = Agent::new(&repo, "ses_A", MODEL);
    agent.write("a.py", &source(1));
    assert_eq!(count(&repo, CountedTable::Texts), 1);
    // The second edit's before is the first edit's after: one new text, not two.
    agent.edit("a.py", "value_0 = compute", "value_0 = recompute");
    assert_eq!(count(&repo, CountedTable::Texts), 2);
    agent.edit("a.py", "value_1 = compute", "value_1 = recompute");
    assert_eq!(count(&repo, CountedTable::Texts), 3);
    // The same content in another file is the same text.
    agent.write("b.py", &source(1));
    assert_eq!(count(&repo, CountedTable::Texts), 3);
    assert_eq!(count(&repo, CountedTable::EditTexts), 4);
    // A patch that comes with its after is not kept: attribution reads the after.
    agent.report(json!({"file_path": "c.py", "tool": "edit", "after": "x\n",
                        "patch": "--- /dev/null\n+++ b/c.py\n@@ -0,0 +1 @@\n+x\n"}));
    repo.write("c.py", "x\n");
    assert_eq!(count(&repo, CountedTable::Texts), 4);
    let record = commit(&repo, "agent work");
    assert_eq!(line_classes(&record, "a.py", 40).iter().filter(|c| *c == "ai:ses_A").count(), 40);
    assert_eq!(line_classes(&record, "c.py", 1), vec!["ai:ses_A"]);
}

/// Strips what differs between two runs of one scenario: ids, times, commit shas.
fn comparable(mut record: Value) -> Value {
    let object = record.as_object_mut().unwrap();
    for key in ["id", "timestamp", "vcs"] {
        object.remove(key);
    }
    if let Some(sce) = record["metadata"]["sce"].as_object_mut() {
        sce.remove("carried_from");
    }
    record
}

/// One scenario: agent sessions, a person's edits, edits left uncommitted across a
/// gc, a rename, an amend. `gc` runs between the steps when given.
fn scenario(gc: Option<&[&str]>) -> Vec<Value> {
    let repo = TestRepo::new();
    // Without gc, nothing is ever removed; with it, each commit's automatic pass runs too.
    hooks_with_env(&repo, if gc.is_some() { "" } else { "SCE_RETENTION_AUTO_GC=false" });
    let run_gc = || {
        let report = if let Some(args) = gc {
            let out = repo.sce(args, "");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).into_owned()
        } else {
            String::new()
        };
        // Agents send a message again whenever it changes (OpenCode: every update of
        // the turn), so a session that goes on has its message stored again even if
        // conversation retention removed it meanwhile.
        for (session, model) in [("ses_A", MODEL), ("ses_B", "openai/gpt-5.1")] {
            repo.send(&json!({"type": "message.updated", "tool_name": "opencode", "tool_version": "1.18.33",
                "payloads": [{"session_id": session, "message_id": "msg_1", "role": "assistant",
                              "model_id": model, "time_created_ms": 1_763_600_000_000u64}]}));
        }
        report
    };
    let mut records = Vec::new();
    repo.write("base.py", &source(0));
    records.push(commit(&repo, "base"));
    let a = Agent::new(&repo, "ses_A", MODEL);
    a.write("app.py", &source(1));
    a.edit("base.py", "value_0 = compute", "value_0 = recompute");
    records.push(commit(&repo, "session A"));
    let first = run_gc();
    if gc.is_some() {
        let report: Value = serde_json::from_str(&first).unwrap();
        // The commit's automatic pass got there first: nothing is left to remove.
        assert_eq!(report["edits_stripped"], 0, "{report}");
        assert_eq!(count(&repo, CountedTable::EditTexts), 0, "the automatic pass removed nothing");
    }
    // Edits not committed yet must survive gc.
    a.edit("app.py", "value_2 = compute", "value_2 = recompute");
    a.write("new.py", "def new():\n    return 1\n");
    run_gc();
    repo.write("app.py", &repo.read("app.py").replace("value_1 = compute", "value_1 = compute  # person"));
    records.push(commit(&repo, "more of A, a person's edit"));
    run_gc();
    let b = Agent::new(&repo, "ses_B", "openai/gpt-5.1");
    repo.git(&["mv", "new.py", "renamed.py"]);
    b.edit("renamed.py", "return 1", "return 2");
    b.edit("base.py", "value_5 = compute", "value_5 = recompute");
    run_gc();
    records.push(commit(&repo, "session B"));
    run_gc();
    b.edit("app.py", "value_9 = compute", "value_9 = recompute");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--amend", "-m", "session B, amended"]);
    records.push(repo.record("HEAD"));
    run_gc();
    let store = Store::open(&paths(&repo), &Default::default()).unwrap();
    assert_eq!(store.unfolded_edits_missing_texts().unwrap(), 0);
    assert_eq!(store.integrity_problems().unwrap(), None);
    records.into_iter().map(comparable).collect()
}

#[test]
fn gc_never_changes_what_a_commit_is_attributed() {
    let without = scenario(None);
    let with = scenario(Some(&["-c", "retention.edit_texts_days=0", "gc", "--json"]));
    assert_eq!(with, without);
    // Dropping conversations too (everything older than a day: the test's events are from 2025).
    let with_conversations =
        scenario(Some(&["-c", "retention.edit_texts_days=0", "-c", "retention.conversations_days=1", "gc", "--json"]));
    assert_eq!(with_conversations, without);
}

#[test]
fn gc_dry_run_changes_nothing_and_gc_reclaims_space() {
    let repo = TestRepo::new();
    hooks_with_env(&repo, "SCE_RETENTION_AUTO_GC=false");
    repo.write("seed.txt", "seed\n");
    commit(&repo, "seed");
    let agent = Agent::new(&repo, "ses_A", MODEL);
    // Incompressible texts, so freed pages add up to more than the compaction threshold.
    let mut rng = 0x9e3779b97f4a7c15u64;
    for i in 0..40 {
        let text: String = (0..60_000)
            .map(|_| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                char::from(b'a' + (rng % 26) as u8)
            })
            .collect();
        agent.write(&format!("big{}.txt", i % 4), &(text + "\n"));
    }
    commit(&repo, "big agent files");
    let snapshot = || Store::open(&paths(&repo), &Default::default()).unwrap().snapshot().unwrap();
    let before = snapshot();
    let out = repo.sce(&["-c", "retention.edit_texts_days=0", "gc", "--dry-run", "--json"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dry: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["edits_stripped"], 40, "{dry}");
    assert_eq!(snapshot(), before, "a dry run changed the DB");
    let out = repo.sce(&["-c", "retention.edit_texts_days=0", "gc", "--json"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(done["edits_stripped"], 40, "{done}");
    assert_eq!(done["texts_removed"], 40, "{done}");
    assert_eq!(done["compacted"], true, "{done}");
    let (before_bytes, after_bytes) =
        (done["before"]["db_bytes"].as_u64().unwrap(), done["after"]["db_bytes"].as_u64().unwrap());
    assert!(after_bytes * 2 < before_bytes, "compaction left {after_bytes} of {before_bytes} bytes");
    assert_eq!(size(&paths(&repo).db), after_bytes);
    // The compacted DB is sound and keeps the views: the agent's file is still the agent's.
    agent.edit("big0.txt", "\n", "\nmore\n");
    let record = commit(&repo, "after gc");
    assert_eq!(line_classes(&record, "big0.txt", 2), vec!["-", "ai:ses_A"]);
    let store = Store::open(&paths(&repo), &Default::default()).unwrap();
    assert_eq!(store.integrity_problems().unwrap(), None);
    // doctor reports the sizes.
    drop(store);
    let (_, report) = repo.doctor(&[]);
    let storage = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "storage").unwrap().clone();
    assert!(storage["detail"].as_str().unwrap().contains("WAL"), "{storage}");
}

/// Copies the schema-1 fixture into a repository whose history matches it
/// (see tests/fixtures/make-v1-db.sh).
fn repo_with_v1_db() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("base.txt", "one\nTWO\nthree\n");
    repo.write("a.py", "def a():\n    return 1\n");
    repo.commit_all("the state the v1 DB's views describe");
    let db = paths(&repo).db;
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/agent-trace-v1.db");
    std::fs::copy(fixture, &db).unwrap();
    repo.install_hook();
    repo
}

#[test]
fn a_v1_database_is_migrated_and_keeps_attributing() {
    let repo = repo_with_v1_db();
    {
        let store = Store::open(&paths(&repo), &Default::default()).unwrap();
        assert_eq!(store.user_version().unwrap(), SCHEMA_VERSION as i64);
        assert_eq!(store.integrity_problems().unwrap(), None);
        assert_eq!(store.count(CountedTable::Messages).unwrap(), 1);
        assert_eq!(store.count(CountedTable::Parts).unwrap(), 7);
        assert_eq!(store.count(CountedTable::Records).unwrap(), 2);
        // 11 texts in 6 edits, 7 distinct: befores repeat the afters before them.
        assert_eq!(store.count(CountedTable::EditTexts).unwrap(), 6);
        assert_eq!(store.count(CountedTable::Texts).unwrap(), 7);
        assert_eq!(store.unfolded_edits_missing_texts().unwrap(), 0);
    }
    // The edits made after the v1 commit are attributed; the migrated view knows TWO is the agent's.
    repo.write("a.py", "def a():\n    return 2\n");
    repo.write("b.py", "x = 1\ny = 2\n");
    repo.write("c.py", "print(\"c\")\n");
    repo.write("base.txt", "one\nTWO!\nthree\nfour\n");
    let record = commit(&repo, "after the upgrade");
    assert_eq!(line_classes(&record, "a.py", 2), vec!["-", "ai:ses_v1"]);
    assert_eq!(line_classes(&record, "b.py", 2), vec!["ai:ses_v1", "ai:ses_v1"]);
    assert_eq!(line_classes(&record, "c.py", 1), vec!["ai:ses_v1"]);
    assert_eq!(line_classes(&record, "base.txt", 4), vec!["-", "mixed:ses_v1", "-", "ai:ses_v1"]);
    assert_eq!(record["files"][0]["conversations"][0]["contributor"]["model_id"], MODEL);
    // The fixture's edits are older than the retention: once folded, the commit's gc dropped their texts.
    assert_eq!(count(&repo, CountedTable::EditTexts), 0);
    assert_eq!(count(&repo, CountedTable::Texts), 0);
    assert_eq!(count(&repo, CountedTable::Parts), 7, "conversations are kept");
}

#[test]
fn a_database_from_a_newer_sce_is_refused_with_a_clear_error() {
    let repo = repo_with_v1_db();
    let db = paths(&repo).db;
    {
        let store = Store::open(&paths(&repo), &Default::default()).unwrap();
        drop(store);
    }
    let conn_db = pollster::block_on(turso::Builder::new_local(db.to_str().unwrap()).build()).unwrap();
    let conn = conn_db.connect().unwrap();
    pollster::block_on(conn.execute(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1), ())).unwrap();
    drop(conn);
    drop(conn_db);
    let out = Command::new(common::sce_bin())
        .args(["trace", "show", "HEAD"])
        .current_dir(&repo.root)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("newer than this sce knows"), "{stderr}");
}
