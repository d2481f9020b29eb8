//! Building a commit's record from its attributed lines.

use super::{
    Class, Contributor, ContributorKind, Conversation, GitContext, LineCounts, Metadata, Range, SPEC_VERSION,
    SceMetadata, SessionSummary, Tool, TraceFile, TraceRecord, Vcs, content_hash,
};
use crate::attribution::Author;

/// One file of the commit: its committed lines and, per line, the class of the
/// lines the commit adds (`None` for lines it does not add), ai and mixed lines
/// credited by an index into [`CommitContext::authors`].
#[derive(Debug, Clone)]
pub struct AttributedFile {
    /// Repo-relative path.
    pub path: String,
    /// Committed lines (see `attribution::split_lines`).
    pub lines: Vec<String>,
    /// Per line: `Some(class)` when the commit adds it.
    pub classes: Vec<Option<Class<usize>>>,
}

/// Everything about the commit that is not per line.
#[derive(Debug, Clone)]
pub struct CommitContext {
    /// Full commit sha.
    pub sha: String,
    /// Branch at commit time (`None` when detached).
    pub branch: Option<String>,
    /// Remote URL, credentials already stripped.
    pub remote_url: Option<String>,
    /// Sessions referred to by the classes of [`AttributedFile`].
    pub authors: Vec<Author>,
    /// `{session_id}` is replaced by the session id.
    pub url_template: String,
    /// Lines the commit removes.
    pub removed: usize,
    /// Binary files skipped.
    pub binary_files_skipped: usize,
    /// Files over the size limit, skipped.
    pub large_files_skipped: usize,
    /// Agent hunks sce could not place (left out, never guessed).
    pub skipped_hunks: usize,
    /// The commits this one's attribution was carried from (rewrites), oldest first.
    pub carried_from: Vec<String>,
    /// When the record is made.
    pub now: time::OffsetDateTime,
}

fn timestamp(now: time::OffsetDateTime) -> String {
    let utc = now.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.millisecond()
    )
}

/// Builds the record: per file one conversation per session (mixed ranges carry
/// their own contributor) and one for lines without agent evidence; ranges are
/// maximal runs of consecutive added lines with the same class and session.
pub fn build_record(files: &[AttributedFile], context: &CommitContext) -> TraceRecord {
    let mut tally = Tally {
        counts: LineCounts { removed: context.removed, ..LineCounts::default() },
        credited: vec![0; context.authors.len()],
    };
    let trace_files: Vec<TraceFile> = files.iter().filter_map(|file| trace_file(file, context, &mut tally)).collect();
    let sessions = session_summaries(&context.authors, &tally.credited);
    let tool = single_tool(&sessions);
    let sce = SceMetadata {
        sce_version: env!("CARGO_PKG_VERSION").into(),
        agent_activity: !sessions.is_empty(),
        lines: tally.counts,
        sessions,
        git: GitContext { branch: context.branch.clone(), remote_url: context.remote_url.clone() },
        binary_files_skipped: context.binary_files_skipped,
        large_files_skipped: context.large_files_skipped,
        unplaced_agent_hunks: context.skipped_hunks,
        carried_from: context.carried_from.clone(),
    };
    TraceRecord {
        version: SPEC_VERSION.into(),
        id: uuid::Uuid::now_v7().to_string(),
        timestamp: timestamp(context.now),
        vcs: Some(Vcs { kind: "git".into(), revision: context.sha.clone() }),
        tool,
        files: trace_files,
        metadata: Some(Metadata { sce: Some(sce), other: serde_json::Map::new() }),
    }
}

/// Lines counted while the files are built: per class, and per session credited.
struct Tally {
    counts: LineCounts,
    /// Per index into [`CommitContext::authors`]: the lines credited to it.
    credited: Vec<usize>,
}

/// One file's entry: its added lines as ranges, one conversation per session and
/// one for unknown lines; `None` when the commit adds no line to it.
fn trace_file(file: &AttributedFile, context: &CommitContext, tally: &mut Tally) -> Option<TraceFile> {
    let runs = runs_of(&file.classes);
    if runs.is_empty() {
        return None;
    }
    let mut sessions: Vec<usize> = Vec::new();
    let mut unknown_ranges = Vec::new();
    let mut session_ranges: Vec<Vec<Range>> = Vec::new();
    for (start, end, class) in runs {
        let lines = &file.lines[start..=end];
        let len = end - start + 1;
        let mut range = Range {
            start_line: start as u64 + 1,
            end_line: end as u64 + 1,
            content_hash: Some(content_hash(lines)),
            contributor: None,
        };
        let author = match class {
            Class::Unknown => {
                tally.counts.unknown += len;
                unknown_ranges.push(range);
                continue;
            }
            Class::Ai(a) => {
                tally.counts.ai += len;
                a
            }
            Class::Mixed(a) => {
                tally.counts.mixed += len;
                range.contributor =
                    Some(Contributor { kind: ContributorKind::Mixed, model_id: context.authors[a].model_id.clone() });
                a
            }
        };
        tally.credited[author] += len;
        let slot = match sessions.iter().position(|s| *s == author) {
            Some(slot) => slot,
            None => {
                sessions.push(author);
                session_ranges.push(Vec::new());
                sessions.len() - 1
            }
        };
        session_ranges[slot].push(range);
    }
    let mut conversations: Vec<Conversation> = sessions
        .iter()
        .zip(session_ranges)
        .map(|(author, ranges)| {
            let author = &context.authors[*author];
            Conversation {
                url: Some(context.url_template.replace("{session_id}", &author.session_id)),
                contributor: Some(Contributor { kind: ContributorKind::Ai, model_id: author.model_id.clone() }),
                ranges,
                related: None,
            }
        })
        .collect();
    if !unknown_ranges.is_empty() {
        conversations.push(Conversation {
            url: None,
            contributor: Some(Contributor { kind: ContributorKind::Unknown, model_id: None }),
            ranges: unknown_ranges,
            related: None,
        });
    }
    Some(TraceFile { path: file.path.clone(), conversations })
}

/// The sessions credited with at least one line, in first-seen order.
fn session_summaries(authors: &[Author], credited: &[usize]) -> Vec<SessionSummary> {
    authors
        .iter()
        .zip(credited)
        .filter(|(_, lines)| **lines > 0)
        .map(|(a, lines)| SessionSummary {
            id: a.session_id.clone(),
            tool: a.tool_name.clone(),
            tool_version: a.tool_version.clone(),
            model: a.model_id.clone(),
            lines: *lines,
        })
        .collect()
}

/// The record's `tool`: the one agent tool every credited session used, else none.
fn single_tool(sessions: &[SessionSummary]) -> Option<Tool> {
    let mut tools: Vec<(&Option<String>, &Option<String>)> =
        sessions.iter().map(|s| (&s.tool, &s.tool_version)).collect();
    tools.dedup();
    match tools.as_slice() {
        [(Some(name), version)] => {
            Some(Tool { name: name.clone(), version: (*version).clone().unwrap_or_else(|| "unknown".into()) })
        }
        _ => None,
    }
}

/// Maximal runs (start, end inclusive, class) of consecutive added lines with one class.
fn runs_of(classes: &[Option<Class<usize>>]) -> Vec<(usize, usize, Class<usize>)> {
    let mut runs: Vec<(usize, usize, Class<usize>)> = Vec::new();
    for (index, class) in classes.iter().enumerate() {
        let Some(class) = class else { continue };
        match runs.last_mut() {
            Some((_, end, last)) if *end + 1 == index && last == class => *end = index,
            _ => runs.push((index, index, *class)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn author(id: &str) -> Author {
        Author {
            session_id: id.into(),
            model_id: Some("p/m".into()),
            tool_name: Some("opencode".into()),
            tool_version: None,
        }
    }

    #[test]
    fn runs_split_on_class_session_and_gaps() {
        use Class::*;
        let classes = [Some(Ai(0)), Some(Ai(0)), None, Some(Ai(0)), Some(Mixed(0)), Some(Ai(1)), Some(Unknown)];
        assert_eq!(
            runs_of(&classes),
            vec![(0, 1, Ai(0)), (3, 3, Ai(0)), (4, 4, Mixed(0)), (5, 5, Ai(1)), (6, 6, Unknown)]
        );
    }

    #[test]
    fn a_built_record_validates_and_counts_every_added_line_once() {
        use Class::*;
        let file = AttributedFile {
            path: "src/a.rs".into(),
            lines: ["a", "b", "c", "d"].map(String::from).to_vec(),
            classes: vec![Some(Ai(0)), Some(Mixed(0)), None, Some(Unknown)],
        };
        let context = CommitContext {
            sha: "0".repeat(40),
            branch: None,
            remote_url: None,
            authors: vec![author("ses_1")],
            url_template: "urn:sce:session:{session_id}".into(),
            removed: 2,
            binary_files_skipped: 0,
            large_files_skipped: 0,
            skipped_hunks: 0,
            carried_from: Vec::new(),
            now: time::OffsetDateTime::UNIX_EPOCH,
        };
        let record = build_record(&[file], &context);
        let json = serde_json::to_value(&record).unwrap();
        crate::record::validate(&json).unwrap();
        assert_eq!(json["timestamp"], "1970-01-01T00:00:00.000Z");
        assert_eq!(json["tool"]["name"], "opencode");
        assert_eq!(json["metadata"]["sce"]["lines"], serde_json::json!({"ai":1,"mixed":1,"unknown":1,"removed":2}));
        let conversations = json["files"][0]["conversations"].as_array().unwrap();
        assert_eq!(conversations[0]["url"], "urn:sce:session:ses_1");
        assert_eq!(conversations[0]["ranges"][1]["contributor"]["type"], "mixed");
        assert_eq!(conversations[1]["contributor"]["type"], "unknown");
    }

    /// Captured from the builder before the metadata was typed (it wrote it with
    /// `serde_json::json!`): records must stay byte for byte the same, key order
    /// and number formats included (ids and the sce version aside).
    const GOLDEN_FULL: &str = r#"{"version":"0.1.0","id":"ID","timestamp":"2023-11-14T22:13:20.123Z","vcs":{"type":"git","revision":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},"files":[{"path":"src/a.rs","conversations":[{"url":"urn:sce:session:ses_a","contributor":{"type":"ai","model_id":"anthropic/claude"},"ranges":[{"start_line":1,"end_line":2,"content_hash":"murmur3:637e8125"},{"start_line":3,"end_line":3,"content_hash":"murmur3:e132d65f","contributor":{"type":"mixed","model_id":"anthropic/claude"}}]},{"url":"urn:sce:session:ses_b","contributor":{"type":"ai"},"ranges":[{"start_line":5,"end_line":5,"content_hash":"murmur3:656c4367"},{"start_line":7,"end_line":7,"content_hash":"murmur3:f18ae416","contributor":{"type":"mixed"}}]},{"contributor":{"type":"unknown"},"ranges":[{"start_line":6,"end_line":6,"content_hash":"murmur3:2b64883b"}]}]},{"path":"b/c.md","conversations":[{"url":"urn:sce:session:ses_b","contributor":{"type":"ai"},"ranges":[{"start_line":3,"end_line":3,"content_hash":"murmur3:0fc7a1b4"}]},{"contributor":{"type":"unknown"},"ranges":[{"start_line":1,"end_line":2,"content_hash":"murmur3:943b2f1c"}]}]}],"metadata":{"sce":{"sce_version":"{SCE_VERSION}","agent_activity":true,"lines":{"ai":4,"mixed":2,"unknown":3,"removed":5},"sessions":[{"id":"ses_a","tool":"claude-code","tool_version":"2.0.1","model":"anthropic/claude","lines":3},{"id":"ses_b","tool":"opencode","lines":3}],"git":{"branch":"main","remote_url":"https://example.com/r.git"},"binary_files_skipped":1,"large_files_skipped":2,"unplaced_agent_hunks":3,"carried_from":["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","cccccccccccccccccccccccccccccccccccccccc"]}}}"#;
    const GOLDEN_EMPTY: &str = r#"{"version":"0.1.0","id":"ID","timestamp":"1970-01-01T00:00:00.000Z","vcs":{"type":"git","revision":"0000000000000000000000000000000000000000"},"files":[],"metadata":{"sce":{"sce_version":"{SCE_VERSION}","agent_activity":false,"lines":{"ai":0,"mixed":0,"unknown":0,"removed":0},"sessions":[],"git":{"branch":null,"remote_url":null},"binary_files_skipped":0,"large_files_skipped":0,"unplaced_agent_hunks":0,"carried_from":[]}}}"#;
    const GOLDEN_ONE_TOOL: &str = r#"{"version":"0.1.0","id":"ID","timestamp":"1970-01-01T00:00:00.000Z","vcs":{"type":"git","revision":"0000000000000000000000000000000000000000"},"tool":{"name":"codex","version":"unknown"},"files":[{"path":"one.rs","conversations":[{"url":"https://x/s1/y","contributor":{"type":"ai"},"ranges":[{"start_line":1,"end_line":1,"content_hash":"murmur3:c1f69a17"}]}]}],"metadata":{"sce":{"sce_version":"{SCE_VERSION}","agent_activity":true,"lines":{"ai":1,"mixed":0,"unknown":0,"removed":0},"sessions":[{"id":"s1","tool":"codex","lines":1}],"git":{"branch":null,"remote_url":null},"binary_files_skipped":0,"large_files_skipped":0,"unplaced_agent_hunks":0,"carried_from":[]}}}"#;

    fn golden(expected: &str, files: &[AttributedFile], context: &CommitContext) {
        let mut record = build_record(files, context);
        record.id = "ID".into();
        let expected = expected.replace("{SCE_VERSION}", env!("CARGO_PKG_VERSION"));
        assert_eq!(serde_json::to_string(&record).unwrap(), expected);
        let read: TraceRecord = serde_json::from_str(&expected).unwrap();
        assert_eq!(read, record, "a record reads back as it was built");
    }

    #[test]
    fn records_are_byte_for_byte_what_the_builder_wrote_before() {
        use Class::*;
        let authors = vec![
            Author {
                session_id: "ses_a".into(),
                model_id: Some("anthropic/claude".into()),
                tool_name: Some("claude-code".into()),
                tool_version: Some("2.0.1".into()),
            },
            Author {
                session_id: "ses_b".into(),
                model_id: None,
                tool_name: Some("opencode".into()),
                tool_version: None,
            },
            Author {
                session_id: "ses_unused".into(),
                model_id: Some("x/y".into()),
                tool_name: None,
                tool_version: None,
            },
        ];
        let files = vec![
            AttributedFile {
                path: "src/a.rs".into(),
                lines: ["a", "b", "c", "d", "e", "f", "g"].map(String::from).to_vec(),
                classes: vec![
                    Some(Ai(0)),
                    Some(Ai(0)),
                    Some(Mixed(0)),
                    None,
                    Some(Ai(1)),
                    Some(Unknown),
                    Some(Mixed(1)),
                ],
            },
            AttributedFile { path: "empty.txt".into(), lines: vec!["x".into()], classes: vec![None] },
            AttributedFile {
                path: "b/c.md".into(),
                lines: ["1", "2", "3"].map(String::from).to_vec(),
                classes: vec![Some(Unknown), Some(Unknown), Some(Ai(1))],
            },
        ];
        let context = CommitContext {
            sha: "a".repeat(40),
            branch: Some("main".into()),
            remote_url: Some("https://example.com/r.git".into()),
            authors,
            url_template: "urn:sce:session:{session_id}".into(),
            removed: 5,
            binary_files_skipped: 1,
            large_files_skipped: 2,
            skipped_hunks: 3,
            carried_from: vec!["b".repeat(40), "c".repeat(40)],
            now: time::OffsetDateTime::UNIX_EPOCH + time::Duration::milliseconds(1_700_000_000_123),
        };
        golden(GOLDEN_FULL, &files, &context);
        let context = CommitContext {
            sha: "0".repeat(40),
            branch: None,
            remote_url: None,
            authors: vec![],
            url_template: "https://x/{session_id}/y".into(),
            removed: 0,
            binary_files_skipped: 0,
            large_files_skipped: 0,
            skipped_hunks: 0,
            carried_from: vec![],
            now: time::OffsetDateTime::UNIX_EPOCH,
        };
        golden(GOLDEN_EMPTY, &[], &context);
        let file = AttributedFile { path: "one.rs".into(), lines: vec!["z".into()], classes: vec![Some(Ai(0))] };
        let codex =
            Author { session_id: "s1".into(), model_id: None, tool_name: Some("codex".into()), tool_version: None };
        golden(GOLDEN_ONE_TOOL, &[file], &CommitContext { authors: vec![codex], ..context });
    }
}
