//! Splitting text into comparable lines.

/// Splits text into lines without their terminators; a trailing `\r` is
/// dropped too, so CRLF and LF files compare alike. A final line without a
/// newline counts as a line; an empty text has no lines.
pub fn split_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> =
        text.split('\n').map(|line| line.strip_suffix('\r').unwrap_or(line).to_string()).collect();
    if text.is_empty() || text.ends_with('\n') {
        lines.pop();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::split_lines;

    #[test]
    fn crlf_lf_and_missing_final_newline_split_alike() {
        assert_eq!(split_lines("a\r\nb\r\n"), ["a", "b"]);
        assert_eq!(split_lines("a\nb"), ["a", "b"]);
        assert_eq!(split_lines("a\n\n"), ["a", ""]);
        assert!(split_lines("").is_empty());
    }
}
