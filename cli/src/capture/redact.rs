//! Redacting secrets from agent text before it is stored: conversation text can
//! hold API keys, tokens and passwords pasted by people or printed by tools.

use std::sync::OnceLock;

use regex::Regex;

/// The secret shapes recognised, each with the name shown in its placeholder.
const PATTERNS: &[(&str, &str)] = &[
    ("private-key", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----"),
    ("anthropic-key", r"sk-ant-[A-Za-z0-9_\-]{20,}"),
    ("openai-key", r"sk-(?:proj-|svcacct-)?[A-Za-z0-9_\-]{20,}"),
    ("google-api-key", r"AIza[0-9A-Za-z_\-]{35}"),
    ("github-token", r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("gitlab-token", r"glpat-[A-Za-z0-9_\-]{20,}"),
    ("slack-token", r"xox[abposr]-[A-Za-z0-9-]{10,}"),
    ("aws-access-key-id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("aws-secret-access-key", r#"(?i)aws_secret_access_key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}"#),
    (
        "password",
        r#"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)["']?\s*[:=]\s*["']?[^\s"',;]{4,}"#,
    ),
];

fn compiled() -> &'static [(&'static str, Regex)] {
    static COMPILED: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        PATTERNS
            .iter()
            // The patterns are constants covered by the tests below: they always compile.
            .filter_map(|(kind, pattern)| Regex::new(pattern).ok().map(|re| (*kind, re)))
            .collect()
    })
}

/// The secret shapes intake redacts, each with its kind: `sce export` replaces the
/// same shapes (and counts them for `--check`) without keeping a second list.
pub fn secret_shapes() -> impl Iterator<Item = (&'static str, &'static Regex)> {
    compiled().iter().map(|(kind, re)| (*kind, re))
}

/// `text` with every recognised secret replaced by `[REDACTED:<kind>]`; `None` when
/// nothing was found (the common case costs no allocation).
pub fn redact(text: &str) -> Option<String> {
    let mut out: Option<String> = None;
    for (kind, re) in compiled() {
        let current = out.as_deref().unwrap_or(text);
        if re.is_match(current) {
            out = Some(re.replace_all(current, format!("[REDACTED:{kind}]").as_str()).into_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    fn redacted(text: &str) -> String {
        redact(text).unwrap_or_else(|| panic!("nothing redacted in {text:?}"))
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(super::compiled().len(), super::PATTERNS.len());
    }

    #[test]
    fn each_known_shape_is_redacted() {
        let cases = [
            ("key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 here", "anthropic-key"),
            ("OPENAI_KEY=sk-proj-AbCdEfGhIjKlMnOpQrStUvWx12345", "openai-key"),
            ("maps AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "google-api-key"),
            ("token ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij", "github-token"),
            ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github-token"),
            ("glpat-AbCdEfGhIjKlMnOpQrSt", "gitlab-token"),
            ("xoxb-1234567890-abcdefghij", "slack-token"),
            ("id AKIAIOSFODNN7EXAMPLE in logs", "aws-access-key-id"),
            ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws-secret-access-key"),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "private-key"),
            ("db password=hunter2hunter", "password"),
            ("{\"api_key\": \"abcd1234efgh\"}", "password"),
        ];
        for (text, kind) in cases {
            let out = redacted(text);
            assert!(out.contains(&format!("[REDACTED:{kind}]")), "{text:?} → {out:?}");
        }
        let out = redacted("id AKIAIOSFODNN7EXAMPLE in logs");
        assert!(!out.contains("AKIAIOSFODNN7EXAMPLE"));
        assert_eq!(out, "id [REDACTED:aws-access-key-id] in logs");
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in ["I'll add a helper.", "let password_hint = None;", "skeleton sk-short", "AKIA lower"] {
            assert_eq!(redact(text), None, "{text}");
        }
    }
}
