//! Capture: agents' batch envelopes → validated, normalised events ready to store.
//!
//! Knows nothing of the DB or git: it turns one JSON envelope into typed events
//! plus one diagnostic per item it had to skip.

mod envelope;
mod events;
mod path;
mod redact;

pub use envelope::{Envelope, EnvelopeError, EnvelopeKind, ItemDiagnostic, RawEnvelope};
pub use events::{CapturedEvent, MessageEvent, PartEvent, PatchEdit, Role};
pub use path::{PathError, check_symlink_escape, normalize_repo_path};
pub use redact::{redact, secret_shapes};
