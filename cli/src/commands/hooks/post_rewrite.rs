//! `sce hooks post-rewrite`: carry attribution to commits an amend or rebase rewrote.

use std::io::Read;
use std::sync::Arc;

use clap::Args;

use super::HookError;
use crate::commands::{CommandError, CommandHelper};
use crate::exit::ExitCode;
use crate::git::Repo;
use crate::pipeline::commit::{UnrecordedReason, attribute_or_mark, mark_unrecorded};
use crate::store::Store;

/// Give commits rewritten by `git commit --amend` or `git rebase` their own Agent Trace
/// records, carrying each unchanged line's class, session and model from the old commit.
///
/// Installed as git's post-rewrite hook: reads "OLD NEW" lines on stdin. Lines inside
/// changed hunks are attributed from captured agent edits, as post-commit does. Old
/// records stay; new ones name the commits they were carried from. Never fails git.
#[derive(Debug, Args)]
pub struct PostRewriteArgs {
    /// What rewrote the commits (git passes `amend` or `rebase`).
    pub kind: Option<String>,
}

/// Runs the hook; always exits 0.
pub fn run(ctx: &CommandHelper, _args: PostRewriteArgs) -> Result<ExitCode, CommandError> {
    super::report("post-rewrite", carry(ctx))
}

/// "OLD NEW [extra]" lines → new commits, each with its old commits (oldest first).
fn parse_pairs(repo: &Repo, input: &str) -> Vec<(gix::ObjectId, Vec<gix::ObjectId>)> {
    let mut out: Vec<(gix::ObjectId, Vec<gix::ObjectId>)> = Vec::new();
    for line in input.lines() {
        let mut fields = line.split_whitespace();
        let (Some(old), Some(new)) = (fields.next(), fields.next()) else { continue };
        let (Ok(old), Ok(new)) = (repo.resolve_commit(old), repo.resolve_commit(new)) else { continue };
        match out.iter_mut().find(|(n, _)| *n == new) {
            Some((_, olds)) => olds.push(old),
            None => out.push((new, vec![old])),
        }
    }
    out
}

fn carry(ctx: &CommandHelper) -> Result<(), HookError> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|source| HookError::Stdin { what: "the rewritten commits", source })?;
    let repo = ctx.repo()?;
    let config = ctx.hook_config()?;
    if !config.hooks.enabled.post_rewrite {
        return Ok(());
    }
    let paths = ctx.paths()?;
    let pairs = parse_pairs(repo, &input);
    if pairs.is_empty() {
        return Ok(());
    }
    let store = match Store::open_configured(paths, config) {
        Ok(store) => store,
        Err(e) => {
            let reason: UnrecordedReason = Arc::new(e);
            let unrecorded = pairs.iter().map(|(new, _)| mark_unrecorded(repo, paths, *new, reason.clone())).collect();
            return Err(HookError::Unrecorded(unrecorded));
        }
    };
    let mut unrecorded = Vec::new();
    for (new, olds) in &pairs {
        let now = time::OffsetDateTime::now_utc();
        if let Err(e) = attribute_or_mark(repo, &store, paths, config, *new, Some(olds), now) {
            unrecorded.push(e);
        }
    }
    if unrecorded.is_empty() { Ok(()) } else { Err(HookError::Unrecorded(unrecorded)) }
}
