//! Scrubbing every string an export writes: a dataset leaves the machine, so it must
//! carry neither secrets nor what identifies people (e-mail addresses, user names in
//! home paths, IP addresses, tokens next to key names). The secret shapes intake
//! redacts are reused from [`crate::capture::secret_shapes`], never restated here.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::Ipv6Addr;
use std::sync::OnceLock;

use regex::{Captures, Regex};

use crate::config::ExportScrubConfig;

/// What one kind of replacement did in a session: how often, and one masked example
/// (for `sce export --check`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScrubTally {
    /// Replacements made.
    pub count: u64,
    /// The first replaced value, mostly masked (`al******`).
    pub excerpt: String,
}

/// Kind of replacement → its tally; kinds are `email`, `home-path`, `ip-address`,
/// `keyed-token` and the intake secret kinds (`github-token`, `password`, …).
pub type ScrubFindings = BTreeMap<String, ScrubTally>;

/// The kind names of the shapes this module adds to intake's.
pub mod kind {
    /// An e-mail address.
    pub const EMAIL: &str = "email";
    /// A user name in a home-directory path.
    pub const HOME_PATH: &str = "home-path";
    /// An IPv4 or IPv6 address.
    pub const IP_ADDRESS: &str = "ip-address";
    /// A high-entropy value next to a key-like name.
    pub const KEYED_TOKEN: &str = "keyed-token";
}

/// Replaces what the configuration asks for in the strings of an export.
#[derive(Debug, Clone, Copy)]
pub struct Scrubber {
    settings: ExportScrubConfig,
}

struct Patterns {
    email: Regex,
    unix_home: Regex,
    windows_home: Regex,
    ipv4: Regex,
    ipv6: Regex,
    keyed: Regex,
    bearer: Regex,
}

/// A value next to a key name: long enough to be a credential, in token characters.
const VALUE: &str = r"(?P<value>[A-Za-z0-9_\-.+/=~]{8,})";

fn patterns() -> Option<&'static Patterns> {
    static PATTERNS: OnceLock<Option<Patterns>> = OnceLock::new();
    PATTERNS
        .get_or_init(|| {
            Some(Patterns {
                email: Regex::new(
                    r"(?i)\b(?P<local>[a-z0-9][a-z0-9._%+\-]*)@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,}\b",
                )
                .ok()?,
                unix_home: Regex::new(r#"(?m)(?P<lead>^|[^\w.\-])(?P<prefix>/(?:home|Users)/)(?P<user>[^/\\\s"'<>:,;|()\[\]{}]+)"#)
                    .ok()?,
                windows_home: Regex::new(
                    r#"(?i)\b(?P<prefix>[a-z]:(?:\\\\|\\|/)Users(?:\\\\|\\|/))(?P<user>[^/\\\s"'<>:,;|()\[\]{}]+)"#,
                )
                .ok()?,
                ipv4: Regex::new(r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b")
                    .ok()?,
                ipv6: Regex::new(r"(?i)(?:[0-9a-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9a-f]{0,4})").ok()?,
                keyed: Regex::new(&format!(
                    r#"(?i)(?P<key>\b[a-z0-9_\-]*(?:api[_\-]?key|apikey|secret|token|passwd|password|credential|authorization|private[_\-]?key)[a-z0-9_\-]*["']?\s*[:=]\s*["']?){VALUE}"#
                ))
                .ok()?,
                bearer: Regex::new(&format!(r"(?i)(?P<key>\b(?:bearer|basic)\s+){VALUE}")).ok()?,
            })
        })
        .as_ref()
}

/// `text` with all but its first characters masked, so `--check` can show what was
/// found without showing it.
pub fn mask(text: &str) -> String {
    let count = text.chars().count();
    let keep = match count {
        0..=3 => 0,
        4..=8 => 1,
        _ => 2,
    };
    let mut out: String = text.chars().take(keep).collect();
    out.extend(std::iter::repeat_n('*', (count - keep).min(8)));
    out
}

/// Shannon entropy of `text` in bits per character.
pub fn shannon_entropy(text: &str) -> f64 {
    let mut counts: BTreeMap<char, u32> = BTreeMap::new();
    let mut total = 0u32;
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let total = f64::from(total);
    counts
        .values()
        .map(|&n| {
            let p = f64::from(n) / total;
            -p * p.log2()
        })
        .sum()
}

fn note(findings: &mut ScrubFindings, kind: &str, value: &str) {
    let tally = findings.entry(kind.to_string()).or_default();
    if tally.count == 0 {
        tally.excerpt = mask(value);
    }
    tally.count += 1;
}

/// The character before byte `at` and the one at byte `end` of `text`.
fn neighbours(text: &str, at: usize, end: usize) -> (Option<char>, Option<char>) {
    (text[..at].chars().next_back(), text[end..].chars().next())
}

/// Applies `re` to `text`: `replace` returns the replacement of a match, or `None` to
/// keep it (a near miss such as a version number).
fn apply<'t>(
    text: Cow<'t, str>,
    re: &Regex,
    mut replace: impl FnMut(&str, &Captures<'_>) -> Option<(String, String)>,
    kind: &str,
    findings: &mut ScrubFindings,
) -> Cow<'t, str> {
    if !re.is_match(&text) {
        return text;
    }
    let mut changed = false;
    let out = re
        .replace_all(&text, |caps: &Captures<'_>| match replace(&text, caps) {
            Some((replacement, found)) => {
                changed = true;
                note(findings, kind, &found);
                replacement
            }
            None => caps[0].to_string(),
        })
        .into_owned();
    if changed { Cow::Owned(out) } else { text }
}

impl Scrubber {
    /// A scrubber doing what `settings` (`export.scrub`) asks.
    pub fn new(settings: ExportScrubConfig) -> Scrubber {
        Scrubber { settings }
    }

    /// `text` with every secret, and every personal value the settings name,
    /// replaced; each replacement is counted in `findings`.
    pub fn scrub<'t>(&self, text: &'t str, findings: &mut ScrubFindings) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for (kind, re) in crate::capture::secret_shapes() {
            let placeholder = format!("[REDACTED:{kind}]");
            out = apply(out, re, |_, caps| Some((placeholder.clone(), caps[0].to_string())), kind, findings);
        }
        let Some(p) = patterns() else {
            // The patterns are constants covered by the tests: this cannot happen, and
            // if it did, nothing must leave unscrubbed.
            return Cow::Owned("[REDACTED:scrubber-unavailable]".into());
        };
        let threshold = self.settings.entropy_threshold;
        if self.settings.keyed_tokens {
            for re in [&p.keyed, &p.bearer] {
                out = apply(out, re, |_, caps| keyed_token(caps, threshold), kind::KEYED_TOKEN, findings);
            }
        }
        if self.settings.emails {
            out = apply(
                out,
                &p.email,
                // `git@host:org/repo` is the ssh remote convention, not a person's address.
                |_, caps| (!caps["local"].eq_ignore_ascii_case("git")).then(|| ("<email>".into(), caps[0].to_string())),
                kind::EMAIL,
                findings,
            );
        }
        if self.settings.home_paths {
            out = apply(out, &p.unix_home, home_user, kind::HOME_PATH, findings);
            out = apply(out, &p.windows_home, home_user, kind::HOME_PATH, findings);
        }
        if self.settings.ip_addresses {
            out = apply(out, &p.ipv4, ipv4_address, kind::IP_ADDRESS, findings);
            out = apply(out, &p.ipv6, ipv6_address, kind::IP_ADDRESS, findings);
        }
        out
    }

    /// [`Scrubber::scrub`] into an owned string.
    pub fn scrub_owned(&self, text: &str, findings: &mut ScrubFindings) -> String {
        self.scrub(text, findings).into_owned()
    }
}

fn keyed_token(caps: &Captures<'_>, threshold: f64) -> Option<(String, String)> {
    let value = &caps["value"];
    // Identifiers (`token = next_token`) have letters only; credentials mix in digits.
    let mixed = value.chars().any(|c| c.is_ascii_digit()) && value.chars().any(|c| c.is_ascii_alphabetic());
    (mixed && shannon_entropy(value) >= threshold).then(|| (format!("{}<token>", &caps["key"]), value.to_string()))
}

fn home_user(_: &str, caps: &Captures<'_>) -> Option<(String, String)> {
    let lead = caps.name("lead").map_or("", |m| m.as_str());
    Some((format!("{lead}{}<user>", &caps["prefix"]), caps["user"].to_string()))
}

fn ipv4_address(text: &str, caps: &Captures<'_>) -> Option<(String, String)> {
    let whole = caps.get(0)?;
    let (before, after) = neighbours(text, whole.start(), whole.end());
    // Part of a longer dotted run (a version 1.2.3.4.5, an OID): not an address.
    let dotted_after = after == Some('.') && text[whole.end() + 1..].starts_with(|c: char| c.is_ascii_digit());
    if before == Some('.') || dotted_after {
        return None;
    }
    let address: std::net::Ipv4Addr = whole.as_str().parse().ok()?;
    if address.is_loopback() || address.is_unspecified() {
        return None;
    }
    Some(("<ip>".into(), whole.as_str().to_string()))
}

fn ipv6_address(text: &str, caps: &Captures<'_>) -> Option<(String, String)> {
    let whole = caps.get(0)?;
    let (before, after) = neighbours(text, whole.start(), whole.end());
    let joined = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
    // A full stop ends a sentence; a dot followed by more characters continues a name.
    let dotted_after = after == Some('.') && text[whole.end() + 1..].starts_with(|c: char| c.is_alphanumeric());
    if joined(before) || before == Some('.') || joined(after) || dotted_after {
        return None;
    }
    let candidate = whole.as_str();
    let address: Ipv6Addr = candidate.parse().ok()?;
    if address.is_loopback() || address.is_unspecified() {
        return None;
    }
    // `ab::cd` in code parses as an address too: ask for the look of a real one.
    let groups: Vec<&str> = candidate.split(':').filter(|g| !g.is_empty()).collect();
    let looks_real = groups.len() >= 3 || groups.iter().any(|g| g.len() == 4);
    looks_real.then(|| ("<ip>".into(), candidate.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrub(text: &str) -> (String, ScrubFindings) {
        let mut findings = ScrubFindings::new();
        let out = Scrubber::new(ExportScrubConfig::default()).scrub_owned(text, &mut findings);
        (out, findings)
    }

    fn kinds(findings: &ScrubFindings) -> Vec<&str> {
        findings.keys().map(String::as_str).collect()
    }

    #[test]
    fn the_patterns_compile() {
        assert!(patterns().is_some());
    }

    #[test]
    fn emails_are_replaced_but_not_ssh_remotes() {
        let (out, found) = scrub("mail alice.smith+x@mail.example.co.uk or bob@corp.io");
        assert_eq!(out, "mail <email> or <email>");
        assert_eq!(found["email"].count, 2);
        assert_eq!(found["email"].excerpt, "al********");
        assert_eq!(scrub("git@github.com:org/repo.git").0, "git@github.com:org/repo.git");
    }

    #[test]
    fn home_directory_user_names_are_replaced() {
        let cases = [
            ("open /home/alice/src/x.rs", "open /home/<user>/src/x.rs"),
            ("at /Users/bob.jones/Library", "at /Users/<user>/Library"),
            (r"C:\Users\carol\repo\a.rs", r"C:\Users\<user>\repo\a.rs"),
            (r#"{"cwd": "C:\\Users\\dave\\x"}"#, r#"{"cwd": "C:\\Users\\<user>\\x"}"#),
            ("file:///home/erin/notes", "file:///home/<user>/notes"),
            ("from /home/zed, then (/Users/yan)", "from /home/<user>, then (/Users/<user>)"),
        ];
        for (text, expected) in cases {
            let (out, found) = scrub(text);
            assert_eq!(out, expected, "{text}");
            assert_eq!(kinds(&found), ["home-path"], "{text}");
        }
        for text in ["src/home/page.rs", "https://example.com/home/index.html", "/home/<user>/x"] {
            assert_eq!(scrub(text).0, text);
        }
    }

    #[test]
    fn ip_addresses_are_replaced_but_not_versions_or_loopback() {
        let (out, found) = scrub("ssh 10.0.12.7 and 2001:db8:85a3::8a2e:370:7334, also fe80::1ff:fe23:4567:890a.");
        assert_eq!(out, "ssh <ip> and <ip>, also <ip>.");
        assert_eq!(found["ip-address"].count, 3);
        for text in [
            "version 1.2.3.4.5",
            "listen on 127.0.0.1:8080 and ::1",
            "bind 0.0.0.0",
            "use std::fs::read;",
            "at 12:30:45",
            "mac aa:bb:cc:dd:ee:ff",
            "Foo::Bar::baz()",
        ] {
            assert_eq!(scrub(text).0, text, "{text}");
        }
    }

    #[test]
    fn high_entropy_values_next_to_key_names_are_replaced() {
        let cases = [
            ("api_key=Zk3q9XvB2mN7pL4t", "api_key=<token>"),
            (r#"{"token": "a8F3kQ9zLm2Xv7Bn4Tq1"}"#, r#"{"token": "<token>"}"#),
            ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.x9Zq", "Authorization: Bearer <token>"),
            ("CLIENT_SECRET: 9f8e7d6c5b4a39281706f5e4", "CLIENT_SECRET: <token>"),
        ];
        for (text, expected) in cases {
            let (out, found) = scrub(text);
            assert!(!found.is_empty(), "{text}");
            // Intake's `password`-style shape may claim an assignment first: either way the value is gone.
            assert!(out == expected || out.contains("[REDACTED:"), "{text} → {out}");
        }
        assert_eq!(scrub(r#"{"token": "a8F3kQ9zLm2Xv7Bn4Tq1"}"#).0, r#"{"token": "<token>"}"#);
    }

    #[test]
    fn ordinary_text_and_code_survive() {
        for text in [
            "I'll add a helper to parse the config.",
            "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 fixed it",
            "id 123e4567-e89b-12d3-a456-426614174000 in the log",
            "let token = next_token(&mut lexer);",
            "token: Token::Ident",
            "the token expires tomorrow",
            "fn main() { println!(\"{}\", a::b); }",
            "see https://docs.rs/regex/1.10.0/regex/",
        ] {
            let (out, found) = scrub(text);
            assert_eq!(out, text, "{found:?}");
            assert!(found.is_empty(), "{text}: {found:?}");
        }
    }

    #[test]
    fn intake_secret_shapes_are_replaced_too() {
        let (out, found) = scrub("key ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij end");
        assert_eq!(out, "key [REDACTED:github-token] end");
        assert_eq!(found["github-token"].count, 1);
    }

    #[test]
    fn switched_off_kinds_are_left() {
        let settings = ExportScrubConfig {
            emails: false,
            home_paths: false,
            ip_addresses: false,
            keyed_tokens: false,
            ..ExportScrubConfig::default()
        };
        let text = "a@b.io /home/alice 10.1.2.3 token: a8F3kQ9zLm2Xv7Bn4Tq1";
        let mut findings = ScrubFindings::new();
        assert_eq!(Scrubber::new(settings).scrub(text, &mut findings), text);
    }

    #[test]
    fn entropy_and_masking() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
        assert_eq!(mask("abc"), "***");
        assert_eq!(mask("alice"), "a****");
        assert_eq!(mask("a-very-long-secret-value"), "a-********");
    }
}
