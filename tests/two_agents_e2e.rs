//! Two real agents, Claude Code then Codex CLI, edit the same file in turn before one
//! commit (both offline against the tests' own fake servers): each line is credited
//! to the agent that last wrote it.

use crate::common;
use crate::common::claude::run_claude;
use crate::common::codex::{run_codex, thread_id, write_config};
use crate::common::fake_anthropic::{FakeAnthropic, Step as ClaudeStep};
use crate::common::fake_responses::{FakeResponses, Step as CodexStep};
use crate::common::{TestRepo, line_classes, run_sce};
use serde_json::json;

#[test]
fn claude_code_then_codex_on_one_file_each_line_to_its_last_writer() {
    let repo = TestRepo::new();
    let scratch = tempfile::Builder::new().prefix("sce-two-").tempdir().unwrap();
    let home = scratch.path().join("home");
    let codex_home = home.join(".codex");
    std::fs::create_dir_all(&home).unwrap();
    let env = [("HOME", home.to_str().unwrap()), ("CODEX_HOME", codex_home.to_str().unwrap())];
    repo.write("seed.txt", "seed\n");
    repo.commit_all("seed");

    // Claude Code writes the file.
    let file = repo.root.join("shared.py");
    let claude = FakeAnthropic::start(vec![
        ClaudeStep::tool("Write", json!({"file_path": file, "content": "a = 1\nb = 2\nc = 3\n"})),
        ClaudeStep::text("Done."),
    ]);
    let codex = FakeResponses::start(vec![CodexStep::Patch(
        "*** Begin Patch\n*** Update File: shared.py\n@@\n a = 1\n-b = 2\n+b = 20\n c = 3\n*** End Patch".into(),
    )]);
    // Codex's own config first: setup adds the hooks' trust to it.
    write_config(&codex_home, &codex.base_url(), common::codex::DEFAULT_MODEL);
    let out = run_sce(&repo.root, &["setup", "--claude", "--codex"], "", &env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run_claude(&repo.root, &home, &claude.base_url(), "claude-sonnet-4-5-20250929", "Write shared.py");
    assert!(out.status.success(), "{}", common::claude::describe(&out));
    let claude_session = common::claude::session_id(&out).unwrap();

    // Codex then rewrites its middle line.
    let out = run_codex(&repo.root, &home, &codex_home, "Change b");
    assert!(out.status.success(), "{}", common::codex::describe(&out));
    let codex_session = thread_id(&out).unwrap();
    assert_eq!(repo.read("shared.py"), "a = 1\nb = 20\nc = 3\n");

    let stderr = repo.commit_all("two agents");
    assert_eq!(stderr, "");
    let record = repo.record("HEAD");
    let claude_line = format!("ai:{claude_session}");
    let codex_line = format!("ai:{codex_session}");
    assert_eq!(line_classes(&record, "shared.py", 3), [claude_line.as_str(), &codex_line, &claude_line], "{record}");
    let tools: Vec<&str> =
        record["metadata"]["sce"]["sessions"].as_array().unwrap().iter().map(|s| s["tool"].as_str().unwrap()).collect();
    assert!(tools.contains(&"claude-code") && tools.contains(&"codex"), "{record}");
}
