//! Shared helpers for the end-to-end scenarios: a real git repository in a
//! temp dir, the real `sce` binary, and the real Turso DB it writes.

pub mod agent_run;
pub mod claude;
pub mod codex;
pub mod fake_anthropic;
pub mod fake_gemini;
pub mod fake_http;
pub mod fake_openai;
pub mod fake_responses;
pub mod gemini;
pub mod npm_cache;
pub mod opencode;
pub mod pi;
pub mod samples;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

/// Path of the `sce` binary under test.
pub fn sce_bin() -> &'static str {
    env!("CARGO_BIN_EXE_sce")
}

/// A git repository in a temp dir, with an identity and (optionally) sce's post-commit hook.
pub struct TestRepo {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl TestRepo {
    /// `git init` in a fresh temp dir whose name contains a space and a quote.
    pub fn new() -> TestRepo {
        let dir = tempfile::Builder::new().prefix("sce test 'repo' ").tempdir().unwrap();
        let root = dir.path().join("work tree");
        std::fs::create_dir_all(&root).unwrap();
        let repo = TestRepo { _dir: dir, root };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Test Person"]);
        repo.git(&["config", "user.email", "person@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    /// A repository with sce's post-commit hook installed (as `sce setup` would).
    pub fn with_hook() -> TestRepo {
        let repo = TestRepo::new();
        repo.install_hook();
        repo
    }

    /// Writes `.git/hooks/post-commit` calling the binary under test.
    pub fn install_hook(&self) {
        let hooks = self.git_stdout(&["rev-parse", "--git-path", "hooks"]);
        let hooks = self.root.join(hooks.trim());
        std::fs::create_dir_all(&hooks).unwrap();
        let script = hooks.join("post-commit");
        std::fs::write(&script, format!("#!/bin/sh\nexec '{}' hooks post-commit\n", sce_bin())).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Runs git in the repo and asserts success.
    pub fn git(&self, args: &[&str]) -> Output {
        let out = Command::new("git").args(args).current_dir(&self.root).env("GIT_EDITOR", "true").output().unwrap();
        assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        out
    }

    /// Runs git and returns stdout.
    pub fn git_stdout(&self, args: &[&str]) -> String {
        String::from_utf8(self.git(args).stdout).unwrap()
    }

    /// Writes a file (creating directories).
    pub fn write(&self, path: &str, content: &str) {
        let full = self.root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }

    /// Reads a file.
    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root.join(path)).unwrap()
    }

    /// `git add -A && git commit -m msg`; returns the commit's stderr (hook output).
    pub fn commit_all(&self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        let out = self.git(&["commit", "-q", "-m", msg]);
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// The HEAD sha.
    pub fn head(&self) -> String {
        self.git_stdout(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// The sce directory in the git common dir.
    pub fn sce_dir(&self) -> PathBuf {
        let common = self.git_stdout(&["rev-parse", "--git-common-dir"]);
        self.root.join(common.trim()).join("sce")
    }

    /// Runs `sce ARGS` in the repo with `stdin`.
    pub fn sce(&self, args: &[&str], stdin: &str) -> Output {
        run_sce(&self.root, args, stdin, &[])
    }

    /// Sends an envelope through `sce hooks conversation-trace`; returns the parsed report.
    pub fn send(&self, envelope: &Value) -> Value {
        let out = self.sce(&["hooks", "conversation-trace"], &envelope.to_string());
        assert!(out.status.success(), "intake failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// `sce trace show REV --json`, parsed.
    pub fn record(&self, rev: &str) -> Value {
        let out = self.sce(&["trace", "show", rev, "--json"], "");
        assert!(out.status.success(), "trace show failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// Runs the binary with args, stdin and extra env, in `dir`.
pub fn run_sce(dir: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(sce_bin())
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .env("XDG_CONFIG_HOME", dir.join(".no-global-config"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// An agent session that reports edits as the plugin would.
pub struct Agent<'r> {
    pub repo: &'r TestRepo,
    pub session: String,
    next: std::cell::Cell<u32>,
}

impl<'r> Agent<'r> {
    /// A session with a model; its assistant message is reported at once.
    pub fn new(repo: &'r TestRepo, session: &str, model: &str) -> Agent<'r> {
        let agent = Agent { repo, session: session.into(), next: std::cell::Cell::new(0) };
        repo.send(&json!({"type": "message.updated", "tool_name": "opencode", "tool_version": "1.18.33",
            "payloads": [{"session_id": session, "message_id": "msg_1", "role": "assistant",
                          "model_id": model, "time_created_ms": 1_763_600_000_000u64}]}));
        agent
    }

    fn part_id(&self) -> String {
        let n = self.next.get() + 1;
        self.next.set(n);
        format!("prt_{n:04}")
    }

    /// Reports a patch part with the given fields (plus ids) and returns the report.
    pub fn report(&self, fields: Value) -> Value {
        let mut item = json!({"session_id": self.session, "message_id": "msg_1", "part_id": self.part_id(),
                              "part_type": "patch", "time_ms": 1_763_600_001_000u64});
        for (k, v) in fields.as_object().unwrap() {
            item[k] = v.clone();
        }
        let report = self.repo.send(&json!({"type": "message.part.updated", "tool_name": "opencode",
                                            "tool_version": "1.18.33", "payloads": [item]}));
        assert_eq!(report["persisted"], 1, "{report}");
        report
    }

    /// Writes `after` to `path` as the agent, reporting before+after.
    pub fn write(&self, path: &str, after: &str) {
        let before = std::fs::read_to_string(self.repo.root.join(path)).ok();
        self.repo.write(path, after);
        let mut fields = json!({"file_path": path, "tool": "write", "after": after});
        if let Some(before) = before {
            fields["before"] = json!(before);
        }
        self.report(fields);
    }

    /// Replaces `old` by `new` in `path` as the agent (an `edit` tool call), reporting before+after.
    pub fn edit(&self, path: &str, old: &str, new: &str) {
        let before = self.repo.read(path);
        assert!(before.contains(old), "{old:?} not in {path}");
        let after = before.replacen(old, new, 1);
        self.repo.write(path, &after);
        self.report(json!({"file_path": path, "tool": "edit", "before": before, "after": after}));
    }
}

/// Per line of `path` in `record`: "ai:<session>", "mixed:<session>", "unknown", or "-" (not added).
pub fn line_classes(record: &Value, path: &str, line_count: usize) -> Vec<String> {
    let mut classes = vec!["-".to_string(); line_count];
    let files = record["files"].as_array().unwrap();
    let Some(file) = files.iter().find(|f| f["path"] == path) else { return classes };
    for conversation in file["conversations"].as_array().unwrap() {
        let session = conversation["url"].as_str().map(|u| u.rsplit(':').next().unwrap().to_string());
        for range in conversation["ranges"].as_array().unwrap() {
            let kind = range["contributor"]["type"]
                .as_str()
                .or(conversation["contributor"]["type"].as_str())
                .unwrap()
                .to_string();
            let label = match (&kind[..], &session) {
                ("unknown", _) => "unknown".to_string(),
                (k, Some(s)) => format!("{k}:{s}"),
                (k, None) => k.to_string(),
            };
            for line in range["start_line"].as_u64().unwrap()..=range["end_line"].as_u64().unwrap() {
                let slot = &mut classes[line as usize - 1];
                assert_eq!(slot, "-", "line {line} of {path} is in two ranges");
                *slot = label.clone();
            }
        }
    }
    classes
}

/// The record's sce metadata line counts.
pub fn counts(record: &Value) -> (u64, u64, u64, u64) {
    let l = &record["metadata"]["sce"]["lines"];
    (
        l["ai"].as_u64().unwrap(),
        l["mixed"].as_u64().unwrap(),
        l["unknown"].as_u64().unwrap(),
        l["removed"].as_u64().unwrap(),
    )
}

impl TestRepo {
    /// A handle on an existing checkout (e.g. a linked worktree); the caller owns its lifetime.
    pub fn at(root: &Path) -> TestRepo {
        TestRepo { _dir: tempfile::tempdir().unwrap(), root: root.to_path_buf() }
    }
}

impl TestRepo {
    /// `sce doctor --json [ARGS]`: (exit code, report).
    pub fn doctor(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["doctor", "--json"];
        all.extend_from_slice(args);
        let out = self.sce(&all, "");
        (out.status.code().unwrap(), serde_json::from_slice(&out.stdout).unwrap())
    }
}

/// Names of the checks a doctor report calls problems.
pub fn problem_names(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "problem")
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}
