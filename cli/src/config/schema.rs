//! Validation against the config JSON schema generated from the Pkl schema.

use std::sync::OnceLock;

/// `config/schema/sce-config.schema.json`, generated from `config/pkl/SceConfig.pkl`.
pub const SCHEMA: &str = include_str!("../../../config/schema/sce-config.schema.json");

fn validator() -> Result<&'static jsonschema::Validator, String> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let schema: serde_json::Value = serde_json::from_str(SCHEMA).map_err(|e| e.to_string())?;
            jsonschema::options().build(&schema).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Every problem of a (partial) config value, as `key.path: message`; empty when valid.
pub fn validate_value(value: &serde_json::Value) -> Vec<String> {
    let validator = match validator() {
        Ok(v) => v,
        Err(e) => return vec![format!("the embedded config schema does not compile (a bug in sce): {e}")],
    };
    validator
        .iter_errors(value)
        .map(|error| {
            let pointer = error.instance_path().to_string();
            let key = pointer.trim_start_matches('/').replace('/', ".");
            let key = if key.is_empty() { "(top level)".to_string() } else { key };
            format!("{key}: {error}")
        })
        .collect()
}
