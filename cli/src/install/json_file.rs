//! Agents' JSON settings files (Claude, Gemini, Cursor): read as an object, written
//! back pretty-printed, so sce can merge its entries into what a person wrote.

use std::path::Path;

use serde_json::{Map, Value};

use super::InstallError;

/// The file's top-level object; `None` when there is no file, an empty object for an
/// empty file. Anything else is an error naming the file and what to do.
pub(super) fn read_object(path: &Path) -> Result<Option<Map<String, Value>>, InstallError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(InstallError { action: "read", path: path.into(), source }),
    };
    if text.trim().is_empty() {
        return Ok(Some(Map::new()));
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        _ => Err(InstallError {
            action: "understand",
            path: path.into(),
            source: std::io::Error::other(
                "not a JSON object (comments are not kept); fix or move the file, then run setup again",
            ),
        }),
    }
}

/// Writes `object` pretty-printed, creating the directory.
pub(super) fn write_object(path: &Path, object: &Map<String, Value>) -> Result<(), InstallError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| InstallError { action: "create", path: dir.into(), source })?;
    }
    let mut text = serde_json::to_string_pretty(object).unwrap_or_default();
    text.push('\n');
    std::fs::write(path, text).map_err(|source| InstallError { action: "write", path: path.into(), source })
}
