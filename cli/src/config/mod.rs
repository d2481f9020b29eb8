//! Configuration: layered JSON files merged per key over built-in defaults.
//!
//! Layers, lowest first: defaults, `$XDG_CONFIG_HOME/sce/config.json`,
//! the repository's `.sce/config.json`. Unknown keys are errors that name the key.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    /// Upper bound for one wait, in ms.
    pub max_backoff_ms: u64,
}

/// Retry policies of one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseRetry {
    /// Opening the database (waits out another process's lock).
    pub connection_open: RetryPolicy,
    /// One transaction of queries.
    pub query: RetryPolicy,
}

impl Default for DatabaseRetry {
    fn default() -> Self {
        DatabaseRetry {
            // Sixteen producers each holding the lock a few ms must all get
            // through without spooling; a stuck holder is given up on after 10 s.
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
    /// The agent trace database in the git common dir.
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
}

impl Default for AgentTraceConfig {
    fn default() -> Self {
        AgentTraceConfig {
            notes_ref: "refs/notes/agent-trace".into(),
            conversation_url_template: "urn:sce:session:{session_id}".into(),
        }
    }
}

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Failure handling.
    pub policies: Policies,
    /// Records and notes.
    pub agent_trace: AgentTraceConfig,
}

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file exists but cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not JSON.
    #[error("config file {path} is not valid JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A key is unknown, of the wrong type, or out of range.
    #[error("config file {path}: at `{key}`: {message}")]
    Invalid {
        /// The file the offending value came from.
        path: PathBuf,
        /// Dotted path of the key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Loads defaults, then the global file, then the repository's file.
    pub fn load(repo_root: Option<&Path>) -> Result<Config, ConfigError> {
        let mut layers = Vec::new();
        if let Some(global) = global_config_path() {
            layers.push(global);
        }
        if let Some(root) = repo_root {
            layers.push(root.join(".sce").join("config.json"));
        }
        let mut merged = serde_json::to_value(Config::default())
            .map_err(|source| ConfigError::Json { path: PathBuf::from("<defaults>"), source })?;
        for path in layers {
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(ConfigError::Read { path, source }),
            };
            let layer: Value =
                serde_json::from_str(&text).map_err(|source| ConfigError::Json { path: path.clone(), source })?;
            // Check each file on its own so an error names the file it came from.
            let mut alone = serde_json::to_value(Config::default())
                .map_err(|source| ConfigError::Json { path: path.clone(), source })?;
            merge(&mut alone, &layer);
            Config::from_value(alone, &path)?;
            merge(&mut merged, &layer);
        }
        Config::from_value(merged, Path::new("<merged configuration>"))
    }

    fn from_value(value: Value, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = serde_path_to_error::deserialize(value).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            key: e.path().to_string(),
            message: e.inner().to_string(),
        })?;
        config.check_ranges(path)?;
        Ok(config)
    }

    fn check_ranges(&self, path: &Path) -> Result<(), ConfigError> {
        let retry = &self.policies.database_retry.agent_trace_db;
        for (name, policy) in [("connection_open", &retry.connection_open), ("query", &retry.query)] {
            let key = |field: &str| format!("policies.database_retry.agent_trace_db.{name}.{field}");
            let invalid = |field: &str, message: &str| ConfigError::Invalid {
                path: path.to_path_buf(),
                key: key(field),
                message: message.into(),
            };
            if policy.max_attempts < 1 {
                return Err(invalid("max_attempts", "must be at least 1"));
            }
            if policy.timeout_ms < 1 {
                return Err(invalid("timeout_ms", "must be at least 1"));
            }
            if policy.max_backoff_ms < policy.initial_backoff_ms {
                return Err(invalid("max_backoff_ms", "must be at least initial_backoff_ms"));
            }
        }
        if !self.agent_trace.notes_ref.starts_with("refs/notes/") {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                key: "agent_trace.notes_ref".into(),
                message: "must start with refs/notes/".into(),
            });
        }
        Ok(())
    }
}

fn global_config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("sce").join("config.json"))
}

/// Deep-merges `layer` into `base`: objects per key, anything else replaced.
fn merge(base: &mut Value, layer: &Value) {
    match (base, layer) {
        (Value::Object(base), Value::Object(layer)) => {
            for (key, value) in layer {
                match base.get_mut(key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, layer) => *base = layer.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layer_overrides_one_key_and_keeps_the_rest() {
        let mut base = serde_json::to_value(Config::default()).unwrap();
        merge(
            &mut base,
            &serde_json::json!({"policies":{"database_retry":{"agent_trace_db":{"query":{"max_attempts":9}}}}}),
        );
        let err = Config::from_value(base, Path::new("x"));
        // max_attempts alone is a partial policy: the other fields come from defaults.
        let config = err.unwrap();
        assert_eq!(config.policies.database_retry.agent_trace_db.query.max_attempts, 9);
        assert_eq!(config.policies.database_retry.agent_trace_db.query.timeout_ms, 5_000);
    }

    #[test]
    fn unknown_keys_are_named() {
        let mut base = serde_json::to_value(Config::default()).unwrap();
        merge(
            &mut base,
            &serde_json::json!({"policies":{"database_retry":{"agent_trace_db":{"query":{"max_atempts":9}}}}}),
        );
        let err = Config::from_value(base, Path::new("x")).unwrap_err().to_string();
        assert!(err.contains("policies.database_retry.agent_trace_db.query"), "{err}");
        assert!(err.contains("max_atempts"), "{err}");
    }
}
