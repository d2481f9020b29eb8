//! Reading records back for people and tools: per line ([`blame`]), over a range
//! ([`stats`]), per agent session ([`sessions`]), and why a line is there ([`why`]).

pub mod blame;
pub mod sessions;
pub mod stats;
pub mod why;
