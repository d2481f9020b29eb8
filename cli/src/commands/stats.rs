//! `sce stats`.

use clap::{Args, ValueEnum};

use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;
use crate::output::Tone;
use crate::record::RecordCache;
use crate::report::stats::{GroupBy, collect};

/// How `sce stats` groups lines.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum By {
    /// The commit's author.
    Author,
    /// The model (ai and mixed lines).
    Model,
    /// The agent session (ai and mixed lines).
    Session,
    /// The agent tool: claude-code, opencode, … (ai and mixed lines).
    Tool,
    /// The file.
    File,
}

/// Show the AI share of the lines added over a range of commits, from their records.
///
/// RANGE is `A..B` or a revision (with its ancestors). Default: the current branch
/// since it left the default branch, or the last 100 commits. On a terminal the table
/// is colored (--color) and goes through the pager (--no-pager).
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The commits to count.
    pub range: Option<String>,
    /// Group the counts.
    #[arg(long, value_enum)]
    pub by: Option<By>,
    /// Print JSON: {"range", "stats": {"commits", "commits_without_record", "groups"}}.
    #[arg(long)]
    pub json: bool,
}

/// Counts and prints.
pub fn run(ctx: &CommandHelper, args: StatsArgs) -> Result<ExitCode, CommandError> {
    let (repo, config, _) = ctx.workspace()?;
    let (commits, described) = repo.commits_in(args.range.as_deref())?;
    let by = match args.by {
        None => GroupBy::Total,
        Some(By::Author) => GroupBy::Author,
        Some(By::Model) => GroupBy::Model,
        Some(By::Session) => GroupBy::Session,
        Some(By::Tool) => GroupBy::Tool,
        Some(By::File) => GroupBy::File,
    };
    let mut cache = RecordCache::new(repo, &config.agent_trace.notes_ref);
    let bar = (commits.len() > 200 && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
        let bar = indicatif::ProgressBar::new(commits.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("reading records {bar:30} {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let stats = collect(&mut cache, &commits, by, &mut |done, _| {
        if let Some(bar) = &bar {
            bar.set_position(done as u64);
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let ui = ctx.ui(args.json);
    if args.json {
        let out = serde_json::json!({"range": described, "stats": stats});
        ui.print(&format!("{out}\n"));
        return Ok(ExitCode::Ok);
    }
    let paint = ui.painter();
    let mut out =
        format!("{} commit(s) in {described}; {} without a record\n", stats.commits, stats.commits_without_record);
    let width = stats.groups.keys().map(String::len).max().unwrap_or(5).max(5);
    let heading =
        format!("{:<width$}  {:>8} {:>8} {:>8} {:>8}  {:>6}", "group", "ai", "mixed", "unknown", "total", "ai %");
    out.push_str(&paint.paint(Tone::Heading, &heading));
    out.push('\n');
    for (group, counts) in &stats.groups {
        out.push_str(&format!(
            "{group:<width$}  {} {} {:>8} {:>8}  {}\n",
            paint.paint(Tone::Ai, &format!("{:>8}", counts.ai)),
            paint.paint(Tone::Mixed, &format!("{:>8}", counts.mixed)),
            counts.unknown,
            counts.total(),
            paint.paint(Tone::Ai, &format!("{:>5.1}%", counts.ai_percent()))
        ));
    }
    ui.page(&out);
    Ok(ExitCode::Ok)
}
