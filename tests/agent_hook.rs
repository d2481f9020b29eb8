//! `sce hooks agent`, the contract for any other agent, through the real binary, a
//! real git repository and the real DB.

use crate::common::{TestRepo, line_classes, run_sce};
use serde_json::{Value, json};

fn hook(repo: &TestRepo, event: &Value) -> String {
    let out = run_sce(&repo.root, &["hooks", "agent"], &event.to_string(), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn exact_edits_and_snapshotted_tool_calls_are_attributed_to_the_agent() {
    let repo = TestRepo::with_hook();
    assert!(repo.sce(&["setup"], "").status.success());
    repo.write("person.py", "def f():\n    return 1\n");
    repo.commit_all("base");
    let base = json!({"agent": "my-agent", "agent_version": "0.3.0", "session_id": "s-1", "model": "acme/coder-2"});
    let with = |extra: Value| {
        let mut event = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            event[k] = v.clone();
        }
        event
    };
    assert_eq!(hook(&repo, &with(json!({"event": "prompt", "text": "Write a greeting"}))), "");
    // An exact edit: the agent says what the file was and became.
    repo.write("greet.py", "print('hi')\nprint('bye')\n");
    assert_eq!(
        hook(
            &repo,
            &with(json!({"event": "post_tool", "tool_call_id": "c-1", "tool_name": "write",
                         "files": [{"path": "greet.py", "after": "print('hi')\nprint('bye')\n"}]}))
        ),
        ""
    );
    // A shell call: sce snapshots before and compares after.
    hook(&repo, &with(json!({"event": "pre_tool", "tool_call_id": "c-2", "tool_name": "shell"})));
    repo.write("person.py", "def f():\n    return 2\n");
    hook(&repo, &with(json!({"event": "post_tool", "tool_call_id": "c-2", "tool_name": "shell"})));
    hook(&repo, &with(json!({"event": "response", "text": "Done."})));
    hook(&repo, &with(json!({"event": "session_end"})));
    repo.write("greet.py", &(repo.read("greet.py") + "# by hand\n"));
    repo.commit_all("agent work");
    let record = repo.record("HEAD");
    assert_eq!(line_classes(&record, "greet.py", 3), ["ai:s-1", "ai:s-1", "unknown"]);
    assert_eq!(line_classes(&record, "person.py", 2), ["-", "ai:s-1"]);
    let session = &record["metadata"]["sce"]["sessions"][0];
    assert_eq!(session["model"], "acme/coder-2", "{record}");
    assert_eq!(session["tool"], "my-agent");
    assert_eq!(session["tool_version"], "0.3.0");
}

#[test]
fn a_bad_event_is_one_line_and_a_hostile_agent_name_stays_inside_sce_s_directory() {
    let repo = TestRepo::new();
    assert!(repo.sce(&["setup"], "").status.success());
    let stderr = hook(
        &repo,
        &json!({"event": "post_tool", "agent": "x", "session_id": "s", "tool_call_id": "c",
                                      "fles": []}),
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("unknown field `fles`"), "{stderr}");
    let stderr = hook(&repo, &json!({"event": "pre_tool", "agent": "x", "session_id": "s"}));
    assert!(stderr.contains("needs tool_call_id"), "{stderr}");
    hook(&repo, &json!({"event": "pre_tool", "agent": "../../../evil", "session_id": "s", "tool_call_id": "c"}));
    let agents: Vec<String> = std::fs::read_dir(repo.sce_dir().join("agents"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(agents, ["_________evil"]);
}
