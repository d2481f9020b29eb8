//! The agents' view of one file: its lines, each with the author that last wrote it.

use std::collections::HashMap;

use super::align::{Source, Step, added_mask, align, blank_runs, slides};
use super::lines::split_lines;
use super::similarity::{MIXED_THRESHOLD, mixed_similarity, pair_lines, similarity_at_least};
use crate::unidiff::{Hunk, HunkLine};
use serde::{Deserialize, Serialize};

/// An agent session that wrote lines.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Author {
    /// The agent's session id.
    pub session_id: String,
    /// `provider/model`, when known.
    pub model_id: Option<String>,
    /// The agent tool (e.g. `opencode`).
    pub tool_name: Option<String>,
    /// The agent tool's version.
    pub tool_version: Option<String>,
}

/// What an edit says about the file.
#[derive(Debug, Clone, Copy)]
pub enum EditContent<'a> {
    /// The whole content after the edit, and before it when known.
    Full {
        /// Content just before the agent's edit (reveals human edits since the last one).
        before: Option<&'a str>,
        /// Content after the edit.
        after: &'a str,
    },
    /// A unified diff of the file.
    Patch(&'a [Hunk]),
    /// The agent deleted the file.
    Deleted,
}

/// How much of an edit could be used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// Hunks placed and applied.
    pub applied_hunks: usize,
    /// Hunks whose lines were not found unambiguously in the view; left out rather than guessed.
    pub skipped_hunks: usize,
}

/// Who last wrote a line of a view: a session (index into the view's
/// `authors`) and, when known, the stored edit (its part's seq) — what
/// `sce why` follows from a committed line back to the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineOwner {
    /// Index into the view's `authors`.
    pub author: u32,
    /// The stored edit that wrote the line; `None` for views stored before
    /// sce kept it, and for edits not from the DB.
    pub edit: Option<i64>,
}

/// The agents' view of a file's content with a per-line owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "StoredFileView")]
pub struct FileView {
    /// The lines, without terminators (see [`split_lines`]).
    pub lines: Vec<String>,
    /// Per line: the session (and edit) that wrote it, or `None` (no agent evidence).
    pub owners: Vec<Option<LineOwner>>,
    /// The sessions that own lines of this file.
    pub authors: Vec<Author>,
    /// Per line, for an agent's line a person has since changed (and that is
    /// still mostly the agent's): the text the agent wrote, against which the
    /// committed line is judged mixed. Empty when no line is (views stored
    /// before this field existed read back so); else as long as `lines`.
    pub edited: Vec<Option<String>>,
}

/// A view as stored: owners and the edits that wrote them in two arrays, so
/// views stored before edits were kept read back (without edits) and views
/// without edits store exactly as before.
#[derive(Deserialize)]
struct StoredFileView {
    lines: Vec<String>,
    owners: Vec<Option<u32>>,
    authors: Vec<Author>,
    #[serde(default, skip_serializing_if = "no_edited_lines")]
    edited: Vec<Option<String>>,
    /// Per line, the seq of the edit that wrote it; empty when none is known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    edits: Vec<Option<i64>>,
}

impl From<StoredFileView> for FileView {
    fn from(stored: StoredFileView) -> FileView {
        let owners = stored
            .owners
            .iter()
            .enumerate()
            .map(|(i, owner)| owner.map(|author| LineOwner { author, edit: stored.edits.get(i).copied().flatten() }))
            .collect();
        FileView { lines: stored.lines, owners, authors: stored.authors, edited: stored.edited }
    }
}

/// [`StoredFileView`] as written, borrowing the view's lines and authors (a view is
/// written at every commit that changes its file: no copy of its text).
#[derive(Serialize)]
struct StoredFileViewRef<'v> {
    lines: &'v [String],
    owners: Vec<Option<u32>>,
    authors: &'v [Author],
    #[serde(skip_serializing_if = "no_edited_lines")]
    edited: &'v [Option<String>],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    edits: Vec<Option<i64>>,
}

impl Serialize for FileView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let edits: Vec<Option<i64>> = self.owners.iter().map(|o| o.and_then(|o| o.edit)).collect();
        StoredFileViewRef {
            lines: &self.lines,
            owners: self.owners.iter().map(|o| o.map(|o| o.author)).collect(),
            authors: &self.authors,
            edited: &self.edited,
            edits: if edits.iter().all(Option::is_none) { Vec::new() } else { edits },
        }
        .serialize(serializer)
    }
}

fn no_edited_lines(edited: &[Option<String>]) -> bool {
    edited.iter().all(Option::is_none)
}

impl FileView {
    /// A view of `text` in which no line is an agent's.
    pub fn unowned(text: &str) -> FileView {
        let lines = split_lines(text);
        FileView { owners: vec![None; lines.len()], lines, authors: Vec::new(), edited: Vec::new() }
    }

    /// The author of line `index`, if an agent wrote it.
    pub fn owner(&self, index: usize) -> Option<&Author> {
        self.owners.get(index).copied().flatten().and_then(|a| self.authors.get(a.author as usize))
    }

    /// The text the agent wrote for line `index` (what a person's change of it
    /// is measured against), or `None` when no agent wrote it.
    pub fn agent_text(&self, index: usize) -> Option<&str> {
        self.owners.get(index).copied().flatten()?;
        match self.edited.get(index) {
            Some(Some(text)) => Some(text),
            _ => self.lines.get(index).map(String::as_str),
        }
    }

    /// True when some line is an agent's.
    pub fn has_owned_lines(&self) -> bool {
        self.owners.iter().any(Option::is_some)
    }

    fn author_index(&mut self, author: &Author) -> u32 {
        match self.authors.iter().position(|a| a == author) {
            Some(index) => index as u32,
            None => {
                self.authors.push(author.clone());
                (self.authors.len() - 1) as u32
            }
        }
    }

    /// Advances the view by one agent edit not known to the DB.
    pub fn apply(&mut self, author: &Author, edit: EditContent<'_>) -> ApplyOutcome {
        self.apply_stored(author, None, edit)
    }

    /// Advances the view by one agent edit; the lines it writes remember `seq`,
    /// the stored edit's.
    pub fn apply_stored(&mut self, author: &Author, seq: Option<i64>, edit: EditContent<'_>) -> ApplyOutcome {
        self.edited.resize(self.lines.len(), None);
        let outcome = match edit {
            EditContent::Full { before, after } => {
                // Lines that differ between the view and `before` were changed by
                // someone sce does not watch.
                let by_person = match before {
                    Some(before) => self.resync(split_lines(before)),
                    None => vec![false; self.lines.len()],
                };
                let owner = LineOwner { author: self.author_index(author), edit: seq };
                self.write(split_lines(after), owner, &by_person);
                ApplyOutcome { applied_hunks: 1, skipped_hunks: 0 }
            }
            EditContent::Patch(hunks) => {
                let owner = LineOwner { author: self.author_index(author), edit: seq };
                self.apply_hunks(hunks, owner)
            }
            EditContent::Deleted => {
                self.lines.clear();
                self.owners.clear();
                self.edited.clear();
                ApplyOutcome { applied_hunks: 1, skipped_hunks: 0 }
            }
        };
        self.collect_unused_authors();
        if no_edited_lines(&self.edited) {
            self.edited.clear();
        }
        outcome
    }

    /// Makes the view's content `now`, the file as someone sce does not watch
    /// left it. A changed line that is still mostly an agent's line (the mixed
    /// rule, the one a commit applies) keeps its owner and remembers the agent's
    /// text; every other changed line has no owner. An agent's blank line that
    /// an equally good alignment would give to one of the person's blank lines
    /// loses its owner too. Returns, per new line, whether the person wrote it.
    fn resync(&mut self, now: Vec<String>) -> Vec<bool> {
        let steps = align(&self.lines, &now);
        // Pass 1: within each changed block, the mixed rule pairs new lines with agent lines.
        let mut pairs: Vec<Option<(usize, f64)>> = vec![None; now.len()];
        let mut consumed = vec![false; self.lines.len()];
        for step in &steps {
            if let Step::Change { old, old_len, new, new_len } = *step {
                let found = pair_lines(old_len, |i| self.agent_text(old + i), &now[new..new + new_len]);
                for (j, pair) in found.into_iter().enumerate() {
                    if let Some((i, score)) = pair {
                        pairs[new + j] = Some((old + i, score));
                        consumed[old + i] = true;
                    }
                }
            }
        }
        // Pass 2: an unpaired new line with the text of an agent line the change
        // removed elsewhere was moved, not written: it keeps that line's owner.
        let mut moved = RemovedLines::of(&self.lines, &steps, |i| {
            !consumed[i] && self.owners[i].is_some() && is_substantive(&self.lines[i])
        });
        let mut owners = Vec::with_capacity(now.len());
        let mut edited = Vec::with_capacity(now.len());
        let mut by_person = Vec::with_capacity(now.len());
        for step in &steps {
            match *step {
                Step::Equal { old, len, .. } => {
                    owners.extend_from_slice(&self.owners[old..old + len]);
                    edited.extend_from_slice(&self.edited[old..old + len]);
                    by_person.extend(std::iter::repeat_n(false, len));
                }
                Step::Change { new, new_len, .. } => {
                    for j in new..new + new_len {
                        if let Some((i, score)) = pairs[j] {
                            owners.push(self.owners[i]);
                            let agent = self.agent_text(i).map(str::to_string);
                            let exact = score >= 1.0 && agent.as_deref() == Some(now[j].as_str());
                            edited.push(if exact { None } else { agent });
                            by_person.push(false);
                        } else if let Some(i) = moved.take(&now[j]) {
                            owners.push(self.owners[i]);
                            edited.push(self.edited[i].clone());
                            by_person.push(false);
                        } else {
                            owners.push(None);
                            edited.push(None);
                            by_person.push(true);
                        }
                    }
                }
            }
        }
        // A person's blank line an equally good alignment would trade with an agent's.
        let added = added_mask(&steps, now.len());
        for slide in slides(&now, &added) {
            let aligned = slide.aligned();
            let low = slide.window().start;
            for alternative in slide.alternatives() {
                for (k, source) in alternative.iter().enumerate() {
                    let here = low + k;
                    if owners[here].is_some()
                        && matches!(aligned[k], Source::Kept(_))
                        && now[here].trim().is_empty()
                        && let Source::Added(i) = source
                        && by_person[slide.start + i]
                    {
                        owners[here] = None;
                        edited[here] = None;
                    }
                }
            }
        }
        // In a run of blank lines the person added to, which are the agent's is a coin toss.
        for run in blank_runs(&now) {
            if run.clone().any(|p| by_person[p]) {
                for p in run {
                    owners[p] = None;
                    edited[p] = None;
                }
            }
        }
        self.lines = now;
        self.owners = owners;
        self.edited = edited;
        by_person
    }

    /// Makes the view's content `after`, an agent's edit: lines the alignment
    /// keeps keep their owner, the others are `author`'s, except an added blank
    /// line that an equally good alignment would trade with a blank line a
    /// person just wrote (`by_person`, per current line) or another session
    /// wrote: neither of the two is anyone's.
    fn write(&mut self, after: Vec<String>, author: LineOwner, by_person: &[bool]) {
        let steps = align(&self.lines, &after);
        let mut moved = RemovedLines::of(&self.lines, &steps, |_| true);
        let mut owners = Vec::with_capacity(after.len());
        let mut edited = Vec::with_capacity(after.len());
        let mut person = Vec::with_capacity(after.len());
        for step in &steps {
            match *step {
                Step::Equal { old, len, .. } => {
                    owners.extend_from_slice(&self.owners[old..old + len]);
                    edited.extend_from_slice(&self.edited[old..old + len]);
                    person.extend_from_slice(&by_person[old..old + len]);
                }
                Step::Change { new, new_len, .. } => {
                    for line in &after[new..new + new_len] {
                        // A line the edit removed elsewhere and put back was moved, not written.
                        match moved.take(line) {
                            Some(i) => {
                                owners.push(self.owners[i]);
                                edited.push(self.edited[i].clone());
                                person.push(by_person[i]);
                            }
                            None => {
                                owners.push(Some(author));
                                edited.push(None);
                                person.push(false);
                            }
                        }
                    }
                }
            }
        }
        let added = added_mask(&steps, after.len());
        self.lines = after;
        self.owners = owners;
        self.edited = edited;
        self.settle_coin_tosses(&added, author.author, &person);
    }

    /// A blank line `author`'s edit added (`added`, per line) that an equally
    /// good alignment would trade with a blank line a person just wrote
    /// (`by_person`, per line) or another session wrote: a coin toss, so neither
    /// of the two is anyone's.
    fn settle_coin_tosses(&mut self, added: &[bool], author: u32, by_person: &[bool]) {
        let mut coin_tosses = Vec::new();
        for slide in slides(&self.lines, added) {
            let low = slide.window().start;
            for alternative in slide.alternatives() {
                for (k, source) in alternative.iter().enumerate() {
                    if let Source::Kept(p) = *source
                        && added[low + k]
                        && self.lines[low + k].trim().is_empty()
                        && (by_person[p] || self.owners[p].is_some_and(|o| o.author != author))
                    {
                        coin_tosses.extend([low + k, p]);
                    }
                }
            }
        }
        // In a run of blank lines, which ones the edit added is arbitrary.
        for run in blank_runs(&self.lines) {
            let others =
                run.clone().any(|p| !added[p] && (by_person[p] || self.owners[p].is_some_and(|o| o.author != author)));
            if others && run.clone().any(|p| added[p]) {
                coin_tosses.extend(run.filter(|p| added[*p] || self.owners[*p].is_some_and(|o| o.author != author)));
            }
        }
        for p in coin_tosses {
            self.owners[p] = None;
            self.edited[p] = None;
        }
    }

    /// Applies hunks in order. A hunk is placed where its old lines stand at the
    /// expected position, else at the one place after the previous hunk where
    /// they stand; a hunk that matches nowhere or in several places is skipped.
    fn apply_hunks(&mut self, hunks: &[Hunk], author: LineOwner) -> ApplyOutcome {
        let mut outcome = ApplyOutcome::default();
        let mut drift: isize = 0;
        let mut floor = 0usize;
        let mut search_budget = PLACEMENT_COMPARISON_BUDGET;
        let mut disown_budget = DISOWN_COMPARISON_BUDGET;
        let mut tweak_budget = TWEAKED_PLACEMENT_BUDGET;
        // Per line: written by this edit / a person's, as the hunks' context showed.
        // Hunks go in order, so every mark lies before `floor`.
        let mut fresh = vec![false; self.lines.len()];
        let mut by_person = vec![false; self.lines.len()];
        // Texts the patch removes anywhere: one it adds back in another hunk was
        // moved (or the diff chose to delete and re-add it), not written.
        let mut removed_anywhere: HashMap<&str, usize> = HashMap::new();
        for hunk in hunks {
            for line in &hunk.lines {
                if let HunkLine::Removed(text) = line {
                    *removed_anywhere.entry(strip_cr(text)).or_default() += 1;
                }
            }
        }
        for hunk in hunks {
            let old: Vec<&str> = hunk.old_lines().map(strip_cr).collect();
            // `-N,len` names the first old line (1-based); a pure insertion's N is
            // the line after which it goes, i.e. its 0-based insertion index.
            let stated = if old.is_empty() { hunk.old_start as isize } else { hunk.old_start as isize - 1 };
            let expected = (stated + drift).max(floor as isize) as usize;
            let position = if old.is_empty() {
                (expected <= self.lines.len()).then_some(expected)
            } else if self.matches_at(expected, &old) {
                Some(expected)
            } else {
                self.unique_match_after(floor, &old, &mut search_budget)
                    .or_else(|| {
                        let found = self.tweaked_match(floor, expected, &old, &mut tweak_budget)?;
                        self.take_tweaks(found, &old);
                        Some(found)
                    })
                    .or_else(|| {
                        let (start, person) = self.resync_region(floor, expected, &old)?;
                        by_person.resize(self.lines.len(), false);
                        by_person[start..start + person.len()].copy_from_slice(&person);
                        Some(start)
                    })
            };
            fresh.resize(self.lines.len(), false);
            by_person.resize(self.lines.len(), false);
            let Some(position) = position else {
                outcome.skipped_hunks += 1;
                self.disown_rewritten(hunk, &mut disown_budget);
                continue;
            };
            // A line removed and added again with the same text (e.g. only its final
            // newline changed) was not written by this edit: it keeps its owner.
            let mut removed: Vec<(&str, Option<LineOwner>, Option<String>)> = Vec::new();
            let mut cursor = position;
            for line in &hunk.lines {
                match line {
                    HunkLine::Context(_) => cursor += 1,
                    HunkLine::Removed(text) => {
                        removed.push((strip_cr(text), self.owners[cursor], self.edited[cursor].clone()));
                        cursor += 1;
                    }
                    HunkLine::Added(_) => {}
                }
            }
            let mut lines = Vec::new();
            let mut owners = Vec::new();
            let mut edited = Vec::new();
            let mut written = Vec::new();
            let mut person = Vec::new();
            let mut cursor = position;
            for line in &hunk.lines {
                match line {
                    HunkLine::Context(_) => {
                        lines.push(self.lines[cursor].clone());
                        owners.push(self.owners[cursor]);
                        edited.push(self.edited[cursor].clone());
                        written.push(false);
                        person.push(by_person[cursor]);
                        cursor += 1;
                    }
                    HunkLine::Removed(_) => cursor += 1,
                    HunkLine::Added(text) => {
                        let text = strip_cr(text);
                        let elsewhere = removed_anywhere.get_mut(text).filter(|n| **n > 0);
                        let (owner, was_edited, new) = match removed.iter().position(|(old, _, _)| *old == text) {
                            Some(i) => {
                                let (_, owner, was_edited) = removed.remove(i);
                                if let Some(n) = elsewhere {
                                    *n -= 1;
                                }
                                (owner, was_edited, false)
                            }
                            // Moved from another hunk: whose it was is not known here.
                            None if elsewhere.is_some() => {
                                if let Some(n) = elsewhere {
                                    *n -= 1;
                                }
                                (None, None, false)
                            }
                            None => (Some(author), None, true),
                        };
                        lines.push(text.to_string());
                        owners.push(owner);
                        edited.push(was_edited);
                        written.push(new);
                        person.push(false);
                    }
                }
            }
            let inserted = lines.len();
            self.lines.splice(position..position + old.len(), lines);
            self.owners.splice(position..position + old.len(), owners);
            self.edited.splice(position..position + old.len(), edited);
            fresh.splice(position..position + old.len(), written);
            by_person.splice(position..position + old.len(), person);
            drift = position as isize + inserted as isize - (stated + old.len() as isize);
            floor = position + inserted;
            outcome.applied_hunks += 1;
        }
        if fresh.iter().any(|f| *f) {
            self.settle_coin_tosses(&fresh, author.author, &by_person);
        }
        outcome
    }

    /// A hunk that could not be placed still says which lines the agent rewrote,
    /// though not where. Every owned view line that is, or may have been edited
    /// into, one of its removed lines (similar enough to count as mixed) loses its
    /// owner: the line now in the file is the agent's rewrite of it, and must not be
    /// credited to whoever wrote the old text. Under-credit, never mis-credit.
    ///
    /// Owned × removed lines can be millions of pairs: equal texts are decided
    /// once, a length check skips pairs that cannot reach the threshold, and once
    /// the edit's `budget` (see [`DISOWN_COMPARISON_BUDGET`]) is spent every
    /// undecided owned line that has a length-compatible removed line is disowned
    /// without comparing.
    fn disown_rewritten(&mut self, hunk: &Hunk, budget: &mut usize) {
        // Distinct removed texts, trimmed, ordered by length in chars.
        let mut removed: Vec<(usize, &str)> = hunk
            .lines
            .iter()
            .filter_map(|l| if let HunkLine::Removed(t) = l { Some(strip_cr(t).trim()) } else { None })
            .map(|t| (t.chars().count(), t))
            .collect();
        removed.sort_unstable();
        removed.dedup();
        let mut decided: HashMap<&str, bool> = HashMap::new();
        let mut disowned = vec![false; self.lines.len()];
        for (index, line) in self.lines.iter().enumerate() {
            if self.owners[index].is_none() {
                continue;
            }
            let text = line.trim();
            disowned[index] = match decided.get(text) {
                Some(&decision) => decision,
                None => {
                    let decision = may_descend_from_any(text, &removed, budget);
                    decided.insert(text, decision);
                    decision
                }
            };
        }
        for (index, disown) in disowned.into_iter().enumerate() {
            if disown {
                self.owners[index] = None;
                self.edited[index] = None;
            }
        }
    }

    /// The one position at or after `floor` where `old` stands in the view; `None`
    /// when there is none, more than one, or the search would cost more line
    /// comparisons than `budget` has left (long runs of equal lines, e.g. blank
    /// ones, make a naive search quadratic): such a hunk is skipped like an
    /// unplaceable one.
    fn unique_match_after(&self, floor: usize, old: &[&str], budget: &mut usize) -> Option<usize> {
        let last = self.lines.len().checked_sub(old.len())?;
        let mut found = None;
        for position in floor..=last {
            let mut matched = true;
            for (line, expected) in self.lines[position..position + old.len()].iter().zip(old) {
                *budget = budget.checked_sub(1)?;
                if line != expected {
                    matched = false;
                    break;
                }
            }
            if matched {
                if found.is_some() {
                    return None;
                }
                found = Some(position);
            }
        }
        found
    }

    /// Whether a hunk's old lines stand at `position` except for lines a person
    /// changed since: each still at least [`MIXED_THRESHOLD`] similar, and most
    /// lines equal. Spends `budget` (one per line compared).
    fn fits_with_tweaks(&self, position: usize, old: &[&str], budget: &mut usize) -> bool {
        if position + old.len() > self.lines.len() || old.is_empty() {
            return false;
        }
        let here = &self.lines[position..position + old.len()];
        *budget = budget.saturating_sub(old.len());
        let equal = here.iter().zip(old).filter(|(a, b)| a == b).count();
        2 * equal >= old.len()
            && here.iter().zip(old).all(|(a, b)| a == b || similarity_at_least(a, b, MIXED_THRESHOLD).is_some())
    }

    /// The one position at or after `floor` where a hunk fits with a person's
    /// tweaks ([`Self::fits_with_tweaks`]), preferring `expected`; `None` when
    /// there is none, several, or the budget runs out.
    fn tweaked_match(&self, floor: usize, expected: usize, old: &[&str], budget: &mut usize) -> Option<usize> {
        if self.fits_with_tweaks(expected, old, budget) {
            return Some(expected);
        }
        let last = self.lines.len().checked_sub(old.len())?;
        let mut found = None;
        for position in (floor..=last).filter(|p| *p != expected) {
            if *budget == 0 {
                return None;
            }
            if self.fits_with_tweaks(position, old, budget) {
                if found.is_some() {
                    return None;
                }
                found = Some(position);
            }
        }
        found
    }

    /// The hunk's old lines tell what the file held at `position`: the view
    /// takes the person's text there, applying the mixed rule (an agent's line
    /// still similar keeps its owner and remembers the agent's text).
    fn take_tweaks(&mut self, position: usize, old: &[&str]) {
        for (k, text) in old.iter().enumerate() {
            let i = position + k;
            if self.lines[i] == *text {
                continue;
            }
            let agent = self.agent_text(i).map(str::to_string);
            self.edited[i] = match agent {
                Some(agent) if agent == *text => None,
                Some(agent) if mixed_similarity(&agent, text).is_some() => Some(agent),
                _ => {
                    self.owners[i] = None;
                    None
                }
            };
            self.lines[i] = text.to_string();
        }
    }

    /// A hunk whose old lines are mostly in the view near where it says, with
    /// lines a person inserted, removed or changed in between (its context shows
    /// the file as the agent saw it): the view's region there is resynced to the
    /// hunk's old lines as `before` would resync it (the mixed rule for changed
    /// agent lines, none for the person's), and the hunk is placed at its start,
    /// returned with which of the region's lines the person wrote.
    /// `None`, changing nothing, when fewer than half the old lines (or only
    /// punctuation) are found in order near `expected`, or the hunk is too big to look.
    fn resync_region(&mut self, floor: usize, expected: usize, old: &[&str]) -> Option<(usize, Vec<bool>)> {
        if old.is_empty() || old.len() > REGION_RESYNC_MAX_LINES {
            return None;
        }
        let slack = old.len() + 16;
        let low = expected.saturating_sub(slack).max(floor).min(self.lines.len());
        let high = (expected + old.len() + slack).min(self.lines.len());
        let wanted: Vec<String> = old.iter().map(|l| l.to_string()).collect();
        let steps = align(&self.lines[low..high], &wanted);
        let mut equal = 0;
        // At least one equal line that is more than punctuation: `}` alone places nothing.
        let mut substantive = false;
        let (mut start, mut end) = (None, 0);
        for step in &steps {
            let (window_at, window_len, hunk_len) = match *step {
                Step::Equal { old, new, len } => {
                    equal += len;
                    substantive |= wanted[new..new + len].iter().any(|l| l.chars().any(char::is_alphanumeric));
                    (old, len, len)
                }
                Step::Change { old, old_len, new_len, .. } => (old, old_len, new_len),
            };
            if hunk_len > 0 {
                start.get_or_insert(low + window_at);
                end = low + window_at + window_len;
            }
        }
        let start = start?;
        if 2 * equal < old.len() || !substantive {
            return None;
        }
        let mut region = FileView {
            lines: self.lines[start..end].to_vec(),
            owners: self.owners[start..end].to_vec(),
            authors: std::mem::take(&mut self.authors),
            edited: self.edited[start..end].to_vec(),
        };
        let by_person = region.resync(wanted);
        self.authors = std::mem::take(&mut region.authors);
        self.lines.splice(start..end, region.lines);
        self.owners.splice(start..end, region.owners);
        self.edited.splice(start..end, region.edited);
        Some((start, by_person))
    }

    fn matches_at(&self, position: usize, old: &[&str]) -> bool {
        position + old.len() <= self.lines.len()
            && self.lines[position..position + old.len()].iter().zip(old).all(|(a, b)| a == b)
    }

    /// Drops authors no line refers to any more, so stored views stay small.
    fn collect_unused_authors(&mut self) {
        let mut used = vec![false; self.authors.len()];
        for owner in self.owners.iter().flatten() {
            used[owner.author as usize] = true;
        }
        if used.iter().all(|u| *u) {
            return;
        }
        let mut remap = vec![0u32; self.authors.len()];
        let mut kept = Vec::new();
        for (index, author) in std::mem::take(&mut self.authors).into_iter().enumerate() {
            if used[index] {
                remap[index] = kept.len() as u32;
                kept.push(author);
            }
        }
        for owner in self.owners.iter_mut().flatten() {
            owner.author = remap[owner.author as usize];
        }
        self.authors = kept;
    }
}

/// The lines an alignment removes, by text, so that a line put back elsewhere
/// (moved, or reordered by a diff that had two equally short choices) keeps the
/// author it had instead of being credited to whoever moved it.
pub(super) struct RemovedLines<'a> {
    by_text: HashMap<&'a str, std::collections::VecDeque<usize>>,
}

impl<'a> RemovedLines<'a> {
    /// The removed lines of `old` that `eligible` accepts, in order.
    pub(super) fn of(old: &'a [String], steps: &[Step], eligible: impl Fn(usize) -> bool) -> RemovedLines<'a> {
        let mut by_text: HashMap<&str, std::collections::VecDeque<usize>> = HashMap::new();
        for step in steps {
            if let Step::Change { old: at, old_len, .. } = *step {
                for i in (at..at + old_len).filter(|i| eligible(*i)) {
                    by_text.entry(old[i].as_str()).or_default().push_back(i);
                }
            }
        }
        RemovedLines { by_text }
    }

    /// The first unused removed line with `text`, if any.
    pub(super) fn take(&mut self, text: &str) -> Option<usize> {
        self.by_text.get_mut(text)?.pop_front()
    }
}

/// A line with more than punctuation and white space: its text says something
/// about where it came from (a `}` or a blank line does not).
pub(super) fn is_substantive(line: &str) -> bool {
    line.chars().any(char::is_alphanumeric)
}

/// Line comparisons one patch may spend looking for hunks that moved
/// ([`FileView::unique_match_after`]); ≈ 45 ms. Past it the remaining moved hunks
/// are skipped. A count, not a clock, like [`DISOWN_COMPARISON_BUDGET`].
const PLACEMENT_COMPARISON_BUDGET: usize = 10_000_000;

/// Hunks with more old lines than this are not looked for line by line among a
/// person's changes ([`FileView::resync_region`]): they are skipped as unplaceable.
const REGION_RESYNC_MAX_LINES: usize = 2_000;

/// Lines one patch may compare looking for where a hunk stands with a person's
/// tweaks ([`FileView::tweaked_match`]): similarity is computed only for the
/// differing lines of positions where most lines are equal. A count, not a clock.
const TWEAKED_PLACEMENT_BUDGET: usize = 1_000_000;

/// Line-pair similarity comparisons [`FileView::disown_rewritten`] may spend on
/// the unplaceable hunks of one patch (≈ 0.3 µs each for code-length lines, so
/// ≈ 75 ms at worst, e.g. 500 removed lines against 500 owned ones). A count,
/// not a clock, so that a commit is attributed the same on every machine.
const DISOWN_COMPARISON_BUDGET: usize = 250_000;

/// Whether `text` (trimmed) could be one of the `removed` texts (trimmed, sorted
/// by char length) edited, by sce's mixed rule (≥ 0.5 similarity). Similarity
/// ≥ 0.5 needs 3 · shorter ≥ longer, so only that length range is compared; when
/// the budget runs out, a line with any candidate counts as a descendant.
fn may_descend_from_any(text: &str, removed: &[(usize, &str)], budget: &mut usize) -> bool {
    let length = text.chars().count();
    if removed.binary_search(&(length, text)).is_ok() {
        return true;
    }
    let low = removed.partition_point(|(l, _)| l * 3 < length);
    let high = removed.partition_point(|(l, _)| *l <= length * 3);
    for (_, old) in &removed[low..high.max(low)] {
        if *budget == 0 {
            return true;
        }
        *budget -= 1;
        if similarity_at_least(text, old, MIXED_THRESHOLD).is_some() {
            return true;
        }
    }
    false
}

fn strip_cr(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn author(id: &str) -> Author {
        Author { session_id: id.into(), model_id: Some(format!("p/{id}")), tool_name: None, tool_version: None }
    }

    fn owners(view: &FileView) -> Vec<Option<&str>> {
        (0..view.lines.len()).map(|i| view.owner(i).map(|a| a.session_id.as_str())).collect()
    }

    #[test]
    fn full_edit_owns_only_changed_lines() {
        let mut view = FileView::unowned("a\nb\nc\n");
        view.apply(&author("s1"), EditContent::Full { before: Some("a\nb\nc\n"), after: "a\nB\nc\nd\n" });
        assert_eq!(owners(&view), [None, Some("s1"), None, Some("s1")]);
    }

    #[test]
    fn before_reveals_human_changes_between_agent_edits() {
        let mut view = FileView::default();
        view.apply(&author("s1"), EditContent::Full { before: None, after: "x\ny\nz\n" });
        // A person changed y to Y; the agent then appends w.
        view.apply(&author("s1"), EditContent::Full { before: Some("x\nY\nz\n"), after: "x\nY\nz\nw\n" });
        assert_eq!(owners(&view), [Some("s1"), None, Some("s1"), Some("s1")]);
    }

    #[test]
    fn a_person_s_tweak_stays_mixed_when_the_agent_edits_again() {
        let mut view = FileView::default();
        view.apply(&author("s1"), EditContent::Full { before: None, after: "let a = compute(x);\nlet b = 2;\n" });
        // A person appends a comment to the first line; the agent then edits the second.
        let tweaked = "let a = compute(x);  # ok\nlet b = 2;\n";
        view.apply(
            &author("s1"),
            EditContent::Full { before: Some(tweaked), after: "let a = compute(x);  # ok\nlet b = 3;\n" },
        );
        assert_eq!(owners(&view), [Some("s1"), Some("s1")]);
        assert_eq!(view.agent_text(0), Some("let a = compute(x);"));
        assert_eq!(view.agent_text(1), Some("let b = 3;"));
        // A line the person rewrote beyond recognition is nobody's.
        view.apply(
            &author("s1"),
            EditContent::Full {
                before: Some("print('unrelated text')\nlet b = 3;\n"),
                after: "print('unrelated text')\nlet b = 4;\n",
            },
        );
        assert_eq!(owners(&view), [None, Some("s1")]);
    }

    #[test]
    fn a_person_s_blank_line_is_not_traded_for_the_agent_s() {
        let mut view = FileView::default();
        view.apply(&author("s1"), EditContent::Full { before: None, after: "one\ntwo\nthree\n" });
        // A person appends a blank line and a note; the agent rewrites its lines with blank lines of its own.
        let before = "one\ntwo\nthree\n\n# note\n";
        let after = "uno\n\ndos\n\ntres\n\n# note\n";
        view.apply(&author("s1"), EditContent::Full { before: Some(before), after });
        let owners = owners(&view);
        assert_eq!(owners[6], None, "{owners:?}");
        assert_eq!(owners[5], None, "the blank line before the person's note: {owners:?}");
        assert_eq!(owners[..5], [Some("s1"); 5]);
    }

    #[test]
    fn a_placed_patch_reveals_a_person_s_tweak_of_its_context() {
        let mut view = FileView::default();
        view.apply(
            &author("s1"),
            EditContent::Full { before: None, after: "let a = compute(x);\nlet b = 2;\nlet c = 3;\n" },
        );
        // The person tweaked line 1; the agent's patch names the tweaked line as context.
        let hunks =
            crate::unidiff::parse("@@ -1,3 +1,3 @@\n let a = compute(x, y);\n-let b = 2;\n+let b = 20;\n let c = 3;\n")
                .unwrap();
        assert_eq!(view.apply(&author("s1"), EditContent::Patch(&hunks)).applied_hunks, 1);
        assert_eq!(view.lines, ["let a = compute(x, y);", "let b = 20;", "let c = 3;"]);
        assert_eq!(owners(&view), [Some("s1"); 3]);
        assert_eq!(view.agent_text(0), Some("let a = compute(x);"));
    }

    #[test]
    fn a_moved_patch_around_a_person_s_tweak_still_places() {
        // Another session's edit shows two lines a person inserted above; then the person
        // tweaks line 1 of s1's code, and s1's patch (its numbers stale) names the tweak.
        let mut view = FileView::default();
        view.apply(
            &author("s1"),
            EditContent::Full { before: None, after: "let a = compute(x);\nlet b = 2;\nlet c = 3;\n" },
        );
        view.apply(
            &author("s2"),
            EditContent::Full {
                before: Some("// one\n// two\nlet a = compute(x);\nlet b = 2;\nlet c = 3;\n"),
                after: "// one\n// two\nlet a = compute(x);\nlet b = 2;\nlet c = 3;\n",
            },
        );
        let hunks =
            crate::unidiff::parse("@@ -1,3 +1,3 @@\n let a = compute(x, y);\n-let b = 2;\n+let b = 20;\n let c = 3;\n")
                .unwrap();
        assert_eq!(view.apply(&author("s1"), EditContent::Patch(&hunks)).applied_hunks, 1);
        assert_eq!(view.lines[2..], ["let a = compute(x, y);", "let b = 20;", "let c = 3;"]);
        assert_eq!(owners(&view), [None, None, Some("s1"), Some("s1"), Some("s1")]);
        assert_eq!(view.agent_text(2), Some("let a = compute(x);"));
    }

    /// Found by `fuzz/` (attribution target, blank lines): two equally short
    /// diffs, one keeping a person's line and one keeping a blank line; the line
    /// put back after the agent's blank lines is still the person's.
    #[test]
    fn a_line_the_diff_moves_keeps_its_author() {
        let mut view = FileView::unowned("h0\nh1\nh2\nh3\nh4\n");
        let before = "h0\nh1\nh2\n\nh3\nh4\n";
        let after = "H0\nh1\n\n\n\nh2\nx4\nx5\nx6\nx7\nx2\nx3\nh4\n";
        view.apply(&author("s0"), EditContent::Full { before: Some(before), after });
        let h2 = view.lines.iter().position(|l| l == "h2").unwrap();
        assert_eq!(view.owner(h2), None, "{:?}", owners(&view));
        assert_eq!(owners(&view)[0], Some("s0"));
    }

    /// Found by `fuzz/` (attribution target, blank lines): a diff that deletes a
    /// line in one hunk and adds it back in the next credited the mover with it.
    #[test]
    fn a_line_a_patch_moves_between_hunks_is_not_the_mover_s() {
        let mut view = FileView::default();
        view.apply(&author("s0"), EditContent::Full { before: None, after: "\nA0\n\nA3\n\nA4\n" });
        let hunks =
            crate::unidiff::parse("@@ -1,3 +1,2 @@\n \n-A0\n \n@@ -3,3 +2,5 @@\n \n-A3\n+A0\n+\n+\n \n").unwrap();
        assert_eq!(view.apply(&author("s2"), EditContent::Patch(&hunks)).applied_hunks, 2);
        let a0 = view.lines.iter().position(|l| l == "A0").unwrap();
        assert_ne!(view.owner(a0).map(|a| a.session_id.as_str()), Some("s2"), "{:?}", owners(&view));
    }

    #[test]
    fn views_stored_before_edited_lines_existed_read_back() {
        let stored = r#"{"lines":["a"],"owners":[0],"authors":[{"session_id":"s","model_id":null,"tool_name":null,"tool_version":null}]}"#;
        let view: FileView = serde_json::from_str(stored).unwrap();
        assert_eq!(view.agent_text(0), Some("a"));
        assert_eq!(serde_json::to_string(&view).unwrap(), stored);
    }

    #[test]
    fn the_edit_that_wrote_each_line_is_stored_and_read_back() {
        let mut view = FileView::unowned("keep\n");
        view.apply_stored(&author("s1"), Some(7), EditContent::Full { before: Some("keep\n"), after: "keep\na\nb\n" });
        view.apply_stored(&author("s1"), Some(9), EditContent::Full { before: None, after: "keep\na\nB\n" });
        let edits: Vec<_> = view.owners.iter().map(|o| o.and_then(|o| o.edit)).collect();
        assert_eq!(edits, [None, Some(7), Some(9)]);
        let stored = serde_json::to_string(&view).unwrap();
        assert!(stored.contains(r#""edits":[null,7,9]"#), "{stored}");
        assert_eq!(serde_json::from_str::<FileView>(&stored).unwrap(), view);
    }

    #[test]
    fn the_last_writer_owns_a_line() {
        let mut view = FileView::default();
        view.apply(&author("s1"), EditContent::Full { before: None, after: "a\nb\n" });
        view.apply(&author("s2"), EditContent::Full { before: Some("a\nb\n"), after: "a\nB\n" });
        assert_eq!(owners(&view), [Some("s1"), Some("s2")]);
    }

    #[test]
    fn patch_applies_at_its_position_and_follows_drift() {
        let mut view = FileView::unowned("0\n1\n2\n3\n4\n5\n");
        let hunks = crate::unidiff::parse("@@ -2,2 +2,2 @@\n 1\n-2\n+two\n@@ -5,1 +5,2 @@\n 4\n+4b\n").unwrap();
        let outcome = view.apply(&author("s1"), EditContent::Patch(&hunks));
        assert_eq!(outcome, ApplyOutcome { applied_hunks: 2, skipped_hunks: 0 });
        assert_eq!(view.lines, ["0", "1", "two", "3", "4", "4b", "5"]);
        assert_eq!(owners(&view), [None, None, Some("s1"), None, None, Some("s1"), None]);
    }

    #[test]
    fn patch_finds_a_unique_shifted_match_and_skips_ambiguous_ones() {
        // A person inserted two lines at the top since the agent read the file.
        let mut view = FileView::unowned("h1\nh2\na\nb\nc\n");
        let hunks = crate::unidiff::parse("@@ -1,2 +1,2 @@\n a\n-b\n+B\n").unwrap();
        assert_eq!(view.apply(&author("s1"), EditContent::Patch(&hunks)).applied_hunks, 1);
        assert_eq!(view.lines, ["h1", "h2", "a", "B", "c"]);
        let mut twice = FileView::unowned("}\nx\n}\n");
        let hunks = crate::unidiff::parse("@@ -9,1 +9,1 @@\n-}\n+};\n").unwrap();
        let outcome = twice.apply(&author("s1"), EditContent::Patch(&hunks));
        assert_eq!(outcome, ApplyOutcome { applied_hunks: 0, skipped_hunks: 1 });
        assert!(!twice.has_owned_lines());
    }

    /// Found by `fuzz/` (attribution target): see fuzz/README.md, finding 1.
    #[test]
    fn a_patch_that_only_adds_the_final_newline_keeps_the_last_line_owner() {
        // A person's "a" without a final newline; the agent appends "b". Diff tools
        // write this as "-a, \ No newline at end of file, +a, +b": "a" is not the agent's.
        let mut view = FileView::unowned("a");
        let hunks = crate::unidiff::parse(
            "--- a/f\n+++ b/f\n@@ -1 +1,2 @@\n-a\n\\ No newline at end of file\n+a\n+b\n\\ No newline at end of file\n",
        )
        .unwrap();
        view.apply(&author("s1"), EditContent::Patch(&hunks));
        assert_eq!(view.lines, ["a", "b"]);
        assert_eq!(owners(&view), [None, Some("s1")]);
    }

    #[test]
    fn a_line_removed_and_added_unchanged_keeps_its_owner() {
        // Only the final newline changed: "b" comes out and goes back in.
        let mut view = FileView::unowned("a\nb");
        let hunks = crate::unidiff::parse("@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n").unwrap();
        view.apply(&author("s1"), EditContent::Patch(&hunks));
        assert_eq!(view.lines, ["a", "b", "c"]);
        assert_eq!(owners(&view), [None, None, Some("s1")]);
    }

    #[test]
    fn an_unplaceable_hunk_disowns_the_lines_it_rewrote() {
        let mut view = FileView::default();
        view.apply(&author("s0"), EditContent::Full { before: None, after: "x\nold line\ny\n" });
        // s1 rewrote "old line", but a person changed most of the context meanwhile: the hunk does not place.
        let hunks =
            crate::unidiff::parse("@@ -1,4 +1,4 @@\n gone\n went\n-old line\n+old line, rewritten\n left\n").unwrap();
        let outcome = view.apply(&author("s1"), EditContent::Patch(&hunks));
        assert_eq!(outcome.skipped_hunks, 1);
        assert_eq!(owners(&view), [Some("s0"), None, Some("s0")]);
    }

    #[test]
    fn a_hunk_whose_context_a_person_changed_is_placed_after_resyncing_its_region() {
        let mut view = FileView::default();
        view.apply(&author("s0"), EditContent::Full { before: None, after: "fn a() {\n    one();\n    two();\n}\n" });
        // A person inserted a line and tweaked one; s1's patch shows the file as it saw it.
        let hunks = crate::unidiff::parse(
            "@@ -1,5 +1,6 @@\n fn a() {\n     // a person's note\n     one(); // sure\n     two();\n+    three();\n }\n",
        )
        .unwrap();
        assert_eq!(view.apply(&author("s1"), EditContent::Patch(&hunks)).applied_hunks, 1);
        assert_eq!(view.lines[1..5], ["    // a person's note", "    one(); // sure", "    two();", "    three();"]);
        assert_eq!(owners(&view), [Some("s0"), None, Some("s0"), Some("s0"), Some("s1"), Some("s0")]);
        assert_eq!(view.agent_text(2), Some("    one();"));
    }

    #[test]
    fn a_huge_unplaceable_hunk_stays_within_its_budget_and_errs_towards_unknown() {
        // Owned lines against 1,000 unrelated removed lines of similar length: twice
        // as many pairs as the budget allows.
        let removed = 1000;
        let compared = DISOWN_COMPARISON_BUDGET / removed;
        let owned: String = (0..2 * compared).map(|i| format!("let value_{i:04} = compute(alpha, beta);\n")).collect();
        let mut view = FileView::default();
        view.apply(&author("s0"), EditContent::Full { before: None, after: &format!("short\n{owned}") });
        let mut patch = format!("@@ -1,{} +1,1 @@\n not in the view\n", removed + 1);
        for i in 0..removed {
            patch.push_str(&format!("-QWXZ JKVY {i:04} PMB0 QWXZ JKVY PMB0 QWXZ JK\n"));
        }
        let hunks = crate::unidiff::parse(&patch).unwrap();
        assert_eq!(view.apply(&author("s1"), EditContent::Patch(&hunks)).skipped_hunks, 1);
        let owners = owners(&view);
        // "short" has no removed line within 3× its length: compared with nothing, kept.
        assert_eq!(owners[0], Some("s0"));
        // The lines compared within the budget are unrelated: kept.
        assert!(owners[1..=compared].iter().all(|o| *o == Some("s0")));
        // The rest could not be compared: unknown, never guessed owned.
        assert!(owners[compared + 1..].iter().all(Option::is_none));
    }

    #[test]
    fn the_disowning_budget_is_shared_by_the_hunks_of_one_patch() {
        let removed = 1000;
        let compared = DISOWN_COMPARISON_BUDGET / removed;
        let owned: String = (0..compared).map(|i| format!("let value_{i:04} = compute(alpha, beta);\n")).collect();
        let mut view = FileView::default();
        view.apply(&author("s0"), EditContent::Full { before: None, after: &owned });
        // Two unplaceable hunks, each with 1,000 unrelated removed lines: the first
        // spends the whole budget (and disowns nothing), the second has none left.
        let mut patch = String::new();
        for hunk in 0..2 {
            patch.push_str(&format!(
                "@@ -{},{} +{},1 @@\n not in the view\n",
                hunk * 5000 + 1,
                removed + 1,
                hunk * 5000 + 1
            ));
            for i in 0..removed {
                patch.push_str(&format!("-QWXZ JKVY {hunk}{i:04} PMB0 QWXZ JKVY PMB0 QWXZ J\n"));
            }
        }
        let hunks = crate::unidiff::parse(&patch).unwrap();
        assert_eq!(view.apply(&author("s1"), EditContent::Patch(&hunks)).skipped_hunks, 2);
        assert!(!view.has_owned_lines());
        // The first hunk alone leaves every line with its owner.
        let mut alone = FileView::default();
        alone.apply(&author("s0"), EditContent::Full { before: None, after: &owned });
        alone.apply(&author("s1"), EditContent::Patch(&hunks[..1]));
        assert!(owners(&alone).iter().all(|o| *o == Some("s0")));
    }

    #[test]
    fn a_moved_hunk_too_costly_to_find_is_skipped() {
        // 8,000 equal lines, then the hunk's one distinctive line: each of the
        // 5,000 positions before the real one matches all but the last of the
        // hunk's 3,000 lines, so finding it would take ≈ 15 M line comparisons.
        let mut text = "x\n".repeat(8000);
        text.push_str("end\n");
        let mut view = FileView::unowned(&text);
        let mut patch = String::from("@@ -1,3000 +1,3000 @@\n");
        patch.push_str(&" x\n".repeat(2999));
        patch.push_str("-end\n+END\n");
        let hunks = crate::unidiff::parse(&patch).unwrap();
        let outcome = view.apply(&author("s1"), EditContent::Patch(&hunks));
        assert_eq!(outcome, ApplyOutcome { applied_hunks: 0, skipped_hunks: 1 });
        assert_eq!(view.lines.last().map(String::as_str), Some("end"));
        // The same hunk near the top of a short view is found and applied.
        let mut near = FileView::unowned(&format!("{}end\n", "x\n".repeat(3000)));
        assert_eq!(near.apply(&author("s1"), EditContent::Patch(&hunks)).applied_hunks, 1);
        assert_eq!(owners(&near).last(), Some(&Some("s1")));
    }

    #[test]
    fn new_file_patch_and_deletion() {
        let mut view = FileView::default();
        let hunks = crate::unidiff::parse("--- /dev/null\n+++ b/n\n@@ -0,0 +1,2 @@\n+n1\n+n2\n").unwrap();
        view.apply(&author("s1"), EditContent::Patch(&hunks));
        assert_eq!(owners(&view), [Some("s1"), Some("s1")]);
        view.apply(&author("s1"), EditContent::Deleted);
        assert!(view.lines.is_empty() && view.authors.is_empty());
    }
}
