//! The demo: a short agent session played through the real intake path, a
//! human edit, and a commit through the real hook, in a throwaway repository.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::install;

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A command the demo runs failed.
    #[error("{what} failed: {detail}")]
    Step {
        /// The step.
        what: String,
        /// Its error output.
        detail: String,
    },
}

fn step_err(what: &str, detail: impl std::fmt::Display) -> DemoError {
    DemoError::Step { what: what.into(), detail: detail.to_string() }
}

const MODEL: &str = "anthropic/claude-sonnet-4-5";
const SESSION: &str = "ses_demo_1";
const T0: u64 = 1_763_600_000_000;

const APP_BEFORE: &str = "def main():\n    print(\"hello\")\n\n\nif __name__ == \"__main__\":\n    main()\n";
const APP_AFTER: &str = "from greet import greet\n\n\ndef main():\n    print(greet(\"world\"))\n\n\nif __name__ == \"__main__\":\n    main()\n";
const GREET: &str = "def greet(name):\n    \"\"\"Return a friendly greeting.\"\"\"\n    return f\"Hello, {name}!\"\n";
const GREET_HUMAN: &str = "def greet(name):\n    \"\"\"Return a friendly greeting for name.\"\"\"\n    return f\"Hello, {name}!\"\n\n\n# Reviewed by a person.\n";

/// Plays the demo in `dir` (an empty directory) with the sce binary `sce`.
/// `say` receives each narration line. Returns the summary and the record JSON.
pub fn run_demo(sce: &Path, dir: &Path, say: &mut dyn FnMut(&str)) -> Result<(String, String), DemoError> {
    let git = |args: &[&str]| -> Result<String, DemoError> {
        let out = Command::new("git").args(args).current_dir(dir).output().map_err(|e| step_err("git", e))?;
        if !out.status.success() {
            return Err(step_err(&format!("git {}", args.join(" ")), String::from_utf8_lossy(&out.stderr)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let write = |path: &str, text: &str| -> Result<(), DemoError> {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(|e| step_err("write", e))?;
        }
        std::fs::write(full, text).map_err(|e| step_err("write", e))
    };
    let send = |envelope: Value| -> Result<(), DemoError> {
        let mut child = Command::new(sce)
            .args(["hooks", "conversation-trace"])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| step_err("sce hooks conversation-trace", e))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(envelope.to_string().as_bytes())
                .map_err(|e| step_err("sce hooks conversation-trace", e))?;
        }
        let out = child.wait_with_output().map_err(|e| step_err("sce hooks conversation-trace", e))?;
        if !out.status.success() {
            return Err(step_err("sce hooks conversation-trace", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(())
    };

    say(&format!("1. A fresh repository in {}, with sce's post-commit hook.", dir.display()));
    git(&["init", "-q", "-b", "main"])?;
    git(&["config", "user.name", "Demo Person"])?;
    git(&["config", "user.email", "demo@example.com"])?;
    git(&["config", "commit.gpgsign", "false"])?;
    let hooks_dir = dir.join(".git").join("hooks");
    install::install_hook(&hooks_dir, "post-commit", sce).map_err(|e| step_err("installing the hook", e))?;
    write("app.py", APP_BEFORE)?;
    git(&["add", "-A"])?;
    git(&["commit", "-q", "-m", "A person writes app.py"])?;

    say("2. An agent session (as the OpenCode plugin reports it): it writes greet.py and edits app.py.");
    send(json!({"type": "message.updated", "tool_name": "opencode", "tool_version": "1.18.33", "payloads": [
        {"session_id": SESSION, "message_id": "msg_1", "role": "user", "time_created_ms": T0},
        {"session_id": SESSION, "message_id": "msg_2", "role": "assistant", "model_id": MODEL,
         "parent_id": "msg_1", "time_created_ms": T0 + 1000, "time_completed_ms": T0 + 9000}]}))?;
    write("greet.py", GREET)?;
    write("app.py", APP_AFTER)?;
    send(json!({"type": "message.part.updated", "tool_name": "opencode", "tool_version": "1.18.33", "payloads": [
        {"session_id": SESSION, "message_id": "msg_2", "part_id": "prt_1", "part_type": "text",
         "text": "I'll move the greeting into its own module.", "time_ms": T0 + 2000},
        {"session_id": SESSION, "message_id": "msg_2", "part_id": "prt_2", "part_type": "patch", "tool": "write",
         "file_path": "greet.py", "status": "added", "after": GREET, "time_ms": T0 + 3000},
        {"session_id": SESSION, "message_id": "msg_2", "part_id": "prt_3", "part_type": "patch", "tool": "edit",
         "file_path": "app.py", "before": APP_BEFORE, "after": APP_AFTER, "time_ms": T0 + 4000}]}))?;

    say("3. The person edits on top: rewords the agent's docstring and adds a comment of their own.");
    write("greet.py", GREET_HUMAN)?;

    say("4. git commit — the post-commit hook attributes every added line.");
    git(&["add", "-A"])?;
    git(&["commit", "-q", "-m", "Greeting module"])?;

    let show = |extra: &[&str]| -> Result<String, DemoError> {
        let out = Command::new(sce)
            .args(["trace", "show", "HEAD"])
            .args(extra)
            .current_dir(dir)
            .output()
            .map_err(|e| step_err("sce trace show", e))?;
        if !out.status.success() {
            return Err(step_err("sce trace show", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    Ok((show(&[])?, show(&["--json"])?))
}
