//! End-to-end with the real pi: `sce setup --pi`, one scripted session (offline,
//! against the fake OpenAI Chat Completions model on loopback) that creates a file,
//! edits it, edits a file a person wrote and changes a file through bash; a person
//! edits on top; `git commit`; the record asserted line by line.
//!
//! pi (`@mariozechner/pi-coding-agent@0.73.1`) is fetched once into the tests' cache
//! outside the repository (`common/npm_cache.rs`, then its dependencies: `common/pi.rs`;
//! or `SCE_PI_JS`); the fake model is `common/fake_openai.rs`. The extension under test
//! is the one `sce setup --pi` installs, `.pi/extensions/sce-agent-trace.ts`.

use crate::common;
use crate::common::{TestRepo, counts, line_classes};
use serde_json::json;

#[test]
fn pi_session_write_edit_bash_and_a_person() {
    let repo = TestRepo::new();
    repo.write("app.py", "def main():\n    return 1\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "a person's start"]);
    let out = repo.sce(&["setup", "--pi"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(".pi/extensions/sce-agent-trace.ts"));
    // The installed extension is the embedded one; git must not commit it with the session.
    let exclude = repo.root.join(".git/info/exclude");
    let before = std::fs::read_to_string(&exclude).unwrap_or_default();
    std::fs::write(&exclude, format!("{before}\n.pi/\n")).unwrap();

    let steps = json!([
        {"tool": "write", "args": {"path": "{PROJ}/hello.py",
                                   "content": "print('hello')\nprint('world')\nprint('three')\n"}},
        {"tool": "edit", "args": {"path": "hello.py",
                                  "edits": [{"oldText": "print('world')", "newText": "print('edited world')"}]}},
        {"tool": "edit", "args": {"path": "{PROJ}/app.py",
                                  "edits": [{"oldText": "    return 1", "newText": "    value = compute()\n    return value"}]}},
        {"tool": "bash", "args": {"command": "sed -i 's/three/THREE/' hello.py && echo \"print('appended by bash')\" >> hello.py"}},
    ]);
    let session = common::pi::run_session(&repo.root, &steps);
    assert_eq!(
        repo.read("hello.py"),
        "print('hello')\nprint('edited world')\nprint('THREE')\nprint('appended by bash')\n"
    );
    assert_eq!(repo.read("app.py"), "def main():\n    value = compute()\n    return value\n");
    // Every tool call went to the model and back.
    let answers: Vec<String> =
        session.requests.iter().filter_map(|r| r["answer"].as_str().map(str::to_string)).collect();
    assert_eq!(answers, ["tool:write", "tool:edit", "tool:edit", "tool:bash", "final"]);

    // A person edits on top: a new line, and one of the agent's lines changed a little.
    std::fs::write(
        repo.root.join("hello.py"),
        "print('hello')\nprint('edited world')\nprint('THREE')\nprint('appended by bash')\nprint('by a person')\n",
    )
    .unwrap();
    repo.write("app.py", "def main():\n    value = compute()\n    return value  # checked\n");
    repo.git(&["add", "-A"]);
    let out = repo.git(&["commit", "-q", "-m", "pi session"]);
    assert!(out.stderr.is_empty(), "hook said: {}", String::from_utf8_lossy(&out.stderr));
    let record = repo.record("HEAD");

    let ai = format!("ai:{}", session.id);
    let mixed = format!("mixed:{}", session.id);
    assert_eq!(line_classes(&record, "hello.py", 5), [&ai[..], &ai[..], &ai[..], &ai[..], "unknown"], "{record:#}");
    assert_eq!(line_classes(&record, "app.py", 3), ["-", &ai[..], &mixed[..]], "{record:#}");
    assert_eq!(counts(&record), (5, 1, 1, 1), "{record:#}");
    assert_eq!(record["tool"]["name"], "pi", "{record:#}");
    assert_eq!(record["tool"]["version"], common::pi::PI_VERSION, "{record:#}");
    let models: Vec<&str> = record["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["conversations"].as_array().unwrap())
        .filter_map(|c| c["contributor"]["model_id"].as_str())
        .collect();
    assert!(!models.is_empty() && models.iter().all(|m| *m == "fake/fake-coder"), "{record:#}");
    let urls: Vec<&str> = record["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["conversations"].as_array().unwrap())
        .filter_map(|c| c["url"].as_str())
        .collect();
    assert!(urls.iter().all(|u| *u == format!("urn:sce:session:{}", session.id)), "{urls:?}");

    // The extension is reported by doctor, and uninstall removes it.
    let (_, report) = repo.doctor(&[]);
    let pi = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "pi").unwrap().clone();
    assert_eq!(pi["status"], "ok", "{report:#}");
    let out = repo.sce(&["setup", "--uninstall"], "");
    assert!(out.status.success());
    assert!(!repo.root.join(".pi/extensions/sce-agent-trace.ts").exists());
}

#[test]
fn doctor_reports_and_fixes_the_pi_extension() {
    let repo = TestRepo::new();
    let (_, report) = repo.doctor(&[]);
    let check = |report: &serde_json::Value| {
        report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "pi").unwrap().clone()
    };
    assert_eq!(check(&report)["status"], "info", "{report:#}");
    let out = repo.sce(&["setup", "--pi"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let installed = repo.root.join(".pi/extensions/sce-agent-trace.ts");
    let source = std::fs::read_to_string(&installed).unwrap();
    // Running setup again changes nothing.
    let again = repo.sce(&["setup", "--pi"], "");
    assert!(String::from_utf8_lossy(&again.stdout).contains("unchanged"), "{}", String::from_utf8_lossy(&again.stdout));

    std::fs::write(&installed, "// an old version\n").unwrap();
    let (code, report) = repo.doctor(&[]);
    assert_ne!(code, 0);
    assert_eq!(check(&report)["status"], "problem", "{report:#}");
    let (_, _) = repo.doctor(&["--fix"]);
    assert_eq!(std::fs::read_to_string(&installed).unwrap(), source);
    let (_, report) = repo.doctor(&[]);
    assert_eq!(check(&report)["status"], "ok", "{report:#}");
}
