//! `sce why`: from a committed line to the agent's edit and the turn of the
//! conversation it was written in, through the real binary, real git and the real DB.

use crate::common::{TestRepo, run_sce};
use serde_json::{Value, json};

/// Sends one event of the generic agent contract (`sce hooks agent`).
fn hook(repo: &TestRepo, session: &str, agent: &str, model: &str, event: Value) {
    let mut event = event;
    event["agent"] = json!(agent);
    event["session_id"] = json!(session);
    event["model"] = json!(model);
    let out = run_sce(&repo.root, &["hooks", "agent"], &event.to_string(), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The agent writes `path` (reporting before and after, as an exact edit).
fn write(repo: &TestRepo, session: &str, agent: &str, model: &str, call: &str, path: &str, after: &str) {
    let before = std::fs::read_to_string(repo.root.join(path)).ok();
    repo.write(path, after);
    let mut file = json!({"path": path, "after": after});
    if let Some(before) = before {
        file["before"] = json!(before);
    }
    hook(
        repo,
        session,
        agent,
        model,
        json!({"event": "post_tool", "tool_call_id": call, "tool_name": "write",
                                             "files": [file]}),
    );
}

fn why(repo: &TestRepo, args: &[&str]) -> Value {
    let mut all = vec!["why"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = repo.sce(&all, "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Per line: the first prompt of the line's turn, or the conversation state.
fn prompts_per_line(report: &Value) -> Vec<String> {
    report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            if line["conversation"] != "found" {
                return line["conversation"].as_str().unwrap().to_string();
            }
            let edit = report["edits"].as_array().unwrap().iter().find(|e| e["seq"] == line["edit"]).unwrap();
            let turn = &report["turns"][edit["turn"].as_u64().unwrap() as usize];
            turn["prompts"][0]["text"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Two prompts in one session and a second session in the same file, then a person's line.
fn scripted_history(repo: &TestRepo) {
    assert!(repo.sce(&["setup"], "").status.success());
    repo.write("README", "base\n");
    repo.commit_all("base");
    let (s1, s2) = (("s-one", "my-agent", "acme/coder-2"), ("s-two", "other-agent", "acme/fast-1"));
    hook(repo, s1.0, s1.1, s1.2, json!({"event": "prompt", "text": "Write a parser for the config"}));
    write(repo, s1.0, s1.1, s1.2, "c1", "app.py", "def parse(text):\n    return text.split()\n");
    hook(repo, s1.0, s1.1, s1.2, json!({"event": "response", "text": "I wrote parse()."}));
    hook(repo, s1.0, s1.1, s1.2, json!({"event": "prompt", "text": "Now add a validator"}));
    let second = "def parse(text):\n    return text.split()\n\ndef validate(items):\n    return all(items)\n";
    write(repo, s1.0, s1.1, s1.2, "c2", "app.py", second);
    hook(repo, s1.0, s1.1, s1.2, json!({"event": "response", "text": "Added validate()."}));
    hook(repo, s2.0, s2.1, s2.2, json!({"event": "prompt", "text": "Log what gets validated"}));
    write(repo, s2.0, s2.1, s2.2, "d1", "app.py", &format!("{second}\nprint('validated')\n"));
    repo.write("app.py", &format!("{}# reviewed by hand\n", repo.read("app.py")));
    repo.commit_all("agent work");
}

#[test]
fn each_line_shows_the_prompt_of_the_turn_that_wrote_it() {
    let repo = TestRepo::with_hook();
    scripted_history(&repo);
    let report = why(&repo, &["app.py"]);
    let parse = "Write a parser for the config";
    let validate = "Now add a validator";
    let log = "Log what gets validated";
    assert_eq!(
        prompts_per_line(&report),
        [parse, parse, validate, validate, validate, log, log, "no_agent"],
        "{report:#}"
    );
    let lines = report["lines"].as_array().unwrap();
    assert_eq!(lines[0]["session"], "s-one");
    assert_eq!(lines[0]["model"], "acme/coder-2");
    assert_eq!(lines[0]["tool"], "my-agent");
    assert_eq!(lines[0]["class"], "ai");
    assert_eq!(lines[6]["session"], "s-two");
    assert_eq!(lines[6]["commit"].as_str().unwrap(), repo.head());
    // The first turn's answer, and the second turn's, not the other's.
    let turn_of = |line: usize| {
        let edit = report["edits"].as_array().unwrap().iter().find(|e| e["seq"] == lines[line]["edit"]).unwrap();
        &report["turns"][edit["turn"].as_u64().unwrap() as usize]
    };
    assert_eq!(turn_of(0)["answers"][0]["text"], "I wrote parse().");
    assert_eq!(turn_of(3)["answers"][0]["text"], "Added validate().");
    assert_eq!(turn_of(0)["answers"].as_array().unwrap().len(), 1);
    assert_eq!(turn_of(6)["session"], "s-two");
    // One line, and a range.
    assert_eq!(prompts_per_line(&why(&repo, &["app.py:4"])), [validate]);
    assert_eq!(prompts_per_line(&why(&repo, &["app.py:6-8"])), [log, log, "no_agent"]);
    // For people: the prompt under its lines.
    let out = repo.sce(&["why", "app.py:1-2"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("app.py:1-2 ai") && text.contains(&format!("prompt: {parse}")), "{text}");
    assert!(text.contains("answer: I wrote parse()."), "{text}");
}

#[test]
fn lines_keep_their_edit_through_an_amend_and_a_fetched_record_says_it_is_from_elsewhere() {
    let repo = TestRepo::with_hook();
    scripted_history(&repo);
    repo.write("NOTES", "later\n");
    repo.git(&["add", "NOTES"]);
    repo.git(&["commit", "-q", "--amend", "--no-edit"]);
    let report = why(&repo, &["app.py:1-3"]);
    assert_eq!(
        prompts_per_line(&report),
        ["Write a parser for the config", "Write a parser for the config", "Now add a validator"]
    );

    // A clone that fetched the notes but has its own (empty) DB.
    let clone = TestRepo::new();
    clone.git(&["fetch", "-q", repo.root.to_str().unwrap(), "HEAD:refs/heads/theirs", "refs/notes/*:refs/notes/*"]);
    clone.git(&["checkout", "-q", "theirs"]);
    assert!(clone.sce(&["setup"], "").status.success());
    let report = why(&clone, &["app.py:1"]);
    assert_eq!(report["lines"][0]["class"], "ai");
    assert_eq!(report["lines"][0]["session"], "s-one");
    assert_eq!(report["lines"][0]["conversation"], "recorded_elsewhere");
    let out = clone.sce(&["why", "app.py:1"], "");
    assert!(String::from_utf8_lossy(&out.stdout).contains("not in this repository's DB"));
}

#[test]
fn bad_line_ranges_say_what_to_ask() {
    let repo = TestRepo::with_hook();
    scripted_history(&repo);
    for (target, wanted) in [("app.py:9-3", "FIRST <= LAST"), ("app.py:40", "has 8 lines")] {
        let out = repo.sce(&["why", target], "");
        assert_eq!(out.status.code(), Some(2), "{target}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(wanted), "{target}: {stderr}");
    }
}
