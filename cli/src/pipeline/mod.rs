//! The steps sce's hooks run, in order: an agent's events stored ([`intake`]);
//! a new session's git context ([`session_context`]);
//! at a commit, what it is made from noted ([`commit_sources`]), its added lines
//! attributed and recorded ([`commit`]), classes carried through rewrites ([`carry`]).

pub mod carry;
pub mod commit;
pub mod commit_sources;
pub mod intake;
pub mod session_context;
