//! The model of a Claude Code tool call, read from the session's transcript
//! (`transcript_path`, JSON lines): in `-p` mode no hook payload names it. Each call
//! reads only what was appended since the last one (the offset is remembered per
//! session), never the whole file.

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// How many tool calls' models are remembered per session.
const REMEMBERED_CALLS: usize = 256;

/// What has been read of one session's transcript.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptState {
    /// Bytes read so far (always at a line end).
    pub offset: u64,
    /// The model of the latest assistant record.
    pub model: Option<String>,
    /// Claude Code's version, as its records say.
    pub version: Option<String>,
    /// (tool_use id, model) of the latest tool calls.
    pub calls: VecDeque<(String, String)>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "type")]
    kind: Option<String>,
    version: Option<String>,
    message: Option<RecordMessage>,
    #[serde(rename = "requestedModel")]
    requested_model: Option<String>,
}

#[derive(Deserialize)]
struct RecordMessage {
    model: Option<String>,
    #[serde(default)]
    content: serde_json::Value,
}

impl TranscriptState {
    /// Loads the state saved at `path` (a missing or unreadable file starts afresh).
    pub fn load(path: &Path) -> TranscriptState {
        std::fs::read(path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
    }

    /// Saves the state at `path`.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_vec(self).map_err(std::io::Error::other)?)
    }

    /// Reads the complete lines appended to `transcript` since the last call. A
    /// transcript shorter than the offset was replaced: it is read from the start.
    pub fn advance(&mut self, transcript: &Path) -> std::io::Result<()> {
        let mut file = std::fs::File::open(transcript)?;
        let len = file.metadata()?.len();
        if len < self.offset {
            self.offset = 0;
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut appended = Vec::new();
        file.take(len - self.offset).read_to_end(&mut appended)?;
        let Some(last_newline) = appended.iter().rposition(|b| *b == b'\n') else { return Ok(()) };
        for line in appended[..=last_newline].split(|b| *b == b'\n') {
            if let Ok(record) = serde_json::from_slice::<Record>(line) {
                self.note(record);
            }
        }
        self.offset += last_newline as u64 + 1;
        Ok(())
    }

    fn note(&mut self, record: Record) {
        if record.version.is_some() {
            self.version = record.version;
        }
        if record.kind.as_deref() != Some("assistant") {
            return;
        }
        let Some(message) = record.message else { return };
        // `<synthetic>` marks messages Claude Code made itself, not a model's.
        let Some(model) = message.model.or(record.requested_model).filter(|m| !m.is_empty() && m != "<synthetic>")
        else {
            return;
        };
        if let Some(blocks) = message.content.as_array() {
            for block in blocks {
                if block.get("type").and_then(|t| t.as_str()) == Some("tool_use")
                    && let Some(id) = block.get("id").and_then(|i| i.as_str())
                {
                    self.calls.push_back((id.to_string(), model.clone()));
                    if self.calls.len() > REMEMBERED_CALLS {
                        self.calls.pop_front();
                    }
                }
            }
        }
        self.model = Some(model);
    }

    /// The model of the tool call `tool_use_id`, else the latest one seen.
    pub fn model_for(&self, tool_use_id: Option<&str>) -> Option<&str> {
        tool_use_id
            .and_then(|id| self.calls.iter().rev().find(|(call, _)| call == id).map(|(_, model)| model.as_str()))
            .or(self.model.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_what_was_appended_and_finds_the_model_of_a_call() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        let assistant = |id: &str, model: &str| {
            format!(
                "{{\"type\":\"assistant\",\"version\":\"2.1.332\",\"message\":{{\"model\":\"{model}\",\"content\":[{{\"type\":\"tool_use\",\"id\":\"{id}\"}}]}}}}\n"
            )
        };
        std::fs::write(&path, assistant("toolu_1", "claude-a") + "{\"type\":\"user\"}\n").unwrap();
        let mut state = TranscriptState::default();
        state.advance(&path).unwrap();
        assert_eq!(state.model_for(Some("toolu_1")), Some("claude-a"));
        assert_eq!(state.version.as_deref(), Some("2.1.332"));
        let offset = state.offset;
        // A partial line is left for the next call.
        let mut more = assistant("toolu_2", "claude-b");
        let partial = more.split_off(20);
        std::fs::write(&path, std::fs::read_to_string(&path).unwrap() + &more).unwrap();
        state.advance(&path).unwrap();
        assert_eq!(state.offset, offset);
        std::fs::write(&path, std::fs::read_to_string(&path).unwrap() + &partial).unwrap();
        state.advance(&path).unwrap();
        assert_eq!(state.model_for(Some("toolu_2")), Some("claude-b"));
        assert_eq!(state.model_for(Some("toolu_1")), Some("claude-a"));
        assert_eq!(state.model_for(Some("unknown")), Some("claude-b"));
        // Synthetic messages are not a model.
        std::fs::write(&path, std::fs::read_to_string(&path).unwrap() + &assistant("toolu_3", "<synthetic>")).unwrap();
        state.advance(&path).unwrap();
        assert_eq!(state.model_for(None), Some("claude-b"));
    }
}
