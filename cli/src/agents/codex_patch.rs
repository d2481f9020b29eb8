//! Codex's `apply_patch` format, parsed into one operation per file, and applied
//! to a file's text the way Codex applies it:
//!
//! ```text
//! *** Begin Patch
//! *** Add File: hello.py
//! +print('hello')
//! *** Update File: src/app.py
//! *** Move to: src/main.py
//! @@ def greet():
//!      name = "x"
//! -    print(name)
//! +    print(f"hi {name}")
//! *** End of File
//! *** Delete File: old.py
//! *** End Patch
//! ```
//!
//! Paths are relative to the session's working directory (or absolute).

/// One file a patch touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOp {
    /// A new file with this content.
    Add {
        /// The file.
        path: String,
        /// Its whole content.
        content: String,
    },
    /// A file removed.
    Delete {
        /// The file.
        path: String,
    },
    /// A file changed by hunks, and maybe moved.
    Update {
        /// The file.
        path: String,
        /// Where it goes, for `*** Move to:`.
        move_to: Option<String>,
        /// The changes, in order.
        chunks: Vec<Chunk>,
    },
}

impl FileOp {
    /// The file the operation starts from.
    pub fn path(&self) -> &str {
        match self {
            FileOp::Add { path, .. } | FileOp::Delete { path } | FileOp::Update { path, .. } => path,
        }
    }
}

/// One `@@` hunk of an update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chunk {
    /// The text after `@@ `, a line to find before the hunk's lines.
    pub context: Option<String>,
    /// Context and removed lines, in order.
    pub old_lines: Vec<String>,
    /// Context and added lines, in order.
    pub new_lines: Vec<String>,
    /// `*** End of File`: the hunk ends the file.
    pub end_of_file: bool,
}

/// Why a patch could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// No `*** Begin Patch` line.
    #[error("the patch does not start with `*** Begin Patch`")]
    NoBegin,
    /// A line that is not part of the format.
    #[error("line {line} of the patch is not understood: {text:?}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// The line.
        text: String,
    },
}

/// Parses a whole patch (lenient about a missing `*** End Patch` and blank lines between files).
pub fn parse(patch: &str) -> Result<Vec<FileOp>, PatchError> {
    let lines: Vec<&str> = patch.lines().collect();
    let mut at = lines.iter().position(|l| l.trim() == "*** Begin Patch").ok_or(PatchError::NoBegin)? + 1;
    let mut ops = Vec::new();
    let bad = |n: usize, text: &str| PatchError::Line { line: n + 1, text: text.to_string() };
    while at < lines.len() {
        let line = lines[at];
        let header = line.trim();
        if header == "*** End Patch" {
            break;
        }
        if let Some(path) = header.strip_prefix("*** Add File: ") {
            at += 1;
            let mut content = String::new();
            while at < lines.len() && !lines[at].starts_with("*** ") {
                match lines[at].strip_prefix('+') {
                    Some(text) => {
                        content.push_str(text);
                        content.push('\n');
                    }
                    None if lines[at].trim().is_empty() => {}
                    None => return Err(bad(at, lines[at])),
                }
                at += 1;
            }
            ops.push(FileOp::Add { path: path.trim().to_string(), content });
        } else if let Some(path) = header.strip_prefix("*** Delete File: ") {
            at += 1;
            ops.push(FileOp::Delete { path: path.trim().to_string() });
        } else if let Some(path) = header.strip_prefix("*** Update File: ") {
            at += 1;
            let mut move_to = None;
            if let Some(to) = lines.get(at).and_then(|l| l.trim().strip_prefix("*** Move to: ")) {
                move_to = Some(to.trim().to_string());
                at += 1;
            }
            let mut chunks: Vec<Chunk> = Vec::new();
            while at < lines.len() {
                let line = lines[at];
                if line.trim() == "*** End of File" {
                    if let Some(last) = chunks.last_mut() {
                        last.end_of_file = true;
                    }
                    at += 1;
                    continue;
                }
                if line.starts_with("*** ") {
                    break;
                }
                if line.trim_end() == "@@" || line.starts_with("@@ ") {
                    let context = line.strip_prefix("@@ ").map(str::to_string).filter(|c| !c.is_empty());
                    chunks.push(Chunk { context, ..Chunk::default() });
                    at += 1;
                    continue;
                }
                if chunks.is_empty() {
                    // The first hunk may omit its `@@`.
                    chunks.push(Chunk::default());
                }
                let Some(chunk) = chunks.last_mut() else { return Err(bad(at, line)) };
                match line.chars().next() {
                    Some('+') => chunk.new_lines.push(line[1..].to_string()),
                    Some('-') => chunk.old_lines.push(line[1..].to_string()),
                    Some(' ') => {
                        chunk.old_lines.push(line[1..].to_string());
                        chunk.new_lines.push(line[1..].to_string());
                    }
                    // An empty line inside a hunk is an empty context line.
                    None => {
                        chunk.old_lines.push(String::new());
                        chunk.new_lines.push(String::new());
                    }
                    Some(_) => return Err(bad(at, line)),
                }
                at += 1;
            }
            ops.push(FileOp::Update { path: path.trim().to_string(), move_to, chunks });
        } else if header.is_empty() {
            at += 1;
        } else {
            return Err(bad(at, line));
        }
    }
    Ok(ops)
}

/// Where `pattern` occurs in `lines` at or after `start` (at the end when `eof`):
/// exact first, then ignoring trailing, then surrounding white space, as Codex seeks.
fn seek(lines: &[String], pattern: &[String], start: usize, eof: bool) -> Option<usize> {
    if pattern.is_empty() {
        return Some(start);
    }
    if pattern.len() > lines.len() {
        return None;
    }
    let last = lines.len() - pattern.len();
    let from = if eof { last } else { start };
    let eqs: [fn(&str, &str) -> bool; 3] =
        [|a, b| a == b, |a, b| a.trim_end() == b.trim_end(), |a, b| a.trim() == b.trim()];
    for eq in eqs {
        for i in from.min(last + 1)..=last {
            if pattern.iter().enumerate().all(|(k, p)| eq(&lines[i + k], p)) {
                return Some(i);
            }
        }
    }
    if eof { seek(lines, pattern, start, false) } else { None }
}

/// `original` with `chunks` applied, as Codex writes it (always ending in a newline);
/// `None` when a hunk's lines are not in the text. With `reverse`, undoes the chunks
/// (the text before, from the text after).
pub fn apply(original: &str, chunks: &[Chunk], reverse: bool) -> Option<String> {
    let mut lines: Vec<String> = original.split('\n').map(str::to_string).collect();
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let mut at = 0;
    let mut replacements: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for chunk in chunks {
        let (old, new) =
            if reverse { (&chunk.new_lines, &chunk.old_lines) } else { (&chunk.old_lines, &chunk.new_lines) };
        if let Some(context) = &chunk.context {
            let found = seek(&lines, std::slice::from_ref(context), at, false);
            // Undoing: the context line may itself have been changed by the hunk.
            match found {
                Some(i) => at = i + 1,
                None if reverse => {}
                None => return None,
            }
        }
        if old.is_empty() {
            // Pure addition: at the end of the file.
            replacements.push((lines.len(), 0, new.clone()));
            continue;
        }
        let mut pattern: &[String] = old;
        let mut replacement: &[String] = new;
        let mut found = seek(&lines, pattern, at, chunk.end_of_file);
        // A trailing empty line in the hunk stands for the file's final newline.
        if found.is_none() && pattern.last().is_some_and(String::is_empty) {
            pattern = &pattern[..pattern.len() - 1];
            if replacement.last().is_some_and(String::is_empty) {
                replacement = &replacement[..replacement.len() - 1];
            }
            found = seek(&lines, pattern, at, chunk.end_of_file);
        }
        let i = found?;
        replacements.push((i, pattern.len(), replacement.to_vec()));
        at = i + pattern.len();
    }
    replacements.sort_by_key(|r| r.0);
    for (start, len, new) in replacements.into_iter().rev() {
        lines.splice(start..start + len, new);
    }
    let mut text = lines.join("\n");
    text.push('\n');
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPDATE: &str = "*** Begin Patch\n*** Update File: hello.py\n@@\n print('hello')\n-print('world')\n+print('edited world')\n print('three')\n*** End Patch";

    #[test]
    fn adds_updates_moves_and_deletes_are_read() {
        let patch = "*** Begin Patch\n*** Add File: a.py\n+one\n+two\n*** Delete File: b.py\n*** Update File: c.py\n*** Move to: d.py\n@@ def f():\n-x\n+y\n*** End of File\n*** End Patch\n";
        let ops = parse(patch).unwrap();
        assert_eq!(ops[0], FileOp::Add { path: "a.py".into(), content: "one\ntwo\n".into() });
        assert_eq!(ops[1], FileOp::Delete { path: "b.py".into() });
        let FileOp::Update { path, move_to, chunks } = &ops[2] else { panic!("{ops:?}") };
        assert_eq!((path.as_str(), move_to.as_deref()), ("c.py", Some("d.py")));
        assert_eq!(chunks[0].context.as_deref(), Some("def f():"));
        assert!(chunks[0].end_of_file);
        assert!(parse("no patch").is_err());
        assert!(parse("*** Begin Patch\n*** Frobnicate: x\n*** End Patch").is_err());
    }

    #[test]
    fn hunks_apply_and_unapply() {
        let ops = parse(UPDATE).unwrap();
        let FileOp::Update { chunks, .. } = &ops[0] else { panic!() };
        let before = "print('hello')\nprint('world')\nprint('three')\n";
        let after = apply(before, chunks, false).unwrap();
        assert_eq!(after, "print('hello')\nprint('edited world')\nprint('three')\n");
        assert_eq!(apply(&after, chunks, true).unwrap(), before);
        assert_eq!(apply("nothing here\n", chunks, false), None);
    }

    #[test]
    fn context_lines_and_white_space_are_sought_as_codex_does() {
        let patch = "*** Begin Patch\n*** Update File: f.py\n@@ def b():\n-    return 1\n+    return 2\n*** End Patch";
        let ops = parse(patch).unwrap();
        let FileOp::Update { chunks, .. } = &ops[0] else { panic!() };
        let text = "def a():\n    return 1\ndef b():\n    return 1   \n";
        assert_eq!(apply(text, chunks, false).unwrap(), "def a():\n    return 1\ndef b():\n    return 2\n");
        let append = parse("*** Begin Patch\n*** Update File: f\n@@\n+tail\n*** End Patch").unwrap();
        let FileOp::Update { chunks, .. } = &append[0] else { panic!() };
        assert_eq!(apply("a\n", chunks, false).unwrap(), "a\ntail\n");
    }
}
