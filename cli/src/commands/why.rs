//! `sce why`.

use std::path::PathBuf;

use clap::Args;

use super::blame::{repo_path, tone_of};
use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;
use crate::output::{Painter, Tone};
use crate::report::blame::blame_file;
use crate::report::why::{Conversation, Turn, WhyLine, WhyReport, explain_lines};
use crate::store::Store;

/// Show why lines are there: the agent's edit and the prompt behind each line.
///
/// Per line: who wrote it (ai / mixed / unknown, session, model, tool, the commit that
/// introduced it; git blame semantics, renames followed) and, from this repository's DB,
/// the agent's edit that wrote it and the turn of the conversation it was written in: the
/// prompt(s) and the agent's answers, trimmed (--full for all of it).
///
/// FILE is relative to the current directory (to the repository's root with -R when the
/// current directory is outside it); FILE:LINE or FILE:FIRST-LAST asks for those lines only.
/// A commit recorded in another clone (its note was fetched) has no conversation here: sce
/// says so. --json prints one object, documented in context/why.md, for tools and agents.
#[derive(Debug, Args)]
pub struct WhyArgs {
    /// FILE, FILE:LINE or FILE:FIRST-LAST.
    pub target: String,
    /// The revision to read the file at (default HEAD).
    #[arg(long, default_value = "HEAD")]
    pub rev: String,
    /// Print one JSON object: {"version","file","rev","lines":[…],"edits":[…],"turns":[…]}.
    #[arg(long)]
    pub json: bool,
    /// Show prompts and answers whole instead of trimmed.
    #[arg(long)]
    pub full: bool,
}

/// Explains and prints.
pub fn run(ctx: &CommandHelper, args: WhyArgs) -> Result<ExitCode, CommandError> {
    let (repo, config, paths) = ctx.workspace()?;
    let (file, wanted) = split_target(&args.target, |f| PathBuf::from(f).exists())?;
    let path = repo_path(ctx, &PathBuf::from(&file))?;
    let commit = repo.resolve_commit(&args.rev)?;
    let mut blamed = blame_file(repo, &config.agent_trace.notes_ref, &path, commit)?;
    if let Some((first, last)) = wanted {
        if first > blamed.len() {
            return Err(CommandError::new(
                ExitCode::Usage,
                format!("{path} has {} lines at {}; ask for lines 1-{}", blamed.len(), args.rev, blamed.len()),
            ));
        }
        blamed.retain(|l| l.line >= first && l.line <= last);
    }
    let store = if paths.db.exists() { Some(Store::open_configured(paths, config)?) } else { None };
    let report = explain_lines(&path, &commit.to_string(), blamed, store.as_ref(), args.full)?;
    drop(store);
    let ui = ctx.ui(args.json);
    if args.json {
        let json = serde_json::to_string_pretty(&report)
            .map_err(|e| CommandError::with_source(ExitCode::Internal, "cannot write the report as JSON", e))?;
        ui.print(&format!("{json}\n"));
    } else {
        ui.page(&render(&report, ui.painter()));
    }
    Ok(ExitCode::Ok)
}

/// Splits `FILE[:LINE[-LINE]]`; a target that names an existing path (`exists`) is a
/// file even if it contains a colon.
fn split_target(target: &str, exists: impl Fn(&str) -> bool) -> Result<(String, Option<(usize, usize)>), CommandError> {
    let Some((file, lines)) = target.rsplit_once(':') else { return Ok((target.to_string(), None)) };
    if lines.is_empty() || !lines.starts_with(|c: char| c.is_ascii_digit()) || exists(target) {
        return Ok((target.to_string(), None));
    }
    let bad = || {
        CommandError::new(
            ExitCode::Usage,
            format!("`{target}`: lines must be LINE or FIRST-LAST, 1-based with FIRST <= LAST (e.g. {file}:10-20)"),
        )
    };
    let number = |s: &str| s.trim().parse::<usize>().ok().filter(|n| *n > 0);
    let (first, last) = match lines.split_once('-') {
        Some((first, last)) => (number(first).ok_or_else(bad)?, number(last).ok_or_else(bad)?),
        None => {
            let line = number(lines).ok_or_else(bad)?;
            (line, line)
        }
    };
    if first > last {
        return Err(bad());
    }
    Ok((file.to_string(), Some((first, last))))
}

/// Lines grouped by who wrote them, each group followed by its turn.
fn render(report: &WhyReport, paint: Painter) -> String {
    let mut out = String::new();
    let mut shown_turns = vec![false; report.turns.len()];
    let same = |a: &WhyLine, b: &WhyLine| {
        a.commit == b.commit && a.class == b.class && a.session == b.session && a.edit == b.edit
    };
    let mut start = 0;
    while start < report.lines.len() {
        let first = &report.lines[start];
        let end = report.lines[start..].iter().position(|l| !same(first, l)).map_or(report.lines.len(), |n| start + n);
        let group = &report.lines[start..end];
        let last = &group[group.len() - 1];
        let span = if first.line == last.line {
            format!("{}:{}", report.file, first.line)
        } else {
            format!("{}:{}-{}", report.file, first.line, last.line)
        };
        let (class, tone) = match first.class {
            None => ("no-record", Tone::Dim),
            Some(c) => (c.name(), tone_of(c.name())),
        };
        out.push_str(&format!(
            "{} {} {}",
            paint.paint(Tone::Heading, &span),
            paint.paint(tone, class),
            paint.paint(Tone::Commit, &first.commit[..first.commit.len().min(10)])
        ));
        if let Some(session) = &first.session {
            let who = [first.tool.as_deref(), first.model.as_deref()].into_iter().flatten().collect::<Vec<_>>();
            out.push_str(&format!(" session {session}"));
            if !who.is_empty() {
                out.push_str(&format!(" ({})", who.join(", ")));
            }
        }
        out.push('\n');
        for line in group {
            out.push_str(&format!("  {:>5} | {}\n", line.line, line.text));
        }
        match (first.conversation, first.edit.and_then(|seq| report.edits.iter().find(|e| e.seq == seq))) {
            (Conversation::Found, Some(edit)) => {
                let call = edit.tool_call.as_deref().unwrap_or("edit");
                out.push_str(&format!("  {} {call} at {}\n", paint.paint(Tone::Dim, "written by"), edit.time));
                match edit.turn {
                    Some(turn) if shown_turns[turn] => {
                        out.push_str(&format!("  {}\n", paint.paint(Tone::Dim, "(same turn as above)")));
                    }
                    Some(turn) => {
                        shown_turns[turn] = true;
                        render_turn(&mut out, &report.turns[turn], paint);
                    }
                    None => {
                        out.push_str(&format!("  {}\n", paint.paint(Tone::Dim, "no prompt or answer was captured")))
                    }
                }
            }
            (Conversation::NoAgent, _) => {}
            (other, _) => out.push_str(&format!("  {}\n", paint.paint(Tone::Dim, other.explain()))),
        }
        out.push('\n');
        start = end;
    }
    out
}

fn render_turn(out: &mut String, turn: &Turn, paint: Painter) {
    for (label, texts) in [("prompt", &turn.prompts), ("answer", &turn.answers)] {
        for text in texts {
            let mut lines = text.text.lines();
            let first = lines.next().unwrap_or_default();
            out.push_str(&format!("  {} {first}\n", paint.paint(Tone::Info, &format!("{label}:"))));
            for line in lines {
                out.push_str(&format!("          {line}\n"));
            }
            if text.truncated {
                out.push_str(&format!("          {}\n", paint.paint(Tone::Dim, "… (--full for all of it)")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_target;

    #[test]
    fn targets_name_a_file_and_maybe_lines() {
        let none = |_: &str| false;
        assert_eq!(split_target("a.rs", none).unwrap(), ("a.rs".into(), None));
        assert_eq!(split_target("a.rs:7", none).unwrap(), ("a.rs".into(), Some((7, 7))));
        assert_eq!(split_target("src/a.rs:3-9", none).unwrap(), ("src/a.rs".into(), Some((3, 9))));
        assert_eq!(split_target("odd:name", none).unwrap(), ("odd:name".into(), None));
        assert_eq!(split_target("t:12", |f| f == "t:12").unwrap(), ("t:12".into(), None));
        assert!(split_target("a.rs:9-3", none).is_err());
        assert!(split_target("a.rs:0", none).is_err());
        assert!(split_target("a.rs:4-x", none).is_err());
    }
}
