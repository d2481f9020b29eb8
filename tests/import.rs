//! `sce import claude|codex|gemini|pi|opencode`: each agent's real sample transcript
//! (tests/fixtures/transcripts) through the real binary, a real git repository
//! and the real DB: what is imported, that importing again changes nothing, that
//! a session hooks captured is merged, that attribution never changes, discovery
//! in the agents' usual places, and bad input.

use std::path::{Path, PathBuf};

use crate::common::samples::{self, SAMPLE_PROJECT};
use crate::common::{TestRepo, run_sce};
use sce::store::{Store, StorePaths};
use serde_json::Value;

/// The sample transcript of `agent` (its only file).
fn sample(agent: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/transcripts").join(agent);
    std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path()
}

/// `repo` with sce set up and one commit.
fn set_up() -> TestRepo {
    let repo = TestRepo::with_hook();
    assert!(repo.sce(&["setup"], "").status.success());
    repo.write("README.md", "readme\n");
    repo.commit_all("base");
    repo
}

/// The agents' variables, unset, and `HOME` at `home`: the test never sees the real ones.
fn env_with_home(home: &Path) -> Vec<(&'static str, String)> {
    let mut env = vec![("HOME", home.to_string_lossy().into_owned())];
    for var in ["CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME", "PI_CODING_AGENT_DIR"] {
        env.push((var, String::new()));
    }
    env
}

/// `sce import ARGS --json` with the agents' homes under `home`; (exit code, report, stderr).
fn import(repo: &TestRepo, args: &[&str], home: &Path) -> (i32, Value, String) {
    let env = env_with_home(home);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = run_sce(&repo.root, &all, "", &env);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {} / {stderr}", String::from_utf8_lossy(&out.stdout));
    });
    (out.status.code().unwrap(), report, stderr)
}

fn snapshot(repo: &TestRepo) -> Vec<String> {
    let paths = StorePaths::in_common_dir(repo.sce_dir().parent().unwrap());
    let store = Store::open(&paths, &Default::default()).unwrap();
    store.snapshot().unwrap()
}

fn totals(report: &Value) -> (u64, u64, u64) {
    let t = &report["totals"];
    (t["new_messages"].as_u64().unwrap(), t["new_texts"].as_u64().unwrap(), t["changed_texts"].as_u64().unwrap())
}

/// The stored text parts (snapshot lines) holding `text`.
fn parts_with(snapshot: &[String], text: &str) -> usize {
    snapshot.iter().filter(|l| l.starts_with("parts:") && l.contains(text)).count()
}

const PROMPT: &str = "Create hello.py, edit it, then modify it with the shell.";
const ANSWER: &str = "All done: created, edited and shell-modified hello.py.";

#[test]
fn each_agent_s_sample_is_imported_once_and_importing_again_changes_nothing() {
    for (agent, tool, session, model) in [
        ("claude", "claude-code", "dff65d53-3e8c-4d31-891f-004a17920fde", "anthropic/claude-sonnet-4-5-20250929"),
        ("codex", "codex", "01a22a2a-9b10-7313-9e49-8c27690e4f6c", "openai/gpt-5.5"),
        ("gemini", "gemini-cli", "6fcb748c-8ea0-4edc-9516-573a8e080442", "google/gemini-2.5-pro"),
        ("pi", "pi", "01a22a2a-c580-73eb-93ce-7999f1a098a0", "fake/fake-coder"),
    ] {
        let repo = set_up();
        let home = tempfile::tempdir().unwrap();
        let path = sample(agent);
        let (code, report, stderr) = import(&repo, &[agent, path.to_str().unwrap()], home.path());
        assert_eq!(code, 0, "{agent}: {stderr}");
        assert_eq!(report["sessions"][0]["tool_name"], tool, "{report}");
        assert_eq!(report["sessions"][0]["session_id"], session, "{report}");
        assert_eq!(totals(&report), (2, 2, 0), "{agent}: the prompt and the answer: {report}");
        let first = snapshot(&repo);
        assert_eq!(parts_with(&first, PROMPT), 1, "{agent}");
        assert_eq!(parts_with(&first, ANSWER), 1, "{agent}");
        assert!(first.iter().any(|l| l.starts_with("messages:") && l.contains(model)), "{agent}: {first:#?}");
        assert!(first.iter().all(|l| !l.contains("\"patch\"")), "{agent}: an import stores no edits");

        let (code, again, _) = import(&repo, &[agent, path.to_str().unwrap()], home.path());
        assert_eq!(code, 0);
        assert_eq!(totals(&again), (0, 0, 0), "{agent}: {again}");
        assert_eq!(again["sessions"][0]["filled"], serde_json::json!({}), "{agent}: {again}");
        assert_eq!(snapshot(&repo), first, "{agent}: the second import changed the DB");
    }
}

#[test]
fn a_dry_run_reports_and_changes_nothing() {
    let repo = set_up();
    let home = tempfile::tempdir().unwrap();
    let path = sample("codex");
    let before = snapshot(&repo);
    let (code, report, _) = import(&repo, &["codex", path.to_str().unwrap(), "--dry-run"], home.path());
    assert_eq!(code, 0);
    assert_eq!(report["dry_run"], true);
    assert_eq!(totals(&report), (2, 2, 0), "{report}");
    assert_eq!(report["sessions"][0]["filled"]["git_context"], 1, "{report}");
    assert_eq!(snapshot(&repo), before);
    // Text output, for people.
    let out = repo.sce(&["import", "codex", path.to_str().unwrap(), "--dry-run"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("would import codex session 01a22a2a-9b10-7313-9e49-8c27690e4f6c: 2 messages, 2 texts new"),
        "{text}"
    );
}

#[test]
fn a_session_hooks_captured_is_merged_and_attribution_is_unchanged() {
    let repo = set_up();
    let home = tempfile::tempdir().unwrap();
    let transcript = home.path().join("transcript.jsonl");
    std::fs::copy(sample("claude"), &transcript).unwrap();
    for name in [
        "001-SessionStart.json",
        "002-UserPromptSubmit.json",
        "003-PreToolUse.json",
        "004-PostToolUse.json",
        "006-PreToolUse.json",
        "007-PostToolUse.json",
        "013-Stop.json",
        "014-SessionEnd.json",
    ] {
        samples::claude_sample_tool_effect(&repo, name);
        let payload = samples::hook_payload("claude-2.1.332", name, &repo.root, &transcript);
        let out = run_sce(&repo.root, &["hooks", "claude-code"], &payload, &[]);
        assert!(out.stderr.is_empty(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    }
    repo.commit_all("claude's work");
    let record = repo.record("HEAD");
    let blame = |repo: &TestRepo| repo.sce(&["blame", "hello.py", "--json"], "").stdout;
    let blame_before = blame(&repo);
    let before = snapshot(&repo);
    assert_eq!(parts_with(&before, PROMPT), 1);

    let (code, report, stderr) = import(&repo, &["claude", transcript.to_str().unwrap()], home.path());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(totals(&report), (0, 0, 0), "the hooks stored the prompt and the answer already: {report}");
    let after = snapshot(&repo);
    assert_eq!(parts_with(&after, PROMPT), 1, "the prompt is not duplicated");
    assert_eq!(parts_with(&after, ANSWER), 1, "the answer is not duplicated");
    assert_eq!(
        after.iter().filter(|l| l.starts_with("parts:")).count(),
        before.iter().filter(|l| l.starts_with("parts:")).count()
    );
    assert_eq!(repo.record("HEAD"), record, "the record changed");
    assert_eq!(blame(&repo), blame_before, "blame changed");
    let keep = |s: &[String]| s.iter().filter(|l| !l.starts_with("messages:")).cloned().collect::<Vec<_>>();
    assert_eq!(keep(&after), keep(&before), "only messages' empty fields may be filled");
}

/// Writes the sample of `agent` at `dest` with the project moved to `cwd` and the
/// session id `from` replaced by `to`.
fn place(agent: &str, dest: &Path, cwd: &Path, from: &str, to: &str) {
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    let text = std::fs::read_to_string(sample(agent)).unwrap();
    std::fs::write(dest, text.replace(SAMPLE_PROJECT, cwd.to_str().unwrap()).replace(from, to)).unwrap();
}

fn claude_dir(cwd: &Path) -> String {
    cwd.to_str().unwrap().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}

fn pi_dir(cwd: &Path) -> String {
    format!("--{}--", cwd.to_str().unwrap().trim_start_matches('/').replace('/', "-"))
}

#[test]
fn discovery_in_the_usual_places_finds_only_this_repository_s_sessions() {
    let repo = set_up();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let root = std::fs::canonicalize(&repo.root).unwrap();
    let sub = root.join("src");
    let elsewhere = PathBuf::from(format!("{}-other", root.display()));
    let claude = "dff65d53-3e8c-4d31-891f-004a17920fde";
    place(
        "claude",
        &h.join(".claude/projects").join(claude_dir(&sub)).join(format!("{claude}.jsonl")),
        &sub,
        claude,
        claude,
    );
    let other = h.join(".claude/projects").join(claude_dir(&elsewhere)).join("other.jsonl");
    place("claude", &other, &elsewhere, claude, "claude-elsewhere");
    let codex = "01a22a2a-9b10-7313-9e49-8c27690e4f6c";
    place("codex", &h.join(".codex/sessions/2026/11/30/rollout-a.jsonl"), &root, codex, codex);
    place("codex", &h.join(".codex/sessions/2026/11/30/rollout-b.jsonl"), &elsewhere, codex, "codex-elsewhere");
    let pi = "01a22a2a-c580-73eb-93ce-7999f1a098a0";
    place("pi", &h.join(".pi/agent/sessions").join(pi_dir(&root)).join("a.jsonl"), &root, pi, pi);
    place("pi", &h.join(".pi/agent/sessions").join(pi_dir(&elsewhere)).join("b.jsonl"), &elsewhere, pi, "pi-elsewhere");
    let gemini = "6fcb748c-8ea0-4edc-9516-573a8e080442";
    place("gemini", &h.join(".gemini/tmp/proj/chats/session-a.jsonl"), &root, gemini, gemini);
    std::fs::write(h.join(".gemini/tmp/proj/.project_root"), root.to_str().unwrap()).unwrap();
    place("gemini", &h.join(".gemini/tmp/other/chats/session-b.jsonl"), &elsewhere, gemini, "gemini-elsewhere");
    std::fs::write(h.join(".gemini/tmp/other/.project_root"), elsewhere.to_str().unwrap()).unwrap();

    for (agent, session) in [("claude", claude), ("codex", codex), ("pi", pi), ("gemini", gemini)] {
        let (code, report, stderr) = import(&repo, &[agent], h);
        assert_eq!(code, 0, "{agent}: {stderr}");
        let found: Vec<&str> =
            report["sessions"].as_array().unwrap().iter().map(|s| s["session_id"].as_str().unwrap()).collect();
        assert_eq!(found, vec![session], "{agent}: {report}");
    }
    // Given explicitly, a file is imported whatever its directory.
    let (_, report, _) = import(&repo, &["claude", other.to_str().unwrap()], h);
    assert_eq!(report["sessions"][0]["session_id"], "claude-elsewhere");
    // Nothing found: said so.
    let empty = tempfile::tempdir().unwrap();
    let env = env_with_home(empty.path());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = run_sce(&repo.root, &["import", "codex"], "", &env);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("no codex sessions found for this repository in "));
}

#[test]
fn a_corrupt_line_is_reported_and_the_rest_imported_and_an_unreadable_file_fails_alone() {
    let repo = set_up();
    let home = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(sample("pi")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(2, "{\"type\": \"message\", oops");
    let corrupt = home.path().join("corrupt.jsonl");
    std::fs::write(&corrupt, lines.join("\n")).unwrap();
    let (code, report, stderr) = import(&repo, &["pi", corrupt.to_str().unwrap()], home.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(&format!("{}:3: skipped", corrupt.display())), "{stderr}");
    assert_eq!(report["skipped_lines"][0]["line"], 3, "{report}");
    assert_eq!(totals(&report), (2, 2, 0), "{report}");
    // Many bad lines: the first few, then a count.
    let many = home.path().join("many.jsonl");
    std::fs::write(&many, format!("{}\n{}", "oops\n".repeat(10), text)).unwrap();
    let (_, report, stderr) = import(&repo, &["pi", many.to_str().unwrap()], home.path());
    assert_eq!(report["skipped_lines"].as_array().unwrap().len(), 10);
    assert_eq!(stderr.lines().count(), 4, "{stderr}");
    assert!(stderr.contains("7 more lines skipped"), "{stderr}");

    let missing = home.path().join("missing.jsonl");
    let codex = sample("codex");
    let (code, report, stderr) =
        import(&repo, &["codex", missing.to_str().unwrap(), codex.to_str().unwrap()], home.path());
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains(&format!("cannot read {}", missing.display())), "{stderr}");
    assert_eq!(totals(&report), (2, 2, 0), "the readable file is imported: {report}");
}

#[test]
fn prompts_and_answers_codex_gemini_and_pi_hooks_stored_are_not_imported_again() {
    let pi_session = "01a22a2a-c580-73eb-93ce-7999f1a098a0";
    for agent in ["codex", "gemini", "pi"] {
        let repo = set_up();
        let home = tempfile::tempdir().unwrap();
        let transcript = sample(agent);
        let events: Vec<(&str, String)> = match agent {
            "codex" => ["002-UserPromptSubmit.json", "017-Stop.json"]
                .iter()
                .map(|n| ("codex", samples::hook_payload("codex-0.171.0", n, &repo.root, &transcript)))
                .collect(),
            "gemini" => ["001-SessionStart.json", "002-BeforeAgent.json", "025-AfterAgent.json"]
                .iter()
                .map(|n| ("gemini", samples::hook_payload("gemini-0.61.0", n, &repo.root, &transcript)))
                .collect(),
            _ => [("prompt", PROMPT, None), ("response", ANSWER, Some("fake/fake-coder"))]
                .iter()
                .map(|(event, text, model)| {
                    let event = serde_json::json!({"event": event, "agent": "pi", "session_id": pi_session,
                        "text": text, "model": model, "cwd": repo.root});
                    ("agent", event.to_string())
                })
                .collect(),
        };
        for (hook, event) in events {
            let out = run_sce(&repo.root, &["hooks", hook], &event, &[]);
            assert!(out.stderr.is_empty(), "{agent}: {}", String::from_utf8_lossy(&out.stderr));
        }
        let before = snapshot(&repo);
        assert_eq!(parts_with(&before, PROMPT), 1, "{agent}: the hooks stored the prompt");
        let (code, report, stderr) = import(&repo, &[agent, transcript.to_str().unwrap()], home.path());
        assert_eq!(code, 0, "{agent}: {stderr}");
        assert_eq!(totals(&report), (0, 0, 0), "{agent}: {report}");
        let after = snapshot(&repo);
        assert_eq!(parts_with(&after, PROMPT), 1, "{agent}: the prompt is not duplicated");
        assert_eq!(parts_with(&after, ANSWER), 1, "{agent}: the answer is not duplicated");
        let (_, again, _) = import(&repo, &[agent, transcript.to_str().unwrap()], home.path());
        assert_eq!(totals(&again), (0, 0, 0));
        assert_eq!(again["sessions"][0]["filled"], serde_json::json!({}), "{agent}: {again}");
        assert_eq!(snapshot(&repo), after, "{agent}");
    }
}

#[test]
fn secrets_are_redacted_and_a_redacted_text_is_not_imported_again() {
    let repo = set_up();
    let home = tempfile::tempdir().unwrap();
    let secret = "sk-ant-abcdefghijklmnopqrstuvwxyz0123";
    let text = std::fs::read_to_string(sample("pi")).unwrap().replace(PROMPT, &format!("{PROMPT} key {secret}"));
    let path = home.path().join("with-secret.jsonl");
    std::fs::write(&path, text).unwrap();
    let (_, report, _) = import(&repo, &["pi", path.to_str().unwrap()], home.path());
    assert_eq!(totals(&report), (2, 2, 0), "{report}");
    let first = snapshot(&repo);
    assert!(first.iter().all(|l| !l.contains(secret)), "the secret was stored");
    assert_eq!(parts_with(&first, "[REDACTED:anthropic-key]"), 1);
    let (_, again, _) = import(&repo, &["pi", path.to_str().unwrap()], home.path());
    assert_eq!(totals(&again), (0, 0, 0), "{again}");
    assert_eq!(snapshot(&repo), first);
}

#[test]
fn messages_older_than_the_conversation_retention_are_left_out() {
    let repo = set_up();
    let home = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(sample("gemini")).unwrap().replace("2026-11-30T", "2020-01-01T");
    let path = home.path().join("old.jsonl");
    std::fs::write(&path, text).unwrap();
    let args = ["gemini", path.to_str().unwrap(), "-c", "retention.conversations_days=30"];
    let (code, report, stderr) = import(&repo, &args, home.path());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["sessions"][0]["past_retention"], 2, "{report}");
    assert_eq!(totals(&report), (0, 0, 0), "{report}");
    let (_, report, _) = import(&repo, &["gemini", path.to_str().unwrap()], home.path());
    assert_eq!(totals(&report), (2, 2, 0), "kept forever by default: {report}");
}

#[test]
fn discovery_finds_the_sessions_of_every_work_tree_of_the_repository() {
    let repo = set_up();
    let home = tempfile::tempdir().unwrap();
    let linked = repo.root.parent().unwrap().join("linked tree");
    repo.git(&["worktree", "add", "-q", "-b", "linked", linked.to_str().unwrap()]);
    let linked = std::fs::canonicalize(&linked).unwrap();
    let codex = "01a22a2a-9b10-7313-9e49-8c27690e4f6c";
    place("codex", &home.path().join(".codex/sessions/2026/11/30/rollout-a.jsonl"), &linked, codex, codex);
    let (code, report, stderr) = import(&repo, &["codex"], home.path());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["sessions"][0]["session_id"], codex, "run in the main work tree: {report}");
    let out = run_sce(
        &linked,
        &["import", "codex", "--dry-run"],
        "",
        &[("HOME", home.path().to_str().unwrap()), ("CODEX_HOME", "")],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("session {codex}: 0 messages")), "{out:?}");
}

/// OpenCode keeps sessions in a database, not transcripts: the fixture database of two
/// real sessions (tests/fixtures/transcripts/opencode) is read, imported once, and
/// found by discovery only for the repository its sessions ran in.
#[test]
fn opencode_s_database_is_imported_once_and_discovery_keeps_to_this_repository() {
    let repo = set_up();
    let home = tempfile::tempdir().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/transcripts/opencode");
    let before = std::fs::read(dir.join("opencode.db")).unwrap();
    let (code, report, stderr) = import(&repo, &["opencode", dir.to_str().unwrap()], home.path());
    assert_eq!(code, 0, "{stderr}");
    let sessions = report["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{report}");
    assert!(sessions.iter().all(|s| s["tool_name"] == "opencode"), "{report}");
    let (messages, texts, changed) = totals(&report);
    assert!(messages > 0 && texts > 0 && changed == 0, "{report}");
    let first = snapshot(&repo);
    assert!(first.iter().any(|l| l.starts_with("messages:") && l.contains("fake/fake-model")), "{first:#?}");
    assert!(first.iter().all(|l| !l.contains("\"patch\"")), "an import stores no edits");
    assert_eq!(std::fs::read(dir.join("opencode.db")).unwrap(), before, "the database is never written");

    let (code, again, _) = import(&repo, &["opencode", dir.join("opencode.db").to_str().unwrap()], home.path());
    assert_eq!(code, 0);
    assert_eq!(totals(&again), (0, 0, 0), "{again}");
    assert_eq!(snapshot(&repo), first);

    // In its usual place, the database's sessions ran elsewhere: none is this repository's.
    let data = home.path().join("data/opencode");
    std::fs::create_dir_all(&data).unwrap();
    for file in ["opencode.db", "opencode.db-wal"] {
        std::fs::copy(dir.join(file), data.join(file)).unwrap();
    }
    let other = set_up();
    let data_home = home.path().join("data");
    let env = [("HOME", home.path().to_str().unwrap()), ("XDG_DATA_HOME", data_home.to_str().unwrap())];
    let out = run_sce(&other.root, &["import", "opencode", "--json"], "", &env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sessions"].as_array().unwrap().len(), 0, "{report}");
}
