//! A deployment's progress while following it: one status line on standard
//! error per step (`[3/7] building`), and whether it ended well.

use super::output;

/// The steps of a deployment that goes live, in order, with what the user
/// sees for them.
const STEPS: [(&str, &str); 7] = [
    ("queued", "queued"),
    ("fetching", "fetching source"),
    ("building", "building"),
    ("starting", "starting"),
    ("checking", "health checking"),
    ("switching", "switching traffic"),
    ("live", "live"),
];

/// Where a followed deployment stands.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Still on its way.
    Running,
    /// Serving traffic: success.
    Live,
    /// Ended without going live (failed, cancelled, superseded, rolled back).
    Ended,
}

/// What a status means for the follower.
pub(crate) fn outcome(status: &str) -> Outcome {
    match status {
        "live" => Outcome::Live,
        "failed" | "cancelled" | "superseded" | "rolled_back" | "replaced" => Outcome::Ended,
        _ => Outcome::Running,
    }
}

/// The status line for `status` (and `reason`, when it ended badly).
pub(crate) fn status_line(status: &str, reason: Option<&str>) -> String {
    let step = STEPS.iter().position(|(s, _)| *s == status);
    match (step, outcome(status)) {
        (Some(i), _) => format!("[{}/{}] {}", i + 1, STEPS.len(), STEPS[i].1),
        (None, Outcome::Ended) => {
            let status = status.replace('_', " ");
            match reason {
                Some(reason) => format!("deployment {status}: {reason}"),
                None => format!("deployment {status}"),
            }
        }
        (None, _) => status.replace('_', " "),
    }
}

/// Prints a line each time the status changes.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// The last status shown.
    last: Option<String>,
}

impl Progress {
    /// Note the status; prints it when it is new.
    pub(crate) fn update(&mut self, status: &str, reason: Option<&str>) {
        if self.last.as_deref() == Some(status) {
            return;
        }
        self.last = Some(status.to_owned());
        output::eprintln(&status_line(status, reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_number_the_steps_and_explain_failures() {
        assert_eq!(status_line("queued", None), "[1/7] queued");
        assert_eq!(status_line("checking", None), "[5/7] health checking");
        assert_eq!(status_line("live", None), "[7/7] live");
        assert_eq!(
            status_line("failed", Some("build failed: exit code 2")),
            "deployment failed: build failed: exit code 2"
        );
        assert_eq!(status_line("rolled_back", None), "deployment rolled back");
    }

    #[test]
    fn outcomes() {
        assert_eq!(outcome("live"), Outcome::Live);
        assert_eq!(outcome("cancelled"), Outcome::Ended);
        assert_eq!(outcome("building"), Outcome::Running);
    }
}
