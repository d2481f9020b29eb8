//! Importing agents' own session files (transcripts) into the DB: conversation
//! text and session metadata that hooks did not capture, merged with what they did.

pub mod opencode;
mod session;

pub use session::{ImportedMessage, ImportedSession, ImportedText};
