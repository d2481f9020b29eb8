//! sce's own object in a record's `metadata` (under [`METADATA_KEY`]): typed, so
//! that the builder writes it and every reader parses it from one definition.

use serde::{Deserialize, Deserializer, Serialize};

#[cfg(doc)]
use super::METADATA_KEY;

/// A record's `metadata`: sce's object, and whatever other vendors put there kept as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// sce's data under [`METADATA_KEY`]; `None` when absent or not in a shape sce
    /// reads (the record's ranges stay readable either way).
    #[serde(rename = "sce", default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub sce: Option<SceMetadata>,
    /// Other keys, in their order.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// sce's metadata object. The field order is the order in records: keep it.
/// Fields default when absent, so records of older sce versions read back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceMetadata {
    /// The sce version that wrote the record.
    #[serde(default)]
    pub sce_version: String,
    /// True when at least one agent session is credited with a line.
    #[serde(default)]
    pub agent_activity: bool,
    /// Per-class line counts of the commit.
    #[serde(default)]
    pub lines: LineCounts,
    /// The sessions credited with lines, in first-seen order.
    #[serde(default)]
    pub sessions: Vec<SessionSummary>,
    /// Where the commit was made.
    #[serde(default)]
    pub git: GitContext,
    /// Binary files the commit touches, not attributed.
    #[serde(default)]
    pub binary_files_skipped: usize,
    /// Files over the size limit, not attributed.
    #[serde(default)]
    pub large_files_skipped: usize,
    /// Agent hunks sce could not place (left out, never guessed).
    #[serde(default)]
    pub unplaced_agent_hunks: usize,
    /// The commits classes were carried from (rewrites), oldest first.
    #[serde(default)]
    pub carried_from: Vec<String>,
}

/// Per-class counts of a record's lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LineCounts {
    /// Lines an agent wrote as committed.
    pub ai: usize,
    /// Agent lines a person edited.
    pub mixed: usize,
    /// Added lines without agent evidence.
    pub unknown: usize,
    /// Lines the commit removes.
    pub removed: usize,
}

impl LineCounts {
    /// Lines the commit adds: ai + mixed + unknown.
    pub fn added(&self) -> usize {
        self.ai + self.mixed + self.unknown
    }
}

/// A session in the record's metadata: what a conversation URL names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// Session id (appears verbatim in its conversations' URLs).
    pub id: String,
    /// Agent tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Agent tool version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    /// `provider/model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Lines of this commit it is credited with (ai + mixed).
    #[serde(default)]
    pub lines: usize,
}

/// `git` in sce's metadata: the branch and remote at commit time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitContext {
    /// Branch at commit time (`null` when detached).
    #[serde(default)]
    pub branch: Option<String>,
    /// Remote URL, credentials stripped.
    #[serde(default)]
    pub remote_url: Option<String>,
}

/// sce's object when it parses; `None` otherwise (an unreadable metadata object
/// must not make the record's ranges unreadable).
fn lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<SceMetadata>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(match serde_json::from_value(value) {
        Ok(meta) => Some(meta),
        Err(error) => {
            tracing::debug!(%error, "a record's sce metadata is not readable; reading its ranges only");
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_serde_name_is_the_metadata_key() {
        let json = serde_json::to_value(Metadata { sce: Some(SceMetadata::default()), ..Metadata::default() }).unwrap();
        assert!(json.get(crate::record::METADATA_KEY).is_some(), "{json}");
    }

    #[test]
    fn old_or_odd_metadata_reads_back() {
        let meta: Metadata =
            serde_json::from_str(r#"{"sce":{"lines":{"ai":3},"sessions":[{"id":"s"}]},"other":{"k":1}}"#).unwrap();
        let sce = meta.sce.unwrap();
        assert_eq!(sce.lines, LineCounts { ai: 3, ..LineCounts::default() });
        assert_eq!(sce.sessions[0].id, "s");
        assert!(sce.carried_from.is_empty());
        assert_eq!(meta.other["other"]["k"], 1);
        let odd: Metadata = serde_json::from_str(r#"{"sce":{"lines":"many"}}"#).unwrap();
        assert_eq!(odd.sce, None);
    }
}
