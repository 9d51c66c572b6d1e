//! The failures that decide privctl's exit code, each with hints for the operator.

use std::fmt;
use std::process::ExitCode;

/// What kind of failure ended a command; decides the exit code (SPEC section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 1: the command failed; the message says why.
    Failed,
    /// 1, but a problem with the data map (`map check` turns it into 5).
    Map,
    /// 2: usage error (a flag or value on the command line).
    Usage,
    /// 3: confirmation missing, rejected or stale.
    Confirmation,
    /// 4: the ledger was altered.
    LedgerAltered,
    /// 5: `map check` found problems.
    MapProblems,
    /// 6: `dsar delete` erased as planned, but a residue scan still finds the subject's
    /// identifiers outside retained data.
    Residue,
    /// 75: another run holds the lock.
    Locked,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Failed | Kind::Map => 1,
            Kind::Usage => 2,
            Kind::Confirmation => 3,
            Kind::LedgerAltered => 4,
            Kind::MapProblems => 5,
            Kind::Residue => 6,
            Kind::Locked => 75,
        }
    }
}

/// An error whose kind decides the exit code. Anything else that reaches `main` exits 1.
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
    pub hints: Vec<String>,
}

impl Failure {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(Kind::Failed, message)
    }

    pub fn map(message: impl Into<String>) -> Self {
        Self::new(Kind::Map, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    pub fn confirmation(message: impl Into<String>) -> Self {
        Self::new(Kind::Confirmation, message)
    }

    pub fn ledger_altered(message: impl Into<String>) -> Self {
        Self::new(Kind::LedgerAltered, message)
    }

    pub fn residue(message: impl Into<String>) -> Self {
        Self::new(Kind::Residue, message)
    }

    pub fn locked(message: impl Into<String>) -> Self {
        Self::new(Kind::Locked, message)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The exit code for an error chain: the first [`Failure`] in it decides, otherwise 1.
pub fn exit_code(error: &anyhow::Error) -> ExitCode {
    ExitCode::from(exit_code_of(error))
}

/// The exit code `error` ends the process with, as a number.
pub fn exit_code_of(error: &anyhow::Error) -> u8 {
    first_failure(error)
        .map_or(Kind::Failed, |f| f.kind)
        .exit_code()
}

/// The hints carried by the first [`Failure`] in an error chain.
pub fn hints(error: &anyhow::Error) -> &[String] {
    first_failure(error).map_or(&[], |f| f.hints.as_slice())
}

/// The outermost [`Failure`], whether it is the error, one of its sources, or context added
/// with `error.context(Failure::…)` (which only anyhow's own downcast sees).
fn first_failure(error: &anyhow::Error) -> Option<&Failure> {
    error
        .downcast_ref::<Failure>()
        .or_else(|| error.chain().find_map(|e| e.downcast_ref::<Failure>()))
}
