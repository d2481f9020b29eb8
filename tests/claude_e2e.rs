//! End-to-end with the real Claude Code binary, offline: the project's fake
//! Anthropic server (`common/fake_anthropic.rs`) scripts the model, and
//! `common/claude.rs` runs `claude -p` in a temp git repository with an isolated HOME.
//!
//! Claude Code is fetched once with `npm pack @anthropic-ai/claude-code-linux-x64@2.1.332`
//! into the test cache (`common/npm_cache.rs`), or taken from `SCE_CLAUDE_BIN`.

use std::path::Path;
use std::time::Instant;

use crate::common;
use crate::common::claude::{
    CLAUDE_VERSION, hook_settings, read_jsonl, run_claude, shell_quote, write_project_settings,
};
use crate::common::fake_anthropic::{FakeAnthropic, Step};
use crate::common::{TestRepo, line_classes};
use serde_json::{Value, json};

/// Every JSON document in `path` (one per hook call; documents may span lines).
fn payloads(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    serde_json::Deserializer::from_str(&text).into_iter::<Value>().map(|v| v.expect("a hook payload")).collect()
}

/// The harness itself, with no sce in the loop: the fake server drives the real
/// binary through Write, Edit and Bash; a plain shell hook records the payloads.
#[test]
fn harness_real_claude_code_runs_a_scripted_session_against_the_fake_server() {
    let repo = TestRepo::new();
    let scratch = tempfile::Builder::new().prefix("sce claude 'harness' ").tempdir().unwrap();
    let home = scratch.path().join("home");
    let log = scratch.path().join("payloads.jsonl");
    let log_q = shell_quote(log.to_str().unwrap());
    let settings = hook_settings(&common::claude::SCE_HOOK_EVENTS, |_| format!("cat >> {log_q}; echo >> {log_q}"));
    write_project_settings(&repo.root, "settings.json", &settings);

    let hello = repo.root.join("hello.py");
    let server = FakeAnthropic::start(vec![
        Step::tool("Write", json!({"file_path": hello, "content": "print('hello')\nprint('world')\nprint('three')\n"})),
        Step::tool(
            "Edit",
            json!({"file_path": hello, "old_string": "print('world')", "new_string": "print('edited world')",
                   "replace_all": false}),
        ),
        Step::tool(
            "Bash",
            json!({"command": "sed -i 's/three/THREE/' hello.py && echo \"print('appended by bash')\" >> hello.py",
                   "description": "sed and append a line to hello.py"}),
        ),
        Step::text("All done: created, edited and shell-modified hello.py."),
    ]);
    let model = "claude-haiku-4-5-20251001";

    let started = Instant::now();
    let out = run_claude(&repo.root, &home, &server.base_url(), model, "Create hello.py, edit it, then use the shell.");
    eprintln!("claude session took {:.2?}", started.elapsed());
    let context = || format!("{}\n--- requests\n{}", common::claude::describe(&out), server.summary());
    assert!(out.status.success(), "claude failed\n{}", context());
    let result = common::claude::result_event(&out).unwrap_or_else(|| panic!("no result event\n{}", context()));
    assert_eq!(result["subtype"], "success", "{}", context());
    let session = common::claude::session_id(&out).unwrap_or_else(|| panic!("no init event\n{}", context()));

    // The files the three tools changed.
    assert_eq!(
        repo.read("hello.py"),
        "print('hello')\nprint('edited world')\nprint('THREE')\nprint('appended by bash')\n",
        "{}",
        context()
    );

    // The server: four main calls, the step chosen by the tool results, each with the
    // requested model; the last one carries the three tool results, none an error.
    let main = server.main_requests();
    let steps: Vec<_> = main.iter().map(|r| r.kind).collect();
    assert_eq!(main.len(), 4, "{}", context());
    assert_eq!(
        steps,
        (0..4).map(|step| common::fake_anthropic::Kind::Main { step }).collect::<Vec<_>>(),
        "{}",
        context()
    );
    assert!(main.iter().all(|r| r.model() == Some(model)), "{}", context());
    assert!(main.iter().all(|r| r.body["stream"] == true), "{}", context());
    let results = main[3].tool_results();
    let ids: Vec<_> = results.iter().map(|r| r["tool_use_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, ["toolu_fake_0001_0", "toolu_fake_0002_0", "toolu_fake_0003_0"], "{}", context());
    for r in &results {
        assert_ne!(r["is_error"], true, "a tool failed: {r}\n{}", context());
    }

    // The hooks: every event fired, Pre/PostToolUse per tool with the same tool_use_id.
    let calls = payloads(&log);
    let events: Vec<&str> = calls.iter().map(|p| p["hook_event_name"].as_str().unwrap()).collect();
    for event in common::claude::SCE_HOOK_EVENTS {
        assert!(events.contains(&event), "no {event} payload: {events:?}");
    }
    assert!(calls.iter().all(|p| p["session_id"] == session.as_str()), "{calls:?}");
    for (tool, id) in ["Write", "Edit", "Bash"].iter().zip(&ids) {
        for event in ["PreToolUse", "PostToolUse"] {
            let found = calls.iter().find(|p| p["hook_event_name"] == event && p["tool_name"] == *tool);
            let found = found.unwrap_or_else(|| panic!("no {event} for {tool}: {events:?}"));
            assert_eq!(found["tool_use_id"], id.as_str(), "{found}");
        }
    }
    let edit = calls.iter().find(|p| p["hook_event_name"] == "PostToolUse" && p["tool_name"] == "Edit").unwrap();
    assert_eq!(edit["tool_response"]["originalFile"], "print('hello')\nprint('world')\nprint('three')\n");

    // The transcript, where the payloads say, records the requested model.
    let transcript = calls[0]["transcript_path"].as_str().unwrap();
    assert!(Path::new(transcript).starts_with(home.join(".claude/projects")), "{transcript}");
    assert_eq!(common::claude::transcripts(&home), [Path::new(transcript)]);
    let records = read_jsonl(Path::new(transcript));
    let assistant: Vec<_> = records.iter().filter(|r| r["type"] == "assistant").collect();
    assert!(assistant.len() >= 4, "{} assistant records", assistant.len());
    for record in &assistant {
        assert_eq!(record["message"]["model"], model, "{record}");
    }
}

/// Runs one scripted session with the real Claude Code in `repo` (sce's hooks as
/// `sce setup --claude` installed them); returns Claude's session id.
fn session(repo: &TestRepo, home: &Path, model: &str, steps: Vec<Step>) -> String {
    let server = FakeAnthropic::start(steps);
    let out = run_claude(&repo.root, home, &server.base_url(), model, "Do the scripted work.");
    let context = || format!("{}\n--- requests\n{}", common::claude::describe(&out), server.summary());
    assert!(out.status.success(), "claude failed\n{}", context());
    let result = common::claude::result_event(&out).unwrap_or_else(|| panic!("no result event\n{}", context()));
    assert_eq!(result["subtype"], "success", "{}", context());
    for request in server.main_requests() {
        for r in request.tool_results() {
            assert_ne!(r["is_error"], true, "a tool failed: {r}\n{}", context());
        }
    }
    common::claude::session_id(&out).unwrap_or_else(|| panic!("no init event\n{}", context()))
}

/// What sce records of real Claude Code sessions: `sce setup --claude`, a session
/// that writes, edits files it read (one a person wrote), changes files with Bash
/// (sed -i, an append, a new file, a deletion); a person's edits on top; a commit;
/// then a second session with another model and an amend.
#[test]
fn sce_records_a_real_claude_code_session_line_by_line() {
    let repo = TestRepo::new();
    let setup = repo.sce(&["setup", "--claude"], "");
    assert!(setup.status.success(), "{}", String::from_utf8_lossy(&setup.stderr));
    repo.write("read_me.py", "a = 1\nb = 2\nc = 3\n");
    repo.write("person.py", "def f():\n    return 1\n");
    repo.write("gone.txt", "to be deleted\n");
    repo.commit_all("a person's files");
    let scratch = tempfile::Builder::new().prefix("sce-claude-").tempdir().unwrap();
    let home = scratch.path().join("home");
    let path = |name: &str| repo.root.join(name);

    let first = session(
        &repo,
        &home,
        "claude-sonnet-4-5-20250929",
        vec![
            Step::tool(
                "Write",
                json!({"file_path": path("new.py"), "content": "print('one')\nprint('two')\nprint('three')\n"}),
            ),
            Step::tool("Read", json!({"file_path": path("read_me.py")})),
            Step::tool("Edit", json!({"file_path": path("read_me.py"), "old_string": "b = 2", "new_string": "b = 20"})),
            Step::tool("Read", json!({"file_path": path("person.py")})),
            Step::tool(
                "Edit",
                json!({"file_path": path("person.py"), "old_string": "return 1", "new_string": "return 10"}),
            ),
            Step::tool(
                "Bash",
                json!({"command": "sed -i 's/three/THREE/' new.py && echo \"print('four')\" >> new.py"}),
            ),
            Step::tool("Bash", json!({"command": "printf 'x = 1\\ny = 2\\n' > gen.py && rm gone.txt"})),
            Step::text("Done."),
        ],
    );
    // A person, while no tool runs.
    repo.write("new.py", &repo.read("new.py").replace("print('one')", "print('one!')"));
    repo.write("person.py", &(repo.read("person.py") + "# by hand\n"));
    let stderr = repo.commit_all("claude's work");
    assert_eq!(stderr, "", "the hook printed: {stderr}");
    let record = repo.record("HEAD");
    let ai = format!("ai:{first}");
    let mixed = format!("mixed:{first}");
    assert_eq!(line_classes(&record, "new.py", 4), [mixed.as_str(), &ai, &ai, &ai], "{record}");
    assert_eq!(line_classes(&record, "read_me.py", 3), ["-", ai.as_str(), "-"], "{record}");
    assert_eq!(line_classes(&record, "person.py", 3), ["-", ai.as_str(), "unknown"], "{record}");
    assert_eq!(line_classes(&record, "gen.py", 2), [ai.as_str(), &ai], "{record}");
    let sessions = record["metadata"]["sce"]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{record}");
    assert_eq!(sessions[0]["model"], "anthropic/claude-sonnet-4-5-20250929");
    assert_eq!(sessions[0]["tool"], "claude-code");
    assert_eq!(sessions[0]["tool_version"], CLAUDE_VERSION);

    // A second session, another model, then an amend: both sessions, the first one's
    // lines carried.
    let second = session(
        &repo,
        &home,
        "claude-haiku-4-5-20251001",
        vec![
            Step::tool("Read", json!({"file_path": path("new.py")})),
            Step::tool(
                "Edit",
                json!({"file_path": path("new.py"), "old_string": "print('two')", "new_string": "print(2)"}),
            ),
            Step::text("Done."),
        ],
    );
    assert_ne!(second, first);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--amend", "-m", "claude's work, amended"]);
    let record = repo.record("HEAD");
    let ai2 = format!("ai:{second}");
    assert_eq!(line_classes(&record, "new.py", 4), [mixed.as_str(), &ai2, &ai, &ai], "{record}");
    assert_eq!(line_classes(&record, "gen.py", 2), [ai.as_str(), &ai], "{record}");
    let models: Vec<&str> = record["metadata"]["sce"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["model"].as_str().unwrap())
        .collect();
    assert!(
        models.contains(&"anthropic/claude-haiku-4-5-20251001")
            && models.contains(&"anthropic/claude-sonnet-4-5-20250929"),
        "{record}"
    );
}
