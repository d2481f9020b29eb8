//! How alike two lines are, and which changed line came from which: the mixed rule.
//!
//! A leaf: views (folding an edit that reveals a person's change) and commit
//! classification (a committed line a person edited) apply the same rule.

/// A committed line that an agent edited and a person then changed counts as
/// the agent's (mixed) while at least this share of its characters remain.
pub const MIXED_THRESHOLD: f64 = 0.5;

/// How far (in lines) from its proportional position a changed line looks for the line it came from.
const PAIRING_WINDOW: usize = 8;

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

/// Whether `line` can be `agent` edited by a person under the mixed rule: at
/// least [`MIXED_THRESHOLD`] similar by characters, and keeping at least that
/// share of the agent's words (identifiers, numbers; a word the person extended
/// counts as kept). The characters alone pair unrelated lines of one shape
/// (`def alpha_value_177(graph):` and `def alpha_route_328(unit):` are 0.57 similar); the words
/// tell a person's tweak (`compute(a, b)  # ok`) from a line they wrote instead.
/// Returns the character similarity.
pub fn mixed_similarity(agent: &str, line: &str) -> Option<f64> {
    let score = similarity_at_least(agent, line, MIXED_THRESHOLD)?;
    if score >= 1.0 {
        return Some(score);
    }
    let words = |text: &'_ str| -> Vec<String> {
        text.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).map(str::to_string).collect()
    };
    let agent_words = words(agent);
    let total: usize = agent_words.iter().map(|w| w.chars().count()).sum();
    if total == 0 {
        return Some(score);
    }
    let mut theirs = words(line);
    let mut kept = 0;
    for word in &agent_words {
        if let Some(i) = theirs.iter().position(|w| w.starts_with(word.as_str()) || word.starts_with(w.as_str())) {
            kept += word.chars().count().min(theirs[i].chars().count());
            theirs.swap_remove(i);
        }
    }
    (kept as f64 >= MIXED_THRESHOLD * total as f64).then_some(score)
}

/// Within one changed block, pairs each new line with the agent line it most
/// likely came from: in order, near its proportional position, the most similar
/// of the candidates (`agent_text(i)` is the text an agent wrote for old line
/// `i`, `None` for lines no agent wrote), when the mixed rule allows it ([`mixed_similarity`]).
/// Returns per new line the old line and the similarity.
pub fn pair_lines<'a>(
    old_len: usize,
    agent_text: impl Fn(usize) -> Option<&'a str>,
    new: &[String],
) -> Vec<Option<(usize, f64)>> {
    let mut pairs = vec![None; new.len()];
    let mut next_old = 0;
    for (j, line) in new.iter().enumerate() {
        let expected = j * old_len / new.len().max(1);
        let low = next_old.max(expected.saturating_sub(PAIRING_WINDOW));
        let high = (expected + PAIRING_WINDOW + 1).min(old_len);
        let best = (low..high)
            .filter_map(|i| Some((i, mixed_similarity(agent_text(i)?, line)?)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        if let Some((i, score)) = best {
            pairs[j] = Some((i, score));
            next_old = i + 1;
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_mixed_rule_keeps_the_agent_s_words() {
        // A person's remark or an extra argument keeps the agent's words.
        assert!(mixed_similarity("let total = compute(a, b);", "let total = compute(a, b);  # ok").is_some());
        assert!(mixed_similarity("let total = compute(a, b);", "let totals = compute(a, b, c);").is_some());
        // A line of the same shape with other words is not the agent's line edited.
        let (agent, other) = ("def alpha_value_177(graph):", "def alpha_route_328(unit):");
        assert!(similarity(agent, other) >= 0.5);
        assert_eq!(mixed_similarity(agent, other), None);
        // Punctuation-only lines are judged by their characters.
        assert!(mixed_similarity("});", "}));").is_some());
    }

    #[test]
    fn pairs_follow_order_and_skip_lines_no_agent_wrote() {
        let old = ["let a = 1;", "let b = 2;", "let c = 3;"];
        let new: Vec<String> = ["let a = 10;", "let c = 30;"].iter().map(|s| s.to_string()).collect();
        let pairs = pair_lines(3, |i| (i != 2).then_some(old[i]), &new);
        assert_eq!(pairs[0].map(|p| p.0), Some(0));
        // "let c" is nearest "let c = 3;", which no agent wrote; "let b = 2;" is 0.6 similar.
        assert_eq!(pairs[1].map(|p| p.0), Some(1));
    }
}
