//! Which commit introduced each line of a file (gix blame).

use gix::bstr::{BStr, ByteSlice};

use super::{GitError, Repo};

/// One line of a blamed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlamedLine {
    /// 1-based line in the file at the blamed revision.
    pub line: usize,
    /// The line's text, without its terminator.
    pub text: String,
    /// The commit that introduced the line.
    pub commit: gix::ObjectId,
    /// 1-based line in that commit's version of the file.
    pub source_line: usize,
    /// The file's path in that commit (differs after renames).
    pub source_path: String,
}

impl Repo {
    /// Blames `path` at `commit`, following renames.
    pub fn blame(&self, path: &str, commit: gix::ObjectId) -> Result<Vec<BlamedLine>, GitError> {
        let options = gix::repository::blame_file::Options {
            rewrites: Some(gix::diff::Rewrites::default()),
            ..Default::default()
        };
        let outcome = self
            .repo
            .blame_file(BStr::new(path.as_bytes()), commit, options)
            .map_err(|e| GitError::Blame { path: path.to_string(), source: Box::new(e) })?;
        let mut lines = Vec::new();
        for (entry, texts) in outcome.entries_with_lines() {
            let source_path =
                entry.source_file_name.as_ref().map_or_else(|| path.to_string(), |p| p.to_str_lossy().into_owned());
            for (offset, text) in texts.iter().enumerate() {
                let text = text.to_str_lossy();
                let text = text.strip_suffix('\n').unwrap_or(&text);
                lines.push(BlamedLine {
                    line: entry.start_in_blamed_file as usize + offset + 1,
                    text: text.strip_suffix('\r').unwrap_or(text).to_string(),
                    commit: entry.commit_id,
                    source_line: entry.start_in_source_file as usize + offset + 1,
                    source_path: source_path.clone(),
                });
            }
        }
        lines.sort_by_key(|l| l.line);
        Ok(lines)
    }
}
