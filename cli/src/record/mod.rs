//! Agent Trace records: the types of the open spec (v0.1.0), sce's typed
//! metadata, building one per commit from line classes, reading them back (the
//! class and credit of a line or range, per commit through [`RecordCache`]),
//! content hashes, and schema validation.

mod build;
mod cache;
mod metadata;
mod read;
mod schema;
mod session_commits;

use serde::{Deserialize, Serialize};

pub use crate::class::Class;
pub use build::{AttributedFile, CommitContext, build_record};
pub use cache::RecordCache;
pub use metadata::{GitContext, LineCounts, Metadata, SceMetadata, SessionSummary};
pub use read::{Credit, RangeEntry};
pub use schema::{RecordInvalid, validate};
pub use session_commits::{SessionCommit, session_commits};

/// The spec version sce writes.
pub const SPEC_VERSION: &str = "0.1.0";

/// The metadata key under which sce puts its own data.
pub const METADATA_KEY: &str = "sce";

/// One Agent Trace record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceRecord {
    /// Spec version.
    pub version: String,
    /// UUIDv7.
    pub id: String,
    /// RFC 3339 UTC.
    pub timestamp: String,
    /// The commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vcs: Option<Vcs>,
    /// The agent tool, when exactly one contributed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<Tool>,
    /// Files with attributed ranges.
    pub files: Vec<TraceFile>,
    /// sce's own data under [`METADATA_KEY`], and other vendors' as they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// `vcs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vcs {
    /// Always `git` here.
    #[serde(rename = "type")]
    pub kind: String,
    /// Full commit sha.
    pub revision: String,
}

/// `tool`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// Tool name.
    pub name: String,
    /// Tool version.
    pub version: String,
}

/// `files[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceFile {
    /// Repo-relative path.
    pub path: String,
    /// One per session, plus one for lines without agent evidence.
    pub conversations: Vec<Conversation>,
}

/// `files[].conversations[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Where the session can be looked up; contains the session id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Who wrote these ranges.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contributor: Option<Contributor>,
    /// The ranges, ascending.
    pub ranges: Vec<Range>,
    /// Other links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<Vec<Related>>,
}

/// `contributor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contributor {
    /// Who wrote the lines.
    #[serde(rename = "type")]
    pub kind: ContributorKind,
    /// `provider/model`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
}

/// `contributor.type`: the values the schema allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContributorKind {
    /// A person; the spec allows it, sce never writes it (it cannot know).
    Human,
    /// An agent's lines as written.
    Ai,
    /// An agent's lines a person edited.
    Mixed,
    /// No agent evidence.
    Unknown,
}

impl ContributorKind {
    /// The contributor kind that states `class` in a record.
    pub fn of<A>(class: &Class<A>) -> ContributorKind {
        match class {
            Class::Ai(_) => ContributorKind::Ai,
            Class::Mixed(_) => ContributorKind::Mixed,
            Class::Unknown => ContributorKind::Unknown,
        }
    }

    /// The line class a contributor kind means; `human` reads as unknown (no agent credit).
    pub fn class(self) -> Class<()> {
        match self {
            ContributorKind::Ai => Class::Ai(()),
            ContributorKind::Mixed => Class::Mixed(()),
            ContributorKind::Human | ContributorKind::Unknown => Class::Unknown,
        }
    }
}

/// `ranges[]`: 1-based, inclusive, in committed-file coordinates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// First line.
    pub start_line: u64,
    /// Last line.
    pub end_line: u64,
    /// `murmur3:<8 hex>` of the range's lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// Overrides the conversation's contributor (mixed ranges).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contributor: Option<Contributor>,
}

/// `related[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Related {
    /// Kind of resource.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its URL.
    pub url: String,
}

/// `murmur3:<8 hex>` of lines joined by `\n` (no terminator, CR dropped), MurmurHash3 x86 32-bit, seed 0.
pub fn content_hash(lines: &[String]) -> String {
    let joined = lines.join("\n");
    // Reading from a byte slice cannot fail.
    let hash = murmur3::murmur3_32(&mut std::io::Cursor::new(joined.as_bytes()), 0).unwrap_or(0);
    format!("murmur3:{hash:08x}")
}

#[cfg(test)]
mod tests {
    use super::content_hash;

    #[test]
    fn content_hash_is_murmur3_x86_32_of_the_joined_lines() {
        // Reference value of MurmurHash3_x86_32("hello", seed 0).
        assert_eq!(content_hash(&["hello".to_string()]), "murmur3:248bfa47");
        assert_eq!(content_hash(&["a".into(), "b".into()]), content_hash(&["a\nb".into()]));
    }
}
