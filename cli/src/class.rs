//! The class of a committed line, one type for classifying, building records and
//! every report read back from them (blame, stats, `trace show`, carrying on
//! rewrites). A leaf: anything may use it (`record` re-exports it).

use serde::{Serialize, Serializer};

/// The class of a committed line, with `A` saying who an agent line is credited
/// to (an index into a session table, an `Author`, a record's credit, or `()`).
/// sce never claims `human`: it cannot know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class<A> {
    /// An agent's line as written.
    Ai(A),
    /// An agent's line a person edited (most of it still the agent's).
    Mixed(A),
    /// No agent evidence.
    Unknown,
}

impl<A> Class<A> {
    /// The same class with the credit transformed (the class itself is kept).
    pub fn map<B>(self, f: impl FnOnce(A) -> B) -> Class<B> {
        match self {
            Class::Ai(a) => Class::Ai(f(a)),
            Class::Mixed(a) => Class::Mixed(f(a)),
            Class::Unknown => Class::Unknown,
        }
    }

    /// Borrows the credit, for reading it without giving the class up.
    pub fn as_ref(&self) -> Class<&A> {
        match self {
            Class::Ai(a) => Class::Ai(a),
            Class::Mixed(a) => Class::Mixed(a),
            Class::Unknown => Class::Unknown,
        }
    }

    /// Who an ai or mixed line is credited to; `None` for unknown lines.
    pub fn credit(&self) -> Option<&A> {
        match self {
            Class::Ai(a) | Class::Mixed(a) => Some(a),
            Class::Unknown => None,
        }
    }

    /// The class alone, for reports that do not say who.
    pub fn kind(&self) -> Class<()> {
        self.as_ref().map(|_| ())
    }

    /// The class's name in records and reports: `ai`, `mixed` or `unknown`.
    pub fn name(&self) -> &'static str {
        match self {
            Class::Ai(_) => "ai",
            Class::Mixed(_) => "mixed",
            Class::Unknown => "unknown",
        }
    }
}

impl<A> Class<Option<A>> {
    /// An ai or mixed class whose credit is missing becomes `None`; unknown stays unknown.
    pub fn transpose(self) -> Option<Class<A>> {
        match self {
            Class::Ai(a) => a.map(Class::Ai),
            Class::Mixed(a) => a.map(Class::Mixed),
            Class::Unknown => Some(Class::Unknown),
        }
    }
}

impl<A> std::fmt::Display for Class<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A class without its credit serializes as its name (`"ai"`, `"mixed"`, `"unknown"`).
impl Serialize for Class<()> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Class;

    #[test]
    fn map_keeps_the_class_and_transpose_drops_uncredited_agent_lines() {
        assert_eq!(Class::Ai(2).map(|a| a * 10), Class::Ai(20));
        assert_eq!(Class::Mixed(2).map(|a| a + 1), Class::Mixed(3));
        assert_eq!(Class::<u32>::Unknown.map(|a| a + 1), Class::Unknown);
        assert_eq!(Class::Ai(Some(1)).transpose(), Some(Class::Ai(1)));
        assert_eq!(Class::<Option<u8>>::Mixed(None).transpose(), None);
        assert_eq!(Class::<Option<u8>>::Unknown.transpose(), Some(Class::Unknown));
        assert_eq!(Class::Mixed(7).credit(), Some(&7));
        assert_eq!(Class::<u8>::Unknown.credit(), None);
    }

    #[test]
    fn a_class_without_credit_serializes_as_its_name() {
        let json = serde_json::to_string(&[Class::Ai(()), Class::Mixed(()), Class::Unknown]).unwrap();
        assert_eq!(json, r#"["ai","mixed","unknown"]"#);
        assert_eq!(Class::Mixed(3).to_string(), "mixed");
        assert_eq!(Class::Ai("x").kind(), Class::Ai(()));
    }
}
