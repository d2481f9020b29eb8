//! Aggregating records over a range of commits: how much of what was added came
//! from agents, per author, model, session or file.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::record::{Class, RecordCache, TraceRecord};

/// How lines are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// One total.
    Total,
    /// The commit's author.
    Author,
    /// The model of ai/mixed lines (`-` for unknown lines).
    Model,
    /// The agent session of ai/mixed lines (`-` for unknown lines).
    Session,
    /// The agent tool of ai/mixed lines (`claude-code`, `opencode`, …; `-` for unknown lines).
    Tool,
    /// The file.
    File,
}

/// Line counts of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Agent lines as written.
    pub ai: u64,
    /// Agent lines a person edited.
    pub mixed: u64,
    /// Lines without agent evidence.
    pub unknown: u64,
}

impl Counts {
    /// ai + mixed + unknown.
    pub fn total(&self) -> u64 {
        self.ai + self.mixed + self.unknown
    }

    /// Share of ai lines, in percent.
    pub fn ai_percent(&self) -> f64 {
        if self.total() == 0 { 0.0 } else { self.ai as f64 * 100.0 / self.total() as f64 }
    }

    fn add<A>(&mut self, class: &Class<A>, lines: u64) {
        match class {
            Class::Ai(_) => self.ai += lines,
            Class::Mixed(_) => self.mixed += lines,
            Class::Unknown => self.unknown += lines,
        }
    }
}

/// The result over a range.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Commits in the range.
    pub commits: usize,
    /// Commits without a record (their lines are not counted).
    pub commits_without_record: usize,
    /// Counts per group, by group name.
    pub groups: BTreeMap<String, Counts>,
}

/// Adds one commit's record to `stats`.
pub fn add_record(stats: &mut Stats, record: &TraceRecord, author: &str, by: GroupBy) {
    for entry in record.ranges() {
        let credit = entry.class.credit();
        let group = match by {
            GroupBy::Total => "total",
            GroupBy::Author => author,
            GroupBy::File => entry.path,
            GroupBy::Model => credit.and_then(|c| c.model).unwrap_or("-"),
            GroupBy::Session => credit.and_then(|c| c.session_id()).unwrap_or("-"),
            GroupBy::Tool => credit.and_then(|c| c.tool()).unwrap_or("-"),
        };
        stats.groups.entry(group.to_string()).or_default().add(&entry.class, entry.range.line_count());
    }
}

/// Walks `commits` (newest first) and aggregates their records. `progress` is
/// called after each commit with (done, total).
pub fn collect(
    cache: &mut RecordCache<'_>,
    commits: &[(gix::ObjectId, String)],
    by: GroupBy,
    progress: &mut dyn FnMut(usize, usize),
) -> Stats {
    let mut stats = Stats { commits: commits.len(), ..Stats::default() };
    for (done, (commit, author)) in commits.iter().enumerate() {
        match cache.get(*commit) {
            Some(record) => add_record(&mut stats, record, author, by),
            None => stats.commits_without_record += 1,
        }
        progress(done + 1, commits.len());
    }
    stats
}
