//! Post-commit: attribute one commit's added lines from captured agent edits,
//! build its Agent Trace record, store it, and write it as a git note.
//!
//! Work is batched per commit: a fixed number of DB queries whatever the number
//! of lines, and per changed file one line diff against the agents' view.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::attribution::{Author, EditContent, FileView, classify_added_lines, split_lines};
use crate::config::Config;
use crate::git::{ChangedFile, CommitChanges, FileChange, GitError, NoteError, Repo, write_note};
use crate::pipeline::carry::{CarriedLine, CarrySources, sources_named_in_message};
use crate::record::{
    AttributedFile, Class, CommitContext, RecordCache, RecordInvalid, TraceRecord, build_record, validate,
};
use crate::store::{CommitWrite, FileStateRow, LineEdits, Store, StoreError, StoredEdit};
use crate::unidiff;

/// A new file with no evidence of its own takes over the view of a vanished
/// path when at least this share of its lines align with that view's lines.
const MOVE_MATCH_THRESHOLD: f32 = 0.5;

/// Why a commit could not be attributed.
#[derive(Debug, thiserror::Error)]
pub enum PostCommitError {
    /// Reading the commit failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The DB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The record does not conform to the schema (a bug).
    #[error(transparent)]
    Invalid(#[from] RecordInvalid),
    /// The note could not be written (the record is in the DB).
    #[error("the record is stored but the git note was not written: {0}")]
    Note(#[from] NoteError),
    /// A stored view could not be read back (or written).
    #[error("a stored file view is unreadable: {0}; run `sce doctor`")]
    BadView(#[source] serde_json::Error),
}

/// The result of attributing one commit.
#[derive(Debug, Clone)]
pub struct Attribution {
    /// The record (already stored and noted).
    pub record: TraceRecord,
}

/// The agents' view of one file being advanced during this commit.
struct WorkingView {
    view: FileView,
    last_seq: i64,
    changed: bool,
    skipped_hunks: usize,
}

/// Attributes `commit`, stores the record and writes the note. Lines the commit
/// took unchanged from earlier commits (`carry_from`; by default those its message
/// names, as cherry-pick -x and squash merges write them) keep their classes.
pub fn attribute_commit(
    repo: &Repo,
    store: &Store,
    config: &Config,
    commit: gix::ObjectId,
    carry_from: Option<&[gix::ObjectId]>,
    now: time::OffsetDateTime,
) -> Result<Attribution, PostCommitError> {
    let changes = repo.commit_changes(commit, config.attribution.max_file_bytes)?;
    let worktree = repo.location.worktree.clone();
    let evidence = Evidence::find(store, &worktree, &changes)?;
    let mut views = load_views(repo, store, &worktree, &changes.parent, &evidence.wanted)?;
    let mut write = CommitWrite::default();
    follow_moves(repo, store, &worktree, &changes, &evidence, &mut views, &mut write)?;
    let carry = {
        let mut cache = RecordCache::new(repo, &config.agent_trace.notes_ref);
        let olds = match carry_from {
            Some(olds) => olds.to_vec(),
            None => sources_named_in_message(repo, &repo.commit_message(commit).unwrap_or_default()),
        };
        CarrySources::load(&mut cache, &olds)
    };
    let mut authors = AuthorTable::default();
    let (attributed, line_edits) = classify_files(repo, store, &changes, &views, &carry, &mut authors);
    write.line_edits = line_edits;
    let skipped_hunks = settle_views(views, &evidence.deleted, &mut write)?;
    let context = CommitContext {
        sha: commit.to_string(),
        branch: repo.branch(),
        remote_url: repo.remote_url(),
        authors: authors.into_authors(),
        url_template: config.agent_trace.conversation_url_template.clone(),
        removed: changes.files.iter().map(|f| f.removed).sum::<usize>()
            + changes
                .other
                .iter()
                .map(|c| if let FileChange::Deleted { removed, .. } = c { *removed } else { 0 })
                .sum::<usize>(),
        binary_files_skipped: changes.other.iter().filter(|c| matches!(c, FileChange::Binary { .. })).count(),
        large_files_skipped: changes.other.iter().filter(|c| matches!(c, FileChange::Large { .. })).count(),
        skipped_hunks,
        carried_from: carry.commits(),
        now,
    };
    let record = build_record(&attributed, &context);
    let json = serde_json::to_value(&record).map_err(|e| RecordInvalid(e.to_string()))?;
    validate(&json)?;
    let text = serde_json::to_string(&record).map_err(|e| RecordInvalid(e.to_string()))?;
    write.record = Some((commit.to_string(), text.clone()));
    store.write_commit(&worktree, &write, now_ms(now))?;
    write_note(repo, &config.agent_trace.notes_ref, commit, text.as_bytes())?;
    tracing::debug!(commit = %commit, files = attributed.len(), "attributed the commit and wrote its record");
    Ok(Attribution { record })
}

/// Which of the paths a commit touches have any evidence: a view (one lookup
/// each) or edits not yet folded into one (the short unfolded list). The cost
/// follows the commit and the pending edits, not the history.
struct Evidence {
    /// Paths (and their rename sources) whose views the commit needs.
    wanted: BTreeSet<String>,
    /// Deleted paths with a view to forget.
    deleted: Vec<String>,
    /// Paths with edits no commit has folded yet, with their newest seq.
    unfolded: BTreeMap<String, i64>,
}

impl Evidence {
    fn find(store: &Store, worktree: &str, changes: &CommitChanges) -> Result<Evidence, PostCommitError> {
        let deleted_paths = changes.other.iter().filter_map(|c| match c {
            FileChange::Deleted { path, .. } => Some(path),
            _ => None,
        });
        let touched: Vec<String> = changes
            .files
            .iter()
            .flat_map(|f| std::iter::once(&f.path).chain(f.renamed_from.as_ref()))
            .chain(deleted_paths.clone())
            .cloned()
            .collect();
        let with_view: BTreeSet<String> = store.paths_with_view(worktree, &touched)?.into_iter().collect();
        let unfolded: BTreeMap<String, i64> = store.paths_with_new_edits(worktree)?.into_iter().collect();
        let has_evidence = |p: &str| with_view.contains(p) || unfolded.contains_key(p);
        let mut wanted: BTreeSet<String> = changes
            .files
            .iter()
            .flat_map(|f| std::iter::once(&f.path).chain(f.renamed_from.as_ref()))
            .filter(|p| has_evidence(p))
            .cloned()
            .collect();
        let deleted: Vec<String> = deleted_paths.filter(|p| has_evidence(p)).cloned().collect();
        wanted.extend(deleted.iter().cloned());
        Ok(Evidence { wanted, deleted, unfolded })
    }
}

/// Views follow files that moved: paths git saw renamed carry their view to the
/// new name, and a new file with no evidence may be an agent's file a person
/// moved (`git mv`) before committing.
fn follow_moves(
    repo: &Repo,
    store: &Store,
    worktree: &str,
    changes: &CommitChanges,
    evidence: &Evidence,
    views: &mut BTreeMap<String, WorkingView>,
    write: &mut CommitWrite,
) -> Result<(), PostCommitError> {
    for file in &changes.files {
        if let Some(from) = &file.renamed_from
            && !views.contains_key(&file.path)
            && let Some(mut moved) = views.remove(from)
        {
            moved.changed = true;
            views.insert(file.path.clone(), moved);
            write.removed_states.push(from.clone());
        }
    }
    let orphans: Vec<&ChangedFile> =
        changes.files.iter().filter(|f| f.is_new && f.renamed_from.is_none() && !views.contains_key(&f.path)).collect();
    if !orphans.is_empty() {
        adopt_moved_views(repo, store, worktree, changes, &orphans, &evidence.unfolded, views, write)?;
    }
    Ok(())
}

/// Each changed file's added lines classified against its view, then replaced by
/// the class an old commit's record gives them where the commit carries one; with,
/// per file, the stored edit behind each agent line (for `sce why`).
fn classify_files(
    repo: &Repo,
    store: &Store,
    changes: &CommitChanges,
    views: &BTreeMap<String, WorkingView>,
    carry: &CarrySources,
    authors: &mut AuthorTable,
) -> (Vec<AttributedFile>, Vec<(String, LineEdits)>) {
    let mut carried_edits = CarriedEdits::default();
    let mut line_edits = Vec::new();
    let files = changes
        .files
        .iter()
        .map(|file| {
            let lines = split_lines(&String::from_utf8_lossy(&file.content));
            let view = views.get(&file.path).map(|v| &v.view);
            let mut edits = vec![None; lines.len()];
            let mut classes: Vec<Option<Class<usize>>> = classify_added_lines(view, &lines)
                .into_iter()
                .zip(&file.added)
                .zip(&mut edits)
                .map(|((class, added), edit)| {
                    added.then(|| {
                        *edit = class.credit().and_then(|owner| owner.edit);
                        authors.attributed(view, class.map(|owner| owner.author))
                    })
                })
                .collect();
            if !carry.is_empty() {
                let carried = carry.carried(repo, &file.path, file.renamed_from.as_deref(), &lines, &file.added);
                for ((class, edit), carried) in classes.iter_mut().zip(&mut edits).zip(carried) {
                    if let Some(carried) = carried {
                        *edit = carried_edits.edit_of(store, &carried);
                        *class = Some(authors.carried(carried.class));
                    }
                }
            }
            line_edits.push((file.path.clone(), LineEdits::from_lines(&edits)));
            AttributedFile { path: file.path.clone(), lines, classes }
        })
        .collect();
    (files, line_edits)
}

/// The edits behind old commits' lines, read once per old commit and file.
#[derive(Default)]
struct CarriedEdits {
    loaded: HashMap<(gix::ObjectId, String), Option<LineEdits>>,
}

impl CarriedEdits {
    /// The stored edit that wrote a carried line, when this DB recorded it.
    fn edit_of(&mut self, store: &Store, line: &CarriedLine) -> Option<i64> {
        let edits = self.loaded.entry((line.commit, line.path.clone())).or_insert_with(|| {
            store.line_edits(&line.commit.to_string(), &line.path).unwrap_or_else(|e| {
                tracing::debug!("cannot read the line edits of {}: {e}", line.commit);
                None
            })
        });
        edits.as_ref().and_then(|edits| edits.at(line.line))
    }
}

/// The views to store after the commit: a deleted file's is emptied (what agents
/// wrote there is forgotten, the edit cursor kept), every changed one serialized.
/// Returns the agent hunks that could not be placed.
fn settle_views(
    mut views: BTreeMap<String, WorkingView>,
    deleted: &[String],
    write: &mut CommitWrite,
) -> Result<usize, PostCommitError> {
    for path in deleted {
        if let Some(mut gone) = views.remove(path) {
            gone.view = FileView::default();
            gone.changed = true;
            views.insert(path.clone(), gone);
        }
    }
    let mut skipped_hunks = 0;
    for (path, working) in views {
        skipped_hunks += working.skipped_hunks;
        if working.changed {
            let state = serde_json::to_string(&working.view).map_err(PostCommitError::BadView)?;
            write.states.push(FileStateRow { path, state, last_seq: working.last_seq });
        }
    }
    Ok(skipped_hunks)
}

fn now_ms(now: time::OffsetDateTime) -> i64 {
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Loads the stored views of `wanted` paths and advances each by its new edits.
/// Paths the agents renamed into a wanted path are loaded too, so that a file
/// created and renamed before any commit keeps its lines.
fn load_views(
    repo: &Repo,
    store: &Store,
    worktree: &str,
    parent: &Option<gix::ObjectId>,
    wanted: &BTreeSet<String>,
) -> Result<BTreeMap<String, WorkingView>, PostCommitError> {
    let mut wanted = wanted.clone();
    let mut views: BTreeMap<String, WorkingView> = BTreeMap::new();
    let mut looked_up: BTreeSet<String> = BTreeSet::new();
    let edits = loop {
        let unloaded: Vec<String> = wanted.iter().filter(|p| !looked_up.contains(*p)).cloned().collect();
        looked_up.extend(unloaded.iter().cloned());
        for row in store.file_states(worktree, &unloaded)? {
            let view: FileView = serde_json::from_str(&row.state).map_err(PostCommitError::BadView)?;
            views.insert(row.path, WorkingView { view, last_seq: row.last_seq, changed: false, skipped_hunks: 0 });
        }
        let cursors: Vec<(String, i64)> =
            wanted.iter().map(|p| (p.clone(), views.get(p).map_or(0, |v| v.last_seq))).collect();
        let edits = store.edits_for_paths(worktree, &cursors)?;
        let sources: Vec<String> =
            edits.iter().filter_map(|e| e.old_path.clone()).filter(|p| !wanted.contains(p)).collect();
        if sources.is_empty() {
            break edits;
        }
        wanted.extend(sources);
    };
    for edit in edits {
        if let Some(old) = edit.old_path.as_ref().filter(|old| **old != edit.file_path)
            && let Some(mut moved) = views.remove(old)
        {
            // The old path keeps an empty view so its folded-in edits are not replayed.
            let left =
                WorkingView { view: FileView::default(), last_seq: moved.last_seq, changed: true, skipped_hunks: 0 };
            views.insert(old.clone(), left);
            moved.changed = true;
            views.insert(edit.file_path.clone(), moved);
        }
        let working = match views.get_mut(&edit.file_path) {
            Some(working) => working,
            None => views.entry(edit.file_path.clone()).or_insert(base_view(repo, parent, &edit.file_path)),
        };
        apply_edit(working, &edit);
    }
    Ok(views)
}

/// The view a file starts from when sce first sees an agent edit of it: its
/// content in the parent commit, no line owned.
fn base_view(repo: &Repo, parent: &Option<gix::ObjectId>, path: &str) -> WorkingView {
    let content = parent.and_then(|p| repo.blob_at(p, path).ok().flatten()).unwrap_or_default();
    WorkingView {
        view: FileView::unowned(&String::from_utf8_lossy(&content)),
        last_seq: 0,
        changed: true,
        skipped_hunks: 0,
    }
}

fn apply_edit(working: &mut WorkingView, edit: &StoredEdit) {
    let author = Author {
        session_id: edit.session_id.clone(),
        model_id: edit.model_id.clone(),
        tool_name: edit.tool_name.clone(),
        tool_version: edit.tool_version.clone(),
    };
    let outcome = if edit.status.as_deref() == Some("deleted") {
        working.view.apply_stored(&author, Some(edit.seq), EditContent::Deleted)
    } else if let Some(after) = &edit.after {
        working.view.apply_stored(&author, Some(edit.seq), EditContent::Full { before: edit.before.as_deref(), after })
    } else if let Some(hunks) = edit.patch.as_deref().and_then(|p| unidiff::parse(p).ok()) {
        working.view.apply_stored(&author, Some(edit.seq), EditContent::Patch(&hunks))
    } else {
        Default::default()
    };
    working.skipped_hunks += outcome.skipped_hunks;
    working.last_seq = working.last_seq.max(edit.seq);
    working.changed = true;
}

/// For new files without evidence, finds the view of a path that no longer
/// exists in the commit and whose lines the file mostly repeats, and moves it.
#[allow(clippy::too_many_arguments)]
fn adopt_moved_views(
    repo: &Repo,
    store: &Store,
    worktree: &str,
    changes: &CommitChanges,
    orphans: &[&ChangedFile],
    new_edit_paths: &BTreeMap<String, i64>,
    views: &mut BTreeMap<String, WorkingView>,
    write: &mut CommitWrite,
) -> Result<(), PostCommitError> {
    // Candidates: paths with edits no commit has folded yet (an agent's new file a
    // person moved before committing it). Views of paths deleted by commits sce did
    // not see are not searched: that would read every view at every such commit.
    let vanished: BTreeSet<String> = new_edit_paths
        .keys()
        .filter(|p| !views.contains_key(*p))
        .filter(|p| !repo.path_in_commit(changes.commit, p).unwrap_or(true))
        .cloned()
        .collect();
    if vanished.is_empty() {
        return Ok(());
    }
    let mut candidates = load_views(repo, store, worktree, &changes.parent, &vanished)?;
    for orphan in orphans {
        let lines = split_lines(&String::from_utf8_lossy(&orphan.content));
        let best = candidates
            .iter()
            .map(|(path, working)| (path.clone(), owned_match_share(&working.view, &lines)))
            .filter(|(_, share)| *share >= MOVE_MATCH_THRESHOLD)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((from, _)) = best
            && let Some(mut moved) = candidates.remove(&from)
        {
            moved.changed = true;
            views.insert(orphan.path.clone(), moved);
            write.removed_states.push(from);
        }
    }
    Ok(())
}

/// Share of `lines` that align with owned lines of `view`.
fn owned_match_share(view: &FileView, lines: &[String]) -> f32 {
    if lines.is_empty() || !view.has_owned_lines() {
        return 0.0;
    }
    let owned = classify_added_lines(Some(view), lines).iter().filter(|c| c.credit().is_some()).count();
    owned as f32 / lines.len() as f32
}

/// The sessions a record credits, each once, in first-seen order.
#[derive(Default)]
struct AuthorTable {
    authors: Vec<Author>,
    index: HashMap<Author, usize>,
}

impl AuthorTable {
    /// The author's index. A session whose model was not known yet for some of its
    /// edits (an agent's hook can run before its transcript names the model) is
    /// one author: the one with the model.
    fn index_of(&mut self, author: &Author) -> usize {
        if let Some(index) = self.index.get(author) {
            return *index;
        }
        let same_session = |a: &Author| a.session_id == author.session_id && a.tool_name == author.tool_name;
        let known = match &author.model_id {
            None => self.authors.iter().position(|a| same_session(a) && a.model_id.is_some()),
            Some(_) => self.authors.iter().position(|a| same_session(a) && a.model_id.is_none()).inspect(|i| {
                let entry = &mut self.authors[*i];
                entry.model_id.clone_from(&author.model_id);
                if entry.tool_version.is_none() {
                    entry.tool_version.clone_from(&author.tool_version);
                }
            }),
        };
        if let Some(index) = known {
            self.index.insert(author.clone(), index);
            return index;
        }
        self.authors.push(author.clone());
        self.index.insert(author.clone(), self.authors.len() - 1);
        self.authors.len() - 1
    }

    /// A view-based class, with the view's author index made global.
    fn attributed(&mut self, view: Option<&FileView>, class: Class<u32>) -> Class<usize> {
        let author = |a: u32| view.and_then(|v| v.authors.get(a as usize));
        class.map(author).transpose().unwrap_or(Class::Unknown).map(|author| self.index_of(author))
    }

    /// A class carried from an earlier commit's record.
    fn carried(&mut self, class: Class<Author>) -> Class<usize> {
        class.map(|author| self.index_of(&author))
    }

    fn into_authors(self) -> Vec<Author> {
        self.authors
    }
}

/// Why a commit was left without a record, shared by every [`Unrecorded`] of
/// one failure (a store that would not open leaves each rewritten commit so).
pub type UnrecordedReason = std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>;

/// A commit left without a record: why, and whether it was marked for
/// `sce trace backfill`. Its message is the one line hooks print.
#[derive(Debug, thiserror::Error)]
#[error("{reason}; {}", backfill_hint(*.commit, .mark_failed.as_ref()))]
pub struct Unrecorded {
    /// The commit.
    pub commit: gix::ObjectId,
    /// Why it has no record.
    #[source]
    pub reason: UnrecordedReason,
    /// Why it could not be marked for backfill either, when it could not.
    pub mark_failed: Option<std::io::Error>,
}

fn backfill_hint(commit: gix::ObjectId, mark_failed: Option<&std::io::Error>) -> String {
    match mark_failed {
        None => "the commit is kept; run `sce trace backfill` to record it".to_string(),
        Some(e) => format!(
            "the commit is kept, but it could not be marked for backfill ({e}); run `sce trace backfill {commit}` to record it"
        ),
    }
}

/// Marks `commit` for `sce trace backfill` because of `reason`; a marker that
/// cannot be written is kept in the answer, never dropped.
pub fn mark_unrecorded(
    repo: &Repo,
    paths: &crate::store::StorePaths,
    commit: gix::ObjectId,
    reason: UnrecordedReason,
) -> Unrecorded {
    let mark_failed =
        crate::store::pending::mark(paths, &commit.to_string(), &repo.location.worktree, &reason.to_string()).err();
    Unrecorded { commit, reason, mark_failed }
}

/// What post-commit, post-rewrite and backfill do with one commit: attribute it
/// ([`attribute_commit`]), or mark it for `sce trace backfill` and say why.
pub fn attribute_or_mark(
    repo: &Repo,
    store: &Store,
    paths: &crate::store::StorePaths,
    config: &Config,
    commit: gix::ObjectId,
    carry_from: Option<&[gix::ObjectId]>,
    now: time::OffsetDateTime,
) -> Result<Attribution, Unrecorded> {
    attribute_commit(repo, store, config, commit, carry_from, now)
        .map_err(|e| mark_unrecorded(repo, paths, commit, std::sync::Arc::new(e)))
}

#[cfg(test)]
mod author_table_tests {
    use super::*;

    #[test]
    fn a_session_whose_model_came_late_is_one_author() {
        let without = Author {
            session_id: "s".into(),
            model_id: None,
            tool_name: Some("claude-code".into()),
            tool_version: None,
        };
        let with = Author { model_id: Some("anthropic/m".into()), tool_version: Some("2.1".into()), ..without.clone() };
        let other = Author { model_id: Some("anthropic/other".into()), ..with.clone() };
        let mut table = AuthorTable::default();
        assert_eq!(table.index_of(&without), 0);
        assert_eq!(table.index_of(&with), 0);
        assert_eq!(table.index_of(&without), 0);
        // A session that switched models keeps both.
        assert_eq!(table.index_of(&other), 1);
        let authors = table.into_authors();
        assert_eq!(authors[0].model_id.as_deref(), Some("anthropic/m"));
        assert_eq!(authors[0].tool_version.as_deref(), Some("2.1"));
    }
}
