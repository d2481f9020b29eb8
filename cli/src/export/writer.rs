//! Where a dataset goes: stdout, or a file written beside its destination and renamed
//! into place only once complete (a failed export leaves no half file), or nowhere
//! (`--check`). The writer also guarantees that no session is written twice.

use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::ExportError;
use super::dataset::SessionRecord;

/// Where the records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Standard output.
    Stdout,
    /// A file, replaced atomically when the export completes.
    File(PathBuf),
    /// Nowhere: `--check` only reports what it would scrub.
    Discard,
}

enum Sink {
    Stdout(BufWriter<std::io::StdoutLock<'static>>),
    File { out: BufWriter<tempfile::NamedTempFile>, path: PathBuf },
    Discard,
}

/// Writes records as JSON Lines, each session at most once.
pub struct DatasetWriter {
    sink: Sink,
    written: HashSet<(Option<String>, String)>,
}

impl DatasetWriter {
    /// A writer to `destination`; a file is first written to a temporary file in its directory.
    pub fn create(destination: &Destination) -> Result<DatasetWriter, ExportError> {
        let sink = match destination {
            Destination::Stdout => Sink::Stdout(BufWriter::new(std::io::stdout().lock())),
            Destination::Discard => Sink::Discard,
            Destination::File(path) => {
                let dir = match path.parent() {
                    Some(dir) if !dir.as_os_str().is_empty() => dir,
                    _ => Path::new("."),
                };
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let temp = tempfile::Builder::new()
                    .prefix(&format!(".{name}."))
                    .suffix(".partial")
                    .tempfile_in(dir)
                    .map_err(|source| ExportError::Write { path: path.display().to_string(), source })?;
                Sink::File { out: BufWriter::new(temp), path: path.clone() }
            }
        };
        Ok(DatasetWriter { sink, written: HashSet::new() })
    }

    /// Writes one record as one line; `false` (and nothing written) when a record of
    /// the same tool and session was already written.
    pub fn write(&mut self, record: &SessionRecord) -> Result<bool, ExportError> {
        if !self.written.insert((record.tool.clone(), record.session_id.clone())) {
            return Ok(false);
        }
        let (out, path): (&mut dyn Write, String) = match &mut self.sink {
            Sink::Stdout(out) => (out, "stdout".into()),
            Sink::File { out, path } => (out, path.display().to_string()),
            Sink::Discard => return Ok(true),
        };
        serde_json::to_writer(&mut *out, record)
            .map_err(|source| ExportError::Encode { session: record.session_id.clone(), source })?;
        out.write_all(b"\n").map_err(|source| ExportError::Write { path, source })?;
        Ok(true)
    }

    /// Flushes; a file is synced and renamed over its destination.
    pub fn finish(self) -> Result<(), ExportError> {
        match self.sink {
            Sink::Discard => Ok(()),
            Sink::Stdout(mut out) => out.flush().map_err(|source| ExportError::Write { path: "stdout".into(), source }),
            Sink::File { out, path } => {
                let failed = |source| ExportError::Write { path: path.display().to_string(), source };
                let temp = out.into_inner().map_err(|e| failed(e.into_error()))?;
                temp.as_file().sync_all().map_err(failed)?;
                temp.persist(&path).map_err(|e| failed(e.error))?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::dataset::{SessionInput, build_record};
    use crate::export::scrub::{ScrubFindings, Scrubber};
    use crate::store::{Conversation, SessionSpan};

    fn record(session: &str) -> SessionRecord {
        let span = SessionSpan { session_id: session.into(), first_ms: 0, last_ms: 0 };
        let conversation = Conversation::default();
        let input = SessionInput { span: &span, conversation: &conversation, row: None, commits: &[] };
        build_record(&input, &Scrubber::new(Default::default()), false, &mut ScrubFindings::new())
    }

    #[test]
    fn a_session_is_written_once_and_the_file_appears_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mut writer = DatasetWriter::create(&Destination::File(path.clone())).unwrap();
        assert!(writer.write(&record("s1")).unwrap());
        assert!(!writer.write(&record("s1")).unwrap());
        assert!(writer.write(&record("s2")).unwrap());
        assert!(!path.exists(), "nothing at the destination before finish");
        writer.finish().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");

        let abandoned = dir.path().join("abandoned.jsonl");
        let mut writer = DatasetWriter::create(&Destination::File(abandoned.clone())).unwrap();
        writer.write(&record("s1")).unwrap();
        drop(writer);
        assert!(!abandoned.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "a failed export leaves no half file");
    }
}
