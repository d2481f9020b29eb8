//! Attribution: captured agent edits + committed content → per-line owner and class.
//!
//! Pure: no git, no DB, no clock. For each file sce keeps the agents' view of
//! its content ([`FileView`]): every line with the session that last wrote it,
//! or none. Captured edits advance the view ([`FileView::apply`]); at a commit
//! the committed blob is aligned with the view line by line and each added
//! line reads its owner off the line it aligns with ([`classify_added_lines`]).
//! Alignment is positional (git's line diff, [`align`]), never a content lookup,
//! so a `}` typed by a person is not credited to an agent that wrote `}` elsewhere.

pub mod align;
mod classify;
mod lines;
mod similarity;
mod view;

pub use classify::classify_added_lines;
pub use lines::split_lines;
pub use similarity::{MIXED_THRESHOLD, mixed_similarity, pair_lines, similarity, similarity_at_least};
pub use view::{ApplyOutcome, Author, EditContent, FileView, LineOwner};
