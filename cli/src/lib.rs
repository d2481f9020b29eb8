//! sce records, for every git commit, which lines an AI coding agent wrote,
//! in which session, with which model.
//!
//! Data flows one way: agent hook or plugin → [`agents`] / [`capture`] →
//! [`pipeline`] (intake) → [`store`]; at a commit [`pipeline`] (commit
//! attribution, carrying through rewrites) reads [`git`] + [`store`], runs
//! [`attribution`] and writes a [`record`] to the [`store`] and git notes;
//! [`report`] reads records back (blame, stats). [`commands`] only wires these.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod agents;
pub mod attribution;
pub mod capture;
pub mod class;
pub mod commands;
pub mod config;
pub mod exit;
pub mod export;
pub mod git;
pub mod import;
pub mod install;
pub mod logging;
pub mod output;
pub mod pipeline;
pub mod record;
pub mod report;
pub mod snapshot;
pub mod store;
pub mod unidiff;
