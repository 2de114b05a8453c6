//! The one error type of the input module.

use std::fmt::Write as _;

/// How many characters of an offending value an [`InputError`] keeps.
const MAX_SHOWN_CHARS: usize = 64;

/// A user-supplied value was refused.
///
/// The message names the kind of value, shows the offending value (control
/// characters escaped, cut to 64 characters) and says what is wrong and how to
/// fix it, for example:
///
/// ```text
/// invalid app name "Foo-Bar": use lowercase letters: found 'F' at position 1 (try "foo-bar")
/// ```
///
/// ```
/// use rivetr_core::input::AppName;
///
/// let err = "my_app".parse::<AppName>().unwrap_err();
/// assert_eq!(err.what(), "app name");
/// assert!(err.to_string().starts_with("invalid app name \"my_app\": "));
/// assert!(err.reason().contains("'_' at position 3"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} \"{value}\": {reason}")]
pub struct InputError {
    what: &'static str,
    value: String,
    reason: String,
}

impl InputError {
    /// Makes an error for `value`, a refused `what` (e.g. `"app name"`), with a
    /// human `reason` that says how to fix it.
    ///
    /// The value is stored in a safe rendering: control characters and quotes
    /// escaped, at most 64 characters, `…` where it was cut.
    #[must_use]
    pub fn new(what: &'static str, value: &str, reason: impl Into<String>) -> Self {
        Self {
            what,
            value: render(value),
            reason: reason.into(),
        }
    }

    /// The kind of value that was refused, e.g. `"app name"`.
    #[must_use]
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// Why it was refused and what to do instead.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The refused value, escaped and shortened for display (without quotes).
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// Escapes control characters and quotes, and cuts to [`MAX_SHOWN_CHARS`].
fn render(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    for c in chars.by_ref().take(MAX_SHOWN_CHARS) {
        let _ = write!(out, "{}", c.escape_debug());
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_kind_value_and_reason() {
        let e = InputError::new("app name", "Foo_Bar", "use lowercase");
        assert_eq!(e.to_string(), "invalid app name \"Foo_Bar\": use lowercase");
        assert_eq!(e.what(), "app name");
        assert_eq!(e.reason(), "use lowercase");
        assert_eq!(e.value(), "Foo_Bar");
    }

    #[test]
    fn control_characters_and_quotes_are_escaped() {
        let e = InputError::new("x", "a\nb\0c\"\u{202e}", "r");
        assert_eq!(e.value(), "a\\nb\\0c\\\"\\u{202e}");
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn long_values_are_cut() {
        let long = "é".repeat(100);
        let e = InputError::new("x", &long, "r");
        assert_eq!(e.value().chars().count(), 65);
        assert!(e.value().ends_with('…'));
        let exact = "a".repeat(64);
        assert_eq!(InputError::new("x", &exact, "r").value(), exact);
    }
}
