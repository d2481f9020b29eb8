//! A parser for the unified diff of one file, as agents report their edits.
//!
//! Git's own diffs come from gix; this reads text that does not come from git.

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HunkLine {
    /// Present on both sides.
    Context(String),
    /// Only on the old side.
    Removed(String),
    /// Only on the new side.
    Added(String),
}

/// One `@@` hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// 1-based first old line (0 when the old side is empty).
    pub old_start: usize,
    /// 1-based first new line (0 when the new side is empty).
    pub new_start: usize,
    /// The hunk's lines in order, without their newline.
    pub lines: Vec<HunkLine>,
}

impl Hunk {
    /// The lines the hunk expects to find (context and removed), in order.
    pub fn old_lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().filter_map(|l| match l {
            HunkLine::Context(t) | HunkLine::Removed(t) => Some(t.as_str()),
            HunkLine::Added(_) => None,
        })
    }
}

/// Why a patch could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnidiffError {
    /// No `@@` hunk at all.
    #[error("no @@ hunk found: send a unified diff of the one file, or its full content as \"after\"")]
    NoHunk,
    /// A hunk header that cannot be read.
    #[error("line {line}: bad hunk header {header:?}")]
    BadHeader {
        /// 1-based line in the patch.
        line: usize,
        /// The header as given.
        header: String,
    },
    /// A hunk shorter than its header says, or with a line of unknown kind.
    #[error("line {line}: hunk body does not match its header")]
    BadBody {
        /// 1-based line in the patch.
        line: usize,
    },
    /// The diff names more than one file.
    #[error("line {line}: the diff covers more than one file; send one patch part per file")]
    SeveralFiles {
        /// 1-based line in the patch.
        line: usize,
    },
}

/// Parses the hunks of a one-file unified diff; file headers are skipped.
pub fn parse(text: &str) -> Result<Vec<Hunk>, UnidiffError> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    if text.ends_with('\n') {
        // The terminator of the last line is not an empty line of its own.
        lines.pop();
    }
    let mut hunks = Vec::new();
    let mut i = 0;
    let mut seen_file_header = false;
    while i < lines.len() {
        let line = lines[i].strip_suffix('\r').unwrap_or(lines[i]);
        if line.starts_with("@@") {
            let (old_start, old_len, new_start, new_len) =
                parse_header(line).ok_or_else(|| UnidiffError::BadHeader { line: i + 1, header: line.into() })?;
            let mut hunk = Hunk { old_start, new_start, lines: Vec::new() };
            let (mut old_left, mut new_left) = (old_len, new_len);
            i += 1;
            while old_left > 0 || new_left > 0 {
                let Some(raw) = lines.get(i) else {
                    return Err(UnidiffError::BadBody { line: i + 1 });
                };
                let body = *raw;
                let (kind, content) = match body.chars().next() {
                    Some(k @ (' ' | '-' | '+')) => (k, &body[1..]),
                    // Some producers drop the space of an empty context line.
                    None => (' ', ""),
                    Some('\\') => {
                        i += 1;
                        continue;
                    }
                    Some(_) => return Err(UnidiffError::BadBody { line: i + 1 }),
                };
                match kind {
                    ' ' if old_left > 0 && new_left > 0 => {
                        old_left -= 1;
                        new_left -= 1;
                        hunk.lines.push(HunkLine::Context(content.into()));
                    }
                    '-' if old_left > 0 => {
                        old_left -= 1;
                        hunk.lines.push(HunkLine::Removed(content.into()));
                    }
                    '+' if new_left > 0 => {
                        new_left -= 1;
                        hunk.lines.push(HunkLine::Added(content.into()));
                    }
                    _ => return Err(UnidiffError::BadBody { line: i + 1 }),
                }
                i += 1;
            }
            hunks.push(hunk);
            continue;
        }
        if line.starts_with("--- ") || line.starts_with("diff ") || line.starts_with("Index: ") {
            if !hunks.is_empty() && (line.starts_with("diff ") || line.starts_with("Index: ") || seen_file_header) {
                return Err(UnidiffError::SeveralFiles { line: i + 1 });
            }
            if line.starts_with("--- ") {
                seen_file_header = true;
            }
        }
        i += 1;
    }
    if hunks.is_empty() {
        return Err(UnidiffError::NoHunk);
    }
    Ok(hunks)
}

/// Reads `@@ -a,b +c,d @@`; a missing count means 1.
fn parse_header(line: &str) -> Option<(usize, usize, usize, usize)> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let range = |r: &str| -> Option<(usize, usize)> {
        match r.split_once(',') {
            Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (old_start, old_len) = range(old)?;
    let (new_start, new_len) = range(new)?;
    Some((old_start, old_len, new_start, new_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hunks_after_headers() {
        let diff =
            "Index: a\n===\n--- a\n+++ a\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n@@ -10 +10,2 @@\n ten\n+eleven\n";
        let hunks = parse(diff).unwrap();
        assert_eq!(hunks.len(), 2);
        assert_eq!(hunks[0].old_start, 1);
        assert_eq!(hunks[0].old_lines().collect::<Vec<_>>(), ["one", "two", "three"]);
        assert_eq!(hunks[1].lines, vec![HunkLine::Context("ten".into()), HunkLine::Added("eleven".into())]);
    }

    #[test]
    fn a_removed_line_that_looks_like_a_header_is_body() {
        let diff = "@@ -1,2 +1,1 @@\n--- x\n keep\n";
        let hunks = parse(diff).unwrap();
        assert_eq!(hunks[0].lines[0], HunkLine::Removed("-- x".into()));
    }

    #[test]
    fn no_newline_marker_is_skipped() {
        let diff = "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n";
        assert_eq!(parse(diff).unwrap()[0].lines.len(), 2);
    }

    #[test]
    fn rejects_what_is_not_a_one_file_diff() {
        assert_eq!(parse("hello"), Err(UnidiffError::NoHunk));
        assert!(matches!(parse("@@ -x +1 @@\n"), Err(UnidiffError::BadHeader { .. })));
        assert!(matches!(parse("@@ -1,2 +1,2 @@\n a\n"), Err(UnidiffError::BadBody { .. })));
        let two = "--- a\n+++ a\n@@ -1 +1 @@\n-a\n+b\n--- b\n+++ b\n@@ -1 +1 @@\n-a\n+b\n";
        assert!(matches!(parse(two), Err(UnidiffError::SeveralFiles { .. })));
    }
}
