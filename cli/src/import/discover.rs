//! Where each agent keeps its session files, and which of them belong to this
//! repository. The usual places honour the directories the agents themselves
//! read from the environment (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`,
//! `GEMINI_CLI_HOME`, `PI_CODING_AGENT_DIR`).

use std::path::{Path, PathBuf};

use super::Agent;

/// The agents' home directories, as the environment sets them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentHomes {
    /// `$HOME`.
    pub home: Option<PathBuf>,
    /// `$CLAUDE_CONFIG_DIR` (default `~/.claude`).
    pub claude_config_dir: Option<PathBuf>,
    /// `$CODEX_HOME` (default `~/.codex`).
    pub codex_home: Option<PathBuf>,
    /// `$GEMINI_CLI_HOME`: the directory holding `.gemini` (default `~`).
    pub gemini_cli_home: Option<PathBuf>,
    /// `$PI_CODING_AGENT_DIR` (default `~/.pi/agent`).
    pub pi_agent_dir: Option<PathBuf>,
    /// OpenCode's data directory: `$XDG_DATA_HOME/opencode` (default `~/.local/share/opencode`).
    pub opencode_data: Option<PathBuf>,
}

impl AgentHomes {
    /// Read from the process environment (empty variables are unset).
    pub fn from_env() -> AgentHomes {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        AgentHomes {
            home: var("HOME"),
            claude_config_dir: var("CLAUDE_CONFIG_DIR"),
            codex_home: var("CODEX_HOME"),
            gemini_cli_home: var("GEMINI_CLI_HOME"),
            pi_agent_dir: var("PI_CODING_AGENT_DIR"),
            opencode_data: super::opencode::default_data_dir(),
        }
    }

    /// The directory `agent` keeps its session files under; `None` without a home.
    pub fn sessions_dir(&self, agent: Agent) -> Option<PathBuf> {
        let home = self.home.as_deref();
        match agent {
            Agent::Claude => {
                Some(self.claude_config_dir.clone().or_else(|| Some(home?.join(".claude")))?.join("projects"))
            }
            Agent::Codex => Some(self.codex_home.clone().or_else(|| Some(home?.join(".codex")))?.join("sessions")),
            Agent::Gemini => Some(self.gemini_cli_home.as_deref().or(home)?.join(".gemini").join("tmp")),
            Agent::Pi => {
                Some(self.pi_agent_dir.clone().or_else(|| Some(home?.join(".pi").join("agent")))?.join("sessions"))
            }
            Agent::OpenCode => self.opencode_data.clone(),
        }
    }
}

/// The work trees of the repository whose common git dir is `common_dir`: `root`,
/// the main one and every linked one (`<common>/worktrees/*/gitdir`).
pub fn worktree_roots(root: &Path, common_dir: &Path) -> Vec<PathBuf> {
    let mut roots = vec![root.to_path_buf()];
    if common_dir.file_name().is_some_and(|n| n == ".git")
        && let Some(main) = common_dir.parent()
    {
        roots.push(main.to_path_buf());
    }
    if let Ok(entries) = std::fs::read_dir(common_dir.join("worktrees")) {
        for entry in entries.flatten() {
            let Ok(gitdir) = std::fs::read_to_string(entry.path().join("gitdir")) else { continue };
            if let Some(tree) = Path::new(gitdir.trim()).parent() {
                roots.push(tree.to_path_buf());
            }
        }
    }
    let mut roots: Vec<PathBuf> = roots.into_iter().map(|r| std::fs::canonicalize(&r).unwrap_or(r)).collect();
    roots.sort();
    roots.dedup();
    roots
}

/// True when `cwd` is one of `roots` or inside one.
pub fn is_inside(cwd: &Path, roots: &[PathBuf]) -> bool {
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    roots.iter().any(|root| cwd.starts_with(root))
}

/// Every file under `dir` (down to `depth` levels) whose name matches `wanted`, sorted.
pub fn files_under(dir: &Path, depth: usize, wanted: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() && depth > 0 {
            found.extend(files_under(&path, depth - 1, wanted));
        } else if kind.is_file() && path.file_name().and_then(|n| n.to_str()).is_some_and(wanted) {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The session files `agent` keeps in its usual place, narrowed (where the
/// layout says where a session ran) to those that may belong to `roots`; the
/// caller still checks each session's directory.
pub fn usual_files(agent: Agent, homes: &AgentHomes, roots: &[PathBuf]) -> Vec<PathBuf> {
    let Some(dir) = homes.sessions_dir(agent) else { return Vec::new() };
    let jsonl = |name: &str| name.ends_with(".jsonl");
    match agent {
        // `<projects>/<cwd, every character but letters and digits as '-'>/<session>.jsonl`,
        // and its subagents' `<session>/subagents/agent-<id>.jsonl`.
        Agent::Claude => {
            let prefixes: Vec<String> = roots.iter().map(|r| claude_dir_name(r)).collect();
            subdirs(&dir)
                .into_iter()
                .filter(|d| dir_name(d).is_some_and(|n| prefixes.iter().any(|p| n.starts_with(p.as_str()))))
                .flat_map(|d| files_under(&d, 2, &jsonl))
                .collect()
        }
        Agent::Codex => files_under(&dir, 3, &|n| n.starts_with("rollout-") && n.ends_with(".jsonl")),
        Agent::Gemini => subdirs(&dir)
            .into_iter()
            .flat_map(|d| {
                files_under(&d.join("chats"), 0, &|n| n.starts_with("session-") && super::gemini::is_chat_file(n))
            })
            .collect(),
        // `<sessions>/--<cwd without its leading '/', '/' as '-'>--/<time>_<id>.jsonl`
        Agent::Pi => {
            let prefixes: Vec<String> = roots.iter().map(|r| pi_dir_name_prefix(r)).collect();
            subdirs(&dir)
                .into_iter()
                .filter(|d| dir_name(d).is_some_and(|n| prefixes.iter().any(|p| n.starts_with(p.as_str()))))
                .flat_map(|d| files_under(&d, 0, &jsonl))
                .collect()
        }
        // One database holds every session (read through `opencode::read_all`).
        Agent::OpenCode => super::opencode::discover(&dir).unwrap_or_default(),
    }
}

fn dir_name(dir: &Path) -> Option<&str> {
    dir.file_name().and_then(|n| n.to_str())
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())).map(|e| e.path()).collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// Claude Code's project directory name for `cwd`.
fn claude_dir_name(cwd: &Path) -> String {
    cwd.to_string_lossy().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}

/// The start of pi's session directory name for `cwd` (and any directory inside it).
fn pi_dir_name_prefix(cwd: &Path) -> String {
    let path = cwd.to_string_lossy();
    let path = path.trim_start_matches(['/', '\\']);
    format!("--{}", path.replace(['/', '\\', ':'], "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_places_honour_the_agents_variables() {
        let homes = AgentHomes { home: Some("/h".into()), codex_home: Some("/c".into()), ..Default::default() };
        assert_eq!(homes.sessions_dir(Agent::Claude), Some("/h/.claude/projects".into()));
        assert_eq!(homes.sessions_dir(Agent::Codex), Some("/c/sessions".into()));
        assert_eq!(homes.sessions_dir(Agent::Gemini), Some("/h/.gemini/tmp".into()));
        assert_eq!(homes.sessions_dir(Agent::Pi), Some("/h/.pi/agent/sessions".into()));
        assert_eq!(AgentHomes::default().sessions_dir(Agent::Claude), None);
        let set = AgentHomes {
            home: Some("/h".into()),
            claude_config_dir: Some("/cc".into()),
            codex_home: None,
            gemini_cli_home: Some("/g".into()),
            pi_agent_dir: Some("/p".into()),
            opencode_data: Some("/o/opencode".into()),
        };
        assert_eq!(set.sessions_dir(Agent::OpenCode), Some("/o/opencode".into()));
        assert_eq!(set.sessions_dir(Agent::Claude), Some("/cc/projects".into()));
        assert_eq!(set.sessions_dir(Agent::Codex), Some("/h/.codex/sessions".into()));
        assert_eq!(set.sessions_dir(Agent::Gemini), Some("/g/.gemini/tmp".into()));
        assert_eq!(set.sessions_dir(Agent::Pi), Some("/p/sessions".into()));
    }

    #[test]
    fn directory_names_follow_the_agents() {
        assert_eq!(claude_dir_name(Path::new("/home/user/my.proj")), "-home-user-my-proj");
        assert_eq!(pi_dir_name_prefix(Path::new("/home/user/proj")), "--home-user-proj");
    }

    #[test]
    fn only_directories_inside_a_root_are_inside() {
        let roots = vec![PathBuf::from("/nonexistent/repo")];
        assert!(is_inside(Path::new("/nonexistent/repo/sub"), &roots));
        assert!(!is_inside(Path::new("/nonexistent/repository"), &roots));
    }
}
