//! `sce sessions`: the sessions the hooks captured, through the real binary, a real
//! git repository and the real DB; and the git context a session started in.

use crate::common::{Agent, TestRepo, run_sce};
use serde_json::{Value, json};

/// Sends one event of the generic agent contract (`sce hooks agent`).
fn agent_event(repo: &TestRepo, session: &str, event: Value) {
    let mut full = json!({"agent": "my-agent", "agent_version": "0.3.0", "session_id": session,
                          "model": "acme/coder-2"});
    for (k, v) in event.as_object().unwrap() {
        full[k] = v.clone();
    }
    let out = run_sce(&repo.root, &["hooks", "agent"], &full.to_string(), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A user message with its text, as the OpenCode plugin sends a prompt.
fn opencode_prompt(repo: &TestRepo, session: &str, message: &str, text: &str, time_ms: u64) {
    repo.send(&json!({"type": "message.updated", "tool_name": "opencode", "tool_version": "1.18.33",
        "payloads": [{"session_id": session, "message_id": message, "role": "user", "time_created_ms": time_ms}]}));
    repo.send(&json!({"type": "message.part.updated", "tool_name": "opencode", "tool_version": "1.18.33",
        "payloads": [{"session_id": session, "message_id": message, "part_id": format!("{message}/text"),
                      "part_type": "text", "time_ms": time_ms, "text": text}]}));
}

/// `sce sessions ARGS`: exit code, stdout, stderr.
fn sessions(repo: &TestRepo, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["sessions"];
    all.extend_from_slice(args);
    let out = repo.sce(&all, "");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `sce sessions ARGS --json`, parsed; asserts success.
fn sessions_json(repo: &TestRepo, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let (code, stdout, stderr) = sessions(repo, &all);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect()
}

/// An OpenCode session (one prompt, writes greet.py) and a generic agent's (two
/// prompts, writes calc.py), both committed.
fn two_sessions() -> TestRepo {
    let repo = TestRepo::with_hook();
    repo.write("README.md", "base\n");
    repo.commit_all("base");
    opencode_prompt(&repo, "ses_open_1", "msg_0", "\n  Add a greeting  \nplease", 1_763_599_999_000);
    let agent = Agent::new(&repo, "ses_open_1", "anthropic/claude-sonnet-4");
    agent.write("greet.py", "print('hi')\nprint('bye')\n");
    agent_event(&repo, "s-pi-2", json!({"event": "prompt", "text": "Write a calculator"}));
    repo.write("calc.py", "def add(a, b):\n    return a + b\n\n\nprint(add(1, 2))\n");
    agent_event(
        &repo,
        "s-pi-2",
        json!({"event": "post_tool", "tool_call_id": "c-1", "tool_name": "write",
               "files": [{"path": "calc.py", "after": repo.read("calc.py")}]}),
    );
    agent_event(&repo, "s-pi-2", json!({"event": "prompt", "text": "Thanks"}));
    repo.commit_all("agent work");
    repo
}

#[test]
fn two_sessions_of_two_tools_are_listed_with_models_prompts_files_and_commits() {
    let repo = two_sessions();
    let head = repo.head();
    let list = sessions_json(&repo, &["list"]);
    // Newest start first: the generic agent's events carry the current time.
    assert_eq!(ids(&list), ["s-pi-2", "ses_open_1"], "{list:#}");
    let (pi, open) = (&list[0], &list[1]);
    assert_eq!(open["tool"], "opencode");
    assert_eq!(open["tool_version"], "1.18.33");
    assert_eq!(open["models"], json!(["anthropic/claude-sonnet-4"]));
    assert_eq!(open["prompts"], 1);
    assert_eq!(open["files"], json!(["greet.py"]));
    assert_eq!(open["commits"][0]["sha"], head.as_str());
    assert_eq!(open["commits"][0]["ai"], 2);
    assert_eq!(open["lines"], 2);
    assert_eq!(open["branch"], "main");
    assert_eq!(open["excluded"], false);
    assert_eq!(pi["tool"], "my-agent");
    assert_eq!(pi["tool_version"], "0.3.0");
    assert_eq!(pi["models"], json!(["acme/coder-2"]));
    assert_eq!(pi["prompts"], 2);
    assert_eq!(pi["files"], json!(["calc.py"]));
    assert_eq!(pi["lines"], 5);
    assert!(pi["start_ms"].as_i64().unwrap() <= pi["end_ms"].as_i64().unwrap());

    // `sce sessions` alone lists, as text, one line per session under a heading.
    let (code, text, _) = sessions(&repo, &[]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("session"), "{text}");
    assert!(lines[1].starts_with("s-pi-2") && lines[1].contains("my-agent 0.3.0"), "{text}");
    assert!(lines[2].contains("opencode 1.18.33") && lines[2].contains("anthropic/claude-sonnet-4"), "{text}");
    assert!(!text.contains('\x1b'), "not a terminal: no color");

    // The whole session, by a prefix of its id.
    let show = sessions_json(&repo, &["show", "ses_open"]);
    assert_eq!(show["id"], "ses_open_1");
    assert_eq!(show["prompt_lines"], json!(["Add a greeting"]));
    assert_eq!(show["commits"][0]["ai"], 2);
    assert_eq!(show["commits"][0]["mixed"], 0);
    let (code, text, _) = sessions(&repo, &["show", "s-pi"]);
    assert_eq!(code, 0);
    assert!(text.contains("1. Write a calculator\n  2. Thanks"), "{text}");
    assert!(text.contains(&format!("  {}  5 ai  0 mixed", &head[..12])), "{text}");
    assert!(text.contains("  calc.py"), "{text}");
}

#[test]
fn list_filters_and_sorts() {
    let repo = two_sessions();
    assert_eq!(ids(&sessions_json(&repo, &["--tool", "OpenCode"])), ["ses_open_1"]);
    assert_eq!(ids(&sessions_json(&repo, &["list", "--model", "coder"])), ["s-pi-2"]);
    assert_eq!(ids(&sessions_json(&repo, &["list", "--branch", "main"])).len(), 2);
    assert!(ids(&sessions_json(&repo, &["list", "--branch", "feature"])).is_empty());
    assert_eq!(ids(&sessions_json(&repo, &["list", "--since", "2025-11-20"])).len(), 2);
    assert!(ids(&sessions_json(&repo, &["list", "--since", "2999-01-01T00:00:00Z"])).is_empty());
    // The OpenCode session's events are of 2025-11-20; the other's are of now.
    assert_eq!(ids(&sessions_json(&repo, &["list", "--since", "2025-12-01"])), ["s-pi-2"]);
    assert_eq!(ids(&sessions_json(&repo, &["list", "--sort", "tool"])), ["s-pi-2", "ses_open_1"]);
    assert_eq!(ids(&sessions_json(&repo, &["list", "--sort", "lines"])), ["s-pi-2", "ses_open_1"]);
    assert_eq!(ids(&sessions_json(&repo, &["list", "--sort", "end"])), ["s-pi-2", "ses_open_1"]);
    let (code, _, stderr) = sessions(&repo, &["list", "--since", "last week"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("RFC 3339") && stderr.contains("YYYY-MM-DD"), "{stderr}");
}

#[test]
fn an_ambiguous_prefix_names_its_candidates_and_an_unknown_id_is_not_found() {
    let repo = TestRepo::with_hook();
    for id in ["ses_abc1", "ses_abc2", "ses_xyz"] {
        opencode_prompt(&repo, id, "msg_0", "hello", 1_763_600_000_000);
    }
    assert_eq!(sessions_json(&repo, &["show", "ses_x"])["id"], "ses_xyz");
    assert_eq!(sessions_json(&repo, &["show", "ses_abc1"])["id"], "ses_abc1");
    let (code, _, stderr) = sessions(&repo, &["show", "ses_abc"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("ses_abc1, ses_abc2") && stderr.contains("give more of the id"), "{stderr}");
    let (code, _, stderr) = sessions(&repo, &["show", "nope"]);
    assert_eq!(code, 7, "{stderr}");
    assert!(stderr.contains("no session id starts with `nope`"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn exclude_and_include_round_trip_and_show_in_the_list() {
    let repo = two_sessions();
    let (code, out, _) = sessions(&repo, &["exclude", "ses_open"]);
    assert_eq!(code, 0);
    assert_eq!(out, "excluded session ses_open_1 from exports\n");
    let (_, out, _) = sessions(&repo, &["exclude", "ses_open_1"]);
    assert_eq!(out, "session ses_open_1 was already excluded from exports\n");
    let list = sessions_json(&repo, &[]);
    assert_eq!(list[1]["id"], "ses_open_1");
    assert_eq!(list[1]["excluded"], true);
    assert_eq!(list[0]["excluded"], false);
    let (_, text, _) = sessions(&repo, &["list"]);
    let excluded: Vec<&str> = text.lines().filter(|l| l.ends_with("  excluded")).collect();
    assert_eq!(excluded.len(), 1, "{text}");
    assert!(excluded[0].starts_with("ses_open_1"), "{text}");
    let (_, text, _) = sessions(&repo, &["show", "ses_open_1"]);
    assert!(text.lines().next().unwrap().ends_with("excluded from exports"), "{text}");

    let change = sessions_json(&repo, &["include", "ses_open_1"]);
    assert_eq!(change, json!({"id": "ses_open_1", "excluded": false, "was_excluded": true}));
    assert_eq!(sessions_json(&repo, &[])[1]["excluded"], false);

    let (code, out, stderr) = sessions(&repo, &["exclude", "unknown"]);
    assert_eq!((code, out.as_str()), (7, ""));
    assert!(stderr.contains("no session id starts with `unknown`"), "{stderr}");
}

#[test]
fn a_session_keeps_the_git_context_it_started_in() {
    let repo = TestRepo::with_hook();
    repo.write("README.md", "base\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.git(&["remote", "add", "origin", "https://user:token@example.com/r.git"]);
    let start = repo.head();
    agent_event(&repo, "s-ctx", json!({"event": "prompt", "text": "Start"}));
    let show = sessions_json(&repo, &["show", "s-ctx"]);
    assert_eq!(show["remote_url"], "https://example.com/r.git");
    assert_eq!(show["branch"], "feature");
    assert_eq!(show["head_sha"], start.as_str());
    let (_, text, _) = sessions(&repo, &["show", "s-ctx"]);
    assert!(text.contains("remote    https://example.com/r.git\n"), "{text}");
    assert!(text.contains(&format!("HEAD      {start} (at start)\n")), "{text}");

    // Later events of the same session, on another branch and commit, change nothing.
    repo.write("more.txt", "more\n");
    repo.commit_all("more");
    repo.git(&["checkout", "-q", "-b", "other"]);
    agent_event(&repo, "s-ctx", json!({"event": "prompt", "text": "Go on"}));
    opencode_prompt(&repo, "s-ctx", "msg_late", "late", 1_763_600_000_000);
    let show = sessions_json(&repo, &["show", "s-ctx"]);
    assert_eq!(show["branch"], "feature");
    assert_eq!(show["head_sha"], start.as_str());
    assert_eq!(show["prompts"], 3);
    assert_eq!(ids(&sessions_json(&repo, &["--branch", "feature"])), ["s-ctx"]);

    // The credentials were never stored.
    for entry in std::fs::read_dir(repo.sce_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(!bytes.windows(5).any(|w| w == b"token"), "{} holds the token", path.display());
        }
    }

    // A new database (the old one lost) learns the context again from the next event:
    // what hooks remember beside the DB goes with it.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(repo.sce_dir().join(format!("agent-trace.db{suffix}")));
    }
    agent_event(&repo, "s-ctx", json!({"event": "prompt", "text": "After the loss"}));
    let show = sessions_json(&repo, &["show", "s-ctx"]);
    assert_eq!(show["branch"], "other", "{show}");
}

#[test]
fn a_hook_in_a_repo_with_an_odd_remote_config_still_records_its_events() {
    let repo = TestRepo::with_hook();
    repo.write("README.md", "base\n");
    repo.commit_all("base");
    // A remote without a URL, one whose URL is no URL at all, and a detached HEAD.
    repo.git(&["config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"]);
    repo.git(&["config", "remote.aa.url", "::: not a url @@@"]);
    repo.git(&["checkout", "-q", "--detach"]);
    agent_event(&repo, "s-odd", json!({"event": "prompt", "text": "Still here"}));
    opencode_prompt(&repo, "ses_odd", "msg_0", "Me too", 1_763_600_000_000);
    let list = sessions_json(&repo, &["list"]);
    assert_eq!(list.as_array().unwrap().len(), 2, "{list:#}");
    for session in list.as_array().unwrap() {
        assert_eq!(session["prompts"], 1, "{session}");
        assert_eq!(session["branch"], Value::Null, "{session}");
        assert_eq!(session["head_sha"], repo.head().as_str(), "{session}");
    }
}

#[test]
fn without_sce_set_up_it_says_so_and_with_no_sessions_the_list_is_empty() {
    let repo = TestRepo::new();
    let (code, out, stderr) = sessions(&repo, &["list"]);
    assert_eq!((code, out.as_str()), (7, ""), "{stderr}");
    assert!(stderr.contains("run `sce setup`"), "{stderr}");
    assert!(!repo.sce_dir().exists(), "listing must not create sce's directory");
    std::fs::create_dir_all(repo.sce_dir()).unwrap();
    assert_eq!(sessions_json(&repo, &[]), json!([]));
    assert_eq!(sessions(&repo, &[]).1, "no sessions\n");
}

/// An import of a transcript that names no git context leaves the session a row
/// without one: the first hook event of that session still records it.
#[test]
fn a_session_imported_without_git_context_gets_it_from_its_next_hook_event() {
    let repo = TestRepo::with_hook();
    assert!(repo.sce(&["setup"], "").status.success());
    repo.write("README.md", "base\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "resumed"]);
    let transcript = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/transcripts/pi/2026-11-30T01-56-15-873Z_01a22a2a-c580-73eb-93ce-7999f1a098a0.jsonl");
    let session = "01a22a2a-c580-73eb-93ce-7999f1a098a0";
    let out = repo.sce(&["import", "pi", transcript.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(sessions_json(&repo, &["show", session])["branch"], Value::Null);
    agent_event(&repo, session, json!({"event": "prompt", "text": "Carry on"}));
    let show = sessions_json(&repo, &["show", session]);
    assert_eq!(show["branch"], "resumed", "{show}");
    assert_eq!(show["head_sha"], repo.head().as_str(), "{show}");
}
