//! Why a line is there: for each line of a file (blame semantics), the record's
//! class and credit, and — from this repository's DB — the stored edit that wrote
//! it and the turn of the conversation it was written in (the prompts and the
//! agent's answers). The JSON form is documented in `context/why.md`.

use std::collections::HashMap;

use serde::Serialize;

use super::blame::LineProvenance;
use crate::record::Class;
use crate::store::{EditPart, SessionText, Store, StoreError};

/// Texts longer than this many characters are trimmed unless asked in full.
pub const TRIM_CHARS: usize = 600;
/// Texts with more lines than this are trimmed unless asked in full.
pub const TRIM_LINES: usize = 12;

/// Why one line is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhyLine {
    /// 1-based line number at the asked revision.
    pub line: usize,
    /// The line's text.
    pub text: String,
    /// ai, mixed, unknown; `None` when the introducing commit has no record.
    pub class: Option<Class<()>>,
    /// The commit that introduced the line.
    pub commit: String,
    /// The file's path in that commit (differs after renames).
    pub commit_path: String,
    /// The line's number in that commit's version of the file.
    pub commit_line: usize,
    /// The agent session credited with an ai or mixed line.
    pub session: Option<String>,
    /// Its `provider/model`.
    pub model: Option<String>,
    /// Its agent tool.
    pub tool: Option<String>,
    /// The stored edit that wrote the line (key into [`WhyReport::edits`]).
    pub edit: Option<i64>,
    /// What this DB knows of the line's conversation.
    pub conversation: Conversation,
}

/// What this repository's DB can tell about a line's conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Conversation {
    /// The edit and its turn are below.
    Found,
    /// No agent is credited with the line: there is no conversation to show.
    NoAgent,
    /// The commit that introduced the line has no Agent Trace record.
    NoRecord,
    /// The commit was recorded elsewhere (its note came from another clone): its
    /// conversation is not in this repository's DB.
    RecordedElsewhere,
    /// The commit was recorded here, but which edit wrote the line was not kept
    /// (recorded by an older sce, or carried from a commit without it).
    EditNotKept,
    /// The edit was kept, but retention has since removed it from the DB.
    EditRemoved,
    /// sce has no DB in this repository (not set up here).
    NoDatabase,
}

impl Conversation {
    /// One line for people.
    pub fn explain(self) -> &'static str {
        match self {
            Conversation::Found => "",
            Conversation::NoAgent => "no agent wrote it",
            Conversation::NoRecord => "its commit has no Agent Trace record",
            Conversation::RecordedElsewhere => {
                "its commit was recorded in another clone: the conversation is not in this repository's DB"
            }
            Conversation::EditNotKept => "which edit wrote it was not kept when its commit was recorded",
            Conversation::EditRemoved => "the edit that wrote it has been removed from the DB (retention)",
            Conversation::NoDatabase => "sce has no database in this repository",
        }
    }
}

/// The stored edit behind some lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhyEdit {
    /// The edit's seq (what [`WhyLine::edit`] names).
    pub seq: i64,
    /// Its session.
    pub session: String,
    /// The agent's tool call that made it (`Edit`, `apply_patch`, `bash`, …).
    pub tool_call: Option<String>,
    /// The file it changed, as the agent reported it.
    pub file: Option<String>,
    /// When (RFC 3339, UTC).
    pub time: String,
    /// Index into [`WhyReport::turns`] of the turn it was made in.
    pub turn: Option<usize>,
}

/// One turn of a conversation: the prompt(s) a person gave and the agent's answers
/// until the next prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Turn {
    /// The session.
    pub session: String,
    /// The prompts, in order (several when a person sent more before an answer).
    pub prompts: Vec<TurnText>,
    /// The agent's answers in the turn, in order.
    pub answers: Vec<TurnText>,
}

/// A prompt or answer, trimmed unless asked in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TurnText {
    /// The text (trimmed to [`TRIM_LINES`] lines / [`TRIM_CHARS`] characters unless full).
    pub text: String,
    /// True when `text` is cut short.
    pub truncated: bool,
    /// When (RFC 3339, UTC).
    pub time: String,
    /// The answer's `provider/model`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// The version of `sce why --json`'s shape: raised when a field changes meaning or
/// goes away (new fields may be added without it).
pub const WHY_JSON_VERSION: u32 = 1;

/// Everything `sce why` says about some lines of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhyReport {
    /// [`WHY_JSON_VERSION`].
    pub version: u32,
    /// Repo-relative path.
    pub file: String,
    /// The commit the file was read at.
    pub rev: String,
    /// The asked lines.
    pub lines: Vec<WhyLine>,
    /// The edits the lines name, by seq, ascending.
    pub edits: Vec<WhyEdit>,
    /// The turns the edits name.
    pub turns: Vec<Turn>,
}

/// Builds the report for `lines` (already blamed, with their records read) from `store`
/// (`None`: no DB here). `full` keeps texts whole.
pub fn explain_lines(
    file: &str,
    rev: &str,
    blamed: Vec<LineProvenance>,
    store: Option<&Store>,
    full: bool,
) -> Result<WhyReport, StoreError> {
    let mut finder = Finder { store, full, ..Finder::default() };
    let mut lines = Vec::with_capacity(blamed.len());
    for line in blamed {
        let (edit, conversation) = finder.edit_of(&line)?;
        lines.push(WhyLine {
            line: line.line,
            text: line.text,
            class: line.class,
            commit: line.commit,
            commit_path: line.source_path,
            commit_line: line.source_line,
            session: line.session,
            model: line.model,
            tool: line.tool,
            edit,
            conversation,
        });
    }
    let mut edits: Vec<WhyEdit> = finder.edits.into_values().flatten().collect();
    edits.sort_by_key(|e| e.seq);
    Ok(WhyReport {
        version: WHY_JSON_VERSION,
        file: file.to_string(),
        rev: rev.to_string(),
        lines,
        edits,
        turns: finder.turns,
    })
}

/// Looks things up once each: records, line edits, edits, sessions' texts.
#[derive(Default)]
struct Finder<'s> {
    store: Option<&'s Store>,
    full: bool,
    recorded_here: HashMap<String, bool>,
    line_edits: HashMap<(String, String), Option<crate::store::LineEdits>>,
    edits: HashMap<i64, Option<WhyEdit>>,
    texts: HashMap<String, Vec<SessionText>>,
    turns: Vec<Turn>,
    turn_index: HashMap<(String, usize, usize), usize>,
}

impl Finder<'_> {
    fn edit_of(&mut self, line: &LineProvenance) -> Result<(Option<i64>, Conversation), StoreError> {
        let Some(class) = line.class else { return Ok((None, Conversation::NoRecord)) };
        if class == Class::Unknown {
            return Ok((None, Conversation::NoAgent));
        }
        let Some(store) = self.store else { return Ok((None, Conversation::NoDatabase)) };
        let here = match self.recorded_here.get(&line.commit) {
            Some(here) => *here,
            None => {
                let here = store.has_record(&line.commit)?;
                self.recorded_here.insert(line.commit.clone(), here);
                here
            }
        };
        if !here {
            return Ok((None, Conversation::RecordedElsewhere));
        }
        let key = (line.commit.clone(), line.source_path.clone());
        let edits = match self.line_edits.get(&key) {
            Some(edits) => edits,
            None => {
                let edits = store.line_edits(&line.commit, &line.source_path)?;
                self.line_edits.entry(key).or_insert(edits)
            }
        };
        let Some(seq) = edits.as_ref().and_then(|e| e.at(line.source_line)) else {
            return Ok((None, Conversation::EditNotKept));
        };
        if !self.edits.contains_key(&seq) {
            let found = match store.edit_part(seq)? {
                Some(part) => Some(self.describe(store, part)?),
                None => None,
            };
            self.edits.insert(seq, found);
        }
        Ok(match self.edits.get(&seq) {
            Some(Some(_)) => (Some(seq), Conversation::Found),
            _ => (Some(seq), Conversation::EditRemoved),
        })
    }

    fn describe(&mut self, store: &Store, part: EditPart) -> Result<WhyEdit, StoreError> {
        if !self.texts.contains_key(&part.session_id) {
            let texts = store.session_texts(&part.session_id)?;
            self.texts.insert(part.session_id.clone(), texts);
        }
        let texts = self.texts.get(&part.session_id).map(Vec::as_slice).unwrap_or_default();
        let turn = turn_bounds(texts, part.time_ms).map(|(start, end)| {
            let key = (part.session_id.clone(), start, end);
            match self.turn_index.get(&key) {
                Some(index) => *index,
                None => {
                    let turn = make_turn(&part.session_id, &texts[start..end], self.full);
                    self.turns.push(turn);
                    self.turn_index.insert(key, self.turns.len() - 1);
                    self.turns.len() - 1
                }
            }
        });
        Ok(WhyEdit {
            seq: part.seq,
            session: part.session_id,
            tool_call: part.edit_tool,
            file: part.file_path,
            time: rfc3339(part.time_ms),
            turn,
        })
    }
}

/// The texts (`start..end`) of the turn an edit at `time_ms` was made in: from the
/// prompt(s) last sent before it to the next prompt. `None` when the session has
/// no text at all.
fn turn_bounds(texts: &[SessionText], time_ms: i64) -> Option<(usize, usize)> {
    if texts.is_empty() {
        return None;
    }
    let is_prompt = |t: &SessionText| t.role == "user";
    let before = texts.partition_point(|t| t.time_ms <= time_ms);
    let last_prompt = texts[..before].iter().rposition(is_prompt);
    let start = match last_prompt {
        // Prompts sent one after another, before any answer, belong to one turn.
        Some(last) => texts[..=last].iter().rposition(|t| !is_prompt(t)).map_or(0, |answer| answer + 1),
        None => 0,
    };
    let end = texts[before..].iter().position(is_prompt).map_or(texts.len(), |next| before + next);
    (start < end).then_some((start, end))
}

fn make_turn(session: &str, texts: &[SessionText], full: bool) -> Turn {
    let mut turn = Turn { session: session.to_string(), prompts: Vec::new(), answers: Vec::new() };
    for text in texts {
        let (body, truncated) = if full { (text.text.clone(), false) } else { trim(&text.text) };
        let entry = TurnText {
            text: body,
            truncated,
            time: rfc3339(text.time_ms),
            model: (text.role != "user").then(|| text.model_id.clone()).flatten(),
        };
        if text.role == "user" { turn.prompts.push(entry) } else { turn.answers.push(entry) }
    }
    turn
}

/// `text` cut to [`TRIM_LINES`] lines and [`TRIM_CHARS`] characters, and whether it was cut.
fn trim(text: &str) -> (String, bool) {
    let text = text.trim();
    let mut out = String::new();
    for (count, line) in text.lines().enumerate() {
        if count == TRIM_LINES {
            return (out.trim_end().to_string(), true);
        }
        for c in line.chars() {
            if out.chars().count() >= TRIM_CHARS {
                return (out, true);
            }
            out.push(c);
        }
        out.push('\n');
    }
    (out.trim_end().to_string(), false)
}

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(role: &str, body: &str, time_ms: i64) -> SessionText {
        SessionText { role: role.into(), message_id: format!("m{time_ms}"), model_id: None, text: body.into(), time_ms }
    }

    #[test]
    fn an_edit_belongs_to_the_turn_of_the_last_prompt_before_it() {
        let texts = [
            text("user", "first", 10),
            text("assistant", "done first", 20),
            text("user", "second", 30),
            text("user", "and also", 31),
            text("assistant", "done second", 50),
            text("user", "third", 60),
        ];
        assert_eq!(turn_bounds(&texts, 15), Some((0, 2)));
        assert_eq!(turn_bounds(&texts, 40), Some((2, 5)));
        assert_eq!(turn_bounds(&texts, 70), Some((5, 6)));
        // Before any prompt (a hook that missed it): the texts up to the first prompt.
        assert_eq!(turn_bounds(&[text("assistant", "hi", 5), text("user", "x", 9)], 1), Some((0, 1)));
        assert_eq!(turn_bounds(&[], 1), None);
    }

    #[test]
    fn long_texts_are_trimmed_unless_full() {
        let long = "word ".repeat(500);
        let (short, cut) = trim(&long);
        assert!(cut && short.chars().count() == TRIM_CHARS);
        let many = (0..40).map(|i| i.to_string()).collect::<Vec<_>>().join("\n");
        let (short, cut) = trim(&many);
        assert!(cut && short.lines().count() == TRIM_LINES);
        assert_eq!(trim("  fine\n"), ("fine".to_string(), false));
        let turn = make_turn("s", &[text("user", &long, 1)], true);
        assert_eq!(turn.prompts[0].text, long);
    }
}
