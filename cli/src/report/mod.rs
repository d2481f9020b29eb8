//! Reading records back for people and tools: per line ([`blame`]) and over a range ([`stats`]), and why a line is there ([`why`]).

pub mod blame;
pub mod stats;
pub mod why;
