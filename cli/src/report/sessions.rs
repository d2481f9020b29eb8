//! Agent sessions for people and tools (`sce sessions`): what each session was
//! (tool, models, time, prompts, files, git context) and what it left in the
//! commits (from the records), filtered and sorted; finding a session by a
//! prefix of its id; excluding it from exports.

use serde::Serialize;

use crate::record::{SessionCommit, session_commits};
use crate::store::{SessionPrompt, SessionSummary, Store, StoreError};

/// Why a session could not be found or changed.
#[derive(Debug, thiserror::Error)]
pub enum SessionLookupError {
    /// No known session id starts with what was given.
    #[error("no session id starts with `{prefix}`; `sce sessions list` shows the sessions sce knows")]
    NotFound {
        /// What was given.
        prefix: String,
    },
    /// Several session ids start with what was given.
    #[error("`{prefix}` starts {} session ids: {}; give more of the id", candidates.len(), some_of(candidates))]
    Ambiguous {
        /// What was given.
        prefix: String,
        /// The ids it starts.
        candidates: Vec<String>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The first ten of `ids`, and how many more there are.
fn some_of(ids: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = ids.iter().take(SHOWN).map(String::as_str).collect::<Vec<_>>().join(", ");
    if ids.len() > SHOWN {
        text.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    text
}

/// Which sessions `sce sessions list` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    /// Only this agent tool (case-insensitive).
    pub tool: Option<String>,
    /// Only sessions with a model containing this text (case-insensitive).
    pub model: Option<String>,
    /// Only sessions started on this branch.
    pub branch: Option<String>,
    /// Only sessions active at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
}

/// The order of `sce sessions list`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SessionOrder {
    /// Newest start first.
    #[default]
    Start,
    /// Most recently active first.
    End,
    /// Most committed lines (ai + mixed) first.
    Lines,
    /// By tool name, then newest start first.
    Tool,
}

/// One session as `sce sessions` reports it; its JSON form is stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionReport {
    /// The agent's session id.
    pub id: String,
    /// The agent tool.
    pub tool: Option<String>,
    /// Its version.
    pub tool_version: Option<String>,
    /// The models its messages name, sorted.
    pub models: Vec<String>,
    /// First event, ms since the epoch.
    pub start_ms: Option<i64>,
    /// Last event, ms since the epoch.
    pub end_ms: Option<i64>,
    /// User messages.
    pub prompts: u64,
    /// Files its edits touched, sorted.
    pub files: Vec<String>,
    /// Commits it has lines in (ai/mixed per commit), oldest record first.
    pub commits: Vec<SessionCommit>,
    /// Its committed lines: ai + mixed over all commits.
    pub lines: u64,
    /// The remote URL when it started (credentials stripped).
    pub remote_url: Option<String>,
    /// The branch it started on.
    pub branch: Option<String>,
    /// HEAD when it started.
    pub head_sha: Option<String>,
    /// Excluded from exports by a person.
    pub excluded: bool,
    /// The transcript an import read it from.
    pub imported_from: Option<String>,
}

/// A session with its prompts (`sce sessions show`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionDetail {
    /// Everything `list` shows.
    #[serde(flatten)]
    pub session: SessionReport,
    /// The first line of each prompt, trimmed, in order.
    pub prompt_lines: Vec<String>,
}

impl SessionReport {
    fn new(summary: SessionSummary, commits: Vec<SessionCommit>) -> SessionReport {
        let row = summary.row.unwrap_or_default();
        SessionReport {
            lines: commits.iter().map(|c| c.ai + c.mixed).sum(),
            id: summary.session_id,
            tool: summary.tool_name,
            tool_version: summary.tool_version,
            models: summary.models,
            start_ms: summary.start_ms,
            end_ms: summary.end_ms,
            prompts: summary.prompts,
            files: summary.files,
            commits,
            remote_url: row.git.remote_url,
            branch: row.git.branch,
            head_sha: row.git.head_sha,
            excluded: row.excluded,
            imported_from: row.imported_from,
        }
    }

    fn matches(&self, filter: &SessionFilter) -> bool {
        let same = |a: &Option<String>, b: &str| a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(b));
        if let Some(tool) = &filter.tool
            && !same(&self.tool, tool)
        {
            return false;
        }
        if let Some(model) = &filter.model {
            let wanted = model.to_lowercase();
            if !self.models.iter().any(|m| m.to_lowercase().contains(&wanted)) {
                return false;
            }
        }
        if let Some(branch) = &filter.branch
            && self.branch.as_deref() != Some(branch.as_str())
        {
            return false;
        }
        if let Some(since) = filter.since_ms
            && self.end_ms.or(self.start_ms).is_none_or(|end| end < since)
        {
            return false;
        }
        true
    }
}

/// The sessions that pass `filter`, in `order`. Reads the per-session aggregates
/// and every record once.
pub fn list(store: &Store, filter: &SessionFilter, order: SessionOrder) -> Result<Vec<SessionReport>, StoreError> {
    let mut commits = session_commits(store)?;
    let mut sessions: Vec<SessionReport> = store
        .session_summaries()?
        .into_iter()
        .map(|s| {
            let mine = commits.remove(&s.session_id).unwrap_or_default();
            SessionReport::new(s, mine)
        })
        .filter(|s| s.matches(filter))
        .collect();
    sort(&mut sessions, order);
    Ok(sessions)
}

fn sort(sessions: &mut [SessionReport], order: SessionOrder) {
    let newest_first = |a: &SessionReport, b: &SessionReport| b.start_ms.cmp(&a.start_ms).then_with(|| a.id.cmp(&b.id));
    match order {
        SessionOrder::Start => sessions.sort_by(newest_first),
        SessionOrder::End => sessions.sort_by(|a, b| b.end_ms.cmp(&a.end_ms).then_with(|| newest_first(a, b))),
        SessionOrder::Lines => sessions.sort_by(|a, b| b.lines.cmp(&a.lines).then_with(|| newest_first(a, b))),
        SessionOrder::Tool => sessions.sort_by(|a, b| a.tool.cmp(&b.tool).then_with(|| newest_first(a, b))),
    }
}

/// The one session whose id is `prefix` or starts with it.
pub fn resolve(store: &Store, prefix: &str) -> Result<String, SessionLookupError> {
    let mut candidates = store.session_ids_with_prefix(prefix)?;
    match candidates.len() {
        0 => Err(SessionLookupError::NotFound { prefix: prefix.into() }),
        1 => Ok(candidates.remove(0)),
        _ => Err(SessionLookupError::Ambiguous { prefix: prefix.into(), candidates }),
    }
}

/// Everything about the session `prefix` names, with its prompts.
pub fn show(store: &Store, prefix: &str) -> Result<SessionDetail, SessionLookupError> {
    let id = resolve(store, prefix)?;
    let summary = store.session_summary(&id)?.ok_or_else(|| SessionLookupError::NotFound { prefix: prefix.into() })?;
    let commits = session_commits(store)?.remove(&id).unwrap_or_default();
    let prompt_lines = store.session_prompts(&id)?.iter().map(first_line).collect();
    Ok(SessionDetail { session: SessionReport::new(summary, commits), prompt_lines })
}

/// The first non-blank line of a prompt, trimmed.
fn first_line(prompt: &SessionPrompt) -> String {
    let text = prompt.text.as_deref().unwrap_or_default();
    text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default().to_string()
}

/// What excluding or including did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExclusionChange {
    /// The session's full id.
    pub id: String,
    /// Whether it is excluded now.
    pub excluded: bool,
    /// Whether it was before.
    pub was_excluded: bool,
}

/// Excludes the session `prefix` names from exports (or includes it again).
pub fn set_excluded(store: &Store, prefix: &str, excluded: bool) -> Result<ExclusionChange, SessionLookupError> {
    let id = resolve(store, prefix)?;
    let was_excluded = store.session_row(&id)?.is_some_and(|row| row.excluded);
    if !store.set_session_excluded(&id, excluded)? {
        return Err(SessionLookupError::NotFound { prefix: prefix.into() });
    }
    Ok(ExclusionChange { id, excluded, was_excluded })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: &str, tool: &str, start: i64, lines: u64) -> SessionReport {
        SessionReport {
            id: id.into(),
            tool: Some(tool.into()),
            tool_version: None,
            models: vec!["anthropic/claude-sonnet-4".into()],
            start_ms: Some(start),
            end_ms: Some(start + 10),
            prompts: 1,
            files: Vec::new(),
            commits: Vec::new(),
            lines,
            remote_url: None,
            branch: Some("main".into()),
            head_sha: None,
            excluded: false,
            imported_from: None,
        }
    }

    #[test]
    fn sorting_puts_newest_or_largest_first() {
        let mut sessions =
            vec![report("a", "opencode", 1, 5), report("b", "claude-code", 3, 1), report("c", "pi", 2, 9)];
        sort(&mut sessions, SessionOrder::Start);
        assert_eq!(sessions.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["b", "c", "a"]);
        sort(&mut sessions, SessionOrder::Lines);
        assert_eq!(sessions.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["c", "a", "b"]);
        sort(&mut sessions, SessionOrder::Tool);
        assert_eq!(sessions.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["b", "a", "c"]);
    }

    #[test]
    fn filters_match_tool_case_insensitively_and_models_by_part() {
        let s = report("a", "OpenCode", 100, 0);
        assert!(s.matches(&SessionFilter { tool: Some("opencode".into()), ..Default::default() }));
        assert!(s.matches(&SessionFilter { model: Some("Sonnet".into()), ..Default::default() }));
        assert!(!s.matches(&SessionFilter { model: Some("gpt".into()), ..Default::default() }));
        assert!(!s.matches(&SessionFilter { branch: Some("feature".into()), ..Default::default() }));
        assert!(s.matches(&SessionFilter { since_ms: Some(110), ..Default::default() }));
        assert!(!s.matches(&SessionFilter { since_ms: Some(111), ..Default::default() }));
    }

    #[test]
    fn an_ambiguous_prefix_names_at_most_ten_candidates() {
        let candidates: Vec<String> = (0..12).map(|n| format!("s{n:02}")).collect();
        let message = SessionLookupError::Ambiguous { prefix: "s".into(), candidates }.to_string();
        assert!(message.starts_with("`s` starts 12 session ids: s00, s01,"), "{message}");
        assert!(message.contains("s09 and 2 more; give more of the id"), "{message}");
    }

    #[test]
    fn a_prompt_s_first_line_skips_blank_lines() {
        let prompt = SessionPrompt { time_ms: 0, text: Some("\n  Fix the bug  \nin main.rs".into()) };
        assert_eq!(first_line(&prompt), "Fix the bug");
    }
}
