//! End-to-end with the real Gemini CLI, offline: the project's fake Gemini server
//! (`common/fake_gemini.rs`) scripts the model, and `common/gemini.rs` runs
//! `node bundle/gemini.js -p` in a temp git repository with an isolated HOME.
//!
//! Gemini CLI is fetched once with `npm pack @google/gemini-cli@0.61.0` into the test
//! cache (`common/npm_cache.rs`), or taken from `SCE_GEMINI_JS`; it needs node ≥ 20.

use std::path::Path;
use std::time::Instant;

use crate::common;
use crate::common::fake_gemini::{FakeGemini, Step};
use crate::common::gemini::{GEMINI_VERSION, describe, run_gemini, trust_folder, write_user_settings};
use crate::common::{TestRepo, line_classes, run_sce};
use sce::store::{Store, StorePaths};
use serde_json::{Value, json};

/// What sce records of a real Gemini CLI session: `sce setup --gemini`, a session that
/// creates a file, edits it, edits a file a person wrote, and changes files through the
/// shell tool; a person's edits on top; a commit.
#[test]
fn sce_records_a_real_gemini_cli_session_line_by_line() {
    let repo = TestRepo::new();
    let scratch = tempfile::Builder::new().prefix("sce-gemini-").tempdir().unwrap();
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let home_env = [("HOME", home.to_str().unwrap())];
    let setup = run_sce(&repo.root, &["setup", "--gemini"], "", &home_env);
    assert!(setup.status.success(), "{}", String::from_utf8_lossy(&setup.stderr));
    // Not trusted yet: setup said so. The person trusts the folder, as Gemini records it.
    assert!(String::from_utf8_lossy(&setup.stderr).contains("trusted"));
    write_user_settings(&home);
    trust_folder(&home, &repo.root);
    let out = run_sce(&repo.root, &["doctor", "--json"], "", &home_env);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let check = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "gemini").unwrap().clone();
    assert_eq!(check["status"], "ok", "{check}");

    repo.write("person.py", "def f():\n    return 1\n");
    repo.write("gone.txt", "to be deleted\n");
    // sce's settings are the person's to commit or not; this test keeps them out.
    repo.write(".git/info/exclude", "/.gemini/\n");
    repo.commit_all("a person's files");

    let path = |name: &str| repo.root.join(name);
    let server = FakeGemini::start(vec![
        Step::tool(
            "write_file",
            json!({"file_path": path("new.py"), "content": "print('one')\nprint('two')\nprint('three')\n"}),
        ),
        Step::tool(
            "replace",
            json!({"file_path": path("new.py"), "instruction": "Change the second line.",
                   "old_string": "print('two')", "new_string": "print('edited two')"}),
        ),
        Step::tool(
            "replace",
            json!({"file_path": path("person.py"), "instruction": "Return ten.",
                   "old_string": "return 1", "new_string": "return 10"}),
        ),
        Step::tool(
            "run_shell_command",
            json!({"command": "sed -i 's/three/THREE/' new.py && echo \"print('four')\" >> new.py && printf 'x = 1\\ny = 2\\n' > gen.py && rm gone.txt",
                   "description": "sed, append, create and delete"}),
        ),
        Step::text("Done."),
    ]);
    let model = "gemini-2.5-pro";
    let started = Instant::now();
    let out = run_gemini(&repo.root, &home, &server.base_url(), model, "Do the scripted work.");
    eprintln!("gemini session took {:.2?}", started.elapsed());
    let context = || format!("{}\n--- requests\n{}", describe(&out), server.summary());
    assert!(out.status.success(), "gemini failed\n{}", context());
    let result = common::gemini::result_event(&out).unwrap_or_else(|| panic!("no result event\n{}", context()));
    assert_eq!(result["status"], "success", "{}", context());
    let session = common::gemini::session_id(&out).unwrap_or_else(|| panic!("no init event\n{}", context()));
    // The server: the script ran to its end, every call to the requested model, no tool failed.
    let main = server.main_requests();
    assert!(main.len() >= 5, "{}", context());
    assert!(main.iter().all(|r| r.model.as_deref() == Some(model)), "{}", context());
    let responses = main.last().unwrap().function_responses();
    assert_eq!(responses.len(), 4, "{}", context());
    for r in &responses {
        assert!(r["response"].get("error").is_none(), "a tool failed: {r}\n{}", context());
    }
    assert_eq!(
        repo.read("new.py"),
        "print('one')\nprint('edited two')\nprint('THREE')\nprint('four')\n",
        "{}",
        context()
    );
    assert!(!Path::new(&path("gone.txt")).exists());
    // Gemini shows a hook's stderr as a message: sce printed none.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("sce:"), "{}", context());

    // A person, while no tool runs.
    repo.write("new.py", &repo.read("new.py").replace("print('one')", "print('one!')"));
    repo.write("person.py", &(repo.read("person.py") + "# by hand\n"));
    let stderr = repo.commit_all("gemini's work");
    assert_eq!(stderr, "", "the hook printed: {stderr}");
    let record = repo.record("HEAD");
    let ai = format!("ai:{session}");
    let mixed = format!("mixed:{session}");
    assert_eq!(line_classes(&record, "new.py", 4), [mixed.as_str(), &ai, &ai, &ai], "{record}");
    assert_eq!(line_classes(&record, "person.py", 3), ["-", ai.as_str(), "unknown"], "{record}");
    assert_eq!(line_classes(&record, "gen.py", 2), [ai.as_str(), &ai], "{record}");
    let sessions = record["metadata"]["sce"]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{record}");
    assert_eq!(sessions[0]["model"], format!("google/{model}"));
    assert_eq!(sessions[0]["tool"], "gemini-cli");
    assert_eq!(sessions[0]["tool_version"], GEMINI_VERSION, "{record}");
    // The prompt and the answer are stored.
    let paths = StorePaths::in_common_dir(repo.sce_dir().parent().unwrap());
    let store = Store::open(&paths, &Default::default()).unwrap();
    let stored = store.snapshot().unwrap().join("\n");
    assert!(stored.contains("Do the scripted work.") && stored.contains("Done."), "{stored}");
}
