//! Capture: agents' batch envelopes → validated, normalised events ready to store.
//!
//! Knows nothing of the DB or git: it turns one JSON envelope into typed events
//! plus one diagnostic per item it had to skip.

mod envelope;
mod events;
mod path;

pub use envelope::{Envelope, EnvelopeError, EnvelopeKind, ItemDiagnostic, RawEnvelope};
pub use events::{CapturedEvent, MessageEvent, PartEvent, PatchEdit, Role};
pub use path::{PathError, normalize_repo_path};
