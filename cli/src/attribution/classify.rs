//! Aligning committed content with the agents' view and classifying each line.

use super::align::{Source, Step, added_mask, align, blank_runs, slides};
use super::similarity::{mixed_similarity, pair_lines};
use super::view::{FileView, LineOwner, RemovedLines, is_substantive};
use crate::class::Class;

/// The class of `committed` where the view has `author`'s line whose agent text is `agent`.
fn judged(author: LineOwner, agent: &str, committed: &str) -> Class<LineOwner> {
    if agent == committed {
        return Class::Ai(author);
    }
    match mixed_similarity(agent, committed) {
        Some(score) if score >= 1.0 => Class::Ai(author),
        Some(_) => Class::Mixed(author),
        None => Class::Unknown,
    }
}

/// Classifies every line of `committed` against `view` (callers keep the ones
/// the commit adds); credits are indices into the view's `authors`. The alignment is git's (see [`super::align`]): a line it
/// keeps from an owned view line is ai, or mixed when a person changed that line
/// since the agent wrote it; in a changed block a line paired with an owned line
/// (the mixed rule) is ai when equal, mixed when similar enough; every other
/// line is unknown, and so is an agent's line that an equally good alignment
/// would trade with a line only the committed file has.
pub fn classify_added_lines(view: Option<&FileView>, committed: &[String]) -> Vec<Class<LineOwner>> {
    let mut classes = vec![Class::Unknown; committed.len()];
    let Some(view) = view.filter(|v| v.has_owned_lines()) else {
        return classes;
    };
    let steps = align(&view.lines, committed);
    let mut consumed = vec![false; view.lines.len()];
    for step in &steps {
        match *step {
            Step::Equal { old, new, len } => {
                for k in 0..len {
                    if let (Some(author), Some(agent)) = (view.owners[old + k], view.agent_text(old + k)) {
                        classes[new + k] = judged(author, agent, &committed[new + k]);
                    }
                }
            }
            Step::Change { old, old_len, new, new_len } => {
                let pairs = pair_lines(old_len, |i| view.agent_text(old + i), &committed[new..new + new_len]);
                for (j, pair) in pairs.into_iter().enumerate() {
                    if let Some((i, _)) = pair
                        && let (Some(author), Some(agent)) = (view.owners[old + i], view.agent_text(old + i))
                    {
                        classes[new + j] = judged(author, agent, &committed[new + j]);
                        consumed[old + i] = true;
                    }
                }
            }
        }
    }
    // An agent's line (with more than punctuation) a person moved elsewhere is still the agent's.
    let mut moved = RemovedLines::of(&view.lines, &steps, |i| {
        !consumed[i] && view.owners[i].is_some() && is_substantive(&view.lines[i])
    });
    for step in &steps {
        if let Step::Change { new, new_len, .. } = *step {
            for j in new..new + new_len {
                if classes[j] == Class::Unknown
                    && let Some(i) = moved.take(&committed[j])
                    && let (Some(author), Some(agent)) = (view.owners[i], view.agent_text(i))
                {
                    classes[j] = judged(author, agent, &committed[j]);
                }
            }
        }
    }
    drop_ambiguous_credit(committed, &steps, &mut classes);
    // In a run of blank lines a person added to, which are the agent's is a coin toss.
    let added = added_mask(&steps, committed.len());
    for run in blank_runs(committed) {
        if run.clone().any(|p| added[p] && classes[p] == Class::Unknown) {
            classes[run].fill(Class::Unknown);
        }
    }
    drop_unanchored_trivial_runs(committed, &mut classes);
    classes
}

/// A kept agent blank line that an equally good alignment would trade with a
/// blank line the committed file added and no agent wrote: which of the two is
/// the agent's is a coin toss, so neither is credited. (Lines with text are left
/// to git's slider heuristics, which place a block by its indentation: a person
/// appending `}` after an agent's `}` did append it.)
fn drop_ambiguous_credit(committed: &[String], steps: &[Step], classes: &mut [Class<LineOwner>]) {
    let added = added_mask(steps, committed.len());
    for slide in slides(committed, &added) {
        let low = slide.window().start;
        let aligned = slide.aligned();
        let credited: Vec<bool> = slide.window().map(|p| !matches!(classes[p], Class::Unknown)).collect();
        let mut dropped = vec![false; credited.len()];
        for alternative in slide.alternatives() {
            for (k, source) in alternative.iter().enumerate() {
                // Kept lines no agent owns are the parent's or a person's older
                // lines: git's diff of the commit decides those, not a coin toss.
                let gives_to_person = match source {
                    Source::Added(i) => !credited[slide.start + i - low],
                    Source::Kept(_) => false,
                };
                if credited[k] && aligned[k] != *source && gives_to_person && committed[low + k].trim().is_empty() {
                    dropped[k] = true;
                }
            }
        }
        for (k, drop) in dropped.into_iter().enumerate() {
            if drop {
                classes[low + k] = Class::Unknown;
            }
        }
    }
}

/// A line with nothing but punctuation or white space (`}`, `);`, a blank line).
fn is_trivial(line: &str) -> bool {
    line.chars().all(|c| c.is_whitespace() || c.is_ascii_punctuation())
}

/// Trivial lines are credited only next to a substantive agent line: a run of
/// ai lines that are all trivial, with no ai or mixed line right before or after
/// it, is evidence of nothing but a coincidence (e.g. a person's `}` where a
/// discarded agent block once had one), so it becomes unknown.
fn drop_unanchored_trivial_runs(committed: &[String], classes: &mut [Class<LineOwner>]) {
    let credited = |c: &Class<LineOwner>| !matches!(c, Class::Unknown);
    let mut start = 0;
    while start < classes.len() {
        if !matches!(classes[start], Class::Ai(_)) || !is_trivial(&committed[start]) {
            start += 1;
            continue;
        }
        let mut end = start;
        while end + 1 < classes.len() && matches!(classes[end + 1], Class::Ai(_)) && is_trivial(&committed[end + 1]) {
            end += 1;
        }
        let before = start.checked_sub(1).is_some_and(|i| credited(&classes[i]));
        let after = classes.get(end + 1).is_some_and(credited);
        if !before && !after {
            classes[start..=end].fill(Class::Unknown);
        }
        start = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribution::{Author, EditContent};

    fn agent_view(before: &str, after: &str) -> FileView {
        let author = Author { session_id: "s".into(), model_id: None, tool_name: None, tool_version: None };
        let mut view = FileView::unowned(before);
        view.apply(&author, EditContent::Full { before: Some(before), after });
        view
    }

    fn lines(text: &str) -> Vec<String> {
        crate::attribution::split_lines(text)
    }

    /// The classes with the author index only (these views are not from the DB).
    fn classify_added_lines(view: Option<&FileView>, committed: &[String]) -> Vec<Class<u32>> {
        super::classify_added_lines(view, committed).into_iter().map(|c| c.map(|o| o.author)).collect()
    }

    #[test]
    fn a_human_brace_next_to_agent_braces_is_not_ai() {
        let view = agent_view("", "fn a() {\n    1\n}\n");
        let committed = lines("fn a() {\n    1\n}\n}\n");
        let classes = classify_added_lines(Some(&view), &committed);
        assert_eq!(classes, [Class::Ai(0), Class::Ai(0), Class::Ai(0), Class::Unknown]);
        // Which of two equal blank lines a person added is a coin toss: neither is credited.
        let view = agent_view("", "fn a() {\n    1\n}\n\n");
        let classes = classify_added_lines(Some(&view), &lines("fn a() {\n    1\n}\n\n\n"));
        assert_eq!(classes[..3], [Class::Ai(0), Class::Ai(0), Class::Ai(0)]);
        assert_eq!(classes[3..], [Class::Unknown, Class::Unknown]);
    }

    #[test]
    fn edited_agent_lines_are_mixed_or_unknown_by_similarity() {
        let view = agent_view("", "let total = compute(a, b);\nreturn value;\n");
        let committed = lines("let total = compute(a, b, c);\nprint('something else entirely')\n");
        let classes = classify_added_lines(Some(&view), &committed);
        assert_eq!(classes, [Class::Mixed(0), Class::Unknown]);
    }

    #[test]
    fn lines_the_agent_did_not_write_are_unknown() {
        let view = agent_view("keep\n", "keep\nnew\n");
        let classes = classify_added_lines(Some(&view), &lines("keep\nnew\n"));
        assert_eq!(classes, [Class::Unknown, Class::Ai(0)]);
    }

    #[test]
    fn a_brace_left_from_a_discarded_agent_block_is_not_credited() {
        // The agent's block was discarded; a person wrote another one in its place.
        let view = agent_view("head\ntail\n", "head\nif ready {\n    launch();\n}\n\ntail\n");
        let committed = lines("head\nwhile waiting {\n    std::thread::sleep(ONE_SECOND);\n}\n\ntail\n");
        let classes = classify_added_lines(Some(&view), &committed);
        assert!(classes.iter().all(|c| *c == Class::Unknown), "{classes:?}");
        // Next to the agent's own lines the same brace is credited.
        let kept = lines("head\nif ready {\n    launch_now();\n}\n\ntail\n");
        let classes = classify_added_lines(Some(&view), &kept);
        assert_eq!(classes[1..5], [Class::Ai(0), Class::Mixed(0), Class::Ai(0), Class::Ai(0)]);
    }

    /// Found by `fuzz/` (attribution target): see fuzz/README.md, finding 2.
    #[test]
    fn a_line_a_second_agent_rewrote_is_not_credited_to_the_first() {
        let s1 = Author { session_id: "s1".into(), model_id: None, tool_name: None, tool_version: None };
        let s2 = Author { session_id: "s2".into(), ..s1.clone() };
        let mut view = FileView::unowned("keep\n");
        view.apply(&s1, EditContent::Full { before: Some("keep\n"), after: "keep\nlet total = compute(a, b);\n" });
        // A person changes s1's line to `compute(a, b, c)` (sce does not see it); s2 then
        // rewrites the person's line and reports only a patch, which names text the
        // view does not have, so the hunk is skipped.
        let hunks = crate::unidiff::parse(
            "@@ -2 +2 @@\n-let total = compute(a, b, c);\n+let total = compute(a, b, c).unwrap_or(0);\n",
        )
        .unwrap();
        assert_eq!(view.apply(&s2, EditContent::Patch(&hunks)).skipped_hunks, 1);
        let committed = lines("keep\nlet total = compute(a, b, c).unwrap_or(0);\n");
        let classes = classify_added_lines(Some(&view), &committed);
        // s2 wrote the line last: unknown is acceptable, s1 is not.
        let credited = |c: &Class<u32>| match c {
            Class::Ai(a) | Class::Mixed(a) => Some(view.authors[*a as usize].session_id.as_str()),
            Class::Unknown => None,
        };
        assert_ne!(credited(&classes[1]), Some("s1"), "{classes:?}");
    }
}
