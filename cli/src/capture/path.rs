//! Turning an agent-reported file path into a safe repo-relative path.

use std::path::{Component, Path};

/// Why a reported file path cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path is empty.
    #[error("is empty")]
    Empty,
    /// The path leaves the repository (absolute elsewhere, or `..` past the root).
    #[error("{0:?} is outside the repository")]
    OutsideRepo(String),
    /// The path names the repository root itself, not a file.
    #[error("{0:?} names the repository root, not a file")]
    IsRoot(String),
    /// The path contains a NUL byte.
    #[error("contains a NUL byte")]
    Nul,
    /// A directory on the way is a symbolic link that leads out of the repository.
    #[error("{0:?} leads outside the repository through a symbolic link")]
    SymlinkEscape(String),
}

/// Rejects a normalised repo-relative path whose directories pass through a
/// symbolic link that resolves outside `repo_root`. Only `lstat`s what exists;
/// the file itself is never opened.
pub fn check_symlink_escape(relative: &str, repo_root: &Path) -> Result<(), PathError> {
    let root = std::fs::canonicalize(repo_root).unwrap_or_else(|_| repo_root.to_path_buf());
    let mut current = repo_root.to_path_buf();
    for part in relative.split('/') {
        current.push(part);
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let inside = std::fs::canonicalize(&current).map(|target| target.starts_with(&root));
                // A dangling link cannot be followed out of the repository either way.
                if matches!(inside, Ok(false)) {
                    return Err(PathError::SymlinkEscape(relative.to_string()));
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

/// Normalises `raw` (repo-relative, or absolute inside `repo_root`) to a
/// `/`-separated path relative to the root. Purely lexical: nothing is read.
pub fn normalize_repo_path(raw: &str, repo_root: &Path) -> Result<String, PathError> {
    if raw.is_empty() {
        return Err(PathError::Empty);
    }
    if raw.contains('\0') {
        return Err(PathError::Nul);
    }
    let path = Path::new(raw);
    let relative = if path.is_absolute() {
        let root = lexical_clean(repo_root).ok_or_else(|| PathError::OutsideRepo(raw.into()))?;
        let cleaned = lexical_clean(path).ok_or_else(|| PathError::OutsideRepo(raw.into()))?;
        match cleaned.strip_prefix(&root) {
            Ok(rest) => rest.to_path_buf(),
            Err(_) => return Err(PathError::OutsideRepo(raw.into())),
        }
    } else {
        lexical_clean(path).ok_or_else(|| PathError::OutsideRepo(raw.into()))?
    };
    let parts: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        return Err(PathError::IsRoot(raw.into()));
    }
    Ok(parts.join("/"))
}

/// Resolves `.` and `..` without touching the disk; `None` when `..` climbs above the start.
fn lexical_clean(path: &Path) -> Option<std::path::PathBuf> {
    let mut out = std::path::PathBuf::new();
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::Prefix(p) => out.push(p.as_os_str()),
            Component::RootDir => out.push(Component::RootDir.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                if depth == 0 {
                    return None;
                }
                out.pop();
                depth -= 1;
            }
            Component::Normal(part) => {
                out.push(part);
                depth += 1;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_and_absolute_inside_the_repo_normalise_alike() {
        let root = Path::new("/home/u/repo");
        assert_eq!(normalize_repo_path("src/lib.rs", root).unwrap(), "src/lib.rs");
        assert_eq!(normalize_repo_path("./src/../src/lib.rs", root).unwrap(), "src/lib.rs");
        assert_eq!(normalize_repo_path("/home/u/repo/src/lib.rs", root).unwrap(), "src/lib.rs");
    }

    #[test]
    fn paths_that_escape_are_rejected() {
        let root = Path::new("/home/u/repo");
        for bad in ["../../etc/passwd", "/etc/passwd", "/home/u/repository/x", "a/../../b"] {
            assert!(matches!(normalize_repo_path(bad, root), Err(PathError::OutsideRepo(_))), "{bad} accepted");
        }
        assert_eq!(normalize_repo_path(".", root), Err(PathError::IsRoot(".".into())));
        assert_eq!(normalize_repo_path("", root), Err(PathError::Empty));
    }
}
