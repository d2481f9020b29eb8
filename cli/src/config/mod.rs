//! Configuration: layers merged per key over built-in defaults, every layer
//! checked against the JSON schema generated from `config/pkl/SceConfig.pkl`.
//!
//! Precedence, highest first: `--config KEY=VALUE` flags, `SCE_*` environment
//! variables, the repository's `.sce/config.{json,pkl}`, the global
//! `$XDG_CONFIG_HOME/sce/config.{json,pkl}`, defaults.

mod layers;
mod pkl;
mod schema;
mod starter;
mod types;

pub use layers::{Layer, Resolved, Scope, env_var_name, global_dir, set_flag_overrides};
pub use pkl::{PklError, pkl_binary};
pub use schema::{SCHEMA, validate_value};
pub use starter::{starter_json, starter_pkl};
pub use types::*;

use std::path::PathBuf;

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
    /// A Pkl file could not be evaluated.
    #[error("config file {path}: {source}")]
    Pkl {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: PklError,
    },
    /// Keys are unknown, of the wrong type, or out of range: every problem, with its key path.
    #[error("{origin}: {}", problems.join("; "))]
    Invalid {
        /// Where the values came from (a file, an environment variable, a flag).
        origin: String,
        /// One entry per problem: `key.path: what is wrong`.
        problems: Vec<String>,
    },
    /// A `--config` flag is not `KEY=VALUE`.
    #[error("--config {0:?}: expected KEY=VALUE, e.g. --config logging.level=debug")]
    BadFlag(String),
}

impl Config {
    /// Resolves the configuration for a repository (or none); fails on any problem.
    pub fn load(scope: Option<Scope<'_>>) -> Result<Config, ConfigError> {
        Ok(Resolved::resolve(scope, false)?.config)
    }

    /// What hooks use: never fails. A broken layer is reported on stderr and left
    /// out; a Pkl file that cannot be evaluated falls back to its last good cache.
    pub fn load_for_hook(scope: Scope<'_>) -> Config {
        match Resolved::resolve(Some(scope), true) {
            Ok(resolved) => resolved.config,
            Err(e) => {
                eprintln!("sce: {e}; using default settings");
                Config::default()
            }
        }
    }
}

/// Every problem of one (partial) configuration value: schema violations and the
/// rules the schema cannot express, each as `key.path: message`.
pub fn problems_of(value: &serde_json::Value) -> Vec<String> {
    let mut problems = validate_value(value);
    if problems.is_empty() {
        let mut merged = serde_json::to_value(Config::default()).unwrap_or_default();
        layers::merge_plain(&mut merged, value);
        match serde_json::from_value::<Config>(merged) {
            Ok(config) => problems.extend(config.cross_field_problems()),
            Err(e) => problems.push(e.to_string()),
        }
    }
    problems
}

/// Evaluates a Pkl config file with the toolchain, without any cache.
pub fn evaluate_pkl_file(path: &std::path::Path) -> Result<serde_json::Value, ConfigError> {
    pkl::evaluate(path, None, false).map_err(|source| ConfigError::Pkl { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The schema's default for a dotted key, following `$ref`s and object defaults.
    fn schema_default(root: &Value, key: &str) -> Option<Value> {
        let mut node = root;
        let mut inherited: Option<Value> = None;
        for part in key.split('.') {
            let props = node.get("properties")?;
            node = props.get(part)?;
            inherited = inherited.and_then(|d| d.get(part).cloned());
            if let Some(d) = node.get("default") {
                inherited = Some(d.clone());
            }
            if let Some(pointer) = node.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
                node = root.pointer(pointer)?;
            }
        }
        inherited
    }

    #[test]
    fn rust_defaults_match_the_pkl_schema_defaults() {
        let root: Value = serde_json::from_str(SCHEMA).unwrap();
        let defaults = serde_json::to_value(Config::default()).unwrap();
        let mut keys = Vec::new();
        layers::leaves(&defaults, "", &mut keys);
        let mut checked = 0;
        for key in keys {
            let value = key.split('.').fold(&defaults, |v, part| &v[part]).clone();
            let expected = schema_default(&root, &key).unwrap_or_else(|| panic!("no schema default for {key}"));
            assert_eq!(value, expected, "{key}");
            checked += 1;
        }
        assert!(checked >= 14, "{defaults}");
        assert!(problems_of(&defaults).is_empty());
    }
}
