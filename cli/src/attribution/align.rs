//! Which line is which between two versions of a file, decided the way `git diff`
//! decides it, and where that decision was a coin toss.
//!
//! Every place sce pairs lines — folding an edit into a view, aligning the view
//! with the committed file, carrying classes through rewrites — uses [`align`]:
//! Myers with git's slider heuristics (gix's imara-diff, the diff gix uses for
//! blame), the same diff that decides which lines a commit adds. When sce and git
//! pair lines alike, a line the agent kept is not reported as added and a line
//! it added is not reported as kept.
//!
//! Equal lines can still make two alignments equally good: an inserted block
//! ending in a blank line next to a kept blank line can slide by one, and the
//! two blank lines trade places. [`slides`] lists those blocks so callers can
//! refuse to credit an agent with a line the other alignment gives to a person.

use gix::diff::blob::{Algorithm, InternedInput, diff_with_slider_heuristics};

/// How far a block is slid looking for equal alternatives; past it the block's
/// far lines are not considered ambiguous (runs of dozens of equal lines are rare).
const MAX_SLIDE: usize = 32;

/// One step of an alignment of `old` with `new`, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `len` lines equal on both sides.
    Equal {
        /// First old line.
        old: usize,
        /// First new line.
        new: usize,
        /// Lines in the run.
        len: usize,
    },
    /// Old lines `old..old + old_len` became new lines `new..new + new_len`
    /// (either length may be zero).
    Change {
        /// First old line.
        old: usize,
        /// Old lines removed.
        old_len: usize,
        /// First new line.
        new: usize,
        /// New lines added.
        new_len: usize,
    },
}

/// Aligns `old` with `new` as `git diff` would (Myers, slider heuristics).
pub fn align(old: &[String], new: &[String]) -> Vec<Step> {
    let mut input: InternedInput<&str> = InternedInput::default();
    input.update_before(old.iter().map(String::as_str));
    input.update_after(new.iter().map(String::as_str));
    let diff = diff_with_slider_heuristics(Algorithm::Myers, &input);
    let mut steps = Vec::new();
    let (mut at_old, mut at_new) = (0usize, 0usize);
    for hunk in diff.hunks() {
        let (old_start, new_start) = (hunk.before.start as usize, hunk.after.start as usize);
        if old_start > at_old {
            steps.push(Step::Equal { old: at_old, new: at_new, len: old_start - at_old });
        }
        let (old_len, new_len) = (hunk.before.len(), hunk.after.len());
        steps.push(Step::Change { old: old_start, old_len, new: new_start, new_len });
        at_old = old_start + old_len;
        at_new = new_start + new_len;
    }
    if at_old < old.len() {
        steps.push(Step::Equal { old: at_old, new: at_new, len: old.len() - at_old });
    }
    steps
}

/// Per line of `new`: true when the alignment adds it (no old line kept it).
pub fn added_mask(steps: &[Step], new_len: usize) -> Vec<bool> {
    let mut added = vec![false; new_len];
    for step in steps {
        if let Step::Change { new, new_len, .. } = *step {
            added[new..new + new_len].fill(true);
        }
    }
    added
}

/// A block of added lines that an equally good alignment could place elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slide {
    /// The block as aligned: new lines `start..end` are added.
    pub start: usize,
    /// One past the block's last line.
    pub end: usize,
    /// How many lines the block could slide down (over kept lines equal to its first lines).
    pub down: usize,
    /// How many lines the block could slide up (over kept lines equal to its last lines).
    pub up: usize,
}

/// Where a line of a [`Slide`]'s window comes from under one placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The block's `i`-th added line, as aligned.
    Added(usize),
    /// The kept line aligned at new position `p`.
    Kept(usize),
}

impl Slide {
    /// The lines whose side (added or kept) depends on the placement chosen.
    pub fn window(&self) -> std::ops::Range<usize> {
        self.start - self.up..self.end + self.down
    }

    /// Where each line of the window comes from, as aligned.
    pub fn aligned(&self) -> Vec<Source> {
        self.window()
            .map(|p| if p >= self.start && p < self.end { Source::Added(p - self.start) } else { Source::Kept(p) })
            .collect()
    }

    /// Where each line of the window comes from under every other placement.
    /// Sliding by one trades an added line with an equal kept line at the block's
    /// other end; each further step trades the next pair.
    pub fn alternatives(&self) -> Vec<Vec<Source>> {
        let low = self.start - self.up;
        let mut out = Vec::with_capacity(self.up + self.down);
        let mut state = self.aligned();
        for j in 0..self.down {
            state.swap(self.start + j - low, self.end + j - low);
            out.push(state.clone());
        }
        let mut state = self.aligned();
        for j in 0..self.up {
            state.swap(self.end - 1 - j - low, self.start - 1 - j - low);
            out.push(state.clone());
        }
        out
    }
}

/// Maximal runs of two or more consecutive blank lines. Within one, which lines
/// an alignment keeps and which it adds is arbitrary: any choice is as short.
pub fn blank_runs(lines: &[String]) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut p = 0;
    while p < lines.len() {
        let start = p;
        while p < lines.len() && lines[p].trim().is_empty() {
            p += 1;
        }
        if p - start >= 2 {
            runs.push(start..p);
        }
        p = p.max(start + 1);
    }
    runs
}

/// The blocks of added lines in `new` (per `added`) that could slide over kept
/// lines without changing the content on either side.
pub fn slides(new: &[String], added: &[bool]) -> Vec<Slide> {
    let mut out = Vec::new();
    let mut p = 0;
    while p < new.len() {
        if !added[p] {
            p += 1;
            continue;
        }
        let start = p;
        while p < new.len() && added[p] {
            p += 1;
        }
        let end = p;
        let mut down = 0;
        while down < MAX_SLIDE && end + down < new.len() && !added[end + down] && new[start + down] == new[end + down] {
            down += 1;
        }
        let mut up = 0;
        while up < MAX_SLIDE && start > up && !added[start - up - 1] && new[start - up - 1] == new[end - up - 1] {
            up += 1;
        }
        if up + down > 0 {
            out.push(Slide { start, end, down, up });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        crate::attribution::split_lines(text)
    }

    #[test]
    fn steps_cover_both_sides_in_order() {
        let steps = align(&lines("a\nb\nc\n"), &lines("a\nB\nc\nd\n"));
        assert_eq!(
            steps,
            [
                Step::Equal { old: 0, new: 0, len: 1 },
                Step::Change { old: 1, old_len: 1, new: 1, new_len: 1 },
                Step::Equal { old: 2, new: 2, len: 1 },
                Step::Change { old: 3, old_len: 0, new: 3, new_len: 1 },
            ]
        );
        assert_eq!(added_mask(&steps, 4), [false, true, false, true]);
    }

    #[test]
    fn agrees_with_the_diff_that_decides_what_a_commit_adds() {
        // A README rewritten whole, old blank lines reused: the commit's diff and the alignment agree.
        let old = "# T\n\nold intro\n\nold body\n";
        let new = "# Title\n\nintro\n\nbody\n\nmore\n\nend\n";
        // The diff git/diff.rs runs on a commit's blobs.
        let input = InternedInput::new(old.as_bytes(), new.as_bytes());
        let diff = diff_with_slider_heuristics(Algorithm::Myers, &input);
        let added: Vec<bool> = (0..input.after.len() as u32).map(|i| diff.is_added(i)).collect();
        let new_lines = lines(new);
        assert_eq!(added_mask(&align(&lines(old), &new_lines), new_lines.len()), added);
    }

    #[test]
    fn a_block_ending_like_its_neighbour_can_slide() {
        let new = lines("a\n\nfn x\n\nb\n");
        // Block "fn x", "" added after the first blank line; it could start one line up.
        let added = [false, false, true, true, false];
        let found = slides(&new, &added);
        assert_eq!(found, [Slide { start: 2, end: 4, down: 0, up: 1 }]);
        assert_eq!(found[0].window(), 1..4);
        assert_eq!(found[0].aligned(), [Source::Kept(1), Source::Added(0), Source::Added(1)]);
        // Slid up, the kept blank line is the block's last and the first blank line is added.
        assert_eq!(found[0].alternatives(), [vec![Source::Added(1), Source::Added(0), Source::Kept(1)]]);
        assert!(slides(&lines("a\nb\nc\n"), &[false, true, false]).is_empty());
    }
}
