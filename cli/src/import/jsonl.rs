//! Reading a transcript (JSON lines) leniently: a line that is not a record of the
//! expected shape is skipped and counted, so one bad line costs one record, not
//! the session.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// Why a transcript could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    /// The file cannot be opened or read.
    #[error("cannot read {path}: {source}; check that it exists and is readable")]
    Read {
        /// The transcript.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file that must be one JSON document is not.
    #[error("{path} is not a JSON chat file ({source}); is it {agent}'s?")]
    NotJson {
        /// The file.
        path: PathBuf,
        /// The agent asked for.
        agent: &'static str,
        /// Where the JSON is wrong.
        source: serde_json::Error,
    },
    /// OpenCode's database could not be read.
    #[error(transparent)]
    OpenCode(#[from] super::opencode::OpenCodeImportError),
    /// Nothing in the file is a session of the agent asked for.
    #[error("{path} holds no {agent} session (no line has the session's id); is it that agent's transcript?")]
    NoSession {
        /// The transcript.
        path: PathBuf,
        /// The agent asked for.
        agent: &'static str,
    },
}

/// A line that was skipped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedLine {
    /// The transcript.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// Why it was skipped.
    pub reason: String,
}

impl std::fmt::Display for SkippedLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: skipped a line that is not a transcript record ({})",
            self.path.display(),
            self.line,
            self.reason
        )
    }
}

/// The records of a JSON-lines file and the lines that could not be read.
#[derive(Debug)]
pub struct Records<T> {
    /// Each record with its 1-based line number.
    pub records: Vec<(usize, T)>,
    /// The lines that could not be read as a record.
    pub skipped: Vec<SkippedLine>,
}

/// The records of a JSON-lines file, each with its 1-based line number, and the lines
/// that could not be read as `T`. Blank lines are ignored.
pub fn read_records<T: DeserializeOwned>(path: &Path) -> Result<Records<T>, TranscriptError> {
    let io = |source| TranscriptError::Read { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut records = Vec::new();
    let mut skipped = Vec::new();
    for (index, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(io)?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<T>(&line) {
            Ok(record) => records.push((index + 1, record)),
            Err(e) => skipped.push(SkippedLine { path: path.to_path_buf(), line: index + 1, reason: e.to_string() }),
        }
    }
    Ok(Records { records, skipped })
}

/// Milliseconds since the epoch of an RFC 3339 timestamp (`2026-11-30T01:56:02.606Z`).
pub fn time_ms(timestamp: &str) -> Option<i64> {
    let at = time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_read_to_the_millisecond() {
        assert_eq!(time_ms("1970-01-01T00:00:01.250Z"), Some(1250));
        assert_eq!(time_ms("not a time"), None);
    }

    #[test]
    fn a_bad_line_is_skipped_with_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(&path, "{\"a\":1}\n\n{oops\n{\"a\":2}\n").unwrap();
        let Records { records, skipped } = read_records::<serde_json::Value>(&path).unwrap();
        assert_eq!(records.iter().map(|(n, _)| *n).collect::<Vec<_>>(), vec![1, 4]);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].line, 3);
    }
}
