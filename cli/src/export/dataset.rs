//! One dataset record: everything exported about one session, built from its stored
//! conversation, its git context and the commits it has lines in, every string
//! scrubbed on the way. The shape is `context/export-session.schema.json`.

use std::collections::BTreeSet;

use gix::bstr::BString;
use gix::diff::blob::unified_diff::{ConsumeBinaryHunk, ContextSize};
use gix::diff::blob::{Algorithm, InternedInput, UnifiedDiff, diff_with_slider_heuristics};
use serde::Serialize;

use super::scrub::{ScrubFindings, Scrubber};
use crate::record::SessionCommit;
use crate::store::{Conversation, ConversationPart, SessionRow, SessionSpan};

/// The version of the record shape; bumped on any incompatible change.
pub const FORMAT: &str = "sce-export-session/1";

/// One exported session (one JSON line).
#[derive(Debug, Clone, Serialize)]
pub struct SessionRecord {
    /// [`FORMAT`].
    pub format: &'static str,
    /// The agent's session id (scrubbed like every string).
    pub session_id: String,
    /// The agent tool (`opencode`, `claude-code`, …), if known.
    pub tool: Option<String>,
    /// The agent tool's version, if known.
    pub tool_version: Option<String>,
    /// Every model its messages name, sorted.
    pub models: Vec<String>,
    /// First activity (RFC 3339, UTC).
    pub started_at: String,
    /// Last activity (RFC 3339, UTC).
    pub ended_at: String,
    /// The git state the session started in, when sce resolved it.
    pub git: Option<GitContext>,
    /// Whether message texts and diffs are in this record (`--include-text`).
    pub text_included: bool,
    /// The messages, by creation time.
    pub messages: Vec<MessageRecord>,
    /// The file edits of its tool calls, in arrival order.
    pub edits: Vec<EditRecord>,
    /// The commits it has lines in, with the lines credited to it.
    pub commits: Vec<CommitRecord>,
    /// Totals over `commits`.
    pub lines: LineTotals,
    /// BLAKE3 (hex) of the normalized role and text of every message; `None` without text.
    pub content_hash: Option<String>,
    /// The first session of this export with the same `content_hash`.
    pub duplicate_of: Option<String>,
    /// Replacements made while scrubbing, per kind (no content).
    pub scrubbed: std::collections::BTreeMap<String, u64>,
}

/// The git context of a session, scrubbed.
#[derive(Debug, Clone, Serialize)]
pub struct GitContext {
    /// The remote URL, credentials stripped at intake.
    pub remote_url: Option<String>,
    /// The branch, `None` when detached.
    pub branch: Option<String>,
    /// HEAD when the session started.
    pub head_sha: Option<String>,
}

/// One message.
#[derive(Debug, Clone, Serialize)]
pub struct MessageRecord {
    /// The message id.
    pub id: String,
    /// `user`, `assistant`, or `unknown` (parts whose message was never reported).
    pub role: String,
    /// `provider/model`, for assistant messages.
    pub model: Option<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Completion time (RFC 3339), if known.
    pub completed_at: Option<String>,
    /// How many text parts it has.
    pub text_parts: u64,
    /// Characters over its text parts (after scrubbing).
    pub text_chars: u64,
    /// Its text parts in order, scrubbed; only with `--include-text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub texts: Option<Vec<String>>,
}

/// One file a tool call changed.
#[derive(Debug, Clone, Serialize)]
pub struct EditRecord {
    /// The message the tool call belongs to.
    pub message_id: String,
    /// The agent tool that made it (`edit`, `write`, `apply_patch`, `bash`, …).
    pub tool: Option<String>,
    /// When (RFC 3339).
    pub time: String,
    /// The repo-relative path.
    pub file_path: String,
    /// The previous path of a rename.
    pub old_path: Option<String>,
    /// added | modified | deleted | renamed, as reported.
    pub status: Option<String>,
    /// Lines the diff adds (`None` without texts).
    pub added_lines: Option<u64>,
    /// Lines the diff removes (`None` without texts).
    pub removed_lines: Option<u64>,
    /// The unified diff, scrubbed; only with `--include-text` and while texts are kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// What the diff was made from, or why there is none.
    pub diff_source: DiffSource,
}

/// Where an edit's diff comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffSource {
    /// Computed from the file before and after.
    BeforeAfter,
    /// Computed from an empty file: only the text after was reported (a new file or a write).
    AfterOnly,
    /// The unified diff the agent reported.
    ReportedPatch,
    /// Retention removed the texts (`retention.edit_texts_days`): the file, no diff.
    TextsRemoved,
}

/// One commit the session has lines in.
#[derive(Debug, Clone, Serialize)]
pub struct CommitRecord {
    /// The commit.
    pub sha: String,
    /// Lines the agent wrote as committed.
    pub ai_lines: u64,
    /// The agent's lines a person then edited.
    pub mixed_lines: u64,
    /// When the record was written (RFC 3339).
    pub recorded_at: String,
}

/// Totals of lines credited to the session.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LineTotals {
    /// Lines the agent wrote as committed.
    pub ai: u64,
    /// The agent's lines a person then edited.
    pub mixed: u64,
}

/// What a record is built from: one session's stored state.
pub struct SessionInput<'a> {
    /// Its id and time bounds.
    pub span: &'a SessionSpan,
    /// Its messages and parts.
    pub conversation: &'a Conversation,
    /// Its `sessions` row, if any.
    pub row: Option<&'a SessionRow>,
    /// The commits it has lines in.
    pub commits: &'a [SessionCommit],
}

/// Milliseconds since the epoch as RFC 3339 (UTC); out-of-range times as the epoch.
pub fn rfc3339(ms: i64) -> String {
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    time.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Builds the record of one session; every string goes through `scrubber`, whose
/// replacements are counted in `findings`.
pub fn build_record(
    input: &SessionInput<'_>,
    scrubber: &Scrubber,
    include_text: bool,
    findings: &mut ScrubFindings,
) -> SessionRecord {
    let mut scrub = |text: &str| scrubber.scrub_owned(text, findings);
    let opt = |value: &Option<String>, scrub: &mut dyn FnMut(&str) -> String| value.as_deref().map(&mut *scrub);
    let messages = &input.conversation.messages;
    let tool =
        input.row.and_then(|r| r.tool_name.clone()).or_else(|| messages.iter().find_map(|m| m.tool_name.clone()));
    let tool_version = messages.iter().rev().find_map(|m| m.tool_version.as_deref()).map(&mut scrub);
    let models: BTreeSet<String> = messages.iter().filter_map(|m| m.model_id.as_deref()).map(&mut scrub).collect();
    let git = input.row.filter(|r| r.context_ms.is_some() || r.git.remote_url.is_some()).map(|r| GitContext {
        remote_url: opt(&r.git.remote_url, &mut scrub),
        branch: opt(&r.git.branch, &mut scrub),
        head_sha: r.git.head_sha.clone(),
    });
    let mut hasher = blake3::Hasher::new();
    let mut any_text = false;
    let mut message_records = Vec::with_capacity(messages.len());
    let mut edits = Vec::new();
    for message in messages {
        let texts: Vec<String> = message
            .parts
            .iter()
            .filter(|p| p.part_type == "text")
            .filter_map(|p| p.text.as_deref())
            .map(&mut scrub)
            .collect();
        if !texts.is_empty() {
            any_text = true;
            hasher.update(message.role.as_bytes());
            hasher.update(b"\x1f");
            for text in &texts {
                hasher.update(normalize(text).as_bytes());
                hasher.update(b"\x1f");
            }
            hasher.update(b"\x1e");
        }
        for part in message.parts.iter().filter(|p| p.part_type == "patch") {
            if let Some(edit) = edit_record(&message.message_id, part, include_text, &mut scrub) {
                edits.push(edit);
            }
        }
        message_records.push(MessageRecord {
            id: scrub(&message.message_id),
            role: message.role.clone(),
            model: message.model_id.as_deref().map(&mut scrub),
            created_at: rfc3339(message.time_created_ms),
            completed_at: message.time_completed_ms.map(rfc3339),
            text_parts: texts.len() as u64,
            text_chars: texts.iter().map(|t| t.chars().count() as u64).sum(),
            texts: include_text.then_some(texts),
        });
    }
    let commits: Vec<CommitRecord> = input
        .commits
        .iter()
        .map(|c| CommitRecord {
            sha: c.sha.clone(),
            ai_lines: c.ai,
            mixed_lines: c.mixed,
            recorded_at: rfc3339(c.recorded_ms),
        })
        .collect();
    let lines =
        LineTotals { ai: commits.iter().map(|c| c.ai_lines).sum(), mixed: commits.iter().map(|c| c.mixed_lines).sum() };
    SessionRecord {
        format: FORMAT,
        session_id: scrub(&input.span.session_id),
        tool: tool.as_deref().map(&mut scrub),
        tool_version,
        models: models.into_iter().collect(),
        started_at: rfc3339(input.span.first_ms),
        ended_at: rfc3339(input.span.last_ms),
        git,
        text_included: include_text,
        messages: message_records,
        edits,
        commits,
        lines,
        content_hash: any_text.then(|| hasher.finalize().to_hex().to_string()),
        duplicate_of: None,
        scrubbed: Default::default(),
    }
}

/// Text as compared for duplicates: whitespace runs collapsed, ends trimmed.
fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn edit_record(
    message_id: &str,
    part: &ConversationPart,
    include_text: bool,
    scrub: &mut dyn FnMut(&str) -> String,
) -> Option<EditRecord> {
    let file_path = part.file_path.as_deref()?;
    let (diff, source) = match &part.edit_texts {
        Some(texts) => match (&texts.before, &texts.after, &texts.patch) {
            (before, Some(after), _) => (
                Some(unified_diff(before.as_deref().unwrap_or(""), after, file_path)),
                if before.is_some() { DiffSource::BeforeAfter } else { DiffSource::AfterOnly },
            ),
            (_, None, Some(patch)) => (Some(patch.clone()), DiffSource::ReportedPatch),
            _ => (None, DiffSource::TextsRemoved),
        },
        None => (None, DiffSource::TextsRemoved),
    };
    let count = |prefix: char, skip: &str| {
        diff.as_deref().map(|d| d.lines().filter(|l| l.starts_with(prefix) && !l.starts_with(skip)).count() as u64)
    };
    let (added_lines, removed_lines) = (count('+', "+++"), count('-', "---"));
    Some(EditRecord {
        message_id: scrub(message_id),
        tool: part.edit_tool.as_deref().map(&mut *scrub),
        time: rfc3339(part.time_ms),
        file_path: scrub(file_path),
        old_path: part.old_path.as_deref().map(&mut *scrub),
        status: part.status.as_deref().map(&mut *scrub),
        added_lines,
        removed_lines,
        diff: if include_text { diff.as_deref().map(&mut *scrub) } else { None },
        diff_source: source,
    })
}

/// The unified diff of `before` → `after` as git would show it (Myers with git's
/// slider heuristics, 3 lines of context), with `a/` and `b/` headers.
fn unified_diff(before: &str, after: &str, path: &str) -> String {
    let input = InternedInput::new(before, after);
    let diff = diff_with_slider_heuristics(Algorithm::Myers, &input);
    let hunks = ConsumeBinaryHunk::new(BString::default(), "\n");
    // Writing into memory cannot fail; an empty diff is the safe answer if it did.
    let body = UnifiedDiff::new(&diff, &input, hunks, ContextSize::symmetrical(3)).consume().unwrap_or_default();
    if body.is_empty() {
        return String::new();
    }
    format!("--- a/{path}\n+++ b/{path}\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_look_like_git() {
        let diff = unified_diff("a\nb\nc\n", "a\nB\nc\nd\n", "src/x.rs");
        assert_eq!(diff, "--- a/src/x.rs\n+++ b/src/x.rs\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n");
        assert_eq!(unified_diff("same\n", "same\n", "x"), "");
    }

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(rfc3339(1_763_600_000_000), "2025-11-20T00:53:20Z");
        assert_eq!(normalize("  a \n\t b  "), "a b");
    }
}
