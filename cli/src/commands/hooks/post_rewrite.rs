//! `sce hooks post-rewrite`: carry attribution to commits an amend or rebase rewrote.

use std::io::Read;

use clap::Args;

use crate::commands::{CommandError, start_dir};
use crate::config::Config;
use crate::exit::ExitCode;
use crate::git::Repo;
use crate::pipeline::commit::attribute_commit;
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
pub fn run(_args: PostRewriteArgs) -> Result<ExitCode, CommandError> {
    if let Err(message) = carry() {
        eprintln!("sce: post-rewrite: {message}");
    }
    Ok(ExitCode::Ok)
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

fn carry() -> Result<(), String> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).map_err(|e| format!("cannot read the rewritten commits: {e}"))?;
    let repo = Repo::discover(&start_dir(None).map_err(|e| e.message)?).map_err(|e| e.to_string())?;
    let config = Config::load_for_hook(repo.location.config_scope());
    crate::logging::apply(&config.logging);
    if !config.hooks.enabled.post_rewrite {
        return Ok(());
    }
    let paths = repo.location.store_paths(&config);
    let pairs = parse_pairs(&repo, &input);
    let store = Store::open_configured(&paths, &config).map_err(|e| {
        for (new, _) in &pairs {
            let _ = crate::store::pending::mark(&paths, &new.to_string(), &repo.location.worktree, &e.to_string());
        }
        format!("{e}; run `sce trace backfill` to record the rewritten commits")
    })?;
    let mut failed = Vec::new();
    for (new, olds) in &pairs {
        let now = time::OffsetDateTime::now_utc();
        if let Err(e) = attribute_commit(&repo, &store, &config, *new, Some(olds), now) {
            let _ = crate::store::pending::mark(&paths, &new.to_string(), &repo.location.worktree, &e.to_string());
            failed.push(format!("{new}: {e}"));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{}; run `sce trace backfill` to record them", failed.join("; ")))
    }
}
