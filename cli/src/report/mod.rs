//! Reading records back for people and tools: per line ([`blame`]) and over a range ([`stats`]).

pub mod blame;
pub mod stats;
