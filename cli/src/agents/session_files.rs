//! Where an agent hook keeps state between its calls: `<sce dir>/agents/<agent>/`,
//! one file per session (transcript offsets) and per tool call (snapshots), named
//! by a hash so that no session or tool id becomes a path.

use std::path::{Path, PathBuf};

/// The state files of one agent in one repository.
#[derive(Debug, Clone)]
pub struct SessionFiles {
    dir: PathBuf,
}

fn key(parts: &[&str]) -> String {
    let mut hasher = blake3::Hasher::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update(&[0]);
    }
    hasher.finalize().to_hex()[..24].to_string()
}

impl SessionFiles {
    /// The state directory of `agent` under the sce directory.
    /// The agent's name becomes one path component: anything but letters, digits,
    /// `-` and `_` is replaced, so a name from a hook payload cannot point elsewhere.
    pub fn new(sce_dir: &Path, agent: &str) -> SessionFiles {
        let name: String =
            agent.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        let name = if name.is_empty() { "agent".to_string() } else { name };
        SessionFiles { dir: sce_dir.join("agents").join(name) }
    }

    /// The file that remembers how far the session's transcript was read.
    pub fn transcript_state(&self, session_id: &str) -> PathBuf {
        self.dir.join(format!("{}.transcript.json", key(&[session_id])))
    }

    /// The snapshot taken before one tool call.
    pub fn snapshot(&self, session_id: &str, tool_use_id: &str) -> PathBuf {
        self.dir.join(format!("{}-{}.snapshot.json", key(&[session_id]), key(&[tool_use_id])))
    }

    /// Removes every file of a session (it ended).
    pub fn forget_session(&self, session_id: &str) {
        let prefix = key(&[session_id]);
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
}
