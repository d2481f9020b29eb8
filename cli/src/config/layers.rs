//! Resolving the layers into one configuration, remembering where each value came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::{Config, ConfigError, pkl, schema::validate_value};

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layer {
    /// Built in.
    Default,
    /// A global file.
    Global(PathBuf),
    /// The repository's file.
    Repo(PathBuf),
    /// An `SCE_*` environment variable.
    Env(String),
    /// A `--config KEY=VALUE` flag.
    Flag,
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Layer::Default => write!(f, "default"),
            Layer::Global(path) => write!(f, "global {}", path.display()),
            Layer::Repo(path) => write!(f, "repo {}", path.display()),
            Layer::Env(name) => write!(f, "env {name}"),
            Layer::Flag => write!(f, "flag --config"),
        }
    }
}

/// Which configuration files and caches apply: a repository's, or none.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The working tree root (holds `.sce/config.{json,pkl}`).
    pub repo_root: &'a Path,
    /// The git common dir (holds the Pkl evaluation cache).
    pub common_dir: &'a Path,
}

/// The resolved configuration, the merged JSON, and the layer of every key.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Typed.
    pub config: Config,
    /// Merged JSON (every key).
    pub value: Value,
    /// Dotted key path → the layer that set it.
    pub origins: BTreeMap<String, Layer>,
}

static FLAG_OVERRIDES: OnceLock<Vec<(String, String)>> = OnceLock::new();

/// Records the process's `--config KEY=VALUE` flags (the top layer). Called once by `main`.
pub fn set_flag_overrides(flags: &[String]) -> Result<(), ConfigError> {
    let mut parsed = Vec::new();
    for flag in flags {
        let (key, value) = flag.split_once('=').ok_or_else(|| ConfigError::BadFlag(flag.clone()))?;
        parsed.push((key.trim().to_string(), value.to_string()));
    }
    let _ = FLAG_OVERRIDES.set(parsed);
    Ok(())
}

/// The environment variable for a dotted key: `agent_trace.notes_ref` → `SCE_AGENT_TRACE_NOTES_REF`.
pub fn env_var_name(key: &str) -> String {
    format!("SCE_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// A flag or environment value: JSON when it is a number, boolean or null, else a string.
fn scalar(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => v,
        _ => Value::String(text.to_string()),
    }
}

/// Dotted paths of every leaf of `value`.
pub(super) fn leaves(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                leaves(child, &path, out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

/// `{"a": {"b": value}}` for `a.b`.
fn nested(key: &str, value: Value) -> Value {
    key.rsplit('.').fold(value, |inner, part| {
        let mut map = Map::new();
        map.insert(part.to_string(), inner);
        Value::Object(map)
    })
}

/// Merges `layer` into `base` per key, recording `origin` for every leaf it sets.
fn merge(base: &mut Value, layer: &Value, prefix: &str, origin: &Layer, origins: &mut BTreeMap<String, Layer>) {
    match (base, layer) {
        (Value::Object(base), Value::Object(layer)) => {
            for (key, value) in layer {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                match base.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value, &path, origin, origins)
                    }
                    _ => {
                        base.insert(key.clone(), value.clone());
                        let mut set = Vec::new();
                        leaves(value, &path, &mut set);
                        for leaf in set {
                            origins.insert(leaf, origin.clone());
                        }
                    }
                }
            }
        }
        (base, layer) => *base = layer.clone(),
    }
}

/// `$XDG_CONFIG_HOME/sce` (or `~/.config/sce`): where the global config file lives.
pub fn global_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("sce"))
}

/// Merges `layer` into `base` per key without tracking origins.
pub(super) fn merge_plain(base: &mut Value, layer: &Value) {
    merge(base, layer, "", &Layer::Flag, &mut BTreeMap::new());
}

fn global_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("sce").join("config-cache"))
}

/// Reads one file layer: JSON as is, Pkl evaluated (through the cache).
fn read_file(path: &Path, cache_dir: Option<&Path>, lenient: bool) -> Result<Value, ConfigError> {
    if path.extension().is_some_and(|e| e == "pkl") {
        return pkl::evaluate(path, cache_dir, lenient)
            .map_err(|source| ConfigError::Pkl { path: path.into(), source });
    }
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
    serde_json::from_str(&text).map_err(|source| ConfigError::Json { path: path.into(), source })
}

impl Resolved {
    /// Resolves every layer. With `lenient` (hooks), a broken layer is reported on
    /// stderr and skipped instead of failing.
    pub fn resolve(scope: Option<Scope<'_>>, lenient: bool) -> Result<Resolved, ConfigError> {
        let defaults = serde_json::to_value(Config::default())
            .map_err(|source| ConfigError::Json { path: PathBuf::from("<defaults>"), source })?;
        let mut keys = Vec::new();
        leaves(&defaults, "", &mut keys);
        let mut origins: BTreeMap<String, Layer> = keys.iter().map(|k| (k.clone(), Layer::Default)).collect();
        let mut merged = defaults;

        let mut layers: Vec<(Layer, Result<Value, ConfigError>)> = Vec::new();
        // (file, its Pkl cache directory, the layer it makes)
        type FileLayer = (PathBuf, Option<PathBuf>, fn(PathBuf) -> Layer);
        let mut files: Vec<FileLayer> = Vec::new();
        if let Some(dir) = global_dir() {
            for name in ["config.json", "config.pkl"] {
                files.push((dir.join(name), global_cache_dir(), Layer::Global));
            }
        }
        if let Some(scope) = scope {
            let cache = scope.common_dir.join("sce").join("config-cache");
            for name in ["config.json", "config.pkl"] {
                files.push((scope.repo_root.join(".sce").join(name), Some(cache.clone()), Layer::Repo));
            }
        }
        for (path, cache, layer) in files {
            if path.exists() {
                let value = read_file(&path, cache.as_deref(), lenient);
                layers.push((layer(path), value));
            }
        }
        for key in &keys {
            let name = env_var_name(key);
            if let Ok(text) = std::env::var(&name) {
                layers.push((Layer::Env(name), Ok(nested(key, scalar(&text)))));
            }
        }
        for (key, text) in FLAG_OVERRIDES.get().map(Vec::as_slice).unwrap_or_default() {
            let value = if keys.contains(key) {
                Ok(nested(key, scalar(text)))
            } else {
                Err(ConfigError::Invalid {
                    origin: format!("--config {key}={text}"),
                    problems: vec![format!("{key}: unknown key; see `sce config show` for every key")],
                })
            };
            layers.push((Layer::Flag, value));
        }

        for (layer, value) in layers {
            let checked = value.and_then(|value| {
                let problems = validate_value(&value);
                if problems.is_empty() {
                    Ok(value)
                } else {
                    Err(ConfigError::Invalid { origin: layer.to_string(), problems })
                }
            });
            match checked {
                Ok(value) => merge(&mut merged, &value, "", &layer, &mut origins),
                Err(e) if lenient => eprintln!("sce: {e}; ignoring it"),
                Err(e) => return Err(e),
            }
        }
        let config: Config = serde_path_to_error::deserialize(merged.clone()).map_err(|e| ConfigError::Invalid {
            origin: "merged configuration".into(),
            problems: vec![format!("{}: {}", e.path(), e.inner())],
        })?;
        let problems = config.cross_field_problems();
        if !problems.is_empty() {
            let origin = problems
                .iter()
                .filter_map(|p| p.split(':').next())
                .filter_map(|key| origins.get(key))
                .map(ToString::to_string)
                .next()
                .unwrap_or_else(|| "merged configuration".into());
            if lenient {
                eprintln!("sce: {origin}: {}; using default settings", problems.join("; "));
                return Resolved::resolve_defaults();
            }
            return Err(ConfigError::Invalid { origin, problems });
        }
        Ok(Resolved { config, value: merged, origins })
    }

    fn resolve_defaults() -> Result<Resolved, ConfigError> {
        let value = serde_json::to_value(Config::default())
            .map_err(|source| ConfigError::Json { path: PathBuf::from("<defaults>"), source })?;
        let mut keys = Vec::new();
        leaves(&value, "", &mut keys);
        Ok(Resolved {
            config: Config::default(),
            value,
            origins: keys.into_iter().map(|k| (k, Layer::Default)).collect(),
        })
    }

    /// Every key with its value and origin, in key order.
    pub fn entries(&self) -> Vec<(String, Value, Layer)> {
        self.origins
            .iter()
            .map(|(key, layer)| {
                let value = key.split('.').fold(&self.value, |v, part| v.get(part).unwrap_or(&Value::Null)).clone();
                (key.clone(), value, layer.clone())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_and_scalars() {
        assert_eq!(env_var_name("agent_trace.notes_ref"), "SCE_AGENT_TRACE_NOTES_REF");
        assert_eq!(scalar("12"), Value::from(12));
        assert_eq!(scalar("true"), Value::from(true));
        assert_eq!(scalar("refs/notes/x"), Value::from("refs/notes/x"));
        assert_eq!(scalar("null"), Value::Null);
    }

    #[test]
    fn merge_records_the_layer_of_each_leaf() {
        let mut base = serde_json::json!({"a": {"b": 1, "c": 2}});
        let mut origins = BTreeMap::new();
        merge(&mut base, &serde_json::json!({"a": {"c": 3}}), "", &Layer::Flag, &mut origins);
        assert_eq!(base, serde_json::json!({"a": {"b": 1, "c": 3}}));
        assert_eq!(origins.get("a.c"), Some(&Layer::Flag));
        assert!(!origins.contains_key("a.b"));
    }
}
