//! `sce sessions`: the agent sessions sce captured, one by one, and excluding
//! them from exports.

use clap::{Args, Subcommand, ValueEnum};

use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;
use crate::output::{Painter, Tone};
use crate::report::sessions::{
    self, ExclusionChange, SessionDetail, SessionFilter, SessionLookupError, SessionOrder, SessionReport,
};
use crate::store::Store;

/// List the agent sessions sce captured here, show one, or exclude one from exports.
///
/// Without a subcommand, lists (the flags of `list` apply). A session is named by
/// its id or any unique prefix of it. Times are UTC. On a terminal the output is
/// colored (--color) and long lists go through the pager (--no-pager). Exit codes:
/// 7 when no session matches, 3 when a prefix matches several.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SessionsArgs {
    /// What to do (default: list).
    #[command(subcommand)]
    pub command: Option<SessionsCommand>,
    /// The flags of `list`, for `sce sessions` alone.
    #[command(flatten)]
    pub list: ListArgs,
}

/// The `sce sessions` subcommands.
#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    #[doc = concat!("One line per session.")]
    List(ListArgs),
    #[doc = concat!("One session in full.")]
    Show(ShowArgs),
    #[doc = concat!("Marks a session excluded from exports.")]
    Exclude(ExcludeArgs),
    #[doc = concat!("Includes an excluded session in exports again.")]
    Include(IncludeArgs),
}

/// The order of the list.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum SortKey {
    /// Newest start first.
    #[default]
    Start,
    /// Most recently active first.
    End,
    /// Most committed lines (ai + mixed) first.
    Lines,
    /// By tool, then newest first.
    Tool,
}

/// One line per session (the default), newest first.
///
/// Each line: id, tool and version, models, start and end, prompts, files its
/// edits touched, commits it has lines in and how many lines (ai + mixed), the
/// branch it started on, and `excluded` when it is excluded from exports.
#[derive(Debug, Default, Args)]
pub struct ListArgs {
    /// Only sessions of this agent tool (e.g. claude-code, opencode; any case).
    #[arg(long)]
    pub tool: Option<String>,
    /// Only sessions with a model containing this text (e.g. sonnet).
    #[arg(long)]
    pub model: Option<String>,
    /// Only sessions that started on this branch.
    #[arg(long)]
    pub branch: Option<String>,
    /// Only sessions active since DATE: RFC 3339 (2026-11-30T09:00:00Z) or YYYY-MM-DD (UTC midnight).
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<i64>,
    /// The order.
    #[arg(long, value_enum, default_value_t)]
    pub sort: SortKey,
    /// Print a JSON array, one object per session (times in ms since the epoch).
    #[arg(long)]
    pub json: bool,
}

/// One session in full.
///
/// What `list` shows, its git context when it started (remote, branch, HEAD),
/// its commits with ai/mixed line counts, its files and the first line of each
/// prompt, in order.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The session id, or a unique prefix of it.
    pub id: String,
    /// Print one JSON object (the fields of `list --json` plus `prompt_lines`).
    #[arg(long)]
    pub json: bool,
}

/// Exclude a session from exports: `sce export` skips it.
///
/// Its lines stay in the records and in blame and stats; `sce sessions include`
/// undoes it.
#[derive(Debug, Args)]
pub struct ExcludeArgs {
    /// The session id, or a unique prefix of it.
    pub id: String,
    /// Print {"id","excluded","was_excluded"}.
    #[arg(long)]
    pub json: bool,
}

/// Include an excluded session in exports again.
#[derive(Debug, Args)]
pub struct IncludeArgs {
    /// The session id, or a unique prefix of it.
    pub id: String,
    /// Print {"id","excluded","was_excluded"}.
    #[arg(long)]
    pub json: bool,
}

/// Why `--since` was not understood.
#[derive(Debug, thiserror::Error)]
#[error("`{given}` is not a date: give RFC 3339 (2026-11-30T09:00:00Z) or YYYY-MM-DD")]
pub struct BadDate {
    given: String,
    #[source]
    source: time::error::Parse,
}

/// Parses `--since`: RFC 3339, or a day (UTC midnight); ms since the epoch.
fn parse_since(given: &str) -> Result<i64, BadDate> {
    use time::format_description::well_known::Rfc3339;
    let at = match time::OffsetDateTime::parse(given, &Rfc3339) {
        Ok(at) => at,
        Err(rfc) => match parse_day(given) {
            Some(date) => date.midnight().assume_utc(),
            None => return Err(BadDate { given: given.into(), source: rfc }),
        },
    };
    Ok((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// A `YYYY-MM-DD` day.
fn parse_day(given: &str) -> Option<time::Date> {
    let mut parts = given.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(month.parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

impl From<SessionLookupError> for CommandError {
    fn from(e: SessionLookupError) -> Self {
        let code = match &e {
            SessionLookupError::NotFound { .. } => ExitCode::NotFound,
            SessionLookupError::Ambiguous { .. } => ExitCode::InvalidInput,
            SessionLookupError::Store(_) => ExitCode::StorageFailed,
        };
        CommandError::from_error(code, e)
    }
}

/// Runs the subcommand (list by default).
pub fn run(ctx: &CommandHelper, args: SessionsArgs) -> Result<ExitCode, CommandError> {
    let (_, config, paths) = ctx.workspace()?;
    if !paths.dir.is_dir() {
        return Err(CommandError::new(
            ExitCode::NotFound,
            "sce is not set up in this repository (no sce directory); run `sce setup` first",
        ));
    }
    let store = Store::open_configured(paths, config)?;
    match args.command.unwrap_or(SessionsCommand::List(args.list)) {
        SessionsCommand::List(list) => run_list(ctx, &store, &list),
        SessionsCommand::Show(show) => run_show(ctx, &store, &show),
        SessionsCommand::Exclude(mark) => run_mark(ctx, &store, &mark.id, mark.json, true),
        SessionsCommand::Include(mark) => run_mark(ctx, &store, &mark.id, mark.json, false),
    }
}

fn run_list(ctx: &CommandHelper, store: &Store, args: &ListArgs) -> Result<ExitCode, CommandError> {
    let filter = SessionFilter {
        tool: args.tool.clone(),
        model: args.model.clone(),
        branch: args.branch.clone(),
        since_ms: args.since,
    };
    let order = match args.sort {
        SortKey::Start => SessionOrder::Start,
        SortKey::End => SessionOrder::End,
        SortKey::Lines => SessionOrder::Lines,
        SortKey::Tool => SessionOrder::Tool,
    };
    let found = sessions::list(store, &filter, order)?;
    let ui = ctx.ui(args.json);
    if args.json {
        ui.print(&format!("{}\n", json(&found)?));
        return Ok(ExitCode::Ok);
    }
    if found.is_empty() {
        ui.print("no sessions\n");
        return Ok(ExitCode::Ok);
    }
    ui.page(&list_table(&found, ui.painter()));
    Ok(ExitCode::Ok)
}

fn json(value: &impl serde::Serialize) -> Result<String, CommandError> {
    serde_json::to_string_pretty(value)
        .map_err(|e| CommandError::with_source(ExitCode::Internal, format!("cannot print JSON: {e}"), e))
}

/// The list for people: a heading and one aligned line per session.
fn list_table(found: &[SessionReport], paint: Painter) -> String {
    let rows: Vec<[String; 9]> = found
        .iter()
        .map(|s| {
            [
                s.id.clone(),
                tool_label(s),
                if s.models.is_empty() { "-".into() } else { s.models.join(",") },
                span(s.start_ms, s.end_ms),
                s.prompts.to_string(),
                s.files.len().to_string(),
                s.commits.len().to_string(),
                s.lines.to_string(),
                s.branch.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let heading = ["session", "tool", "model", "time (UTC)", "prompts", "files", "commits", "lines", "branch"];
    let mut widths = heading.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let numeric = |i: usize| (4..=7).contains(&i);
    let line = |cells: &[String; 9]| -> Vec<String> {
        cells
            .iter()
            .enumerate()
            .map(
                |(i, c)| if numeric(i) { format!("{c:>w$}", w = widths[i]) } else { format!("{c:<w$}", w = widths[i]) },
            )
            .collect()
    };
    let mut out = paint.paint(Tone::Heading, line(&heading.map(String::from)).join("  ").trim_end());
    out.push('\n');
    for (row, session) in rows.iter().zip(found) {
        let mut cells = line(row);
        if session.lines > 0 {
            cells[7] = paint.paint(Tone::Ai, &cells[7]);
        }
        let mut text = cells.join("  ").trim_end().to_string();
        if session.excluded {
            text.push_str("  ");
            text.push_str(&paint.paint(Tone::Bad, "excluded"));
        }
        out.push_str(&text);
        out.push('\n');
    }
    out
}

fn tool_label(s: &SessionReport) -> String {
    match (&s.tool, &s.tool_version) {
        (Some(tool), Some(version)) => format!("{tool} {version}"),
        (Some(tool), None) => tool.clone(),
        (None, _) => "-".into(),
    }
}

/// `YYYY-MM-DD HH:MM` in UTC.
fn timestamp(ms: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) {
        Ok(at) => {
            format!("{:04}-{:02}-{:02} {:02}:{:02}", at.year(), u8::from(at.month()), at.day(), at.hour(), at.minute())
        }
        Err(_) => ms.to_string(),
    }
}

/// Start–end; the end's day is left out when it is the start's.
fn span(start: Option<i64>, end: Option<i64>) -> String {
    match (start, end) {
        (Some(start), Some(end)) => {
            let (from, to) = (timestamp(start), timestamp(end));
            match (from.split_once(' '), to.split_once(' ')) {
                (Some((day_a, _)), Some((day_b, time_b))) if day_a == day_b => format!("{from}–{time_b}"),
                _ => format!("{from}–{to}"),
            }
        }
        (Some(at), None) | (None, Some(at)) => timestamp(at),
        (None, None) => "-".into(),
    }
}

fn run_show(ctx: &CommandHelper, store: &Store, args: &ShowArgs) -> Result<ExitCode, CommandError> {
    let detail = sessions::show(store, &args.id)?;
    let ui = ctx.ui(args.json);
    if args.json {
        ui.print(&format!("{}\n", json(&detail)?));
        return Ok(ExitCode::Ok);
    }
    ui.page(&show_text(&detail, ui.painter()));
    Ok(ExitCode::Ok)
}

/// One session for people: labelled lines, then its commits, files and prompts.
fn show_text(detail: &SessionDetail, paint: Painter) -> String {
    let s = &detail.session;
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let mut out = paint.paint(Tone::Heading, &format!("session {}", s.id));
    if s.excluded {
        out.push_str(&format!("  {}", paint.paint(Tone::Bad, "excluded from exports")));
    }
    out.push('\n');
    let mut field = |label: &str, value: String| out.push_str(&format!("{label:<9} {value}\n"));
    field("tool", tool_label(s));
    field("models", if s.models.is_empty() { "-".into() } else { s.models.join(", ") });
    field("time", format!("{} UTC", span(s.start_ms, s.end_ms)));
    field("remote", or_dash(&s.remote_url));
    field("branch", or_dash(&s.branch));
    field("HEAD", s.head_sha.as_deref().map_or_else(|| "-".into(), |sha| format!("{sha} (at start)")));
    if let Some(path) = &s.imported_from {
        field("imported", path.clone());
    }
    out.push_str(&format!("commits   {} ({} lines)\n", s.commits.len(), s.lines));
    for commit in &s.commits {
        out.push_str(&format!(
            "  {}  {} ai  {} mixed\n",
            paint.paint(Tone::Commit, commit.sha.get(..12).unwrap_or(&commit.sha)),
            paint.paint(Tone::Ai, &commit.ai.to_string()),
            paint.paint(Tone::Mixed, &commit.mixed.to_string())
        ));
    }
    out.push_str(&format!("files     {}\n", s.files.len()));
    for file in &s.files {
        out.push_str(&format!("  {file}\n"));
    }
    out.push_str(&format!("prompts   {}\n", s.prompts));
    for (n, prompt) in detail.prompt_lines.iter().enumerate() {
        out.push_str(&format!("  {}. {prompt}\n", n + 1));
    }
    out
}

fn run_mark(
    ctx: &CommandHelper,
    store: &Store,
    id: &str,
    json_out: bool,
    exclude: bool,
) -> Result<ExitCode, CommandError> {
    let change = sessions::set_excluded(store, id, exclude)?;
    let ui = ctx.ui(json_out);
    if json_out {
        ui.print(&format!("{}\n", json(&change)?));
        return Ok(ExitCode::Ok);
    }
    ui.print(&format!("{}\n", mark_text(&change)));
    Ok(ExitCode::Ok)
}

fn mark_text(change: &ExclusionChange) -> String {
    match (change.was_excluded, change.excluded) {
        (false, true) => format!("excluded session {} from exports", change.id),
        (true, true) => format!("session {} was already excluded from exports", change.id),
        (true, false) => format!("included session {} in exports again", change.id),
        (false, false) => format!("session {} was already included in exports", change.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_rfc_3339_or_a_day() {
        assert_eq!(parse_since("1970-01-02").unwrap(), 86_400_000);
        assert_eq!(parse_since("1970-01-01T00:00:01Z").unwrap(), 1_000);
        assert_eq!(parse_since("1970-01-01T01:00:00+01:00").unwrap(), 0);
        assert!(parse_since("yesterday").unwrap_err().to_string().contains("YYYY-MM-DD"));
    }

    #[test]
    fn a_span_within_one_day_names_the_day_once() {
        assert_eq!(span(Some(0), Some(3_600_000)), "1970-01-01 00:00–01:00");
        assert_eq!(span(Some(0), Some(86_400_000)), "1970-01-01 00:00–1970-01-02 00:00");
        assert_eq!(span(None, None), "-");
    }
}
