//! A string that never shows itself by accident.

use std::fmt;

/// A secret value (env var marked secret, password, token).
///
/// `Debug` and `Display` print `***`; the value comes out only through
/// [`SecretString::expose`], so a secret never reaches a log line by accident.
/// It has no `Serialize` impl on purpose: whoever persists or returns it must
/// say so explicitly.
///
/// ```
/// use rivetr_core::model::SecretString;
///
/// let s = SecretString::new("hunter2");
/// assert_eq!(format!("{s:?}"), "***");
/// assert_eq!(s.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself. Call only where the secret must leave the process
    /// (container env, sealed storage).
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
