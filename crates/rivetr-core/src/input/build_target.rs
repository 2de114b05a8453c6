//! [`BuildTarget`]: the stage of a multi-stage Dockerfile to build.

use super::{InputError, rules};

const WHAT: &str = "build target";
const MAX_LEN: usize = 128;

/// The name of a Dockerfile build stage (`FROM … AS <name>`): a letter, then
/// letters, digits, `_`, `.` and `-`, at most 128 characters.
///
/// ```
/// use rivetr_core::input::BuildTarget;
///
/// let target: BuildTarget = "runtime".parse()?;
/// assert_eq!(target.as_str(), "runtime");
///
/// assert!("--target=x".parse::<BuildTarget>().is_err());
/// assert!("prod stage".parse::<BuildTarget>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BuildTarget(String);

impl BuildTarget {
    /// The stage name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        rules::not_empty(WHAT, s)?;
        rules::no_control(WHAT, s)?;
        rules::no_leading_dash(WHAT, s)?;
        rules::max_chars(WHAT, s, MAX_LEN)?;
        let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
        if let Some(found) = rules::found(s, |c| !ok(c)) {
            let reason = format!("use letters, digits, '_', '.' and '-' only ({found})");
            return Err(InputError::new(WHAT, s, reason));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(InputError::new(WHAT, s, "must start with a letter"));
        }
        Ok(Self(s.to_owned()))
    }
}

string_type!(BuildTarget);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_stage_names() {
        for s in ["build", "Runtime", "stage-2", "a.b_c", &"a".repeat(128)] {
            assert_eq!(BuildTarget::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn refuses_options_spaces_and_metacharacters() {
        for s in [
            "",
            "-x",
            "2nd",
            "a b",
            "a;b",
            "a$b",
            "a\nb",
            &"a".repeat(129),
        ] {
            assert!(BuildTarget::parse(s).is_err(), "{s:?} must be refused");
        }
    }
}
