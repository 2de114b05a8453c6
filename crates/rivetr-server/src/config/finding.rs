//! [`Finding`]: one result of a config check or a start-up self check.

use std::fmt;

/// How serious a [`Finding`] is; ordered from fine to fatal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// A check passed.
    Ok,
    /// A check was not made (and why is said).
    Skipped,
    /// Works, but probably not as meant.
    Warning,
    /// The server must not start with this.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Ok => "ok",
            Severity::Skipped => "not checked",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One result of a check: what, how serious, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// How serious.
    pub severity: Severity,
    /// What it is about: a config key (`proxy.acme.email`) or a self check
    /// (`store`, `disk space`).
    pub subject: String,
    /// What was found.
    pub message: String,
    /// How to fix it (errors and warnings).
    pub fix: Option<String>,
}

impl Finding {
    /// An error about `subject`.
    #[must_use]
    pub fn error(subject: &str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(Severity::Error, subject, message, Some(fix.into()))
    }

    /// A warning about `subject`.
    #[must_use]
    pub fn warning(subject: &str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(Severity::Warning, subject, message, Some(fix.into()))
    }

    /// A passed check.
    #[must_use]
    pub fn ok(subject: &str, message: impl Into<String>) -> Self {
        Self::new(Severity::Ok, subject, message, None)
    }

    /// A check not made.
    #[must_use]
    pub fn skipped(subject: &str, message: impl Into<String>) -> Self {
        Self::new(Severity::Skipped, subject, message, None)
    }

    fn new(
        severity: Severity,
        subject: &str,
        message: impl Into<String>,
        fix: Option<String>,
    ) -> Self {
        Self {
            severity,
            subject: subject.to_owned(),
            message: message.into(),
            fix,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.severity, self.subject, self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n  fix: {fix}")?;
        }
        Ok(())
    }
}
