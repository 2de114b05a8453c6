//! Writing to the terminal (never through `print!`, so a closed pipe is
//! not a panic).

use std::io::Write;

use crate::config::{Finding, Severity};

/// Write `message` to standard error as `rivetr: error: ...`.
pub fn report_error(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "rivetr: error: {message}");
}

/// Write a line to standard output.
pub(super) fn line(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Print findings, most serious last; returns whether any is an error.
pub(super) fn findings(findings: &mut [Finding]) -> bool {
    findings.sort_by_key(|f| f.severity);
    for finding in findings.iter() {
        line(&finding.to_string());
    }
    findings.iter().any(|f| f.severity == Severity::Error)
}
