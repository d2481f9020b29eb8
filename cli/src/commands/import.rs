//! `sce import`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;
use crate::import::apply::ImportTarget;
use crate::import::discover::worktree_roots;
use crate::import::{Agent, AgentHomes, Collected, SessionImport, SkippedLine, collect, import_sessions};

/// The agents whose transcripts can be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgentArg {
    /// Claude Code: `$CLAUDE_CONFIG_DIR` (default `~/.claude`) `/projects/<dir>/<session>.jsonl`.
    Claude,
    /// Codex CLI: `$CODEX_HOME` (default `~/.codex`) `/sessions/YYYY/MM/DD/rollout-*.jsonl`.
    Codex,
    /// Gemini CLI: `~/.gemini/tmp/<project>/chats/session-*.jsonl` (older: `.json`; `$GEMINI_CLI_HOME` for `~`).
    Gemini,
    /// pi: `$PI_CODING_AGENT_DIR` (default `~/.pi/agent`) `/sessions/--<cwd>--/*.jsonl`.
    Pi,
    /// OpenCode: the `opencode.db` database in `$XDG_DATA_HOME/opencode` (default `~/.local/share/opencode`).
    Opencode,
}

impl From<AgentArg> for Agent {
    fn from(agent: AgentArg) -> Agent {
        match agent {
            AgentArg::Claude => Agent::Claude,
            AgentArg::Codex => Agent::Codex,
            AgentArg::Gemini => Agent::Gemini,
            AgentArg::Pi => Agent::Pi,
            AgentArg::Opencode => Agent::OpenCode,
        }
    }
}

/// Import an agent's own session files: prompts, answers, models and versions
/// that hooks did not capture (sessions from before `sce setup`, or hooks that
/// did not run).
///
/// Without PATH, reads the agent's sessions in its usual place that ran inside
/// this repository (any of its work trees); each PATH (a file, or a directory
/// searched for `*.jsonl`; for OpenCode its database or data directory) is read
/// whatever directory its sessions ran in.
///
/// Only conversation text and session metadata are stored, never file edits:
/// attribution and existing records are unchanged. A session hooks captured is
/// merged with it (same ids, else the same text), and importing again adds
/// nothing. Texts are redacted as captured ones are (`capture.redact_secrets`);
/// messages older than `retention.conversations_days` (when set) are left out.
/// A line that is not a record is skipped and reported; a file that cannot be
/// read is reported and the others are imported (exit 3).
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Whose session files.
    #[arg(value_enum)]
    pub agent: AgentArg,
    /// Session files or directories (default: the agent's usual place, this repository's sessions).
    pub paths: Vec<PathBuf>,
    /// Report what would be added; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON: {"dry_run", "sessions": [{"tool_name", "session_id", "source", "new_messages",
    /// "new_texts", "changed_texts", "filled", "past_retention"}], "totals", "skipped_lines", "failures"}.
    #[arg(long)]
    pub json: bool,
}

/// Reads, stores and reports.
pub fn run(ctx: &CommandHelper, args: ImportArgs) -> Result<ExitCode, CommandError> {
    let (repo, config, paths) = ctx.workspace()?;
    if !paths.dir.is_dir() {
        return Err(CommandError::new(
            ExitCode::NotFound,
            format!("{} does not exist: run `sce setup` first", paths.dir.display()),
        ));
    }
    let agent = Agent::from(args.agent);
    let roots = worktree_roots(&repo.location.root, &repo.location.common_dir);
    let homes = AgentHomes::from_env();
    let Collected { transcripts, failures } = collect(agent, &args.paths, &homes, &roots);
    let skipped: Vec<_> = transcripts.iter().flat_map(|t| t.skipped.iter().cloned()).collect();
    let sessions = transcripts.into_iter().map(|t| t.session).collect();
    let target = ImportTarget {
        paths,
        config,
        root: &repo.location.root,
        worktree: &repo.location.worktree,
        now_ms: (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64,
    };
    let imports = import_sessions(&target, sessions, args.dry_run)
        .map_err(|e| CommandError::from_error(ExitCode::StorageFailed, e))?;
    report_skipped(&skipped);
    for failure in &failures {
        eprintln!("sce: {failure}");
    }
    if args.json {
        let totals = totals(&imports);
        let report = serde_json::json!({
            "dry_run": args.dry_run,
            "sessions": imports,
            "totals": totals,
            "skipped_lines": skipped,
            "failures": failures.iter().map(ToString::to_string).collect::<Vec<_>>(),
        });
        let json = serde_json::to_string_pretty(&report)
            .map_err(|e| CommandError::with_source(ExitCode::Internal, format!("cannot print the report: {e}"), e))?;
        println!("{json}");
    } else {
        print!("{}", describe(&imports, args.dry_run, agent, &args.paths, &homes));
    }
    Ok(if failures.is_empty() { ExitCode::Ok } else { ExitCode::InvalidInput })
}

/// The skipped lines on stderr: the first few of each file, then how many more.
fn report_skipped(skipped: &[SkippedLine]) {
    const SHOWN_PER_FILE: usize = 3;
    let mut per_file: BTreeMap<&Path, Vec<&SkippedLine>> = BTreeMap::new();
    for line in skipped {
        per_file.entry(&line.path).or_default().push(line);
    }
    for (path, lines) in per_file {
        for line in lines.iter().take(SHOWN_PER_FILE) {
            eprintln!("sce: {line}; the rest of the file was imported");
        }
        if lines.len() > SHOWN_PER_FILE {
            eprintln!(
                "sce: {}: {} more lines skipped (--json lists them all)",
                path.display(),
                lines.len() - SHOWN_PER_FILE
            );
        }
    }
}

/// Sums over sessions.
#[derive(Debug, Default, serde::Serialize)]
struct Totals {
    sessions: usize,
    new_messages: usize,
    new_texts: usize,
    changed_texts: usize,
}

fn totals(imports: &[SessionImport]) -> Totals {
    imports.iter().fold(Totals::default(), |mut t, i| {
        t.sessions += 1;
        t.new_messages += i.added.new_messages;
        t.new_texts += i.added.new_texts;
        t.changed_texts += i.added.changed_texts;
        t
    })
}

fn describe(imports: &[SessionImport], dry_run: bool, agent: Agent, paths: &[PathBuf], homes: &AgentHomes) -> String {
    if imports.is_empty() {
        let place = match (paths.is_empty(), homes.sessions_dir(agent)) {
            (true, Some(dir)) => format!(" for this repository in {}", dir.display()),
            _ => String::new(),
        };
        return format!("no {} sessions found{place}\n", agent.tool_name());
    }
    let verb = if dry_run { "would import" } else { "imported" };
    let mut out = String::new();
    for import in imports {
        let a = &import.added;
        out += &format!(
            "{verb} {} session {}: {} messages, {} texts new",
            import.tool_name, import.session_id, a.new_messages, a.new_texts
        );
        if a.changed_texts > 0 {
            out += &format!(", {} texts changed", a.changed_texts);
        }
        if import.past_retention > 0 {
            out += &format!(", {} older than retention.conversations_days left out", import.past_retention);
        }
        if !a.filled.is_empty() {
            let filled: Vec<String> = a.filled.iter().map(|(field, n)| format!("{field} ×{n}")).collect();
            out += &format!(", filled {}", filled.join(", "));
        }
        out += "\n";
    }
    let t = totals(imports);
    out += &format!(
        "total: {} sessions, {} messages, {} texts new, {} texts changed\n",
        t.sessions, t.new_messages, t.new_texts, t.changed_texts
    );
    out
}
