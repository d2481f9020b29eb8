//! What an imported session adds to what the DB already holds: the events to store
//! and their count. Pure: given the session's validated events and its stored
//! conversation, it decides, so a dry run and a real run report the same.
//!
//! - A message the DB has (same id) is never replaced: only its empty fields
//!   (`model_id`, `tool_name`, `tool_version`) are filled, with its stored time, and
//!   not even those of a message with edits (attribution reads them).
//! - A text part the DB has is left alone when its text is the same, replaced when
//!   it differs and the stored one is not newer (what intake does), else skipped.
//! - A message the DB lacks whose text the DB holds, with the same role, under a
//!   message this import does not name, was captured by hooks under another id
//!   (Gemini's and pi's hooks name texts by arrival time): merged into it.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::capture::{CapturedEvent, MessageEvent, Role};
use crate::store::StoredConversation;

/// What importing one session adds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Additions {
    /// Messages the DB did not have.
    pub new_messages: usize,
    /// Text parts the DB did not have.
    pub new_texts: usize,
    /// Text parts whose stored text is replaced.
    pub changed_texts: usize,
    /// Fields filled where the DB had none, with how many times (`model_id`, `git_context`…).
    pub filled: BTreeMap<String, usize>,
}

impl Additions {
    /// True when the import adds nothing.
    pub fn is_empty(&self) -> bool {
        self.new_messages == 0 && self.new_texts == 0 && self.changed_texts == 0 && self.filled.is_empty()
    }
}

/// The events of `imported` (one session's, validated and redacted) that change
/// the DB given what it holds (`stored`), and what they add.
pub fn additions(imported: Vec<CapturedEvent>, stored: &StoredConversation) -> (Vec<CapturedEvent>, Additions) {
    let mut added = Additions::default();
    let mut messages = Vec::new();
    let mut parts = Vec::new();
    for event in imported {
        match event {
            CapturedEvent::Message(m) => messages.push(m),
            CapturedEvent::Part(p) => parts.push(p),
        }
    }
    let imported_ids: HashSet<&str> = messages.iter().map(|m| m.message_id.as_str()).collect();
    let roles: HashMap<&str, Role> = messages.iter().map(|m| (m.message_id.as_str(), m.role)).collect();
    let stored_messages: HashMap<&str, _> = stored.messages.iter().map(|m| (m.message_id.as_str(), m)).collect();
    let stored_parts: HashMap<&str, _> = stored.texts.iter().map(|t| (t.part_id.as_str(), t)).collect();
    // Imported message id → the stored message (of another id) holding the same text.
    let mut merged_into: HashMap<String, String> = HashMap::new();
    let mut kept_parts = Vec::new();
    for part in parts {
        let Some(text) = part.text.as_deref() else { continue };
        if let Some(stored_part) = stored_parts.get(part.part_id.as_str()) {
            if stored_part.text != text && stored_part.time_ms <= part.time_ms {
                added.changed_texts += 1;
                kept_parts.push(CapturedEvent::Part(part));
            }
            continue;
        }
        if !stored_messages.contains_key(part.message_id.as_str()) {
            let role = roles.get(part.message_id.as_str()).map(|r| r.as_str());
            let same = stored.texts.iter().find(|t| {
                t.text == text
                    && !imported_ids.contains(t.message_id.as_str())
                    && !merged_into.values().any(|m| *m == t.message_id)
                    && stored_messages.get(t.message_id.as_str()).map(|m| m.role.as_str()) == role
            });
            if let Some(same) = same {
                merged_into.insert(part.message_id.clone(), same.message_id.clone());
                continue;
            }
        }
        added.new_texts += 1;
        kept_parts.push(CapturedEvent::Part(part));
    }
    let mut kept = Vec::new();
    for message in messages {
        let target = merged_into.get(&message.message_id).cloned().unwrap_or_else(|| message.message_id.clone());
        let Some(existing) = stored_messages.get(target.as_str()) else {
            added.new_messages += 1;
            kept.push(CapturedEvent::Message(message));
            continue;
        };
        if existing.has_edits {
            continue;
        }
        let fill = |name: &str, stored: &Option<String>, imported: Option<String>, added: &mut Additions| {
            let value = imported.filter(|_| stored.is_none());
            if value.is_some() {
                *added.filled.entry(name.to_string()).or_default() += 1;
            }
            value
        };
        let model_id = fill("model_id", &existing.model_id, message.model_id, &mut added);
        let tool_name = fill("tool_name", &existing.tool_name, message.tool_name, &mut added);
        let tool_version = fill("tool_version", &existing.tool_version, message.tool_version, &mut added);
        if model_id.is_some() || tool_name.is_some() || tool_version.is_some() {
            kept.push(CapturedEvent::Message(MessageEvent {
                session_id: message.session_id,
                message_id: target,
                role: if existing.role == "user" { Role::User } else { Role::Assistant },
                model_id,
                parent_id: None,
                time_created_ms: existing.time_created_ms,
                time_completed_ms: None,
                tool_name,
                tool_version,
            }));
        }
    }
    kept.extend(kept_parts);
    (kept, added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::PartEvent;
    use crate::store::{MessageFields, StoredText};

    fn message(id: &str, role: Role, model: Option<&str>) -> CapturedEvent {
        CapturedEvent::Message(MessageEvent {
            session_id: "s".into(),
            message_id: id.into(),
            role,
            model_id: model.map(Into::into),
            parent_id: None,
            time_created_ms: 10,
            time_completed_ms: None,
            tool_name: Some("pi".into()),
            tool_version: None,
        })
    }

    fn text(message: &str, part: &str, text: &str) -> CapturedEvent {
        CapturedEvent::Part(Box::new(PartEvent {
            session_id: "s".into(),
            message_id: message.into(),
            part_id: part.into(),
            part_type: "text".into(),
            time_ms: 10,
            text: Some(text.into()),
            edit: None,
            tool_name: Some("pi".into()),
            tool_version: None,
            raw: serde_json::Value::Null,
        }))
    }

    fn stored_message(id: &str, role: &str, model: Option<&str>) -> MessageFields {
        MessageFields {
            message_id: id.into(),
            role: role.into(),
            model_id: model.map(Into::into),
            tool_name: Some("pi".into()),
            tool_version: None,
            time_created_ms: 99,
            has_edits: false,
        }
    }

    fn stored_text(message: &str, part: &str, text: &str) -> StoredText {
        StoredText { part_id: part.into(), message_id: message.into(), text: text.into(), time_ms: 99 }
    }

    #[test]
    fn everything_is_new_in_an_empty_db() {
        let events = vec![message("m", Role::User, None), text("m", "m/text", "hi")];
        let (kept, added) = additions(events, &StoredConversation::default());
        assert_eq!(kept.len(), 2);
        assert_eq!((added.new_messages, added.new_texts), (1, 1));
    }

    #[test]
    fn what_is_stored_adds_nothing_and_empty_fields_are_filled_keeping_the_time() {
        let stored = StoredConversation {
            messages: vec![stored_message("m", "assistant", None)],
            texts: vec![stored_text("m", "m/text", "hi")],
        };
        let (kept, added) = additions(vec![message("m", Role::Assistant, None), text("m", "m/text", "hi")], &stored);
        assert!(kept.is_empty() && added.is_empty(), "{added:?}");
        let (kept, added) =
            additions(vec![message("m", Role::Assistant, Some("p/x")), text("m", "m/text", "hi")], &stored);
        assert_eq!(added.filled.get("model_id"), Some(&1));
        let CapturedEvent::Message(m) = &kept[0] else { panic!("{kept:?}") };
        assert_eq!(m.time_created_ms, 99);
    }

    #[test]
    fn a_message_with_edits_is_never_filled() {
        let mut edited = stored_message("m", "assistant", None);
        edited.has_edits = true;
        let stored = StoredConversation { messages: vec![edited], texts: Vec::new() };
        let (kept, added) =
            additions(vec![message("m", Role::Assistant, Some("p/x")), text("m", "m/text", "hi")], &stored);
        assert_eq!(kept.len(), 1, "only the text: {kept:?}");
        assert!(added.filled.is_empty());
        assert_eq!(added.new_texts, 1);
    }

    #[test]
    fn a_newer_stored_text_is_not_replaced() {
        let stored = StoredConversation {
            messages: vec![stored_message("m", "assistant", None)],
            texts: vec![stored_text("m", "m/text", "hook's")],
        };
        let (kept, added) = additions(vec![text("m", "m/text", "transcript's")], &stored);
        assert!(kept.is_empty() && added.is_empty());
    }

    #[test]
    fn a_text_hooks_stored_under_another_id_is_merged_by_content_and_role() {
        let stored = StoredConversation {
            messages: vec![stored_message("answer-123", "assistant", None), stored_message("prompt-1", "user", None)],
            texts: vec![
                stored_text("answer-123", "answer-123/text", "done"),
                stored_text("prompt-1", "prompt-1/text", "x"),
            ],
        };
        let events = vec![
            message("answer-e4", Role::Assistant, Some("p/m")),
            text("answer-e4", "answer-e4/text", "done"),
            message("prompt-e5", Role::User, None),
            text("prompt-e5", "prompt-e5/text", "done"),
        ];
        let (kept, added) = additions(events, &stored);
        assert_eq!((added.new_messages, added.new_texts), (1, 1), "the user's \"done\" is a new message");
        assert_eq!(added.filled.get("model_id"), Some(&1));
        let CapturedEvent::Message(m) = &kept[0] else { panic!("{kept:?}") };
        assert_eq!(m.message_id, "answer-123");
    }
}
