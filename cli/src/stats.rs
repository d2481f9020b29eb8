//! Aggregating records over a range of commits: how much of what was added came
//! from agents, per author, model, session or file.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::provenance::RecordCache;
use crate::record::TraceRecord;

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

    fn add(&mut self, kind: &str, lines: u64) {
        match kind {
            "ai" => self.ai += lines,
            "mixed" => self.mixed += lines,
            _ => self.unknown += lines,
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
    for file in &record.files {
        for conversation in &file.conversations {
            let session = conversation.url.as_deref().map(|u| session_field(record, u, "id"));
            let tool = conversation.url.as_deref().and_then(|u| session_field(record, u, "tool"));
            for range in &conversation.ranges {
                let contributor = range.contributor.as_ref().or(conversation.contributor.as_ref());
                let kind = contributor.map_or("unknown", |c| c.kind.as_str());
                let lines = range.end_line.saturating_sub(range.start_line) + 1;
                let group = match by {
                    GroupBy::Total => "total".to_string(),
                    GroupBy::Author => author.to_string(),
                    GroupBy::File => file.path.clone(),
                    GroupBy::Model => contributor.and_then(|c| c.model_id.clone()).unwrap_or_else(|| "-".into()),
                    GroupBy::Session => session.clone().flatten().unwrap_or_else(|| "-".into()),
                    GroupBy::Tool => match kind {
                        "unknown" => "-".into(),
                        _ => tool.clone().unwrap_or_else(|| "-".into()),
                    },
                };
                stats.groups.entry(group).or_default().add(kind, lines);
            }
        }
    }
}

/// A field (`id`, `tool`, …) of the record's session whose id the conversation URL names.
fn session_field(record: &TraceRecord, url: &str, field: &str) -> Option<String> {
    record
        .metadata
        .as_ref()?
        .get(crate::record::METADATA_KEY)?
        .get("sessions")?
        .as_array()?
        .iter()
        .find(|s| s.get("id").and_then(|id| id.as_str()).is_some_and(|id| url.contains(id)))?
        .get(field)?
        .as_str()
        .map(str::to_string)
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
