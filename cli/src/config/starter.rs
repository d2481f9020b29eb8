//! Commented starter files for `sce config init`, written from the defaults and
//! the schema's descriptions so they never drift from either.

use serde_json::Value;

use super::{Config, SCHEMA};

fn description_of<'a>(schema: &'a Value, root: &'a Value) -> Option<&'a str> {
    // The property's own description first; a `$ref`'s target describes the type.
    schema.get("description").or_else(|| resolve(schema, root).get("description")).and_then(Value::as_str)
}

/// Follows a local `$ref` (`#/$defs/…`) if there is one.
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => root.pointer(pointer).unwrap_or(schema),
        None => schema,
    }
}

fn pkl_value(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn write_object(out: &mut String, value: &Value, schema: &Value, root: &Value, indent: usize) {
    let Value::Object(map) = value else { return };
    let pad = "  ".repeat(indent);
    let properties = resolve(schema, root).get("properties");
    for (key, child) in map {
        let child_schema = properties.and_then(|p| p.get(key)).unwrap_or(&Value::Null);
        if let Some(description) = description_of(child_schema, root) {
            for line in description.lines() {
                out.push_str(&format!("{pad}// {line}\n"));
            }
        }
        if child.is_object() {
            out.push_str(&format!("{pad}{key} {{\n"));
            write_object(out, child, child_schema, root, indent + 1);
            out.push_str(&format!("{pad}}}\n"));
        } else {
            out.push_str(&format!("{pad}// {key} = {}\n", pkl_value(child)));
        }
    }
}

/// A Pkl starter: every key at its default, commented out, with its description.
pub fn starter_pkl() -> String {
    let root: Value = serde_json::from_str(SCHEMA).unwrap_or(Value::Null);
    let defaults = serde_json::to_value(Config::default()).unwrap_or(Value::Null);
    let mut out = String::from(
        "// sce configuration. Uncomment a line to change it; unset keys keep their defaults.\n\
         // sce evaluates this file with `pkl eval -f json` (SCE_PKL_BIN or pkl on PATH) and\n\
         // caches the result by content. `sce config show` prints every key and its source;\n\
         // `sce config validate .sce/config.pkl` checks it.\n\n",
    );
    write_object(&mut out, &defaults, &root, &root, 0);
    out
}

/// A JSON starter: every key at its default.
pub fn starter_json() -> String {
    let defaults = serde_json::to_value(Config::default()).unwrap_or(Value::Null);
    format!("{}\n", serde_json::to_string_pretty(&defaults).unwrap_or_default())
}
