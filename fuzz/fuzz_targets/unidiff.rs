//! Arbitrary text as a unified diff: the parser never panics, and every hunk it
//! accepts holds exactly as many old and new lines as its header promised.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sce::unidiff::{Hunk, HunkLine, parse};

/// `@@ -a[,b] +c[,d] @@` → (a, b, c, d), a missing count meaning 1 (the documented rule).
fn header(line: &str) -> Option<(usize, usize, usize, usize)> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let range = |r: &str| -> Option<(usize, usize)> {
        match r.split_once(',') {
            Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (a, b) = range(old)?;
    let (c, d) = range(new)?;
    Some((a, b, c, d))
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

fuzz_target!(|text: &str| {
    let Ok(hunks) = parse(text) else {
        return;
    };
    assert!(!hunks.is_empty(), "Ok with no hunk");
    // On success every top-level line starting with "@@" is a valid header (else
    // BadHeader) and no body line starts with "@@" (else BadBody): so the headers,
    // in order, are exactly the hunks' headers.
    let headers: Vec<_> =
        text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).filter(|l| l.starts_with("@@")).collect();
    assert_eq!(headers.len(), hunks.len(), "headers {headers:?} vs {} hunks", hunks.len());
    for (hunk, line) in hunks.iter().zip(&headers) {
        let (old_start, old_len, new_start, new_len) = header(line).expect("accepted header parses");
        let old = hunk.lines.iter().filter(|l| !matches!(l, HunkLine::Added(_))).count();
        let new = hunk.lines.iter().filter(|l| !matches!(l, HunkLine::Removed(_))).count();
        assert_eq!((hunk.old_start, hunk.new_start), (old_start, new_start), "{line:?}");
        assert_eq!((old, new), (old_len, new_len), "hunk body does not match {line:?}: {hunk:?}");
        assert_eq!(old, hunk.old_lines().count());
        for l in &hunk.lines {
            let (HunkLine::Context(t) | HunkLine::Removed(t) | HunkLine::Added(t)) = l;
            assert!(!t.contains('\n'), "a hunk line holds a newline: {t:?}");
        }
    }
    // What was read, written back canonically, reads the same.
    let again = parse(&render(&hunks)).expect("a rendered diff parses");
    assert_eq!(again, hunks);
});
