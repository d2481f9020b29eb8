//! Capture scenarios: `sce hooks conversation-trace` against a real repo and DB.

use crate::common;
use crate::common::{TestRepo, run_sce};
use sce::store::{CountedTable, Store, StorePaths};
use serde_json::{Value, json};

fn store_paths(repo: &TestRepo) -> StorePaths {
    StorePaths::in_common_dir(repo.sce_dir().parent().unwrap())
}

fn open_store(repo: &TestRepo) -> Store {
    Store::open(&store_paths(repo), &Default::default()).unwrap()
}

fn message(session: &str, message: &str) -> Value {
    json!({"session_id": session, "message_id": message, "role": "assistant",
           "model_id": "anthropic/claude-sonnet-4-5", "time_created_ms": 1_763_600_000_000u64})
}

fn messages(items: Vec<Value>) -> Value {
    json!({"type": "message.updated", "tool_name": "opencode", "tool_version": "1.18.33", "payloads": items})
}

fn parts(items: Vec<Value>) -> Value {
    json!({"type": "message.part.updated", "tool_name": "opencode", "payloads": items})
}

fn text_part(part: &str, text: &str) -> Value {
    json!({"session_id": "ses_1", "message_id": "msg_1", "part_id": part, "part_type": "text",
           "text": text, "time_ms": 1_763_600_001_000u64})
}

/// Sends raw stdin; returns (exit code, stdout JSON or Null, stderr).
fn send_raw(repo: &TestRepo, stdin: &str) -> (i32, Value, String) {
    let out = repo.sce(&["hooks", "conversation-trace"], stdin);
    let stdout: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_valid_envelope_is_persisted_and_reported() {
    let repo = TestRepo::new();
    let report = repo.send(&messages(vec![message("ses_1", "msg_1"), message("ses_1", "msg_2")]));
    assert_eq!(report, json!({"attempted": 2, "persisted": 2, "skipped": 0, "spooled": 0, "diagnostics": []}));
    let report = repo.send(&parts(vec![
        text_part("prt_1", "I'll add a helper."),
        json!({"session_id": "ses_1", "message_id": "msg_1", "part_id": "prt_2", "part_type": "patch",
               "tool": "edit", "file_path": "src/lib.rs", "before": "a\n", "after": "b\n", "time_ms": 1}),
        json!({"session_id": "ses_1", "message_id": "msg_1", "part_id": "prt_3", "part_type": "step-start",
               "time_ms": 1, "snapshot": "abc"}),
    ]));
    assert_eq!(report["persisted"], 3);
    let store = open_store(&repo);
    assert_eq!(store.count(CountedTable::Messages).unwrap(), 2);
    assert_eq!(store.count(CountedTable::Parts).unwrap(), 3);
    let snapshot = store.snapshot().unwrap().join("\n");
    assert!(
        snapshot.contains("step-start") && snapshot.contains("\\\"snapshot\\\":\\\"abc\\\""),
        "opaque part kept whole"
    );
}

#[test]
fn the_db_lives_in_the_git_common_dir_with_private_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let repo = TestRepo::new();
    repo.send(&messages(vec![message("ses_1", "msg_1")]));
    let dir = repo.root.join(".git/sce");
    assert!(dir.join("agent-trace.db").is_file());
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(std::fs::metadata(dir.join("agent-trace.db")).unwrap().permissions().mode() & 0o077, 0);
}

#[test]
fn invalid_envelopes_exit_3_with_one_line_reason() {
    let repo = TestRepo::new();
    let cases = [
        ("not json", "not valid JSON"),
        ("[1,2]", "top level must be a JSON object"),
        (r#"{"payloads": []}"#, "\"type\" is missing"),
        (r#"{"type": "session.created", "payloads": []}"#, "expected \"message.updated\""),
        (r#"{"type": "message.updated"}"#, "\"payloads\" is missing"),
        (r#"{"type": "message.updated", "payloads": {}}"#, "\"payloads\" must be an array"),
        (
            r#"{"type": "message.updated", "payloads": [{"type": "message.part.updated"}]}"#,
            "payloads[0] carries its own \"type\"",
        ),
        (r#"{"type": "message.updated", "tool_name": 3, "payloads": []}"#, "\"tool_name\" must be a string"),
    ];
    for (input, expected) in cases {
        let (code, stdout, stderr) = send_raw(&repo, input);
        assert_eq!(code, 3, "{input}: {stderr}");
        assert_eq!(stdout, Value::Null, "{input}: nothing on stdout");
        assert!(stderr.contains(expected), "{input}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{input}: one line: {stderr}");
    }
}

#[test]
fn each_invalid_message_item_is_skipped_with_its_index_and_field() {
    let repo = TestRepo::new();
    let good = message("ses_1", "msg_ok");
    let mut bad: Vec<(Value, &str)> = Vec::new();
    let without = |key: &str| {
        let mut m = message("ses_1", "m");
        m.as_object_mut().unwrap().remove(key);
        m
    };
    let with = |key: &str, value: Value| {
        let mut m = message("ses_1", "m");
        m[key] = value;
        m
    };
    bad.push((without("session_id"), "session_id: is required"));
    bad.push((without("message_id"), "message_id: is required"));
    bad.push((without("role"), "role: is required"));
    bad.push((without("time_created_ms"), "time_created_ms: is required"));
    bad.push((with("role", json!("system")), "role: must be \"user\" or \"assistant\""));
    bad.push((with("time_created_ms", json!(-1)), "time_created_ms: must be an integer"));
    bad.push((with("time_created_ms", json!(1.5)), "time_created_ms: must be an integer"));
    bad.push((with("time_created_ms", json!("1")), "time_created_ms: must be an integer"));
    bad.push((with("time_completed_ms", json!(-5)), "time_completed_ms: must be an integer"));
    bad.push((with("model_id", json!("no-provider")), "model_id: must be \"provider/model\""));
    bad.push((with("model_id", json!(format!("p/{}", "m".repeat(250)))), "model_id: longer than 250"));
    bad.push((with("session_id", json!(7)), "session_id: must be a string"));
    bad.push((with("session_id", json!("")), "session_id: must not be empty"));
    bad.push((with("parent_id", json!(1)), "parent_id: must be a string"));
    bad.push((json!("a string"), "must be a JSON object"));
    let mut items = vec![good];
    items.extend(bad.iter().map(|(item, _)| item.clone()));
    let report = repo.send(&messages(items));
    assert_eq!(report["attempted"], bad.len() + 1);
    assert_eq!(report["persisted"], 1);
    assert_eq!(report["skipped"], bad.len());
    let diagnostics = report["diagnostics"].as_array().unwrap();
    for (i, (_, expected)) in bad.iter().enumerate() {
        assert_eq!(diagnostics[i]["index"], i + 1);
        let error = diagnostics[i]["error"].as_str().unwrap();
        assert!(error.contains(expected), "item {}: {error} lacks {expected}", i + 1);
    }
    assert_eq!(open_store(&repo).count(CountedTable::Messages).unwrap(), 1);
}

#[test]
fn each_invalid_part_item_is_skipped_with_its_index_and_field() {
    let repo = TestRepo::new();
    let patch = |fields: Value| {
        let mut p = json!({"session_id": "ses_1", "message_id": "msg_1", "part_id": "p", "part_type": "patch",
                           "file_path": "a.txt", "after": "x\n", "time_ms": 5});
        for (k, v) in fields.as_object().unwrap() {
            if v.is_null() {
                p.as_object_mut().unwrap().remove(k);
            } else {
                p[k] = v.clone();
            }
        }
        p
    };
    let abs_inside = repo.root.join("src/ok.rs").to_string_lossy().into_owned();
    let bad = vec![
        (patch(json!({"part_id": null})), "part_id: is required"),
        (patch(json!({"part_type": null})), "part_type: is required"),
        (patch(json!({"time_ms": null})), "time_ms: is required"),
        (patch(json!({"message_id": null})), "message_id: is required"),
        (patch(json!({"file_path": null})), "file_path: is required"),
        (patch(json!({"file_path": "../../etc/passwd"})), "file_path: \"../../etc/passwd\" is outside the repository"),
        (patch(json!({"file_path": "/etc/passwd"})), "file_path: \"/etc/passwd\" is outside the repository"),
        (patch(json!({"after": null})), "a patch part needs"),
        (patch(json!({"after": null, "patch": "not a diff"})), "patch: no @@ hunk"),
        (patch(json!({"status": "moved"})), "status: must be added, modified, deleted or renamed"),
        (patch(json!({"old_path": "../x"})), "old_path:"),
        (
            json!({"session_id": "ses_1", "message_id": "msg_1", "part_id": "t", "part_type": "text", "time_ms": 1}),
            "text: is required",
        ),
    ];
    let mut items = vec![
        patch(json!({"part_id": "ok1"})),
        patch(json!({"part_id": "ok2", "file_path": abs_inside, "after": null, "patch": "@@ -1 +1 @@\n-a\n+b\n"})),
    ];
    items.extend(bad.iter().map(|(item, _)| item.clone()));
    let report = repo.send(&parts(items));
    assert_eq!(report["persisted"], 2, "{report}");
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), bad.len());
    for (i, (_, expected)) in bad.iter().enumerate() {
        assert_eq!(diagnostics[i]["index"], i + 2);
        let error = diagnostics[i]["error"].as_str().unwrap();
        assert!(error.contains(expected), "item {}: {error} lacks {expected}", i + 2);
    }
    let snapshot = open_store(&repo).snapshot().unwrap().join("\n");
    assert!(snapshot.contains("\"src/ok.rs\""), "absolute path inside the repo is stored relative: {snapshot}");
}

#[test]
fn replaying_envelopes_leaves_the_db_identical() {
    let repo = TestRepo::new();
    let envelopes = vec![
        messages(vec![message("ses_1", "msg_1")]),
        parts(vec![text_part("prt_1", "draft")]),
        parts(vec![text_part("prt_1", "final text")]),
        messages(vec![json!({"session_id": "ses_1", "message_id": "msg_1", "role": "assistant",
                             "time_created_ms": 1_763_600_000_000u64, "time_completed_ms": 1_763_600_009_000u64})]),
    ];
    for e in &envelopes {
        repo.send(e);
    }
    let first = open_store(&repo).snapshot().unwrap();
    assert!(first.iter().any(|row| row.contains("final text")));
    assert!(
        first.iter().any(|row| row.contains("anthropic/claude-sonnet-4-5") && row.contains("1763600009000")),
        "a later message update fills fields and keeps the model: {first:?}"
    );
    for _ in 0..3 {
        for e in &envelopes {
            repo.send(e);
        }
    }
    assert_eq!(open_store(&repo).snapshot().unwrap(), first);
    // Replaying an older state of a part after a newer one changes nothing either.
    let older = parts(vec![json!({"session_id": "ses_1", "message_id": "msg_1", "part_id": "prt_1",
                                  "part_type": "text", "text": "stale", "time_ms": 1_000})]);
    repo.send(&older);
    assert_eq!(open_store(&repo).snapshot().unwrap(), first);
}

#[test]
fn unicode_and_one_megabyte_texts_round_trip() {
    let repo = TestRepo::new();
    let unicode = "héllo wörld — 你好, мир 👋🏽 \u{0} tab\t\"quoted\"";
    let big: String = "0123456789abcdef".repeat(65_536);
    repo.send(&parts(vec![text_part("prt_u", unicode), text_part("prt_big", &big)]));
    let snapshot = open_store(&repo).snapshot().unwrap().join("\n");
    assert!(snapshot.contains("你好, мир 👋🏽"));
    assert!(snapshot.contains(&big));
}

#[test]
fn the_envelope_cwd_and_repo_flag_choose_the_repository() {
    let repo = TestRepo::new();
    let elsewhere = tempfile::tempdir().unwrap();
    let mut envelope = messages(vec![message("ses_cwd", "msg_1")]);
    envelope["cwd"] = json!(repo.root);
    let out = run_sce(elsewhere.path(), &["hooks", "conversation-trace"], &envelope.to_string(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let envelope = messages(vec![message("ses_flag", "msg_1")]);
    let root = repo.root.to_string_lossy().into_owned();
    let out = run_sce(elsewhere.path(), &["hooks", "conversation-trace", "--repo", &root], &envelope.to_string(), &[]);
    assert!(out.status.success());
    let store = open_store(&repo);
    assert_eq!(store.messages_of_session("ses_cwd").unwrap().len(), 1);
    assert_eq!(store.messages_of_session("ses_flag").unwrap().len(), 1);
    // Outside any repository: a clear error.
    let out = run_sce(elsewhere.path(), &["hooks", "conversation-trace"], &messages(vec![]).to_string(), &[]);
    assert_eq!(out.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"));
}

#[test]
fn unknown_config_keys_are_named_and_intake_still_stores() {
    let repo = TestRepo::new();
    repo.write(
        ".sce/config.json",
        r#"{"policies": {"database_retry": {"agent_trace_db": {"query": {"max_atempts": 3}}}}}"#,
    );
    let out = repo.sce(&["hooks", "conversation-trace"], &messages(vec![message("ses_1", "msg_1")]).to_string());
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("max_atempts") && stderr.contains(".sce/config.json"), "{stderr}");
    assert_eq!(open_store(&repo).count(CountedTable::Messages).unwrap(), 1);
}

#[test]
fn sixteen_concurrent_producers_store_every_item_exactly_once() {
    let repo = TestRepo::new();
    // Create the DB first so that producers race on writes, not on creation.
    repo.send(&messages(vec![message("warmup", "msg_0")]));
    const PRODUCERS: usize = 16;
    const ENVELOPES: usize = 100;
    std::thread::scope(|scope| {
        for producer in 0..PRODUCERS {
            let repo = &repo;
            scope.spawn(move || {
                for n in 0..ENVELOPES {
                    let report = repo.send(&parts(vec![json!({
                        "session_id": format!("ses_{producer}"), "message_id": "msg_1",
                        "part_id": format!("prt_{n}"), "part_type": "text", "text": format!("{producer}/{n}"),
                        "time_ms": n})]));
                    assert_eq!(report["persisted"].as_u64().unwrap() + report["spooled"].as_u64().unwrap(), 1);
                }
            });
        }
    });
    // Anything spooled under contention is drained by the next call.
    repo.send(&messages(vec![message("final", "msg_0")]));
    let store = open_store(&repo);
    assert_eq!(store.count(CountedTable::Parts).unwrap(), (PRODUCERS * ENVELOPES) as i64);
    let snapshot = store.snapshot().unwrap().join("\n");
    for producer in 0..PRODUCERS {
        for n in 0..ENVELOPES {
            assert!(snapshot.contains(&format!("\"{producer}/{n}\"")), "missing {producer}/{n}");
        }
    }
    assert!(
        !repo.sce_dir().join("spool.jsonl").exists()
            || std::fs::metadata(repo.sce_dir().join("spool.jsonl")).unwrap().len() == 0
    );
}

#[test]
fn a_db_locked_past_the_budget_spools_and_the_next_call_drains_exactly_once() {
    let repo = TestRepo::new();
    repo.send(&messages(vec![message("ses_1", "msg_0")]));
    repo.write(".sce/config.json", r#"{"policies": {"database_retry": {"agent_trace_db": {"connection_open": {"max_attempts": 3, "timeout_ms": 200, "initial_backoff_ms": 10, "max_backoff_ms": 50}}}}}"#);
    let holder = open_store(&repo); // holds the exclusive lock
    for n in 1..=3 {
        let out = repo
            .sce(&["hooks", "conversation-trace"], &messages(vec![message("ses_1", &format!("msg_{n}"))]).to_string());
        assert_eq!(out.status.code(), Some(0));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!((report["persisted"].as_u64(), report["spooled"].as_u64()), (Some(0), Some(1)), "{report}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("spooled 1 event"));
    }
    drop(holder);
    let report = repo.send(&messages(vec![message("ses_1", "msg_4")]));
    assert_eq!(report["persisted"], 1);
    // Replaying a spooled envelope again must not duplicate it.
    repo.send(&messages(vec![message("ses_1", "msg_2")]));
    let store = open_store(&repo);
    let ids: Vec<String> = store.messages_of_session("ses_1").unwrap().into_iter().map(|m| m.message_id).collect();
    assert_eq!(ids, ["msg_0", "msg_1", "msg_2", "msg_3", "msg_4"]);
    assert_eq!(std::fs::metadata(repo.sce_dir().join("spool.jsonl")).unwrap().len(), 0);
}

#[test]
fn kill_9_during_writes_leaves_a_sound_db() {
    use std::process::{Command, Stdio};
    let repo = TestRepo::new();
    repo.send(&messages(vec![message("ses_0", "msg_0")]));
    let batch: Vec<Value> = (0..3000)
        .map(|n| {
            json!({"session_id": "ses_k", "message_id": "m", "part_id": format!("p{n}"), "part_type": "text",
                        "text": "x".repeat(300), "time_ms": n})
        })
        .collect();
    let input = parts(batch).to_string();
    for round in 0..8u64 {
        let mut child = Command::new(common::sce_bin())
            .args(["hooks", "conversation-trace"])
            .current_dir(&repo.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        std::thread::sleep(std::time::Duration::from_millis(5 + round * 7));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let store = open_store(&repo);
        assert_eq!(store.integrity_problems().unwrap(), None, "round {round}");
        let parts = store.count(CountedTable::Parts).unwrap();
        assert!(parts == 0 || parts == 3000, "a batch is stored whole or not at all, got {parts}");
    }
}

#[test]
fn exit_4_when_events_can_be_neither_stored_nor_spooled() {
    let repo = TestRepo::new();
    // A file where the sce directory belongs: neither the DB nor the spool can be created.
    std::fs::write(repo.root.join(".git/sce"), "in the way").unwrap();
    let out = repo.sce(&["hooks", "conversation-trace"], &messages(vec![message("ses_1", "msg_1")]).to_string());
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("could not store the events") && stderr.contains("nor spool them"), "{stderr}");
    // An envelope whose items are all invalid touches nothing and still exits 0.
    let out = repo.sce(&["hooks", "conversation-trace"], &messages(vec![json!({"role": "user"})]).to_string());
    assert_eq!(out.status.code(), Some(0));
}
