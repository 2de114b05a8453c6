//! [`DisplayName`]: free text naming something for people.

use super::{InputError, rules};

const WHAT: &str = "name";
const MAX_LEN: usize = 100;

/// Free text naming something for people: a project, a team, an environment,
/// an API token. Surrounding whitespace is trimmed; then it has 1 to 100
/// characters and no control characters (line breaks, tabs, NUL) or invisible
/// bidirectional-text overrides (U+202A–U+202E, U+2066–U+2069), which can make
/// a name display as something else. Anything else is allowed: it is shown,
/// never executed.
///
/// ```
/// use rivetr_core::input::DisplayName;
///
/// let n: DisplayName = "  Café Staging (EU)  ".parse()?;
/// assert_eq!(n.as_str(), "Café Staging (EU)");
///
/// assert!("   ".parse::<DisplayName>().is_err());
/// assert!("evil\u{202E}gnp.exe".parse::<DisplayName>().is_err());
/// # Ok::<(), rivetr_core::input::InputError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DisplayName(String);

impl DisplayName {
    /// The trimmed name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse(s: &str) -> Result<Self, InputError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(InputError::new(WHAT, s, "must not be empty or only spaces"));
        }
        rules::no_control(WHAT, trimmed)?;
        rules::max_chars(WHAT, trimmed, MAX_LEN)?;
        Ok(Self(trimmed.to_owned()))
    }
}

string_type!(DisplayName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_trims_free_text() {
        for (s, want) in [
            ("Production", "Production"),
            ("  a  ", "a"),
            ("Team \"A\"; $HOME & -x", "Team \"A\"; $HOME & -x"),
            ("日本語チーム", "日本語チーム"),
            ("\u{200F}עברית", "\u{200F}עברית"),
        ] {
            assert_eq!(DisplayName::parse(s).unwrap().as_str(), want);
        }
        assert!(DisplayName::parse(&"é".repeat(100)).is_ok());
    }

    #[test]
    fn refuses_control_characters_and_overrides() {
        let cases = [
            ("", "empty"),
            (" \t\n", "empty"),
            ("a\nb", "line break at position 2"),
            ("a\0b", "NUL"),
            ("a\tb", "tab"),
            ("a\u{1b}[31m", "U+001B"),
            ("a\u{202A}b", "U+202A"),
            ("a\u{202E}b", "U+202E"),
            ("a\u{2066}b", "U+2066"),
            ("a\u{2069}b", "U+2069"),
        ];
        for (s, needle) in cases {
            let r = DisplayName::parse(s).unwrap_err().reason().to_owned();
            assert!(r.contains(needle), "{s:?}: {r}");
        }
        let r = DisplayName::parse(&"a".repeat(101))
            .unwrap_err()
            .reason()
            .to_owned();
        assert_eq!(r, "is 101 characters long; the limit is 100");
    }

    #[test]
    fn serde_round_trip() {
        let n = DisplayName::parse("My Project").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"My Project\"");
        assert_eq!(
            serde_json::from_str::<DisplayName>("\" My Project \"").unwrap(),
            n
        );
    }
}
