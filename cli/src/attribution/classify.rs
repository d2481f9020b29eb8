//! Aligning committed content with the agents' view and classifying each line.

use similar::{Algorithm, DiffOp, capture_diff_slices};

use super::view::FileView;

/// A committed line that an agent edited and a person then changed counts as
/// the agent's (mixed) while at least this share of its characters remain.
pub const MIXED_THRESHOLD: f64 = 0.5;

/// How far (in lines) from its proportional position a replaced line looks for the agent line it came from.
const PAIRING_WINDOW: usize = 8;

/// The class of one committed line. Author indices refer to the view's `authors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineClass {
    /// Exactly what the agent wrote at that position.
    Ai(u32),
    /// An agent's line that a person edited, most of it still the agent's.
    Mixed(u32),
    /// No agent evidence.
    Unknown,
}

/// Character similarity of two lines in [0, 1]: 2·LCS / total length in chars
/// (the Indel ratio), ignoring leading and trailing white space: indentation is
/// layout, not authorship. Exact and deterministic: a bit-parallel LCS
/// (`rapidfuzz`), ≈ 0.2 µs for two 45-char lines, with no time-out to fall back on.
pub fn similarity(a: &str, b: &str) -> f64 {
    similarity_at_least(a, b, 0.0).unwrap_or(0.0)
}

/// [`similarity`] when it reaches `cutoff`, else `None` (cheaper: the LCS stops early).
pub fn similarity_at_least(a: &str, b: &str, cutoff: f64) -> Option<f64> {
    let (a, b) = (a.trim(), b.trim());
    if a == b {
        return Some(1.0);
    }
    let args = rapidfuzz::fuzz::Args::default().score_cutoff(cutoff);
    rapidfuzz::fuzz::ratio_with_args(a.chars(), b.chars(), &args)
}

/// Classifies every line of `committed` against `view` (callers keep the ones
/// the commit adds). Lines the alignment pairs with an owned line of the view are
/// ai when equal, mixed when similar enough; every other line is unknown.
pub fn classify_added_lines(view: Option<&FileView>, committed: &[String]) -> Vec<LineClass> {
    let mut classes = vec![LineClass::Unknown; committed.len()];
    let Some(view) = view.filter(|v| v.has_owned_lines()) else {
        return classes;
    };
    for op in capture_diff_slices(Algorithm::Patience, &view.lines, committed) {
        match op {
            DiffOp::Equal { old_index, new_index, len } => {
                for k in 0..len {
                    if let Some(author) = view.owners[old_index + k] {
                        classes[new_index + k] = LineClass::Ai(author);
                    }
                }
            }
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                pair_replaced(view, committed, (old_index, old_len), (new_index, new_len), &mut classes);
            }
            DiffOp::Insert { .. } | DiffOp::Delete { .. } => {}
        }
    }
    drop_unanchored_trivial_runs(committed, &mut classes);
    classes
}

/// A line with nothing but punctuation or white space (`}`, `);`, a blank line).
fn is_trivial(line: &str) -> bool {
    line.chars().all(|c| c.is_whitespace() || c.is_ascii_punctuation())
}

/// Trivial lines are credited only next to a substantive agent line: a run of
/// ai lines that are all trivial, with no ai or mixed line right before or after
/// it, is evidence of nothing but a coincidence (e.g. a person's `}` where a
/// discarded agent block once had one), so it becomes unknown.
fn drop_unanchored_trivial_runs(committed: &[String], classes: &mut [LineClass]) {
    let credited = |c: &LineClass| !matches!(c, LineClass::Unknown);
    let mut start = 0;
    while start < classes.len() {
        if !matches!(classes[start], LineClass::Ai(_)) || !is_trivial(&committed[start]) {
            start += 1;
            continue;
        }
        let mut end = start;
        while end + 1 < classes.len() && matches!(classes[end + 1], LineClass::Ai(_)) && is_trivial(&committed[end + 1])
        {
            end += 1;
        }
        let before = start.checked_sub(1).is_some_and(|i| credited(&classes[i]));
        let after = classes.get(end + 1).is_some_and(credited);
        if !before && !after {
            classes[start..=end].fill(LineClass::Unknown);
        }
        start = end + 1;
    }
}

/// Within a replaced block, pairs each committed line with the most similar
/// owned view line (in order, near its proportional position) and marks it
/// mixed when the similarity reaches [`MIXED_THRESHOLD`].
fn pair_replaced(
    view: &FileView,
    committed: &[String],
    (old_index, old_len): (usize, usize),
    (new_index, new_len): (usize, usize),
    classes: &mut [LineClass],
) {
    let mut next_old = old_index;
    for j in 0..new_len {
        let expected = old_index + j * old_len / new_len.max(1);
        let low = next_old.max(expected.saturating_sub(PAIRING_WINDOW));
        let high = (expected + PAIRING_WINDOW + 1).min(old_index + old_len);
        let line = &committed[new_index + j];
        let best = (low..high)
            .filter_map(|i| {
                let author = view.owners[i]?;
                Some((i, author, similarity_at_least(&view.lines[i], line, MIXED_THRESHOLD)?))
            })
            .max_by(|a, b| a.2.total_cmp(&b.2).then(b.0.cmp(&a.0)));
        if let Some((i, author, score)) = best {
            classes[new_index + j] = if score >= 1.0 { LineClass::Ai(author) } else { LineClass::Mixed(author) };
            next_old = i + 1;
        }
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

    #[test]
    fn a_human_brace_next_to_agent_braces_is_not_ai() {
        let view = agent_view("", "fn a() {\n    1\n}\n");
        let committed = lines("fn a() {\n    1\n}\n}\n");
        let classes = classify_added_lines(Some(&view), &committed);
        assert_eq!(classes, [LineClass::Ai(0), LineClass::Ai(0), LineClass::Ai(0), LineClass::Unknown]);
    }

    #[test]
    fn edited_agent_lines_are_mixed_or_unknown_by_similarity() {
        let view = agent_view("", "let total = compute(a, b);\nreturn value;\n");
        let committed = lines("let total = compute(a, b, c);\nprint('something else entirely')\n");
        let classes = classify_added_lines(Some(&view), &committed);
        assert_eq!(classes, [LineClass::Mixed(0), LineClass::Unknown]);
    }

    #[test]
    fn lines_the_agent_did_not_write_are_unknown() {
        let view = agent_view("keep\n", "keep\nnew\n");
        let classes = classify_added_lines(Some(&view), &lines("keep\nnew\n"));
        assert_eq!(classes, [LineClass::Unknown, LineClass::Ai(0)]);
    }

    #[test]
    fn a_brace_left_from_a_discarded_agent_block_is_not_credited() {
        // The agent's block was discarded; a person wrote another one in its place.
        let view = agent_view("head\ntail\n", "head\nif ready {\n    launch();\n}\n\ntail\n");
        let committed = lines("head\nwhile waiting {\n    std::thread::sleep(ONE_SECOND);\n}\n\ntail\n");
        let classes = classify_added_lines(Some(&view), &committed);
        assert!(classes.iter().all(|c| *c == LineClass::Unknown), "{classes:?}");
        // Next to the agent's own lines the same brace is credited.
        let kept = lines("head\nif ready {\n    launch_now();\n}\n\ntail\n");
        let classes = classify_added_lines(Some(&view), &kept);
        assert_eq!(classes[1..5], [LineClass::Ai(0), LineClass::Mixed(0), LineClass::Ai(0), LineClass::Ai(0)]);
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
        let credited = |c: &LineClass| match c {
            LineClass::Ai(a) | LineClass::Mixed(a) => Some(view.authors[*a as usize].session_id.as_str()),
            LineClass::Unknown => None,
        };
        assert_ne!(credited(&classes[1]), Some("s1"), "{classes:?}");
    }

    #[test]
    fn similarity_is_a_character_ratio() {
        assert_eq!(similarity("abcd", "abcd"), 1.0);
        assert_eq!(similarity("abcd", "wxyz"), 0.0);
        assert!((similarity("abcd", "abxy") - 0.5).abs() < 1e-9);
        // Indentation is ignored; chars, not bytes, are compared.
        assert_eq!(similarity("    x = 1;", "x = 1;"), 1.0);
        assert!((similarity("é漢字x", "é漢y") - 4.0 / 7.0).abs() < 1e-9);
        // The longest common subsequence, not a heuristic diff: "acegikmoqsuwy" is
        // a subsequence of the alphabet, so 2·13 / (26 + 13).
        let alphabet = "abcdefghijklmnopqrstuvwxyz";
        assert!((similarity(alphabet, "acegikmoqsuwy") - 26.0 / 39.0).abs() < 1e-9);
        assert_eq!(similarity_at_least("abcd", "abxy", 0.5), Some(0.5));
        assert_eq!(similarity_at_least("abcd", "axyz", 0.5), None);
    }
}
