//! The pager, chosen as git chooses it: `GIT_PAGER`, then `core.pager`, then
//! `PAGER`, then `less`; empty or `cat` means none. It runs only when stdout is
//! a terminal and `--no-pager` was not given; `LESS=FRX` and `LV=-c` are set
//! when unset, so short output prints and quits. A pager that cannot be started
//! leaves the output on stdout.

use std::io::Write;
use std::process::{Command, Stdio};

/// What the environment and the repository say about pagers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PagerEnv {
    /// `GIT_PAGER`.
    pub git_pager: Option<String>,
    /// The repository's `core.pager`.
    pub core_pager: Option<String>,
    /// `PAGER`.
    pub pager: Option<String>,
}

impl PagerEnv {
    /// The process environment, with the repository's `core.pager`.
    pub fn from_process(core_pager: Option<String>) -> PagerEnv {
        let var = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
        PagerEnv { git_pager: var("GIT_PAGER"), core_pager, pager: var("PAGER") }
    }
}

/// The pager command, or `None` for plain stdout: none unless `paging` is on and
/// stdout is a terminal; else the first of `GIT_PAGER`, `core.pager`, `PAGER`
/// that is set, or `less`; empty or `cat` means none.
pub fn pager_command(paging: bool, stdout_is_terminal: bool, env: &PagerEnv) -> Option<String> {
    if !paging || !stdout_is_terminal {
        return None;
    }
    let chosen = [&env.git_pager, &env.core_pager, &env.pager].into_iter().find_map(|v| v.as_deref()).unwrap_or("less");
    let chosen = chosen.trim();
    (!chosen.is_empty() && chosen != "cat").then(|| chosen.to_string())
}

/// Whether git would hand `command` to the shell (it has a shell metacharacter).
fn needs_shell(command: &str) -> bool {
    command.chars().any(|c| "|&;<>()$`\\\"' \t\n*?[#~=%".contains(c))
}

/// Writes `text` through `pager` (to stdout when `None` or when it cannot start)
/// and waits for it. A reader that stopped reading is no error.
pub(crate) fn write_through(pager: Option<&str>, text: &str) {
    let child = pager.and_then(|command| {
        let mut cmd = if needs_shell(command) {
            let mut sh = Command::new("sh");
            sh.arg("-c").arg(command);
            sh
        } else {
            Command::new(command)
        };
        if std::env::var_os("LESS").is_none() {
            cmd.env("LESS", "FRX");
        }
        if std::env::var_os("LV").is_none() {
            cmd.env("LV", "-c");
        }
        match cmd.stdin(Stdio::piped()).spawn() {
            Ok(child) => Some(child),
            Err(e) => {
                tracing::debug!("cannot start the pager {command:?}: {e}; printing to stdout");
                None
            }
        }
    });
    match child {
        Some(mut child) => {
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin.write_all(text.as_bytes());
            }
            let _ = child.wait();
        }
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(git_pager: Option<&str>, core_pager: Option<&str>, pager: Option<&str>) -> PagerEnv {
        PagerEnv {
            git_pager: git_pager.map(Into::into),
            core_pager: core_pager.map(Into::into),
            pager: pager.map(Into::into),
        }
    }

    #[test]
    fn no_pager_without_a_terminal_or_with_no_pager() {
        let e = env(Some("most"), Some("more"), Some("pg"));
        assert_eq!(pager_command(true, false, &e), None);
        assert_eq!(pager_command(false, true, &e), None);
        assert_eq!(pager_command(false, false, &e), None);
    }

    #[test]
    fn git_pager_then_core_pager_then_pager_then_less() {
        assert_eq!(pager_command(true, true, &env(Some("a"), Some("b"), Some("c"))).as_deref(), Some("a"));
        assert_eq!(pager_command(true, true, &env(None, Some("b"), Some("c"))).as_deref(), Some("b"));
        assert_eq!(pager_command(true, true, &env(None, None, Some("c"))).as_deref(), Some("c"));
        assert_eq!(pager_command(true, true, &env(None, None, None)).as_deref(), Some("less"));
    }

    #[test]
    fn empty_or_cat_means_no_pager_even_when_a_later_one_is_set() {
        assert_eq!(pager_command(true, true, &env(Some(""), None, Some("less"))), None);
        assert_eq!(pager_command(true, true, &env(None, Some("cat"), Some("less"))), None);
        assert_eq!(pager_command(true, true, &env(None, None, Some(" cat "))), None);
    }

    #[test]
    fn commands_with_shell_syntax_go_through_the_shell() {
        assert!(needs_shell("cat > file"));
        assert!(needs_shell("less -S"));
        assert!(!needs_shell("less"));
        assert!(!needs_shell("/usr/bin/less"));
    }

    #[test]
    fn a_pager_that_runs_gets_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("paged");
        write_through(Some(&format!("cat > '{}'", out.display())), "one\ntwo\n");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "one\ntwo\n");
    }

    #[test]
    fn a_missing_pager_binary_is_no_failure() {
        // Falls back to stdout (what the test harness captures); must not panic or hang.
        write_through(Some("sce-test-no-such-pager-binary"), "");
    }
}
