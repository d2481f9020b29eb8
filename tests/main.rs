//! The end-to-end scenarios, one test binary for all of them (as cargo's
//! `tests/testsuite` and jj's `tests/runner.rs`): each area is a module, and
//! turso, gix and the helpers in `common` are linked once instead of once per area.
//! Run one area with `cargo test --test main <area>::` (e.g. `capture::`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod agent_hook;
mod attribution;
mod capture;
mod claude_e2e;
mod claude_hook;
mod cli;
mod codex_e2e;
mod codex_hook;
mod config;
mod cursor_hook;
mod export;
mod faults;
mod gemini_e2e;
mod gemini_hook;
mod history;
mod hostile;
mod import;
mod opencode_e2e;
mod pi_e2e;
mod rewrite;
mod sessions;
mod setup;
mod storage;
mod two_agents_e2e;
mod why;
