//! Reading records back for people and tools: per line ([`blame`]), over a range
//! ([`stats`]) and per agent session ([`sessions`]).

pub mod blame;
pub mod sessions;
pub mod stats;
