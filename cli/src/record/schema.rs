//! Validating records against the Agent Trace JSON schema (embedded at build time).

use std::sync::OnceLock;

/// The Agent Trace record schema, draft 2020-12 (from the open spec, v0.1.0).
pub const SCHEMA: &str = include_str!("agent-trace-record.schema.json");

/// A record that does not conform to the schema: a bug in sce, never written.
#[derive(Debug, thiserror::Error)]
#[error("the Agent Trace record does not validate against the schema (a bug in sce, please report it): {0}")]
pub struct RecordInvalid(pub String);

fn validator() -> Result<&'static jsonschema::Validator, RecordInvalid> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let schema: serde_json::Value = serde_json::from_str(SCHEMA).map_err(|e| e.to_string())?;
            jsonschema::options().should_validate_formats(true).build(&schema).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| RecordInvalid(format!("schema does not compile: {e}")))
}

/// Checks a record (as JSON) against the schema, formats included; lists every violation.
pub fn validate(record: &serde_json::Value) -> Result<(), RecordInvalid> {
    let validator = validator()?;
    let problems: Vec<String> =
        validator.iter_errors(record).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    if problems.is_empty() { Ok(()) } else { Err(RecordInvalid(problems.join("; "))) }
}
