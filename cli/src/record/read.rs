//! Reading records back: the class and credit of a line or range, and the
//! sessions a record names. Every report (blame, stats, `trace show`, carrying
//! classes on rewrites) reads records through these methods only.

use super::{Class, Contributor, Conversation, LineCounts, Range, SceMetadata, SessionSummary, TraceFile, TraceRecord};
use crate::attribution::Author;

/// Who a record credits an ai or mixed range to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credit<'r> {
    /// The range's contributor model (`provider/model`).
    pub model: Option<&'r str>,
    /// The session the conversation's URL names, from the record's session list.
    pub session: Option<&'r SessionSummary>,
}

impl Credit<'_> {
    /// The author to credit the line to again (carrying it to a new commit): the
    /// session, with the range's model or else the session's. `None` without a session.
    pub fn author(&self) -> Option<Author> {
        let session = self.session?;
        Some(Author {
            session_id: session.id.clone(),
            model_id: self.model.map(str::to_string).or_else(|| session.model.clone()),
            tool_name: session.tool.clone(),
            tool_version: session.tool_version.clone(),
        })
    }

    /// The session's id, when the conversation names one.
    pub fn session_id(&self) -> Option<&str> {
        self.session.map(|s| s.id.as_str())
    }

    /// The session's agent tool, when known.
    pub fn tool(&self) -> Option<&str> {
        self.session.and_then(|s| s.tool.as_deref())
    }
}

/// One range of a record with its file and what the record says about its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeEntry<'r> {
    /// The file's repo-relative path.
    pub path: &'r str,
    /// The range (committed-file coordinates).
    pub range: &'r Range,
    /// Its class, with the credit of ai and mixed ranges.
    pub class: Class<Credit<'r>>,
}

impl Range {
    /// Whether line `line` (1-based) is in the range.
    pub fn contains(&self, line: u64) -> bool {
        self.start_line <= line && line <= self.end_line
    }

    /// Number of lines in the range.
    pub fn line_count(&self) -> u64 {
        self.end_line.saturating_sub(self.start_line) + 1
    }
}

impl TraceRecord {
    /// sce's metadata, when the record has a readable one.
    pub fn sce(&self) -> Option<&SceMetadata> {
        self.metadata.as_ref()?.sce.as_ref()
    }

    /// The sessions the record credits, in its order (none without sce metadata).
    pub fn sessions(&self) -> &[SessionSummary] {
        self.sce().map_or(&[], |m| m.sessions.as_slice())
    }

    /// The session with this id.
    pub fn session(&self, id: &str) -> Option<&SessionSummary> {
        self.sessions().iter().find(|s| s.id == id)
    }

    /// The first session whose id a conversation URL contains (URLs embed the id
    /// through `agent_trace.conversation_url_template`).
    pub fn session_named_by(&self, url: &str) -> Option<&SessionSummary> {
        self.sessions().iter().find(|s| url.contains(s.id.as_str()))
    }

    /// The per-class line counts the record states (zeros without sce metadata).
    pub fn line_counts(&self) -> LineCounts {
        self.sce().map(|m| m.lines).unwrap_or_default()
    }

    /// Every range of the record, file by file, conversation by conversation.
    pub fn ranges(&self) -> impl Iterator<Item = RangeEntry<'_>> {
        self.files.iter().flat_map(|file| self.file_ranges(file))
    }

    /// The ranges of one of the record's files, conversation by conversation.
    pub fn file_ranges<'r>(&'r self, file: &'r TraceFile) -> impl Iterator<Item = RangeEntry<'r>> {
        file.conversations.iter().flat_map(move |conversation| {
            let session = conversation.url.as_deref().and_then(|url| self.session_named_by(url));
            conversation.ranges.iter().map(move |range| RangeEntry {
                path: file.path.as_str(),
                range,
                class: range_class(conversation, range, session),
            })
        })
    }

    /// The ranges credited to session `id`.
    pub fn ranges_of_session<'r>(&'r self, id: &'r str) -> impl Iterator<Item = RangeEntry<'r>> {
        self.ranges().filter(move |entry| entry.class.credit().and_then(Credit::session_id) == Some(id))
    }

    /// Lines credited to each session (ai + mixed), counted from the ranges, in
    /// the order of the record's session list.
    pub fn session_line_counts(&self) -> Vec<(&str, u64)> {
        self.sessions()
            .iter()
            .map(|s| (s.id.as_str(), self.ranges_of_session(&s.id).map(|e| e.range.line_count()).sum()))
            .collect()
    }

    /// The class (and credit) the record gives line `line` (1-based) of `path`;
    /// `None` when no range holds it.
    pub fn class_at(&self, path: &str, line: usize) -> Option<Class<Credit<'_>>> {
        let line = line as u64;
        self.files
            .iter()
            .filter(|f| f.path == path)
            .flat_map(|file| self.file_ranges(file))
            .find(|entry| entry.range.contains(line))
            .map(|entry| entry.class)
    }
}

/// The class of a range: its own contributor (mixed ranges), else its conversation's.
/// `human` reads as unknown: sce never claims it and has no credit to give.
fn range_class<'r>(
    conversation: &'r Conversation,
    range: &'r Range,
    session: Option<&'r SessionSummary>,
) -> Class<Credit<'r>> {
    let contributor: Option<&Contributor> = range.contributor.as_ref().or(conversation.contributor.as_ref());
    let kind = contributor.map_or(Class::Unknown, |c| c.kind.class());
    kind.map(|()| Credit { model: contributor.and_then(|c| c.model_id.as_deref()), session })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{AttributedFile, CommitContext, build_record};

    fn author(id: &str, model: Option<&str>, tool: &str) -> Author {
        Author {
            session_id: id.into(),
            model_id: model.map(str::to_string),
            tool_name: Some(tool.into()),
            tool_version: Some("1.2".into()),
        }
    }

    /// `a.rs`: lines 1-2 ai (ses_a), 3 mixed (ses_a), 4 not added, 5 ai (ses_b), 6 unknown.
    fn record() -> TraceRecord {
        use Class::*;
        let file = AttributedFile {
            path: "a.rs".into(),
            lines: ["1", "2", "3", "4", "5", "6"].map(String::from).to_vec(),
            classes: vec![Some(Ai(0)), Some(Ai(0)), Some(Mixed(0)), None, Some(Ai(1)), Some(Unknown)],
        };
        let context = CommitContext {
            sha: "0".repeat(40),
            branch: None,
            remote_url: None,
            authors: vec![author("ses_a", Some("p/m"), "opencode"), author("ses_b", None, "codex")],
            url_template: "https://example.com/s/{session_id}".into(),
            removed: 0,
            binary_files_skipped: 0,
            large_files_skipped: 0,
            skipped_hunks: 0,
            carried_from: Vec::new(),
            now: time::OffsetDateTime::UNIX_EPOCH,
        };
        build_record(&[file], &context)
    }

    #[test]
    fn each_line_reads_back_with_the_class_and_credit_it_was_built_with() {
        let record = record();
        let kinds: Vec<Option<Class<()>>> = (1..=7).map(|l| record.class_at("a.rs", l).map(|c| c.kind())).collect();
        use Class::*;
        assert_eq!(kinds, [Some(Ai(())), Some(Ai(())), Some(Mixed(())), None, Some(Ai(())), Some(Unknown), None]);
        assert_eq!(record.class_at("b.rs", 1), None);
        let credit = *record.class_at("a.rs", 3).unwrap().credit().unwrap();
        assert_eq!((credit.model, credit.session_id(), credit.tool()), (Some("p/m"), Some("ses_a"), Some("opencode")));
        assert_eq!(credit.author(), Some(author("ses_a", Some("p/m"), "opencode")));
        let credit = *record.class_at("a.rs", 5).unwrap().credit().unwrap();
        assert_eq!((credit.model, credit.session_id()), (None, Some("ses_b")));
        assert_eq!(credit.author(), Some(author("ses_b", None, "codex")));
    }

    #[test]
    fn session_line_counts_from_the_ranges_match_the_metadata() {
        let record = record();
        let stated: Vec<(&str, u64)> = record.sessions().iter().map(|s| (s.id.as_str(), s.lines as u64)).collect();
        assert_eq!(record.session_line_counts(), stated);
        assert_eq!(stated, [("ses_a", 3), ("ses_b", 1)]);
        let lines: Vec<u64> = record.ranges_of_session("ses_a").map(|e| e.range.start_line).collect();
        assert_eq!(lines, [1, 3]);
        let counts = record.line_counts();
        assert_eq!((counts.ai, counts.mixed, counts.unknown, counts.added()), (3, 1, 1, 5));
        let all: u64 = record.ranges().map(|e| e.range.line_count()).sum();
        assert_eq!(all, 5);
    }

    #[test]
    fn without_readable_metadata_ranges_still_read_but_credit_no_session() {
        let mut record = record();
        record.metadata = None;
        let class = record.class_at("a.rs", 1).unwrap();
        assert_eq!(class.kind(), Class::Ai(()));
        let credit = class.credit().unwrap();
        assert_eq!((credit.model, credit.session), (Some("p/m"), None));
        assert_eq!(credit.author(), None);
        assert_eq!(record.line_counts(), LineCounts::default());
        assert!(record.sessions().is_empty());
    }

    #[test]
    fn human_and_missing_contributors_read_as_unknown() {
        let mut record = record();
        let conversation = &mut record.files[0].conversations[0];
        conversation.contributor = Some(Contributor { kind: crate::record::ContributorKind::Human, model_id: None });
        assert_eq!(record.class_at("a.rs", 1), Some(Class::Unknown));
        record.files[0].conversations[0].contributor = None;
        assert_eq!(record.class_at("a.rs", 2), Some(Class::Unknown));
        // A range's own contributor (mixed) still wins over its conversation's.
        assert_eq!(record.class_at("a.rs", 3).map(|c| c.kind()), Some(Class::Mixed(())));
    }
}
