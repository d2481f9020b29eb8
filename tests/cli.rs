//! The command line surface: help, version, completion, exit codes.

use crate::common::run_sce;

#[test]
fn help_version_and_completion() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_sce(dir.path(), &["--help"], "", &[]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for command in ["hooks", "trace", "completion"] {
        assert!(help.contains(command), "{help}");
    }
    let out = run_sce(dir.path(), &["--version"], "", &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("sce {}", env!("CARGO_PKG_VERSION")));
    let out = run_sce(dir.path(), &["hooks", "conversation-trace", "--help"], "", &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Exit 0 when the envelope"));
    for shell in ["bash", "zsh", "fish"] {
        let out = run_sce(dir.path(), &["completion", shell], "", &[]);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("conversation-trace"), "{shell}");
    }
    let out = run_sce(dir.path(), &["no-such-command"], "", &[]);
    assert_eq!(out.status.code(), Some(2));
}
