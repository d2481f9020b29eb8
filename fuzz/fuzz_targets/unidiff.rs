//! Unified diffs, checked against an independent producer, and arbitrary text.
//!
//! Every input is used twice:
//!
//! * **Produced diffs**: the bytes drive `arbitrary` to build an old and a new text
//!   (lines from a pool that looks like diff syntax, or arbitrary; LF or CRLF; with
//!   or without a final newline) and a way to write the diff. `similar` (a producer
//!   that shares no code with sce's parser) writes the unified diff (context radius
//!   0–4, with or without file headers, with or without `\ No newline at end of
//!   file`, empty context lines with or without their space); `sce::unidiff::parse`
//!   reads it. The oracle: there are as many hunks as `similar` wrote; each hunk's
//!   lines are `similar`'s changes (tag and text); each header's start lines and
//!   counts are the ones `similar`'s operations give; applying the hunks to the old
//!   text, at the positions their headers state, gives the new text.
//! * **Raw text**: the bytes, when UTF-8, go to the parser as they are: it never
//!   panics, no hunk line holds a newline, and the hunks, written back as a
//!   canonical diff, parse to the same hunks.

#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use sce::unidiff::{Hunk, HunkLine, UnidiffError, parse};
use similar::{Algorithm, ChangeTag, TextDiff};

/// Lines that look like the diff syntax around them (headers, markers, tags).
const POOL: &[&str] = &[
    "",
    " ",
    "a",
    "b",
    "-a",
    "+a",
    " a",
    "@@ -1 +1 @@",
    "@@ -1,2 +1,2 @@ fn main() {",
    "--- a/f",
    "+++ b/f",
    "diff --git a/f b/f",
    "Index: f",
    "\\ No newline at end of file",
    "\t}",
];

/// One text: its lines (no terminators), how lines end, and whether the last one does.
struct Text {
    lines: Vec<String>,
    crlf: bool,
    final_newline: bool,
}

impl Text {
    fn render(&self) -> String {
        let eol = if self.crlf { "\r\n" } else { "\n" };
        let mut text = self.lines.join(eol);
        if self.final_newline && !self.lines.is_empty() {
            text.push_str(eol);
        }
        text
    }
}

/// A line: from the pool, or arbitrary text without line terminators (`similar`
/// also ends a line at a lone `\r`, sce's parser only at `\n`).
fn line(u: &mut Unstructured) -> Result<String> {
    if u.ratio(2, 3)? {
        return Ok(u.choose(POOL)?.to_string());
    }
    let text: String = u.arbitrary()?;
    Ok(text.chars().filter(|c| *c != '\n' && *c != '\r').take(24).collect())
}

/// The old text's lines, edited: up to 5 inserts, deletions or replacements.
fn edited(u: &mut Unstructured, old: &[String]) -> Result<Vec<String>> {
    let mut lines = old.to_vec();
    for _ in 0..u.int_in_range(0..=5)? {
        let at = u.int_in_range(0..=lines.len())?;
        match u.int_in_range(0..=2)? {
            0 => {
                let n = u.int_in_range(1..=3)?;
                for k in 0..n {
                    lines.insert(at + k, line(u)?);
                }
            }
            1 if at < lines.len() => {
                let n = u.int_in_range(1..=3)?.min(lines.len() - at);
                lines.drain(at..at + n);
            }
            _ if at < lines.len() => lines[at] = line(u)?,
            _ => lines.push(line(u)?),
        }
    }
    Ok(lines)
}

/// A text as the parser sees its lines: split at `\n` only, a CRLF line keeping its `\r`.
fn raw_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    if text.is_empty() || text.ends_with('\n') {
        lines.pop();
    }
    lines
}

/// Old and new texts, `similar`'s diff of them, and the parser's reading of it.
fn produced(u: &mut Unstructured) -> Result<()> {
    let crlf = u.arbitrary()?;
    let old_lines: Vec<String> = (0..u.int_in_range(0..=12)?).map(|_| line(u)).collect::<Result<_>>()?;
    let new_lines = edited(u, &old_lines)?;
    let old = Text { lines: old_lines, crlf, final_newline: u.ratio(4, 5)? };
    let new = Text { lines: new_lines, crlf, final_newline: u.ratio(4, 5)? };
    let (old, new) = (old.render(), new.render());
    let algorithm = *u.choose(&[Algorithm::Myers, Algorithm::Patience, Algorithm::Lcs])?;
    let radius = u.int_in_range(0..=4)?;
    let hint = u.ratio(3, 4)?;
    let file_header = u.arbitrary()?;
    let bare_empty_context = u.ratio(1, 4)?;

    let diff = TextDiff::configure().algorithm(algorithm).diff_lines(old.as_str(), new.as_str());
    let mut unified = diff.unified_diff();
    unified.context_radius(radius).missing_newline_hint(hint);
    if file_header {
        unified.header("a/f", "b/f");
    }
    let mut patch = unified.to_string();
    if bare_empty_context {
        // Some producers drop the space of an empty context line; the parser takes both.
        patch = patch.split('\n').map(|l| if l == " " { "" } else { l }).collect::<Vec<_>>().join("\n");
    }
    let expected: Vec<_> = unified.iter_hunks().collect();

    let context = || format!("old {old:?}\nnew {new:?}\npatch {patch:?}");
    let hunks = match parse(&patch) {
        Ok(hunks) => hunks,
        Err(UnidiffError::NoHunk) if expected.is_empty() => return Ok(()),
        Err(e) => panic!("similar's diff does not parse: {e}\n{}", context()),
    };
    assert_eq!(hunks.len(), expected.len(), "hunk count\n{}", context());

    let old_raw = raw_lines(&old);
    let new_raw = raw_lines(&new);
    let mut applied: Vec<&str> = Vec::new();
    let mut at = 0; // next old line (0-based) not yet copied or consumed
    for (hunk, theirs) in hunks.iter().zip(&expected) {
        // The lines: similar's changes, tag and text (without the `\n`).
        let lines: Vec<HunkLine> = theirs
            .iter_changes()
            .map(|change| {
                let value = change.value();
                let text = value.strip_suffix('\n').unwrap_or(value).to_string();
                match change.tag() {
                    ChangeTag::Equal => HunkLine::Context(text),
                    ChangeTag::Delete => HunkLine::Removed(text),
                    ChangeTag::Insert => HunkLine::Added(text),
                }
            })
            .collect();
        assert_eq!(hunk.lines, lines, "hunk lines\n{}", context());

        // The header: similar's operations give the ranges; an empty side's start
        // is the line before it (0 at the top of the file).
        let ops = theirs.ops();
        let (first, last) = (ops[0], ops[ops.len() - 1]);
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        let start = |range: &std::ops::Range<usize>| if range.is_empty() { range.start } else { range.start + 1 };
        assert_eq!((hunk.old_start, hunk.new_start), (start(&old_range), start(&new_range)), "{}", context());
        let old_count = hunk.lines.iter().filter(|l| !matches!(l, HunkLine::Added(_))).count();
        let new_count = hunk.lines.iter().filter(|l| !matches!(l, HunkLine::Removed(_))).count();
        assert_eq!((old_count, new_count), (old_range.len(), new_range.len()), "{}", context());

        // Apply it where its header says.
        let begin = if old_count == 0 { hunk.old_start } else { hunk.old_start - 1 };
        assert!(at <= begin && begin <= old_raw.len(), "hunk at old line {begin}, {at} consumed\n{}", context());
        applied.extend_from_slice(&old_raw[at..begin]);
        at = begin;
        let new_begin = if new_count == 0 { hunk.new_start } else { hunk.new_start - 1 };
        assert_eq!(new_begin, applied.len(), "new start of {hunk:?}\n{}", context());
        for line in &hunk.lines {
            match line {
                HunkLine::Context(text) | HunkLine::Removed(text) => {
                    assert_eq!(old_raw.get(at), Some(&text.as_str()), "old line {}\n{}", at + 1, context());
                    if matches!(line, HunkLine::Context(_)) {
                        applied.push(old_raw[at]);
                    }
                    at += 1;
                }
                HunkLine::Added(text) => applied.push(text),
            }
        }
    }
    applied.extend_from_slice(&old_raw[at..]);
    assert_eq!(applied, new_raw, "the hunks applied to the old text\n{}", context());
    Ok(())
}

/// The hunks written back as a canonical diff.
fn render(hunks: &[Hunk]) -> String {
    let mut out = String::from("--- a/f\n+++ b/f\n");
    for hunk in hunks {
        let old = hunk.lines.iter().filter(|l| !matches!(l, HunkLine::Added(_))).count();
        let new = hunk.lines.iter().filter(|l| !matches!(l, HunkLine::Removed(_))).count();
        out.push_str(&format!("@@ -{},{} +{},{} @@\n", hunk.old_start, old, hunk.new_start, new));
        for line in &hunk.lines {
            let (tag, text) = match line {
                HunkLine::Context(t) => (' ', t),
                HunkLine::Removed(t) => ('-', t),
                HunkLine::Added(t) => ('+', t),
            };
            out.push(tag);
            out.push_str(text);
            out.push('\n');
        }
    }
    out
}

/// Arbitrary text: no panic; what is accepted has no multi-line hunk line and
/// reads the same once written back.
fn raw(text: &str) {
    let Ok(hunks) = parse(text) else {
        return;
    };
    assert!(!hunks.is_empty(), "Ok with no hunk");
    for l in hunks.iter().flat_map(|h| &h.lines) {
        let (HunkLine::Context(t) | HunkLine::Removed(t) | HunkLine::Added(t)) = l;
        assert!(!t.contains('\n'), "a hunk line holds a newline: {t:?}");
    }
    let again = parse(&render(&hunks)).expect("a rendered diff parses");
    assert_eq!(again, hunks);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        raw(text);
    }
    // Running out of bytes only ends the case early.
    let _ = produced(&mut Unstructured::new(data));
});
