//! Stable exit codes, one per kind of failure, shared by every command.

/// Exit codes sce returns. Scripts may rely on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    /// Done.
    Ok = 0,
    /// An unexpected internal failure.
    Internal = 1,
    /// Bad command-line usage (clap).
    Usage = 2,
    /// The input (an envelope) is invalid.
    InvalidInput = 3,
    /// Data could be neither stored nor spooled.
    StorageFailed = 4,
    /// The configuration is invalid.
    Config = 5,
    /// Not a repository, unknown revision, or another git failure.
    Git = 6,
    /// What was asked for does not exist (e.g. a commit without a record).
    NotFound = 7,
    /// A check found problems (`sce doctor`).
    NotReady = 8,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}
