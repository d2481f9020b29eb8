//! Arbitrary bytes as a capture envelope: parsing and item validation never
//! panic, and every payload item ends up as exactly one event or one diagnostic.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sce::capture::{CapturedEvent, EnvelopeKind, RawEnvelope};

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = RawEnvelope::parse(data) else {
        return;
    };
    let kind = raw.kind;
    let envelope = raw.into_events(Path::new("/repo"));
    assert_eq!(envelope.kind, kind);
    assert_eq!(
        envelope.events.len() + envelope.diagnostics.len(),
        envelope.attempted,
        "every item is an event or a diagnostic"
    );
    let mut last = None;
    for diagnostic in &envelope.diagnostics {
        assert!(diagnostic.index < envelope.attempted, "diagnostic index {} out of range", diagnostic.index);
        assert!(last.is_none_or(|l| l < diagnostic.index), "diagnostics out of order or duplicated");
        assert!(!diagnostic.error.is_empty());
        last = Some(diagnostic.index);
    }
    for event in &envelope.events {
        match (kind, event) {
            (EnvelopeKind::MessageUpdated, CapturedEvent::Message(m)) => {
                assert!(!m.session_id.is_empty() && !m.message_id.is_empty());
                assert!(m.time_created_ms >= 0);
            }
            (EnvelopeKind::MessagePartUpdated, CapturedEvent::Part(p)) => {
                assert!(!p.session_id.is_empty() && !p.part_id.is_empty());
                if let Some(edit) = &p.edit {
                    // A stored path is repo-relative, normalised and never escapes the root.
                    let path = &edit.file_path;
                    assert!(!path.is_empty() && !path.starts_with('/'), "{path:?}");
                    assert!(path.split('/').all(|c| !c.is_empty() && c != "." && c != ".."), "{path:?}");
                }
            }
            (kind, event) => panic!("{kind:?} envelope produced {event:?}"),
        }
    }
});
