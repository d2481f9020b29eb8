//! Which coding agents this machine and repository use, for `sce setup` with no
//! agent flag: their config directories and binaries on PATH.

use std::path::Path;

/// An agent found here, and how to record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentHint {
    /// The agent's name.
    pub agent: &'static str,
    /// What showed it is used here.
    pub evidence: String,
    /// The setup flag that records it.
    pub flag: &'static str,
}

impl std::fmt::Display for AgentHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "found {} ({}): run `sce setup {}` to record its edits", self.agent, self.evidence, self.flag)
    }
}

fn on_path(binary: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(binary)).find(|p| p.is_file())
}

/// The agents whose traces are in `repo_root` or the user's home, or whose binary is on PATH.
pub fn detect_agents(repo_root: &Path) -> Vec<AgentHint> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let mut hints = Vec::new();
    for (agent, binary, repo_dir, home_dir, flag) in [
        ("Claude Code", "claude", ".claude", ".claude", "--claude"),
        ("OpenCode", "opencode", ".opencode", ".config/opencode", "--opencode"),
        ("Gemini CLI", "gemini", ".gemini", ".gemini", "--gemini"),
        ("Cursor", "cursor-agent", ".cursor", ".cursor", "--cursor"),
        ("Codex CLI", "codex", ".codex", ".codex", "--codex"),
        ("pi", "pi", ".pi", ".pi/agent", "--pi"),
    ] {
        let evidence = if repo_root.join(repo_dir).is_dir() {
            Some(format!("{repo_dir}/ in this repository"))
        } else if let Some(bin) = on_path(binary) {
            Some(format!("{} on PATH", bin.display()))
        } else {
            home.as_ref().filter(|h| h.join(home_dir).is_dir()).map(|_| format!("~/{home_dir}"))
        };
        if let Some(evidence) = evidence {
            hints.push(AgentHint { agent, evidence, flag });
        }
    }
    hints
}
