//! [`EnvKey`]: the name of an environment variable or build argument.

use super::{InputError, rules};

const WHAT: &str = "environment variable name";
const MAX_LEN: usize = 255;

/// The name of an environment variable, also used for build-argument names:
/// a letter or `_`, then letters, digits and `_` (`[A-Za-z_][A-Za-z0-9_]*`), at
/// most 255 characters.
///
/// ```
/// use rivetr_core::input::EnvKey;
///
/// let key: EnvKey = "DATABASE_URL".parse()?;
/// assert_eq!(key.as_str(), "DATABASE_URL");
///
/// let err = "DATABASE-URL".parse::<EnvKey>().unwrap_err();
/// assert!(err.reason().contains("'-' at position 9"));
/// assert!("1ST".parse::<EnvKey>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvKey(String);

impl EnvKey {
    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        rules::not_empty(WHAT, s)?;
        rules::no_control(WHAT, s)?;
        rules::max_chars(WHAT, s, MAX_LEN)?;
        let ok = |c: char| c.is_ascii_alphanumeric() || c == '_';
        if let Some(found) = rules::found(s, |c| !ok(c)) {
            let fixed: String = s.chars().map(|c| if ok(c) { c } else { '_' }).collect();
            let reason =
                format!("use letters, digits and '_' only ({found}); for example \"{fixed}\"");
            return Err(InputError::new(WHAT, s, reason));
        }
        if s.starts_with(|c: char| c.is_ascii_digit()) {
            let reason = format!("must not start with a digit; for example \"_{s}\"");
            return Err(InputError::new(WHAT, s, reason));
        }
        Ok(Self(s.to_owned()))
    }
}

string_type!(EnvKey);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_identifiers() {
        for s in [
            "A",
            "_",
            "_x",
            "PATH",
            "node_env",
            "A1_B2",
            &"A".repeat(255),
        ] {
            assert_eq!(EnvKey::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn refuses_other_characters_with_a_fix() {
        let e = EnvKey::parse("MY-VAR").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid environment variable name \"MY-VAR\": use letters, digits and '_' only \
             (found '-' at position 3); for example \"MY_VAR\""
        );
        assert!(
            EnvKey::parse("9LIVES")
                .unwrap_err()
                .reason()
                .contains("digit")
        );
        for s in [
            "", "A B", "A=B", "A;B", "A$B", "A`B", "A\nB", "A\0", "-A", "Ä", "A.B",
        ] {
            assert!(EnvKey::parse(s).is_err(), "{s:?}");
        }
        assert!(
            EnvKey::parse(&"A".repeat(256))
                .unwrap_err()
                .reason()
                .contains("limit is 255")
        );
    }

    #[test]
    fn serde_round_trip() {
        let k = EnvKey::parse("PORT").unwrap();
        assert_eq!(serde_json::to_string(&k).unwrap(), "\"PORT\"");
        assert_eq!(serde_json::from_str::<EnvKey>("\"PORT\"").unwrap(), k);
        assert!(serde_json::from_str::<EnvKey>("\"A B\"").is_err());
    }
}
