//! The hook payloads recorded from real agent sessions (`tests/fixtures/<agent>-<version>/`),
//! replayed in a test repository.

use std::path::Path;

use serde_json::Value;

use super::TestRepo;

/// Where the sample sessions ran.
pub const SAMPLE_PROJECT: &str = "/home/user/proj";

/// The hook payload `name` of the sample in `tests/fixtures/<fixtures>`, with the sample
/// project's path moved to `root` and its transcript at `transcript`.
pub fn hook_payload(fixtures: &str, name: &str, root: &Path, transcript: &Path) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(fixtures);
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap();
    event["transcript_path"] = Value::String(transcript.to_string_lossy().into_owned());
    event.to_string().replace(SAMPLE_PROJECT, root.to_str().unwrap())
}

/// What the Claude Code sample session's tool did to `hello.py` before its
/// PostToolUse event `name` (between PreToolUse and PostToolUse, as Claude makes it).
pub fn claude_sample_tool_effect(repo: &TestRepo, name: &str) {
    match name {
        "004-PostToolUse.json" => repo.write("hello.py", "print('hello')\nprint('world')\nprint('three')\n"),
        "007-PostToolUse.json" => {
            repo.write("hello.py", &repo.read("hello.py").replace("print('world')", "print('edited world')"))
        }
        "010-PostToolUse.json" => {
            repo.write("hello.py", &(repo.read("hello.py").replace("three", "THREE") + "print('appended by bash')\n"))
        }
        _ => {}
    }
}
