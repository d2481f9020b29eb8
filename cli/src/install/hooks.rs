//! Git hook scripts: sce's part is a marked block appended to whatever is there.

use std::path::{Path, PathBuf};

use super::{Change, InstallError};

/// The hooks sce manages.
pub const MANAGED_HOOKS: &[&str] = &["prepare-commit-msg", "post-commit", "post-rewrite"];

const BEGIN: &str = "# >>> sce managed block";
const END: &str = "# <<< sce managed block";
/// Marks a hook file sce created, so uninstall may delete it whole.
const CREATED_MARKER: &str = "# This hook file was created by `sce setup`.";

/// The state of one hook file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookStatus {
    /// No file, or a file without sce's block.
    Missing,
    /// sce's block is there but differs from what this sce would write.
    Outdated,
    /// sce's block is there and current.
    Current,
}

/// Quotes a string for POSIX sh: single quotes, with `'` written as `'\''`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The managed block for `hook`. `fallback_bin` (the sce that ran setup) is used
/// when `sce` is not on PATH; if neither exists the hook prints one hint and
/// exits 0 (prepare-commit-msg stays silent: post-commit gives the commit's hint).
fn block(hook: &str, fallback_bin: &Path) -> String {
    let fallback = sh_quote(&fallback_bin.to_string_lossy());
    let missing = if hook != "prepare-commit-msg" {
        "echo \"sce: not found on PATH; this commit gets no Agent Trace record (install sce, or run 'sce setup --uninstall')\" >&2"
    } else {
        ": # sce is missing: post-commit says so"
    };
    format!(
        "{BEGIN} ({hook}) >>>\n\
         # Records which lines AI agents wrote (sce). Remove with `sce setup --uninstall`.\n\
         # It never blocks git: any failure is reported and the command goes on.\n\
         if command -v sce >/dev/null 2>&1; then\n\
         \x20 sce hooks {hook} \"$@\" || true\n\
         elif [ -x {fallback} ]; then\n\
         \x20 {fallback} hooks {hook} \"$@\" || true\n\
         else\n\
         \x20 {missing}\n\
         fi\n\
         {END} ({hook}) <<<\n"
    )
}

/// Splits `text` into (before, block, after) around sce's block for `hook`.
fn find_block<'a>(text: &'a str, hook: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let begin = text.find(&format!("{BEGIN} ({hook}) >>>"))?;
    let end_marker = format!("{END} ({hook}) <<<\n");
    let end = text[begin..].find(&end_marker).map(|i| begin + i + end_marker.len()).or_else(|| {
        let bare = format!("{END} ({hook}) <<<");
        text[begin..].find(&bare).map(|i| begin + i + bare.len())
    })?;
    Some((&text[..begin], &text[begin..end], &text[end..]))
}

fn read(path: &Path) -> Result<Option<String>, InstallError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(InstallError { action: "read", path: path.into(), source }),
    }
}

fn write_executable(path: &Path, text: &str) -> Result<(), InstallError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| InstallError { action: "create", path: dir.into(), source })?;
    }
    std::fs::write(path, text).map_err(|source| InstallError { action: "write", path: path.into(), source })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map(|m| m.permissions().mode()).unwrap_or(0o644);
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode | 0o755))
            .map_err(|source| InstallError { action: "make executable", path: path.into(), source })?;
    }
    Ok(())
}

/// The state of `hook` in `hooks_dir`.
pub fn hook_status(hooks_dir: &Path, hook: &str, fallback_bin: &Path) -> HookStatus {
    let Ok(Some(text)) = read(&hooks_dir.join(hook)) else {
        return HookStatus::Missing;
    };
    match find_block(&text, hook) {
        None => HookStatus::Missing,
        Some((_, found, _)) if found == block(hook, fallback_bin) => HookStatus::Current,
        Some(_) => HookStatus::Outdated,
    }
}

/// Installs or updates sce's block in `hook`, keeping everything else in the file.
/// Returns the change and a warning when an existing script may exit before the block.
pub fn install_hook(
    hooks_dir: &Path,
    hook: &str,
    fallback_bin: &Path,
) -> Result<(Change, Option<String>), InstallError> {
    let path: PathBuf = hooks_dir.join(hook);
    let shown = path.display().to_string();
    let wanted = block(hook, fallback_bin);
    let Some(existing) = read(&path)? else {
        write_executable(&path, &format!("#!/bin/sh\n{CREATED_MARKER}\n{wanted}"))?;
        return Ok((Change::Created(shown), None));
    };
    if let Some((before, found, after)) = find_block(&existing, hook) {
        if found == wanted {
            return Ok((Change::Unchanged(shown), None));
        }
        write_executable(&path, &format!("{before}{wanted}{after}"))?;
        return Ok((Change::Updated(shown), None));
    }
    let mut text = existing.clone();
    if !text.ends_with('\n') && !text.is_empty() {
        text.push('\n');
    }
    if text.is_empty() {
        text.push_str("#!/bin/sh\n");
    }
    text.push_str(&wanted);
    write_executable(&path, &text)?;
    let warning = may_exit_early(&existing).then(|| {
        format!("{shown} ends its work with `exec` or `exit`; sce's block at its end may not run, move it up if needed")
    });
    Ok((Change::Updated(shown), warning))
}

/// Whether a script has a top-level (unindented) `exec` or `exit` that would skip an appended block.
fn may_exit_early(script: &str) -> bool {
    script.lines().any(|line| line.starts_with("exec ") || line == "exit" || line.starts_with("exit "))
}

/// Removes sce's block; deletes the file when sce created it and nothing else is left.
pub fn uninstall_hook(hooks_dir: &Path, hook: &str) -> Result<Option<Change>, InstallError> {
    let path = hooks_dir.join(hook);
    let shown = path.display().to_string();
    let Some(existing) = read(&path)? else { return Ok(None) };
    let Some((before, _, after)) = find_block(&existing, hook) else { return Ok(None) };
    let rest = format!("{before}{after}");
    let leftover: Vec<&str> =
        rest.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("#!") && *l != CREATED_MARKER).collect();
    if rest.contains(CREATED_MARKER) && leftover.is_empty() {
        std::fs::remove_file(&path).map_err(|source| InstallError { action: "delete", path: path.clone(), source })?;
        return Ok(Some(Change::Deleted(shown)));
    }
    std::fs::write(&path, rest).map_err(|source| InstallError { action: "write", path: path.clone(), source })?;
    Ok(Some(Change::Removed(shown)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes_and_spaces() {
        assert_eq!(sh_quote("/a b/it's"), r"'/a b/it'\''s'");
    }

    #[test]
    fn early_exit_is_detected() {
        assert!(may_exit_early("#!/bin/sh\nexec lefthook run post-commit\n"));
        assert!(!may_exit_early("#!/bin/sh\necho hi\n"));
    }
}
