//! Agents whose hooks sce reads directly (rather than through a plugin that sends
//! envelopes): each turns one hook event into the same messages and parts the
//! envelope path stores, so attribution, records, blame and stats need nothing
//! agent-specific.

pub mod claude;
pub mod claude_transcript;
mod session_files;

pub use session_files::SessionFiles;
