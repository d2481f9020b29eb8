//! sce records, for every git commit, which lines an AI coding agent wrote,
//! in which session, with which model.
//!
//! Data flows one way: envelope → [`capture`] → [`store`] → (post-commit)
//! [`git`] + [`store`] → [`attribution`] → [`record`] → [`store`] + notes.
//! [`commands`] only wires these together.

pub mod agents;
pub mod attribution;
pub mod capture;
pub mod carry;
pub mod class;
pub mod commands;
pub mod commit_sources;
pub mod config;
pub mod demo;
pub mod exit;
pub mod gc;
pub mod git;
pub mod health;
pub mod install;
pub mod intake;
pub mod logging;
pub mod pending;
pub mod postcommit;
pub mod provenance;
pub mod record;
pub mod snapshot;
pub mod stats;
pub mod store;
pub mod unidiff;
