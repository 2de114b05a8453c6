//! `rivetr config check`.

use std::path::Path;
use std::process::ExitCode;

use super::output::{findings, line, report_error};
use crate::config;

/// Load, check and explain; non-zero exit on an error.
pub(super) fn check(path: Option<&Path>) -> ExitCode {
    let config = match config::load(path, super::rivetr_env()) {
        Ok(config) => config,
        Err(err) => {
            report_error(&err.to_string());
            return ExitCode::FAILURE;
        }
    };
    let mut found = config.check();
    let origin = path.map_or_else(|| "the defaults".to_owned(), |p| p.display().to_string());
    if found.is_empty() {
        line(&format!("ok: {origin} is a valid configuration"));
        return ExitCode::SUCCESS;
    }
    if findings(&mut found) {
        report_error(&format!("{origin} has errors (above)"));
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
