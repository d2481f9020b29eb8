//! The typed configuration. Defaults here and in `config/pkl/SceConfig.pkl` agree
//! (a test checks it against the generated schema's defaults).

use serde::{Deserialize, Serialize};

/// How one kind of database operation is retried when it fails transiently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (≥ 1).
    pub max_attempts: u32,
    /// Total time budget across attempts, in ms (≥ 1).
    pub timeout_ms: u64,
    /// Wait before the second attempt, in ms; doubles after each failure.
    pub initial_backoff_ms: u64,
    /// Upper bound for one wait, in ms (≥ initial_backoff_ms).
    pub max_backoff_ms: u64,
}

/// Retry policies of one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseRetry {
    /// Opening the database (waits out other processes).
    pub connection_open: RetryPolicy,
    /// One transaction of queries.
    pub query: RetryPolicy,
}

impl Default for DatabaseRetry {
    fn default() -> Self {
        DatabaseRetry {
            connection_open: RetryPolicy {
                max_attempts: 400,
                timeout_ms: 10_000,
                initial_backoff_ms: 1,
                max_backoff_ms: 40,
            },
            query: RetryPolicy { max_attempts: 5, timeout_ms: 5_000, initial_backoff_ms: 5, max_backoff_ms: 200 },
        }
    }
}

/// `policies.database_retry`: one entry per database sce keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseRetryPolicies {
    /// The agent trace database.
    pub agent_trace_db: DatabaseRetry,
}

/// `policies`: how sce behaves under failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policies {
    /// Retry policies per database.
    pub database_retry: DatabaseRetryPolicies,
}

/// `agent_trace`: where records go and how they link back to conversations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentTraceConfig {
    /// The git notes ref that carries one record per commit.
    pub notes_ref: String,
    /// URL of a conversation; `{session_id}` is replaced by the session id.
    pub conversation_url_template: String,
    /// The DB file; `None` is `<git common dir>/sce/agent-trace.db`, relative paths are relative to the common dir.
    pub db_path: Option<String>,
}

impl Default for AgentTraceConfig {
    fn default() -> Self {
        AgentTraceConfig {
            notes_ref: "refs/notes/agent-trace".into(),
            conversation_url_template: "urn:sce:session:{session_id}".into(),
            db_path: None,
        }
    }
}

/// `hooks.enabled`: each entry point can be switched off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HooksEnabled {
    /// git post-commit: attribute and record each commit.
    pub post_commit: bool,
    /// git post-rewrite: carry attribution across amend and rebase.
    pub post_rewrite: bool,
    /// Agent plugins' intake.
    pub conversation_trace: bool,
}

impl Default for HooksEnabled {
    fn default() -> Self {
        HooksEnabled { post_commit: true, post_rewrite: true, conversation_trace: true }
    }
}

/// `hooks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HooksConfig {
    /// Which hooks run.
    pub enabled: HooksEnabled,
}

/// How much sce logs on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Errors only.
    Error,
    /// Warnings and errors (default: quiet).
    #[default]
    Warn,
    /// What sce does.
    Info,
    /// Details for debugging.
    Debug,
    /// Everything.
    Trace,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// `logging`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// The level.
    pub level: LogLevel,
    /// The format.
    pub format: LogFormat,
}

/// `capture`: what intake does to events before storing them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptureConfig {
    /// Replace known secret shapes in text parts before storing them.
    pub redact_secrets: bool,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig { redact_secrets: true }
    }
}

/// `attribution`: limits at commit time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttributionConfig {
    /// Files larger than this (either side of the diff) are counted, not attributed.
    pub max_file_bytes: u64,
}

impl Default for AttributionConfig {
    fn default() -> Self {
        AttributionConfig { max_file_bytes: 10 * 1024 * 1024 }
    }
}

/// `retention`: what the DB keeps, and its upkeep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Days a folded edit keeps its texts (0: drop at the next gc).
    pub edit_texts_days: u32,
    /// Days conversations are kept (0: forever).
    pub conversations_days: u32,
    /// Whether post-commit runs a bounded gc pass.
    pub auto_gc: bool,
    /// Most items one automatic pass removes.
    pub auto_gc_items: u32,
    /// WAL bytes past which a closing process truncates the WAL.
    pub wal_max_bytes: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            edit_texts_days: 7,
            conversations_days: 0,
            auto_gc: true,
            auto_gc_items: 200,
            wal_max_bytes: 1024 * 1024,
        }
    }
}

/// `export.scrub`: what `sce export` replaces in every string it writes, beyond the
/// secret shapes intake already redacts (those are always replaced).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExportScrubConfig {
    /// Replace e-mail addresses with `<email>`.
    pub emails: bool,
    /// Replace the user name in home-directory paths with `<user>`.
    pub home_paths: bool,
    /// Replace IPv4 and IPv6 addresses with `<ip>`.
    pub ip_addresses: bool,
    /// Replace high-entropy values next to key-like names (`api_key=`, `"token":`, `Bearer`).
    pub keyed_tokens: bool,
    /// Shannon entropy (bits per character) from which a keyed value counts as a token.
    pub entropy_threshold: f64,
}

impl Default for ExportScrubConfig {
    fn default() -> Self {
        ExportScrubConfig {
            emails: true,
            home_paths: true,
            ip_addresses: true,
            keyed_tokens: true,
            entropy_threshold: 3.5,
        }
    }
}

/// `export`: how `sce export` prepares sessions for a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExportConfig {
    /// Scrubbing of personal data and tokens.
    pub scrub: ExportScrubConfig,
}

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Editors' schema hint; ignored.
    #[serde(rename = "$schema", skip_serializing)]
    pub schema: Option<String>,
    /// Failure handling.
    pub policies: Policies,
    /// Records and notes.
    pub agent_trace: AgentTraceConfig,
    /// Hooks.
    pub hooks: HooksConfig,
    /// Logging.
    pub logging: LoggingConfig,
    /// Intake.
    pub capture: CaptureConfig,
    /// Attribution limits.
    pub attribution: AttributionConfig,
    /// Retention and upkeep of the DB.
    pub retention: RetentionConfig,
    /// Dataset export.
    pub export: ExportConfig,
}

impl Config {
    /// Rules the JSON schema cannot express, as `key.path: message`.
    pub fn cross_field_problems(&self) -> Vec<String> {
        let retry = &self.policies.database_retry.agent_trace_db;
        [("connection_open", &retry.connection_open), ("query", &retry.query)]
            .into_iter()
            .filter(|(_, p)| p.max_backoff_ms < p.initial_backoff_ms)
            .map(|(name, p)| {
                format!(
                    "policies.database_retry.agent_trace_db.{name}.max_backoff_ms: {} is less than initial_backoff_ms ({})",
                    p.max_backoff_ms, p.initial_backoff_ms
                )
            })
            .collect()
    }
}
