//! `sce export`: the real binary on a real repository and DB, sessions sent as the
//! OpenCode plugin sends them, every exported line checked against the schema.

use crate::common::{Agent, TestRepo};
use sce::store::{Store, StorePaths};
use serde_json::{Value, json};

const NOV_2025: u64 = 1_763_600_000_000;
const JAN_2025: u64 = 1_736_000_000_000;

/// Every raw value planted below; none may appear in any export.
const PLANTED: &[&str] = &[
    "alice@example.org",
    "bob.jones@corp.example.com",
    "/home/alice",
    "/Users/bob",
    r"C:\Users\carol",
    "carol",
    "10.20.30.40",
    "10.1.2.3",
    "2001:db8:85a3::8a2e:370:7334",
    "a8F3kQ9zLm2Xv7Bn4Tq1",
    "eyJhbGciOiJIUzI1NiJ9",
    "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij",
    "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
];

fn store(repo: &TestRepo) -> Store {
    Store::open(&StorePaths::in_common_dir(repo.sce_dir().parent().unwrap()), &Default::default()).unwrap()
}

fn message(session: &str, id: &str, role: &str, time: u64) -> Value {
    let mut m = json!({"session_id": session, "message_id": id, "role": role, "time_created_ms": time});
    if role == "assistant" {
        m["model_id"] = json!("anthropic/claude-sonnet-4-5");
    }
    json!({"type": "message.updated", "tool_name": "opencode", "tool_version": "1.18.33", "payloads": [m]})
}

fn texts(session: &str, message: &str, texts: &[&str], time: u64) -> Value {
    let payloads: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(n, text)| {
            json!({"session_id": session, "message_id": message, "part_id": format!("{message}_txt_{n}"),
                   "part_type": "text", "text": text, "time_ms": time + n as u64})
        })
        .collect();
    json!({"type": "message.part.updated", "tool_name": "opencode", "payloads": payloads})
}

/// A user prompt and an assistant answer, sent as two messages with text parts.
fn conversation(repo: &TestRepo, session: &str, prompt: &str, answer: &str, time: u64) {
    repo.send(&message(session, "msg_0", "user", time));
    repo.send(&texts(session, "msg_0", &[prompt], time));
    repo.send(&message(session, "msg_1", "assistant", time + 1_000));
    repo.send(&texts(session, "msg_1", &[answer], time + 2_000));
}

/// Runs `sce export ARGS`: (exit code, stdout lines parsed, stdout, stderr).
fn export(repo: &TestRepo, args: &[&str]) -> (i32, Vec<Value>, String, String) {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    let out = repo.sce(&all, "");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines = if args.contains(&"--check") {
        Vec::new()
    } else {
        stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
    };
    (out.status.code().unwrap(), lines, stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn assert_valid(records: &[Value]) {
    let schema_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../context/export-session.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for record in records {
        let errors: Vec<String> =
            validator.iter_errors(record).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:?}\n{record}");
    }
}

fn by_session<'a>(records: &'a [Value], session: &str) -> &'a Value {
    records.iter().find(|r| r["session_id"] == session).unwrap_or_else(|| panic!("no record of {session}"))
}

fn assert_nothing_planted(output: &str) {
    for secret in PLANTED {
        assert!(!output.contains(secret), "{secret:?} left the DB:\n{output}");
    }
}

/// Three sessions with secrets of every shape in prompts, answers, diffs, paths and
/// the remote URL, and one excluded session.
fn planted_repo() -> TestRepo {
    let repo = TestRepo::with_hook();
    // The sessions are dated 2025: keep edit texts past the commit until the test drops them.
    repo.write(".sce/config.json", r#"{"retention": {"edit_texts_days": 36500}}"#);
    repo.write("README.md", "hello\n");
    repo.commit_all("init");
    // The hook records the git context a session starts in: here a remote naming an IP.
    repo.git(&["remote", "add", "origin", "ssh://git@10.1.2.3/team/repo.git"]);
    conversation(
        &repo,
        "ses_a",
        "Mail alice@example.org; my checkout is /home/alice/src and the box is 10.20.30.40.",
        r#"Set {"token": "a8F3kQ9zLm2Xv7Bn4Tq1"} and call with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.x9Zq"#,
        NOV_2025,
    );
    let agent = Agent::new(&repo, "ses_a", "anthropic/claude-sonnet-4-5");
    agent.write("src/lib.rs", "pub fn one() -> u32 {\n    1\n}\n");
    agent.write("notes/bob.jones@corp.example.com.txt", "ask bob\n");
    conversation(
        &repo,
        "ses_b",
        r"Windows user here: C:\Users\carol\repo, also /Users/bob/Library.",
        "The server at 2001:db8:85a3::8a2e:370:7334 answered; key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789.",
        NOV_2025 + 10_000,
    );
    conversation(&repo, "ses_c", "Say hi.", "Hi!", NOV_2025 + 20_000);
    conversation(&repo, "ses_x", "Private: alice@example.org", "ok", NOV_2025 + 30_000);
    let store = store(&repo);
    assert!(store.set_session_excluded("ses_x", true).unwrap());
    drop(store);
    repo
}

#[test]
fn secrets_of_every_shape_never_leave_and_check_lists_each_kind() {
    let repo = planted_repo();
    let commit_err = repo.commit_all("agent work");
    assert!(!commit_err.contains("sce:"), "{commit_err}");
    let head = repo.head();
    // An edit made after the commit: its diff carries a token (file contents are not redacted at intake).
    let agent_b = Agent::new(&repo, "ses_b", "anthropic/claude-sonnet-4-5");
    agent_b.write("deploy.sh", "export GH=ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij\n");

    let (code, records, stdout, stderr) = export(&repo, &["--include-text"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("exported 3 sessions (1 excluded, 0 duplicates) to stdout"), "{stderr}");
    assert_nothing_planted(&stdout);
    assert_valid(&records);
    let ids: Vec<&str> = records.iter().map(|r| r["session_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ses_a", "ses_b", "ses_c"]);

    let a = by_session(&records, "ses_a");
    assert_eq!(a["tool"], "opencode");
    assert_eq!(a["tool_version"], "1.18.33");
    assert_eq!(a["models"], json!(["anthropic/claude-sonnet-4-5"]));
    assert_eq!(
        a["git"],
        json!({"remote_url": "ssh://<ip>/team/repo.git", "branch": "main",
                                "head_sha": a["git"]["head_sha"]})
    );
    let prompt = a["messages"][0]["texts"][0].as_str().unwrap();
    assert_eq!(prompt, "Mail <email>; my checkout is /home/<user>/src and the box is <ip>.");
    assert_eq!(a["messages"][0]["role"], "user");
    assert!(a["messages"][1]["texts"][0].as_str().unwrap().contains(r#"{"token": "<token>"}"#));
    assert_eq!(
        a["commits"],
        json!([{"sha": head, "ai_lines": 4, "mixed_lines": 0,
                                     "recorded_at": a["commits"][0]["recorded_at"]}])
    );
    assert_eq!(a["lines"], json!({"ai": 4, "mixed": 0}));
    let edits = a["edits"].as_array().unwrap();
    assert_eq!(edits.len(), 2);
    assert_eq!(edits[0]["file_path"], "src/lib.rs");
    assert_eq!(edits[0]["diff_source"], "after_only");
    assert_eq!(edits[0]["added_lines"], 3);
    assert!(edits[0]["diff"].as_str().unwrap().contains("+pub fn one() -> u32 {"));
    // `.txt` reads as one more domain label: the whole name goes.
    assert_eq!(edits[1]["file_path"], "notes/<email>");
    let b = by_session(&records, "ses_b");
    assert!(b["edits"][0]["diff"].as_str().unwrap().contains("[REDACTED:github-token]"), "{b}");
    assert!(b["scrubbed"]["home-path"].as_u64().unwrap() >= 2);
    assert_eq!(by_session(&records, "ses_c")["messages"][1]["texts"], json!(["Hi!"]));

    let out = repo.sce(&["export", "--include-text", "--check", "--json"], "");
    assert!(out.status.success());
    let check: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = check["findings"].as_array().unwrap();
    let kinds: std::collections::BTreeSet<&str> = findings.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    for kind in ["email", "home-path", "ip-address", "keyed-token", "github-token"] {
        assert!(kinds.contains(kind), "{kind} not listed: {check}");
    }
    assert!(findings.iter().all(|f| f["session_id"] != "ses_x"), "excluded sessions are not scanned");
    assert_nothing_planted(&String::from_utf8_lossy(&out.stdout));
    let text = repo.sce(&["export", "--include-text", "--check"], "");
    let listing = String::from_utf8_lossy(&text.stdout);
    assert!(listing.contains("email") && listing.contains("ses_a") && listing.contains("al***"), "{listing}");
    assert!(String::from_utf8_lossy(&text.stderr).contains("would export 3 sessions"));

    // Retention drops the texts of folded edits: the files stay, without a diff, and say why.
    let out = repo.sce(&["-c", "retention.edit_texts_days=0", "gc"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, records, _, _) = export(&repo, &["--include-text"]);
    assert_valid(&records);
    let edit = &by_session(&records, "ses_a")["edits"][0];
    assert_eq!(edit["diff_source"], "texts_removed", "{edit}");
    assert!(edit.get("diff").is_none());
    assert_eq!(edit["file_path"], "src/lib.rs");
}

#[test]
fn without_include_text_only_counts_leave() {
    let repo = planted_repo();
    let (code, records, stdout, stderr) = export(&repo, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_valid(&records);
    assert_nothing_planted(&stdout);
    let a = by_session(&records, "ses_a");
    assert_eq!(a["text_included"], false);
    assert!(a["messages"][0].get("texts").is_none());
    assert_eq!(a["messages"][0]["text_parts"], 1);
    assert!(a["messages"][0]["text_chars"].as_u64().unwrap() > 20);
    assert!(a["edits"][0].get("diff").is_none());
    assert_eq!(a["edits"][0]["added_lines"], 3);
    assert!(a["content_hash"].as_str().unwrap().len() == 64);
}

#[test]
fn replays_make_one_record_and_identical_texts_are_flagged() {
    let repo = TestRepo::new();
    for _ in 0..2 {
        conversation(&repo, "ses_r", "Rename foo to bar.", "Done.", NOV_2025);
    }
    conversation(&repo, "ses_d1", "Add tests.", "Added   two\ntests.", NOV_2025 + 1_000);
    conversation(&repo, "ses_d2", "Add tests.", "Added two tests.", NOV_2025 + 2_000);
    let (code, records, _, stderr) = export(&repo, &["--include-text"]);
    assert_eq!(code, 0, "{stderr}");
    assert_valid(&records);
    assert_eq!(records.iter().filter(|r| r["session_id"] == "ses_r").count(), 1);
    assert_eq!(by_session(&records, "ses_r")["messages"].as_array().unwrap().len(), 2);
    let (d1, d2) = (by_session(&records, "ses_d1"), by_session(&records, "ses_d2"));
    assert_eq!(d1["content_hash"], d2["content_hash"]);
    assert_eq!(d1["duplicate_of"], Value::Null);
    assert_eq!(d2["duplicate_of"], "ses_d1");
    assert_ne!(by_session(&records, "ses_r")["content_hash"], d1["content_hash"]);
    assert!(stderr.contains("exported 3 sessions (0 excluded, 1 duplicates)"), "{stderr}");
    // An id given twice is exported once.
    let (_, records, _, _) = export(&repo, &["--session", "ses_r", "--session", "ses_r", "ses_d2"]);
    let ids: Vec<&str> = records.iter().map(|r| r["session_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ses_r", "ses_d2"]);
    // Unknown ids are named, and nothing is written.
    let (code, records, _, stderr) = export(&repo, &["--session", "ses_nope"]);
    assert_eq!(code, 7, "{stderr}");
    assert!(records.is_empty() && stderr.contains("ses_nope"), "{stderr}");
}

#[test]
fn since_and_out_select_and_write_a_whole_file() {
    let repo = TestRepo::new();
    conversation(&repo, "ses_old", "Old work.", "ok", JAN_2025);
    conversation(&repo, "ses_new", "New work.", "ok", NOV_2025);
    for since in ["2025-06-01", "2025-06-01T00:00:00Z", "2025-06-01T02:00:00+02:00"] {
        let (code, records, _, stderr) = export(&repo, &["--since", since]);
        assert_eq!(code, 0, "{stderr}");
        let ids: Vec<&str> = records.iter().map(|r| r["session_id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["ses_new"], "{since}");
    }
    let (code, _, _, stderr) = export(&repo, &["--since", "yesterday"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("RFC 3339"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sessions.jsonl");
    let (code, records, stdout, stderr) = export(&repo, &["--out", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(records.is_empty() && stdout.is_empty());
    assert!(stderr.contains(&format!("exported 2 sessions (0 excluded, 0 duplicates) to {}", file.display())));
    let written: Vec<Value> =
        std::fs::read_to_string(&file).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_valid(&written);
    assert_eq!(written.len(), 2);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, [std::ffi::OsString::from("sessions.jsonl")], "no temporary file is left");
    // A destination that cannot be written fails and leaves nothing.
    let missing = dir.path().join("no/such/dir/out.jsonl");
    let (code, _, _, stderr) = export(&repo, &["--out", missing.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(stderr.contains("cannot write the dataset"), "{stderr}");
}

#[test]
fn scrub_settings_switch_kinds_off() {
    let repo = TestRepo::new();
    conversation(&repo, "ses_s", "mail alice@example.org from 10.20.30.40", "ok", NOV_2025);
    let (code, records, _, stderr) = export(&repo, &["--include-text", "-c", "export.scrub.emails=false"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(records[0]["messages"][0]["texts"], json!(["mail alice@example.org from <ip>"]));
    assert_eq!(records[0]["scrubbed"], json!({"ip-address": 1}));
}
